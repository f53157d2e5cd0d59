internal import Foundation
public import GitKit
internal import ModelKit
public import Store
internal import SystemKit

/// Why a fire's work could not be done: which entry, and why. `retry` says whether trying again
/// may help (a data command that failed may pass later; a missing release will not appear by waiting).
public struct ScheduleError: Error, CustomStringConvertible, Sendable {
    /// The entry whose fire failed.
    public var entry: String
    /// What stood in the way.
    public var reason: String
    /// Whether another attempt may do better.
    public var retry: Bool

    /// The sentence a user reads.
    public var description: String { "the schedule entry \(entry) failed: \(reason)" }
}

/// The work of one fire of `.mf/schedule.yaml` (its job's, run by `FactoryWorker`):
///
/// - `train`: reads the fresh data (a file on the worker's host, or what a command writes to
///   `$MF_DATA_FILE`), keeps a copy named by its SHA-256 under `$MF_HOME/schedule-data/`, and
///   trains the production line's head on it through the pipeline as the candidate
///   `X.Y.(Z+1)-data.<first 8 hex of the SHA-256>`, a pre-release of the next patch of the
///   version in production. The candidate is gated like any session (the no-regression gate
///   compares it with the release below it: the one in service) and, when it passes, bundled and
///   proposed. It is never served: environments stay what git says. The same data twice is the
///   same candidate, made once.
/// - `evaluate`: runs the version in production's `evaluate` on a file and records the metrics in
///   a session with trigger `schedule`.
/// - `score`: scores a file with the version in production (`ScheduledScore.run`).
public struct ScheduledRun: Sendable {
    /// The pipeline (store and home) the work runs through.
    public let pipeline: Pipeline
    /// The fire whose work this is.
    public var fire: ScheduleFire

    /// The work of `fire`, through `pipeline`.
    public init(pipeline: Pipeline, fire: ScheduleFire) {
        self.pipeline = pipeline
        self.fire = fire
    }

    var store: any FactoryStore { pipeline.store }

    /// Does the work and records its end in the fire; returns the fire as recorded. Throws
    /// `ScheduleError` (the fire stays queued: its job is tried again or given up).
    public mutating func run(_ repository: Repository, observer: (any BuildObserver)? = nil) async throws -> ScheduleFire {
        guard let action = ScheduleDeclaration.Action(json: fire.action) else { throw failure("its recorded action cannot be read: \(fire.action)") }
        switch action.kind {
        case .train: try await train(repository, action: action, observer: observer)
        case .evaluate: try await evaluate(action)
        case .score: try await score(action)
        }
        fire.state = .done
        fire.endedAt = Date()
        try store.update(fire: fire)
        return fire
    }

    func failure(_ reason: String, retry: Bool = false) -> ScheduleError { ScheduleError(entry: fire.entry, reason: reason, retry: retry) }

    // MARK: train

