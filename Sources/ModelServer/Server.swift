public import Foundation
public import ModelFactory
internal import ModelKit
internal import Hummingbird
internal import HTTPTypes
public import Logging
internal import NIOCore
public import ServiceLifecycle
internal import Synchronization

/// What `mf serve` is asked for.
public struct ServeOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var pool = PoolOptions()
    /// Larger request bodies are refused with 413.
    public var maxBodyBytes = 10 << 20
    /// The bearer token of the admin API; nil turns the admin API off.
    public var adminToken: String?
    public var home: URL
    public var python = RunnableBundle.PythonPackages.lock
    /// Graceful shutdown waits this long for in-flight requests.
    public var shutdownGrace: Duration = .seconds(30)
    /// Shadow copies waiting for their candidate at once; past this, copies are dropped (and
    /// counted), so a slow candidate never piles up work.
    public var maxShadowInFlight = 64

    public init(home: URL) { self.home = home }
}

/// `mf serve`: hosts bundles over HTTP (DESIGN.md "Serving").
public final class ModelServer: Sendable {
    public let registry: ModelRegistry
    let metrics: ServerMetrics
    let options: ServeOptions
    let logger: Logger
    /// Shadow copies sent and not answered yet.
    private let shadowsInFlight = Atomic(0)

    public init(options: ServeOptions, logger: Logger = Logger(label: "mf.serve")) {
        self.options = options
        self.logger = logger
        metrics = ServerMetrics()
        registry = ModelRegistry(metrics: metrics, options: options.pool, home: options.home, python: options.python, logger: logger)
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting, finishes in-flight requests and
    /// stops the workers. `services` run beside the server (a follower of an environment);
    /// `onListening` hears the bound port (useful with port 0).
    public func run(services: [any Service] = [], onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: JSONErrors())
        routes(router)
        let logger = self.logger
        let app = Application(
            router: router,
            server: HTTPParseErrors.server(),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "model-factory"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("listening on \(channel.localAddress?.description ?? "?")")
                await onListening(port)
            },
            logger: logger)
        var configuration = ServiceGroupConfiguration(
            // Stopped in reverse: the server stops accepting first, then the followers (so none loads
            // a version while the workers drain), then the workers.
            services: [.init(service: WorkersService(registry: registry))] + services.map { .init(service: $0) } + [.init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = options.shutdownGrace
        try await ServiceGroup(configuration: configuration).run()
    }

    // MARK: Routes

    static let versionHeader = HTTPField.Name("X-Model-Version")!

    func routes(_ router: Router<BasicRequestContext>) {
        let registry = self.registry, metrics = self.metrics, limit = options.maxBodyBytes
        router.get("/v2/health/live") { _, _ in jsonResponse(.ok, ["live": true]) }
        router.get("/v2/health/ready") { _, _ in
            let ready = registry.models().allSatisfy { model in model.versions.contains { $0.isReady } }
            return jsonResponse(ready ? .ok : .serviceUnavailable, ["ready": ready])
        }
        router.get("/v2") { _, _ in
            jsonResponse(.ok, JSONValue.object([
                "name": "model-factory", "version": "0.1.0", "extensions": ["binary_tensor_data"],
            ]))
        }
        router.get("/v2/models/{model}") { _, context in try self.metadata(context, version: nil) }
        router.get("/v2/models/{model}/versions/{version}") { _, context in
            try self.metadata(context, version: try context.parameters.require("version"))
        }
        router.get("/v2/models/{model}/ready") { _, context in try self.readiness(context, version: nil) }
        router.get("/v2/models/{model}/versions/{version}/ready") { _, context in
            try self.readiness(context, version: try context.parameters.require("version"))
        }
        router.post("/v2/models/{model}/infer") { request, context in try await self.infer(request, context, version: nil) }
        router.post("/v2/models/{model}/versions/{version}/infer") { request, context in
            try await self.infer(request, context, version: try context.parameters.require("version"))
        }
        router.get("/v1/models") { _, _ in
            jsonResponse(.ok, JSONValue.object(["models": .array(registry.models().map { .string($0.name) })]))
        }
        router.get("/v1/models/{model}") { _, context in
            let name = try context.parameters.require("model")
            guard let model = registry.models().first(where: { $0.name == name }) else { throw ServeError.notFound(model: name) }
            let ready = model.versions.contains { $0.isReady }
            return jsonResponse(ready ? .ok : .serviceUnavailable, JSONValue.object([
                "name": .string(name), "ready": .bool(ready), "versions": .array(model.versions.map { .string($0.version) }),
                "current": model.current.map(JSONValue.string) ?? .null,
            ]))
        }
        router.post("/v1/models/{model}:predict") { request, context in try await self.predictV1(request, context, limit: limit) }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
        }
        adminRoutes(router)
    }

