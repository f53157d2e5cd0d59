public import Foundation
public import Store

/// The durable job queue in the store, with the worker's policy (how many attempts a job gets).
/// Every operation is one transaction of the store, so any number of processes (hooks, webhook
/// servers, workers) share it safely.
///
/// - A job for a repository that already has one waiting is merged into it (the reconciler is
///   level-triggered: one run does what both pushes asked).
/// - A delivery key (a forge's delivery id, else a digest of the delivery's body) is remembered,
///   so the same push delivered twice does nothing the second time.
/// - A worker leases the job it takes and renews the lease while it works; a lease that runs out
///   (the worker died) makes the job claimable again, and counts as an attempt.
/// - Jobs of one repository run one at a time; of different repositories, in parallel.
public struct JobQueue: Sendable {
    /// The store that keeps the jobs.
    public let store: any FactoryStore
    /// How many times a job is taken before it is given up.
    public var maxAttempts: Int

    /// The queue of `store`, giving each job `maxAttempts`.
    public init(store: any FactoryStore, maxAttempts: Int = 5) {
        self.store = store
        self.maxAttempts = maxAttempts
    }

    /// Queues a reconcile of `repository`.
    @discardableResult
    public func enqueue(repository: String, refs: [String], trigger: Trigger, delivery: String? = nil, now: Date = Date()) throws(StoreError) -> Enqueued {
        try store.enqueue(repository: repository, refs: refs, trigger: trigger, delivery: delivery, maxAttempts: maxAttempts, now: now)
    }

    /// Whether `delivery` was seen before.
    public func seen(delivery: String) throws(StoreError) -> Bool { try store.seen(delivery: delivery) }

    /// Takes the oldest job that is due, whose repository no live lease holds (and that is not in
    /// `busy`), leasing it to `worker` for `lease` seconds. A job whose lease ran out is taken
    /// again; one that has used its attempts that way (this queue's `maxAttempts`: the worker's
    /// policy) fails for good instead.
    /// `now` is read inside the store's transaction, once it holds what it needs.
    public func claim(
        worker: String, lease: TimeInterval, busy: Set<String> = [], now: @autoclosure () -> Date = Date()
    ) throws(StoreError) -> Claim {
        try store.claimJob(worker: worker, lease: lease, busy: busy, maxAttempts: maxAttempts, now: now())
    }

    /// Extends `worker`'s lease on `job`; false when the lease is no longer its own.
    public func renew(_ job: Int64, worker: String, lease: TimeInterval, now: Date = Date()) throws(StoreError) -> Bool {
        try store.renewJob(job, worker: worker, lease: lease, now: now)
    }

    /// Records a job's end. A failure that may pass is queued again after a backoff (2, 4, 8 …
    /// seconds, at most five minutes) until `maxAttempts`; one that will not (`retry` false)
    /// fails at once. Does nothing when `worker` no longer holds the lease.
    @discardableResult
    public func finish(
        _ id: Int64, worker: String, error: String? = nil, retry: Bool = true, summary: String? = nil, notifiedAt: Date? = nil, now: Date = Date()
    ) throws(StoreError) -> Job? {
        try store.finishJob(
            id, worker: worker, end: JobEnd(error: error, retry: retry, summary: summary, notifiedAt: notifiedAt), maxAttempts: maxAttempts, now: now)
    }

    /// Seconds to wait before attempt `attempt + 1`.
    public static func backoff(attempt: Int) -> TimeInterval { Job.backoff(attempt: attempt) }

    /// Jobs, newest first.
    public func jobs(limit: Int = 100) throws(StoreError) -> [Job] { try store.jobs(limit: limit) }

    /// The job with `id`, if there is one.
    public func job(_ id: Int64) throws(StoreError) -> Job? { try store.job(id: id) }

    /// Whether any job is queued (due or not) or running.
    public func hasPendingWork() throws(StoreError) -> Bool { try store.hasPendingJobs() }
}