    mutating func train(_ repository: Repository, action: ScheduleDeclaration.Action, observer: (any BuildObserver)?) async throws {
        let flow = try Flow.read(repository, checkingRules: false)
        guard let production = flow.production, let commit = production.commit else { throw failure("the repository has no production line") }
        let wanted = fire.model
        let fireID = fire.id
        guard let model = try Pipeline.models(repository, commit: commit).first(where: { $0.name == wanted }), let manifest = model.manifest else {
            throw failure("there is no readable model \(fire.model) at the production head \(commit.short)")
        }
        let served = try servedVersion(flow: flow)
        let data = try await freshData(action, extension: URL(fileURLWithPath: manifest.train.data).pathExtension)
        let candidate = Version(major: served.major, minor: served.minor, patch: served.patch + 1, prerelease: ["data", String(data.digest.prefix(8))])
        fire.candidate = candidate.description
        fire.dataSha256 = data.digest

        // The same data makes the same candidate: once.
        let name = candidate.description
        let fires = try store.scheduleFires(repository: fire.repository, entry: nil, model: wanted, limit: 1000)
        if let earlier = fires.first(where: { $0.id != fireID && $0.candidate == name && $0.state == .done }) {
            fire.session = earlier.session
            fire.proposed = earlier.proposed
            fire.result =
                "candidate \(candidate) was made from the same data by the fire of \(earlier.entry) at \(ISO8601DateFormatter().string(from: earlier.scheduledAt)): nothing to do"
            return
        }
        let identity = try RepositoryIdentity(repository).name
        let reports = try await pipeline.build(
            repository,
            .candidate(
                commit: commit, folder: model.folder, model: manifest.name, version: candidate.description, data: data.path,
                ref: "refs/heads/\(production.branch)", label: "candidate \(candidate)"),
            observer: observer)
        guard let report = reports.first else { throw failure("the pipeline ran no session of \(fire.model)") }
        fire.session = report.session.id
        guard report.session.status == .passed else {
            fire.result = "candidate \(candidate) failed: \(report.session.failure ?? "failed") (session \(report.session.id.prefix(8)))"
            return
        }
        let modelID = try store.modelID(repository: identity, name: manifest.name)
        let bundle = try await Bundler(pipeline: pipeline).assemble(
            manifest: manifest, folder: model.folder, session: report.session, modelID: modelID, version: candidate.description,
            origin: Bundler.Source(
                commit: commit, revision: commit.hex, tag: nil, ref: "refs/heads/\(production.branch)", model: manifest.name, versions: nil),
            tree: try repository.treeID(of: commit).hex)
        fire.proposed = true
        fire.result =
            "candidate \(candidate) (from schedule \(fire.entry), data sha256 \(data.digest.prefix(12))…): gates passed against \(served) — "
            + "tag \(flow.configuration.versionTagPrefix ?? "v")\(Version(major: candidate.major, minor: candidate.minor, patch: candidate.patch)) to release; bundle \(bundle.archive)"
    }

    /// The version in production of the fire's model: the store's production environment, else
    /// the newest release on the production line.
    func servedVersion(flow: Flow) throws -> Version {
        if let environment = try store.environments(repository: fire.repository).first(where: { $0.name == "production" && $0.model == fire.model }),
            let version = Version(environment.version)
        {
            return version
        }
        let releases = flow.latestReleases.filter { $0.model == nil || $0.model == fire.model }
        guard let newest = releases.map(\.version).max() else {
            throw failure("\(fire.model) has no release on the production line; a scheduled retrain is gated against the version in service")
        }
        return newest
    }

    /// The data a fire trains on, kept as `$MF_HOME/schedule-data/<sha256>.<ext>`.
    func freshData(_ action: ScheduleDeclaration.Action, extension ext: String) async throws -> (path: String, digest: String) {
        let folder = pipeline.home.appendingPathComponent("schedule-data")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let suffix = ext.isEmpty ? "" : "." + ext
        var source: String
        var written: URL?
        if let path = action.data {
            guard FileManager.default.fileExists(atPath: path) else { throw failure("the data file \(path) does not exist on this host", retry: true) }
            source = path
        } else if let command = action.command {
            let target = folder.appendingPathComponent(".incoming-\(UUID().uuidString.prefix(8))\(suffix)")
            written = target
            var environment = ProcessInfo.processInfo.environment
            environment["MF_DATA_FILE"] = target.path
            // Its output goes to a log beside the data, whose end a failure tells.
            let log = folder.appendingPathComponent(".incoming-\(UUID().uuidString.prefix(8)).log")
            defer { try? FileManager.default.removeItem(at: log) }
            let completion = try await ChildProcess(
                command, directory: folder.path, environment: environment, output: .appending(toFile: log.path), error: .sameAsOutput
            ).run(timeLimit: .seconds(3600))
            guard completion.termination.isSuccess, !completion.ranPastLimit else {
                try? FileManager.default.removeItem(at: target)
                let told = String(FileContents.text(atPath: log.path).trimmingCharacters(in: CharacterSet.whitespacesAndNewlines).suffix(500))
                throw failure("the data command \(command.joined(separator: " ")) \(completion.termination)\(told.isEmpty ? "" : ": \(told)")", retry: true)
            }
            guard FileManager.default.fileExists(atPath: target.path) else {
                throw failure("the data command \(command.joined(separator: " ")) wrote nothing to $MF_DATA_FILE")
            }
            source = target.path
        } else {
            throw failure("a train action names neither data nor command")
        }
        let digest: String
        do { digest = try HexDigest.sha256(fileAtPath: source).hex } catch { throw failure("the data \(source) cannot be read: \(error)", retry: true) }
        let kept = folder.appendingPathComponent(digest + suffix)
        if !FileManager.default.fileExists(atPath: kept.path) {
            let aside = folder.appendingPathComponent(".copy-\(UUID().uuidString.prefix(8))")
            if let written {
                try FileManager.default.moveItem(at: written, to: aside)
            } else {
                try FileManager.default.copyItem(atPath: source, toPath: aside.path)
            }
            if rename(aside.path, kept.path) != 0 { try? FileManager.default.removeItem(at: aside) }
        } else if let written {
            try? FileManager.default.removeItem(at: written)
        }
        return (kept.path, digest)
    }

