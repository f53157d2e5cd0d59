internal import Foundation
internal import GitKit
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
/// production line, see `TrafficDeclaration`): the versions it names are loaded from their
/// bundles, the policy is set, and versions no longer named (nor current) are drained.
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

    /// The declaration applied last, and the production head it was read at (shared by the
    /// copies of this service).
    final class Applied: Sendable {
        struct State {
            var declaration: TrafficDeclaration?
            var watch = ProductionLineWatch()
            var repository: Repository?
        }
        let value = Mutex(State())
        func withLock<T>(_ body: (inout State) throws -> T) rethrows -> T { try value.withLock { try body(&$0) } }
    }

    /// Follows `environment` of the repository at `repository` in `store`, looking every `interval`.
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

    /// Loads what the environment names now; called once before serving.
    public func catchUp() async throws {
        let plans = try declaredRollouts()
        for record in try store.environments(repository: repository) where record.name == environment {
            let current = registry.models().first { $0.name == record.model }?.current
            guard current != record.version else { continue }
            if let rollouts, try await rollouts.take(record, plan: plans[record.model]) { continue }
            logger.info("\(environment): \(record.model) \(current ?? "none") -> \(record.version)")
            let loaded = try await registry.load(
                record.model, version: record.version, repository: repository, store: store, path: record.bundle, makeCurrent: false)
            try await registry.promote(loaded.name, to: loaded.version, drainingOthers: true)
        }
        try await applyDeclaredTraffic()
    }

    /// Reads `.mf/traffic.yaml` at the head of the production line and applies it when it
    /// changed. A look while the head stays where it was resolves that one branch and reads
    /// nothing else.
    func applyDeclaredTraffic() async throws {
        let look = try applied.withLock { state throws -> (head: ObjectID?, moved: Bool, repository: Repository) in
            let repository = try state.repository ?? Repository.open(at: self.repository)
            state.repository = repository
            let look = try state.watch.look(at: repository)
            return (look.head, look.moved || state.declaration == nil, repository)
        }
        guard look.moved else { return }
        do {
            try await apply(declarationAt: look.head, in: look.repository)
        } catch {
            applied.withLock { $0.watch = ProductionLineWatch() }  // not applied: look again next time
            throw error
        }
    }

    private func apply(declarationAt head: ObjectID?, in repository: Repository) async throws {
        var declaration = TrafficDeclaration()
        if let head, let data = try? repository.file(at: TrafficDeclaration.path, in: head) {
            declaration = try TrafficDeclaration.parse(String(decoding: data, as: UTF8.self))
        }
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

    // MARK: Rollouts

    /// The `rollout` blocks declared at the production line's head: those applied last, else
    /// read now (a server starting, or resuming a rollout after a restart).
    func declaredRollouts() throws -> [String: RolloutPlan] {
        guard rollouts != nil else { return [:] }
        if let declaration = applied.withLock({ $0.declaration }) { return declaration.rollouts }
        let repository = try applied.withLock { state throws -> Repository in
            let repository = try state.repository ?? Repository.open(at: self.repository)
            state.repository = repository
            return repository
        }
        guard let head = try Flow.productionLine(of: repository)?.head,
            let data = try? repository.file(at: TrafficDeclaration.path, in: head)
        else { return [:] }
        return try TrafficDeclaration.parse(String(decoding: data, as: UTF8.self)).rollouts
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
