internal import Crypto
public import Foundation
public import GitKit
internal import ModelKit
public import Store
internal import SystemKit

/// What a build is asked to do.
public struct BuildRequest: Sendable {
    /// The revision to build (`HEAD`, a branch, a tag, a commit id).
    public var revision: String
    /// Run everything again, even for a tree and recipe that passed before.
    public var force: Bool
    /// What started the build (`cli`, `hook`, `reconcile`).
    public var trigger: Trigger
    /// The longest a build command may run.
    public var buildTimeLimit: Double
    /// The longest one call to the worker may take.
    public var callTimeLimit: Double
    /// What progress calls the build beside the model's name (`v1.0.0`, `feature/x`); nil: the
    /// name alone.
    public var label: String?
    /// The ref the session records (`refs/heads/feature/x`, `refs/tags/v1.0.0`) when the revision
    /// is a commit id that a caller knows by a ref; nil: the ref `revision` names, if it names one.
    public var ref: String?
    /// Only the models in these folders (`models/churn`, `""` for the root); nil: every model.
    public var folders: Set<String>?
    /// The commit `revision` names and the versions tagged at it (by the model a tag names, nil
    /// for a plain tag), when the caller read them already from `Flow` (the reconciler does);
    /// nil: the pipeline resolves the revision and reads the references itself.
    public var known: (commit: ObjectID, versions: [String?: String])?
    /// A data file on this host that `train` reads instead of model.yaml's `train.data` (a
    /// schedule's fresh data); nil: the file model.yaml names in the tree.
    public var trainingData: String?

    /// A request to build `revision` (see each property).
    public init(
        revision: String = "HEAD", force: Bool = false, trigger: Trigger = .cli, buildTimeLimit: Double = 1800, callTimeLimit: Double = 600,
        label: String? = nil, ref: String? = nil, folders: Set<String>? = nil, known: (commit: ObjectID, versions: [String?: String])? = nil
    ) {
        self.revision = revision
        self.force = force
        self.trigger = trigger
        self.buildTimeLimit = buildTimeLimit
        self.callTimeLimit = callTimeLimit
        self.label = label
        self.ref = ref
        self.folders = folders
        self.known = known
    }

    /// A request to train `commit` afresh on `data` (a file on this host), as a schedule's
    /// candidate `version` of the model in `folder`: never reusing an earlier session.
    public static func candidate(
        commit: ObjectID, folder: String, model: String, version: String, data: String, ref: String?, label: String
    ) -> BuildRequest {
        var request = BuildRequest(
            revision: commit.hex, force: true, trigger: .schedule, label: label, ref: ref, folders: [folder], known: (commit, [model: version]))
        request.trainingData = data
        return request
    }
}

/// What one model's session came to.
public struct SessionReport: Sendable {
    /// The session as the store recorded it: its ID, commit, tree, status and failure.
    public var session: Session
    /// The model's name, as its model.yaml states it.
    public var model: String
    /// The steps the session ran (build, start, describe, train, evaluate, …), in order, with their outcomes.
    public var steps: [Step]
    /// The metrics the model reported, of training and evaluation alike (see `split`).
    public var metrics: [Metric]
    /// Each gate with whether it held (`auc >= 0.75: 0.81`).
    public var gates: [GateResult]
    /// Each data file the `validate` steps checked against `expect:`, with every rule's outcome.
    public var dataChecks: [DataCheckReport] = []
}

/// Hears about steps as they happen, to show progress.
public protocol BuildObserver: Sendable {
    func started(step: String, model: String)
    func finished(_ step: Step, model: String)
    func progress(_ line: String, model: String)
}

/// Builds a model plugin at a commit and drives it through the standard interface, recording
/// everything as a session (DESIGN.md "Pipeline and sessions").
///
/// The tree is exported (never a work tree) into `builds/<key>` under the home folder, keyed by
/// tree and recipe, so an unchanged tree is built once; a tree and recipe whose session passed
/// is not trained again either (unless `force`).
public struct Pipeline: Sendable {
    /// Where every session, step, metric and gate is recorded.
    public let store: any FactoryStore
    /// The factory's home folder (`$MF_HOME`), which holds `builds/`, `sessions/` and `bundles/`.
    public let home: URL
    /// The ModelKit a Swift model is built against (this mf's own sources); nil when this mf
    /// has none, and then a model that depends on ModelKit fails to build with why.
    public let modelKit: ModelKitPackage?

