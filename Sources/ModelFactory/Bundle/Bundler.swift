internal import Crypto
internal import Foundation
public import GitKit
public import Store
internal import SystemKit

/// What `mf bundle` made (or found already made) for one model.
public struct BundleResult: Sendable, Encodable {
    /// The model's name, as its model.yaml states it.
    public let model: String
    /// The model's version: the tag's for a release, a pre-release version for a branch head.
    public let version: String
    /// The release tag; nil for a pre-release bundle of a branch head.
    public let tag: String?
    /// The ref it was made from (`refs/tags/v1.2.0`, `refs/heads/development`).
    public let ref: String
    /// The full hex ID of the Git commit the bundle was built from.
    public let commit: String
    /// The ID of the passed session the bundle was made from (its artifacts, or those of the session it reused).
    public let session: String
    /// The bundle folder's path, `$MF_HOME/bundles/<model>/<version>`.
    public let path: String
    /// The path of the bundle's archive, `<model>-<version>.tar.gz` beside its folder.
    public let archive: String
    /// The SHA-256 of that archive as lowercase hex: what `BundleVerifier.verify(_:published:)` checks a bundle against.
    public let sha256: String
    /// False when the bundle existed already (bundles are never made twice).
    public let created: Bool

    init(_ record: BundleRecord, model: String, created: Bool) {
        self.init(
            model: model, version: record.version, tag: record.tag, ref: record.ref, commit: record.commit,
            session: record.sessionId, path: record.path, archive: record.archive, sha256: record.sha256, created: created)
    }

    /// A result of each part, as `mf bundle` reports it.
    public init(
        model: String, version: String, tag: String?, ref: String, commit: String, session: String, path: String, archive: String,
        sha256: String, created: Bool
    ) {
        self.model = model
        self.version = version
        self.tag = tag
        self.ref = ref
        self.commit = commit
        self.session = session
        self.path = path
        self.archive = archive
        self.sha256 = sha256
        self.created = created
    }

    /// Writes every field, `tag` as null when absent, so a report always has the same keys.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(model, forKey: .model)
        try container.encode(version, forKey: .version)
        try container.encode(tag, forKey: .tag)
        try container.encode(ref, forKey: .ref)
        try container.encode(commit, forKey: .commit)
        try container.encode(session, forKey: .session)
        try container.encode(path, forKey: .path)
        try container.encode(archive, forKey: .archive)
        try container.encode(sha256, forKey: .sha256)
        try container.encode(created, forKey: .created)
    }

    enum CodingKeys: String, CodingKey { case model, version, tag, ref, commit, session, path, archive, sha256, created }
}

/// What bundling one model of a tag or branch came to: its bundle, or why it has none.
public enum ModelBundleOutcome: Sendable {
    case bundled(BundleResult)
    /// The model gets no bundle; the other models of the same tag or branch are not held up.
    case failed(model: String, error: BundleError)

    /// The model it is about.
    public var model: String {
        switch self {
        case .bundled(let result): result.model
        case .failed(let model, _): model
        }
    }
}

/// The versions of the tools a build used (`mf`, `python`, `swift`), as bundle.json records them.
enum Toolchain {
    /// Where a build folder keeps them, written when the build completes.
    static let fileName = ".mf-toolchain.json"

    static func versions(runtime: Manifest.Runtime, folder: URL) async -> [String: String] {
        var versions = ["mf": factoryVersion]
        switch runtime {
        case .python:
            let venv = folder.appendingPathComponent(".venv/bin/python")
            let python = FileManager.default.isExecutableFile(atPath: venv.path) ? [venv.path] : ["/usr/bin/env", "python3"]
            versions["python"] = (try? await ChildProcess.output(of: python + ["--version"]))?.trimmingCharacters(in: .whitespacesAndNewlines)
        case .swift:
            versions["swift"] = (try? await ChildProcess.output(of: ["/usr/bin/env", "swift", "--version"]))?.split(separator: "\n").first.map(String.init)
        case .command:
            break
        }
        return versions
    }
}

/// A bundle's files and folders by path, in memory; every file's parent folders are entries too.
struct BundleContents {
    private var entries: [String: Archive.Entry] = [:]

    mutating func folder(_ path: String) {
        var parts = path.split(separator: "/").map(String.init)
        while !parts.isEmpty {
            let folder = parts.joined(separator: "/")
            if entries[folder] != nil { return }
            entries[folder] = Archive.Entry(path: folder, kind: .folder, executable: true, contents: Data(), linkTarget: "")
            parts.removeLast()
        }
    }