    func metadata(_ context: BasicRequestContext, version: String?) throws -> Response {
        let name = try context.parameters.require("model")
        guard let model = registry.models().first(where: { $0.name == name }) else { throw ServeError.notFound(model: name) }
        let versions = model.versions.map(\.version)
        let described: ModelVersion
        if let version {
            guard let chosen = model.versions.first(where: { $0.version == version }) else { throw ServeError.notFound(model: name, version: version) }
            described = chosen
        } else {
            guard let current = model.versions.first(where: { $0.version == model.current }) ?? model.versions.last else { throw ServeError.notFound(model: name) }
            described = current
        }
        return jsonResponse(.ok, OpenInference.metadata(
            model: name, versions: version.map { [$0] } ?? versions, runtime: described.bundle.manifest.runtime, schema: described.bundle.model.schema))
    }

    func readiness(_ context: BasicRequestContext, version: String?) throws -> Response {
        let name = try context.parameters.require("model")
        guard let model = registry.models().first(where: { $0.name == name }) else { throw ServeError.notFound(model: name) }
        let ready: Bool
        if let version {
            guard let chosen = model.versions.first(where: { $0.version == version }) else { throw ServeError.notFound(model: name, version: version) }
            ready = chosen.isReady
        } else {
            ready = model.versions.contains { $0.isReady }
        }
        return jsonResponse(ready ? .ok : .serviceUnavailable, JSONValue.object(["name": .string(name), "ready": .bool(ready)]))
    }

