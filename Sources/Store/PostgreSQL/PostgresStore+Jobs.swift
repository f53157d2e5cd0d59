public import Foundation
internal import PostgresNIO
public import Store

extension Job {
    /// The job in `row` (`jobs.*`).
    init(_ row: Columns) throws {
        self.init(
            repository: try row("repository"), trigger: try row.raw("trigger"), refs: [], maxAttempts: try row("maxAttempts"), now: try row.date("createdAt"))
        id = try row("id")
        refs = try row("refs")
        state = try row.raw("state")
        attempts = try row("attempts")
        notBefore = try row.date("notBefore")
        leaseOwner = try row("leaseOwner")
        leaseExpiresAt = try row.optionalDate("leaseExpiresAt")
        startedAt = try row.optionalDate("startedAt")
        endedAt = try row.optionalDate("endedAt")
        lastError = try row("lastError")
        summary = try row("summary")
        notifiedAt = try row.optionalDate("notifiedAt")
    }
}

// MARK: Jobs

extension PostgresStore {
    /// Queues a reconcile of `repository` (one enqueue of a repository, and of a delivery, at a time).
    public func enqueue(
        repository: String, refs: [String], trigger: Trigger, delivery: String?, maxAttempts: Int, now: Date
    ) throws(StoreError) -> Enqueued {
        try transaction("queue a job for \(repository)") { db in
            if let delivery {
                try db.lock(.deliveries, delivery)
                if let seen = try db.value("SELECT jobId FROM deliveries WHERE key = \(delivery)", as: Int64.self) {
                    return Enqueued(job: seen, outcome: .duplicate)
                }
            }
            try db.lock(.repositoryJobs, repository)
            let result: Enqueued
            if var waiting = try db.one(
                """
                SELECT * FROM jobs WHERE repository = \(repository) AND state = 'queued' AND attempts = 0 AND "trigger" <> 'schedule'
                ORDER BY id LIMIT 1 FOR UPDATE
                """, Job.init)
            {
                waiting.merge(refs: refs)
                try db.execute("UPDATE jobs SET refs = \(waiting.refs) WHERE id = \(waiting.id!)")
                result = Enqueued(job: waiting.id!, outcome: .merged)
            } else {
                let job = Job(repository: repository, trigger: trigger, refs: refs, maxAttempts: maxAttempts, now: now)
                let id = try db.value(
                    """
                    INSERT INTO jobs (repository, "trigger", refs, state, attempts, maxAttempts, notBefore, createdAt)
                    VALUES (\(job.repository), \(job.trigger.rawValue), \(job.refs), \(job.state.rawValue), \(job.attempts), \(job.maxAttempts),
                    \(job.notBefore.stored), \(job.createdAt.stored)) RETURNING id
                    """, as: Int64.self)!
                result = Enqueued(job: id, outcome: .queued)
            }
            if let delivery {
                try db.execute("INSERT INTO deliveries (key, jobId, receivedAt) VALUES (\(delivery), \(result.job), \(now.stored))")
            }
            return result
        }
    }

    /// Whether `delivery` was seen before.
    public func seen(delivery: String) throws(StoreError) -> Bool {
        try transaction("read delivery \(delivery)") { db in
            try db.value("SELECT EXISTS (SELECT 1 FROM deliveries WHERE key = \(delivery))", as: Bool.self) ?? false
        }
    }