    mutating func add(_ entry: Archive.Entry, under prefix: String) {
        var entry = entry
        entry.path = prefix + "/" + entry.path
        if entry.kind == .folder { return folder(entry.path) }
        folder((entry.path as NSString).deletingLastPathComponent)
        entries[entry.path] = entry
    }

    mutating func file(_ path: String, _ data: Data, executable: Bool = false) {
        folder((path as NSString).deletingLastPathComponent)
        entries[path] = Archive.Entry(path: path, kind: .file, executable: executable, contents: data, linkTarget: "")
    }

    /// Sorted by path bytes, as `Archive.entries(of:)` gives them.
    var sorted: [Archive.Entry] { entries.values.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) } }
}

/// Turns a release tag into an immutable bundle under `$MF_HOME/bundles/<model>/<version>/` and
/// a reproducible `<model>-<version>.tar.gz` beside it (DESIGN.md "Bundles"). The bundle is
/// assembled aside and renamed into place, so a reader sees all of it or nothing, and an
/// existing bundle is never overwritten.
public struct Bundler: Sendable {
    /// The pipeline that builds and trains what a bundle needs, with its store and `$MF_HOME`.
    public let pipeline: Pipeline
    /// What a session the bundler has to run is marked with.
    public var trigger = Trigger.bundle

    /// A bundler writing into `pipeline`'s home and recording in its store.
    public init(pipeline: Pipeline) { self.pipeline = pipeline }

    var bundlesFolder: URL { pipeline.home.appendingPathComponent("bundles") }

    /// Bundles every model a release tag names. When one fails, the others are bundled all the
    /// same, and then the failure is thrown.
    public func bundle(_ repository: Repository, tag: String, observer: (any BuildObserver)? = nil) async throws -> [BundleResult] {
        var results: [BundleResult] = []
        for outcome in try await bundleEach(repository, tag: tag, observer: observer) {
            switch outcome {
            case .bundled(let result): results.append(result)
            case .failed(_, let error): throw error
            }
        }
        return results
    }

    /// Bundles every model a release tag names, each on its own: what each came to.
    public func bundleEach(_ repository: Repository, tag: String, observer: (any BuildObserver)? = nil) async throws -> [ModelBundleOutcome] {
        let references = try repository.references(readingTagObjects: false)
        let configuration = try FlowConfiguration.load(repository: repository, references: references, head: try? repository.head())
        let shortTag = tag.hasPrefix("refs/tags/") ? String(tag.dropFirst("refs/tags/".count)) : tag
        guard let reference = references.first(where: { $0.kind == .tag && $0.shortName == shortTag }), let commit = reference.commit,
            case .version(let model, let version) = VersionTag.parse(shortTag, prefix: configuration.versionTagPrefix)
        else {
            throw BundleError.notAVersionTag(tag)
        }
        return try await bundle(
            repository,
            release: Release(tag: shortTag, version: version, model: model, commit: commit, productionLine: false, annotated: reference.annotation != nil),
            observer: observer)
    }

    /// Bundles every model a release names, each on its own. The reconciler hands over the
    /// releases `Flow` read and the versions tagged at each one's commit
    /// (`Flow.taggedVersions()`), so nothing is looked up or parsed again.
    public func bundle(
        _ repository: Repository, release: Release, taggedAt versions: [String?: String]? = nil, observer: (any BuildObserver)? = nil
    ) async throws -> [ModelBundleOutcome] {
        let source = Source(
            commit: release.commit, revision: release.tag, tag: release.tag, ref: "refs/tags/" + release.tag, model: release.model, versions: versions)
        return try await bundle(repository, source, version: { _ in release.version }, observer: observer)
    }

    /// A pre-release bundle of each model at a branch head (the staging bundles of the
    /// development line): its version comes from `version`, given the model's name (DESIGN.md
    /// "GitOps"). Each model on its own: one that fails holds up none of the others.
    /// `versions`: the versions tagged at `commit`, when the caller read them (see
    /// `bundle(_:release:taggedAt:observer:)`).
    public func bundle(
        _ repository: Repository, branch: String, ref: String? = nil, commit: ObjectID, taggedAt versions: [String?: String]? = nil,
        version: (String) -> Version, observer: (any BuildObserver)? = nil
    ) async throws -> [ModelBundleOutcome] {
        try await bundle(
            repository, Source(commit: commit, revision: commit.hex, tag: nil, ref: ref ?? "refs/heads/" + branch, model: nil, versions: versions),
            version: version, observer: observer)
    }

