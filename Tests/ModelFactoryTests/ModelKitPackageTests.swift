import Foundation
import GitKit
import ModelFactory
import TestSupport
import Testing

private let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let modelKit = ModelKitPackage(
    sources: checkout.appendingPathComponent("Sources/ModelKit"), commandPlugin: checkout.appendingPathComponent("Plugins/MFCommand"))

@Suite(.onTestThreads) struct ModelKitPackageTests {
    @Test func packageHoldsModelKitAloneWithThePlugin() throws {
        let paths = try modelKit.files().map(\.path)
        #expect(paths.first == "Package.swift")
        #expect(paths.contains("Sources/ModelKit/ModelWorker.swift"))
        #expect(paths.contains("Plugins/MFCommand/plugin.swift"))
        let manifest = String(decoding: try modelKit.files()[0].contents, as: UTF8.self)
        #expect(manifest.contains(".library(name: \"ModelKit\"") && !manifest.contains(".package("), "ModelKit must have no dependencies")
    }

    /// Two homes get the same commit for the same sources, so builds and pins agree everywhere.
    @Test func twoHomesMaterialiseTheSameCommit() throws {
        let one = TemporaryDirectory("home")
        let two = TemporaryDirectory("home")
        let first = try modelKit.materialize(in: URL(fileURLWithPath: one.path))
        let second = try modelKit.materialize(in: URL(fileURLWithPath: two.path))
        #expect(first.lastPathComponent == "modelkit")
        let tag = { (url: URL) throws -> ObjectID? in
            try Repository.open(at: url.path).references().first { $0.name == "refs/tags/\(ModelKitPackage.version)" }?.commit
        }
        let commit = try #require(try tag(first))
        #expect(try tag(second) == commit)
        // A second call finds it made and makes nothing.
        let again = try modelKit.materialize(in: URL(fileURLWithPath: one.path))
        #expect(again.path == first.path, "\(again) \(first)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: one.appending("packages/modelkit"))
        #expect(leftovers.count == 1 && !leftovers[0].contains(".building-"))
    }

    @Test func mirrorIsAddedBesideOtherMirrors() throws {
        let home = TemporaryDirectory("home")
        let package = TemporaryDirectory("package")
        try package.write(
            ".swiftpm/configuration/mirrors.json",
            """
            {"object": [{"original": "https://example.com/a.git", "mirror": "/srv/a"},
                        {"original": "\(ModelKitPackage.url)", "mirror": "/old/modelkit"}], "version": 1}
            """)
        let mirror = try modelKit.configureMirror(for: URL(fileURLWithPath: package.path), home: URL(fileURLWithPath: home.path))
        let data = try Data(contentsOf: URL(fileURLWithPath: package.appending(".swiftpm/configuration/mirrors.json")))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["version"] as? Int == 1)
        let entries = try #require(object["object"] as? [[String: String]])
        #expect(entries.map { $0["original"] ?? "" } == ["https://example.com/a.git", ModelKitPackage.url])
        #expect(entries.last?["mirror"] == mirror.path)
    }

    @Test func badMirrorsFileIsNamed() throws {
        let home = TemporaryDirectory("home")
        let package = TemporaryDirectory("package")
        try package.write(".swiftpm/configuration/mirrors.json", "[1, 2")
        #expect(throws: ModelKitError.badMirrors(package.appending(".swiftpm/configuration/mirrors.json"))) {
            try modelKit.configureMirror(for: URL(fileURLWithPath: package.path), home: URL(fileURLWithPath: home.path))
        }
    }

    @Test func missingSourcesAreNamed() throws {
        let empty = TemporaryDirectory("empty")
        let broken = ModelKitPackage(sources: URL(fileURLWithPath: empty.path))
        #expect(throws: ModelKitError.sourcesMissing(empty.path)) { try broken.digest() }
        #expect(String(describing: ModelKitError.sourcesMissing("/x")).contains("reinstall mf"))
    }

    @Test func dependencyIsReadFromTheManifest() throws {
        let package = TemporaryDirectory("package")
        #expect(!ModelKitPackage.isDependency(of: URL(fileURLWithPath: package.path)))
        try package.write("Package.swift", ".package(url: \"https://github.com/model-factory/modelkit.git\", from: \"0.1.0\")")
        #expect(ModelKitPackage.isDependency(of: URL(fileURLWithPath: package.path)))
    }
}
