public import Foundation
internal import SystemKit

/// A bundle made ready to run workers from: verified against its `bundle.json`, unpacked when
/// it is a `.tar.gz`, and, for a Python plugin with a `requirements.lock`, given the virtual
/// environment that lock describes (made once in `$MF_HOME/envs`, installed with pip's hash
/// checking). `mf serve` opens every bundle it hosts this way.
public struct RunnableBundle: Sendable {
    /// The bundle's folder.
    public let folder: URL
    /// The bundle's `bundle.json`, verified against the bundle's files.
    public let manifest: BundleManifest
    /// The bundle's `model.yaml`: schema and examples.
    public let model: Manifest
    /// The command that starts one worker, run in `directory`.
    public let command: [String]
    /// The bundle's `plugin/` folder.
    public let directory: URL
    /// The trained artifacts, for the worker's `load`.
    public let artifacts: URL

    /// The model's name, from `bundle.json`.
    public var name: String { manifest.model }
    /// The model's version, from `bundle.json`.
    public var version: String { manifest.version }

    /// How Python plugins find their packages.
    public enum PythonPackages: String, Sendable {
        /// A virtual environment from the bundle's `requirements.lock`, made once and shared.
        case lock
        /// The `python3` on PATH, with the packages installed already (as the Dockerfile does).
        case system
    }

    /// Opens the bundle at `path` (a folder or a `.tar.gz`): archives are unpacked into
    /// `$MF_HOME/serve/<archive sha256>/` (aside, then renamed), and the folder is verified file
    /// by file. Throws `BundleError` naming what is wrong.
    public static func open(_ path: URL, home: URL, python: PythonPackages = .lock) async throws -> RunnableBundle {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isFolder) else {
            throw BundleError.notABundle(path: path.path, reason: "it does not exist")
        }
        let folder = isFolder.boolValue ? path.standardizedFileURL : try unpack(path, into: home.appendingPathComponent("serve"))
        let (manifest, differences) = try BundleVerifier.verify(folder)
        guard differences.isEmpty else {
            throw BundleError.notABundle(
                path: path.path, reason: "it differs from its bundle.json: " + differences.map(\.description).joined(separator: "; "))
        }
        let manifestFile = folder.appendingPathComponent("model.yaml")
        guard let text = try? FileContents.read(atPath: manifestFile.path) else {
            throw BundleError.notABundle(path: path.path, reason: "it has no model.yaml")
        }
        let model: Manifest
        do { model = try Manifest.parse(String(decoding: text, as: UTF8.self), file: manifestFile.path) } catch {
            throw BundleError.notABundle(path: path.path, reason: "its model.yaml cannot be read: \(error)")
        }
        let directory = folder.appendingPathComponent("plugin")
        var command = manifest.run
        let lock = folder.appendingPathComponent("requirements.lock")
        if model.runtime == .python, python == .lock, let requirements = try? FileContents.read(atPath: lock.path),
            requirements.contains(where: { $0 != 0x0A && $0 != 0x20 })
        {
            let environment = try await Self.environment(requirements: requirements, bundle: folder, home: home)
            if command.first?.hasPrefix("python") == true { command[0] = environment.appendingPathComponent("bin/python").path }
        }
        return RunnableBundle(
            folder: folder, manifest: manifest, model: model, command: command, directory: directory,
            artifacts: folder.appendingPathComponent("artifacts"))
    }

    /// The archive's folder under `cache`, unpacked once.
    static func unpack(_ archive: URL, into cache: URL) throws -> URL {
        guard let data = try? FileContents.read(atPath: archive.path) else { throw BundleError.unreadable(archive.path) }
        let digest = HexDigest.sha256(data)
        let target = cache.appendingPathComponent(String(digest.prefix(32)))
        if FileManager.default.fileExists(atPath: target.appendingPathComponent(BundleManifest.fileName).path) { return target }
        let read: Result<[Archive.Entry], Archive.Failure> = Result { () throws(Archive.Failure) in try Archive.read(tarGz: data) }
        guard case .success(let entries) = read else {
            if case .failure(let failure) = read { throw BundleError.notABundle(path: archive.path, reason: failure.problem) }
            return target
        }
        // `Archive.read` takes the top folder (`churn-1.0.0/`) off and refuses paths that leave it.
        var contents = BundleContents()
        for entry in entries {
            guard entry.kind != .symlink else { throw BundleError.notABundle(path: archive.path, reason: "it holds a symbolic link '\(entry.path)'") }
            if entry.kind == .folder { contents.folder(entry.path) } else { contents.file(entry.path, entry.contents, executable: entry.executable) }
        }
        let lock = try AsideFolders.enter(cache)
        let aside = cache.appendingPathComponent(".building-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: aside)
            lock.unlock()
        }
        for entry in contents.sorted { try entry.write(to: aside.appendingPathComponent(entry.path)) }
        if rename(aside.path, target.path) != 0, !FileManager.default.fileExists(atPath: target.path) {
            throw BundleError.io(what: target.path, problem: "the unpacked bundle cannot be put in place (errno \(errno))")
        }
        return target
    }

    /// The shared environment for a bundle's requirements.lock.
    static func environment(requirements: Data, bundle: URL, home: URL) async throws -> URL {
        let log = home.appendingPathComponent("serve/pip-\(UUID().uuidString.prefix(8)).log")
        try FileManager.default.createDirectory(at: log.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        do {
            return try await PythonEnvironments(home: home).environment(
                requirements: requirements, file: "requirements.lock", in: bundle, log: log, reused: { _ in },
                run: { commands in
                    for command in commands {
                        let setup = ChildProcess(
                            ["/bin/sh", "-c", command], directory: bundle.path, output: .appending(toFile: log.path), error: .sameAsOutput)
                        let termination = try await setup.run().termination
                        guard termination.isSuccess else {
                            throw BundleError.io(what: command, problem: "\(termination): \(FileContents.text(atPath: log.path).suffix(2000))")
                        }
                    }
                })
        } catch let error as StepFailure {
            throw BundleError.io(what: bundle.path, problem: error.message)
        }
    }
}