    /// Takes the oldest due job whose repository no live lease holds, leasing it to `worker`.
    /// Each candidate is taken under its repository's advisory lock (skipped when another
    /// transaction holds it) and locked `FOR UPDATE SKIP LOCKED` after the repository is looked
    /// at again, so two workers never take one job, nor two jobs of one repository.
    public func claimJob(
        worker: String, lease: TimeInterval, busy: Set<String>, maxAttempts: Int, now: @autoclosure () -> Date
    ) throws(StoreError) -> Claim {
        try transaction("take a job for \(worker)") { db in
            // Read in the transaction, as on SQLite (a retried transaction reads it again).
            let now = now()
            let at = now.stored
            let candidates = try db.all(
                """
                SELECT id, repository FROM jobs
                WHERE ((state = 'queued' AND notBefore <= \(at)) OR (state = 'running' AND leaseExpiresAt < \(at)))
                AND repository NOT IN (SELECT repository FROM jobs WHERE state = 'running' AND leaseExpiresAt >= \(at))
                ORDER BY id
                """
            ) { row in (id: try row("id", as: Int64.self), repository: try row("repository", as: String.self)) }
            var claim = Claim()
            for candidate in candidates where !busy.contains(candidate.repository) {
                guard try db.tryLock(.repositoryJobs, candidate.repository) else { continue }
                guard
                    var job = try db.one(
                        """
                        SELECT * FROM jobs WHERE id = \(candidate.id)
                        AND ((state = 'queued' AND notBefore <= \(at)) OR (state = 'running' AND leaseExpiresAt < \(at)))
                        AND NOT EXISTS (
                            SELECT 1 FROM jobs AS other WHERE other.repository = jobs.repository AND other.id <> jobs.id
                            AND other.state = 'running' AND other.leaseExpiresAt >= \(at))
                        FOR UPDATE SKIP LOCKED
                        """, Job.init)
                else { continue }
                let taken = job.take(worker: worker, lease: lease, maxAttempts: maxAttempts, now: now)
                try Self.update(job, db)
                if taken {
                    claim.job = job
                    return claim
                }
                claim.givenUp.append(job)
            }
            return claim
        }
    }

    /// Writes every field of `job` to its row.
    static func update(_ job: Job, _ db: Transaction) throws {
        try db.execute(
            """
            UPDATE jobs SET repository = \(job.repository), "trigger" = \(job.trigger.rawValue), refs = \(job.refs), state = \(job.state.rawValue),
            attempts = \(job.attempts), maxAttempts = \(job.maxAttempts), notBefore = \(job.notBefore.stored), leaseOwner = \(job.leaseOwner),
            leaseExpiresAt = \(job.leaseExpiresAt.stored), createdAt = \(job.createdAt.stored), startedAt = \(job.startedAt.stored),
            endedAt = \(job.endedAt.stored), lastError = \(job.lastError), summary = \(job.summary), notifiedAt = \(job.notifiedAt.stored)
            WHERE id = \(job.id!)
            """)
    }

    /// Extends `worker`'s lease on job `id`.
    public func renewJob(_ id: Int64, worker: String, lease: TimeInterval, now: Date) throws(StoreError) -> Bool {
        try transaction("renew the lease of job \(id)") { db in
            try db.execute(
                """
                UPDATE jobs SET leaseExpiresAt = \(now.addingTimeInterval(lease).stored) WHERE id = \(id) AND leaseOwner = \(worker)
                AND state = 'running'
                """) > 0
        }
    }

    /// Records the end of `worker`'s attempt at job `id` (`Job.end`).
    public func finishJob(_ id: Int64, worker: String, end: JobEnd, maxAttempts: Int, now: Date) throws(StoreError) -> Job? {
        try transaction("record the end of job \(id)") { db in
            guard var job = try db.one("SELECT * FROM jobs WHERE id = \(id) FOR UPDATE", Job.init), job.leaseOwner == worker, job.state == .running else {
                return nil
            }
            job.end(end, maxAttempts: maxAttempts, now: now)
            try Self.update(job, db)
            return job
        }
    }

    /// Jobs, newest first.
    public func jobs(limit: Int) throws(StoreError) -> [Job] {
        try transaction("read the jobs") { db in try db.all("SELECT * FROM jobs ORDER BY id DESC LIMIT \(rowLimit(limit))", Job.init) }
    }

    /// The job with `id`, if there is one.
    public func job(id: Int64) throws(StoreError) -> Job? {
        try transaction("read job \(id)") { db in try db.one("SELECT * FROM jobs WHERE id = \(id)", Job.init) }
    }

    /// Whether any job is queued (due or not) or running.
    public func hasPendingJobs() throws(StoreError) -> Bool {
        try transaction("read the jobs") { db in
            try db.value("SELECT EXISTS (SELECT 1 FROM jobs WHERE state IN ('queued', 'running'))", as: Bool.self) ?? false
        }
    }
}
