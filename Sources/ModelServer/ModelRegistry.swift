public import Foundation
public import Logging
public import ModelFactory
public import Store
internal import Synchronization
internal import SystemKit

/// How one model's traffic is split between its loaded versions: the same policy
/// `.mf/traffic.yaml` declares (weights for A/B, a shadow, a sticky header), as the admin API's
/// JSON (`{"weights": {...}, "shadow": ..., "stickyHeader": ...}`).
public typealias TrafficPolicy = TrafficDeclaration.Model

/// The models a server hosts: their loaded versions, the current one, and the traffic policy.
public final class ModelRegistry: Sendable {
    struct Entry {
        var versions: [String: ModelVersion] = [:]
        /// Where traffic goes without an A/B policy: the last version made current.
        var current: String?
        var policy = TrafficPolicy()
    }

    private let entries = Mutex<[String: Entry]>([:])
    let metrics: ServerMetrics
    /// What the request path measures for models under rollout (`RolloutDriver`).
    let rolloutTally = RolloutTally()
    let options: PoolOptions
    let home: URL
    let python: RunnableBundle.PythonPackages
    let logger: Logger
    /// The drift window and alert callback every loaded version gets.
    let drift: DriftMonitor.Settings
    /// Where answered predictions wait to be written to the store; nil without a store.
    let predictionLog: PredictionLog?

    /// An empty registry whose versions get `options.pool`'s workers and unpack and set up
    /// bundles under `options.home`.
    public init(options: ServeOptions, logger: Logger = Logger(label: "mf.serve")) {
        let metrics = ServerMetrics()
        self.metrics = metrics
        self.options = options.pool
        home = options.home
        python = options.python
        self.logger = logger
        drift = DriftMonitor.Settings(options)
        predictionLog = options.store.map { PredictionLog(store: $0, options: options.loop, metrics: metrics) }
    }

    /// Opens, verifies and starts a bundle (workers up, warmed on its examples), then adds it;
    /// with `makeCurrent` traffic moves to it. An already loaded version is left as it is.
    @discardableResult
    public func load(_ path: URL, makeCurrent: Bool = true) async throws -> ModelVersion {
        let bundle = try await RunnableBundle.open(path, home: home, python: python)
        if let loaded = version(bundle.name, bundle.version) {
            if makeCurrent { entries.withLock { $0[bundle.name]?.current = bundle.version } }
            return loaded
        }
        let version = ModelVersion(
            bundle: bundle, options: options, metrics: metrics, logger: logger,
            drift: DriftMonitor.make(bundle, settings: drift, metrics: metrics, logger: logger))
        do { try await version.start() } catch {
            await version.drain()
            throw error
        }
        entries.withLock { entries in
            entries[bundle.name, default: Entry()].versions[bundle.version] = version
            if makeCurrent || entries[bundle.name]?.current == nil { entries[bundle.name]?.current = bundle.version }
        }
        logger.info("serving \(bundle.name) \(bundle.version) from \(bundle.folder.path)")
        return version
    }

    /// Loads `version` of `model` of `repository` as `store` recorded its bundle: from its folder
    /// when an intact copy is on this host, else fetched from the store's blob into this
    /// server's home first (`BundleCache`), so a host without the builds serves it. A version
    /// the store has no bundle record of is loaded from `path`. An already loaded version is
    /// left as it is.
    @discardableResult
    public func load(
        _ model: String, version: String, repository: String, store: any FactoryStore, path: String, makeCurrent: Bool = true
    ) async throws -> ModelVersion {
        if let loaded = self.version(model, version) {
            if makeCurrent { entries.withLock { $0[model]?.current = version } }
            return loaded
        }
        let home = self.home
        let found: Result<(folder: URL, source: BundleCache.Source)?, any Error> = await BlockingWork.run {
            Result {
                guard let record = try store.bundle(modelID: store.modelID(repository: repository, name: model), version: version) else { return nil }
                return try BundleCache(store: store, home: home).folder(for: record, model: model)
            }
        }
        guard let bundle = try found.get() else { return try await load(URL(fileURLWithPath: path), makeCurrent: makeCurrent) }
        if bundle.source == .store { logger.info("fetched \(model) \(version) from the store into \(bundle.folder.path)") }
        return try await load(bundle.folder, makeCurrent: makeCurrent)
    }

    /// Takes a version out of service: no new requests reach it, queued ones finish, its
    /// workers stop. What is left of the policy and the current version agree (see
    /// `afterUnloading`).
    public func unload(_ model: String, _ version: String) async throws {
        let removed: ModelVersion = try entries.withLock { entries in
            guard var entry = entries[model], let loaded = entry.versions[version] else { throw ServeError.notFound(model: model, version: version) }
            entry.versions[version] = nil
            (entry.current, entry.policy) = Self.afterUnloading(
                version, loaded: Array(entry.versions.keys), current: entry.current, policy: entry.policy)
            entries[model] = entry.versions.isEmpty ? nil : entry
            return loaded
        }
        await removed.drain()
        logger.info("unloaded \(model) \(version)")
    }

