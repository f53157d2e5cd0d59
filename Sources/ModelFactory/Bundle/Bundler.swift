internal import Foundation
public import GitKit
internal import Crypto

/// What `mf bundle` made (or found already made) for one model.
public struct BundleResult: Sendable, Encodable {
    public let model: String
    public let version: String
    public let tag: String
    public let commit: String
    public let session: String
    public let path: String
    public let archive: String
    public let sha256: String
    /// False when the bundle existed already (bundles are never made twice).
    public let created: Bool
}

/// Turns a release tag into an immutable bundle under `$MF_HOME/bundles/<model>/<version>/` and
/// a reproducible `<model>-<version>.tar.gz` beside it (DESIGN.md "Bundles"). The bundle is
/// assembled aside and renamed into place, so a reader sees all of it or nothing, and an
/// existing bundle is never overwritten.
public struct Bundler: Sendable {
    public let pipeline: Pipeline

    public init(pipeline: Pipeline) { self.pipeline = pipeline }

    var bundlesFolder: URL { pipeline.home.appendingPathComponent("bundles") }

    public func bundle(_ repository: Repository, tag: String, observer: (any BuildObserver)? = nil) async throws -> [BundleResult] {
        let references = try repository.references(readingTagObjects: false)
        let configuration = try FlowConfiguration.load(repository: repository, references: references, head: try? repository.head())
        return try await bundle(repository, tag: tag, references: references, configuration: configuration, observer: observer)
    }

    /// The same, with the references and flow configuration read once by the caller (the
    /// reconciler bundles every tag of a repository in one pass).
    func bundle(
        _ repository: Repository, tag: String, references: [Reference], configuration: FlowConfiguration,
        observer: (any BuildObserver)? = nil
    ) async throws -> [BundleResult] {
        let shortTag = tag.hasPrefix("refs/tags/") ? String(tag.dropFirst("refs/tags/".count)) : tag
        guard let reference = references.first(where: { $0.kind == .tag && $0.shortName == shortTag }), let commit = reference.commit,
              case .version(let taggedModel, let version) = VersionTag.parse(shortTag, prefix: configuration.versionTagPrefix) else {
            throw BundleError.notAVersionTag(tag)
        }
        let tree = try repository.treeID(of: commit)
        var results: [BundleResult] = []
        for folder in try pipeline.modelFolders(repository, commit: commit) {
            let manifestPath = folder.isEmpty ? "model.yaml" : folder + "/model.yaml"
            let manifest = try Manifest.parse(String(decoding: try repository.file(at: manifestPath, in: commit), as: UTF8.self), file: manifestPath)
            if let taggedModel, taggedModel != manifest.name { continue }
            let modelID = try pipeline.store.modelID(repository: repository.location, name: manifest.name)
            if let existing = try pipeline.store.bundle(modelID: modelID, version: version.description),
               FileManager.default.fileExists(atPath: existing.path) {
                results.append(BundleResult(
                    model: manifest.name, version: existing.version, tag: existing.tag, commit: existing.commit, session: existing.sessionId,
                    path: existing.path, archive: existing.archive, sha256: existing.sha256, created: false))
                continue
            }
            var session = try pipeline.store.firstPassedSession(modelID: modelID, commit: commit.hex)
            if session == nil {
                let reports = try await pipeline.build(repository, BuildRequest(revision: shortTag, trigger: "bundle"), observer: observer)
                guard let report = reports.first(where: { $0.model == manifest.name }) else { throw BundleError.noModel(tag: shortTag, model: manifest.name) }
                guard report.session.status == .passed else {
                    throw BundleError.gatesFailed(model: manifest.name, tag: shortTag, failure: report.session.failure ?? "failed")
                }
                session = report.session
            }
            results.append(try assemble(
                manifest: manifest, folder: folder, session: session!, modelID: modelID, version: version.description, tag: shortTag,
                commit: commit.hex, tree: tree.hex))
        }
        if results.isEmpty { throw BundleError.noModel(tag: shortTag, model: taggedModel ?? "?") }
        return results
    }

