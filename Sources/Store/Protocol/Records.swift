public import Foundation
internal import SystemKit

/// What started a session or queued a job, as the store keeps it (the raw values are the stored
/// text, so rows written before this type existed still read).
public enum Trigger: String, Codable, Sendable, CaseIterable {
    /// `mf build`.
    case cli
    /// `mf bundle`, running a session a tag needs.
    case bundle
    /// `mf reconcile`.
    case reconcile
    /// `mf enqueue`.
    case enqueue
    /// A repository's post-receive hook.
    case hook
    /// A forge's push webhook.
    case webhook
    /// `mf watch`, polling remotes.
    case watch
    /// `mf serve`'s live metrics: the model's own `evaluate` on labelled production rows (never
    /// a gate's, reuse's or `mf metrics VERSION`'s session).
    case live
    /// A `.mf/schedule.yaml` entry fired by `mf worker`: its job, and the session it ran (a
    /// scheduled retrain's candidate, an evaluation of the version in service); like `live`,
    /// never a gate's, reuse's, release's or version's session.
    case schedule

    /// The triggers of sessions only a reconcile makes (under the repository's lock): a reconcile
    /// run by hand, or by a worker for a job queued by one of the others.
    public static let reconciling: [Trigger] = [.reconcile, .enqueue, .hook, .webhook, .watch]

    /// What queues a job (`mf enqueue --trigger`).
    public static let queueing: [Trigger] = [.enqueue, .hook, .webhook, .watch]
}

/// One run of a model at a commit.
public struct Session: Codable, Sendable, Equatable {
    /// How a session ended, or that it has not.
    public enum Status: String, Codable, Sendable { case running, passed, failed }

    /// UUID-shaped (see `Session.id(model:commit:recipe:ordinal:)`).
    public var id: String
    /// The model it ran (`ModelRecord.id`).
    public var modelId: Int64
    /// The commit it ran at.
    public var commit: String
    /// The commit's tree: what was built.
    public var tree: String
    /// What was built and how (runtime and build commands), so a changed recipe builds anew.
    public var recipe: String
    /// The ref it was asked for (`refs/tags/v1.2.0`, `refs/heads/feature/x`), if any.
    public var ref: String?
    /// The version a release tag gives the commit, if any.
    public var version: String?
    /// What started it: `cli` (mf build), `bundle`, `reconcile`, or the trigger of the job that ran
    /// the reconcile (`enqueue`, `hook`, `webhook`, `watch`).
    public var trigger: Trigger
    /// How it ended, or that it runs.
    public var status: Status
    /// When it started.
    public var startedAt: Date
    /// When it ended.
    public var endedAt: Date?
    /// Why it failed (`gates: …`, a step's failure).
    public var failure: String?
    /// The session whose build, artifacts and metrics this one reused.
    public var reusedFrom: String?

    /// A session with every field given (the optional ones default to nil).
    public init(
        id: String, modelId: Int64, commit: String, tree: String, recipe: String, ref: String? = nil, version: String? = nil,
        trigger: Trigger, status: Status, startedAt: Date, endedAt: Date? = nil, failure: String? = nil, reusedFrom: String? = nil
    ) {
        self.id = id
        self.modelId = modelId
        self.commit = commit
        self.tree = tree
        self.recipe = recipe
        self.ref = ref
        self.version = version
        self.trigger = trigger
        self.status = status
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.failure = failure
        self.reusedFrom = reusedFrom
    }
}

extension Session {
    /// How the failure of a session cut short by a killed run begins.
    public static let interrupted = "interrupted"

    /// A failed session that a killed run cut short: its work is still to do.
    public var wasInterrupted: Bool { status == .failed && (failure ?? "").hasPrefix(Self.interrupted) }

    /// A failure that stands: the session ran to its end and failed (a gate, a step).
    public var failedForGood: Bool { status == .failed && !wasInterrupted }

    /// A session id from what the session runs and its ordinal (UUID-shaped, from SHA-256), so the
    /// first session of a release has the same id in every home.
    public static func id(model: String, commit: String, recipe: String, ordinal: Int) -> String {
        let hex = HexDigest.sha256(Data("\(model)\n\(commit)\n\(recipe)\n\(ordinal)".utf8))
        let characters = Array(hex.prefix(32))
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }
}

/// A session with the name of its model, as queries over several models give them.
public typealias NamedSession = (session: Session, model: String)

/// What an environment runs: a bundle of a model, set by `mf reconcile`.
public struct EnvironmentRecord: Codable, Sendable, Equatable {
    /// The repository, as the store names it.
    public var repository: String
    /// The model's name.
    public var model: String
    /// `production` or `staging`.
    public var name: String
    /// The version it runs.
    public var version: String
    /// The release tag of its bundle; nil for a pre-release bundle of a branch head (staging).
    public var tag: String?
    /// The commit its bundle was made from.
    public var commit: String
    /// Its bundle's folder.
    public var bundle: String
    /// When it last moved.
    public var updatedAt: Date

    /// An environment record with every field given.
    public init(
        repository: String, model: String, name: String, version: String, tag: String?, commit: String, bundle: String, updatedAt: Date
    ) {
        self.repository = repository
        self.model = model
        self.name = name
        self.version = version
        self.tag = tag
        self.commit = commit
        self.bundle = bundle
        self.updatedAt = updatedAt
    }
}

