public import ModelFactory
internal import Foundation
public import Logging
public import ServiceLifecycle

/// `mf serve --follow ENV`: watches an environment in the store and, when its bundle changes,
/// loads the new one (workers started, warmed on the examples, health-checked), moves the
/// traffic to it, and drains the one it replaces. Requests keep being answered by the old
/// version until the new one is ready, so a swap fails none.
public struct EnvironmentFollower: Service {
    let registry: ModelRegistry
    let store: Store
    let repository: String
    let environment: String
    let interval: Duration
    let logger: Logger

    public init(registry: ModelRegistry, store: Store, repository: String, environment: String, interval: Duration = .seconds(1),
                logger: Logger = Logger(label: "mf.serve.follow")) {
        self.registry = registry
        self.store = store
        self.repository = repository
        self.environment = environment
        self.interval = interval
        self.logger = logger
    }

    /// Loads what the environment names now; called once before serving.
    public func catchUp() async throws {
        for record in try store.environments(repository: repository) where record.name == environment {
            let current = registry.models().first { $0.name == record.model }?.current
            guard current != record.version else { continue }
            logger.info("\(environment): \(record.model) \(current ?? "none") -> \(record.version)")
            let loaded = try await registry.load(URL(fileURLWithPath: record.bundle), makeCurrent: false)
            try await registry.promote(loaded.name, to: loaded.version, drainingOthers: true)
        }
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do { try await catchUp() } catch { logger.error("following \(environment): \(error)") }
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) } } catch { return }
        }
    }
}
