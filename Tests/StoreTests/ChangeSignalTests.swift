import Foundation
import Store
import TestSupport
import Testing

/// The change signal on every engine: a waiter wakes when another store object (another
/// process's) commits a change, and not for a look at the queue that changed nothing.
@Suite(.onTestThreads) struct ChangeSignalTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test(arguments: Engine.allCases) func aWaiterWakesWhenAnotherStoreObjectWrites(engine: Engine) async throws {
        let database = try engine.database()
        let waiting = try database.open()
        let writing = try database.open()
        let token = try waiting.changeToken()
        #expect(try waiting.claimJob(worker: "w", lease: 10, busy: [], maxAttempts: 5, now: start).job == nil)
        #expect(try writing.claimJob(worker: "w", lease: 10, busy: [], maxAttempts: 5, now: start).job == nil)
        let quiet = await waiting.waitForChange(after: token, timeout: .milliseconds(200))
        #expect(!quiet, "nothing was written")
        let woken = Task { await waiting.waitForChange(after: token, timeout: .seconds(120)) }
        _ = try writing.enqueue(repository: "/a", refs: [], trigger: .hook, delivery: nil, maxAttempts: 5, now: start)
        // True only when woken by a change (a timeout answers false), however loaded the machine.
        let changed = await woken.value
        #expect(changed, "woken by the write, not by the timeout")
        // A store's own write moves its own token.
        let before = try writing.changeToken()
        _ = try writing.modelID(repository: "/r", name: "m")
        #expect(try writing.changeToken() != before)
        // A cancelled waiter returns false at once (on a store object opened after every write).
        let idle = try database.open()
        let now = try idle.changeToken()
        let cancelled = Task { await idle.waitForChange(after: now, timeout: .seconds(600)) }
        cancelled.cancel()
        let result = await cancelled.value
        #expect(!result)
        withExtendedLifetime(database) {}
    }
}
