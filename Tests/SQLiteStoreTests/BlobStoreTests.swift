import Foundation
import GRDB
import Store
import SystemKit
import TestSupport
import Testing

@testable import SQLiteStore

@Suite(.onTestThreads) struct BlobStoreTests {
    /// Bytes that differ at every offset, so a chunk put at the wrong place changes the whole.
    static func bytes(_ count: Int) -> Data { Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }) }

    static func sha256(_ data: Data) -> String { HexDigest.sha256(data) }

    /// A file of `count` bytes in `folder`, with its SHA-256.
    static func file(_ folder: TemporaryDirectory, _ count: Int, name: String = "archive.tar.gz") throws -> (path: String, data: Data, digest: String) {
        let data = bytes(count)
        try data.write(to: URL(fileURLWithPath: folder.appending(name)))
        return (folder.appending(name), data, sha256(data))
    }

    /// A file put in chunks comes back byte for byte, its chunks each the chunk size but the last.
    @Test func aBlobRoundTripsThroughSeveralChunks() throws {
        let folder = TemporaryDirectory("blob-round-trip")
        let store = try SQLiteStore(path: folder.appending("factory.sqlite"))
        let blobs = BlobStore(store, chunkSize: 7)
        let file = try Self.file(folder, 100)
        #expect(try blobs.put(fileAt: file.path, digest: file.digest))
        let record = try #require(try store.blob(file.digest))
        #expect(record.size == 100 && record.chunks == 15)
        #expect(try store.chunk(of: file.digest, index: 0)?.bytes == file.data.prefix(7))
        #expect(try store.chunk(of: file.digest, index: 14)?.bytes == file.data.suffix(2))
        #expect(try store.chunk(of: file.digest, index: 15) == nil)
        let copy = URL(fileURLWithPath: folder.appending("out/copy.tar.gz"))
        #expect(try blobs.write(file.digest, to: copy) == record)
        #expect(try Data(contentsOf: copy) == file.data)
        #expect(try store.blobs() == [record])
        // An empty file is a blob of no chunks.
        let empty = try Self.file(folder, 0, name: "empty")
        try blobs.put(fileAt: empty.path, digest: empty.digest)
        #expect(try store.blob(empty.digest)?.chunks == 0)
        try blobs.write(empty.digest, to: URL(fileURLWithPath: folder.appending("out/empty")))
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder.appending("out/empty"))).isEmpty)
    }

    /// The same bytes put twice (by two uploads of one bundle) are stored once.
    @Test func theSameBytesAreStoredOnce() throws {
        let folder = TemporaryDirectory("blob-once")
        let store = try SQLiteStore(path: folder.appending("factory.sqlite"))
        let file = try Self.file(folder, 50)
        #expect(try BlobStore(store, chunkSize: 8).put(fileAt: file.path, digest: file.digest))
        try FileManager.default.copyItem(atPath: file.path, toPath: folder.appending("again.tar.gz"))
        #expect(try !BlobStore(store, chunkSize: 8).put(fileAt: folder.appending("again.tar.gz"), digest: file.digest))
        let counts = try store.rowCounts()
        #expect(counts["blobs"] == 1 && counts["blobChunks"] == 7)
    }

    /// A chunk damaged in the database fails the read naming the blob and the chunk, and leaves
    /// no file (not even a partial one) where the blob was to go.
    @Test func aDamagedChunkFailsTheReadAndLeavesNothing() throws {
        let folder = TemporaryDirectory("blob-damaged")
        let store = try SQLiteStore(path: folder.appending("factory.sqlite"))
        let file = try Self.file(folder, 40)
        try BlobStore(store, chunkSize: 10).put(fileAt: file.path, digest: file.digest)
        let database = try DatabaseQueue(path: folder.appending("factory.sqlite"))
        try database.write { db in
            try db.execute(sql: "UPDATE blobChunks SET bytes = ? WHERE digest = ? AND position = 2", arguments: [Data(repeating: 0, count: 10), file.digest])
        }
        let out = folder.appending("out")
        let destination = URL(fileURLWithPath: out + "/copy.tar.gz")
        #expect {
            try BlobStore(store).write(file.digest, to: destination)
        } throws: { error in
            guard case StoreError.blob(let digest, let reason) = error else { return false }
            return digest == file.digest && reason.contains("chunk 2 of 4") && "\(error)".contains(String(file.digest.prefix(16)))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty, "no partial file is left")
        // A chunk missing altogether fails the same way.
        try database.write { db in try db.execute(sql: "DELETE FROM blobChunks WHERE position = 3") }
        #expect(throws: StoreError.blob(digest: file.digest, reason: "chunk 2 of 4 does not match its SHA-256 (it is damaged)")) {
            try BlobStore(store).write(file.digest, to: destination)
        }
    }

    /// A file that is not the bytes its digest names is not recorded, and a blob whose chunks are
    /// not all kept cannot be recorded whole.
    @Test func onlyWholeMatchingBlobsAreRecorded() throws {
        let folder = TemporaryDirectory("blob-whole")
        let store = try SQLiteStore.inMemory()
        let file = try Self.file(folder, 30)
        let wrong = String(repeating: "ab", count: 32)
        #expect(throws: StoreError.self) { try BlobStore(store, chunkSize: 8).put(fileAt: file.path, digest: wrong) }
        #expect(try store.blob(wrong) == nil)
        try store.putChunk(BlobChunk(digest: file.digest, index: 0, sha256: Self.sha256(file.data.prefix(8)), bytes: file.data.prefix(8)))
        #expect {
            try store.putBlob(BlobRecord(digest: file.digest, size: 30, chunks: 4, createdAt: Date()))
        } throws: { error in
            "\(error)".contains("1 of its 4 chunks")
        }
        #expect(try store.blob(file.digest) == nil)
        // The upload done again makes it whole.
        #expect(try BlobStore(store, chunkSize: 8).put(fileAt: file.path, digest: file.digest))
        #expect(try store.blob(file.digest)?.chunks == 4)
    }

    /// A blob copied into another store arrives whole, with its chunks, and only once.
    @Test func aBlobCopiesIntoAnotherStore() throws {
        let folder = TemporaryDirectory("blob-copy")
        let source = try SQLiteStore.inMemory()
        let destination = try SQLiteStore.inMemory()
        let file = try Self.file(folder, 64)
        try BlobStore(source, chunkSize: 16).put(fileAt: file.path, digest: file.digest)
        #expect(try BlobStore(source).copy(file.digest, to: BlobStore(destination)))
        #expect(try !BlobStore(source).copy(file.digest, to: BlobStore(destination)))
        #expect(try destination.blob(file.digest)?.chunks == 4)
        try BlobStore(destination).write(file.digest, to: URL(fileURLWithPath: folder.appending("copy")))
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder.appending("copy"))) == file.data)
    }

    /// Every table of records exports with typed values and imports into an empty store as it was,
    /// ids, dates and flags included.
    @Test func tablesExportAndImportIntoAnEmptyStore() throws {
        let source = try SQLiteStore.inMemory()
        let start = Date(timeIntervalSince1970: 1_800_000_000.25)
        let model = try source.modelID(repository: "/src/churn", name: "churn")
        let session = Session(
            id: "s1", modelId: model, commit: "c1", tree: "t1", recipe: "r", ref: "refs/tags/v1.0.0", version: "1.0.0", trigger: .cli, status: .passed,
            startedAt: start, endedAt: start.addingTimeInterval(3), failure: nil, reusedFrom: nil)
        try source.insert(session)
        try source.record(
            gates: [GateResult(gate: "auc >= 0.7", passed: true, detail: "auc >= 0.7: 0.8", metric: "auc", value: 0.8, limit: 0.7)], session: "s1")
        try source.record(
            BundleRecord(
                modelId: model, version: "1.0.0", tag: "v1.0.0", ref: "refs/tags/v1.0.0", commit: "c1", sessionId: "s1", path: "/h/bundles/churn/1.0.0",
                archive: "/h/bundles/churn/churn-1.0.0.tar.gz", sha256: "d", createdAt: start))
        _ = try source.enqueue(repository: "/src/churn", refs: ["refs/heads/main"], trigger: .hook, delivery: "x", maxAttempts: 3, now: start)
        let tables = try source.exportTables()
        #expect(!tables.map(\.name).contains("blobs") && !tables.map(\.name).contains("grdb_migrations"))
        let names = tables.map(\.name)
        #expect(try #require(names.firstIndex(of: "repositories")) < #require(names.firstIndex(of: "models")))
        #expect(try #require(names.firstIndex(of: "sessions")) < #require(names.firstIndex(of: "gates")))
        let sessions = try #require(tables.first { $0.name == "sessions" })
        #expect(sessions.rows.first?[try #require(sessions.columns.firstIndex(of: "startedAt"))] == .date(start))
        let gates = try #require(tables.first { $0.name == "gates" })
        #expect(gates.rows.first?[try #require(gates.columns.firstIndex(of: "passed"))] == .boolean(true))

        let destination = try SQLiteStore.inMemory()
        try destination.importTables(tables)
        #expect(try destination.exportTables() == tables)
        #expect(try destination.rowCounts() == source.rowCounts())
        #expect(try destination.session(id: "s1") == session)
        #expect(try destination.modelID(repository: "/src/churn", name: "churn") == model)
        // Ids go on after the copied ones.
        #expect(try destination.modelID(repository: "/src/churn", name: "other") > model)
    }
}