    /// What a bundle is made from: a commit, named by a tag or a branch.
    struct Source {
        var commit: ObjectID
        /// What the build is asked for (the tag, or the commit of a branch head).
        var revision: String
        var tag: String?
        var ref: String
        /// The one model a `model@version` tag names.
        var model: String?
        /// The versions tagged at the commit, when the caller read them (nil: the pipeline reads them).
        var versions: [String?: String]?
        /// What progress and errors call it: the tag, else the branch (`v1.0.0`, `development`).
        var label: String {
            tag ?? Reference.shortName(of: ref)
        }
    }

    /// Bundles each model of `source` on its own: a model whose manifest is broken, whose session
    /// failed, or whose bundle cannot be made is reported as failed, and the others go on.
    private func bundle(
        _ repository: Repository, _ source: Source, version versionOf: (String) -> Version, observer: (any BuildObserver)?
    ) async throws -> [ModelBundleOutcome] {
        let tree = try repository.treeID(of: source.commit)
        // First what each model has: a bundle, a passed session, a failure that stands, or nothing yet.
        enum Need {
            case done(ModelBundleOutcome)
            case session(Session)
            case build
        }
        var models: [(model: Pipeline.ModelFolder, manifest: Manifest, modelID: Int64, version: String, need: Need)] = []
        var outcomes: [String: ModelBundleOutcome] = [:]
        let named = try Pipeline.models(repository, commit: source.commit).filter { source.model == nil || source.model == $0.name }
        if named.isEmpty { throw BundleError.noModel(tag: source.label, model: source.model ?? "?") }
        for model in named {
            guard let manifest = model.manifest else {
                outcomes[model.folder] = .failed(
                    model: model.name,
                    error: .modelFailed(
                        model: model.name, ref: source.label, reason: model.problem ?? "its model.yaml cannot be read"))
                continue
            }
            let version = versionOf(manifest.name).description
            let modelID = try pipeline.store.modelID(repository: RepositoryIdentity(repository).name, name: manifest.name)
            let need: Need
            if let existing = try pipeline.store.bundle(modelID: modelID, version: version), try published(existing) {
                need = .done(.bundled(BundleResult(existing, model: manifest.name, created: false)))
            } else if let session = try pipeline.store.firstPassedSession(modelID: modelID, commit: source.commit.hex) {
                need = .session(session)
            } else if let latest = try pipeline.store.latestSession(modelID: modelID, commit: source.commit.hex), latest.failedForGood {
                // A commit whose session failed (its gates, its build) is not trained again on every
                // run: that is asked for with `mf build --force`. A session a killed run cut short is.
                need = .done(
                    .failed(
                        model: manifest.name,
                        error: .failedBefore(
                            model: manifest.name, tag: source.label, session: latest.id, failure: latest.failure ?? "failed")))
            } else {
                need = .build
            }
            models.append((model, manifest, modelID, version, need))
        }
        // Then one build of the models that need one, and only of them.
        let toBuild = Set(models.filter { if case .build = $0.need { true } else { false } }.map(\.model.folder))
        var reports: [SessionReport] = []
        if !toBuild.isEmpty {
            reports = try await pipeline.build(
                repository,
                BuildRequest(
                    revision: source.revision, trigger: trigger, label: source.label, ref: source.ref, folders: toBuild,
                    known: source.versions.map { (source.commit, $0) }), observer: observer)
        }
        for entry in models {
            let outcome: ModelBundleOutcome
            let session: Session
            switch entry.need {
            case .done(let done):
                outcomes[entry.model.folder] = done
                continue
            case .session(let passed):
                session = passed
            case .build:
                guard let report = reports.first(where: { $0.model == entry.manifest.name }) else {
                    outcomes[entry.model.folder] = .failed(model: entry.manifest.name, error: .noModel(tag: source.label, model: entry.manifest.name))
                    continue
                }
                guard report.session.status == .passed else {
                    outcomes[entry.model.folder] = .failed(
                        model: entry.manifest.name,
                        error: .gatesFailed(
                            model: entry.manifest.name, tag: source.label, failure: report.session.failure ?? "failed"))
                    continue
                }
                session = report.session
            }
            do {
                outcome = .bundled(
                    try await assemble(
                        manifest: entry.manifest, folder: entry.model.folder, session: session, modelID: entry.modelID, version: entry.version,
                        origin: source, tree: tree.hex))
            } catch let error as BundleError {
                outcome = .failed(model: entry.manifest.name, error: error)
            } catch  where !(error is StoreError || error is CancellationError) {
                outcome = .failed(
                    model: entry.manifest.name, error: .modelFailed(model: entry.manifest.name, ref: source.label, reason: String(describing: error)))
            }
            outcomes[entry.model.folder] = outcome
        }
        return named.compactMap { outcomes[$0.folder] }
    }

