internal import Foundation
public import Logging
internal import ModelFactory
public import ServiceLifecycle
public import Store
internal import Synchronization

/// `mf serve --follow ENV`: watches an environment in the store and, when its bundle changes,
/// loads the new one (workers started, warmed on the examples, health-checked), moves the
/// traffic to it, and drains the one it replaces. Requests keep being answered by the old
/// version until the new one is ready, so a swap fails none.
///
/// It also applies the traffic policy declared in git (`.mf/traffic.yaml` at the head of the
/// production line, see `TrafficDeclaration`), as the reconciler recorded it in the store: the
/// versions it names are loaded from their bundles, the policy is set, and versions no longer
/// named (nor current) are drained. It reads the store only, never a repository: the server's
/// host need not have one (DESIGN.md "Scale-out").
public struct EnvironmentFollower: Service {
    let registry: ModelRegistry
    let store: any FactoryStore
    let repository: String
    let environment: String
    let interval: Duration
    let logger: Logger
    /// Rolls a new release out step by step when `.mf/traffic.yaml` declares a `rollout` for its
    /// model; nil swaps at once.
    let rollouts: RolloutDriver?
    private let applied = Applied()

    /// The declaration applied last, and the record it was read from (shared by the copies of
    /// this service).
    final class Applied: Sendable {
        struct State {
            var declaration: TrafficDeclaration?
            /// The recorded declaration `parsed` was read from: parsed again only when it changes.
            var record: TrafficRecord?
            var parsed = TrafficDeclaration()
        }
        let value = Mutex(State())
        func withLock<T>(_ body: (inout State) throws -> T) rethrows -> T { try value.withLock { try body(&$0) } }
    }

    /// Follows `environment` of the repository whose identity is `repository` in `store`,
    /// looking every `interval`.
    public init(
        registry: ModelRegistry, store: any FactoryStore, repository: String, environment: String, interval: Duration = .seconds(1),
        rollouts: RolloutDriver? = nil, logger: Logger = Logger(label: "mf.serve.follow")
    ) {
        self.rollouts = rollouts
        self.registry = registry
        self.store = store
        self.repository = repository
        self.environment = environment
        self.interval = interval
        self.logger = logger
    }

    /// Loads what the environment names now, with the traffic declared at the production line's
    /// head (read first, so a release that arrives with a `rollout` block is rolled out, not
    /// swapped); called once before serving.
    public func catchUp() async throws {
        let records = try store.environments(repository: repository).filter { $0.name == environment }
        // Read after the environments: the reconciler records it before it moves one.
        let declaration = try declaredTraffic()
        let plans = rollouts == nil ? [:] : declaration.rollouts
        for record in records {
            let current = registry.models().first { $0.name == record.model }?.current
            guard current != record.version else { continue }
            if let rollouts, try await rollouts.take(record, plan: plans[record.model]) { continue }
            logger.info("\(environment): \(record.model) \(current ?? "none") -> \(record.version)")
            let loaded = try await registry.load(
                record.model, version: record.version, repository: repository, store: store, path: record.bundle, makeCurrent: false)
            try await registry.promote(loaded.name, to: loaded.version, drainingOthers: true)
        }
        try await apply(declaration)
    }

    /// The `.mf/traffic.yaml` the reconciler recorded for the production line's head: empty when
    /// it recorded none or the head has none. Parsed only when the record changed.
    func declaredTraffic() throws -> TrafficDeclaration {
        let record = try store.traffic(repository: repository, environment: TrafficDeclaration.environment)
        return try applied.withLock { state throws -> TrafficDeclaration in
            if state.record == record { return state.parsed }
            let parsed = try record?.declaration.map { try TrafficDeclaration.parse($0) } ?? TrafficDeclaration()
            state.record = record
            state.parsed = parsed
            return parsed
        }
    }

    /// Applies `declaration` when it is not the one applied last.
    private func apply(_ declaration: TrafficDeclaration) async throws {
        guard applied.withLock({ $0.declaration }) != declaration else { return }
        let served = Set(registry.models().map(\.name))
        for name in served.union(declaration.models.keys).sorted() {
            let declared = declaration.models[name] ?? TrafficDeclaration.Model()
            let modelID = try store.modelID(repository: self.repository, name: name)
            for version in Set(declared.weights.keys).union(declared.shadow.map { [$0] } ?? []) where registry.version(name, version) == nil {
                guard let bundle = try store.bundle(modelID: modelID, version: version) else {
                    throw ServeError(.notFound, "\(TrafficDeclaration.path) names \(name) \(version), which has no bundle; run mf reconcile")
                }
                try await registry.load(name, version: version, repository: self.repository, store: store, path: bundle.path, makeCurrent: false)
            }
            guard served.contains(name) || registry.models().contains(where: { $0.name == name }) else { continue }
            // A rollout under way sets this model's weights itself; the declaration is applied when it ends.
            if rollouts?.isActive(name) == true { continue }
            try registry.setPolicy(declared, for: name)
            try await registry.prune(name)
            logger.info("\(environment): traffic for \(name) as \(TrafficDeclaration.path) declares: \(declared)")
        }
        applied.withLock { $0.declaration = declaration }
    }

    /// Catches up, then looks again every `interval` until a graceful shutdown; a failed look is logged and tried again.
    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do { try await catchUp() } catch { logger.error("following \(environment): \(error)") }
            if let rollouts, await rollouts.tick() { applied.withLock { $0.declaration = nil } }
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) } } catch { return }
        }
    }
}
