import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ModelKit
import NIOCore
import TestSupport
import Testing

@testable import ModelFactory
@testable import ModelServer

/// A bundle of the `command` runtime made by hand in a temporary folder: a Python worker speaking
/// the worker protocol, its `model.yaml` and a `bundle.json` that lists every file. Its model
/// answers `label = x > 2.5`; version 1.1.0 answers 0 for x == 3 (a candidate that disagrees);
/// x == 444 makes it raise.
struct HandMadeBundle {
    let folder: URL

    static let worker = """
        import json, sys
        DISAGREE = %DISAGREE%
        for line in sys.stdin:
            request = json.loads(line)
            method, params = request["method"], request.get("params", {})
            answer = {"jsonrpc": "2.0", "id": request["id"], "result": {}}
            if method == "predict":
                xs = [i["x"] for i in params["instances"]]
                if 444 in xs:
                    answer = {"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32000, "message": "444 is refused"}}
                else:
                    answer["result"] = {"predictions": [{"label": 0 if DISAGREE and x == 3 else int(x > 2.5)} for x in xs]}
            print(json.dumps(answer), flush=True)
            if method == "shutdown": break
        """

    static let manifest = """
        name: demo
        runtime: command
        run: [python3, -u, worker.py]
        train: { data: data.csv }
        evaluate: { data: data.csv }
        schema:
          inputs: [{ name: x, type: double, min: 0 }, { name: kind, type: string, values: [a, b] }]
          outputs: [{ name: label, type: int }]
        gates: { auc: ">= 0.9" }
        examples: [{ x: 1, kind: a }]
        """

    init(version: String, in directory: TemporaryDirectory) throws {
        let root = "bundles/demo-\(version)"
        try directory.write("\(root)/model.yaml", Self.manifest)
        try directory.write("\(root)/plugin/worker.py", Self.worker.replacingOccurrences(of: "%DISAGREE%", with: version == "1.0.0" ? "False" : "True"))
        try directory.write("\(root)/artifacts/weights.txt", "2.5\n")
        folder = URL(fileURLWithPath: directory.appending(root))
        let field = { (name: String, type: String) in BundleManifest.Field(name: name, type: type) }
        let manifest = BundleManifest(
            model: "demo", version: version, tag: "v\(version)", ref: "refs/tags/v\(version)", commit: String(repeating: "a", count: 40),
            tree: String(repeating: "b", count: 40), session: "s1", runtime: "command", run: ["python3", "-u", "worker.py"],
            toolchain: SortedMap([:]), schema: .init(inputs: [field("x", "double"), field("kind", "string")], outputs: [field("label", "int")]),
            metrics: SortedMap(["auc": 1]), gates: [], files: BundleManifest.files(of: try Archive.entries(of: folder)))
        try JSONEncoder().encode(manifest).write(to: folder.appendingPathComponent(BundleManifest.fileName))
    }
}

/// The routes of `mf serve`, driven through the router without sockets (`app.test(.router)`),
/// against real workers of hand-made bundles.
@Suite(.serialized, .onTestThreads) struct RouteTests {
    /// The registry with 1.0.0 (and 1.1.0 when asked) loaded, 1.0.0 current, and the
    /// application built on it as `mf serve` builds it.
    static func withServer<Value>(
        versions: [String] = ["1.0.0"], adminToken: String? = nil, maxBodyBytes: Int = 4096,
        _ body: @Sendable (any TestClientProtocol, ModelRegistry) async throws -> Value
    ) async throws -> Value {
        let directory = TemporaryDirectory("routes")
        var options = ServeOptions(home: URL(fileURLWithPath: directory.appending("home")))
        options.pool.workers = 1
        options.pool.callTimeout = 10
        options.adminToken = adminToken
        options.maxBodyBytes = maxBodyBytes
        let registry = ModelRegistry(options: options)
        for version in versions.reversed() {
            try await registry.load(try HandMadeBundle(version: version, in: directory).folder)
        }
        let app = buildApplication(registry: registry, options: options)
        let value = try await app.test(.router) { client in try await body(client, registry) }
        withExtendedLifetime(directory) {}
        return value
    }