    func assemble(
        manifest: Manifest, folder: String, session: Session, modelID: Int64, version: String, origin: Source, tree: String
    ) async throws -> BundleResult {
        let commit = origin.commit.hex
        let manager = FileManager.default
        let name = "\(manifest.name)-\(version)"
        let lock = try AsideFolders.enter(bundlesFolder)
        let aside = bundlesFolder.appendingPathComponent(".building-\(UUID().uuidString)")
        let root = aside.appendingPathComponent(name)
        defer {
            try? manager.removeItem(at: aside)
            lock.unlock()
        }
        // The bundle is put together in memory (each source file read once), then written out,
        // described and archived from the same entries.
        var contents = BundleContents()
        let built = pipeline.buildFolder(tree: session.tree, recipe: session.recipe)
        let source = folder.isEmpty ? built : built.appendingPathComponent(folder)
        try addPlugin(from: source, to: &contents, keeping: manifest.run.first)
        contents.folder("artifacts")
        let trained = pipeline.sessionsFolder.appendingPathComponent(session.reusedFrom ?? session.id).appendingPathComponent("artifacts")
        if manager.fileExists(atPath: trained.path) {
            for entry in try Archive.entries(of: trained) { contents.add(entry, under: "artifacts") }
        }
        guard let manifestBytes = try? FileContents.read(atPath: source.appendingPathComponent("model.yaml").path) else {
            throw BundleError.io(what: source.appendingPathComponent("model.yaml").path, problem: "the built model.yaml cannot be read")
        }
        contents.file("model.yaml", manifestBytes)
        if let profile = TrainingProfile.bundled(manifest: manifest, folder: source) { contents.file(TrainingProfile.fileName, profile) }
        let recorded = try? FileContents.read(atPath: source.appendingPathComponent(Toolchain.fileName).path)
        let toolchain: [String: String]
        if let recorded {
            toolchain = try JSONDecoder().decode([String: String].self, from: recorded)
        } else {
            toolchain = await Toolchain.versions(runtime: manifest.runtime, folder: source)
        }
        if let report = try? FileContents.read(atPath: source.appendingPathComponent(RequirementsLock.reportPath).path) {
            do {
                contents.file("requirements.lock", Data(try RequirementsLock.text(fromReport: report).utf8))
            } catch let error as DecodingError {
                throw BundleError.io(what: source.appendingPathComponent(RequirementsLock.reportPath).path, problem: "pip's report cannot be read (\(error))")
            }
        } else if manager.isExecutableFile(atPath: source.appendingPathComponent(".venv/bin/python").path) {
            // A build made before builds kept pip's report: exactly what it installed, without hashes.
            let frozen = try await ChildProcess.output(of: [
                source.appendingPathComponent(".venv/bin/python").path, "-m", "pip", "freeze", "--disable-pip-version-check",
            ])
            contents.file("requirements.lock", Data(frozen.utf8))
        }
        contents.file(
            "Dockerfile",
            Data(
                Deployment.dockerfile(
                    model: manifest.name, version: version, runtime: manifest.runtime.rawValue, python: toolchain["python"],
                    systemPackages: manifest.systemPackages
                ).utf8))
        contents.file("deploy/deployment.yaml", Data(Deployment.deployment(model: manifest.name, version: version).utf8))
        contents.file("deploy/service.yaml", Data(Deployment.service(model: manifest.name, version: version).utf8))

        let metrics = try pipeline.store.metrics(session: session.id).filter { $0.split == "evaluate" }
        let gates = try pipeline.store.decidingGates(of: session).gates
        let field = { (field: Manifest.Field) in
            BundleManifest.Field(name: field.name, type: field.type.rawValue, min: field.min, max: field.max, values: field.values)
        }
        let description = BundleManifest(
            model: manifest.name, version: version, tag: origin.tag, ref: origin.ref, commit: commit, tree: tree, session: session.id,
            runtime: manifest.runtime.rawValue, run: manifest.run, systemPackages: manifest.systemPackages.isEmpty ? nil : manifest.systemPackages,
            toolchain: SortedMap(toolchain),
            schema: BundleManifest.Schema(inputs: manifest.schema.inputs.map(field), outputs: manifest.schema.outputs.map(field)),
            metrics: SortedMap(Dictionary(metrics.compactMap { metric in metric.value.map { (metric.name, $0) } }, uniquingKeysWith: { $1 })),
            gates: gates.map(BundleManifest.Gate.init), files: BundleManifest.files(of: contents.sorted))
        contents.file(BundleManifest.fileName, Data(try JSONText.encodeBytes(description)))
        let entries = contents.sorted
        try manager.createDirectory(at: root, withIntermediateDirectories: true)
        for entry in entries { try entry.write(to: root.appendingPathComponent(entry.path)) }

        let archiveData = try Archive.tarGz(entries, prefix: name)
        let digest = HexDigest.sha256(archiveData)
        try archiveData.write(to: aside.appendingPathComponent(name + ".tar.gz"))
        // The archive goes to the store before anything names it, so a host without this
        // folder can fetch every bundle the store records (`BundleCache`).
        try BlobStore(pipeline.store).put(fileAt: aside.appendingPathComponent(name + ".tar.gz").path, digest: digest)

        // Publish: the archive, then the folder, each by one rename; never over an existing one.
        let modelFolder = bundlesFolder.appendingPathComponent(manifest.name)
        try manager.createDirectory(at: modelFolder, withIntermediateDirectories: true)
        let finalFolder = modelFolder.appendingPathComponent(version)
        let finalArchive = modelFolder.appendingPathComponent(name + ".tar.gz")
        var created = false
        if !manager.fileExists(atPath: finalFolder.path) {
            if !manager.fileExists(atPath: finalArchive.path) {
                _ = rename(aside.appendingPathComponent(name + ".tar.gz").path, finalArchive.path)
            }
            created = rename(root.path, finalFolder.path) == 0
        }
        if !created {
            // Someone published this model and version first: the same commit (another run, a
            // clone of the repository) is this bundle; another commit is refused, not recorded.
            let theirs = (try? FileContents.read(atPath: finalFolder.appendingPathComponent(BundleManifest.fileName).path))
                .flatMap { try? JSONDecoder().decode(BundleManifest.self, from: $0) }
            if let theirs, theirs.commit != commit {
                throw BundleError.taken(path: finalFolder.path, model: manifest.name, version: version, commit: theirs.commit)
            }
        }
        let record = BundleRecord(
            modelId: modelID, version: version, tag: origin.tag, ref: origin.ref, commit: commit, sessionId: session.id,
            path: finalFolder.path, archive: finalArchive.path, sha256: digest, createdAt: Date())
        try pipeline.store.record(record)
        return BundleResult(record, model: manifest.name, created: created)
    }

