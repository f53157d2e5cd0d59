public import Foundation
public import Store

/// Why an environment serves another release than it wants: a rollout under way or rolled back
/// (`mf status`).
public struct RolloutStatus: Encodable, Sendable {
    /// The environment (`production`, `staging`).
    public var environment: String
    /// The model.
    public var model: String
    /// The release in service before.
    public var from: String
    /// The release being rolled out.
    public var to: String
    /// `running` or `rolled_back`.
    public var state: String
    /// The new release's share of traffic, in percent.
    public var percent: Int
    /// The release that serves the model now.
    public var serving: String
    /// Why it is where it is (the failed gate, when rolled back).
    public var reason: String?

    /// The rollouts of the repository's environments that still explain them: the newest of
    /// each model, running or rolled back, of the release the environment wants.
    public static func explaining(repository: String, store: any FactoryStore) throws -> [RolloutStatus] {
        let records = try store.environments(repository: repository)
        var found: [RolloutStatus] = []
        for environment in Set(records.map(\.name)).sorted() {
            for rollout in try store.latestRollouts(repository: repository, environment: environment)
            where rollout.state == .running || rollout.state == .rolledBack {
                guard records.contains(where: { $0.name == environment && $0.model == rollout.model && $0.version == rollout.toVersion }) else { continue }
                found.append(
                    RolloutStatus(
                        environment: environment, model: rollout.model, from: rollout.fromVersion, to: rollout.toVersion, state: rollout.state.rawValue,
                        percent: rollout.percent, serving: rollout.fromVersion, reason: rollout.reason))
            }
        }
        return found
    }

    /// One line: `Rollout in production (churn): 1.1.0 rolled back at step 25%: error rate 0.051 > 0.01 over 1,200 requests; 1.0.0 serves`.
    public var line: String {
        let head = "Rollout in \(environment) (\(model)): "
        if state == Rollout.State.rolledBack.rawValue {
            return head + (reason ?? "\(to) rolled back") + "; \(from) serves until another release is tagged or the rollout block changes"
        }
        return head + "\(to) at \(percent)% beside \(from)" + (reason.map { " — \($0)" } ?? "")
    }
}
