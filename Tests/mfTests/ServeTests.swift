import Foundation
import TestSupport
import Testing

/// A pure-Python model (no requirements) released as v1.0.0 and v1.1.0. Its predict sleeps 60 s
/// for x == 777 (a hung worker) and 1.5 s for x == 555 (a slow call to kill a worker under), and
/// its worker exits for x == 666 (a request that kills workers) and it raises for x == 444; v1.1.0 answers 0 for x == 3
/// where v1.0.0 answers 1 (a candidate that disagrees). Its load fails while the file named by
/// DEMO_BROKEN exists (workers that cannot start again).
func servedModel() throws -> GitFixture {
    let fixture = try GitFixture("served")
    try FileManager.default.copyItem(atPath: repositoryRoot.appendingPathComponent("runtimes/python/mf_runner.py").path, toPath: fixture.path + "/mf_runner.py")
    try fixture.directory.write(
        "repo/model.py",
        """
        import os, time
        class Model:
            def train(self, data, artifacts, seed):
                with open(os.path.join(artifacts, "weights.txt"), "w") as handle: handle.write("2.5\\n")
                self.threshold = 2.5
                return {}
            def load(self, artifacts):
                broken = os.environ.get("DEMO_BROKEN")
                if broken and os.path.exists(broken): raise RuntimeError("broken on purpose")
                with open(os.path.join(artifacts, "weights.txt")) as handle: self.threshold = float(handle.read())
                self.second = os.path.exists(os.path.join(os.path.dirname(os.path.abspath(__file__)), "notes.txt"))
            def evaluate(self, data): return {"auc": 1.0}
            def predict(self, instances):
                answers = []
                for instance in instances:
                    x = instance["x"]
                    if x == 777: time.sleep(60)
                    if x == 555: time.sleep(1.5)
                    if x == 666: os._exit(3)
                    if x == 444: raise ValueError("444 is refused")
                    answers.append({"label": 0 if x == 3 and getattr(self, "second", False) else int(x > self.threshold)})
                return answers
        """)
    try fixture.directory.write("repo/data.csv", "x,y\n1,0\n4,1\n")
    try fixture.directory.write(
        "repo/model.yaml",
        """
        name: demo
        runtime: python
        train: { data: data.csv }
        evaluate: { data: data.csv }
        schema:
          inputs: [{ name: x, type: double, min: 0 }, { name: kind, type: string, values: [a, b] }]
          outputs: [{ name: label, type: int }]
        gates: { auc: ">= 0.9" }
        examples: [{ x: 1, kind: a }]
        """)
    try fixture.git(["add", "-A"])
    try fixture.git(["commit", "-q", "-m", "model"])
    try fixture.git(["tag", "-a", "-m", "release", "v1.0.0"])
    try fixture.directory.write("repo/notes.txt", "second release\n")
    try fixture.git(["add", "-A"])
    try fixture.git(["commit", "-q", "-m", "notes"])
    try fixture.git(["tag", "-a", "-m", "release", "v1.1.0"])
    return fixture
}

/// `mf serve` as a child process, on a free port.
final class ServerProcess: @unchecked Sendable {
    let process: Spawned
    var port = 0
    private var lines: [String] = []
    /// Where its standard error (the log) goes.
    let logFile = FileManager.default.temporaryDirectory.appendingPathComponent("mf-serve-\(UUID().uuidString).log").path

    /// The server's log so far.
    var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        // Without Swift's backtracer: after a crash its child keeps the standard output open, and
        // the wait for the start line would hang instead of failing with the log.
        process = try Spawned(
            mfBinary, ["serve", "--port", "0"] + arguments,
            environment: ProcessInfo.processInfo.environment.merging(["SWIFT_BACKTRACE": "enable=no"].merging(environment) { $1 }) { $1 },
            output: .pipe, error: .file(logFile))
        let output = process.output!
        var buffer = Data()
        let deadline = Date().addingTimeInterval(120)
        while port == 0, Date() < deadline {
            let chunk = output.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            let text = String(decoding: buffer, as: UTF8.self)
            if let range = text.range(of: #"http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(text[range].split(separator: ":").last!)!
            }
        }
        guard port != 0 else {
            process.signal(SIGTERM)
            process.wait()
            throw HTTPClientError(description: "mf serve did not start: \(String(decoding: buffer, as: UTF8.self))")
        }
    }

    /// The worker processes (children of the server).
    var workers: [Int32] {
        let listed = (try? runProcess("/usr/bin/pgrep", ["-P", String(process.pid)]))?.stdout ?? ""
        return listed.split(separator: "\n").compactMap { Int32($0) }
    }

    func stop() -> Int32 {
        process.signal(SIGTERM)
        let ended = process.wait()
        return ended.status
    }

    deinit {
        process.signal(SIGTERM)
        process.wait()
        try? FileManager.default.removeItem(atPath: logFile)
    }
}

/// The value of the first line of Prometheus text that starts with `series`; nil without one.
func metricValue(_ text: String, _ series: String) -> Double? {
    text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
}

func bundled(_ fixture: GitFixture, _ tags: [String], home: TemporaryDirectory) throws -> [String] {
    try tags.map { tag in
        let made = try mf(["bundle", tag, "--repo", fixture.path, "--home", home.path, "--json"])
        guard made.status == 0 else { throw HTTPClientError(description: made.stderr) }
        return ((try json(made) as? [[String: Any]])?.first?["path"] as? String) ?? ""
    }
}

func predictBody(_ instances: [[String: Any]]) -> Data { try! JSONSerialization.data(withJSONObject: ["instances": instances]) }

