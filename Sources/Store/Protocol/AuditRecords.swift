public import Foundation

/// One entry of the audit trail (DESIGN.md "Production loop"): something that changed what an
/// environment serves, or a decision about it, with its numbers and what caused it.
public struct Event: Codable, Sendable, Equatable {
    /// What happened; the raw value is the stored text, so kinds added later read as they are.
    public struct Kind: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
        /// The stored text (`environment`, `rollout_step`…).
        public var rawValue: String
        /// A kind by its stored text.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The text.
        public var description: String { rawValue }

        /// The reconciler pointed an environment at another version.
        public static let environment = Kind(rawValue: "environment")
        /// A rollout began: the new release at its first step beside the one in service.
        public static let rolloutStarted = Kind(rawValue: "rollout_started")
        /// A rollout step passed its gates and the new release moved to the next step.
        public static let rolloutStep = Kind(rawValue: "rollout_step")
        /// The new release took all the traffic; the one it replaces drains.
        public static let promoted = Kind(rawValue: "promoted")
        /// The new release failed a gate (or spent its error budget) and was taken out.
        public static let rolledBack = Kind(rawValue: "rolled_back")
        /// The admin API changed a model's traffic policy.
        public static let traffic = Kind(rawValue: "traffic")
        /// The admin API unloaded a version.
        public static let unloaded = Kind(rawValue: "unloaded")
        /// Inputs drifted past a threshold of model.yaml (`monitor: {psi}`).
        public static let driftAlert = Kind(rawValue: "drift_alert")
        /// A field's drift went back within the threshold after an alert.
        public static let driftCleared = Kind(rawValue: "drift_cleared")
    }

    /// Given by the store when recorded.
    public var id: Int64?
    /// When it happened.
    public var time: Date
    /// The repository, as the store names it.
    public var repository: String
    /// `production`, `staging`, or what a server without `--follow` calls itself (`serve`).
    public var environment: String
    /// The model's name.
    public var model: String
    /// The version that served before; nil when none did.
    public var fromVersion: String?
    /// The version it is about (the new release, the version promoted…); nil when none.
    public var toVersion: String?
    /// What happened.
    public var kind: Kind
    /// One sentence with the numbers ("error rate 0.051 > 0.01 over 1,200 requests").
    public var reason: String
    /// What caused it: a trigger of the reconcile (`hook`, `webhook`, `watch`, `enqueue`,
    /// `reconcile`), `rollout`, `admin`, `drift`.
    public var cause: String
    /// More, as JSON text (a rollout decision's measurements), for scripts.
    public var details: String?

    /// An event with every field given (`id` comes from the store).
    public init(
        time: Date, repository: String, environment: String, model: String, fromVersion: String?, toVersion: String?, kind: Kind,
        reason: String, cause: String, details: String? = nil
    ) {
        self.time = time
        self.repository = repository
        self.environment = environment
        self.model = model
        self.fromVersion = fromVersion
        self.toVersion = toVersion
        self.kind = kind
        self.reason = reason
        self.cause = cause
        self.details = details
    }

    /// The version serving the model right after this event, and a release under rollout beside
    /// it with its share of traffic; nil for kinds that do not change what serves (a drift alert,
    /// a traffic policy).
    public var serving: (version: String, candidate: String?, percent: Int?)? {
        switch kind {
        case .environment, .promoted:
            guard let toVersion else { return nil }
            return (toVersion, nil, nil)
        case .rolledBack:
            guard let fromVersion else { return nil }
            return (fromVersion, nil, nil)
        case .rolloutStarted, .rolloutStep:
            guard let fromVersion else { return nil }
            let percent = details.flatMap { try? JSONDecoder().decode(Percent.self, from: Data($0.utf8)) }?.percent
            return (fromVersion, toVersion, percent)
        default: return nil
        }
    }

    private struct Percent: Decodable { var percent: Int? }
}

/// A progressive rollout of one model in one environment: the release in service, the new one,
/// where it is, and which server drives it (a lease, as jobs have).
public struct Rollout: Codable, Sendable, Equatable {
    /// Where a rollout is in its life.
    public enum State: String, Codable, Sendable {
        /// Stepping: the new release has `percent` of the traffic.
        case running
        /// The new release serves everything.
        case promoted
        /// The new release was taken out; it stays out until the desired version or the
        /// rollout block (`planDigest`) changes.
        case rolledBack = "rolled_back"
        /// Another desired version (or plan) came before it ended.
        case superseded
    }

    /// Given by the store when recorded.
    public var id: Int64?
    /// The repository, as the store names it.
    public var repository: String
    /// The environment (`production`).
    public var environment: String
    /// The model's name.
    public var model: String
    /// The release in service when it began.
    public var fromVersion: String
    /// The new release.
    public var toVersion: String
    /// The new release's bundle folder (so a server that follows can load it).
    public var bundle: String
    /// The digest of the `rollout` block it follows: a rollback holds until it changes.
    public var planDigest: String
    /// Where it is.
    public var state: State
    /// The index of the step in the plan's steps.
    public var step: Int
    /// The new release's share of the traffic now, in percent (0 once rolled back).
    public var percent: Int
    /// When it began.
    public var startedAt: Date
    /// When its current step began.
    public var stepStartedAt: Date
    /// When it was promoted, rolled back or superseded.
    public var endedAt: Date?
    /// The last decision's sentence, with its numbers.
    public var reason: String?
    /// The server driving it.
    public var leaseOwner: String?
    /// When the driver's lease runs out unless renewed.
    public var leaseExpiresAt: Date?

    /// A rollout beginning at `now` at step 0 (`percent` of the traffic).
    public init(
        repository: String, environment: String, model: String, fromVersion: String, toVersion: String, bundle: String, planDigest: String,
        percent: Int, now: Date
    ) {
        self.repository = repository
        self.environment = environment
        self.model = model
        self.fromVersion = fromVersion
        self.toVersion = toVersion
        self.bundle = bundle
        self.planDigest = planDigest
        state = .running
        step = 0
        self.percent = percent
        startedAt = now
        stepStartedAt = now
    }
}