    /// The current version and policy once `version` is unloaded and `loaded` are left: its
    /// weight and its shadow go; when at most one version still has weight, the split is over
    /// and that version is current, with all the traffic; else, when `version` was current, the
    /// version with the most weight (the newer on a tie) is, and without weights the newest
    /// loaded version. So the policy never names a version that is gone, and `current` is where
    /// the traffic goes.
    static func afterUnloading(
        _ version: String, loaded: [String], current: String?, policy: TrafficPolicy
    ) -> (current: String?, policy: TrafficPolicy) {
        func older(_ one: String, _ other: String) -> Bool {
            let (a, b) = (Version(one) ?? Version(major: 0), Version(other) ?? Version(major: 0))
            return a < b || (!(b < a) && one < other)
        }
        var policy = policy
        var current = current
        policy.weights[version] = nil
        if policy.shadow == version { policy.shadow = nil }
        let weighted = policy.weights.filter { $0.value > 0 }
        if weighted.count <= 1 {
            policy.weights = [:]
            if let only = weighted.first?.key { current = only }
        }
        if current == version || current.map({ !loaded.contains($0) }) ?? true {
            current =
                policy.weights.max { one, other in one.value != other.value ? one.value < other.value : older(one.key, other.key) }?.key
                ?? loaded.max(by: older)
        }
        return (current, policy)
    }

    /// Moves traffic to `version` (already loaded) and drains the versions it replaces that no
    /// policy names any more.
    public func promote(_ model: String, to version: String, drainingOthers: Bool) async throws {
        let replaced: [String] = try entries.withLock { entries in
            guard var entry = entries[model], entry.versions[version] != nil else { throw ServeError.notFound(model: model, version: version) }
            entry.current = version
            entries[model] = entry
            return entry.versions.keys.filter { $0 != version && entry.policy.weights[$0] == nil && entry.policy.shadow != $0 }
        }
        if drainingOthers { for old in replaced { try? await unload(model, old) } }
    }

    /// Drains the versions of `model` that are neither current nor named by its policy.
    func prune(_ model: String) async throws {
        let unused: [String] = entries.withLock { entries in
            guard let entry = entries[model] else { return [] }
            return entry.versions.keys.filter { $0 != entry.current && entry.policy.weights[$0] == nil && entry.policy.shadow != $0 }
        }
        for version in unused { try await unload(model, version) }
    }

    /// Sets how `model`'s traffic is split (weights, sticky key, shadow); every version it names must be loaded.
    public func setPolicy(_ policy: TrafficPolicy, for model: String) throws(ServeError) {
        try entries.withLock { entries throws(ServeError) in
            guard var entry = entries[model] else { throw ServeError.notFound(model: model) }
            for version in policy.weights.keys where entry.versions[version] == nil { throw ServeError.notFound(model: model, version: version) }
            if let shadow = policy.shadow, entry.versions[shadow] == nil { throw ServeError.notFound(model: model, version: shadow) }
            if policy.weights.values.contains(where: { !(0...TrafficPolicy.maxWeight).contains($0) })
                || (!policy.weights.isEmpty && policy.weights.values.reduce(0, +) == 0)
            {
                throw ServeError(.badRequest, "weights must be between 0 and \(TrafficPolicy.maxWeight) and not all zero")
            }
            entry.policy = policy
            entries[model] = entry
        }
    }

    /// How `model`'s traffic is split now; nil when it is not loaded.
    public func policy(for model: String) -> TrafficPolicy? { entries.withLock { $0[model]?.policy } }

    func version(_ model: String, _ version: String) -> ModelVersion? { entries.withLock { $0[model]?.versions[version] } }

    /// Every model with its versions (oldest first) and current version.
    public func models() -> [(name: String, versions: [ModelVersion], current: String?)] {
        entries.withLock { entries in
            entries.keys.sorted().map { name in
                let entry = entries[name]!
                let versions = entry.versions.values.sorted { (Version($0.version) ?? Version(major: 0)) < (Version($1.version) ?? Version(major: 0)) }
                return (name, versions, entry.current)
            }
        }
    }

    /// Which version answers a request (and which gets a shadow copy): the version asked for;
    /// else by the A/B weights, sticky on `key` when the policy names a header; else current.
    /// Both are entered (`ModelVersion.enter`); the caller leaves them when done.
    func route(_ model: String, version: String?, header: (String) -> String?) throws(ServeError) -> (primary: ModelVersion, shadow: ModelVersion?) {
        try entries.withLock { entries throws(ServeError) in
            guard let entry = entries[model] else { throw ServeError.notFound(model: model) }
            if let version {
                guard let chosen = entry.versions[version] else { throw ServeError.notFound(model: model, version: version) }
                chosen.enter()
                return (chosen, nil)
            }
            var chosen = entry.current.flatMap { entry.versions[$0] }
            let weighted = entry.policy.weights.filter { $0.value > 0 && entry.versions[$0.key] != nil }.sorted { $0.key < $1.key }
            if !weighted.isEmpty {
                let total = weighted.reduce(0) { $0 + $1.value }
                let point: Int
                if let name = entry.policy.stickyHeader, let key = header(name) {
                    point = Int(Self.fnv1a(key) % UInt64(total))
                } else {
                    point = Int.random(in: 0..<total)
                }
                var running = 0
                for (version, weight) in weighted {
                    running += weight
                    if point < running {
                        chosen = entry.versions[version]
                        break
                    }
                }
            }
            guard let chosen else { throw ServeError.notFound(model: model) }
            let shadow = entry.policy.shadow.flatMap { $0 == chosen.version ? nil : entry.versions[$0] }
            chosen.enter()
            shadow?.enter()
            return (chosen, shadow)
        }
    }

    /// Stops every version (graceful shutdown, after the HTTP server has drained).
    func drainAll() async {
        let all = entries.withLock { entries in entries.values.flatMap { $0.versions.values } }
        for version in all { await version.drain() }
    }

    /// FNV-1a, 64 bits: a stable hash of a sticky key (Swift's Hasher is seeded per process).
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
