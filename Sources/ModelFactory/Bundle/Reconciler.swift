public import Foundation
public import GitKit
internal import GRDB

/// What one `mf reconcile` did.
public struct ReconcileReport: Sendable, Encodable {
    public struct Action: Sendable, Encodable {
        /// `session`, `bundle` or `environment`.
        public var kind: String
        /// The ref, tag or environment acted on.
        public var target: String
        /// `done`, or `failed` with the reason in `detail`.
        public var outcome: String
        public var detail: String
        /// The model and version a bundle or environment action is about.
        public var model: String?
        public var version: String?
        /// The ref a bundle was made from (`refs/tags/v1.2.0` for a release).
        public var ref: String?

        public init(kind: String, target: String, outcome: String, detail: String, model: String? = nil, version: String? = nil, ref: String? = nil) {
            self.ref = ref
            self.kind = kind
            self.target = target
            self.outcome = outcome
            self.detail = detail
            self.model = model
            self.version = version
        }
    }

    public var actions: [Action] = []
    public var environments: [EnvironmentRecord] = []
}

/// The level-triggered reconciler (DESIGN.md "GitOps"): from the refs it derives what should
/// exist — a session for each feature and hotfix head, a bundle for each release tag whose
/// session passes, `production` on the newest bundled release of the production line — and does
/// only what is missing. Runs on one repository are serialised by a lock file in the home folder,
/// so two at once do each piece of work once; everything it makes is published atomically, so a
/// run killed at any moment is finished by the next.
public struct Reconciler: Sendable {
    public let pipeline: Pipeline

    public init(pipeline: Pipeline) { self.pipeline = pipeline }

    /// The triggers of sessions only a reconcile makes (under the repository's lock).
    public static let triggers = ["reconcile", "enqueue", "hook", "webhook", "watch"]

    /// Reconciles `repository`; its sessions are marked with `trigger` (what woke the factory).
    public func reconcile(
        _ repository: Repository, cache: URL? = nil, trigger: String = "reconcile", observer: (any BuildObserver)? = nil
    ) async throws -> ReconcileReport {
        let lock = try Self.lock(Self.lockFile(home: pipeline.home, repository: repository.location))
        defer { close(lock) }
        // What a killed run left half-made goes first (only when no one else is making anything):
        // folders set aside, and sessions still marked running (their work is done again).
        for parent in [pipeline.buildsFolder, pipeline.home.appendingPathComponent("bundles")] { close(try AsideFolders.enter(parent)) }
        for (old, new) in try pipeline.store.interruptStaleSessions(repository: repository.location, triggers: Self.triggers) {
            // Their logs and partial artifacts go with them (the record already names the new folder).
            let folder = pipeline.sessionsFolder.appendingPathComponent(old)
            if FileManager.default.fileExists(atPath: folder.path) {
                try? FileManager.default.moveItem(at: folder, to: pipeline.sessionsFolder.appendingPathComponent(new))
            }
        }
        let flow = try Flow.read(repository, checkingRules: false, cache: cache)
        var report = ReconcileReport()

        for head in flow.features + flow.hotfixes {
            guard let commit = head.commit, try !pipeline.store.hasSession(repository: repository.location, commit: commit.hex) else { continue }
            let reports = try await pipeline.build(repository, BuildRequest(revision: commit.hex, trigger: trigger, label: head.branch), observer: observer)
            for session in reports {
                report.actions.append(.init(kind: "session", target: head.branch, outcome: session.session.status.rawValue,
                                            detail: "\(session.model) \(session.session.id)" + (session.session.failure.map { ": \($0)" } ?? ""),
                                            model: session.model, version: session.session.version))
            }
        }

        var bundler = Bundler(pipeline: pipeline)
        bundler.trigger = trigger
        let references = try repository.references(readingTagObjects: false)
        var bundled: [String: [(Release, BundleResult)]] = [:]
        for release in flow.releases {
            do {
                for result in try await bundler.bundle(repository, tag: release.tag, references: references, configuration: flow.configuration, observer: observer) {
                    if result.created {
                        report.actions.append(.init(kind: "bundle", target: release.tag, outcome: "done", detail: result.archive, model: result.model, version: result.version, ref: result.ref))
                    }
                    bundled[result.model, default: []].append((release, result))
                }
            } catch where !(error is DatabaseError || error is CancellationError) {
                report.actions.append(.init(kind: "bundle", target: release.tag, outcome: "failed", detail: String(describing: error)))
            }
        }

        // production: the newest bundled release on the production line, per model.
        for (model, releases) in bundled {
            let candidates = releases.filter { $0.0.productionLine && !$0.0.version.isPrerelease }
            guard let newest = candidates.max(by: { $0.0.version < $1.0.version }) else { continue }
            try move("production", of: model, to: newest.1, repository: repository, report: &report)
        }

        // staging: a pre-release bundle of the development head.
        if let development = flow.development, let commit = development.commit {
            do {
                let results = try await bundler.bundle(repository, branch: development.branch, commit: commit, version: { model in
                    flow.stagingVersion(model: model, commit: commit)
                }, observer: observer)
                for result in results {
                    if result.created {
                        report.actions.append(.init(kind: "bundle", target: development.branch, outcome: "done", detail: result.archive, model: result.model, version: result.version, ref: result.ref))
                    }
                    try move("staging", of: result.model, to: result, repository: repository, report: &report)
                }
            } catch where !(error is DatabaseError || error is CancellationError) {
                report.actions.append(.init(kind: "bundle", target: development.branch, outcome: "failed", detail: String(describing: error)))
            }
        }
        report.environments = try pipeline.store.environments(repository: repository.location)
        return report
    }