    /// A pipeline recording in `store` and building under `home`, with Swift models built against `modelKit`.
    public init(store: any FactoryStore, home: URL, modelKit: ModelKitPackage? = nil) {
        self.store = store
        self.home = home
        self.modelKit = modelKit
    }

    /// Builds every model of `repository` at `request.revision` (those in `request.folders`, when
    /// it names some).
    public func build(_ repository: Repository, _ request: BuildRequest, observer: (any BuildObserver)? = nil) async throws -> [SessionReport] {
        let commit = try request.known?.commit ?? repository.resolveCommit(request.revision)
        let tree = try repository.treeID(of: commit)
        // The references are read only when the caller did not say what they would tell.
        var read: [Reference]?
        func references() throws -> [Reference] {
            if let read { return read }
            let references = try repository.references(readingTagObjects: false)
            read = references
            return references
        }
        let versions = try request.known?.versions ?? versionTags(repository, commit: commit, references: references())
        var request = request
        if request.ref == nil { request.ref = try Self.referenceName(request.revision, commit: commit, in: repository, references: references()) }
        var reports: [SessionReport] = []
        for location in try Self.modelFolders(repository, commit: commit) where request.folders?.contains(location) ?? true {
            var run = SessionRun(
                pipeline: self, repository: repository, commit: commit, tree: tree, folder: location,
                request: request, versions: versions, observer: observer)
            reports.append(try await run.execute())
        }
        return reports
    }

    /// The full name of the ref `revision` names, as git's revision rules read a name (itself
    /// when it begins with `refs/`, else a tag, a branch, a remote-tracking branch), and only when
    /// it leads to `commit`; `HEAD` is the branch it is on. Nil for a commit id or an expression.
    static func referenceName(_ revision: String, commit: ObjectID, in repository: Repository, references: [Reference]) throws -> String? {
        if revision == "HEAD" {
            guard let branch = try? repository.head().branch else { return nil }
            return references.first { $0.name == branch && $0.commit == commit }?.name
        }
        let candidates = revision.hasPrefix("refs/") ? [revision] : ["refs/tags/", "refs/heads/", "refs/remotes/"].map { $0 + revision }
        for name in candidates {
            if let reference = references.first(where: { $0.name == name }) { return reference.commit == commit ? name : nil }
        }
        return nil
    }

    /// A model of a repository at a commit: its folder, and its name from its `model.yaml` (or,
    /// when that cannot be read, from the folder or the repository, as its sessions are named).
    struct ModelFolder {
        var folder: String
        var name: String
        var manifest: Manifest?
        /// Why `manifest` is nil.
        var problem: String?
    }

    /// Every model at `commit`, with its name.
    static func models(_ repository: Repository, commit: ObjectID) throws -> [ModelFolder] {
        try modelFolders(repository, commit: commit).map { folder in
            let path = folder.isEmpty ? "model.yaml" : folder + "/model.yaml"
            do {
                let manifest = try Manifest.parse(String(decoding: try repository.file(at: path, in: commit), as: UTF8.self), file: path)
                return ModelFolder(folder: folder, name: manifest.name, manifest: manifest)
            } catch {
                return ModelFolder(folder: folder, name: fallbackName(folder: folder, repository: repository), problem: String(describing: error))
            }
        }
    }

    /// The name of a model whose `model.yaml` cannot be read: its folder's, or at the root the
    /// repository's short name (from its identity, so a clone and a mirror give the same name,
    /// and its sessions the same ids).
    static func fallbackName(folder: String, repository: Repository) -> String {
        guard folder.isEmpty else { return String(folder.dropFirst("models/".count)) }
        return (try? RepositoryIdentity(repository))?.shortName ?? URL(fileURLWithPath: repository.location).lastPathComponent
    }

    /// `model.yaml` at the root, else `models/<name>/model.yaml` for each folder that has one.
    static func modelFolders(_ repository: Repository, commit: ObjectID) throws -> [String] {
        let root = try repository.entries(at: "", in: commit)
        if root.contains(where: { $0.name == "model.yaml" }) { return [""] }
        guard root.contains(where: { $0.name == "models" && $0.kind == .folder }) else { return [""] }
        let folders = try repository.entries(at: "models", in: commit).filter { $0.kind == .folder }.map { "models/" + $0.name }
        let withManifest = try folders.filter { folder in
            try repository.entries(at: folder, in: commit).contains { $0.name == "model.yaml" }
        }
        return withManifest.isEmpty ? [""] : withManifest
    }