    static let instance = #"{"instances": [{"x": 4, "kind": "a"}]}"#
    static let v2Request =
        #"{"id": "a1", "inputs": [{"name": "x", "datatype": "FP64", "shape": [2], "data": [1.0, 4.0]}, {"name": "kind", "datatype": "BYTES", "shape": [2], "data": ["a", "b"]}]}"#

    @Test(.timeLimit(.minutes(2)))
    func healthAndMetadata() async throws {
        try await Self.withServer { client, _ in
            #expect(try await client.send(.get, "/v2/health/live").text == #"{"live":true}"#)
            let ready = try await client.send(.get, "/v2/health/ready")
            #expect(ready.status == .ok && ready.text == #"{"ready":true}"#)
            let server = try await client.send(.get, "/v2").object()
            #expect(server["name"] as? String == "model-factory" && server["extensions"] as? [String] == ["binary_tensor_data"])
            let metadata = try await client.send(.get, "/v2/models/demo").object()
            #expect(metadata["name"] as? String == "demo" && metadata["versions"] as? [String] == ["1.0.0"])
            #expect(metadata["platform"] as? String == "model-factory/command")
            #expect((metadata["inputs"] as? [[String: Any]])?.map { $0["datatype"] as? String } == ["FP64", "BYTES"])
            #expect((metadata["outputs"] as? [[String: Any]])?.first?["datatype"] as? String == "INT64")
            #expect(try await client.send(.get, "/v2/models/demo/versions/1.0.0").status == .ok)
            #expect(try await client.send(.get, "/v2/models/demo/versions/9.9.9").status == .notFound)
            #expect(try await client.send(.get, "/v2/models/nope").status == .notFound)
            let modelReady = try await client.send(.get, "/v2/models/demo/ready").object()
            #expect(modelReady["name"] as? String == "demo" && modelReady["ready"] as? Bool == true)
            #expect(try await client.send(.get, "/v2/models/demo/versions/1.0.0/ready").status == .ok)
            #expect(try await client.send(.get, "/v2/models/demo/versions/9.9.9/ready").status == .notFound)
            #expect(try await client.send(.get, "/v2/models/nope/ready").status == .notFound)
            #expect(try await client.send(.get, "/v1/models").text == #"{"models":["demo"]}"#)
            let v1 = try await client.send(.get, "/v1/models/demo").object()
            #expect(v1["ready"] as? Bool == true && v1["versions"] as? [String] == ["1.0.0"] && v1["current"] as? String == "1.0.0")
            #expect(try await client.send(.get, "/v1/models/nope").status == .notFound)
            let unknown = try await client.send(.get, "/v3/whatever")
            #expect(unknown.status == .notFound && unknown.text.hasPrefix(#"{"error""#), "\(unknown.text)")
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func v2Infer() async throws {
        try await Self.withServer { client, _ in
            for path in ["/v2/models/demo/infer", "/v2/models/demo/versions/1.0.0/infer"] {
                let answer = try await client.send(.post, path, body: Self.v2Request)
                #expect(answer.status == .ok && answer.headers[ModelServer.versionHeader] == "1.0.0", "\(answer.text)")
                let object = try answer.object()
                let outputs = object["outputs"] as? [[String: Any]]
                #expect(outputs?.first?["data"] as? [Int] == [0, 1] && outputs?.first?["shape"] as? [Int] == [2], "\(answer.text)")
                #expect(object["id"] as? String == "a1" && object["model_name"] as? String == "demo" && object["model_version"] as? String == "1.0.0")
            }
            // Binary tensors in and out.
            var binary = Data()
            for value in [1.0, 4.0] { withUnsafeBytes(of: value.bitPattern.littleEndian) { binary.append(contentsOf: $0) } }
            for text in ["a", "b"] {
                binary.append(contentsOf: [1, 0, 0, 0])
                binary.append(contentsOf: text.utf8)
            }
            let header = Data(
                #"{"inputs":[{"name":"x","datatype":"FP64","shape":[2],"parameters":{"binary_data_size":16}},{"name":"kind","datatype":"BYTES","shape":[2],"parameters":{"binary_data_size":10}}],"outputs":[{"name":"label","parameters":{"binary_data":true}}]}"#
                    .utf8)
            let binaryAnswer = try await client.send(
                .post, "/v2/models/demo/infer", headers: [OpenInferenceCodec.headerLengthName: String(header.count)], body: header + binary)
            #expect(binaryAnswer.status == .ok && binaryAnswer.headers[.contentType] == "application/octet-stream", "\(binaryAnswer.text)")
            let length = try #require(binaryAnswer.headers[OpenInferenceCodec.headerLengthName].flatMap { Int($0) })
            #expect(
                binaryAnswer.bodyData.count == length + 16 && [UInt8](binaryAnswer.bodyData.suffix(16)) == [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])

            // Each bad field named, 400.
            let wrongType = try await client.send(
                .post, "/v2/models/demo/infer", body: #"{"inputs": [{"name": "x", "datatype": "BYTES", "shape": [1], "data": ["1"]}]}"#)
            #expect(try wrongType.status == .badRequest && Set(wrongType.problemFields()) == ["x", "kind"], "\(wrongType.text)")
            #expect(wrongType.headers[ModelServer.versionHeader] == "1.0.0")
            let outOfRange = try await client.send(
                .post, "/v2/models/demo/infer",
                body:
                    #"{"inputs": [{"name": "x", "datatype": "FP64", "shape": [1], "data": [-5]}, {"name": "kind", "datatype": "BYTES", "shape": [1], "data": ["z"]}]}"#
            )
            #expect(try outOfRange.status == .badRequest && Set(outOfRange.problemFields()) == ["x[0]", "kind[0]"], "\(outOfRange.text)")
            let unknownInput = try await client.send(
                .post, "/v2/models/demo/infer",
                body:
                    #"{"inputs": [{"name": "x", "datatype": "FP64", "shape": [1], "data": [1]}, {"name": "kind", "datatype": "BYTES", "shape": [1], "data": ["a"]}, {"name": "y", "datatype": "FP64", "shape": [1], "data": [1]}]}"#
            )
            #expect(try unknownInput.status == .badRequest && (unknownInput.problemFields()) == ["y"], "\(unknownInput.text)")
            // Unknown model or version 404; malformed 400, each named.
            #expect(try await client.send(.post, "/v2/models/nope/infer", body: Self.v2Request).status == .notFound)
            let noVersion = try await client.send(.post, "/v2/models/demo/versions/9.9.9/infer", body: Self.v2Request)
            #expect(noVersion.status == .notFound && noVersion.text.contains("model 'demo' has no version '9.9.9' loaded"), "\(noVersion.text)")
            for (body, expected) in [
                ("{", "the request body is not valid JSON"), ("", "the request body is empty"), ("[1]", "the request must be a JSON object"),
                (#"{"inputs": []}"#, "the request has no 'inputs' array"),
            ] {
                let answer = try await client.send(.post, "/v2/models/demo/infer", body: body)
                #expect(answer.status == .badRequest && answer.error.contains(expected), "\(body): \(answer.text)")
            }
            let badLength = try await client.send(
                .post, "/v2/models/demo/infer", headers: [OpenInferenceCodec.headerLengthName: "abc"], body: #"{"inputs": []}"#)
            #expect(badLength.status == .badRequest && badLength.error.contains("Inference-Header-Content-Length is 'abc'"), "\(badLength.text)")
            // The model raises: 500 naming it.
            let raised = try await client.send(
                .post, "/v2/models/demo/infer",
                body:
                    #"{"inputs": [{"name": "x", "datatype": "FP64", "shape": [1], "data": [444]}, {"name": "kind", "datatype": "BYTES", "shape": [1], "data": ["a"]}]}"#
            )
            #expect(raised.status == .internalServerError && raised.error.contains("444 is refused"), "\(raised.text)")
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func v1Predict() async throws {
        try await Self.withServer { client, _ in
            let answer = try await client.send(.post, "/v1/models/demo:predict", body: Self.instance)
            #expect(
                answer.status == .ok && withoutPredictionIDs(answer.text) == #"{"predictions":[{"label":1}]}"#
                    && answer.headers[ModelServer.versionHeader] == "1.0.0")
            #expect(answer.headers[.contentType] == "application/json")
            // Every bad field named, 422.
            let bad = try await client.send(.post, "/v1/models/demo:predict", body: #"{"instances": [{"x": -1, "kind": "c", "extra": 1}, {"kind": "a"}, 3]}"#)
            #expect(bad.status == .unprocessableContent && bad.headers[ModelServer.versionHeader] == "1.0.0", "\(bad.text)")
            #expect(
                Set(try bad.problemFields()) == ["instances[0].x", "instances[0].kind", "instances[0].extra", "instances[1].x", "instances[2]"], "\(bad.text)")
            let mistyped = try await client.send(.post, "/v1/models/demo:predict", body: #"{"instances": [{"x": "four", "kind": true}]}"#)
            #expect(mistyped.status == .unprocessableContent && mistyped.text.contains("expected a double") && mistyped.text.contains("expected a string"))
            // Malformed 400, unknown model 404, too large 413.
            for (body, expected) in [
                ("{", "not valid JSON"), ("", "the request body is empty"), ("[1,2]", "a JSON object with an array of instances"),
                (#"{"instances": 3}"#, "a JSON object with an array of instances"), (#"{"instances": []}"#, "'instances' is empty"),
            ] {
                let answer = try await client.send(.post, "/v1/models/demo:predict", body: body)
                #expect(answer.status == .badRequest && answer.error.contains(expected), "\(body): \(answer.text)")
            }
            #expect(try await client.send(.post, "/v1/models/nope:predict", body: Self.instance).status == .notFound)
            let huge = "{\"instances\": [" + Array(repeating: #"{"x": 1, "kind": "a"}"#, count: 500).joined(separator: ",") + "]}"
            let tooLarge = try await client.send(.post, "/v1/models/demo:predict", body: huge)
            #expect(tooLarge.status == .contentTooLarge && tooLarge.error.contains("the limit is 4096"), "\(tooLarge.text)")
            let raised = try await client.send(.post, "/v1/models/demo:predict", body: #"{"instances": [{"x": 444, "kind": "a"}]}"#)
            #expect(raised.status == .internalServerError && raised.error.contains("444 is refused"), "\(raised.text)")
        }
    }

    /// Requests, errors and input-check failures by field, counted per API.
    @Test(.timeLimit(.minutes(2)))
    func metricsCountEachAPI() async throws {
        try await Self.withServer { client, _ in
            _ = try await client.send(.post, "/v1/models/demo:predict", body: Self.instance)
            _ = try await client.send(.post, "/v1/models/demo:predict", body: #"{"instances": [{"x": 1, "kind": "z", "made_up": 1}]}"#)
            _ = try await client.send(.post, "/v2/models/demo/infer", body: Self.v2Request)
            _ = try await client.send(.post, "/v2/models/demo/infer", body: #"{"inputs": [{"name": "x", "datatype": "BYTES", "shape": [1], "data": ["1"]}]}"#)
            let metrics = try await client.send(.get, "/metrics")
            #expect(metrics.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            for (series, value) in [
                (#"mf_requests_total{model="demo",version="1.0.0",api="v1",status="200"}"#, 1.0),
                (#"mf_requests_total{model="demo",version="1.0.0",api="v1",status="422"}"#, 1),
                (#"mf_requests_total{model="demo",version="1.0.0",api="v2",status="200"}"#, 1),
                (#"mf_requests_total{model="demo",version="1.0.0",api="v2",status="400"}"#, 1),
                (#"mf_request_errors_total{model="demo",version="1.0.0",api="v1"}"#, 1),
                (#"mf_request_errors_total{model="demo",version="1.0.0",api="v2"}"#, 1),
                (#"mf_input_check_failures_total{model="demo",field="kind"}"#, 2),
                (#"mf_input_check_failures_total{model="demo",field="x"}"#, 1),
                (#"mf_input_check_failures_total{model="demo",field="_unknown"}"#, 1),
            ] {
                #expect(metricValue(metrics.text, series) == value, "\(series) in \(metrics.text)")
            }
            #expect(metrics.text.contains("mf_batch_size_bucket") && metrics.text.contains("mf_request_duration_seconds_bucket"))
        }
    }

    /// A/B weights sticky on a header, and a shadow whose answers are only compared.
    @Test(.timeLimit(.minutes(2)))
    func trafficPolicy() async throws {
        try await Self.withServer(versions: ["1.0.0", "1.1.0"]) { client, registry in
            try registry.setPolicy(TrafficPolicy(weights: ["1.0.0": 50, "1.1.0": 50], stickyHeader: "X-Customer"), for: "demo")
            let customer = HTTPField.Name("X-Customer")!
            var seen: [String: Set<String>] = [:]
            for number in 0..<20 {
                for _ in 0..<3 {
                    let answer = try await client.send(.post, "/v1/models/demo:predict", headers: [customer: "c\(number)"], body: Self.instance)
                    #expect(answer.status == .ok)
                    seen["c\(number)", default: []].insert(answer.headers[ModelServer.versionHeader] ?? "?")
                }
            }
            #expect(seen.values.allSatisfy { $0.count == 1 }, "a customer saw two versions: \(seen)")
            #expect(Set(seen.values.flatMap { $0 }) == ["1.0.0", "1.1.0"], "\(seen)")
            // A version asked for is the version served, whatever the weights.
            let asked = try await client.send(.post, "/v2/models/demo/versions/1.1.0/infer", body: Self.v2Request)
            #expect(asked.headers[ModelServer.versionHeader] == "1.1.0")

            // Shadow: 1.0.0 answers, 1.1.0 (which says 0 for x == 3) is only compared.
            try registry.setPolicy(TrafficPolicy(shadow: "1.1.0"), for: "demo")
            for _ in 0..<3 {
                let answer = try await client.send(.post, "/v1/models/demo:predict", body: #"{"instances": [{"x": 3, "kind": "a"}]}"#)
                #expect(
                    withoutPredictionIDs(answer.text) == #"{"predictions":[{"label":1}]}"# && answer.headers[ModelServer.versionHeader] == "1.0.0",
                    "\(answer.text)")
            }
            _ = try await client.send(.post, "/v2/models/demo/infer", body: Self.v2Request)
            let disagreed = #"mf_shadow_comparisons_total{model="demo",primary="1.0.0",candidate="1.1.0",agreed="false"}"#
            let agreed = #"mf_shadow_comparisons_total{model="demo",primary="1.0.0",candidate="1.1.0",agreed="true"}"#
            // Each look is a request of its own (the shadow copies are answered in the background).
            var metrics = ""
            for _ in 0..<2000 {
                metrics = try await client.send(.get, "/metrics").text
                if metricValue(metrics, disagreed) == 3 && metricValue(metrics, agreed) == 1 { break }
                await Task.yield()
            }
            #expect(metricValue(metrics, disagreed) == 3 && metricValue(metrics, agreed) == 1, "\(metrics)")
            #expect(metrics.contains(#"mf_shadow_duration_seconds_count{model="demo",candidate="1.1.0"}"#))
        }
    }

    /// The admin API: off without a token, 401 without the right one, and with it the policy,
    /// promotion, unloading and loading.
    @Test(.timeLimit(.minutes(2)))
    func adminAPI() async throws {
        try await Self.withServer { client, _ in
            let off = try await client.send(.get, "/admin/models", headers: [.authorization: "Bearer anything"])
            #expect(off.status == .forbidden && off.error.contains("--admin-token"), "\(off.text)")
        }
        try await Self.withServer(versions: ["1.0.0", "1.1.0"], adminToken: "s3cret") { client, registry in
            for header in [nil, "Bearer wrong", "Basic czNjcmV0"] as [String?] {
                let refused = try await client.send(.get, "/admin/models", headers: header.map { [.authorization: $0] } ?? [:])
                #expect(
                    refused.status == .unauthorized && refused.headers[.wwwAuthenticate] == "Bearer" && refused.text.hasPrefix(#"{"error""#),
                    "\(header ?? "none"): \(refused.text)")
            }
            for scheme in ["bearer", "BEARER", "Bearer "] {
                #expect(try await client.send(.get, "/admin/models", headers: [.authorization: "\(scheme) s3cret"]).status == .ok, "\(scheme)")
            }
            let auth: HTTPFields = [.authorization: "Bearer s3cret"]
            let models = try await client.send(.get, "/admin/models", headers: auth).array()
            #expect(models.first?["current"] as? String == "1.0.0" && (models.first?["versions"] as? [Any])?.count == 2, "\(models)")

            let policy = try await client.send(
                .put, "/admin/models/demo/traffic", headers: auth, body: #"{"weights": {"1.0.0": 90, "1.1.0": 10}, "stickyHeader": "X-Customer"}"#)
            #expect(
                policy.status == .ok && registry.policy(for: "demo") == TrafficPolicy(weights: ["1.0.0": 90, "1.1.0": 10], stickyHeader: "X-Customer"),
                "\(policy.text)")
            let fractional = try await client.send(.put, "/admin/models/demo/traffic", headers: auth, body: #"{"weights": {"1.0.0": 87.5}}"#)
            #expect(fractional.status == .badRequest && fractional.error.contains("the weight of 1.0.0 is 87.5"), "\(fractional.text)")
            #expect(try await client.send(.put, "/admin/models/demo/traffic", headers: auth, body: #"{"weights": {"9.9.9": 1}}"#).status == .notFound)

            // Unloading the current version of a split: the one left takes all the traffic, as current.
            let dropped = try await client.send(.delete, "/admin/models/demo/versions/1.0.0", headers: auth).object()
            #expect(dropped["current"] as? String == "1.1.0" && (dropped["policy"] as? [String: Any])?["weights"] as? [String: Int] == [:], "\(dropped)")
            #expect(try await client.send(.post, "/v1/models/demo:predict", body: Self.instance).headers[ModelServer.versionHeader] == "1.1.0")
            #expect(try await client.send(.delete, "/admin/models/demo/versions/1.0.0", headers: auth).status == .notFound)

            // Loaded again (not current), then promoted.
            let folder = try #require(registry.models().first?.versions.first?.bundle.folder.deletingLastPathComponent().appendingPathComponent("demo-1.0.0"))
            let loaded = try await client.send(.post, "/admin/bundles", headers: auth, body: #"{"path": "\#(folder.path)", "current": false}"#)
            #expect(try loaded.status == .ok && (loaded.object()) as? [String: String] == ["name": "demo", "version": "1.0.0"], "\(loaded.text)")
            #expect(try await client.send(.post, "/v1/models/demo:predict", body: Self.instance).headers[ModelServer.versionHeader] == "1.1.0")
            let promoted = try await client.send(.post, "/admin/models/demo/versions/1.0.0/promote", headers: auth)
            #expect(try promoted.status == .ok && (promoted.object()) as? [String: String] == ["name": "demo", "current": "1.0.0"], "\(promoted.text)")
            #expect(try await client.send(.post, "/v1/models/demo:predict", body: Self.instance).headers[ModelServer.versionHeader] == "1.0.0")
            let nowhere = try await client.send(.post, "/admin/bundles", headers: auth, body: #"{"path": "/nowhere"}"#)
            #expect(nowhere.status == .unprocessableContent, "\(nowhere.text)")
            #expect(try await client.send(.post, "/admin/bundles", headers: auth, body: "{}").status == .badRequest)
        }
    }
}

/// The value of the first line of Prometheus text that starts with `series`; nil without one.
func metricValue(_ text: String, _ series: String) -> Double? {
    text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
}

extension TestClientProtocol {
    func send(_ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:], body: String? = nil) async throws -> TestResponse {
        try await send(method, uri, headers: headers, body: body.map { Data($0.utf8) })
    }

    func send(_ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:], body: Data?) async throws -> TestResponse {
        try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) })
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var bodyData: Data { Data(body.readableBytesView) }
    func object() throws -> [String: Any] { try #require(try JSONSerialization.jsonObject(with: bodyData) as? [String: Any]) }
    func array() throws -> [[String: Any]] { try #require(try JSONSerialization.jsonObject(with: bodyData) as? [[String: Any]]) }
    /// The `error` sentence of an error answer (the whole body when it has none).
    var error: String { ((try? object())?["error"] as? String) ?? text }
    /// The `field` of each problem an error answer names.
    func problemFields() throws -> [String] { ((try object()["problems"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String } }
}
