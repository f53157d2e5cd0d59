public import Foundation
public import GitKit
public import Store
internal import SystemKit

/// What one `mf reconcile` did.
public struct ReconcileReport: Sendable, Encodable {
    /// One thing the reconcile did or tried: a session run, a bundle made, an environment moved.
    public struct Action: Sendable, Encodable {
        /// `session`, `bundle` or `environment`.
        public var kind: String
        /// The ref, tag or environment acted on.
        public var target: String
        /// `done`, or `failed` with the reason in `detail`.
        public var outcome: String
        /// What came of it: the model and session (with its failure), the bundle's archive path, the environment's move (`fraud 1.1.0 -> 1.2.0`), or why it failed.
        public var detail: String
        /// The model and version a bundle or environment action is about.
        public var model: String?
        /// The version that bundle or environment holds (for a session, the version of its commit, if any); nil when unknown.
        public var version: String?
        /// The ref a bundle was made from (`refs/tags/v1.2.0` for a release).
        public var ref: String?

        /// An action of each part; `model`, `version` and `ref` are nil when they do not apply.
        public init(kind: String, target: String, outcome: String, detail: String, model: String? = nil, version: String? = nil, ref: String? = nil) {
            self.ref = ref
            self.kind = kind
            self.target = target
            self.outcome = outcome
            self.detail = detail
            self.model = model
            self.version = version
        }

        /// Every field, a missing one as `null`, so scripts find the same keys in every action.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(kind, forKey: .kind)
            try container.encode(target, forKey: .target)
            try container.encode(outcome, forKey: .outcome)
            try container.encode(detail, forKey: .detail)
            try container.encode(model, forKey: .model)
            try container.encode(version, forKey: .version)
            try container.encode(ref, forKey: .ref)
        }

        enum CodingKeys: String, CodingKey { case kind, target, outcome, detail, model, version, ref }
    }

    /// What the reconcile did and tried, in the order it did it.
    public var actions: [Action] = []
    /// Every environment of the repository as the store has it once the reconcile is done.
    public var environments: [EnvironmentRecord] = []

    /// The environments as `mf bundles --json` shows a bundle: a staging environment's missing
    /// tag is `null`, and the time is ISO 8601.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(actions, forKey: .actions)
        var list = container.nestedUnkeyedContainer(forKey: .environments)
        for environment in environments {
            var item = list.nestedContainer(keyedBy: EnvironmentKeys.self)
            try item.encode(environment.repository, forKey: .repository)
            try item.encode(environment.model, forKey: .model)
            try item.encode(environment.name, forKey: .name)
            try item.encode(environment.version, forKey: .version)
            try item.encode(environment.tag, forKey: .tag)
            try item.encode(environment.commit, forKey: .commit)
            try item.encode(environment.bundle, forKey: .bundle)
            try item.encode(environment.updatedAt, forKey: .updatedAt)
        }
    }

    enum CodingKeys: String, CodingKey { case actions, environments }
    enum EnvironmentKeys: String, CodingKey { case repository, model, name, version, tag, commit, bundle, updatedAt }
}

/// The level-triggered reconciler (DESIGN.md "GitOps"): from the refs it derives what should
/// exist — a session for each feature and hotfix head, a bundle for each release tag whose
/// session passes, `production` on the newest bundled release of the production line — and does
/// only what is missing. Runs on one repository are serialised by the store's lock on its
/// identity (`FactoryStore.lockRepository`), so two at once, on any hosts, do each piece of work once; everything it makes is published atomically, so a
/// run killed at any moment is finished by the next.
public struct Reconciler: Sendable {
    /// The pipeline that runs the sessions, with the store and home folder the reconciler works in.
    public let pipeline: Pipeline

    /// A reconciler that builds, bundles and records through `pipeline`.
    public init(pipeline: Pipeline) { self.pipeline = pipeline }

    /// The triggers of sessions only a reconcile makes (under the repository's lock).
    public static let triggers = Trigger.reconciling

