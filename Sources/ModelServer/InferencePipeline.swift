internal import Foundation
internal import HTTPTypes
internal import Hummingbird
internal import ModelKit
internal import NIOCore
internal import Synchronization

/// How one inference API reads a request and writes its answer; `InferencePipeline` does the
/// rest, the same for every API.
protocol InferenceCodec: Sendable {
    /// What the answer needs from the request besides the predictions (the outputs asked for…).
    associatedtype Call: Sendable

    /// The `api` label of the request metrics.
    var api: String { get }
    /// How the schema check names a bad field: `instances` gives `instances[0].x`; empty, `x[0]`.
    var fieldPrefix: String { get }
    /// The status of an answer whose instances do not fit the schema.
    var checkStatus: HTTPResponse.Status { get }

    /// The call and its instances (at least one), from the body and headers of a request routed
    /// to `model`: a `ServeError` naming what is wrong otherwise.
    func decode(_ body: Data, headers: HTTPFields, model: ModelVersion, metrics: ServerMetrics) throws(ServeError) -> (call: Call, instances: [JSONValue])

    /// The answer to `call`, one prediction per instance (with its id, `ids`), served by
    /// `version` of `model`.
    func answer(_ call: Call, predictions: [JSONValue], ids: [String], model: String, version: ModelVersion) throws(ServeError) -> Response
}

/// One request path for every inference API: route (A/B, sticky key, shadow) → read the body →
/// decode (the API's codec) → check the instances against the schema → batch (the version's
/// queue) → answer (the codec) → metrics, and a shadow copy to a candidate.
final class InferencePipeline: Sendable {
    let registry: ModelRegistry
    let maxBodyBytes: Int
    let maxShadowInFlight: Int
    /// Shadow copies sent and not answered yet.
    private let shadowsInFlight = Atomic(0)

    init(registry: ModelRegistry, maxBodyBytes: Int, maxShadowInFlight: Int) {
        self.registry = registry
        self.maxBodyBytes = maxBodyBytes
        self.maxShadowInFlight = maxShadowInFlight
    }

    var metrics: ServerMetrics { registry.metrics }

    /// Answers `request` for `model` (at `version` when the path names one) through `codec`.
    func answer<Codec: InferenceCodec>(_ request: Request, model name: String, version: String?, codec: Codec) async throws -> Response {
        let started = ContinuousClock.now
        let metrics = self.metrics
        let (primary, shadow) = try registry.route(name, version: version) { request.headers[HTTPField.Name($0) ?? .userAgent] }
        var status = 200
        var shadowed = false
        defer {
            primary.leave()
            if !shadowed { shadow?.leave() }
            metrics.request(model: name, version: primary.version, api: codec.api, status: status, duration: started.duration(to: .now))
        }
        do {
            let body = try await ModelServer.body(request, limit: maxBodyBytes)
            let (call, instances) = try codec.decode(body, headers: request.headers, model: primary, metrics: metrics)
            try check(instances, model: primary, prefix: codec.fieldPrefix, status: codec.checkStatus)
            let (predictions, answering) = try await predictRetryingRollout(instances, on: primary, model: name)
            answering.drift?.observe(instances)
            if let shadow {
                shadowed = true
                self.shadow(instances, primary: primary, answer: predictions, candidate: shadow)
            }
            // The production loop: an id per instance; what was answered goes to the log
            // (sampled; the store is written off the request path).
            let ids = PredictionIDs.make(for: instances, key: answering.bundle.model.monitor.key)
            var response = try codec.answer(call, predictions: predictions, ids: ids, model: name, version: answering)
            response.headers[ModelServer.predictionIDHeader] = ids.first
            registry.predictionLog?.append(model: name, version: answering.version, ids: ids, instances: instances, predictions: predictions)
            return response
        } catch let error as ServeError {
            status = Int(error.status.code)
            throw ServeError(error.status, error.message, problems: error.problems, version: primary.version)
        } catch {
            status = 500
            throw error
        }
    }

