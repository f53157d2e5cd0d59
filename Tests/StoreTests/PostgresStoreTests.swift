import Foundation
import PostgresStore
import Store
import TestSupport
import Testing

/// What only the PostgreSQL store has to show: many processes on one database at once, the
/// queue claimed concurrently, notifications across store objects, and a server restart.
@Suite struct PostgresStoreTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// Eight stores opening a brand-new database at once migrate it once.
    @Test func manyStoresOpeningANewDatabaseMigrateItOnce() async throws {
        let url = try TestPostgres.freshDatabase("migrate")
        let opened = try await withThrowingTaskGroup(of: Int64.self) { group in
            for index in 0..<8 {
                group.addTask { try PostgresStore(url: url).modelID(repository: "/r\(index % 2)", name: "m") }
            }
            var ids: [Int64] = []
            for try await id in group { ids.append(id) }
            return ids
        }
        #expect(opened.count == 8 && Set(opened).count == 2)
        #expect(try TestPostgres.psql(url, "SELECT COUNT(*) FROM schema_migrations") == "\(PostgresStore.migrations.count)")
        #expect(try TestPostgres.psql(url, "SELECT version FROM schema_migrations ORDER BY version") == "1")
    }

    /// Four stores claiming at once from 50 jobs of 10 repositories never take one job twice,
    /// nor two jobs of one repository at a time.
    @Test func concurrentClaimsTakeEachJobOnceAndOneJobPerRepository() async throws {
        let url = try TestPostgres.freshDatabase("claims")
        let seeding = try PostgresStore(url: url)
        // Five jobs per repository: the second and later are queued after the first is taken, so
        // they are not merged into it.
        for round in 0..<5 {
            for repository in 0..<10 {
                let queued = try seeding.enqueue(repository: "/r\(repository)", refs: ["\(round)"], trigger: .hook, delivery: nil, maxAttempts: 3, now: start)
                #expect(queued.outcome == .queued)
                _ = try #require(try seeding.claimJob(worker: "seed", lease: 1, busy: [], maxAttempts: 3, now: start).job)
                #expect(try seeding.finishJob(queued.job, worker: "seed", end: JobEnd(error: "again", retry: true), maxAttempts: 3, now: start) != nil)
            }
        }
        let stores = try (0..<4).map { _ in try PostgresStore(url: url) }
        let later = start.addingTimeInterval(3600)
        var taken: [Int64] = []
        // Each round, the four claim at once until nothing is left to take, finishing nothing: at
        // most one job of each repository can be held, so a round takes one per repository.
        for _ in 0..<5 {
            let round = try await withThrowingTaskGroup(of: [(worker: String, job: Job)].self) { group in
                for (index, store) in stores.enumerated() {
                    group.addTask {
                        var held: [(worker: String, job: Job)] = []
                        while let job = try store.claimJob(worker: "w\(index)", lease: 600, busy: [], maxAttempts: 3, now: later).job {
                            held.append(("w\(index)", job))
                        }
                        return held
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(round.count == 10 && Set(round.map(\.job.repository)).count == 10, "one job of each repository at a time")
            taken += round.map { $0.job.id! }
            for (worker, job) in round {
                #expect(try stores[0].finishJob(job.id!, worker: worker, end: JobEnd(summary: "done"), maxAttempts: 3, now: later)?.state == .done)
            }
        }
        #expect(taken.count == 50 && Set(taken).count == 50, "every job taken once")
        #expect(try !seeding.hasPendingJobs())
    }

    /// After the server restarts (every connection cut), an operation succeeds again on a new
    /// connection, and a waiter still wakes on another store object's write.
    @Test func aRestartedServerIsReconnectedTo() async throws {
        let url = try TestPostgres.freshDatabase("restart")
        let waiting = try PostgresStore(url: url)
        let writing = try PostgresStore(url: url)
        _ = try writing.modelID(repository: "/r", name: "m")
        try TestPostgres.restart()
        #expect(try writing.enqueue(repository: "/r", refs: [], trigger: .hook, delivery: nil, maxAttempts: 3, now: start).outcome == .queued)
        // The listening connection comes back in the background and moves the token when it does.
        let token = try waiting.changeToken()
        let woken = Task { await waiting.waitForChange(after: token, timeout: .seconds(60)) }
        #expect(try await eventually(seconds: 60) { try waiting.changeToken() != token })
        #expect(await woken.value)
        let settled = try waiting.changeToken()
        let again = Task { await waiting.waitForChange(after: settled, timeout: .seconds(60)) }
        _ = try writing.enqueue(repository: "/other", refs: [], trigger: .hook, delivery: nil, maxAttempts: 3, now: start)
        #expect(await again.value)
        #expect(try waiting.jobs(limit: 10).count == 2)
    }

    /// A server that is not there fails as unavailable, naming it without the password, once the
    /// reconnect time is used.
    @Test func anUnreachableServerIsUnavailable() throws {
        let error = #expect(throws: StoreError.self) { try PostgresStore(url: "postgres://mf:secret@127.0.0.1:1/factory", reconnectTimeout: 0.3) }
        guard case .unavailable(_, let server, _) = error else {
            Issue.record("not unavailable: \(String(describing: error))")
            return
        }
        #expect(server == "127.0.0.1:1/factory" && !(error?.description.contains("secret") ?? true))
        #expect(throws: StoreError.self) { try PostgresStore(url: "mysql://x/y") }
        #expect(throws: StoreError.self) { try PostgresStore(url: "postgres://x/y?sslmode=sometimes") }
        #expect(PostgresLocation.redacted("postgres://mf:secret@db/factory") == "postgres://mf:***@db/factory")
    }
}