    /// The versions that tags at `commit` name, by model (nil for a plain `v1.2.0` tag), read
    /// with the repository's own version-tag prefix.
    func versionTags(_ repository: Repository, commit: ObjectID, references: [Reference]) throws -> [String?: String] {
        let configuration = try FlowConfiguration.load(repository: repository, references: references, head: try? repository.head())
        var versions: [String?: String] = [:]
        for tag in references.filter({ $0.kind == .tag && $0.commit == commit }).sorted(by: { $0.name < $1.name }) {
            if case .version(let model, let version) = VersionTag.parse(tag.shortName, prefix: configuration.versionTagPrefix),
                versions[model] == nil
            {
                versions[model] = version.description
            }
        }
        return versions
    }

    /// What, besides the tree, decides a build and its training: the runtime, the build and run
    /// commands, the model's folder, and for Swift the ModelKit it builds against. A broken
    /// manifest is the recipe "invalid".
    func recipe(_ manifest: Manifest?, folder: String) -> String {
        guard let manifest else { return "invalid" }
        var recipe =
            "runtime=\(manifest.runtime.rawValue)\nbuild=\(manifest.build.joined(separator: "\n"))\nrun=\(manifest.run.joined(separator: " "))\nfolder=\(folder)"
        // A Swift model is built against this mf's ModelKit: another ModelKit is another build.
        if manifest.runtime == .swift, let modelKit = try? modelKit?.digest() {
            recipe += "\nmodelkit=\(modelKit.prefix(16))"
        }
        return recipe
    }

    var buildsFolder: URL { home.appendingPathComponent("builds") }

    /// Where the build of a tree with a recipe lives: one folder per tree and recipe.
    func buildFolder(tree: String, recipe: String) -> URL {
        buildsFolder.appendingPathComponent(String(HexDigest.sha256(tree + "\n" + recipe).prefix(32)))
    }

    /// The command that starts a worker in `folder`; a Python plugin runs in the virtual
    /// environment its build made, when it made one.
    static func workerCommand(_ manifest: Manifest, in folder: URL) -> [String] {
        var command = manifest.run
        let venvPython = folder.appendingPathComponent(".venv/bin/python").path
        if manifest.runtime == .python, command.first?.hasPrefix("python") == true,
            FileManager.default.isExecutableFile(atPath: venvPython)
        {
            command[0] = venvPython
        }
        return command
    }
    var sessionsFolder: URL { home.appendingPathComponent("sessions") }
}

extension SessionReport: Encodable {
    private enum Keys: String, CodingKey { case session, model, status, commit, version, failure, reusedFrom, steps, metrics, gates, dataChecks }
    private enum StepKeys: String, CodingKey { case name, status, seconds, message, log }

    /// The `mf build --json` shape of one session.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(session.id, forKey: .session)
        try container.encode(model, forKey: .model)
        try container.encode(session.status.rawValue, forKey: .status)
        try container.encode(session.commit, forKey: .commit)
        try container.encode(session.version, forKey: .version)
        try container.encode(session.failure, forKey: .failure)
        try container.encode(session.reusedFrom, forKey: .reusedFrom)
        var list = container.nestedUnkeyedContainer(forKey: .steps)
        for step in steps {
            var item = list.nestedContainer(keyedBy: StepKeys.self)
            try item.encode(step.name, forKey: .name)
            try item.encode(step.status.rawValue, forKey: .status)
            try item.encode(step.seconds, forKey: .seconds)
            try item.encode(step.message, forKey: .message)
            try item.encode(step.logPath, forKey: .log)
        }
        var metricsContainer = container.nestedContainer(keyedBy: DynamicKey.self, forKey: .metrics)
        for split in ["train", "evaluate"] {
            var inner = metricsContainer.nestedContainer(keyedBy: DynamicKey.self, forKey: DynamicKey(split))
            for metric in metrics where metric.split == split {
                try inner.encode(metric.value, forKey: DynamicKey(metric.name))
            }
        }
        try container.encode(gates, forKey: .gates)
        try container.encode(dataChecks, forKey: .dataChecks)
    }
}

/// A coding key made at run time (metric names).
struct DynamicKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
