import Foundation
import Store
import TestSupport
import Testing

/// A schedule's fires on every engine: one record per repository, entry and instant, whichever
/// store object (process, host) records it first; its job queued with it and never merged.
@Suite(.onTestThreads) struct ScheduleStoreTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func fire(_ minute: Int, entry: String = "nightly", worker: String = "w1", state: ScheduleFire.State = .queued) -> ScheduleFire {
        ScheduleFire(
            repository: "/r", entry: entry, model: "churn", action: #"{"data":"/d.csv","kind":"train"}"#,
            scheduledAt: start.addingTimeInterval(Double(minute) * 60), firedAt: start.addingTimeInterval(Double(minute) * 60 + 1), worker: worker,
            state: state)
    }

    /// Runs `body` on a thread of its own, off the test's cooperative pool (a store call blocks).
    func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Two store objects on one database (two workers) record the same instant at once, many
    /// times over: exactly one record is written, and exactly one job queued.
    @Test(arguments: Engine.allCases) func racingWorkersFireAnInstantOnce(engine: Engine) async throws {
        let database = try engine.database()
        let stores = [try database.open(), try database.open()]
        let outcomes = try await withThrowingTaskGroup(of: ScheduleFire?.self) { group in
            for attempt in 0..<8 {
                let store = stores[attempt % 2]
                let candidate = fire(0, worker: "w\(attempt)")
                group.addTask { try await offPool { try store.record(fire: candidate, maxAttempts: 3, now: start) } }
            }
            var outcomes: [ScheduleFire?] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        let won = outcomes.compactMap { $0 }
        #expect(won.count == 1)
        let winner = try #require(won.first)
        #expect(winner.id != nil && winner.jobId != nil && winner.state == .queued)
        let recorded = try stores[1].scheduleFires(repository: "/r", entry: "nightly", model: nil, limit: 10)
        #expect(recorded.count == 1 && recorded.first?.worker == winner.worker)
        let jobs = try stores[0].jobs(limit: 10)
        #expect(jobs.count == 1 && jobs.first?.trigger == .schedule && jobs.first?.refList == ["schedule:nightly"] && jobs.first?.id == winner.jobId)
        #expect(try stores[0].scheduleFire(job: winner.jobId!)?.id == winner.id)
    }

    /// A push is never folded into a fire's waiting job (nor a fire into a push's); a skipped
    /// instant queues nothing; fires read newest first and by entry and model; a fire's end is
    /// recorded; the table is copied with the store.
    @Test(arguments: Engine.allCases) func firesQueueTheirOwnJobsAndKeepTheirEnds(engine: Engine) async throws {
        let store = try engine.store()
        let push = try store.enqueue(repository: "/r", refs: ["refs/heads/main"], trigger: .hook, delivery: nil, maxAttempts: 3, now: start)
        let first = try #require(try store.record(fire: fire(0), maxAttempts: 3, now: start))
        #expect(first.jobId != push.job)
        let later = try store.enqueue(repository: "/r", refs: ["refs/tags/v1"], trigger: .hook, delivery: nil, maxAttempts: 3, now: start)
        #expect(later.outcome == .merged && later.job == push.job, "merged into the push's job, not the fire's")
        #expect(try store.job(id: first.jobId!)?.refList == ["schedule:nightly"])

        var skipped = fire(5, state: .skipped)
        skipped.missed = 3
        skipped.result = "missed"
        let recordedSkip = try #require(try store.record(fire: skipped, maxAttempts: 3, now: start))
        #expect(recordedSkip.jobId == nil)
        #expect(try store.record(fire: fire(5), maxAttempts: 3, now: start) == nil, "an instant recorded as skipped is not fired after")
        _ = try #require(try store.record(fire: fire(1, entry: "scores"), maxAttempts: 3, now: start))
        #expect(try store.jobs(limit: 10).count == 3)

        let nightly = try store.scheduleFires(repository: "/r", entry: "nightly", model: nil, limit: 10)
        #expect(nightly.map(\.scheduledAt) == [start.addingTimeInterval(300), start])
        #expect(nightly.first?.missed == 3 && nightly.first?.state == .skipped && nightly.first?.result == "missed")
        #expect(try store.scheduleFires(repository: nil, entry: nil, model: "churn", limit: 2).count == 2)
        #expect(try store.scheduleFires(repository: "/other", entry: nil, model: nil, limit: 10).isEmpty)

        var ended = first
        ended.state = .done
        ended.session = "s1"
        ended.candidate = "1.2.1-data.ab12cd34"
        ended.dataSha256 = "ab12cd34" + String(repeating: "0", count: 56)
        ended.proposed = true
        ended.result = "candidate 1.2.1-data.ab12cd34: gates passed"
        ended.endedAt = start.addingTimeInterval(90)
        try store.update(fire: ended)
        #expect(try store.scheduleFire(job: first.jobId!) == ended)

        let tables = try store.exportTables()
        #expect(tables.first { $0.name.lowercased() == "schedulefires" }?.rows.count == 3)
    }

    /// A schedule's session (a candidate trained on fresh data, with a version) is no release: no
    /// gate, version list or reuse picks it.
    @Test(arguments: Engine.allCases) func aScheduleSessionIsNoRelease(engine: Engine) async throws {
        let store = try engine.store()
        let model = try store.modelID(repository: "/r", name: "churn")
        try store.insert(
            Session(
                id: "00000000-0000-0000-0000-000000000001", modelId: model, commit: "c1", tree: "t1", recipe: "r", version: "1.2.1-data.ab12cd34",
                trigger: .schedule, status: .passed, startedAt: start, endedAt: start))
        #expect(try store.releaseSessions(modelID: model).isEmpty)
        #expect(try store.versionedSessions(model: "churn", repository: "/r").isEmpty)
        #expect(try store.reusableSession(modelID: model, tree: "t1", recipe: "r") == nil)
        #expect(try store.firstPassedSession(modelID: model, commit: "c1") == nil)
        #expect(try store.sessions(model: "churn", repository: "/r").count == 1, "listed with the others")
    }
}
