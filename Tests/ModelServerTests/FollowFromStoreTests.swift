import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLiteStore
import Store
import SystemKit
import TestSupport
import Testing

@testable import ModelFactory
@testable import ModelServer

/// `mf serve --follow` on a host without the bundle's folder: the server fetches the bundle
/// from the store's blob into its own home, verifies it and serves it.
@Suite(.serialized, .onTestThreads) struct FollowFromStoreTests {
    /// A home that published `demo 1.0.0` (folder, archive, blob, bundle record and production),
    /// then lost the folder and the archive.
    struct Published {
        let directory = TemporaryDirectory("follow-store")
        let store: SQLiteStore
        let record: BundleRecord
        let fixture: GitFixture

        init() throws {
            fixture = try GitFixture("follow-store-repo")
            try fixture.commit("start", file: "README", content: "demo\n")
            let folder = try rolloutBundle(version: "1.0.0", failEvery: nil, in: directory)
            let archive = URL(fileURLWithPath: directory.appending("bundles/demo-1.0.0.tar.gz"))
            let data = try Archive.tarGz(try Archive.entries(of: folder), prefix: "demo-1.0.0")
            try data.write(to: archive)
            store = try SQLiteStore(path: directory.appending("a/factory.sqlite"))
            let digest = HexDigest.sha256(data)
            try BlobStore(store, chunkSize: 1000).put(fileAt: archive.path, digest: digest)
            let model = try store.modelID(repository: fixture.path, name: "demo")
            let commit = String(repeating: "a", count: 40)
            record = BundleRecord(
                modelId: model, version: "1.0.0", tag: "v1.0.0", ref: "refs/tags/v1.0.0", commit: commit, sessionId: "s1", path: folder.path,
                archive: archive.path, sha256: digest, createdAt: Date())
            try store.record(record)
            try store.record(
                EnvironmentRecord(
                    repository: fixture.path, model: "demo", name: "production", version: "1.0.0", tag: "v1.0.0", commit: commit, bundle: folder.path,
                    updatedAt: Date()))
            try FileManager.default.removeItem(at: folder)
            try FileManager.default.removeItem(at: archive)
        }

        func registry(home: String) -> ModelRegistry {
            var options = ServeOptions(home: URL(fileURLWithPath: directory.appending(home)))
            options.pool.workers = 1
            return ModelRegistry(options: options)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func aFollowerServesABundleFetchedFromTheStore() async throws {
        let published = try Published()
        let registry = published.registry(home: "b")
        let follower = EnvironmentFollower(registry: registry, store: published.store, repository: published.fixture.path, environment: "production")
        do {
            try await follower.catchUp()
            #expect(registry.models().first?.current == "1.0.0")
            let fetched = published.directory.appending("b/bundles/demo/1.0.0")
            #expect(FileManager.default.fileExists(atPath: fetched + "/bundle.json"))
            #expect(registry.version("demo", "1.0.0")?.bundle.folder.path == fetched)
            #expect(!FileManager.default.fileExists(atPath: published.record.path), "the first home stays without it")
            let app = buildApplication(registry: registry, options: ServeOptions(home: URL(fileURLWithPath: published.directory.appending("b"))))
            try await app.test(.router) { client in
                let response = try await client.send(.post, "/v1/models/demo:predict", body: #"{"instances": [{"x": 4, "kind": "a"}]}"#)
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#""label":1"#), "\(String(buffer: response.body))")
            }
        } catch {
            await registry.drainAll()
            throw error
        }
        await registry.drainAll()
    }

    /// A damaged chunk: the follower loads nothing and leaves nothing in its home's bundles.
    @Test(.timeLimit(.minutes(2)))
    func aDamagedBlobIsNotServed() async throws {
        let published = try Published()
        let chunk = try #require(try published.store.chunk(of: published.record.sha256, index: 1))
        var damaged = chunk.bytes
        damaged[0] ^= 0xFF
        try published.store.putChunk(BlobChunk(digest: chunk.digest, index: 1, sha256: chunk.sha256, bytes: damaged))
        let registry = published.registry(home: "c")
        let follower = EnvironmentFollower(registry: registry, store: published.store, repository: published.fixture.path, environment: "production")
        await #expect {
            try await follower.catchUp()
        } throws: { error in
            "\(error)".contains("chunk 1 of") && "\(error)".contains(String(published.record.sha256.prefix(16)))
        }
        #expect(registry.models().isEmpty)
        let bundles = published.directory.appending("c/bundles")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: bundles + "/demo")) ?? []).isEmpty)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: bundles)) ?? []).allSatisfy { !$0.hasPrefix(".building") })
        await registry.drainAll()
    }
}
