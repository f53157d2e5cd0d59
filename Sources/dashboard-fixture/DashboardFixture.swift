import ArgumentParser
import Foundation
import ModelFactory
import SQLiteStore
import Store
import SystemKit

/// Writes a synthetic factory home through the store API, for the dashboard's browser test and
/// benchmark: several repositories (two with a model named churn), releases with steps, logs,
/// metrics, gates, artifacts and bundles, environments, live evaluations, drift crossing its
/// threshold with an alert, a running rollout, environment and rollout events, and jobs in every
/// state. The same arguments (and `--now`) always write the same home.
@main
struct DashboardFixture: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard-fixture",
        abstract: "Write a synthetic factory home for the dashboard's tests and benchmark.",
        discussion: """
            Sessions are spread over the models: each model's releases (passed, tagged, bundled), \
            live evaluations of the newest releases, and the rest development sessions (some failed, \
            one running). Metric rows (train and evaluate splits, and live) are filled up to \
            --metric-rows with per-segment metrics. --hostile names one model, a log line, a step \
            message and a job error with markup, which the dashboard must show as text.
            """
    )

    @Option(help: "The home to write (its factory.sqlite must not exist yet).")
    var home: String

    @Option(help: "How many models.")
    var models = 5

    @Option(help: "How many releases, over all models.")
    var releases = 100

    @Option(help: "How many sessions, over all models (releases and live evaluations included).")
    var sessions = 1000

    @Option(help: "How many metric rows, at least (train, evaluate and live).")
    var metricRows = 50000

    @Option(help: "The seed of the generated values.")
    var seed: UInt64 = 19

    @Option(help: "The moment the home is written at (ISO 8601; default: now): every date is before it.")
    var now: String?

    @Flag(help: "Name a model, a log line, a step message and a job error with markup.")
    var hostile = false

    func validate() throws {
        guard models >= 2 else { throw ValidationError("--models must be at least 2 (two repositories have a churn)") }
        guard releases >= 2 * models else { throw ValidationError("--releases must be at least twice --models (each model has two releases)") }
        guard sessions >= releases + 2 * models else {
            throw ValidationError("--sessions must be at least --releases plus twice --models (live evaluations)")
        }
        if let now, ISO8601DateFormatter().date(from: now) == nil { throw ValidationError("--now \(now) is not an ISO 8601 date") }
    }

    func run() throws {
        let home = URL(fileURLWithPath: self.home).standardizedFileURL
        let database = home.appendingPathComponent("factory.sqlite")
        guard !FileManager.default.fileExists(atPath: database.path) else {
            throw ValidationError("\(database.path) exists: name a new home")
        }
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let moment = now.flatMap { ISO8601DateFormatter().date(from: $0) } ?? Date()
        // The store is written in a scratch folder in memory when there is one (each of its
        // thousands of transactions would wait for a disk flush) and moved into the home once
        // closed; the paths it records are the home's.
        let memory = URL(fileURLWithPath: "/dev/shm")
        let scratch = (FileManager.default.fileExists(atPath: memory.path) ? memory : home).appendingPathComponent("dashboard-fixture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let started = Date()
        let written = try Self.write(into: scratch.appendingPathComponent("factory.sqlite"), home: home, now: moment, seed: seed, hostile: hostile) {
            try $0.write(models: models, releases: releases, sessions: sessions, metricRows: metricRows)
        }
        for name in try FileManager.default.contentsOfDirectory(atPath: scratch.path) where name.hasPrefix("factory.sqlite") {
            try FileManager.default.moveItem(at: scratch.appendingPathComponent(name), to: home.appendingPathComponent(name))
        }
        print(
            "wrote \(home.path): \(written.models) models, \(written.releases) releases, \(written.sessions) sessions, "
                + "\(written.metrics) metric rows in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }
}

extension DashboardFixture {
    /// Runs `body` with a writer over a new store at `database`, closed when it returns.
    static func write(
        into database: URL, home: URL, now: Date, seed: UInt64, hostile: Bool, _ body: (inout HomeWriter) throws -> Written
    ) throws -> Written {
        var writer = HomeWriter(home: home, store: try SQLiteStore(path: database.path), now: now, random: SeededRandom(seed: seed), hostile: hostile)
        return try body(&writer)
    }
}

/// A deterministic generator (SplitMix64), so a seed always gives the same home.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `range`.
    mutating func value(_ range: ClosedRange<Double>) -> Double { Double.random(in: range, using: &self) }

    /// A fake 40-digit commit.
    mutating func commit() -> String { (0..<5).map { _ in String(format: "%08x", UInt32(truncatingIfNeeded: next())) }.joined() }
}

/// What the fixture wrote, counted.
struct Written {
    var models = 0
    var releases = 0
    var sessions = 0
    var metrics = 0
}

/// Writes one home: every record through `FactoryStore`, and the files records point at (logs,
/// bundle folders) under the home.
struct HomeWriter {
    let home: URL
    let store: any FactoryStore
    let now: Date
    var random: SeededRandom
    let hostile: Bool

    /// The markup a hostile home carries in a model name (a valid path segment: no slash).
    static let hostileName = "<script>alert(1)"
    /// The markup a hostile home carries in logs, messages and errors.
    static let hostileText = "<script>alert(1)</script>"

    static let baseMetrics = ["auc", "accuracy", "f1", "log_loss", "precision", "recall"]

    /// A model of the home, with what the fixture decided for it.
    struct Model {
        var id: Int64
        var name: String
        var repository: String
        var fields: [String]
        var releases: [Session] = []
    }

    mutating func write(models count: Int, releases: Int, sessions: Int, metricRows: Int) throws -> Written {
        var written = Written()
        var models = try registerModels(count)
        written.models = models.count

        // Each model's share of releases and live evaluations; the rest are development sessions.
        let liveCount = 2 * count
        let development = sessions - releases - liveCount
        // Each model's newest development session is still running: it has no metrics.
        let evaluated = max(1, releases + development - count)
        // Names per split, so train and evaluate rows over every evaluated session (and the live
        // ones) reach `metricRows`.
        let perSplit = max(Self.baseMetrics.count, Int((Double(metricRows - liveCount * Self.baseMetrics.count) / Double(2 * evaluated)).rounded(.up)))
        let names = Self.baseMetrics + (0..<(perSplit - Self.baseMetrics.count)).map { String(format: "recall_segment_%03d", $0) }

        var metrics: [Metric] = []
        let span: TimeInterval = 180 * 86400
        for index in models.indices {
            let share = releases / count + (index < releases % count ? 1 : 0)
            let developmentShare = development / count + (index < development % count ? 1 : 0)
            let model = models[index]
            // Releases and development sessions, interleaved over the last 180 days.
            let total = share + developmentShare
            var released = 0
            for ordinal in 0..<total {
                let startedAt = now.addingTimeInterval(-span + span * Double(ordinal) / Double(total) - 7200 + Double(index) * 60)
                let isRelease = released < share && (ordinal * share / total >= released || total - ordinal <= share - released)
                let version: String? = isRelease ? Self.version(released) : nil
                let status: Session.Status = isRelease ? .passed : (ordinal == total - 1 ? .running : (ordinal % 7 == 3 ? .failed : .passed))
                let session = Session(
                    id: Session.id(model: "\(model.repository)/\(model.name)", commit: "fixture", recipe: "r", ordinal: ordinal), modelId: model.id,
                    commit: random.commit(), tree: random.commit(), recipe: "recipe-\(index)",
                    ref: version.map { "refs/tags/v\($0)" } ?? "refs/heads/development",
                    version: version, trigger: isRelease ? .reconcile : (ordinal % 3 == 0 ? .cli : .watch), status: status, startedAt: startedAt,
                    endedAt: status == .running ? nil : startedAt.addingTimeInterval(95 + random.value(0...60)),
                    failure: status == .failed ? (hostile && ordinal == 3 ? "evaluate failed: \(Self.hostileText)" : "gate auc >= 0.75 failed: 0.71") : nil)
                try store.insert(session)
                try writeSteps(session, model: model, release: isRelease)
                if status != .running {
                    let quality = 0.7 + 0.2 * Double(released) / Double(max(1, share)) + random.value(-0.02...0.02)
                    for split in ["train", "evaluate"] {
                        for name in names {
                            let value =
                                name == "log_loss"
                                ? 1 - quality - (split == "train" ? 0.02 : 0) : min(0.999, quality + (split == "train" ? 0.03 : 0) + random.value(-0.05...0.05))
                            metrics.append(Metric(sessionId: session.id, modelId: model.id, name: name, split: split, value: value))
                        }
                    }
                    let auc = metrics.last { $0.sessionId == session.id && $0.name == "auc" && $0.split == "evaluate" }?.value ?? 0
                    try store.record(
                        gates: [
                            GateResult(
                                gate: "auc", passed: status == .passed, detail: String(format: "auc >= 0.75: %.3f", status == .passed ? max(auc, 0.75) : 0.71),
                                metric: "auc", value: status == .passed ? max(auc, 0.75) : 0.71, limit: 0.75),
                            GateResult(gate: "max_regression", passed: true, detail: "no metric is worse than the previous release's by more than 0.02"),
                        ], session: session.id)
                    try store.record([
                        Artifact(sessionId: session.id, path: "artifacts/model.pkl", size: 20_000 + Int64(ordinal), sha256: Self.digest(session.id + "model")),
                        Artifact(sessionId: session.id, path: "artifacts/metrics.json", size: 512, sha256: Self.digest(session.id + "metrics")),
                    ])
                }
                if metrics.count >= 20_000 {
                    written.metrics += metrics.count
                    try store.record(metrics)
                    metrics.removeAll(keepingCapacity: true)
                }
                if isRelease {
                    models[index].releases.append(session)
                    try writeBundle(session, model: model, version: version!, ordinal: released)
                    released += 1
                    written.releases += 1
                }
                written.sessions += 1
            }
        }
        written.metrics += metrics.count
        try store.record(metrics)

        for (index, model) in models.enumerated() {
            let live = try writeLive(model)
            written.sessions += live
            written.metrics += live * Self.baseMetrics.count
            try writeEnvironments(model)
            try writeDrift(model, drifting: index == 0)
        }
        try writeRollouts(models)
        try writeJobs(models)
        return written
    }

    /// The models: churn in two repositories (team-a/churn and team-b/churn), the others in one
    /// shared repository; with `hostile`, the last one named with markup.
    mutating func registerModels(_ count: Int) throws -> [Model] {
        let source = home.appendingPathComponent("src").path
        let others = ["pricing", "fraud", "demand", "ranking", "forecast", "retention", "upsell", "segments"]
        var models: [Model] = []
        for index in 0..<count {
            let repository: String
            let name: String
            switch index {
            case 0: (repository, name) = ("\(source)/team-a/churn", "churn")
            case 1: (repository, name) = ("\(source)/team-b/churn", "churn")
            default:
                repository = "\(source)/platform"
                name = hostile && index == count - 1 ? Self.hostileName : (index - 2 < others.count ? others[index - 2] : "model-\(index)")
            }
            let fields = index % 2 == 0 ? ["tenure", "contract", "monthly_charges"] : ["amount", "country", "hour"]
            models.append(Model(id: try store.modelID(repository: repository, name: name), name: name, repository: repository, fields: fields))
        }
        return models
    }

    /// Where the bundle of `model`'s `version` is written (under its repository's folders, since
    /// two repositories have a churn).
    func bundleFolder(_ model: Model, _ version: String) -> URL {
        let source = home.appendingPathComponent("src").path + "/"
        let repository = model.repository.hasPrefix(source) ? String(model.repository.dropFirst(source.count)) : model.repository
        return home.appendingPathComponent("bundles/\(repository.replacingOccurrences(of: "/", with: "-"))/\(model.name)/\(version)")
    }

    static func version(_ ordinal: Int) -> String { "1.\(ordinal / 4).\(ordinal % 4)" }

    static func digest(_ text: String) -> String { HexDigest.sha256(Data(text.utf8)) }

    /// A session's steps, each with a small log under the home (a release also bundles).
    func writeSteps(_ session: Session, model: Model, release: Bool) throws {
        let folder = home.appendingPathComponent("sessions/\(session.id)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var names = ["build", "train", "evaluate", "gates"]
        if release { names.append("bundle") }
        var at = session.startedAt
        for (position, name) in names.enumerated() {
            let last = position == names.count - 1
            let status: Session.Status = last ? session.status : .passed
            let seconds = name == "build" ? 42.5 : (name == "train" ? 31.25 : 2.5)
            var log: URL?
            if name != "gates" {
                let file = folder.appendingPathComponent("\(name).log")
                var lines = (1...40).map { "\(name) \(model.name): line \($0) of 40" }
                if hostile && name == "train" { lines.insert("a log line with markup: \(Self.hostileText)", at: 20) }
                try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
                log = file
            }
            let message: String? =
                status == .failed ? session.failure : (name == "gates" ? (hostile ? "gate detail with markup: \(Self.hostileText)" : "auc >= 0.75") : nil)
            try store.record(
                Step(
                    id: nil, sessionId: session.id, name: name, status: status, startedAt: at,
                    seconds: status == .running ? 0 : seconds, logPath: log?.path, message: message))
            at = at.addingTimeInterval(seconds)
        }
    }

    /// The bundle of a release: its record, and a folder with `bundle.json` and `model.yaml`
    /// whose schema gains a field every fourth release (so comparing releases shows schema
    /// changes).
    func writeBundle(_ session: Session, model: Model, version: String, ordinal: Int) throws {
        let folder = bundleFolder(model, version)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var inputs: [FixtureManifest.Field] = [
            .init(name: model.fields[0], type: "int", min: 0, max: 120),
            .init(name: model.fields[1], type: "string", values: ["monthly", "yearly"]),
        ]
        if ordinal % 8 >= 4 { inputs.append(.init(name: model.fields[2], type: "double", min: 0)) }
        let outputs: [FixtureManifest.Field] = [.init(name: "probability", type: "double")]
        let manifest = FixtureManifest(
            model: model.name, version: version, tag: "v\(version)", ref: "refs/tags/v\(version)", commit: session.commit, tree: session.tree,
            session: session.id, schema: .init(inputs: inputs, outputs: outputs),
            metrics: ["auc": 0.8, "accuracy": 0.75], gates: [.init(gate: "auc", passed: true, detail: "auc >= 0.75: 0.800")])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = try encoder.encode(manifest)
        // The fixture's bundle.json must be one mf reads.
        _ = try JSONDecoder().decode(BundleManifest.self, from: json)
        try json.write(to: folder.appendingPathComponent(BundleManifest.fileName))
        let yaml =
            "name: \(model.name)\nruntime: python\ntrain: { data: data/train.csv }\nevaluate: { data: data/test.csv }\nschema:\n  inputs:\n"
            + inputs.map { "    - { name: \($0.name), type: \($0.type) }\n" }.joined()
            + "  outputs:\n    - { name: probability, type: double }\ngates: { auc: \">= 0.75\" }\nmonitor: { psi: 0.2 }\n"
        try Data(yaml.utf8).write(to: folder.appendingPathComponent("model.yaml"))
        try store.record(
            BundleRecord(
                modelId: model.id, version: version, tag: "v\(version)", ref: "refs/tags/v\(version)", commit: session.commit, sessionId: session.id,
                path: folder.path, archive: folder.path + ".tar.gz", sha256: Self.digest(String(decoding: json, as: UTF8.self)),
                createdAt: session.endedAt ?? session.startedAt))
    }

    /// A live evaluation of each of the two newest releases, a day apart.
    mutating func writeLive(_ model: Model) throws -> Int {
        for (offset, release) in model.releases.suffix(2).enumerated() {
            let at = now.addingTimeInterval(-Double(2 - offset) * 86400)
            let id = Session.id(model: "\(model.repository)/\(model.name)", commit: release.commit, recipe: "live", ordinal: offset)
            let session = Session(
                id: id, modelId: model.id, commit: release.commit, tree: release.tree, recipe: release.recipe, ref: release.ref,
                version: release.version, trigger: .live, status: .passed, startedAt: at, endedAt: at.addingTimeInterval(3))
            let metrics = Self.baseMetrics.map {
                Metric(sessionId: id, modelId: model.id, name: $0, split: "live", value: $0 == "log_loss" ? 0.3 : 0.7 + random.value(0...0.1))
            }
            try store.record(live: LiveEvaluation(session: session, model: model.name, liveOf: release.id, rows: 400 + 100 * offset, metrics: metrics))
        }
        return min(2, model.releases.count)
    }

    /// Production runs the second newest release and staging the newest, each reached through
    /// environment events over the model's history.
    func writeEnvironments(_ model: Model) throws {
        let releases = model.releases
        var previous: [String: String] = [:]
        for (ordinal, release) in releases.enumerated() {
            let environments = ordinal == releases.count - 1 ? ["staging"] : ["staging", "production"]
            for (offset, environment) in environments.enumerated() {
                let at = (release.endedAt ?? release.startedAt).addingTimeInterval(600 + Double(offset) * 3600)
                let version = release.version!
                try store.record(
                    Event(
                        time: at, repository: model.repository, environment: environment, model: model.name, fromVersion: previous[environment],
                        toVersion: version, kind: .environment,
                        reason: "\(environment) wants \(model.name) \(version) (v\(version)) instead of \(previous[environment] ?? "nothing")",
                        cause: "reconcile"))
                try store.record(
                    EnvironmentRecord(
                        repository: model.repository, model: model.name, name: environment, version: version, tag: "v\(version)", commit: release.commit,
                        bundle: bundleFolder(model, version).path, updatedAt: at))
                previous[environment] = version
            }
        }
    }

    /// Drift per input field of the production release, one sample an hour over two days: the
    /// first model's first field climbs past the 0.2 threshold and raises an alert.
    mutating func writeDrift(_ model: Model, drifting: Bool) throws {
        guard model.releases.count >= 2, let version = model.releases[model.releases.count - 2].version else { return }
        var samples: [DriftSample] = []
        for hour in 0..<48 {
            let at = now.addingTimeInterval(-Double(48 - hour) * 3600)
            for (position, field) in model.fields.enumerated() {
                let psi = drifting && position == 0 ? 0.02 + 0.3 * Double(hour) / 47 : 0.02 + random.value(0...0.05)
                samples.append(
                    DriftSample(
                        time: at, model: model.name, version: version, field: field, psi: psi, missingShare: position == 1 ? 0.01 : 0,
                        outOfSchemaShare: 0, count: 1000))
            }
        }
        try store.record(drift: samples)
        guard drifting, let crossing = samples.first(where: { $0.field == model.fields[0] && ($0.psi ?? 0) > 0.2 }) else { return }
        let psi = crossing.psi ?? 0
        let details = #"{"field":"\#(crossing.field)","psi":\#(psi),"threshold":0.2,"window":1000}"#
        try store.record(
            Event(
                time: crossing.time, repository: model.repository, environment: "production", model: model.name, fromVersion: version,
                toVersion: version, kind: .driftAlert,
                reason:
                    "input drift on \(model.name) \(version) field \(crossing.field): PSI \(String(format: "%.4f", psi)) is past the threshold 0.2 over 1000 instances",
                cause: "drift", details: details))
    }

    /// A rollout under way in the first model's production (newest release beside the one that
    /// runs), and one rolled back in the second's, with their events.
    func writeRollouts(_ models: [Model]) throws {
        for (index, model) in models.prefix(2).enumerated() {
            let releases = model.releases
            let from = releases[releases.count - 2].version!
            let to = releases[releases.count - 1].version!
            let started = now.addingTimeInterval(-Double(index + 1) * 3600)
            let rollout = Rollout(
                repository: model.repository, environment: "production", model: model.name, fromVersion: from, toVersion: to,
                bundle: bundleFolder(model, to).path, planDigest: Self.digest("plan"), percent: 10, now: started)
            var begun = try store.begin(rollout, owner: "fixture", lease: 86400, now: started).rollout
            try store.record(
                Event(
                    time: started, repository: model.repository, environment: "production", model: model.name, fromVersion: from, toVersion: to,
                    kind: .rolloutStarted, reason: "rollout of \(to) begins at 10% beside \(from)", cause: "reconcile", details: #"{"percent":10}"#))
            let stepped = started.addingTimeInterval(900)
            begun.step = 1
            begun.percent = 25
            begun.stepStartedAt = stepped
            if index == 1 {
                begun.state = .rolledBack
                begun.endedAt = stepped
                begun.reason = "live auc 0.61 is below the gate 0.75"
            }
            guard try store.update(begun, owner: "fixture", now: stepped) else {
                throw FixtureError("the fixture lost the lease of its own rollout of \(model.name)")
            }
            try store.record(
                Event(
                    time: stepped, repository: model.repository, environment: "production", model: model.name, fromVersion: from, toVersion: to,
                    kind: index == 1 ? .rolledBack : .rolloutStep, reason: index == 1 ? begun.reason! : "rollout of \(to) at 25%", cause: "rollout",
                    details: #"{"percent":25}"#))
        }
    }

    /// Jobs done, failed, queued for a retry, running and queued.
    func writeJobs(_ models: [Model]) throws {
        let repositories = Array(Set(models.map(\.repository))).sorted()
        var at = now.addingTimeInterval(-3 * 3600)
        func next() -> Date {
            at = at.addingTimeInterval(60)
            return at
        }
        func enqueue(_ repository: String, _ ref: String) throws {
            _ = try store.enqueue(repository: repository, refs: [ref], trigger: .webhook, delivery: nil, maxAttempts: 3, now: next())
        }
        func claim() throws -> Job {
            guard let job = try store.claimJob(worker: "worker-1", lease: 86400, busy: [], maxAttempts: 3, now: next()).job else {
                throw FixtureError("the fixture's job was not claimed")
            }
            return job
        }
        let error = hostile ? "git fetch failed: \(Self.hostileText)" : "git fetch failed: connection reset"
        // Done, then failed for good, then failed once and queued for a retry.
        try enqueue(repositories[0], "refs/heads/production")
        _ = try store.finishJob(try claim().id!, worker: "worker-1", end: JobEnd(summary: "production: churn 1.0.1"), maxAttempts: 3, now: next())
        try enqueue(repositories[1 % repositories.count], "refs/heads/staging")
        _ = try store.finishJob(try claim().id!, worker: "worker-1", end: JobEnd(error: error, retry: false), maxAttempts: 3, now: next())
        try enqueue(repositories[2 % repositories.count], "refs/tags/v1.2.0")
        _ = try store.finishJob(try claim().id!, worker: "worker-1", end: JobEnd(error: error, retry: true), maxAttempts: 3, now: next())
        // Running (the retry above is not due yet: its backoff is 2 s after it failed).
        try enqueue(repositories[1 % repositories.count], "refs/heads/development")
        _ = try store.claimJob(worker: "worker-2", lease: 86400, busy: [repositories[2 % repositories.count]], maxAttempts: 3, now: at)
        try enqueue(repositories[0], "refs/heads/staging")
    }
}

/// A step of the fixture that did not go as the store promised.
struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `bundle.json` as `mf bundle` writes it (BundleManifest), for a bundle that is only a folder.
struct FixtureManifest: Encodable {
    struct Field: Encodable {
        var name: String
        var type: String
        var min: Double?
        var max: Double?
        var values: [String]?
    }
    struct Schema: Encodable {
        var inputs: [Field]
        var outputs: [Field]
    }
    struct Gate: Encodable {
        var gate: String
        var passed: Bool
        var detail: String
    }
    var format = 1
    var model: String
    var version: String
    var tag: String
    var ref: String
    var commit: String
    var tree: String
    var session: String
    var runtime = "python"
    var run = ["python3", "-u", "mf_runner.py"]
    var interface = "mf-worker/1 (JSON-RPC 2.0, one message per line on stdio)"
    var toolchain = ["mf": "0.1.0", "python": "Python 3.11.7"]
    var schema: Schema
    var metrics: [String: Double]
    var gates: [Gate]
    var files: [String] = []
}
