public import Foundation
public import GRDB

/// One piece of queued work: reconcile a repository (DESIGN.md "GitOps: reconcile and triggers").
public struct Job: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "jobs"

    public enum State: String, Codable, Sendable {
        /// Waiting (from `notBefore` on) for a worker.
        case queued
        /// Held by `leaseOwner` until `leaseExpiresAt`; a lease that runs out is taken up again.
        case running
        case done
        /// Given up: a failure that will not pass, or `maxAttempts` used.
        case failed
    }

    public var id: Int64?
    /// The repository to reconcile (its location, as `Repository.location` gives it).
    public var repository: String
    /// What asked for it: `hook`, `webhook`, `watch`, `enqueue`; its sessions carry it.
    public var trigger: String
    /// The refs the pushes named (JSON array), for people reading the queue; the reconciler
    /// reads every ref anyway.
    public var refs: String
    public var state: State
    /// How many times a worker took it.
    public var attempts: Int
    public var maxAttempts: Int
    public var notBefore: Date
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    public var createdAt: Date
    /// When a worker first took it: what every attempt made since is this job's work.
    public var startedAt: Date?
    public var endedAt: Date?
    /// Why the last attempt failed.
    public var lastError: String?
    /// What the finished job did, one line.
    public var summary: String?
    /// Until when its work has been told (notifications); an attempt taken up again tells only
    /// what came after.
    public var notifiedAt: Date?

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public var refList: [String] { (try? JSONDecoder().decode([String].self, from: Data(refs.utf8))) ?? [] }
}

/// What `claim` did: the job it took, and the jobs it gave up on the way (their workers kept
/// dying while holding them).
public struct Claim: Sendable {
    public var job: Job?
    public var givenUp: [Job] = []
}

/// What `enqueue` did.
public struct Enqueued: Sendable, Equatable {
    public enum Outcome: String, Sendable, Codable {
        /// A new job.
        case queued
        /// Folded into a job of the same repository that no worker has taken yet.
        case merged
        /// The delivery was seen before: nothing done.
        case duplicate
    }

    public var job: Int64
    public var outcome: Outcome
}

/// The durable job queue in the store. Every operation is one immediate transaction, so any
/// number of processes (hooks, webhook servers, workers) share it safely.
///
/// - A job for a repository that already has one waiting is merged into it (the reconciler is
///   level-triggered: one run does what both pushes asked).
/// - A delivery key (a forge's delivery id, else a digest of the delivery's body) is remembered,
///   so the same push delivered twice does nothing the second time.
/// - A worker leases the job it takes and renews the lease while it works; a lease that runs out
///   (the worker died) makes the job claimable again, and counts as an attempt.
/// - Jobs of one repository run one at a time; of different repositories, in parallel.
public struct JobQueue: Sendable {
    public let store: Store
    public var maxAttempts: Int

    public init(store: Store, maxAttempts: Int = 5) {
        self.store = store
        self.maxAttempts = maxAttempts
    }

    /// Queues a reconcile of `repository`.
    @discardableResult
    public func enqueue(repository: String, refs: [String], trigger: String, delivery: String? = nil, now: Date = Date()) throws -> Enqueued {
        try immediate { db in
            if let delivery, let seen = try Int64.fetchOne(db, sql: "SELECT jobId FROM deliveries WHERE key = ?", arguments: [delivery]) {
                return Enqueued(job: seen, outcome: .duplicate)
            }
            let result: Enqueued
            if var waiting = try Job.filter(Column("repository") == repository && Column("state") == Job.State.queued.rawValue && Column("attempts") == 0)
                .order(Column("id")).fetchOne(db) {
                let merged = Array(Set(waiting.refList + refs)).sorted()
                waiting.refs = Self.encode(merged)
                try waiting.update(db)
                result = Enqueued(job: waiting.id!, outcome: .merged)
            } else {
                var job = Job(
                    id: nil, repository: repository, trigger: trigger, refs: Self.encode(Array(Set(refs)).sorted()), state: .queued, attempts: 0,
                    maxAttempts: maxAttempts, notBefore: now, leaseOwner: nil, leaseExpiresAt: nil, createdAt: now)
                try job.insert(db)
                result = Enqueued(job: job.id!, outcome: .queued)
            }
            if let delivery {
                try db.execute(sql: "INSERT INTO deliveries (key, jobId, receivedAt) VALUES (?, ?, ?)", arguments: [delivery, result.job, now])
            }
            return result
        }
    }

