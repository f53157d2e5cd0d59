internal import Crypto
public import Foundation
public import GitKit
internal import SystemKit

/// ModelKit as a Swift package a model resolves offline (DESIGN.md, "Parts").
///
/// A Swift model names ModelKit by its canonical URL, `ModelKitPackage.url`, and nothing else of
/// the factory. The factory never fetches that URL: it materialises ModelKit's sources (those of
/// the `mf` that runs) as a git repository in `$MF_HOME/packages/modelkit/DIGEST/modelkit`,
/// tagged `ModelKitPackage.version`, and points a SwiftPM mirror from the URL to it in the
/// package's `.swiftpm/configuration/mirrors.json`, the file `swift package config set-mirror`
/// writes. The repository is made from the sources alone (fixed author and time), so the same
/// sources give the same commit id in every home.
///
/// ```swift
/// let modelKit = ModelKitPackage(sources: checkout.appendingPathComponent("Sources/ModelKit"))
/// try modelKit.configureMirror(for: packageFolder, home: home)   // then `swift build` works offline
/// ```
public struct ModelKitPackage: Sendable {
    /// The URL a model's `Package.swift` names ModelKit by.
    public static let url = "https://github.com/model-factory/modelkit.git"
    /// The version the materialised repository is tagged with.
    public static let version = "0.1.0"

    /// The folder holding ModelKit's `.swift` sources.
    public let sources: URL
    /// A folder holding the `swift package mf` command plugin's `plugin.swift`, shipped with
    /// ModelKit so a model package gets the plugin with its one dependency; nil leaves it out.
    public let commandPlugin: URL?

    /// ModelKit from the sources in `sources`, with the command plugin from `commandPlugin` when given.
    public init(sources: URL, commandPlugin: URL? = nil) {
        self.sources = sources
        self.commandPlugin = commandPlugin
    }