    /// Whether `record`'s bundle needs no more work: its folder is on this host (its archive then
    /// put into the store when a bundle published before blobs has none there: cheap when it
    /// has), or the store holds its archive (another host made it; `BundleCache` fetches it).
    private func published(_ record: BundleRecord) throws(StoreError) -> Bool {
        let blobs = BlobStore(pipeline.store)
        guard FileManager.default.fileExists(atPath: record.path) else { return try blobs.store.blob(record.sha256) != nil }
        guard FileManager.default.fileExists(atPath: record.archive) else { return true }
        do { try blobs.put(fileAt: record.archive, digest: record.sha256) } catch {
            // An archive that is not the recorded bytes stays out of the store (`mf verify` says
            // what differs); the store's own failures stop the run.
            guard case .blob = error else { throw error }
        }
        return true
    }

    /// The plugin's files under `plugin/`: everything but build caches, environments and the
    /// build marker; from `.build/` only the file `run` starts, as a regular file at the path
    /// `run` names (SwiftPM's `.build/release` is a link into a platform folder).
    private func addPlugin(from source: URL, to contents: inout BundleContents, keeping runPath: String?) throws {
        let skipped: Set<String> = [".venv", ".build", "__pycache__", ".git", ".mf-build-complete", ".swiftpm", Toolchain.fileName]
        contents.folder("plugin")
        for entry in try Archive.entries(of: source, skipping: skipped) { contents.add(entry, under: "plugin") }
        guard let runPath, !runPath.hasPrefix("/") else { return }
        let relative = runPath.hasPrefix("./") ? String(runPath.dropFirst(2)) : runPath
        guard relative.split(separator: "/").contains(where: { skipped.contains(String($0)) }) else { return }
        let resolved = source.appendingPathComponent(relative).resolvingSymlinksInPath()
        guard resolved.path.hasPrefix(source.resolvingSymlinksInPath().path + "/"), let executable = try? FileContents.read(atPath: resolved.path) else {
            throw BundleError.io(what: source.appendingPathComponent(relative).path, problem: "the file run starts is not in the build")
        }
        contents.file("plugin/" + relative, executable, executable: true)
    }
}