    /// Reconciles `repository`; its sessions are marked with `trigger` (what woke the factory).
    public func reconcile(
        _ repository: Repository, cache: URL? = nil, trigger: Trigger = .reconcile, observer: (any BuildObserver)? = nil
    ) async throws -> ReconcileReport {
        // Runs on one repository are serialised across every host that shares the store.
        let identity = try RepositoryIdentity(repository)
        let lock = try pipeline.store.lockRepository(identity.name)
        defer { lock.unlock() }
        try pipeline.store.registerRepository(identity: identity.name, location: repository.location)
        // What a killed run left half-made goes first (only when no one else is making anything):
        // folders set aside, and sessions still marked running (their work is done again).
        for parent in [pipeline.buildsFolder, pipeline.home.appendingPathComponent("bundles")] { try AsideFolders.enter(parent).unlock() }
        for (old, new) in try pipeline.store.interruptStaleSessions(repository: identity.name, triggers: Self.triggers) {
            // Their logs and partial artifacts go with them (the record already names the new folder).
            let folder = pipeline.sessionsFolder.appendingPathComponent(old)
            if FileManager.default.fileExists(atPath: folder.path) {
                try? FileManager.default.moveItem(at: folder, to: pipeline.sessionsFolder.appendingPathComponent(new))
            }
        }
        let flow = try Flow.read(repository, checkingRules: false, cache: cache)
        let tagged = flow.taggedVersions()  // once: every build and bundle below looks up its commit
        let references = try repository.references(readingTagObjects: false)
        var report = ReconcileReport()

        // Each model of each feature and hotfix head on its own: a model with a session at the
        // head is not built again, one whose session failed is reported again (as a failed tag is).
        for head in flow.features + flow.hotfixes {
            guard let commit = head.commit else { continue }
            var missing: Set<String> = []
            for model in try Pipeline.models(repository, commit: commit) {
                let modelID = try pipeline.store.modelID(repository: identity.name, name: model.name)
                if try pipeline.store.firstPassedSession(modelID: modelID, commit: commit.hex) != nil { continue }
                if let latest = try pipeline.store.latestSession(modelID: modelID, commit: commit.hex), latest.failedForGood {
                    report.actions.append(
                        .init(
                            kind: "session", target: head.branch, outcome: Session.Status.failed.rawValue,
                            detail: "\(model.name) \(latest.id): \(latest.failure ?? "failed"); `mf build --force \(head.branch)` runs it again",
                            model: model.name, version: latest.version, ref: latest.ref))
                    continue
                }
                missing.insert(model.folder)
            }
            guard !missing.isEmpty else { continue }
            let request = BuildRequest(
                revision: commit.hex, trigger: trigger, label: head.branch, ref: Self.referenceName(of: head, in: references), folders: missing,
                known: (commit, tagged[commit] ?? [:]))
            for session in try await pipeline.build(repository, request, observer: observer) {
                report.actions.append(
                    .init(
                        kind: "session", target: head.branch, outcome: session.session.status.rawValue,
                        detail: "\(session.model) \(session.session.id)" + (session.session.failure.map { ": \($0)" } ?? ""),
                        model: session.model, version: session.session.version, ref: session.session.ref))
            }
        }

        // A bundle for each model of each release tag, each on its own.
        var bundler = Bundler(pipeline: pipeline)
        bundler.trigger = trigger
        var bundled: [String: [(Release, BundleResult)]] = [:]
        for release in flow.releases {
            let ref = "refs/tags/" + release.tag
            do {
                for outcome in try await bundler.bundle(repository, release: release, taggedAt: tagged[release.commit] ?? [:], observer: observer) {
                    switch outcome {
                    case .bundled(let result):
                        if result.created {
                            report.actions.append(
                                .init(
                                    kind: "bundle", target: release.tag, outcome: "done", detail: result.archive, model: result.model, version: result.version,
                                    ref: result.ref))
                        }
                        bundled[result.model, default: []].append((release, result))
                    case .failed(let model, let error):
                        report.actions.append(
                            .init(
                                kind: "bundle", target: release.tag, outcome: "failed", detail: error.description, model: model,
                                version: release.version.description, ref: ref))
                    }
                }
            } catch  where !(error is StoreError || error is CancellationError) {
                report.actions.append(
                    .init(
                        kind: "bundle", target: release.tag, outcome: "failed", detail: String(describing: error), model: release.model,
                        version: release.version.description, ref: ref))
            }
        }

        // The declared traffic first: a server that sees production move sees its rollout plan too.
        try recordTraffic(of: flow, repository: repository, identity: identity)

        // production: the newest bundled release on the production line, per model.
        for (model, releases) in bundled.sorted(by: { $0.key < $1.key }) {
            let candidates = releases.filter { $0.0.productionLine && !$0.0.version.isPrerelease }
            guard let newest = candidates.max(by: { $0.0.version < $1.0.version }) else { continue }
            try move("production", of: model, to: newest.1, repository: identity, trigger: trigger, report: &report)
        }

        // staging: a pre-release bundle of each model at the development head, each on its own.
        if let development = flow.development, let commit = development.commit {
            let ref = Self.referenceName(of: development, in: references)
            do {
                let outcomes = try await bundler.bundle(
                    repository, branch: development.branch, ref: ref, commit: commit, taggedAt: tagged[commit] ?? [:],
                    version: { model in
                        flow.stagingVersion(model: model, commit: commit)
                    }, observer: observer)
                for outcome in outcomes {
                    switch outcome {
                    case .bundled(let result):
                        if result.created {
                            report.actions.append(
                                .init(
                                    kind: "bundle", target: development.branch, outcome: "done", detail: result.archive, model: result.model,
                                    version: result.version, ref: result.ref))
                        }
                        try move("staging", of: result.model, to: result, repository: identity, trigger: trigger, report: &report)
                    case .failed(let model, let error):
                        report.actions.append(
                            .init(
                                kind: "bundle", target: development.branch, outcome: "failed", detail: error.description, model: model,
                                version: flow.stagingVersion(model: model, commit: commit).description, ref: ref))
                    }
                }
            } catch  where !(error is StoreError || error is CancellationError) {
                report.actions.append(.init(kind: "bundle", target: development.branch, outcome: "failed", detail: String(describing: error), ref: ref))
            }
        }
        report.environments = try pipeline.store.environments(repository: identity.name)
        return report
    }