    /// The package's files: its manifest, ModelKit's sources and the command plugin, by path.
    public func files() throws(ModelKitError) -> [FileEntry] {
        var files = [FileEntry(path: "Package.swift", text: Self.manifest(plugin: commandPlugin != nil))]
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { $0.hasSuffix(".swift") }.sorted()
        } catch {
            throw ModelKitError.sourcesMissing(sources.path)
        }
        guard !names.isEmpty else { throw ModelKitError.sourcesMissing(sources.path) }
        for name in names {
            files.append(FileEntry(path: "Sources/ModelKit/" + name, contents: try read(sources.appendingPathComponent(name))))
        }
        if let commandPlugin {
            files.append(FileEntry(path: "Plugins/MFCommand/plugin.swift", contents: try read(commandPlugin.appendingPathComponent("plugin.swift"))))
        }
        return files
    }

    /// A SHA-256 over every file's path and bytes: which ModelKit this is.
    public func digest() throws(ModelKitError) -> String {
        var hasher = SHA256()
        for file in try files() {
            hasher.update(data: Data("\(file.path)\n\(file.contents.count)\n".utf8))
            hasher.update(data: file.contents)
        }
        return HexDigest.hex(hasher.finalize())
    }

    /// The repository of these sources under `home`, made when missing (aside, then renamed, so
    /// a half-made one is never used). Its last path component is `modelkit`, which is the
    /// folder name SwiftPM checks it out under.
    @discardableResult
    public func materialize(in home: URL) throws(ModelKitError) -> URL {
        let files = try files()
        let digest = try digest()
        let parent = home.appendingPathComponent("packages/modelkit")
        let final = parent.appendingPathComponent(String(digest.prefix(16)))
        let repository = final.appendingPathComponent("modelkit")
        if FileManager.default.fileExists(atPath: repository.appendingPathComponent("refs/tags/\(Self.version)").path) {
            return repository
        }
        let aside = parent.appendingPathComponent("\(final.lastPathComponent).building-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: aside) }
        do {
            let git = try Repository.create(at: aside.appendingPathComponent("modelkit").path, bare: true, initialBranch: "main")
            // Fixed author and time: the same sources are the same commit in every home.
            let author = Signature(name: "Model Factory", email: "mf@localhost", time: Date(timeIntervalSince1970: 0))
            let commit = try git.commit(
                files: files, parents: [], message: "ModelKit \(Self.version)\n", author: author, updating: "refs/heads/main")
            try git.createTag(Self.version, at: commit)
        } catch {
            throw ModelKitError.cannotMaterialize(final.path, String(describing: error))
        }
        do {
            try FileManager.default.moveItem(at: aside, to: final)
        } catch  where FileManager.default.fileExists(atPath: repository.appendingPathComponent("refs/tags/\(Self.version)").path) {
            // Another process made the same one first: use it.
        } catch {
            throw ModelKitError.cannotMaterialize(final.path, error.localizedDescription)
        }
        return repository
    }

    /// True when the Swift package in `folder` names ModelKit by its URL.
    public static func isDependency(of folder: URL) -> Bool {
        guard let data = try? FileContents.read(atPath: folder.appendingPathComponent("Package.swift").path),
            let manifest = String(validating: data, as: UTF8.self)
        else {
            return false
        }
        return manifest.contains(url) || manifest.contains(String(url.dropLast(4)))
    }

    /// Materialises ModelKit in `home` and makes the package in `folder` resolve `url` to it:
    /// `.swiftpm/configuration/mirrors.json` gains (or has replaced) the mirror of `url`; other
    /// mirrors in it are kept. Returns the mirror's path.
    @discardableResult
    public func configureMirror(for folder: URL, home: URL) throws(ModelKitError) -> URL {
        let repository = try materialize(in: home)
        let file = folder.appendingPathComponent(".swiftpm/configuration/mirrors.json")
        var mirrors: [[String: Any]] = []
        if let data = try? FileContents.read(atPath: file.path) {
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let entries = object["object"] as? [[String: Any]]
            else {
                throw ModelKitError.badMirrors(file.path)
            }
            mirrors = entries.filter { ($0["original"] as? String) != Self.url }
        }
        mirrors.append(["original": Self.url, "mirror": repository.path])
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            let data = try JSONSerialization.data(
                withJSONObject: ["object": mirrors, "version": 1], options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            try data.write(to: file, options: .atomic)
        } catch {
            throw ModelKitError.cannotMaterialize(file.path, error.localizedDescription)
        }
        return repository
    }

    private func read(_ url: URL) throws(ModelKitError) -> Data {
        do { return try FileContents.read(atPath: url.path) } catch { throw ModelKitError.sourcesMissing(url.path) }
    }

    /// ModelKit's manifest: one library, Foundation only, built with the factory's own settings.
    static func manifest(plugin: Bool) -> String {
        let pluginProduct = plugin ? "\n        .plugin(name: \"MFCommand\", targets: [\"MFCommand\"])," : ""
        let pluginTarget =
            plugin
            ? """

                // `swift package mf COMMAND`: runs the `mf` on PATH on this package.
                .plugin(
                    name: "MFCommand",
                    capability: .command(intent: .custom(verb: "mf", description: "Run Model Factory (mf) on this package.")),
                    path: "Plugins/MFCommand"
                ),
            """ : ""
        return """
            // swift-tools-version:6.0
            // ModelKit \(version), the SDK of Model Factory's Swift models, as materialised by `mf`
            // (see https://github.com/model-factory/modelkit.git in the model's Package.swift).
            import PackageDescription

            let package = Package(
                name: "ModelKit",
                platforms: [.macOS(.v15)],
                products: [
                    .library(name: "ModelKit", targets: ["ModelKit"]),\(pluginProduct)
                ],
                targets: [
                    .target(
                        name: "ModelKit",
                        swiftSettings: [.enableUpcomingFeature("ExistentialAny"), .enableUpcomingFeature("InternalImportsByDefault")]
                    ),\(pluginTarget)
                ]
            )

            """
    }
}

/// Why ModelKit could not be made available to a Swift model.
public enum ModelKitError: Error, CustomStringConvertible, Equatable {
    /// ModelKit's sources are not where this `mf` expects them.
    case sourcesMissing(String)
    /// The package's mirror configuration is not SwiftPM's JSON.
    case badMirrors(String)
    /// The repository or the mirror file could not be written.
    case cannotMaterialize(String, String)
    /// A Swift model depends on ModelKit but this `mf` knows no ModelKit sources.
    case notInstalled

    /// The sentence a user reads: what failed and, when it is an installation problem, how to fix it.
    public var description: String {
        switch self {
        case .sourcesMissing(let path):
            "cannot make ModelKit available: its sources are missing at \(path); reinstall mf (scripts/install)"
        case .badMirrors(let path):
            "cannot add the ModelKit mirror: \(path) is not SwiftPM's mirrors JSON ({\"object\": [...], \"version\": 1})"
        case .cannotMaterialize(let path, let why):
            "cannot make ModelKit available at \(path): \(why)"
        case .notInstalled:
            "this model depends on ModelKit, but this mf has no ModelKit sources beside it (share/model-factory/Sources/ModelKit); reinstall mf with scripts/install"
        }
    }
}