    /// Whether `delivery` was seen before.
    public func seen(delivery: String) throws -> Bool {
        try store.writer.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM deliveries WHERE key = ?)", arguments: [delivery]) ?? false }
    }

    /// Takes the oldest job that is due, whose repository no live lease holds (and that is not in
    /// `busy`), leasing it to `worker` for `lease` seconds. A job whose lease ran out is taken
    /// again; one that has used its attempts that way (this queue's `maxAttempts`: the worker's
    /// policy) fails for good instead.
    public func claim(worker: String, lease: TimeInterval, busy: Set<String> = [], now: Date = Date()) throws -> Claim {
        try immediate { db in
            let candidates = try Job.fetchAll(db, sql: """
                SELECT * FROM jobs
                WHERE ((state = 'queued' AND notBefore <= ?) OR (state = 'running' AND leaseExpiresAt < ?))
                AND repository NOT IN (SELECT repository FROM jobs WHERE state = 'running' AND leaseExpiresAt >= ?)
                ORDER BY id
                """, arguments: [now, now, now])
            var claim = Claim()
            for var job in candidates where !busy.contains(job.repository) {
                job.maxAttempts = maxAttempts
                if job.state == .running && job.attempts >= job.maxAttempts {
                    job.state = .failed
                    job.endedAt = now
                    job.lastError = "its worker stopped \(counted(job.attempts, "time")) while holding it" + (job.lastError.map { "; last error: \($0)" } ?? "")
                    job.leaseOwner = nil
                    try job.update(db)
                    claim.givenUp.append(job)
                    continue
                }
                if job.state == .running {
                    job.lastError = "the lease of \(job.leaseOwner ?? "a worker") ran out"
                }
                job.state = .running
                job.attempts += 1
                job.leaseOwner = worker
                job.leaseExpiresAt = now.addingTimeInterval(lease)
                job.startedAt = job.startedAt ?? now
                try job.update(db)
                claim.job = job
                return claim
            }
            return claim
        }
    }

    /// Extends `worker`'s lease on `job`; false when the lease is no longer its own.
    public func renew(_ job: Int64, worker: String, lease: TimeInterval, now: Date = Date()) throws -> Bool {
        try immediate { db in
            try db.execute(
                sql: "UPDATE jobs SET leaseExpiresAt = ? WHERE id = ? AND leaseOwner = ? AND state = 'running'",
                arguments: [now.addingTimeInterval(lease), job, worker])
            return db.changesCount > 0
        }
    }

    /// Records a job's end. A failure that may pass is queued again after a backoff (2, 4, 8 …
    /// seconds, at most five minutes) until `maxAttempts`; one that will not (`retry` false)
    /// fails at once. Does nothing when `worker` no longer holds the lease.
    @discardableResult
    public func finish(
        _ id: Int64, worker: String, error: String? = nil, retry: Bool = true, summary: String? = nil, notifiedAt: Date? = nil, now: Date = Date()
    ) throws -> Job? {
        try immediate { db in
            guard var job = try Job.fetchOne(db, key: id), job.leaseOwner == worker, job.state == .running else { return nil }
            job.notifiedAt = notifiedAt ?? job.notifiedAt
            job.maxAttempts = maxAttempts
            job.leaseOwner = nil
            job.leaseExpiresAt = nil
            job.summary = summary
            if let error {
                job.lastError = error
                if retry && job.attempts < job.maxAttempts {
                    job.state = .queued
                    job.notBefore = now.addingTimeInterval(Self.backoff(attempt: job.attempts))
                } else {
                    job.state = .failed
                    job.endedAt = now
                }
            } else {
                job.state = .done
                job.endedAt = now
            }
            try job.update(db)
            return job
        }
    }

    /// Seconds to wait before attempt `attempt + 1`.
    public static func backoff(attempt: Int) -> TimeInterval { min(300, pow(2, Double(max(1, attempt)))) }

    /// Jobs, newest first.
    public func jobs(limit: Int = 100) throws -> [Job] {
        try store.writer.read { db in try Job.order(Column("id").desc).limit(limit).fetchAll(db) }
    }

    public func job(_ id: Int64) throws -> Job? { try store.writer.read { db in try Job.fetchOne(db, key: id) } }

    /// Whether any job is queued (due or not) or running.
    public func hasPendingWork() throws -> Bool {
        try store.writer.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM jobs WHERE state IN ('queued', 'running'))") ?? false
        }
    }

    private func immediate<T>(_ body: (Database) throws -> T) throws -> T {
        try store.writer.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }

    static func encode(_ refs: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(refs)) ?? Data("[]".utf8), as: UTF8.self)
    }
}