    /// The full name of a branch head's ref: `refs/heads/development`, or
    /// `refs/remotes/origin/development` for a line taken from the remote in a fresh clone.
    static func referenceName(of head: BranchHead, in references: [Reference]) -> String {
        references.first { ($0.kind == .branch || $0.kind == .remoteBranch) && $0.shortName == head.branch }?.name ?? "refs/heads/" + head.branch
    }

    /// Records the `.mf/traffic.yaml` at the head of the production line, when that head is not
    /// the one recorded before: a server following production reads it from the store.
    private func recordTraffic(of flow: Flow, repository: Repository, identity: RepositoryIdentity) throws {
        let head = flow.production?.commit
        let recorded = try pipeline.store.traffic(repository: identity.name, environment: TrafficDeclaration.environment)
        if let recorded, recorded.commit == head?.hex { return }
        let declaration = head.flatMap { try? repository.file(at: TrafficDeclaration.path, in: $0) }.map { String(decoding: $0, as: UTF8.self) }
        try pipeline.store.record(
            traffic: TrafficRecord(
                repository: identity.name, environment: TrafficDeclaration.environment, commit: head?.hex, declaration: declaration, recordedAt: Date()))
    }

    /// Points environment `name` of `model` at `bundle`, when it is not there already.
    private func move(
        _ name: String, of model: String, to bundle: BundleResult, repository: RepositoryIdentity, trigger: Trigger, report: inout ReconcileReport
    ) throws {
        let current = try pipeline.store.environments(repository: repository.name).first { $0.model == model && $0.name == name }
        let record = EnvironmentRecord(
            repository: repository.name, model: model, name: name, version: bundle.version, tag: bundle.tag,
            commit: bundle.commit, bundle: bundle.path, updatedAt: Date())
        guard current?.version != record.version || current?.bundle != record.bundle else { return }
        try pipeline.store.record(record)
        try recordEvent(moving: current, to: record, ref: bundle.ref, cause: trigger)
        report.actions.append(
            .init(
                kind: "environment", target: name, outcome: "done", detail: "\(model) \(current?.version ?? "none") -> \(record.version)",
                model: model, version: record.version, ref: bundle.ref))
    }

