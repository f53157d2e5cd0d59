import Foundation
import GRDB
import Store
import TestSupport
import Testing

@testable import SQLiteStore

@Suite(.onTestThreads) struct SQLiteStoreTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// In memory there is no other connection to read `data_version` on: the store's own writes
    /// that changed a row move its token, a look at an empty queue does not. (Another
    /// connection's writes: `ChangeSignalTests`, on both engines.)
    @Test func anInMemoryStoresOwnWritesMoveItsToken() async throws {
        let memory = try SQLiteStore.inMemory()
        let before = try memory.changeToken()
        #expect(try memory.claimJob(worker: "w", lease: 10, busy: [], maxAttempts: 5, now: start).job == nil)
        let unchanged = await memory.waitForChange(after: before, timeout: .milliseconds(100))
        #expect(!unchanged)
        _ = try memory.modelID(repository: "/r", name: "m")
        let wrote = await memory.waitForChange(after: before, timeout: .seconds(1))
        #expect(wrote)
    }

    /// A writer that another connection keeps out past the wait fails with `.busy`, naming what
    /// it was doing, not with the driver's error.
    @Test func aLockedDatabaseIsBusy() throws {
        let home = TemporaryDirectory("store-busy")
        let store = try SQLiteStore(path: home.appending("factory.sqlite"), busyTimeout: 0.1)
        let other = try DatabaseQueue(path: home.appending("factory.sqlite"))
        try other.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN EXCLUSIVE")
            defer { try? db.execute(sql: "ROLLBACK") }
            #expect(throws: StoreError.busy(operation: "queue a job for /a")) {
                try store.enqueue(repository: "/a", refs: [], trigger: .hook, delivery: nil, maxAttempts: 5, now: start)
            }
        }
        #expect(try store.enqueue(repository: "/a", refs: [], trigger: .hook, delivery: nil, maxAttempts: 5, now: start).outcome == .queued)
        #expect(SQLiteStore.storeError(DatabaseError(resultCode: .SQLITE_LOCKED), operation: "x") == .busy(operation: "x"))
        guard case .database(let operation, let reason) = SQLiteStore.storeError(DatabaseError(resultCode: .SQLITE_FULL), operation: "y") else {
            Issue.record("a full disk is not busy")
            return
        }
        #expect(operation == "y" && reason.contains("full"))
    }

    /// A home made before gates were rows, tags were NULL and triggers an enum opens as it was:
    /// its sessions' triggers read, its gates steps become rows, and '' tags become nil.
    @Test func anOlderHomeIsMigrated() throws {
        let home = TemporaryDirectory("store-old")
        let path = home.appending("factory.sqlite")
        do {
            let old = try DatabaseQueue(path: path)
            try SQLiteStore.migrator.migrate(old, upTo: "v5: jobs and deliveries")
            try old.write { db in
                try db.execute(sql: "INSERT INTO repositories (id, path, createdAt) VALUES (1, '/r', ?)", arguments: [start])
                try db.execute(sql: "INSERT INTO models (id, repositoryId, name) VALUES (1, 1, 'churn')")
                for (id, trigger, status, failure) in [
                    ("p", "webhook", "passed", nil), ("f", "watch", "failed", "gates: auc >= 0.8: 0.62, which fails"),
                ] as [(String, String, String, String?)] {
                    try db.execute(
                        sql: """
                            INSERT INTO sessions (id, modelId, "commit", tree, recipe, trigger, status, startedAt, failure)
                            VALUES (?, 1, 'c', 't', 'r', ?, ?, ?, ?)
                            """, arguments: [id, trigger, status, start, failure])
                    try db.execute(
                        sql: """
                            INSERT INTO steps (sessionId, name, status, startedAt, seconds, message) VALUES (?, 'gates', ?, ?, 0, ?)
                            """, arguments: [id, status, start, "accuracy >= 0.5: 0.7; auc >= 0.8: \(status == "passed" ? "0.9" : "0.62, which fails")"])
                }
                try db.execute(
                    sql: """
                        INSERT INTO bundles (modelId, version, tag, "commit", sessionId, path, archive, sha256, createdAt, ref) VALUES
                        (1, '1.0.0', 'v1.0.0', 'c', 'p', '/b/1', '/b/1.tar.gz', 'x', ?, 'refs/tags/v1.0.0'),
                        (1, '1.1.0-dev.1', '', 'c', 'p', '/b/2', '/b/2.tar.gz', 'y', ?, 'refs/heads/development')
                        """, arguments: [start, start])
                try db.execute(
                    sql: """
                        INSERT INTO environments (repository, model, name, version, tag, "commit", bundle, updatedAt) VALUES
                        ('/r', 'churn', 'production', '1.0.0', 'v1.0.0', 'c', '/b/1', ?), ('/r', 'churn', 'staging', '1.1.0-dev.1', '', 'c', '/b/2', ?)
                        """, arguments: [start, start])
            }
        }
        let store = try SQLiteStore(path: path)
        #expect(try store.session(id: "p")?.trigger == .webhook && store.session(id: "f")?.trigger == .watch)
        #expect(
            try store.gates(session: "p") == [
                GateResult(gate: "accuracy >= 0.5", passed: true, detail: "accuracy >= 0.5: 0.7"),
                GateResult(gate: "auc >= 0.8", passed: true, detail: "auc >= 0.8: 0.9"),
            ])
        #expect(
            try store.gates(session: "f") == [
                GateResult(gate: "accuracy >= 0.5", passed: true, detail: "accuracy >= 0.5: 0.7"),
                GateResult(gate: "auc >= 0.8", passed: false, detail: "auc >= 0.8: 0.62, which fails"),
            ])
        #expect(try store.bundles().map(\.bundle).sorted { $0.version < $1.version }.map(\.tag) == ["v1.0.0", nil])
        #expect(try store.environments(repository: "/r").map(\.tag) == ["v1.0.0", nil])
        #expect(try store.integrityCheck() == "ok")
        // Every trigger reads back from the text it was always stored as.
        #expect(Trigger.allCases.map(\.rawValue) == ["cli", "bundle", "reconcile", "enqueue", "hook", "webhook", "watch", "live", "schedule"])
    }
}
