import Foundation
import Store
import TestSupport
import Testing

/// The job queue on every engine: deliveries, merges, leases, backoff and attempts.
@Suite(.onTestThreads) struct JobStoreTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// A job is leased to one worker, renewed by it alone, taken up by another when the lease runs
    /// out, and ended only by the worker holding it.
    @Test(arguments: Engine.allCases) func jobsAreClaimedUnderALeaseRenewedAndFinished(engine: Engine) throws {
        let store = try engine.store()
        let queued = try store.enqueue(repository: "/a", refs: ["refs/heads/x", "refs/heads/x"], trigger: .webhook, delivery: "d1", maxAttempts: 3, now: start)
        #expect(try queued.outcome == .queued && store.seen(delivery: "d1") && store.hasPendingJobs())
        let job = try #require(try store.claimJob(worker: "w1", lease: 10, busy: [], maxAttempts: 3, now: start).job)
        #expect(job.state == .running && job.leaseOwner == "w1" && job.leaseExpiresAt == start.addingTimeInterval(10) && job.refList == ["refs/heads/x"])
        #expect(job.trigger == .webhook && job.attempts == 1 && job.startedAt == start)
        #expect(try store.claimJob(worker: "w2", lease: 10, busy: [], maxAttempts: 3, now: start.addingTimeInterval(5)).job == nil)
        #expect(try store.renewJob(job.id!, worker: "w1", lease: 10, now: start.addingTimeInterval(8)))
        #expect(try !store.renewJob(job.id!, worker: "w2", lease: 10, now: start.addingTimeInterval(8)))
        #expect(try store.claimJob(worker: "w2", lease: 10, busy: [], maxAttempts: 3, now: start.addingTimeInterval(17)).job == nil, "renewed until 18")
        let again = try #require(try store.claimJob(worker: "w2", lease: 10, busy: [], maxAttempts: 3, now: start.addingTimeInterval(19)).job)
        #expect(again.id == job.id && again.attempts == 2 && again.lastError == "the lease of w1 ran out" && again.startedAt == start)
        #expect(try store.finishJob(job.id!, worker: "w1", end: JobEnd(), maxAttempts: 3, now: start.addingTimeInterval(20)) == nil)
        let failed = try #require(
            try store.finishJob(
                job.id!, worker: "w2", end: JobEnd(error: "boom", retry: true, summary: "tried"), maxAttempts: 3, now: start.addingTimeInterval(20)))
        #expect(failed.state == .queued && failed.notBefore == start.addingTimeInterval(20 + Job.backoff(attempt: 2)) && failed.summary == "tried")
        let third = try #require(try store.claimJob(worker: "w3", lease: 10, busy: [], maxAttempts: 3, now: start.addingTimeInterval(30)).job)
        let done = try #require(try store.finishJob(third.id!, worker: "w3", end: JobEnd(notifiedAt: start), maxAttempts: 3, now: start.addingTimeInterval(31)))
        #expect(done.state == .done && done.endedAt == start.addingTimeInterval(31) && done.notifiedAt == start && done.leaseOwner == nil)
        #expect(try store.job(id: job.id!) == done && store.jobs(limit: 10) == [done] && !store.hasPendingJobs())
    }

    /// A push to a repository that has a job waiting is folded into it; a delivery seen before
    /// queues nothing; a job already taken is not merged into.
    @Test(arguments: Engine.allCases) func enqueueMergesWaitingJobsAndRemembersDeliveries(engine: Engine) throws {
        let store = try engine.store()
        let first = try store.enqueue(repository: "/a", refs: ["refs/heads/main"], trigger: .hook, delivery: "d1", maxAttempts: 3, now: start)
        let merged = try store.enqueue(repository: "/a", refs: ["refs/tags/v1"], trigger: .webhook, delivery: "d2", maxAttempts: 3, now: start)
        #expect(first.outcome == .queued && merged == Enqueued(job: first.job, outcome: .merged))
        #expect(
            try store.enqueue(repository: "/a", refs: ["x"], trigger: .hook, delivery: "d1", maxAttempts: 3, now: start)
                == Enqueued(job: first.job, outcome: .duplicate))
        #expect(try store.seen(delivery: "d2") && !store.seen(delivery: "d3"))
        #expect(try store.job(id: first.job)?.refList == ["refs/heads/main", "refs/tags/v1"] && store.job(id: first.job)?.trigger == .hook)
        let other = try store.enqueue(repository: "/b", refs: [], trigger: .watch, delivery: nil, maxAttempts: 3, now: start.addingTimeInterval(1))
        #expect(other.outcome == .queued && other.job != first.job)
        let taken = try #require(try store.claimJob(worker: "w", lease: 10, busy: [], maxAttempts: 3, now: start.addingTimeInterval(2)).job)
        #expect(taken.id == first.job)
        let after = try store.enqueue(
            repository: "/a", refs: ["refs/heads/main"], trigger: .hook, delivery: nil, maxAttempts: 3, now: start.addingTimeInterval(3))
        #expect(after.outcome == .queued && after.job != first.job)
        #expect(try store.jobs(limit: 2).map(\.id) == [after.job, other.job] && store.jobs(limit: 10).count == 3)
        #expect(try store.job(id: 999_999) == nil)
    }

    /// The oldest due job is taken first; a job not yet due, a repository whose job is held, and
    /// a repository the worker is busy with are passed over.
    @Test(arguments: Engine.allCases) func claimsPassOverHeldAndBusyRepositories(engine: Engine) throws {
        let store = try engine.store()
        let a = try store.enqueue(repository: "/a", refs: [], trigger: .hook, delivery: nil, maxAttempts: 3, now: start)
        let b = try store.enqueue(repository: "/b", refs: [], trigger: .hook, delivery: nil, maxAttempts: 3, now: start)
        let c = try store.enqueue(repository: "/c", refs: [], trigger: .hook, delivery: nil, maxAttempts: 3, now: start.addingTimeInterval(100))
        let taken = try store.claimJob(worker: "w1", lease: 60, busy: ["/a"], maxAttempts: 3, now: start.addingTimeInterval(1))
        #expect(taken.job?.id == b.job && taken.givenUp.isEmpty)
        // A second job of /b waits while /b's is held, though it is due.
        let b2 = try store.enqueue(repository: "/b", refs: ["x"], trigger: .hook, delivery: nil, maxAttempts: 3, now: start.addingTimeInterval(2))
        #expect(b2.outcome == .queued)
        #expect(try store.claimJob(worker: "w2", lease: 60, busy: ["/a"], maxAttempts: 3, now: start.addingTimeInterval(3)).job == nil)
        #expect(try store.claimJob(worker: "w2", lease: 60, busy: [], maxAttempts: 3, now: start.addingTimeInterval(3)).job?.id == a.job)
        #expect(try store.claimJob(worker: "w3", lease: 60, busy: [], maxAttempts: 3, now: start.addingTimeInterval(4)).job == nil, "/c is not due")
        #expect(try store.finishJob(b.job, worker: "w1", end: JobEnd(summary: "ok"), maxAttempts: 3, now: start.addingTimeInterval(5))?.state == .done)
        #expect(try store.claimJob(worker: "w3", lease: 60, busy: [], maxAttempts: 3, now: start.addingTimeInterval(6)).job?.id == b2.job)
        #expect(try store.finishJob(a.job, worker: "w2", end: JobEnd(), maxAttempts: 3, now: start.addingTimeInterval(7))?.state == .done)
        #expect(try store.claimJob(worker: "w3", lease: 60, busy: [], maxAttempts: 3, now: start.addingTimeInterval(100)).job?.id == c.job)
        #expect(try store.hasPendingJobs())
    }

    /// A job whose workers keep dying with it is given up once its attempts are used; a failure
    /// that will not pass fails at once.
    @Test(arguments: Engine.allCases) func jobsAreGivenUpAfterTheirAttempts(engine: Engine) throws {
        let store = try engine.store()
        let queued = try store.enqueue(repository: "/a", refs: [], trigger: .hook, delivery: nil, maxAttempts: 2, now: start)
        #expect(try store.claimJob(worker: "w1", lease: 10, busy: [], maxAttempts: 2, now: start).job?.attempts == 1)
        #expect(try store.claimJob(worker: "w2", lease: 10, busy: [], maxAttempts: 2, now: start.addingTimeInterval(11)).job?.attempts == 2)
        let claim = try store.claimJob(worker: "w3", lease: 10, busy: [], maxAttempts: 2, now: start.addingTimeInterval(22))
        #expect(claim.job == nil && claim.givenUp.map(\.id) == [queued.job])
        let failed = try #require(try store.job(id: queued.job))
        #expect(failed.state == .failed && failed.endedAt == start.addingTimeInterval(22) && failed.leaseOwner == nil)
        #expect(failed.lastError?.hasPrefix("its worker stopped 2 times while holding it") == true)
        let other = try store.enqueue(repository: "/b", refs: [], trigger: .hook, delivery: nil, maxAttempts: 5, now: start)
        _ = try store.claimJob(worker: "w", lease: 10, busy: [], maxAttempts: 5, now: start.addingTimeInterval(30))
        let ended = try store.finishJob(
            other.job, worker: "w", end: JobEnd(error: "no such ref", retry: false), maxAttempts: 5, now: start.addingTimeInterval(31))
        #expect(ended?.state == .failed && ended?.lastError == "no such ref")
        #expect(try !store.hasPendingJobs())
    }
}