    // MARK: evaluate and score

    /// The production bundle of the fire's model, opened to run workers from.
    func servedBundle() async throws -> (bundle: RunnableBundle, record: BundleRecord, modelID: Int64) {
        guard let environment = try store.environments(repository: fire.repository).first(where: { $0.name == "production" && $0.model == fire.model })
        else { throw failure("\(fire.model) has no version in production (run mf reconcile)", retry: true) }
        let modelID = try store.modelID(repository: fire.repository, name: fire.model)
        guard let record = try store.bundle(modelID: modelID, version: environment.version) else {
            throw failure("\(fire.model) \(environment.version) in production has no bundle", retry: true)
        }
        let folder = try BundleCache(store: store, home: pipeline.home).folder(for: record, model: fire.model).folder
        return (try await RunnableBundle.open(folder, home: pipeline.home), record, modelID)
    }

    mutating func evaluate(_ action: ScheduleDeclaration.Action) async throws {
        guard let data = action.data, FileManager.default.fileExists(atPath: data) else {
            throw failure("the data file \(action.data ?? "?") does not exist on this host", retry: true)
        }
        let (bundle, record, modelID) = try await servedBundle()
        var session = Session(
            id: UUID().uuidString.lowercased(), modelId: modelID, commit: record.commit, tree: bundle.manifest.tree, recipe: "schedule evaluate",
            ref: record.ref, version: record.version, trigger: .schedule, status: .running, startedAt: Date())
        try store.insert(session)
        fire.session = session.id
        let started = Date()
        do {
            let metrics = try await Self.evaluate(bundle, data: data)
            let sessionID = session.id
            try store.record(
                metrics.keys.sorted().map { Metric(sessionId: sessionID, modelId: modelID, name: $0, split: "evaluate", value: metrics[$0]!) })
            try store.record(
                Step(
                    id: nil, sessionId: session.id, name: "evaluate", status: .passed, startedAt: started, seconds: Date().timeIntervalSince(started),
                    message: "\(fire.model) \(record.version) on \(data)"))
            session.status = .passed
            fire.result =
                "evaluated \(fire.model) \(record.version) on \(data): "
                + metrics.keys.sorted().map { "\($0) \(metrics[$0]!.map { String(format: "%.4g", $0) } ?? "none")" }.joined(separator: ", ")
        } catch {
            session.status = .failed
            session.failure = String(describing: error)
            session.endedAt = Date()
            try store.update(session)
            throw failure("the evaluation of \(fire.model) \(record.version) on \(data) failed: \(error)", retry: true)
        }
        session.endedAt = Date()
        try store.update(session)
    }

    /// `evaluate` on `data` by a worker of `bundle` started for it (loaded, asked, stopped).
    static func evaluate(_ bundle: RunnableBundle, data: String) async throws -> [String: Double?] {
        let worker = try WorkerClient(command: bundle.command, directory: bundle.directory.path)
        do {
            _ = try await worker.call("load", ["artifacts": .string(bundle.artifacts.path)], timeout: 600)
            let answer = try await worker.call("evaluate", ["data": .string(data)], timeout: 3600)
            await worker.shutdown(grace: 1)
            return try WorkerAnswer.metrics(answer, method: "evaluate")
        } catch {
            await worker.shutdown(grace: 0.5)
            throw error
        }
    }

    mutating func score(_ action: ScheduleDeclaration.Action) async throws {
        guard let input = action.input, let output = action.output else { throw failure("a score action names no input or output") }
        let (bundle, record, _) = try await servedBundle()
        fire.result = try await ScheduledScore.run(
            entry: fire.entry, bundle: bundle, record: record, model: fire.model, input: input, output: output, home: pipeline.home, store: store)
    }
}
