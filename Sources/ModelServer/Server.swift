public import Dashboard
public import Foundation
internal import HTTPTypes
public import Hummingbird
public import Logging
public import ModelFactory
internal import ModelKit
internal import NIOCore
public import ServiceLifecycle
public import Store
internal import Synchronization

/// What `mf serve` is asked for.
public struct ServeOptions: Sendable {
    /// The address to listen on (loopback unless asked).
    public var host = "127.0.0.1"
    /// The port to listen on; 0 for any free one.
    public var port = 8080
    /// Workers, batching and time limits of each loaded version.
    public var pool = PoolOptions()
    /// Larger request bodies are refused with 413.
    public var maxBodyBytes = 10 << 20
    /// The bearer token of the admin API; nil turns the admin API off.
    public var adminToken: String?
    /// The factory's home (`$MF_HOME`): Python environments and the store.
    public var home: URL
    /// Where a Python bundle's packages come from (its lock, or the system's).
    public var python = RunnableBundle.PythonPackages.lock
    /// Graceful shutdown waits this long for in-flight requests.
    public var shutdownGrace: Duration = .seconds(30)
    /// Shadow copies waiting for their candidate at once; past this, copies are dropped (and
    /// counted), so a slow candidate never piles up work.
    public var maxShadowInFlight = 64
    /// The prediction log, feedback and live metrics (DESIGN.md "Production loop").
    public var loop = LoopOptions()
    /// The store the prediction log, feedback and live metrics live in; nil: predictions get
    /// ids, but nothing is logged and feedback answers 503.
    public var store: (any FactoryStore)?

    // MARK: Drift (DESIGN.md "Production loop")

    /// The live instances per loaded version whose inputs are compared with the bundle's training
    /// profile (the last ones answered); 0 turns drift off.
    public var driftWindow = 1000
    /// Hears each drift alert raised or cleared (once per crossing of model.yaml's `monitor.psi`),
    /// beside the warning logged; it must return quickly (it runs off the request path).
    public var onDriftAlert: @Sendable (DriftAlert) -> Void = { _ in }
    /// How often each loaded version's drift is recorded in `store` as `DriftSample`s (one per
    /// field, when its window holds enough instances to alert on and saw new ones); zero records
    /// none. Nothing is recorded without a store.
    public var driftSampleInterval: Duration = .seconds(60)

    /// The dashboard mounted under `/ui` (`mf serve --ui`); nil mounts none.
    public var dashboard: Dashboard?

    /// Where the admin API's traffic changes are recorded as events (`mf serve --follow`); nil
    /// records none.
    public var events: EventLog?

    /// The defaults, with the factory's home.
    public init(home: URL) { self.home = home }
}

/// `mf serve`'s application (DESIGN.md "Serving"), Hummingbird's `buildApplication` style: every
/// route over `registry` (health, metadata, the v2 and v1 inference APIs, `/metrics`, the admin
/// API), on `options.host` and `options.port`. Its services run beside the server and stop in
/// reverse: the server stops accepting first, then `services` (a follower of an environment, so
/// none loads a version while the workers drain), then the registry's workers. `onListening`
/// hears the bound port (useful with port 0). Route tests drive it with `app.test(.router)`.
public func buildApplication(
    registry: ModelRegistry, options: ServeOptions, services: [any Service] = [], logger: Logger = Logger(label: "mf.serve"),
    onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: JSONErrors())
    ModelServer(registry: registry, options: options).addRoutes(to: router)
    options.dashboard?.addRoutes(to: router)
    return Application(
        router: router,
        server: HTTPParseErrors.server(),
        configuration: .init(address: .hostname(options.host, port: options.port), serverName: "model-factory"),
        services: [WorkersService(registry: registry)] + ProductionLoopService.services(registry: registry, logger: logger)
            + DriftHistoryService.services(registry: registry, options: options, logger: logger) + services,
        onServerRunning: { channel in
            logger.info("listening on \(channel.localAddress?.description ?? "?")")
            await onListening(channel.localAddress?.port ?? 0)
        },
        logger: logger)
}

/// Runs `application` until SIGTERM or SIGINT, then stops it gracefully: it stops accepting,
/// finishes the requests in flight (for at most `shutdownGrace`) and stops its services.
public func runUntilSignalled(_ application: some ApplicationProtocol, shutdownGrace: Duration) async throws {
    var configuration = ServiceGroupConfiguration(
        services: [.init(service: application)], gracefulShutdownSignals: [.sigterm, .sigint], logger: application.logger)
    configuration.maximumGracefulShutdownDuration = shutdownGrace
    try await ServiceGroup(configuration: configuration).run()
}

/// The routes of `mf serve` over one registry: health and metadata here, inference through
/// `InferencePipeline`, the admin API in `Admin.swift`.
final class ModelServer: Sendable {
    let registry: ModelRegistry
    let metrics: ServerMetrics
    let options: ServeOptions
    let pipeline: InferencePipeline

    init(registry: ModelRegistry, options: ServeOptions) {
        self.registry = registry
        self.options = options
        metrics = registry.metrics
        pipeline = InferencePipeline(registry: registry, maxBodyBytes: options.maxBodyBytes, maxShadowInFlight: options.maxShadowInFlight)
    }

    // MARK: Routes

    static let versionHeader = HTTPField.Name("X-Model-Version")!

    func addRoutes(to router: Router<BasicRequestContext>) {
        let registry = self.registry
        let metrics = self.metrics
        let pipeline = self.pipeline
        router.get("/v2/health/live") { _, _ in jsonResponse(.ok, ["live": true]) }
        router.get("/v2/health/ready") { _, _ in
            let ready = registry.models().allSatisfy { model in model.versions.contains { $0.isReady } }
            return jsonResponse(ready ? .ok : .serviceUnavailable, ["ready": ready])
        }
        router.get("/v2") { _, _ in
            jsonResponse(
                .ok,
                JSONValue.object([
                    "name": "model-factory", "version": .string(factoryVersion), "extensions": ["binary_tensor_data"],
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
        router.post("/v2/models/{model}/infer") { request, context in
            try await pipeline.answer(request, model: try context.parameters.require("model"), version: nil, codec: OpenInferenceCodec())
        }
        router.post("/v2/models/{model}/versions/{version}/infer") { request, context in
            try await pipeline.answer(
                request, model: try context.parameters.require("model"), version: try context.parameters.require("version"), codec: OpenInferenceCodec())
        }
        router.get("/v1/models") { _, _ in
            jsonResponse(.ok, JSONValue.object(["models": .array(registry.models().map { .string($0.name) })]))
        }
        router.get("/v1/models/{model}") { _, context in
            let name = try context.parameters.require("model")
            guard let model = registry.models().first(where: { $0.name == name }) else { throw ServeError.notFound(model: name) }
            let ready = model.versions.contains { $0.isReady }
            return jsonResponse(
                ready ? .ok : .serviceUnavailable,
                JSONValue.object([
                    "name": .string(name), "ready": .bool(ready), "versions": .array(model.versions.map { .string($0.version) }),
                    "current": model.current.map(JSONValue.string) ?? .null,
                ]))
        }
        router.post("/v1/models/{model}:predict") { request, context in
            try await pipeline.answer(request, model: try context.parameters.require("model"), version: nil, codec: PredictCodec())
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
        }
        adminRoutes(router)
        driftRoutes(router)
        feedbackRoutes(router)
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
            guard let current = model.versions.first(where: { $0.version == model.current }) ?? model.versions.last else {
                throw ServeError.notFound(model: name)
            }
            described = current
        }
        return jsonResponse(
            .ok,
            OpenInference.metadata(
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