    private func assemble(
        manifest: Manifest, folder: String, session: Session, modelID: Int64, version: String, tag: String, commit: String, tree: String
    ) throws -> BundleResult {
        let manager = FileManager.default
        let name = "\(manifest.name)-\(version)"
        let aside = bundlesFolder.appendingPathComponent(".building-\(UUID().uuidString)")
        let root = aside.appendingPathComponent(name)
        defer { try? manager.removeItem(at: aside) }
        try manager.createDirectory(at: root, withIntermediateDirectories: true)

        // The runnable plugin: the built tree without caches and environments, plus what `run` starts.
        let built = pipeline.buildFolder(tree: session.tree, recipe: session.recipe)
        let source = folder.isEmpty ? built : built.appendingPathComponent(folder)
        let plugin = root.appendingPathComponent("plugin")
        try copyPlugin(from: source, to: plugin, keeping: manifest.run.first)
        let trained = pipeline.sessionsFolder.appendingPathComponent(session.reusedFrom ?? session.id).appendingPathComponent("artifacts")
        try copyTree(from: trained, to: root.appendingPathComponent("artifacts"))
        try manager.copyItem(at: source.appendingPathComponent("model.yaml"), to: root.appendingPathComponent("model.yaml"))
        var toolchain = ["mf": "0.1.0"]
        let venvPython = source.appendingPathComponent(".venv/bin/python")
        if manager.isExecutableFile(atPath: venvPython.path) {
            // Exactly what the build installed, to install it again in the container.
            let frozen = try Self.output([venvPython.path, "-m", "pip", "freeze", "--disable-pip-version-check"])
            try Data(frozen.utf8).write(to: root.appendingPathComponent("requirements.lock"))
            toolchain["python"] = try Self.output([venvPython.path, "--version"]).trimmingCharacters(in: .whitespacesAndNewlines)
        } else if manifest.runtime == .python {
            toolchain["python"] = (try? Self.output(["/usr/bin/env", "python3", "--version"]))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if manifest.runtime == .swift {
            toolchain["swift"] = (try? Self.output(["/usr/bin/env", "swift", "--version"]))?.split(separator: "\n").first.map(String.init)
        }
        try Data(Deployment.dockerfile(model: manifest.name, version: version, runtime: manifest.runtime.rawValue).utf8)
            .write(to: root.appendingPathComponent("Dockerfile"))
        try manager.createDirectory(at: root.appendingPathComponent("deploy"), withIntermediateDirectories: true)
        try Data(Deployment.deployment(model: manifest.name, version: version).utf8).write(to: root.appendingPathComponent("deploy/deployment.yaml"))
        try Data(Deployment.service(model: manifest.name, version: version).utf8).write(to: root.appendingPathComponent("deploy/service.yaml"))

        let metrics = try pipeline.store.metrics(session: session.id).filter { $0.split == "evaluate" }
        let gates = try pipeline.store.steps(session: session.id).first { $0.name == "gates" }?.message?
            .split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? []
        let field = { (field: Manifest.Field) in
            BundleManifest.Field(name: field.name, type: field.type.rawValue, min: field.min, max: field.max, values: field.values)
        }
        let description = BundleManifest(
            model: manifest.name, version: version, tag: tag, commit: commit, tree: tree, session: session.id,
            runtime: manifest.runtime.rawValue, run: manifest.run, toolchain: SortedMap(toolchain),
            schema: BundleManifest.Schema(inputs: manifest.schema.inputs.map(field), outputs: manifest.schema.outputs.map(field)),
            metrics: SortedMap(Dictionary(metrics.compactMap { metric in metric.value.map { (metric.name, $0) } }, uniquingKeysWith: { $1 })),
            gates: gates, files: try BundleManifest.files(in: root))
        try Data(try JSONText.encodeBytes(description)).write(to: root.appendingPathComponent(BundleManifest.fileName))

        let archiveData = try Archive.tarGz(try Archive.entries(of: root), prefix: name)
        let digest = SHA256.hash(data: archiveData).map { String(format: "%02x", $0) }.joined()
        try archiveData.write(to: aside.appendingPathComponent(name + ".tar.gz"))

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
        let record = BundleRecord(
            modelId: modelID, version: version, tag: tag, commit: commit, sessionId: session.id, path: finalFolder.path,
            archive: finalArchive.path, sha256: digest, createdAt: Date())
        try pipeline.store.record(record)
        return BundleResult(
            model: manifest.name, version: version, tag: tag, commit: commit, session: session.id, path: finalFolder.path,
            archive: finalArchive.path, sha256: digest, created: created)
    }

    /// The plugin's files: everything but build caches, environments and the build marker; from
    /// `.build/` only the file `run` starts.
    private func copyPlugin(from source: URL, to target: URL, keeping runPath: String?) throws {
        let skipped: Set<String> = [".venv", ".build", "__pycache__", ".git", ".mf-build-complete", ".swiftpm"]
        for entry in try Archive.entries(of: source) {
            let parts = entry.path.split(separator: "/").map(String.init)
            let isRun = runPath.map { entry.path == $0 || entry.path == ($0.hasPrefix("./") ? String($0.dropFirst(2)) : $0) } ?? false
            if !isRun, parts.contains(where: skipped.contains) { continue }
            let url = target.appendingPathComponent(entry.path)
            try write(entry, to: url)
        }
    }

    private func copyTree(from source: URL, to target: URL) throws {
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        guard FileManager.default.fileExists(atPath: source.path) else { return }
        for entry in try Archive.entries(of: source) { try write(entry, to: target.appendingPathComponent(entry.path)) }
    }

    private func write(_ entry: Archive.Entry, to url: URL) throws {
        let manager = FileManager.default
        switch entry.kind {
        case .folder: try manager.createDirectory(at: url, withIntermediateDirectories: true)
        case .symlink:
            try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try manager.createSymbolicLink(atPath: url.path, withDestinationPath: entry.linkTarget)
        case .file:
            try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try entry.contents.write(to: url)
            try manager.setAttributes([.posixPermissions: entry.executable ? 0o755 : 0o644], ofItemAtPath: url.path)
        }
    }

    /// A short command's standard output, without its standard error (so pip's warnings never
    /// land in requirements.lock).
    static func output(_ command: [String]) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mf-output-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        let quiet = ["/bin/sh", "-c", "exec \"$@\" 2>/dev/null", "sh"] + command
        let process = try WorkerProcess(command: quiet, directory: nil, environment: nil, outputFile: file.path)
        while !process.waitForExit(seconds: 600) {}
        guard process.exitStatus == "exited with status 0" else {
            throw BundleError.io(what: command.joined(separator: " "), problem: "the command \(process.exitStatus ?? "failed")")
        }
        return String(decoding: Generator.read(file.path) ?? Data(), as: UTF8.self)
    }
}
