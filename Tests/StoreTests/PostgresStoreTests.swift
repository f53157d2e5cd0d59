import Foundation
import Store
import Synchronization
import TestSupport
import Testing

@testable import PostgresStore

/// Runs `body` on `count` threads of their own at once (the store blocks its caller, as the
/// processes of several hosts would), and returns what each gave, in order.
func onThreads<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
    let results = Mutex<[Int: Result<T, any Error>]>([:])
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        Thread.detachNewThread {
            let result = Result { try body(index) }
            results.withLock { $0[index] = result }
            group.leave()
        }
    }
    group.wait()
    return try results.withLock { results in try (0..<count).map { try results[$0]!.get() } }
}

/// A job a worker holds, as a round of claims gives it back.
struct Held: Sendable {
    var worker: String
    var job: Job
}

/// What only the PostgreSQL store has to show: many processes on one database at once, the
/// queue claimed concurrently, notifications across store objects, and a server restart.
@Suite(.onTestThreads) struct PostgresStoreTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// Eight stores opening a brand-new database at once migrate it once.
    @Test func manyStoresOpeningANewDatabaseMigrateItOnce() throws {
        let url = try TestPostgres.freshDatabase("migrate")
        let opened = try onThreads(8) { index in try PostgresStore(url: url).modelID(repository: "/r\(index % 2)", name: "m") }
        #expect(opened.count == 8 && Set(opened).count == 2)
        #expect(try TestPostgres.psql(url, "SELECT COUNT(*) FROM schema_migrations") == "\(PostgresStore.migrations.count)")
        #expect(
            try TestPostgres.psql(url, "SELECT version FROM schema_migrations ORDER BY version")
                == PostgresStore.migrations.map { String($0.version) }.joined(separator: "\n"))
    }

    /// Four stores claiming at once from 50 jobs of 10 repositories never take one job twice,
    /// nor two jobs of one repository at a time.
    @Test func concurrentClaimsTakeEachJobOnceAndOneJobPerRepository() throws {
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
            let round = try onThreads(4) { index in
                var held: [Held] = []
                while let job = try stores[index].claimJob(worker: "w\(index)", lease: 600, busy: [], maxAttempts: 3, now: later).job {
                    held.append(Held(worker: "w\(index)", job: job))
                }
                return held
            }.flatMap { $0 }
            #expect(round.count == 10 && Set(round.map(\.job.repository)).count == 10, "one job of each repository at a time")
            taken += round.map { $0.job.id! }
            for held in round {
                #expect(try stores[0].finishJob(held.job.id!, worker: held.worker, end: JobEnd(summary: "done"), maxAttempts: 3, now: later)?.state == .done)
            }
        }
        #expect(taken.count == 50 && Set(taken).count == 50, "every job taken once")
        #expect(try !seeding.hasPendingJobs())
    }

    /// After the server restarts (every connection cut), an operation succeeds again on a new
    /// connection, and a waiter still wakes on another store object's write.
    @Test func aRestartedServerIsReconnectedTo() async throws {
        // A server of its own: restarting the shared one would cut every other test's connections.
        let own = try PostgresServer.start("restart")
        defer { own.stop() }
        let url = try own.freshDatabase("restart")
        let waiting = try PostgresStore(url: url)
        let writing = try PostgresStore(url: url)
        _ = try writing.modelID(repository: "/r", name: "m")
        let token = try waiting.changeToken()
        try own.restart()
        #expect(try writing.enqueue(repository: "/r", refs: [], trigger: .hook, delivery: nil, maxAttempts: 3, now: start).outcome == .queued)
        // The listening connection comes back in the background and moves the token when it does
        // (a change may have been missed while it was away).
        #expect(await waiting.waitForChange(after: token, timeout: .seconds(60)))
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
