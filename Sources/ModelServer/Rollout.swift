public import Foundation
public import Logging
public import ModelFactory
public import Store
internal import Synchronization

/// Where a rollout's optional gates get their numbers from, outside the request path: the live
/// metrics computed from labelled feedback and the drift of the inputs. A gate whose signal has
/// no data yet is skipped for that step (recorded as "no data" in the decision), so a rollout
/// does not wait days for labels; the gates measured by the server itself always have data.
public protocol RolloutSignals: Sendable {
    /// The newest live value of `metric` (split `live`) of `version` of `model`; nil when none yet.
    func liveMetric(_ metric: String, model: String, version: String) -> Double?
    /// The largest PSI of an input field of `version` of `model` now; nil when not measured.
    func psi(model: String, version: String) -> Double?
}

/// Signals with no data: live and drift gates are skipped.
public struct NoRolloutSignals: RolloutSignals {
    /// Signals with no data.
    public init() {}
    /// No live metric yet.
    public func liveMetric(_ metric: String, model: String, version: String) -> Double? { nil }
    /// No drift measured.
    public func psi(model: String, version: String) -> Double? { nil }
}

/// Progressive rollout for `mf serve --follow` (DESIGN.md "Production loop"): when the
/// environment's desired release of a model changes and `.mf/traffic.yaml` declares a `rollout`
/// for it, the new release is loaded beside the one in service and gets the first step's share
/// of the traffic; each step (N of its requests, or T seconds) it is compared with the release in
/// service over that step (`RolloutPlan.gates`), then advanced, promoted after the 100 % step,
/// or rolled back. Its state is a `Rollout` in the store, leased to the one server that drives
/// it; the other servers of the environment follow the weights it records, and a restarted
/// server resumes. Every decision is an `Event` with its numbers, logged and notified. A release
/// rolled back stays out until the desired version or the `rollout` block changes.
public final class RolloutDriver: Sendable {
    struct Active: Sendable {
        var rollout: Rollout
        var plan: RolloutPlan
        /// Whether this server holds the lease and decides.
        var driving: Bool
        /// The release in service's figures of the last step it had traffic in (the 100 % step
        /// compares with them).
        var lastServed: RolloutTally.Figures?
    }

    let registry: ModelRegistry
    let store: any FactoryStore
    let repository: String
    let environment: String
    /// This server's name in leases.
    let owner: String
    let lease: TimeInterval
    let signals: any RolloutSignals
    let notifier: Notifier?
    let now: @Sendable () -> Date
    let logger: Logger
    private let active = Mutex<[String: Active]>([:])