    /// The schema check, before any worker sees the request: every bad field named.
    func check(_ instances: [JSONValue], model: ModelVersion, prefix: String, status: HTTPResponse.Status) throws(ServeError) {
        var problems: [ServeError.Problem] = []
        for (index, instance) in instances.enumerated() {
            guard case .object(let fields) = instance else {
                problems.append(.init(field: "\(prefix)[\(index)]", problem: "expected an object"))
                continue
            }
            for problem in model.bundle.model.schema.check(fields) {
                metrics.inputCheckFailure(model, field: problem.path)
                let place = prefix.isEmpty ? "\(problem.path)[\(index)]" : "\(prefix)[\(index)].\(problem.path)"
                problems.append(.init(field: place, problem: problem.message))
            }
        }
        guard problems.isEmpty else {
            throw ServeError(
                status, "the input does not fit the schema: " + problems.map { "\($0.field): \($0.problem)" }.joined(separator: "; "), problems: problems)
        }
    }

    /// Sends a copy to the shadow version, compares, records; never delays or changes the answer.
    /// Leaves the candidate (entered by the routing) when done.
    func shadow(_ instances: [JSONValue], primary: ModelVersion, answer: [JSONValue], candidate: ModelVersion) {
        let metrics = self.metrics
        guard shadowsInFlight.add(1, ordering: .relaxed).newValue <= maxShadowInFlight else {
            shadowsInFlight.subtract(1, ordering: .relaxed)
            candidate.leave()
            metrics.shadowDropped(model: primary.name, candidate: candidate.version)
            return
        }
        Task.detached { [self] in
            defer {
                shadowsInFlight.subtract(1, ordering: .relaxed)
                candidate.leave()
            }
            let started = ContinuousClock.now
            let theirs = try? await candidate.predict(instances)
            let agreed = theirs.map { ModelServer.agree(answer, $0) } ?? false
            metrics.shadow(model: primary.name, primary: primary.version, candidate: candidate.version, agreed: agreed, duration: started.duration(to: .now))
            registry.rolloutTally.recordShadow(primary.name, candidate: candidate.version, agreed: agreed)
        }
    }
}

// MARK: Rollout: count, and retry the new release's failures on the release in service

extension InferencePipeline {
    /// Predicts on `primary`. While `model` is under rollout the request is counted for the step
    /// (`RolloutTally`), and when `primary` is the new release and fails (a 5xx: a worker error,
    /// a crash, a timeout) the request is retried once on the release in service, so the client
    /// sees the new release's failure only as latency; the failure that spends the step's error
    /// budget sends all the traffic back at once. Returns the predictions and the version that
    /// made them.
    func predictRetryingRollout(_ instances: [JSONValue], on primary: ModelVersion, model: String) async throws -> ([JSONValue], ModelVersion) {
        let tally = registry.rolloutTally
        guard tally.isWatching(model) else { return (try await primary.predict(instances), primary) }
        let started = ContinuousClock.now
        func milliseconds() -> Double {
            let elapsed = started.duration(to: .now).components
            return Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15
        }
        do {
            let predictions = try await primary.predict(instances)
            _ = tally.record(model, version: primary.version, failed: false, milliseconds: milliseconds())
            return (predictions, primary)
        } catch {
            guard !(error is CancellationError), (error as? ServeError).map({ $0.status.code >= 500 }) ?? true else { throw error }
            if tally.record(model, version: primary.version, failed: true, milliseconds: milliseconds()) { registry.haltRollout(model) }
            guard let served = tally.fallback(model, for: primary.version),
                let retry = try? registry.route(model, version: served, header: { _ in nil }).primary
            else { throw error }
            defer { retry.leave() }
            return (try await retry.predict(instances), retry)
        }
    }
}