/// A published bundle.
public struct BundleRecord: Codable, Sendable, Equatable {
    /// The model (`ModelRecord.id`).
    public var modelId: Int64
    /// The bundle's version.
    public var version: String
    /// The release tag; nil for a pre-release bundle of a branch head.
    public var tag: String?
    /// `refs/tags/v1.2.0` or `refs/heads/development`.
    public var ref: String
    /// The commit it was made from.
    public var commit: String
    /// The session it packages.
    public var sessionId: String
    /// The bundle's folder and its `.tar.gz`.
    public var path: String
    /// Its `.tar.gz`.
    public var archive: String
    /// The `.tar.gz`'s SHA-256.
    public var sha256: String
    /// When it was published.
    public var createdAt: Date

    /// A bundle record with every field given.
    public init(
        modelId: Int64, version: String, tag: String?, ref: String, commit: String, sessionId: String, path: String, archive: String,
        sha256: String, createdAt: Date
    ) {
        self.modelId = modelId
        self.version = version
        self.tag = tag
        self.ref = ref
        self.commit = commit
        self.sessionId = sessionId
        self.path = path
        self.archive = archive
        self.sha256 = sha256
        self.createdAt = createdAt
    }
}

/// One step of a session (export, build, start, describe, train, evaluate, predict, gates).
public struct Step: Codable, Sendable, Equatable {
    /// Given by the store when the step is recorded.
    public var id: Int64?
    /// The session it belongs to.
    public var sessionId: String
    /// `build`, `train`, `gates`, …
    public var name: String
    /// Whether it passed.
    public var status: Session.Status
    /// When it started.
    public var startedAt: Date
    /// How long it took.
    public var seconds: Double
    /// Its log, when it writes one.
    public var logPath: String?
    /// What a person reads about it (why it failed; for `gates`, each gate's outcome).
    public var message: String?

    /// A step with every field given (the optional ones default to nil).
    public init(
        id: Int64?, sessionId: String, name: String, status: Session.Status, startedAt: Date, seconds: Double, logPath: String? = nil,
        message: String? = nil
    ) {
        self.id = id
        self.sessionId = sessionId
        self.name = name
        self.status = status
        self.startedAt = startedAt
        self.seconds = seconds
        self.logPath = logPath
        self.message = message
    }
}

/// One measured value.
public struct Metric: Codable, Sendable, Equatable {
    /// The session that measured it.
    public var sessionId: String
    /// The model (`ModelRecord.id`).
    public var modelId: Int64
    /// The metric's name (`auc`).
    public var name: String
    /// `train` or `evaluate`.
    public var split: String
    /// The value; nil when the model reported it as null.
    public var value: Double?

    /// A metric with every field given.
    public init(sessionId: String, modelId: Int64, name: String, split: String, value: Double?) {
        self.sessionId = sessionId
        self.modelId = modelId
        self.name = name
        self.split = split
        self.value = value
    }
}

/// A file a session produced.
public struct Artifact: Codable, Sendable, Equatable {
    /// The session that produced it.
    public var sessionId: String
    /// Relative to the session's `artifacts/` folder.
    public var path: String
    /// Its size in bytes.
    public var size: Int64
    /// Its SHA-256, in hex.
    public var sha256: String

    /// An artifact with every field given.
    public init(sessionId: String, path: String, size: Int64, sha256: String) {
        self.sessionId = sessionId
        self.path = path
        self.size = size
        self.sha256 = sha256
    }
}

/// A model, as the store knows it.
public struct ModelRecord: Codable, Sendable, Equatable {
    /// Given by the store when the model is first named.
    public var id: Int64?
    /// The repository it belongs to.
    public var repositoryId: Int64
    /// Its name in model.yaml.
    public var name: String

    /// A model record with every field given.
    public init(id: Int64?, repositoryId: Int64, name: String) {
        self.id = id
        self.repositoryId = repositoryId
        self.name = name
    }
}

/// A model as the store knows it, with the repository it belongs to (`models()`).
public struct RegisteredModel: Codable, Sendable, Equatable {
    /// The model's id.
    public var id: Int64
    /// Its name in its repository's model.yaml.
    public var name: String
    /// The repository's id.
    public var repositoryId: Int64
    /// The repository, as the store names it (its path).
    public var repository: String

    /// A model with every field.
    public init(id: Int64, name: String, repositoryId: Int64, repository: String) {
        self.id = id
        self.name = name
        self.repositoryId = repositoryId
        self.repository = repository
    }
}

/// One gate of a session and how it went: a row of the store, a field of `bundle.json`.
public struct GateResult: Sendable, Equatable, Codable {
    /// The gate as the manifest states it (`auc >= 0.75`, `auc within 0.02 of 1.1.0`).
    public var gate: String
    /// Whether it held.
    public var passed: Bool
    /// The gate with what was measured (`auc >= 0.75: 0.81`).
    public var detail: String
    /// The metric it looks at; nil for a gate of no one metric (a reused session's).
    public var metric: String?
    /// What the metric measured; nil when the model reported none.
    public var value: Double?
    /// The bound the value is held to: the threshold, or the previous release's value less (or,
    /// lower being better, plus) the regression allowed.
    public var limit: Double?

    /// A gate's outcome.
    public init(gate: String, passed: Bool, detail: String, metric: String? = nil, value: Double? = nil, limit: Double? = nil) {
        self.gate = gate
        self.passed = passed
        self.detail = detail
        self.metric = metric
        self.value = value
        self.limit = limit
    }
}