/// The worker calls made so far for a version (`mf_batch_size_count`).
func workerCalls(port: Int, version: String = "1.0.0") throws -> Double {
    metricValue(try http("GET", port: port, "/metrics").text, #"mf_batch_size_count{model="demo",version="\#(version)"}"#) ?? 0
}

@Suite(.serialized, .onTestThreads) struct ServeTests {
    /// Every endpoint, every bad input, a hung worker, a killed worker, and SIGTERM, through real HTTP.
    @Test(.timeLimit(.minutes(5)))
    func endpointsFaultsAndShutdown() throws {
        let fixture = try servedModel()
        let home = TemporaryDirectory("home")
        let paths = try bundled(fixture, ["v1.0.0"], home: home)
        let archive = home.appending("bundles/demo/demo-1.0.0.tar.gz")
        let server = try ServerProcess([archive, "--home", home.path, "--workers", "2", "--timeout", "2", "--max-body-bytes", "4096"])
        let port = server.port
        _ = paths

        // Health and metadata.
        #expect(try http("GET", port: port, "/v2/health/live").status == 200)
        let ready = try http("GET", port: port, "/v2/health/ready")
        #expect(ready.status == 200 && ready.text == #"{"ready":true}"#)
        let server2 = try http("GET", port: port, "/v2").json() as? [String: Any]
        #expect(server2?["name"] as? String == "model-factory" && (server2?["extensions"] as? [String])?.contains("binary_tensor_data") == true)
        let metadata = try #require(try http("GET", port: port, "/v2/models/demo").json() as? [String: Any])
        #expect(metadata["name"] as? String == "demo" && metadata["versions"] as? [String] == ["1.0.0"])
        #expect((metadata["inputs"] as? [[String: Any]])?.map { $0["datatype"] as? String } == ["FP64", "BYTES"])
        #expect((metadata["outputs"] as? [[String: Any]])?.first?["datatype"] as? String == "INT64")
        #expect(try http("GET", port: port, "/v2/models/demo/versions/1.0.0").status == 200)
        #expect(try http("GET", port: port, "/v2/models/demo/versions/9.9.9").status == 404)
        #expect(try http("GET", port: port, "/v2/models/demo/ready").status == 200)
        #expect(try http("GET", port: port, "/v2/models/demo/versions/1.0.0/ready").status == 200)
        #expect(try http("GET", port: port, "/v2/models/nope/ready").status == 404)
        #expect(try http("GET", port: port, "/v1/models").text == #"{"models":["demo"]}"#)
        #expect(try http("GET", port: port, "/v1/models/demo").status == 200)

        // v2 infer: JSON, with and without a version, and binary.
        let request: [String: Any] = [
            "id": "a1",
            "inputs": [
                ["name": "x", "datatype": "FP64", "shape": [2], "data": [1.0, 4.0]],
                ["name": "kind", "datatype": "BYTES", "shape": [2], "data": ["a", "b"]],
            ],
        ]
        for path in ["/v2/models/demo/infer", "/v2/models/demo/versions/1.0.0/infer"] {
            let answer = try http("POST", port: port, path, json: request)
            #expect(answer.status == 200 && answer.headers["x-model-version"] == "1.0.0", "\(answer.text)")
            let outputs = (try answer.json() as? [String: Any])?["outputs"] as? [[String: Any]]
            #expect(outputs?.first?["data"] as? [Int] == [0, 1] && outputs?.first?["shape"] as? [Int] == [2])
            #expect((try answer.json() as? [String: Any])?["id"] as? String == "a1")
        }
        var binary = Data()
        for value in [1.0, 4.0] { withUnsafeBytes(of: value.bitPattern.littleEndian) { binary.append(contentsOf: $0) } }
        for text in ["a", "b"] {
            binary.append(contentsOf: [1, 0, 0, 0])
            binary.append(contentsOf: text.utf8)
        }
        let header = try JSONSerialization.data(withJSONObject: [
            "inputs": [
                ["name": "x", "datatype": "FP64", "shape": [2], "parameters": ["binary_data_size": 16]],
                ["name": "kind", "datatype": "BYTES", "shape": [2], "parameters": ["binary_data_size": 10]],
            ], "outputs": [["name": "label", "parameters": ["binary_data": true]]],
        ])
        let binaryAnswer = try http(
            "POST", port: port, "/v2/models/demo/infer",
            headers: ["Inference-Header-Content-Length": String(header.count)], body: header + binary)
        #expect(binaryAnswer.status == 200, "\(binaryAnswer.text)")
        let length = try #require(binaryAnswer.headers["inference-header-content-length"].flatMap { Int($0) })
        #expect(binaryAnswer.body.count == length + 16 && [UInt8](binaryAnswer.body.suffix(16)) == [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])

        // v1 predict.
        let predicted = try http("POST", port: port, "/v1/models/demo:predict", body: predictBody([["x": 4, "kind": "a"]]))
        #expect(predicted.status == 200 && withoutPredictionIDs(predicted.text) == #"{"predictions":[{"label":1}]}"#, "\(predicted.text)")
        #expect(predicted.headers["x-model-version"] == "1.0.0")

        // Bad input: every bad field named (422 v1, 400 v2), bad JSON 400, too large 413, unknown 404.
        let bad = try http("POST", port: port, "/v1/models/demo:predict", body: predictBody([["x": -1, "kind": "c", "extra": 1], ["kind": "a"]]))
        #expect(bad.status == 422, "\(bad.text)")
        let fields = ((try bad.json() as? [String: Any])?["problems"] as? [[String: String]])?.compactMap { $0["field"] } ?? []
        #expect(Set(fields) == ["instances[0].x", "instances[0].kind", "instances[0].extra", "instances[1].x"], "\(fields)")
        let mistyped = try http("POST", port: port, "/v1/models/demo:predict", body: predictBody([["x": "four", "kind": true]]))
        #expect(mistyped.status == 422 && mistyped.text.contains("expected a double") && mistyped.text.contains("expected a string"), "\(mistyped.text)")
        // Without --admin-token the admin API is off.
        #expect(try http("GET", port: port, "/admin/models", headers: ["Authorization": "Bearer anything"]).status == 403)
        let badV2 = try http("POST", port: port, "/v2/models/demo/infer", json: ["inputs": [["name": "x", "datatype": "BYTES", "shape": [1], "data": ["1"]]]])
        #expect(badV2.status == 400 && badV2.text.contains("\"error\""), "\(badV2.text)")
        let badV2Fields = ((try badV2.json() as? [String: Any])?["problems"] as? [[String: String]])?.compactMap { $0["field"] } ?? []
        #expect(Set(badV2Fields) == ["x", "kind"], "\(badV2.text)")
        // An array where a number belongs is the wrong type, not a missing field.
        let nested = try http("POST", port: port, "/v1/models/demo:predict", body: predictBody([["x": [1], "kind": "a"]]))
        #expect(nested.status == 422 && nested.text.contains("expected a double, got an array"), "\(nested.text)")
        // Numbers and shapes that overflow: refused, and the server lives on.
        for hostile in [
            #"{"inputs":[{"name":"x","datatype":"FP64","shape":[999999999,999999999,999999999],"data":[1]}]}"#,
            #"{"inputs":[{"name":"x","datatype":"FP64","shape":[1],"parameters":{"binary_data_size":1e300}}]}"#,
            #"{"id":1e300,"inputs":[{"name":"x","datatype":"FP64","shape":[1],"data":[1e400]},{"name":"kind","datatype":"BYTES","shape":[1],"data":["a"]}]}"#,
        ] {
            let answer = try http("POST", port: port, "/v2/models/demo/infer", body: Data(hostile.utf8))
            #expect(answer.status == 400 && answer.text.hasPrefix("{\"error\""), "\(hostile): \(answer.status) \(answer.text)")
        }
        #expect(try http("GET", port: port, "/v2/health/live").status == 200)
        let outOfRange = try http(
            "POST", port: port, "/v2/models/demo/infer",
            json: [
                "inputs": [
                    ["name": "x", "datatype": "FP64", "shape": [1], "data": [-5]], ["name": "kind", "datatype": "BYTES", "shape": [1], "data": ["z"]],
                ]
            ])
        #expect(outOfRange.status == 400 && outOfRange.text.contains("x[0]") && outOfRange.text.contains("kind[0]"), "\(outOfRange.text)")
        for garbage in ["{", "[1,2]", "null", "{\"instances\": 3}", "{\"instances\": []}", "\u{00}\u{ff}"] {
            let answer = try http("POST", port: port, "/v1/models/demo:predict", body: Data(garbage.utf8))
            #expect(answer.status == 400 && answer.text.hasPrefix("{\"error\""), "\(garbage): \(answer.status) \(answer.text)")
        }
        // An empty body is named as one; a header length that is not a number is named with what it said.
        let emptyV2 = try http("POST", port: port, "/v2/models/demo/infer", body: Data())
        #expect(emptyV2.status == 400 && emptyV2.text.contains("the request body is empty") && !emptyV2.text.contains("raw binary"), "\(emptyV2.text)")
        let emptyV1 = try http("POST", port: port, "/v1/models/demo:predict", body: Data())
        #expect(emptyV1.status == 400 && emptyV1.text.contains("the request body is empty"), "\(emptyV1.text)")
        for length in ["abc", "-5"] {
            let answer = try http(
                "POST", port: port, "/v2/models/demo/infer", headers: ["Inference-Header-Content-Length": length],
                body: Data(#"{"inputs": []}"#.utf8))
            #expect(answer.status == 400 && answer.text.contains("Inference-Header-Content-Length is '\(length)'"), "\(length): \(answer.text)")
        }
        // Requests HTTP itself refuses (whether the parser stops at the head or in a chunked
        // body): 400 with {"error": …} as every other error, and the server lives on.
        let bigHeader = String(repeating: "a", count: 100 * 1024)
        for (raw, expected) in [
            (
                "POST /v1/models/demo:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "both Content-Length and Transfer-Encoding"
            ),
            (
                "POST /v1/models/demo:predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
                "both Content-Length and Transfer-Encoding"
            ),
            ("POST /v1/models/demo:predict HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", "its Content-Length is not a number of bytes"),
            ("GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Bad: a\u{0}b\r\n\r\n", "a header has a character HTTP does not allow"),
            ("GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Big: \(bigHeader)\r\n\r\n", "headers are larger than the server takes"),
            (
                "POST /v1/models/demo:predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
                "a chunk of its chunked body has no valid size"
            ),
        ] {
            let connection = try HTTPConnection(port: port)
            try connection.send(raw: Data(raw.utf8))
            let answer = try connection.receive(method: "GET")
            let error = (try? answer.json() as? [String: Any])?["error"] as? String
            #expect(
                answer.status == 400 && answer.headers["content-type"] == "application/json" && error?.contains(expected) == true,
                "\(raw.prefix(70)): \(answer.status) \(answer.headers) \(answer.text)")
        }
        #expect(try http("GET", port: port, "/v2/health/live").status == 200)
        // A client that hangs up in the middle of its body: status 499, no error (neither in
        // mf_request_errors_total nor as a 500), logged below error level.
        let errorsSeries = #"mf_request_errors_total{model="demo",version="1.0.0",api="v1"}"#
        let abandonedSeries = #"mf_requests_total{model="demo",version="1.0.0",api="v1",status="499"}"#
        let errorsBefore = metricValue(try http("GET", port: port, "/metrics").text, errorsSeries) ?? 0
        do {
            let quitter = try HTTPConnection(port: port)
            // Bytes sent before the close reach the server before the close does.
            try quitter.send(raw: Data("POST /v1/models/demo:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"instances\": [".utf8))
            quitter.close()
        }
        // Polled with a deadline; each look is a request of its own, which is the wait.
        var afterAbort = try http("GET", port: port, "/metrics").text
        let abandonDeadline = Date().addingTimeInterval(10)
        while metricValue(afterAbort, abandonedSeries) == nil, Date() < abandonDeadline {
            afterAbort = try http("GET", port: port, "/metrics").text
        }
        #expect(metricValue(afterAbort, abandonedSeries) == 1, "\(afterAbort)")
        #expect(!afterAbort.contains(#"status="500""#), "\(afterAbort)")
        #expect(metricValue(afterAbort, errorsSeries) ?? 0 == errorsBefore, "\(afterAbort)")
        let abandonedLines = server.log.split(separator: "\n").filter { $0.contains("(499)") }
        #expect(abandonedLines.count == 1 && abandonedLines.allSatisfy { $0.contains(" info ") }, "\(server.log)")
        #expect(!server.log.contains("request failed"), "\(server.log)")

        let huge = try http("POST", port: port, "/v1/models/demo:predict", body: predictBody(Array(repeating: ["x": 1, "kind": "a"], count: 500)))
        #expect(huge.status == 413, "\(huge.status)")
        #expect(try http("POST", port: port, "/v1/models/nope:predict", body: predictBody([["x": 1]])).status == 404)
        let unknownRoute = try http("GET", port: port, "/v3/whatever")
        #expect(unknownRoute.status == 404 && unknownRoute.text.hasPrefix("{\"error\""))

        // A hung worker: 504, the worker is replaced, the next request is answered.
        let hung = try http("POST", port: port, "/v1/models/demo:predict", body: predictBody([["x": 777, "kind": "a"]]))
        #expect(hung.status == 504, "\(hung.status) \(hung.text)")
        #expect(try http("POST", port: port, "/v1/models/demo:predict", body: predictBody([["x": 1, "kind": "a"]])).status == 200)

        // A worker killed mid-request: the request is answered by its replacement. (The hung
        // worker's replacement starts after its 504 is answered: wait for it.)
        _ = pollUntil(seconds: 30) { server.workers.count == 2 }
        let before = server.workers
        #expect(before.count == 2, "\(before)")
        nonisolated(unsafe) var slow: HTTPAnswer?
        let done = DispatchSemaphore(value: 0)
        let callsBefore = try workerCalls(port: port)
        DispatchQueue.global().async {
            slow = try? http("POST", port: port, "/v1/models/demo:predict", body: predictBody([["x": 555, "kind": "a"]]))
            done.signal()
        }
        // Killed once a worker call carries it (the model takes 1.5 s over it).
        #expect(try pollUntil(seconds: 20) { try workerCalls(port: port) > callsBefore }, "the slow request never reached a worker")
        for pid in before { kill(pid, SIGKILL) }
        done.wait()
        #expect(
            slow?.status == 200 && slow.map { withoutPredictionIDs($0.text) } == #"{"predictions":[{"label":1}]}"#, "\(slow?.status ?? 0) \(slow?.text ?? "")")
        #expect(try http("POST", port: port, "/v1/models/demo:predict", body: predictBody([["x": 3, "kind": "b"]])).status == 200)

        // Metrics: requests by status, latency, input-check failures by field, worker restarts.
        let metrics = try http("GET", port: port, "/metrics").text
        for line in [
            #"mf_requests_total{model="demo",version="1.0.0",api="v1",status="200"}"#, #"status="422""#, #"status="504""#,
            "mf_request_duration_seconds_bucket", #"mf_input_check_failures_total{model="demo",field="kind"}"#,
            #"mf_input_check_failures_total{model="demo",field="_unknown"}"#,
            #"mf_request_errors_total{model="demo",version="1.0.0",api="v1"}"#,
            #"mf_worker_restarts_total{model="demo",version="1.0.0"}"#, "mf_batch_size_bucket",
        ] {
            #expect(metrics.contains(line), "\(line) missing from /metrics")
        }

        // SIGTERM: the request in flight is answered, then the server and its workers end.
        nonisolated(unsafe) var last: HTTPAnswer?
        let callsBeforeLast = try workerCalls(port: port)
        DispatchQueue.global().async {
            last = try? http("POST", port: port, "/v1/models/demo:predict", body: predictBody([["x": 555, "kind": "b"]]))
            done.signal()
        }
        #expect(try pollUntil(seconds: 20) { try workerCalls(port: port) > callsBeforeLast }, "the last request never reached a worker")
        let workers = server.workers
        #expect(server.stop() == 0, "\(server.log.suffix(4000))")
        done.wait()
        #expect(last?.status == 200, "\(last?.status ?? 0)")
        // The workers end with the server (looked at until a deadline: they are reaped by then).
        #expect(pollUntil(seconds: 10) { workers.allSatisfy { kill($0, 0) != 0 } }, "workers outlived the server: \(workers.filter { kill($0, 0) == 0 })")
    }

    /// Weighted A/B sticky on a header, shadow copies that never answer, and the admin API.
    @Test(.timeLimit(.minutes(5)))
    func abShadowAndAdmin() throws {
        let fixture = try servedModel()
        let home = TemporaryDirectory("home")
        let paths = try bundled(fixture, ["v1.0.0", "v1.1.0"], home: home)
        let server = try ServerProcess(
            paths + [
                "--home", home.path, "--workers", "1", "--ab", "demo=1.0.0:50,1.1.0:50", "--sticky-header", "X-Customer",
                "--admin-token", "s3cret",
            ])
        let port = server.port
        let body = predictBody([["x": 1, "kind": "a"]])
        var seen: [String: Set<String>] = [:]
        for customer in 0..<20 {
            for _ in 0..<3 {
                let answer = try http("POST", port: port, "/v1/models/demo:predict", headers: ["X-Customer": "c\(customer)"], body: body)
                #expect(answer.status == 200)
                seen["c\(customer)", default: []].insert(answer.headers["x-model-version"] ?? "?")
            }
        }
        #expect(seen.values.allSatisfy { $0.count == 1 }, "a customer saw two versions: \(seen)")
        #expect(Set(seen.values.flatMap { $0 }) == ["1.0.0", "1.1.0"], "\(seen)")
        // The same under load: four clients at once, every answer 200, every customer still on one version.
        final class Seen: @unchecked Sendable {
            let lock = NSLock()
            var versions: [String: Set<String>] = [:]
            var statuses: [Int: Int] = [:]
        }
        let underLoad = Seen()
        DispatchQueue.concurrentPerform(iterations: 4) { client in
            guard let connection = try? HTTPConnection(port: port) else { return }
            for round in 0..<40 {
                let customer = "c\((client * 40 + round) % 20)"
                let answer = try? connection.send("POST", "/v1/models/demo:predict", headers: ["X-Customer": customer], body: body)
                underLoad.lock.withLock {
                    underLoad.statuses[answer?.status ?? -1, default: 0] += 1
                    underLoad.versions[customer, default: []].insert(answer?.headers["x-model-version"] ?? "?")
                }
            }
        }
        #expect(underLoad.statuses == [200: 160], "\(underLoad.statuses)")
        #expect(underLoad.versions.allSatisfy { seen[$0.key] == $0.value }, "customers moved under load: \(underLoad.versions) against \(seen)")
        // A version asked for is the version served.
        #expect(
            try http(
                "POST", port: port, "/v2/models/demo/versions/1.0.0/infer",
                json: [
                    "inputs": [
                        ["name": "x", "datatype": "FP64", "shape": [1], "data": [1]], ["name": "kind", "datatype": "BYTES", "shape": [1], "data": ["a"]],
                    ]
                ]
            ).headers["x-model-version"] == "1.0.0")

        // The admin API needs the token, under the Bearer scheme in any case (RFC 9110); a 401
        // says which scheme it wants.
        for refused in [try http("GET", port: port, "/admin/models"), try http("GET", port: port, "/admin/models", headers: ["Authorization": "Bearer wrong"])]
        {
            #expect(
                refused.status == 401 && refused.headers["www-authenticate"] == "Bearer" && refused.text.hasPrefix("{\"error\""),
                "\(refused.status) \(refused.headers) \(refused.text)")
        }
        for scheme in ["bearer", "BEARER", "Bearer "] {
            #expect(try http("GET", port: port, "/admin/models", headers: ["Authorization": "\(scheme) s3cret"]).status == 200, "\(scheme)")
        }
        let auth = ["Authorization": "Bearer s3cret"]
        // A fractional weight is named as one, not as bad JSON.
        let fractional = try http("PUT", port: port, "/admin/models/demo/traffic", json: ["weights": ["1.0.0": 87.5, "1.1.0": 12.5]], headers: auth)
        #expect(
            fractional.status == 400 && fractional.text.contains("the weight of 1.1.0 is 12.5; a weight is a whole number")
                && !fractional.text.contains("JSON"), "\(fractional.text)")
        let models = try #require(try http("GET", port: port, "/admin/models", headers: auth).json() as? [[String: Any]])
        #expect((models.first?["versions"] as? [Any])?.count == 2)
        // Shadow: every request answered by 1.0.0, a copy to 1.1.0 compared and counted.
        let policy = try http("PUT", port: port, "/admin/models/demo/traffic", json: ["weights": [String: Int](), "shadow": "1.1.0"], headers: auth)
        #expect(policy.status == 200, "\(policy.text)")
        #expect(try http("PUT", port: port, "/admin/models/demo/traffic", json: ["weights": ["9.9.9": 1]], headers: auth).status == 404)
        // Weights whose sum would overflow are refused, and the server lives on.
        #expect(
            try http("PUT", port: port, "/admin/models/demo/traffic", json: ["weights": ["1.0.0": Int.max, "1.1.0": Int.max]], headers: auth).status == 400)
        #expect(try http("POST", port: port, "/admin/models/demo/versions/1.0.0/promote", headers: auth).status == 200)
        for _ in 0..<10 {
            let answer = try http("POST", port: port, "/v1/models/demo:predict", body: body)
            #expect(answer.status == 200 && answer.headers["x-model-version"] == "1.0.0")
        }
        let agreedSeries = #"mf_shadow_comparisons_total{model="demo",primary="1.0.0",candidate="1.1.0",agreed="true"}"#
        var metrics = try http("GET", port: port, "/metrics").text
        _ = try pollUntil(seconds: 20) {
            metrics = try http("GET", port: port, "/metrics").text
            return metricValue(metrics, agreedSeries) == 10
        }
        #expect(metrics.contains(agreedSeries), "\(metrics)")
        #expect(!metrics.contains(#"agreed="false""#), "\(metrics)")
        // A candidate that answers otherwise (1.1.0 says 0 for x == 3): the client still gets
        // 1.0.0's answer, and the disagreement is counted.
        for _ in 0..<5 {
            let answer = try http("POST", port: port, "/v1/models/demo:predict", body: predictBody([["x": 3, "kind": "a"]]))
            #expect(
                answer.status == 200 && withoutPredictionIDs(answer.text) == #"{"predictions":[{"label":1}]}"# && answer.headers["x-model-version"] == "1.0.0",
                "\(answer.text)")
        }
        #expect(
            try http(
                "POST", port: port, "/v2/models/demo/versions/1.1.0/infer",
                json: [
                    "inputs": [
                        ["name": "x", "datatype": "FP64", "shape": [1], "data": [3]], ["name": "kind", "datatype": "BYTES", "shape": [1], "data": ["a"]],
                    ]
                ]
            ).text.contains(#""data":[0]"#), "the candidate should disagree")
        let disagreedSeries = #"mf_shadow_comparisons_total{model="demo",primary="1.0.0",candidate="1.1.0",agreed="false"}"#
        var afterDisagreeing = try http("GET", port: port, "/metrics").text
        _ = try pollUntil(seconds: 20) {
            afterDisagreeing = try http("GET", port: port, "/metrics").text
            return metricValue(afterDisagreeing, disagreedSeries) == 5
        }
        #expect(
            afterDisagreeing.contains(#"mf_shadow_comparisons_total{model="demo",primary="1.0.0",candidate="1.1.0",agreed="false"} 5"#), "\(afterDisagreeing)")
        #expect(afterDisagreeing.contains(#"mf_shadow_duration_seconds_count{model="demo",candidate="1.1.0"}"#))
        // A request routed to a version that is then unloaded is still answered by it: the head
        // arrives (the handler routes it), the version is unloaded (which waits for it), then
        // the body arrives.
        let v2Body = try JSONSerialization.data(withJSONObject: [
            "inputs": [
                ["name": "x", "datatype": "FP64", "shape": [1], "data": [1]], ["name": "kind", "datatype": "BYTES", "shape": [1], "data": ["a"]],
            ]
        ])
        let slowClient = try HTTPConnection(port: port)
        try slowClient.send(raw: Data("POST /v2/models/demo/versions/1.1.0/infer HTTP/1.1\r\nHost: x\r\nContent-Length: \(v2Body.count)\r\n\r\n".utf8))
        let inFlightSeries = #"mf_requests_in_flight{model="demo",version="1.1.0"}"#
        #expect(try pollUntil(seconds: 20) { metricValue(try http("GET", port: port, "/metrics").text, inFlightSeries) == 1 }, "the head was never routed")
        nonisolated(unsafe) var unloaded: HTTPAnswer?
        let unloading = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            unloaded = try? http("DELETE", port: port, "/admin/models/demo/versions/1.1.0", headers: auth)
            unloading.signal()
        }
        // Once 1.1.0 has left the routing table (the unload waits for the request), the body.
        #expect(try pollUntil(seconds: 20) { try http("GET", port: port, "/v2/models/demo/versions/1.1.0").status == 404 }, "1.1.0 was never unloaded")
        try slowClient.send(raw: v2Body)
        let late = try slowClient.receive()
        unloading.wait()
        #expect(late.status == 200 && late.headers["x-model-version"] == "1.1.0", "\(late.status) \(late.text)")
        #expect(unloaded?.status == 200)
        #expect(try http("GET", port: port, "/v2/models/demo/versions/1.1.0").status == 404)
        // Loaded again through the admin API: started and warmed, then current.
        let loaded = try http("POST", port: port, "/admin/bundles", json: ["path": paths[1], "current": true], headers: auth)
        #expect(loaded.status == 200 && loaded.text.contains("1.1.0"), "\(loaded.text)")
        #expect(try http("POST", port: port, "/v1/models/demo:predict", body: body).headers["x-model-version"] == "1.1.0")
        #expect(try http("POST", port: port, "/admin/bundles", json: ["path": "/nowhere"], headers: auth).status >= 400)
        // An A/B split whose current version is unloaded: the version left takes all the traffic,
        // as current, and the policy names no version that is gone.
        #expect(try http("PUT", port: port, "/admin/models/demo/traffic", json: ["weights": ["1.0.0": 90, "1.1.0": 10]], headers: auth).status == 200)
        #expect(try http("POST", port: port, "/admin/models/demo/versions/1.0.0/promote", headers: auth).status == 200)
        let dropped = try http("DELETE", port: port, "/admin/models/demo/versions/1.0.0", headers: auth)
        let droppedAnswer = try dropped.json() as? [String: Any]
        #expect(dropped.status == 200 && droppedAnswer?["current"] as? String == "1.1.0", "\(dropped.text)")
        #expect((droppedAnswer?["policy"] as? [String: Any])?["weights"] as? [String: Int] == [:], "\(dropped.text)")
        let listed = try #require(try http("GET", port: port, "/admin/models", headers: auth).json() as? [[String: Any]]).first
        #expect(
            listed?["current"] as? String == "1.1.0" && (listed?["policy"] as? [String: Any])?["weights"] as? [String: Int] == [:],
            "\(String(describing: listed))")
        for _ in 0..<5 {
            #expect(try http("POST", port: port, "/v1/models/demo:predict", body: body).headers["x-model-version"] == "1.1.0")
        }
        #expect(server.stop() == 0, "\(server.log.suffix(4000))")
    }

    /// Adaptive batching, bad requests in a batch, and readiness: concurrent requests share worker
    /// calls; a request that kills its worker, makes the model raise or hangs fails alone while
    /// those batched with it are answered; a version whose workers died and cannot start again is
    /// not ready (503), and is ready again, with no request sent, once a worker can start.
    @Test(.timeLimit(.minutes(5)))
    func batchingPoisonAndReadiness() throws {
        let fixture = try servedModel()
        let home = TemporaryDirectory("home")
        let paths = try bundled(fixture, ["v1.0.0"], home: home)
        let flag = home.appending("broken")
        let server = try ServerProcess(
            paths + ["--home", home.path, "--workers", "1", "--batch-wait-ms", "300", "--timeout", "2"], environment: ["DEMO_BROKEN": flag])
        let port = server.port
        /// Sends every body on a connection of its own before reading any answer.
        func together(_ xs: [Int]) throws -> [HTTPAnswer] {
            let connections = try xs.map { _ in try HTTPConnection(port: port) }
            for (connection, x) in zip(connections, xs) {
                let body = predictBody([["x": x, "kind": "a"]])
                try connection.send(raw: Data("POST /v1/models/demo:predict HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
            }
            return try connections.map { try $0.receive() }
        }
        func batches() throws -> (calls: Int, instances: Int) {
            let text = try http("GET", port: port, "/metrics").text
            func value(_ name: String) -> Int {
                let line = text.split(separator: "\n").first { $0.hasPrefix(#"\#(name){model="demo",version="1.0.0"}"#) }
                return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) } ?? 0
            }
            return (value("mf_batch_size_count"), value("mf_batch_size_sum"))
        }

        let before = try batches()
        let answers = try together(Array(0..<8))
        #expect(answers.map(\.status) == Array(repeating: 200, count: 8), "\(answers.map(\.text))")
        #expect(answers.map { withoutPredictionIDs($0.text) } == (0..<8).map { #"{"predictions":[{"label":\#($0 > 2 ? 1 : 0)}]}"# })
        let after = try batches()
        #expect(after.instances - before.instances == 8)
        #expect(after.calls - before.calls <= 4, "8 concurrent requests took \(after.calls - before.calls) worker calls")

        // x == 666 kills the worker that gets it; the three sent with it are answered.
        let poisoned = try together([1, 666, 4, 2])
        #expect(poisoned[1].status == 503, "\(poisoned[1].status) \(poisoned[1].text)")
        #expect([0, 2, 3].map { poisoned[$0].status } == [200, 200, 200], "\(poisoned.map(\.text))")
        #expect(
            [0, 2, 3].map { withoutPredictionIDs(poisoned[$0].text) } == [
                #"{"predictions":[{"label":0}]}"#, #"{"predictions":[{"label":1}]}"#, #"{"predictions":[{"label":0}]}"#,
            ])

        // x == 444 makes the model raise: that request fails (500), the two batched with it do not.
        let raising = try together([1, 444, 4])
        #expect(raising.map(\.status) == [200, 500, 200], "\(raising.map(\.text))")
        #expect(raising[1].text.contains("444 is refused"), "\(raising[1].text)")

        // x == 777 hangs: after the time limit the three are tried alone, and only it answers 504.
        let hanging = try together([1, 777, 4])
        #expect(hanging.map(\.status) == [200, 504, 200], "\(hanging.map(\.text))")

        // Workers that die while idle and cannot start again: not ready. (First the worker that
        // replaces the hung one is up: while it starts, no worker is alive.)
        _ = try pollUntil(seconds: 20) { try http("GET", port: port, "/v2/health/ready").status == 200 }
        #expect(try http("GET", port: port, "/v2/health/ready").status == 200)
        #expect(FileManager.default.createFile(atPath: flag, contents: Data()))
        for pid in server.workers { kill(pid, SIGKILL) }
        var ready = try http("GET", port: port, "/v2/health/ready")
        _ = try pollUntil(seconds: 20) {
            ready = try http("GET", port: port, "/v2/health/ready")
            return ready.status != 200
        }
        #expect(ready.status == 503 && ready.text == #"{"ready":false}"#, "\(ready.status) \(ready.text)")
        #expect(try http("GET", port: port, "/v2/models/demo/ready").text.contains(#""ready":false"#))
        #expect(try http("POST", port: port, "/v1/models/demo:predict", body: predictBody([["x": 1, "kind": "a"]])).status == 503)
        // Once a worker can start, the version is ready again without a request to wake it.
        try FileManager.default.removeItem(atPath: flag)
        _ = try pollUntil(seconds: 20) {
            ready = try http("GET", port: port, "/v2/health/ready")
            return ready.status == 200
        }
        #expect(ready.status == 200, "\(ready.status) \(ready.text)")
        #expect(try http("POST", port: port, "/v1/models/demo:predict", body: predictBody([["x": 4, "kind": "a"]])).status == 200)
        #expect(server.stop() == 0, "\(server.log.suffix(4000))")
    }

    /// A worker that answers `predict` in the wrong shape is named with the method and the
    /// shape expected: as the warm-up's failure when the server starts, and as a 500 for the
    /// request once it serves (the worker stays, so the next request is answered).
    @Test(.timeLimit(.minutes(3)))
    func aWrongPredictShapeIsNamed() throws {
        let fixture = try GitFixture("shapes")
        try fixture.directory.write(
            "repo/worker.py",
            """
            import json, os, sys
            for line in sys.stdin:
                request = json.loads(line)
                method, params = request["method"], request.get("params", {})
                result = None
                if method in ("train", "evaluate"): result = {"metrics": {"auc": 1.0}}
                elif method == "predict":
                    xs = [i["x"] for i in params["instances"]]
                    result = {"predictions": [{"label": int(x > 2)} for x in xs]}
                    if 9 in xs or os.environ.get("SHAPES_WRONG"): result["predictions"].append({"label": 1})
                    if 8 in xs: result = {"predictions": [0.5 for x in xs]}
                elif method != "shutdown": result = {}
                print(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result}), flush=True)
                if method == "shutdown": break
            """)
        try fixture.directory.write("repo/data.csv", "x,y\n1,0\n4,1\n")
        try fixture.directory.write(
            "repo/model.yaml",
            """
            name: demo
            runtime: command
            run: [python3, -u, worker.py]
            train: { data: data.csv }
            evaluate: { data: data.csv }
            schema: { inputs: [{ name: x, type: double }], outputs: [{ name: label, type: int }] }
            gates: { auc: ">= 0.9" }
            examples: [{ x: 1 }]
            """)
        try fixture.git(["add", "-A"])
        try fixture.git(["commit", "-q", "-m", "model"])
        try fixture.git(["tag", "-a", "-m", "release", "v1.0.0"])
        let home = TemporaryDirectory("home")
        let path = try #require(try bundled(fixture, ["v1.0.0"], home: home).first)
        let expected =
            #"demo 1.0.0: the worker's answer to 'predict' has 2 predictions for 1 instance; expected {"predictions": [one object per instance, in order]} for 1 instance"#

        expectOneLineError(
            try mf(["serve", path, "--port", "0", "--workers", "1", "--home", home.path], environment: ["SHAPES_WRONG": "1"]), containing: expected)

        let server = try ServerProcess([path, "--workers", "1", "--home", home.path])
        func error(_ answer: HTTPAnswer) -> String { ((try? answer.json()) as? [String: Any])?["error"] as? String ?? answer.text }
        let wrong = try http("POST", port: server.port, "/v1/models/demo:predict", body: predictBody([["x": 9]]))
        #expect(wrong.status == 500 && error(wrong) == expected, "\(wrong.status) \(wrong.text)")
        let objects = try http("POST", port: server.port, "/v1/models/demo:predict", body: predictBody([["x": 8]]))
        #expect(objects.status == 500 && error(objects).contains("'predict' has predictions[0]: 0.5, not an object"), "\(objects.text)")
        let right = try http("POST", port: server.port, "/v1/models/demo:predict", body: predictBody([["x": 4]]))
        #expect(right.status == 200 && withoutPredictionIDs(right.text) == #"{"predictions":[{"label":1}]}"#, "\(right.text)")
        #expect(server.stop() == 0, "\(server.log.suffix(4000))")
    }

    /// An A/B test declared in git: a commit of `.mf/traffic.yaml` on the production line starts
    /// it under `--follow` once reconciled (the reconciler records it in the store, which is all
    /// the server reads), a commit removing it ends it (the extra version drains).
    @Test(.timeLimit(.minutes(3)))
    func trafficDeclaredInGitIsApplied() throws {
        let fixture = try servedModel()
        let home = TemporaryDirectory("home")
        #expect(try mf(["reconcile", "--repo", fixture.path, "--home", home.path]).status == 0)
        let server = try ServerProcess(["--follow", "production", "--repo", fixture.path, "--home", home.path, "--workers", "1"])
        let port = server.port
        func versions() throws -> [String: String] {
            var seen: [String: String] = [:]
            for customer in 0..<30 {
                let answer = try http(
                    "POST", port: port, "/v1/models/demo:predict", headers: ["X-Customer": "c\(customer)"],
                    body: predictBody([["x": 1, "kind": "a"]]))
                seen["c\(customer)"] = answer.headers["x-model-version"] ?? "\(answer.status)"
            }
            return seen
        }
        #expect(Set(try versions().values) == ["1.1.0"])
        try fixture.directory.write("repo/.mf/traffic.yaml", "demo:\n  weights: { \"1.0.0\": 50, \"1.1.0\": 50 }\n  sticky_header: X-Customer\n")
        try fixture.git(["add", "-A"])
        try fixture.git(["commit", "-q", "-m", "A/B test 1.0.0 against 1.1.0"])
        #expect(try mf(["reconcile", "--repo", fixture.path, "--home", home.path]).status == 0)
        var seen: [String: String] = [:]
        _ = try pollUntil(seconds: 30) {
            seen = try versions()
            return Set(seen.values) == ["1.0.0", "1.1.0"]
        }
        #expect(Set(seen.values) == ["1.0.0", "1.1.0"], "\(seen)")
        // (That pass may have straddled the moment the policy was set; from now on it holds.)
        let settled = try versions()
        #expect(try versions() == settled, "sticky customers moved")

        try fixture.git(["rm", "-q", ".mf/traffic.yaml"])
        try fixture.git(["commit", "-q", "-m", "end the A/B test"])
        #expect(try mf(["reconcile", "--repo", fixture.path, "--home", home.path]).status == 0)
        _ = try pollUntil(seconds: 30) {
            (try http("GET", port: port, "/v2/models/demo").json() as? [String: Any])?["versions"] as? [String] == ["1.1.0"]
        }
        #expect(Set(try versions().values) == ["1.1.0"])
        #expect((try http("GET", port: port, "/v2/models/demo").json() as? [String: Any])?["versions"] as? [String] == ["1.1.0"])
        #expect(server.stop() == 0, "\(server.log.suffix(4000))")
        // The log names each policy in the file's own terms, not Swift's.
        let log = server.log
        #expect(log.contains("traffic for demo as .mf/traffic.yaml declares: weights {1.0.0: 50, 1.1.0: 50}, sticky header X-Customer, shadow none"), "\(log)")
        #expect(log.contains("traffic for demo as .mf/traffic.yaml declares: weights none, shadow none"), "\(log)")
    }

    /// The bundle's Dockerfile runs `mf serve` with arguments that work: its CMD, with the bundle's
    /// folder for /bundle and a free port, serves both APIs.
    @Test(.timeLimit(.minutes(3)))
    func theDockerfileCommandServes() throws {
        let fixture = try servedModel()
        let home = TemporaryDirectory("home")
        let path = try #require(try bundled(fixture, ["v1.0.0"], home: home).first)
        let dockerfile = try String(contentsOfFile: path + "/Dockerfile", encoding: .utf8)
        let line = try #require(dockerfile.split(separator: "\n").first { $0.hasPrefix("CMD ") })
        let command = try #require(try JSONSerialization.jsonObject(with: Data(line.dropFirst(4).utf8)) as? [String])
        #expect(command.prefix(2) == ["mf", "serve"] && command.contains("--python"), "\(command)")
        // The image has the libraries mf links, and the build's Python minor version (the lock's
        // hashes are of wheels for it).
        let python = try runProcess("/usr/bin/env", ["python3", "-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"]).stdout
        #expect(dockerfile.contains("FROM python:\(python.trimmingCharacters(in: .whitespacesAndNewlines))-slim-bookworm"), "\(dockerfile)")
        #expect(dockerfile.contains("libgit2-1.5 libsqlite3-0 zlib1g libcurl4"), "\(dockerfile)")
        var arguments = Array(command.dropFirst(2)).map { $0 == "/bundle" ? path : $0 }
        if let index = arguments.firstIndex(of: "--port") { arguments.removeSubrange(index...index + 1) }
        if let index = arguments.firstIndex(of: "--host") { arguments.removeSubrange(index...index + 1) }
        let server = try ServerProcess(arguments + ["--home", home.path])
        #expect(try http("POST", port: server.port, "/v1/models/demo:predict", body: predictBody([["x": 4, "kind": "a"]])).status == 200)
        #expect(try http("GET", port: server.port, "/v2/health/ready").status == 200)
        #expect(server.stop() == 0, "\(server.log.suffix(4000))")
    }

    /// `--follow production`: a release reconciled while a client sends requests without pause
    /// moves the traffic to the new version, and not one request fails.
    @Test(.timeLimit(.minutes(5)))
    func hotSwapUnderLoadFailsNothing() throws {
        let fixture = try servedModel()
        try fixture.git(["tag", "-d", "v1.1.0"])
        let home = TemporaryDirectory("home")
        #expect(try mf(["reconcile", "--repo", fixture.path, "--home", home.path]).status == 0)
        let server = try ServerProcess(["--follow", "production", "--repo", fixture.path, "--home", home.path, "--workers", "2"])
        let port = server.port

        final class Tally: @unchecked Sendable {
            let lock = NSLock()
            var statuses: [Int: Int] = [:]
            var versions: Set<String> = []
            var stop = false
        }
        let tally = Tally()
        let group = DispatchGroup()
        for client in 0..<2 {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                guard let connection = try? HTTPConnection(port: port) else { return }
                while !tally.lock.withLock({ tally.stop }) {
                    let answer = try? connection.send("POST", "/v1/models/demo:predict", body: predictBody([["x": Double(client), "kind": "a"]]))
                    tally.lock.withLock {
                        tally.statuses[answer?.status ?? -1, default: 0] += 1
                        if let version = answer?.headers["x-model-version"] { tally.versions.insert(version) }
                    }
                }
            }
        }
        // The clients are under way (a few answers each) before the release; and go on for a
        // few more answers once the new version serves.
        func answered() -> Int { tally.lock.withLock { tally.statuses.values.reduce(0, +) } }
        #expect(pollUntil(seconds: 20) { answered() >= 20 }, "the clients got no answers")
        try fixture.git(["tag", "-a", "-m", "release", "v1.1.0", "master"])
        #expect(try mf(["reconcile", "--repo", fixture.path, "--home", home.path]).status == 0)
        #expect(pollUntil(seconds: 60) { tally.lock.withLock { tally.versions.contains("1.1.0") } }, "1.1.0 never answered")
        let atSwap = answered()
        #expect(pollUntil(seconds: 20) { answered() >= max(atSwap + 20, 60) }, "the clients stopped getting answers after the swap")
        tally.lock.withLock { tally.stop = true }
        group.wait()
        let statuses = tally.lock.withLock { tally.statuses }
        #expect(tally.versions == ["1.0.0", "1.1.0"], "\(tally.versions)")
        #expect(statuses.keys.sorted() == [200], "answers by status: \(statuses)")
        #expect((statuses[200] ?? 0) > 50, "\(statuses)")
        // The old version was drained and unloaded.
        var metadata: [String: Any]?
        _ = try pollUntil(seconds: 20) {
            metadata = try http("GET", port: port, "/v2/models/demo").json() as? [String: Any]
            return metadata?["versions"] as? [String] == ["1.1.0"]
        }
        #expect(metadata?["versions"] as? [String] == ["1.1.0"], "\(String(describing: metadata))")
        #expect(server.stop() == 0, "\(server.log.suffix(4000))")
    }
}
