import Foundation
import PostgresStore
import SQLiteStore
import Store
import SystemKit
import TestSupport
import Testing

/// What a factory on several hosts needs of the store, on every engine: repository identities,
/// traffic declarations, blobs, and copying a whole store from one engine to the other.
@Suite(.onTestThreads) struct ScaleOutStoreTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000.25)

    /// Records an older home kept under a repository's path move to its identity when it is
    /// registered: models with their sessions, environments, jobs and events; registering again
    /// changes nothing.
    @Test(arguments: Engine.allCases) func registeringReKeysAPathsRecordsToTheIdentity(engine: Engine) throws {
        let store = try engine.store()
        let (path, url) = ("/src/churn", "https://forge.example/team/churn.git")
        let model = try store.modelID(repository: path, name: "churn")
        try store.insert(Session(id: "s1", modelId: model, commit: "c", tree: "t", recipe: "r", trigger: .cli, status: .passed, startedAt: start))
        try store.record(
            EnvironmentRecord(
                repository: path, model: "churn", name: "production", version: "1.0.0", tag: "v1.0.0", commit: "c", bundle: "/b", updatedAt: start))
        _ = try store.enqueue(repository: path, refs: ["refs/heads/master"], trigger: .hook, delivery: nil, maxAttempts: 3, now: start)
        try store.registerRepository(identity: url, location: path)
        try store.registerRepository(identity: url, location: path)
        #expect(try store.modelID(repository: url, name: "churn") == model)
        #expect(try store.environments(repository: url).map(\.version) == ["1.0.0"] && store.environments(repository: path).isEmpty)
        #expect(try store.jobs().map(\.repository) == [url])
        #expect(try store.repositories().map(\.identity) == [url] && store.repositories().first?.location == path)
        #expect(try store.sessions(repository: url).map(\.session.id) == ["s1"])
    }

    /// The traffic declaration of each environment's head is kept, the newest replacing the one before.
    @Test(arguments: Engine.allCases) func trafficDeclarationsAreKeptPerEnvironment(engine: Engine) throws {
        let store = try engine.store()
        #expect(try store.traffic(repository: "r", environment: "production") == nil)
        let first = TrafficRecord(repository: "r", environment: "production", commit: "c1", declaration: "models: {}\n", recordedAt: start)
        let second = TrafficRecord(repository: "r", environment: "production", commit: "c2", declaration: nil, recordedAt: start.addingTimeInterval(1))
        try store.record(traffic: first)
        try store.record(traffic: TrafficRecord(repository: "r", environment: "staging", commit: "c9", declaration: "x", recordedAt: start))
        #expect(try store.traffic(repository: "r", environment: "production") == first)
        try store.record(traffic: second)
        #expect(try store.traffic(repository: "r", environment: "production") == second)
        #expect(try store.traffic(repository: "r", environment: "staging")?.commit == "c9")
    }

    /// A blob put in small chunks reads back whole; the same bytes are kept once; a damaged
    /// chunk fails the read naming the blob and chunk, and leaves no file.
    @Test(arguments: Engine.allCases) func blobsAreChunkedCheckedAndKeptOnce(engine: Engine) throws {
        let store = try engine.store()
        let folder = TemporaryDirectory("blobs")
        let data = Data((0..<100).map { UInt8(truncatingIfNeeded: $0 &* 37) })
        let digest = HexDigest.sha256(data)
        try data.write(to: URL(fileURLWithPath: folder.appending("in.bin")))
        let blobs = BlobStore(store, chunkSize: 7)
        #expect(try blobs.put(fileAt: folder.appending("in.bin"), digest: digest))
        #expect(try !blobs.put(fileAt: folder.appending("in.bin"), digest: digest))
        #expect(try store.blob(digest)?.chunks == 15 && store.blobs().count == 1 && store.rowCounts()["blobChunks"] == 15)
        try blobs.write(digest, to: URL(fileURLWithPath: folder.appending("out.bin")))
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder.appending("out.bin"))) == data)

        let kept = try #require(try store.chunk(of: digest, index: 3))
        try store.putChunk(BlobChunk(digest: digest, index: 3, sha256: kept.sha256, bytes: Data("damaged".utf8)))
        #expect {
            try blobs.write(digest, to: URL(fileURLWithPath: folder.appending("bad.bin")))
        } throws: { error in
            guard case .blob(let named, let reason) = error as? StoreError else { return false }
            return named == digest && reason.contains("chunk 3")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.appending("bad.bin")))
    }

    /// `mf store copy`'s core across engines: what one engine exports the other imports as it
    /// was (ids, dates, flags), and the copy goes on making new ids past the copied ones.
    @Test(arguments: [(Engine.sqlite, Engine.postgres), (Engine.postgres, Engine.sqlite)])
    func tablesCopyFromOneEngineToTheOther(from: Engine, to: Engine) throws {
        let source = try from.store()
        let model = try source.modelID(repository: "/src/churn", name: "churn")
        let session = Session(
            id: "s1", modelId: model, commit: "c1", tree: "t1", recipe: "r", ref: "refs/tags/v1.0.0", version: "1.0.0", trigger: .cli, status: .passed,
            startedAt: start, endedAt: start.addingTimeInterval(3), failure: nil, reusedFrom: nil)
        try source.insert(session)
        try source.record([Metric(sessionId: "s1", modelId: model, name: "auc", split: "evaluate", value: 0.875)])
        let gates = [GateResult(gate: "auc >= 0.7", passed: true, detail: "auc >= 0.7: 0.8", metric: "auc", value: 0.8, limit: 0.7)]
        try source.record(gates: gates, session: "s1")
        let bundle = BundleRecord(
            modelId: model, version: "1.0.0", tag: "v1.0.0", ref: "refs/tags/v1.0.0", commit: "c1", sessionId: "s1", path: "/h/bundles/churn/1.0.0",
            archive: "/h/bundles/churn/churn-1.0.0.tar.gz", sha256: "d", createdAt: start)
        try source.record(bundle)
        let jobID = try source.enqueue(repository: "/src/churn", refs: ["refs/heads/master"], trigger: .hook, delivery: "x", maxAttempts: 3, now: start).job
        let job = try #require(try source.job(id: jobID))
        try source.record(traffic: TrafficRecord(repository: "/src/churn", environment: "production", commit: "c1", declaration: "y", recordedAt: start))

        let destination = try to.store()
        try destination.importTables(try source.exportTables())
        #expect(try destination.session(id: "s1") == session)
        #expect(try destination.gates(session: "s1") == gates && destination.metrics(session: "s1").map(\.value) == [0.875])
        #expect(try destination.bundle(modelID: model, version: "1.0.0") == bundle)
        #expect(try destination.job(id: jobID) == job && destination.seen(delivery: "x"))
        #expect(try destination.traffic(repository: "/src/churn", environment: "production")?.declaration == "y")
        let counts = try destination.rowCounts()
        for (table, rows) in try source.rowCounts() { #expect(counts[table] == rows, "\(table)") }
        // New ids come after the copied ones.
        #expect(try destination.modelID(repository: "/src/churn", name: "other") > model)
        #expect(try destination.enqueue(repository: "/src/other", refs: [], trigger: .hook, delivery: nil, maxAttempts: 3, now: start).job > jobID)
    }

    /// On PostgreSQL the repository lock is an advisory lock held on a connection of its own:
    /// another session cannot take it until it is let go (and a killed holder lets it go with
    /// its connection).
    @Test func postgresRepositoryLockIsAnAdvisoryLock() throws {
        let url = try TestPostgres.freshDatabase("locks")
        let store = try PostgresStore(url: url)
        let held = try store.lockRepository("https://forge.example/team/churn.git")
        let probe = "SELECT pg_try_advisory_lock(6, hashtext('https://forge.example/team/churn.git'))"
        #expect(try TestPostgres.psql(url, probe) == "f")
        held.unlock()
        #expect(try pollUntil(seconds: 10) { try TestPostgres.psql(url, probe) == "t" })
    }
}