    /// Reads the body, refusing one over the limit before reading it all when its length says so.
    static func body(_ request: Request, limit: Int) async throws -> Data {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw ServeError(.contentTooLarge, "the request body has \(declared) bytes; the limit is \(limit)")
        }
        do {
            var buffer = try await request.body.collect(upTo: limit)
            return buffer.readData(length: buffer.readableBytes) ?? Data()
        } catch is NIOTooManyBytesError {
            throw ServeError(.contentTooLarge, "the request body is larger than the limit of \(limit) bytes")
        } catch {
            // A client that hangs up in the middle is 499 (counted as such, not as a 500).
            throw ServeError.reading(error) ?? error
        }
    }

    func predictV1(_ request: Request, _ context: BasicRequestContext, limit: Int) async throws -> Response {
        let started = ContinuousClock.now
        let name = try context.parameters.require("model")
        let (primary, shadow) = try registry.route(name, version: nil) { request.headers[HTTPField.Name($0) ?? .userAgent] }
        var status = 200, shadowed = false
        defer {
            primary.leave()
            if !shadowed { shadow?.leave() }
            metrics.request(model: name, version: primary.version, api: "v1", status: status, duration: started.duration(to: .now))
        }
        do {
            let body = try await Self.body(request, limit: limit)
            guard !body.isEmpty else { throw ServeError(.badRequest, "the request body is empty; expected {\"instances\": [...]}") }
            let value: JSONValue
            do { value = try JSONValue(json: body) } catch {
                throw ServeError(.badRequest, "the request body is not valid JSON")
            }
            guard let instances = value["instances"]?.arrayValue else {
                throw ServeError(.badRequest, "expected {\"instances\": [...]}: a JSON object with an array of instances")
            }
            guard !instances.isEmpty else { throw ServeError(.badRequest, "'instances' is empty") }
            try check(instances, model: primary, prefix: "instances", status: .unprocessableContent)
            let predictions = try await primary.predict(instances)
            if let shadow {
                shadowed = true
                self.shadow(instances, primary: primary, answer: predictions, candidate: shadow)
            }
            let data = JSONValue.object(["predictions": .array(predictions)]).jsonData()
            return jsonResponse(.ok, data: data, headers: [Self.versionHeader: primary.version])
        } catch let error as ServeError {
            status = Int(error.status.code)
            throw ServeError(error.status, error.message, problems: error.problems, version: primary.version)
        } catch {
            status = 500
            throw error
        }
    }

    func infer(_ request: Request, _ context: BasicRequestContext, version: String?) async throws -> Response {
        let started = ContinuousClock.now
        let name = try context.parameters.require("model")
        let (primary, shadow) = try registry.route(name, version: version) { request.headers[HTTPField.Name($0) ?? .userAgent] }
        var status = 200, shadowed = false
        defer {
            primary.leave()
            if !shadowed { shadow?.leave() }
            metrics.request(model: name, version: primary.version, api: "v2", status: status, duration: started.duration(to: .now))
        }
        do {
            let body = try await Self.body(request, limit: options.maxBodyBytes)
            let headerLength = try OpenInference.headerLength(request.headers[HTTPField.Name(OpenInference.headerLengthField)!])
            let parsed = try OpenInference.parse(body, headerLength: headerLength)
            let instances: [JSONValue]
            do { instances = try OpenInference.instances(parsed, schema: primary.bundle.model.schema) } catch {
                // Tensors unknown, missing or of the wrong datatype are input-check failures too.
                for problem in error.problems { countInputFailure(primary, field: problem.field) }
                throw error
            }
            guard !instances.isEmpty else { throw ServeError(.badRequest, "the inputs hold no instances") }
            try check(instances, model: primary, prefix: "", status: .badRequest)
            let predictions = try await primary.predict(instances)
            if let shadow {
                shadowed = true
                self.shadow(instances, primary: primary, answer: predictions, candidate: shadow)
            }
            let answer = try OpenInference.answer(
                model: name, version: primary.version, request: parsed, predictions: predictions, schema: primary.bundle.model.schema)
            var headers: HTTPFields = [Self.versionHeader: primary.version]
            if let length = answer.headerLength {
                headers[HTTPField.Name(OpenInference.headerLengthField)!] = String(length)
                headers[.contentType] = "application/octet-stream"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
            }
            return jsonResponse(.ok, data: answer.body, headers: headers)
        } catch let error as ServeError {
            status = Int(error.status.code)
            throw ServeError(error.status, error.message, problems: error.problems, version: primary.version)
        } catch {
            status = 500
            throw error
        }
    }

    /// Counts an input-check failure; names a client made up share one label, so they cannot
    /// grow the metrics without end.
    func countInputFailure(_ model: ModelVersion, field: String) {
        let known = model.bundle.model.schema.inputs.contains { $0.name == field }
        metrics.inputCheckFailure(model: model.name, field: known ? field : ServerMetrics.unknownField)
    }

    /// The schema check, before any worker sees the request: every bad field named.
    func check(_ instances: [JSONValue], model: ModelVersion, prefix: String, status: HTTPResponse.Status) throws {
        var problems: [ServeError.Problem] = []
        for (index, instance) in instances.enumerated() {
            guard case .object(let fields) = instance else {
                problems.append(.init(field: "\(prefix)[\(index)]", problem: "expected an object"))
                continue
            }
            for problem in model.bundle.model.schema.check(fields) {
                countInputFailure(model, field: problem.path)
                let place = prefix.isEmpty ? "\(problem.path)[\(index)]" : "\(prefix)[\(index)].\(problem.path)"
                problems.append(.init(field: place, problem: problem.message))
            }
        }
        guard problems.isEmpty else {
            throw ServeError(status, "the input does not fit the schema: " + problems.map { "\($0.field): \($0.problem)" }.joined(separator: "; "), problems: problems)
        }
    }

    /// Sends a copy to the shadow version, compares, records; never delays or changes the answer.
    /// Leaves the candidate (entered by the routing) when done.
    func shadow(_ instances: [JSONValue], primary: ModelVersion, answer: [JSONValue], candidate: ModelVersion) {
        let metrics = self.metrics
        guard shadowsInFlight.add(1, ordering: .relaxed).newValue <= options.maxShadowInFlight else {
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
            let agreed = theirs.map { Self.agree(answer, $0) } ?? false
            metrics.shadow(model: primary.name, primary: primary.version, candidate: candidate.version, agreed: agreed, duration: started.duration(to: .now))
        }
    }

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

extension ServeError {
    /// The same error, with the version that answered in the `X-Model-Version` header.
    init(_ status: HTTPResponse.Status, _ message: String, problems: [Problem], version: String) {
        self.init(status, message, problems: problems)
        self.version = version
    }
}

/// Keeps the workers alive for as long as the server runs, and stops them after it has drained.
struct WorkersService: Service {
    let registry: ModelRegistry

    func run() async throws {
        try? await gracefulShutdown()
        await registry.drainAll()
    }
}
