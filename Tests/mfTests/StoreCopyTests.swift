import Foundation
import SQLiteStore
import Store
import TestSupport
import Testing

/// `mf store copy`, and a home that has only the store: bundles listed, verified and served from
/// the store's blobs when their folders are not on the host.
@Suite(.onTestThreads) struct StoreCopyTests {
    /// A home's records and bundles copied into an empty store; the old home's bundle folders
    /// deleted; a fresh home over the copy lists the bundles as in the store, verifies one from
    /// the store, and `mf serve --follow production` fetches the release and answers predictions.
    @Test(.timeLimit(.minutes(5)))
    func aCopiedStoreServesFromAFreshHome() throws {
        let fixture = try servedModel()
        let old = TemporaryDirectory("home-old")
        #expect(try mf(["reconcile", "--repo", fixture.path, "--home", old.path]).status == 0)
        let bundles = try #require(try json(try mf(["bundles", "--home", old.path, "--json"])) as? [[String: Any]])
        #expect(bundles.count == 2 && bundles.allSatisfy { $0["source"] as? String == "local" }, "\(bundles)")

        let fresh = TemporaryDirectory("home-fresh")
        let from = "sqlite:" + old.appending("factory.sqlite")
        let to = "sqlite:" + fresh.appending("factory.sqlite")
        let copied = try mf(["store", "copy", "--from", from, "--to", to, "--json"])
        #expect(copied.status == 0, "\(copied.stderr)")
        let report = try #require(try json(copied) as? [String: Any])
        let rows = Dictionary(
            uniqueKeysWithValues: try #require(report["tables"] as? [[String: Any]]).map { ($0["name"] as? String ?? "", $0["rows"] as? Int ?? -1) })
        #expect(rows["bundles"] == 2 && rows["environments"] == 1 && (rows["sessions"] ?? 0) >= 2, "\(rows)")
        #expect(report["blobs"] as? Int == 2 && (report["bytes"] as? Int ?? 0) > 0 && (report["uploaded"] as? [String]) == [], "\(report)")

        // A store that holds anything is refused, in one sentence.
        let again = try mf(["store", "copy", "--from", from, "--to", to])
        #expect(again.status == 2 && again.stderr.contains("is not empty") && again.stderr.contains("mf store copy writes only into an empty store"))
        #expect(again.stderr.split(separator: "\n").count == 1, "\(again.stderr)")
        // The text says what it copied.
        let text = TemporaryDirectory("home-text")
        let said = try mf(["store", "copy", "--from", from, "--to", "sqlite:" + text.appending("factory.sqlite")])
        #expect(said.status == 0 && said.stdout.contains("bundles 2") && said.stdout.contains("2 blobs"), "\(said.stdout)")

        try FileManager.default.removeItem(atPath: old.appending("bundles"))
        let listed = try #require(try json(try mf(["bundles", "--home", fresh.path, "--json"])) as? [[String: Any]])
        #expect(listed.count == 2 && listed.allSatisfy { $0["source"] as? String == "store" }, "\(listed)")
        #expect(try mf(["bundles", "--home", fresh.path]).stdout.contains("(not on this host: from the store)"))
        let path = try #require(listed.first { $0["version"] as? String == "1.1.0" }?["path"] as? String)
        let verified = try mf(["verify", path, "--home", fresh.path, "--json"])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        let verdict = try #require(try json(verified) as? [String: Any])
        #expect(verdict["intact"] as? Bool == true && verdict["published"] as? Bool == true && verdict["source"] as? String == "store", "\(verdict)")
        #expect(try mf(["verify", path, "--home", fresh.path]).stdout.contains("intact (") && !FileManager.default.fileExists(atPath: path))

        // The store's copy damaged: verify says which chunk of which blob, and fails.
        let store = try SQLiteStore(path: fresh.appending("factory.sqlite"))
        let digest = try #require(listed.first { $0["version"] as? String == "1.0.0" }?["sha256"] as? String)
        let chunk = try #require(try store.chunk(of: digest, index: 0))
        var bytes = chunk.bytes
        bytes[bytes.startIndex] ^= 0xFF
        try store.putChunk(BlobChunk(digest: digest, index: 0, sha256: chunk.sha256, bytes: bytes))
        let damagedPath = try #require(listed.first { $0["version"] as? String == "1.0.0" }?["path"] as? String)
        let damaged = try mf(["verify", damagedPath, "--home", fresh.path])
        #expect(damaged.status == 2 && damaged.stderr.contains("blob \(digest.prefix(16))") && damaged.stderr.contains("chunk 0 of"), "\(damaged.stderr)")

        let server = try ServerProcess(["--follow", "production", "--repo", fixture.path, "--home", fresh.path, "--workers", "1"])
        defer { _ = server.stop() }
        let answer = try http("POST", port: server.port, "/v1/models/demo:predict", body: predictBody([["x": 4, "kind": "a"]]))
        #expect(answer.status == 200 && answer.headers["x-model-version"] == "1.1.0", "\(answer.status) \(answer.text) \(server.log)")
        #expect(FileManager.default.fileExists(atPath: fresh.appending("bundles/demo/1.1.0/bundle.json")))
        #expect(server.log.contains("fetched demo 1.1.0 from the store"), "\(server.log)")
        #expect(server.stop() == 0)
    }
}
