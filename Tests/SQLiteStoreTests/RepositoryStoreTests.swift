import Foundation
import GRDB
import Store
import TestSupport
import Testing

@testable import SQLiteStore

/// Repositories by identity (DESIGN.md "Scale-out"): registering re-keys an older home, the
/// reconcile lock, and the traffic declarations a server follows.
@Suite(.onTestThreads) struct RepositoryStoreTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    let url = "https://forge.example/team/churn.git"

    /// A home written with the schema before identities (v9), its records keyed by the path: once
    /// the repository registers under its URL, every record is there, merged with those another
    /// clone made under the URL already (one model, the newer environment), and nothing is lost.
    @Test func registeringMovesAnOlderHomesRecordsToTheIdentity() throws {
        let home = TemporaryDirectory("store-v9")
        let path = home.appending("factory.sqlite")
        do {
            let old = try DatabaseQueue(path: path)
            try SQLiteStore.migrator.migrate(old, upTo: "v9: drift samples")
            try old.write { db in
                try db.execute(sql: "INSERT INTO repositories (id, path, createdAt) VALUES (1, '/src/churn', ?)", arguments: [start])
                try db.execute(sql: "INSERT INTO models (id, repositoryId, name) VALUES (1, 1, 'churn'), (2, 1, 'upsell')")
                for (id, model) in [("s1", 1), ("s2", 2)] {
                    try db.execute(
                        sql: """
                            INSERT INTO sessions (id, modelId, "commit", tree, recipe, trigger, status, startedAt) VALUES (?, ?, 'c', 't', 'r', 'reconcile', 'passed', ?)
                            """, arguments: [id, model, start])
                    try db.execute(
                        sql: "INSERT INTO metrics (sessionId, modelId, name, split, value) VALUES (?, ?, 'auc', 'evaluate', 0.9)", arguments: [id, model])
                }
                try db.execute(
                    sql: """
                        INSERT INTO bundles (modelId, version, tag, "commit", sessionId, path, archive, sha256, createdAt, ref) VALUES
                        (1, '1.0.0', 'v1.0.0', 'c', 's1', '/b/1', '/b/1.tar.gz', 'x', ?, 'refs/tags/v1.0.0')
                        """, arguments: [start])
                try db.execute(
                    sql: """
                        INSERT INTO environments (repository, model, name, version, tag, "commit", bundle, updatedAt) VALUES
                        ('/src/churn', 'churn', 'production', '1.0.0', 'v1.0.0', 'c', '/b/1', ?),
                        ('/src/churn', 'upsell', 'production', '1.0.0', 'v1.0.0', 'c', '/b/u', ?)
                        """, arguments: [start, start])
                try db.execute(
                    sql: """
                        INSERT INTO jobs (repository, "trigger", refs, state, attempts, maxAttempts, notBefore, createdAt)
                        VALUES ('/src/churn', 'hook', '[]', 'done', 1, 5, ?, ?)
                        """, arguments: [start, start])
                try db.execute(
                    sql: """
                        INSERT INTO events (time, repository, environment, model, toVersion, kind, reason, cause)
                        VALUES (?, '/src/churn', 'production', 'churn', '1.0.0', 'environment', 'r', 'reconcile')
                        """, arguments: [start])
                try db.execute(
                    sql: """
                        INSERT INTO rollouts (repository, environment, model, fromVersion, toVersion, bundle, planDigest, state, step, percent, startedAt, stepStartedAt)
                        VALUES ('/src/churn', 'production', 'churn', '0.9.0', '1.0.0', '/b/1', 'p', 'promoted', 1, 100, ?, ?)
                        """, arguments: [start, start])
                try db.execute(
                    sql: """
                        INSERT INTO predictions (model, version, id, repository, time, inputs, outputs) VALUES ('churn', '1.0.0', 'p1', '/src/churn', ?, '{}', '{}')
                        """, arguments: [start])
            }
        }
        let store = try SQLiteStore(path: path)
        #expect(try store.repositories() == [RepositoryRecord(identity: "/src/churn", location: "/src/churn", createdAt: start)])
        // Another clone of the same origin, reconciled since: churn under the URL already, with a
        // newer production and a bundle of its own.
        try store.registerRepository(identity: url, location: "/other/churn")
        let churn = try store.modelID(repository: url, name: "churn")
        try store.insert(Session(id: "s3", modelId: churn, commit: "d", tree: "t2", recipe: "r", trigger: .reconcile, status: .passed, startedAt: start))
        try store.record(
            BundleRecord(
                modelId: churn, version: "1.1.0", tag: "v1.1.0", ref: "refs/tags/v1.1.0", commit: "d", sessionId: "s3", path: "/b/2", archive: "", sha256: "",
                createdAt: start))
        try store.record(
            EnvironmentRecord(
                repository: url, model: "churn", name: "production", version: "1.1.0", tag: "v1.1.0", commit: "d", bundle: "/b/2",
                updatedAt: start.addingTimeInterval(60)))

        try store.registerRepository(identity: url, location: "/src/churn")
        try store.registerRepository(identity: url, location: "/src/churn")  // again: nothing more moves

        #expect(try store.repositories().map(\.identity) == [url])
        #expect(try store.repositories().map(\.location) == ["/src/churn"])
        #expect(try store.models().map { "\($0.repository) \($0.name)" } == ["\(url) churn", "\(url) upsell"])
        #expect(try store.sessions(repository: url).map(\.session.id).sorted() == ["s1", "s2", "s3"])
        #expect(try store.metrics(sessions: ["s1", "s2"]).map(\.modelId) == [churn, try store.modelID(repository: url, name: "upsell")])
        #expect(try store.bundles().map { "\($0.model) \($0.bundle.version)" } == ["churn 1.0.0", "churn 1.1.0"])
        #expect(try store.environments(repository: url).map { "\($0.model) \($0.version)" } == ["churn 1.1.0", "upsell 1.0.0"])
        #expect(try store.environments(repository: "/src/churn").isEmpty)
        #expect(try store.jobs().map(\.repository) == [url])
        #expect(try store.events(repository: url, environment: "production", model: nil, before: nil, limit: 10).count == 1)
        #expect(try store.latestRollouts(repository: url, environment: "production").map(\.toVersion) == ["1.0.0"])
        #expect(try store.predictions(model: "churn", version: nil, since: nil, limit: 10).map(\.repository) == [url])
        #expect(try store.integrityCheck() == "ok")
    }

    /// A repository registered under its own path stays as it is.
    @Test func aPathIdentityIsRegisteredOnce() throws {
        let store = try SQLiteStore.inMemory()
        try store.registerRepository(identity: "/src/fraud", location: "/src/fraud")
        try store.registerRepository(identity: "/src/fraud", location: "/src/fraud")
        #expect(try store.repositories().map(\.identity) == ["/src/fraud"])
        #expect(try store.modelID(repository: "/src/fraud", name: "fraud") == store.modelID(repository: "/src/fraud", name: "fraud"))
    }

    /// The lock on an identity is a lock file beside the database, held until unlocked (another
    /// process's `flock` cannot take it meanwhile).
    @Test func theRepositoryLockIsHeldUntilUnlocked() throws {
        let home = TemporaryDirectory("store-lock")
        let path = home.appending("factory.sqlite")
        let store = try SQLiteStore(path: path)
        let lock = try store.lockRepository(url)
        let file = open(SQLiteStore.lockFile(database: path, repository: url), O_RDWR)
        defer { close(file) }
        #expect(file >= 0 && flock(file, LOCK_EX | LOCK_NB) != 0, "held by the store's lock")
        lock.unlock()
        #expect(flock(file, LOCK_EX | LOCK_NB) == 0, "free once unlocked")
        flock(file, LOCK_UN)

        // A store in memory locks within the process: unlocked, the lock can be taken again.
        let memory = try SQLiteStore.inMemory()
        try memory.lockRepository(url).unlock()
        try memory.lockRepository(url).unlock()
    }

    /// A traffic declaration per repository and environment, replaced by the next.
    @Test func trafficDeclarationsAreKeptPerEnvironment() throws {
        let store = try SQLiteStore.inMemory()
        #expect(try store.traffic(repository: url, environment: "production") == nil)
        let first = TrafficRecord(repository: url, environment: "production", commit: "a", declaration: "churn: {}\n", recordedAt: start)
        try store.record(traffic: first)
        #expect(try store.traffic(repository: url, environment: "production") == first)
        let second = TrafficRecord(repository: url, environment: "production", commit: "b", declaration: nil, recordedAt: start.addingTimeInterval(1))
        try store.record(traffic: second)
        #expect(try store.traffic(repository: url, environment: "production") == second)
        #expect(try store.traffic(repository: url, environment: "staging") == nil)
    }
}