    /// Points environment `name` of `model` at `bundle`, when it is not there already.
    private func move(_ name: String, of model: String, to bundle: BundleResult, repository: Repository, report: inout ReconcileReport) throws {
        let current = try pipeline.store.environments(repository: repository.location).first { $0.model == model && $0.name == name }
        let record = EnvironmentRecord(
            repository: repository.location, model: model, name: name, version: bundle.version, tag: bundle.tag ?? "",
            commit: bundle.commit, bundle: bundle.path, updatedAt: Date())
        guard current?.version != record.version || current?.bundle != record.bundle else { return }
        try pipeline.store.record(record)
        report.actions.append(.init(kind: "environment", target: name, outcome: "done", detail: "\(model) \(current?.version ?? "none") -> \(record.version)",
                                      model: model, version: record.version))
    }

    /// The file whose lock serialises runs on the repository at `location`.
    public static func lockFile(home: URL, repository location: String) -> URL {
        home.appendingPathComponent("locks/reconcile-\(Pipeline.sha256(location).prefix(16)).lock")
    }

    /// An exclusive lock on `file`, waited for; released when the descriptor closes (or the
    /// process dies).
    static func lock(_ file: URL) throws -> Int32 {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let descriptor = open(file.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw BundleError.io(what: file.path, problem: "the lock file cannot be opened") }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { close(descriptor); throw BundleError.io(what: file.path, problem: "the lock cannot be taken") }
        }
        return descriptor
    }
}

/// An environment as git wants it and as the factory has it.
public struct EnvironmentStatus: Sendable, Encodable {
    /// `production` or `staging`.
    public var name: String
    /// The model of a `model@version` release; nil in a repository of one model.
    public var model: String?
    /// The version the environment should run, from the refs.
    public var desired: String
    /// Where that version comes from: the release tag (production) or the branch (staging).
    public var ref: String
    /// The version it runs, as the last `mf reconcile` set it; nil when none.
    public var current: String?
    /// Why current is not desired, when it is not.
    public var reason: String?

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(model, forKey: .model)
        try container.encode(desired, forKey: .desired)
        try container.encode(ref, forKey: .ref)
        try container.encode(current, forKey: .current)
        try container.encode(reason, forKey: .reason)
    }

    enum CodingKeys: String, CodingKey { case name, model, desired, ref, current, reason }
}

/// A release tag that has no bundle because its session failed.
public struct UnbundledRelease: Sendable, Encodable {
    public var tag: String
    public var version: String
    public var model: String
    public var session: String
    public var reason: String
}

extension Reconciler {
    /// Every release of a model whose latest session failed (not cut short by a killed run) and
    /// that has neither a bundle nor a passed session to make one from: the tags that get no
    /// bundle, and why. Per model, as the bundler decides (a `model@version` tag names one).
    public static func unbundled(flow: Flow, repository: Repository, store: Store) throws -> [UnbundledRelease] {
        var unbundled: [UnbundledRelease] = []
        for release in flow.releases {
            for (session, model) in try store.latestSessions(repository: repository.location, commit: release.commit.hex)
            where release.model == nil || release.model == model {
                guard session.failedForGood, try store.bundle(modelID: session.modelId, version: release.version.description) == nil,
                      try store.firstPassedSession(modelID: session.modelId, commit: release.commit.hex) == nil else { continue }
                unbundled.append(UnbundledRelease(
                    tag: release.tag, version: release.version.description, model: model, session: session.id,
                    reason: "its session \(session.id.prefix(8)) failed (\(session.failure ?? "failed"))"))
            }
        }
        return unbundled
    }

    /// `production` and `staging` for each model: what the refs want against what the store says
    /// runs, and why they differ (a failed session, or no reconcile yet).
    public static func environments(flow: Flow, repository: Repository, store: Store) throws -> [EnvironmentStatus] {
        let records = try store.environments(repository: repository.location)
        func current(_ name: String, model: String?) -> EnvironmentRecord? {
            records.first { $0.name == name && (model == nil || $0.model == model) }
        }
        func reason(_ what: String, commit: ObjectID) throws -> String {
            if let session = try store.latestSession(repository: repository.location, commit: commit.hex), session.status == .failed {
                return "\(what) has no bundle: its session \(session.id.prefix(8)) failed (\(session.failure ?? "failed"))"
            }
            return "\(what) is not bundled yet; run mf reconcile"
        }
        var environments: [EnvironmentStatus] = []
        for release in flow.latestReleases {
            let running = current("production", model: release.model)
            let desired = release.version.description
            environments.append(EnvironmentStatus(
                name: "production", model: release.model, desired: desired, ref: release.tag, current: running?.version,
                reason: running?.version == desired ? nil : try reason(release.tag, commit: release.commit)))
        }
        if let development = flow.development, let commit = development.commit {
            let models: [String?] = flow.latestReleases.isEmpty ? [nil] : flow.latestReleases.map(\.model)
            for model in models {
                let running = current("staging", model: model)
                let desired = flow.stagingVersion(model: model, commit: commit).description
                environments.append(EnvironmentStatus(
                    name: "staging", model: model, desired: desired, ref: development.branch, current: running?.version,
                    reason: running?.version == desired ? nil : try reason("\(development.branch) at \(commit.short)", commit: commit)))
            }
        }
        return environments
    }
}