extension ModelServer {
    /// Answers agree when every output is equal, numbers within 1e-6 relative.
    static func agree(_ one: [JSONValue], _ other: [JSONValue]) -> Bool {
        guard one.count == other.count else { return false }
        func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
            switch (a, b) {
            case (.number(let x), .number(let y)): return abs(x - y) <= 1e-6 * max(1, abs(x), abs(y))
            case (.object(let x), .object(let y)): return x.keys.sorted() == y.keys.sorted() && x.allSatisfy { same($0.value, y[$0.key]!) }
            case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy(same)
            default: return a == b
            }
        }
        return zip(one, other).allSatisfy(same)
    }
}

/// `POST /v1/models/M:predict`: `{"instances": [...]}` in, `{"predictions": [...], "ids": [...]}` out; an
/// instance that does not fit the schema is 422.
struct PredictCodec: InferenceCodec {
    var api: String { "v1" }
    var fieldPrefix: String { "instances" }
    var checkStatus: HTTPResponse.Status { .unprocessableContent }

    func decode(_ body: Data, headers: HTTPFields, model: ModelVersion, metrics: ServerMetrics) throws(ServeError) -> (call: Void, instances: [JSONValue]) {
        guard !body.isEmpty else { throw ServeError(.badRequest, "the request body is empty; expected {\"instances\": [...]}") }
        let value: JSONValue
        do { value = try JSONValue(json: body) } catch {
            throw ServeError(.badRequest, "the request body is not valid JSON")
        }
        guard let instances = value["instances"]?.arrayValue else {
            throw ServeError(.badRequest, "expected {\"instances\": [...]}: a JSON object with an array of instances")
        }
        guard !instances.isEmpty else { throw ServeError(.badRequest, "'instances' is empty") }
        return ((), instances)
    }

    func answer(_ call: Void, predictions: [JSONValue], ids: [String], model: String, version: ModelVersion) throws(ServeError) -> Response {
        // Written in this order (predictions first), whatever a dictionary's order would be.
        var body = Data(#"{"predictions":"#.utf8)
        body.append(JSONValue.array(predictions).jsonData())
        body.append(contentsOf: #","ids":"#.utf8)
        body.append(JSONValue.array(ids.map(JSONValue.string)).jsonData())
        body.append(0x7D)
        return jsonResponse(.ok, data: body, headers: [ModelServer.versionHeader: version.version])
    }
}

/// `POST /v2/models/M[/versions/V]/infer`: the Open Inference Protocol (JSON, and the binary
/// tensor data extension); a request that does not fit the model's inputs is 400.
struct OpenInferenceCodec: InferenceCodec {
    static let headerLengthName = HTTPField.Name(OpenInference.headerLengthField)!

    var api: String { "v2" }
    var fieldPrefix: String { "" }
    var checkStatus: HTTPResponse.Status { .badRequest }

    func decode(
        _ body: Data, headers: HTTPFields, model: ModelVersion, metrics: ServerMetrics
    ) throws(ServeError) -> (call: OpenInference.Request, instances: [JSONValue]) {
        let headerLength = try OpenInference.headerLength(headers[Self.headerLengthName])
        let parsed = try OpenInference.parse(body, headerLength: headerLength)
        let instances: [JSONValue]
        do { instances = try OpenInference.instances(parsed, schema: model.bundle.model.schema) } catch {
            // Tensors unknown, missing or of the wrong datatype are input-check failures too.
            for problem in error.problems { metrics.inputCheckFailure(model, field: problem.field) }
            throw error
        }
        guard !instances.isEmpty else { throw ServeError(.badRequest, "the inputs hold no instances") }
        return (parsed, instances)
    }

    func answer(_ call: OpenInference.Request, predictions: [JSONValue], ids: [String], model: String, version: ModelVersion) throws(ServeError) -> Response {
        let answer = try OpenInference.answer(
            model: model, version: version.version, request: call, predictions: predictions, schema: version.bundle.model.schema, ids: ids)
        var headers: HTTPFields = [ModelServer.versionHeader: version.version]
        if let length = answer.headerLength {
            headers[Self.headerLengthName] = String(length)
            headers[.contentType] = "application/octet-stream"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
        return jsonResponse(.ok, data: answer.body, headers: headers)
    }
}