    /// The audit trail's event of an environment moved by this reconcile, caused by its trigger.
    private func recordEvent(moving current: EnvironmentRecord?, to record: EnvironmentRecord, ref: String?, cause: Trigger) throws {
        let what = record.tag ?? ref ?? String(record.commit.prefix(8))
        try pipeline.store.record(
            Event(
                time: record.updatedAt, repository: record.repository, environment: record.name, model: record.model, fromVersion: current?.version,
                toVersion: record.version, kind: .environment,
                reason: "\(record.name) wants \(record.model) \(record.version) (\(what)) instead of \(current?.version ?? "nothing")",
                cause: cause.rawValue))
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

    /// Every field, a missing one as `null`, so scripts find the same keys for every environment.
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
    /// The release tag with no bundle (`v1.2.0`, `fraud@1.2.0`).
    public var tag: String
    /// The version the tag names.
    public var version: String
    /// The model whose session failed, as its model.yaml names it.
    public var model: String
    /// The ID of that failed session: the model's latest at the tag's commit.
    public var session: String
    /// Why there is no bundle, as a user reads it: the session and its failure.
    public var reason: String
}

extension Reconciler {
    /// Every release of a model whose latest session failed (not cut short by a killed run) and
    /// that has neither a bundle nor a passed session to make one from: the tags that get no
    /// bundle, and why. Per model, as the bundler decides (a `model@version` tag names one).
    public static func unbundled(flow: Flow, repository: Repository, store: any FactoryStore) throws -> [UnbundledRelease] {
        var unbundled: [UnbundledRelease] = []
        let identity = try RepositoryIdentity(repository).name
        for release in flow.releases {
            for (session, model) in try store.latestSessions(repository: identity, commit: release.commit.hex)
            where release.model == nil || release.model == model {
                guard session.failedForGood, try store.bundle(modelID: session.modelId, version: release.version.description) == nil,
                    try store.firstPassedSession(modelID: session.modelId, commit: release.commit.hex) == nil
                else { continue }
                unbundled.append(
                    UnbundledRelease(
                        tag: release.tag, version: release.version.description, model: model, session: session.id,
                        reason: (session.blockedByData ? "blocked by data: " : "")
                            + "its session \(session.id.prefix(8)) failed (\(session.failure ?? "failed"))"))
            }
        }
        return unbundled
    }

    /// `production` and `staging` for each model: what the refs want against what the store says
    /// runs, and why they differ (the model's own failed session, or no reconcile yet).
    public static func environments(flow: Flow, repository: Repository, store: any FactoryStore) throws -> [EnvironmentStatus] {
        let identity = try RepositoryIdentity(repository).name
        let records = try store.environments(repository: identity)
        func current(_ name: String, model: String?) -> EnvironmentRecord? {
            records.first { $0.name == name && (model == nil || $0.model == model) }
        }
        /// The models at `commit`: `shown` is nil for the one model of a repository with
        /// `model.yaml` at its root (as environments show it), `problem` why a model.yaml cannot be read.
        struct Model { var shown: String?, name: String, problem: String? }
        func models(at commit: ObjectID) throws -> [Model] {
            let found = try Pipeline.models(repository, commit: commit)
            return found.map { Model(shown: found.count == 1 && $0.folder.isEmpty ? nil : $0.name, name: $0.name, problem: $0.problem) }
        }
        /// Why `model` has no bundle of `what` at `commit`: its broken model.yaml, or its own
        /// latest session's failure when that failure stands; else it is still to be made.
        func reason(_ what: String, model: Model, commit: ObjectID) throws -> String {
            if let problem = model.problem { return "\(what) has no bundle: \(problem)" }
            let latest = try store.latestSessions(repository: identity, commit: commit.hex)
            if let session = latest.first(where: { $0.model == model.name })?.session, session.failedForGood {
                return
                    "\(what) has no bundle: \(session.blockedByData ? "blocked by data: " : "")its session \(session.id.prefix(8)) failed (\(session.failure ?? "failed"))"
            }
            return "\(what) is not bundled yet; run mf reconcile"
        }
        var environments: [EnvironmentStatus] = []
        for release in flow.latestReleases {
            // A plain tag in a repository of several models releases each of them.
            let named = try models(at: release.commit).filter { release.model == nil || $0.name == release.model }
            for model in named.isEmpty ? [Model(shown: release.model, name: release.model ?? "", problem: nil)] : named {
                let shown = release.model ?? model.shown
                let running = current("production", model: shown)
                let desired = release.version.description
                // `churn@v1.1.0` names its model; a plain tag of several models says which one.
                let what = release.model != nil || shown == nil ? release.tag : "\(model.name) at \(release.tag)"
                environments.append(
                    EnvironmentStatus(
                        name: "production", model: shown, desired: desired, ref: release.tag, current: running?.version,
                        reason: running?.version == desired ? nil : try reason(what, model: model, commit: release.commit)))
            }
        }
        if let development = flow.development, let commit = development.commit {
            for model in try models(at: commit) {
                let running = current("staging", model: model.shown)
                let desired = flow.stagingVersion(model: model.name, commit: commit).description
                let what = (model.shown.map { "\($0) on " } ?? "") + "\(development.branch) at \(commit.short)"
                environments.append(
                    EnvironmentStatus(
                        name: "staging", model: model.shown, desired: desired, ref: development.branch, current: running?.version,
                        reason: running?.version == desired ? nil : try reason(what, model: model, commit: commit)))
            }
        }
        return environments
    }
}