    /// A driver for `environment` of the repository `repository`, leasing rollouts for `lease`
    /// seconds as `owner`; `now` is the clock of time-based steps and of the store's records.
    public init(
        registry: ModelRegistry, store: any FactoryStore, repository: String, environment: String,
        owner: String = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))",
        lease: TimeInterval = 30, signals: any RolloutSignals = NoRolloutSignals(), notifier: Notifier? = nil,
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger = Logger(label: "mf.serve.rollout")
    ) {
        self.registry = registry
        self.store = store
        self.repository = repository
        self.environment = environment
        self.owner = owner
        self.lease = lease
        self.signals = signals
        self.notifier = notifier
        self.now = now
        self.logger = logger
    }

    /// Whether a rollout of `model` is under way here (the follower then leaves its traffic alone).
    public func isActive(_ model: String) -> Bool { active.withLock { $0[model] != nil } }

    /// The rollout of `model` under way here, and whether this server drives it.
    public func state(of model: String) -> (rollout: Rollout, driving: Bool)? {
        active.withLock { $0[model].map { ($0.rollout, $0.driving) } }
    }

    /// Takes a change of the environment's desired release (`record`) when `plan` declares a
    /// rollout for its model: begins, joins or resumes the rollout, or keeps a rolled-back
    /// release out. Returns false when the follower should swap at once as usual (no plan, nothing
    /// in service yet, or the release was already promoted).
    public func take(_ record: EnvironmentRecord, plan: RolloutPlan?) async throws -> Bool {
        let model = record.model
        if let running = active.withLock({ $0[model] }) {
            if running.rollout.toVersion == record.version && running.rollout.planDigest == plan?.digest { return true }
            // Another release (or plan) is desired: this rollout is over here; the store marks it
            // superseded when the next one begins, or the driver below when there is none.
            await abandon(running, keepCandidate: running.rollout.toVersion == record.version)
            if plan == nil, running.driving {
                var ended = running.rollout
                ended.state = .superseded
                ended.endedAt = now()
                _ = try store.update(ended, owner: owner, now: now())
            }
        }
        guard let plan else { return false }
        if let latest = try store.latestRollout(repository: repository, environment: environment, model: model), latest.toVersion == record.version,
            latest.planDigest == plan.digest
        {
            switch latest.state {
            case .rolledBack:
                try await loadServed(model, latest.fromVersion)
                return true
            case .promoted: return false
            case .running:
                try await join(latest, plan: plan)
                return true
            case .superseded: break
            }
        }
        guard let served = registry.models().first(where: { $0.name == model })?.current, served != record.version else { return false }
        let (rollout, began) = try store.begin(
            Rollout(
                repository: repository, environment: environment, model: model, fromVersion: served, toVersion: record.version, bundle: record.bundle,
                planDigest: plan.digest, percent: plan.steps[0], now: now()), owner: owner, lease: lease, now: now())
        try await join(rollout, plan: plan)
        if began {
            let reason = "\(record.version) rolled out beside \(served) at step \(plan.steps[0])%: \(plan.summary)"
            try decided(rollout, kind: .rolloutStarted, reason: reason, details: Details(percent: plan.steps[0], gates: []))
        }
        return true
    }

    /// One look at every rollout under way: the driver renews its lease and decides (advance,
    /// promote, roll back) once a step is over or its error budget is spent; a follower takes
    /// over a lease that ran out, else applies what the store records. Returns true when a
    /// rollout ended here (the follower then applies the declared traffic again).
    @discardableResult
    public func tick() async -> Bool {
        var ended = false
        for (model, entry) in active.withLock({ $0 }) {
            do {
                if entry.driving {
                    guard let id = entry.rollout.id, try store.leaseRollout(id, owner: owner, lease: lease, now: now()) else {
                        logger.warning("\(environment): lost the lease of the rollout of \(model) \(entry.rollout.toVersion); following")
                        update(model) { $0.driving = false }
                        watch(entry.rollout, plan: entry.plan, driving: false)
                        continue
                    }
                    ended = try await decide(model, entry) || ended
                } else if let id = entry.rollout.id, try store.leaseRollout(id, owner: owner, lease: lease, now: now()) {
                    logger.info("\(environment): took over the rollout of \(model) \(entry.rollout.toVersion) (its driver's lease ran out)")
                    update(model) { $0.driving = true }
                    watch(entry.rollout, plan: entry.plan, driving: true)
                } else {
                    ended = try await follow(model, entry) || ended
                }
            } catch {
                logger.error("\(environment): rollout of \(model) \(entry.rollout.toVersion): \(error)")
            }
        }
        return ended
    }

    // MARK: Joining and following

    /// Loads both releases, sets the step's weights and starts measuring.
    private func join(_ rollout: Rollout, plan: RolloutPlan) async throws {
        try await loadServed(rollout.model, rollout.fromVersion)
        try await registry.load(
            rollout.model, version: rollout.toVersion, repository: repository, store: store, path: rollout.bundle, makeCurrent: false)
        var driving = rollout.leaseOwner == owner && (rollout.leaseExpiresAt ?? .distantPast) >= now()
        if !driving, let id = rollout.id { driving = try store.leaseRollout(id, owner: owner, lease: lease, now: now()) }
        active.withLock { $0[rollout.model] = Active(rollout: rollout, plan: plan, driving: driving) }
        try setWeights(rollout, plan: plan)
        watch(rollout, plan: plan, driving: driving)
        logger.info(
            "\(environment): \(driving ? "driving" : "following") the rollout of \(rollout.model) \(rollout.fromVersion) -> \(rollout.toVersion) at \(rollout.percent)%"
        )
    }

    /// Makes sure `version` of `model` is loaded and serves (a restarted server starts empty).
    private func loadServed(_ model: String, _ version: String) async throws {
        let entry = registry.models().first { $0.name == model }
        if entry?.versions.contains(where: { $0.version == version }) == true {
            if entry?.current != version { try await registry.promote(model, to: version, drainingOthers: false) }
            return
        }
        guard let bundle = try store.bundle(modelID: store.modelID(repository: repository, name: model), version: version) else {
            throw ServeError(.notFound, "\(model) \(version), the release in service of a rollout, has no bundle; run mf reconcile")
        }
        try await registry.load(model, version: version, repository: repository, store: store, path: bundle.path, makeCurrent: true)
    }

    /// Applies what the driving server recorded.
    private func follow(_ model: String, _ entry: Active) async throws -> Bool {
        guard let latest = try store.latestRollout(repository: repository, environment: environment, model: model), latest.id == entry.rollout.id
        else {
            await abandon(entry, keepCandidate: false)
            return true
        }
        switch latest.state {
        case .running:
            if latest.percent != entry.rollout.percent { try setWeights(latest, plan: entry.plan) }
            update(model) { $0.rollout = latest }
            return false
        case .promoted:
            try await finishPromotion(latest)
        case .rolledBack, .superseded:
            await abandon(entry, keepCandidate: false)
        }
        logger.info("\(environment): \(latest.reason ?? "the rollout of \(model) \(latest.toVersion) ended") (as its driver decided)")
        return true
    }

    // MARK: Deciding

    /// A gate checked at the end of a step.
    struct Check: Encodable {
        var gate: String
        var condition: String
        var value: Double?
        var limit: Double?
        var passed: Bool
        /// `error rate 0.051 > 0.01 over 1,200 requests`; `live auc: no data yet`.
        var sentence: String
    }

    /// What a decision records beside its sentence (the event's JSON details).
    struct Details: Encodable {
        var percent: Int
        var gates: [Check]
        var candidate: Counts?
        var served: Counts?

        struct Counts: Encodable {
            var requests: Int
            var errors: Int
            var errorRate: Double
            var p99Ms: Double?
            init(_ figures: RolloutTally.Figures) {
                requests = figures.requests
                errors = figures.errors
                errorRate = figures.errorRate
                p99Ms = figures.p99
            }
        }
    }

    private func decide(_ model: String, _ entry: Active) async throws -> Bool {
        guard let figures = registry.rolloutTally.figures(model) else { return false }
        let rollout = entry.rollout
        let served = figures.served.requests > 0 ? figures.served : (entry.lastServed ?? figures.served)
        if figures.budgetSpent, let gate = entry.plan.gate(.errorRate) {
            let check = Self.check(gate, value: figures.candidate.errorRate, served: served.errorRate, requests: figures.candidate.requests)
            try await rollBack(rollout, because: check.sentence + " (its error budget for the step is spent)", figures: figures, checks: [check])
            return true
        }
        let over: Bool
        switch entry.plan.step {
        case .requests(let count): over = figures.candidate.requests >= count
        case .seconds(let seconds): over = now().timeIntervalSince(rollout.stepStartedAt) >= seconds
        }
        guard over else { return false }
        let checks = entry.plan.gates.map { gate in check(gate, rollout: rollout, candidate: figures.candidate, served: served) }
        if let failed = checks.first(where: { !$0.passed }) {
            try await rollBack(rollout, because: failed.sentence, figures: figures, checks: checks)
            return true
        }
        let passed = checks.map(\.sentence).joined(separator: "; ")
        var next = rollout
        next.stepStartedAt = now()
        if rollout.step + 1 >= entry.plan.steps.count {
            next.state = .promoted
            next.endedAt = now()
            next.reason = "\(rollout.toVersion) promoted after step \(rollout.percent)%" + (passed.isEmpty ? "" : ": \(passed)")
            guard try store.update(next, owner: owner, now: now()) else { return lostLease(model) }
            try await finishPromotion(next)
            try decided(next, kind: .promoted, reason: next.reason!, details: details(100, checks, figures))
            return true
        }
        next.step += 1
        next.percent = entry.plan.steps[next.step]
        next.reason = "\(rollout.toVersion) passed step \(rollout.percent)%, now at \(next.percent)%" + (passed.isEmpty ? "" : ": \(passed)")
        guard try store.update(next, owner: owner, now: now()) else { return lostLease(model) }
        update(model) {
            $0.rollout = next
            if figures.served.requests > 0 { $0.lastServed = figures.served }
        }
        try setWeights(next, plan: entry.plan)
        watch(next, plan: entry.plan, driving: true)
        try decided(next, kind: .rolloutStep, reason: next.reason!, details: details(next.percent, checks, figures))
        return false
    }

    private func rollBack(
        _ rollout: Rollout, because reason: String, figures: (served: RolloutTally.Figures, candidate: RolloutTally.Figures, budgetSpent: Bool), checks: [Check]
    )
        async throws
    {
        var ended = rollout
        ended.state = .rolledBack
        ended.percent = 0
        ended.endedAt = now()
        ended.reason = "\(rollout.toVersion) rolled back at step \(rollout.percent)%: \(reason)"
        guard try store.update(ended, owner: owner, now: now()) else {
            _ = lostLease(rollout.model)
            return
        }
        if let entry = active.withLock({ $0[rollout.model] }) { await abandon(entry, keepCandidate: false) }
        try decided(ended, kind: .rolledBack, reason: ended.reason!, details: details(rollout.percent, checks, figures))
    }

    private func lostLease(_ model: String) -> Bool {
        update(model) { $0.driving = false }
        return false
    }

    private func details(_ percent: Int, _ checks: [Check], _ figures: (served: RolloutTally.Figures, candidate: RolloutTally.Figures, budgetSpent: Bool))
        -> Details
    {
        Details(percent: percent, gates: checks, candidate: .init(figures.candidate), served: .init(figures.served))
    }

    /// A gate over the step: the new release's value against the bound (or the served release's value ± the bound).
    private func check(_ gate: RolloutGate, rollout: Rollout, candidate: RolloutTally.Figures, served: RolloutTally.Figures) -> Check {
        switch gate.measure {
        case .errorRate:
            return Self.check(gate, value: candidate.errorRate, served: served.requests > 0 ? served.errorRate : nil, requests: candidate.requests)
        case .p99Milliseconds:
            return Self.check(gate, value: candidate.p99, served: served.p99, requests: candidate.requests, unit: " ms")
        case .shadowAgreement:
            return Self.check(gate, value: candidate.shadowAgreement, served: 1, requests: candidate.shadowCompared, counted: "shadow copies")
        case .psi:
            return Self.check(
                gate, value: signals.psi(model: rollout.model, version: rollout.toVersion),
                served: signals.psi(model: rollout.model, version: rollout.fromVersion), requests: nil)
        case .live(let metric):
            return Self.check(
                gate, value: signals.liveMetric(metric, model: rollout.model, version: rollout.toVersion),
                served: signals.liveMetric(metric, model: rollout.model, version: rollout.fromVersion), requests: nil)
        }
    }

    static func check(
        _ gate: RolloutGate, value: Double?, served: Double?, requests: Int?, unit: String = "", counted: String = "requests"
    ) -> Check {
        let name =
            switch gate.measure {
            case .errorRate: "error rate"
            case .p99Milliseconds: "p99"
            case .shadowAgreement: "shadow agreement"
            case .psi: "psi"
            case .live(let metric): "live \(metric)"
            }
        let over = requests.map { " over \(grouped($0)) \(counted)" } ?? ""
        guard let value, let limit = gate.limit(served: served) else {
            let missing = value == nil ? "no data yet" : "no value of the release in service yet"
            return Check(gate: gate.name, condition: gate.condition, value: value, limit: nil, passed: true, sentence: "\(name): \(missing), skipped")
        }
        let passed = gate.passes(value, limit: limit)
        let relation = passed ? gate.comparison.rawValue : gate.failing
        let against = gate.relative ? " (served \(number(limit - gate.bound)) \(gate.bound < 0 ? "-" : "+") \(number(abs(gate.bound))))" : ""
        return Check(
            gate: gate.name, condition: gate.condition, value: value, limit: limit, passed: passed,
            sentence: "\(name) \(number(value))\(unit) \(relation) \(number(limit))\(unit)\(against)\(over)")
    }

    /// A measured number, short: three significant digits (`0.051`, `62.4`, `1200`).
    static func number(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
        return String(format: "%.3g", value)
    }

    /// A count with thousands separated: `1,200`.
    static func grouped(_ count: Int) -> String {
        let digits = Array(String(count))
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { text.append(",") }
            text.append(digit)
        }
        return text
    }

    // MARK: Traffic

    /// The step's weights: the new release `percent`, the release in service the rest; its
    /// shadow copies when a `shadow_agreement` gate is declared and it does not serve everything.
    private func setWeights(_ rollout: Rollout, plan: RolloutPlan) throws {
        var policy = registry.policy(for: rollout.model) ?? TrafficPolicy()
        policy.weights = [rollout.fromVersion: 100 - rollout.percent, rollout.toVersion: rollout.percent]
        policy.shadow = plan.gate(.shadowAgreement) != nil && rollout.percent < 100 ? rollout.toVersion : nil
        try registry.setPolicy(policy, for: rollout.model)
    }

    /// Measures the step afresh; the driver arms the error budget of a request-count step with
    /// an absolute `error_rate` gate (`<=` or `<`).
    private func watch(_ rollout: Rollout, plan: RolloutPlan, driving: Bool) {
        var budget: Int?
        if driving, case .requests(let count) = plan.step, let gate = plan.gate(.errorRate), !gate.relative {
            let allowed = gate.bound * Double(count)
            switch gate.comparison {
            case .atMost: budget = Int(allowed.rounded(.down))
            case .below: budget = Int(allowed.rounded(.up)) - 1
            default: budget = nil
            }
        }
        registry.rolloutTally.watch(rollout.model, served: rollout.fromVersion, candidate: rollout.toVersion, errorBudget: budget)
    }

    /// The new release takes the model's traffic; the release it replaces drains.
    private func finishPromotion(_ rollout: Rollout) async throws {
        registry.rolloutTally.stop(rollout.model)
        active.withLock { _ = $0.removeValue(forKey: rollout.model) }
        var policy = registry.policy(for: rollout.model) ?? TrafficPolicy()
        policy.weights = [:]
        policy.shadow = nil
        try registry.setPolicy(policy, for: rollout.model)
        try await registry.promote(rollout.model, to: rollout.toVersion, drainingOthers: true)
    }

    /// Ends the rollout here: the traffic back to the release in service, the new release drained
    /// (unless it is still wanted).
    private func abandon(_ entry: Active, keepCandidate: Bool) async {
        let model = entry.rollout.model
        registry.rolloutTally.stop(model)
        active.withLock { _ = $0.removeValue(forKey: model) }
        registry.haltRollout(model)
        if !keepCandidate { try? await registry.unload(model, entry.rollout.toVersion) }
    }

    private func update(_ model: String, _ body: (inout Active) -> Void) {
        active.withLock { active in
            if var entry = active[model] {
                body(&entry)
                active[model] = entry
            }
        }
    }

    /// Records a decision as an event, logs it and notifies.
    private func decided(_ rollout: Rollout, kind: Event.Kind, reason: String, details: Details) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = (try? encoder.encode(details)).map { String(decoding: $0, as: UTF8.self) }
        try store.record(
            Event(
                time: now(), repository: repository, environment: environment, model: rollout.model, fromVersion: rollout.fromVersion,
                toVersion: rollout.toVersion, kind: kind, reason: reason, cause: "rollout", details: json))
        logger.info("\(environment): \(rollout.model) \(reason)")
        guard let notifier else { return }
        let notificationKind: ModelFactory.Notification.Kind =
            switch kind {
            case .promoted: .promoted
            case .rolledBack: .rolledBack
            default: .rolloutStep
            }
        let notification = ModelFactory.Notification(
            kind: notificationKind, repository: repository,
            text: "\(kind == .rolledBack ? "↩️" : "🚦") \(RepositoryIdentity(name: repository).shortName): \(environment) \(rollout.model) \(reason)",
            page: ModelFactory.Notification.modelPage(rollout.model))
        let logger = self.logger
        notifier.post(notification) { logger.warning("\($0)") }
    }
}

extension ModelRegistry {
    /// Sends all of `model`'s traffic back to its current version (the release in service): the
    /// weights and the shadow of a rollout go, the sticky header stays.
    func haltRollout(_ model: String) {
        guard var policy = policy(for: model) else { return }
        policy.weights = [:]
        policy.shadow = nil
        try? setPolicy(policy, for: model)
    }
}
