public import Foundation

/// One piece of queued work: reconcile a repository (DESIGN.md "GitOps: reconcile and triggers").
public struct Job: Codable, Sendable, Equatable {
    /// Where a job is in its life.
    public enum State: String, Codable, Sendable {
        /// Waiting (from `notBefore` on) for a worker.
        case queued
        /// Held by `leaseOwner` until `leaseExpiresAt`; a lease that runs out is taken up again.
        case running
        case done
        /// Given up: a failure that will not pass, or `maxAttempts` used.
        case failed
    }

    /// Given by the store when the job is queued.
    public var id: Int64?
    /// The repository to reconcile: its identity (its origin URL without credentials, else its
    /// path), which a worker on any host resolves to a repository of its own.
    public var repository: String
    /// What asked for it: `hook`, `webhook`, `watch`, `enqueue`; its sessions carry it.
    public var trigger: Trigger
    /// The refs the pushes named (JSON array), for people reading the queue; the reconciler
    /// reads every ref anyway.
    public var refs: String
    /// Where it is in its life.
    public var state: State
    /// How many times a worker took it.
    public var attempts: Int
    /// How many times it may be taken (the policy of the worker that last took it).
    public var maxAttempts: Int
    /// Not taken before this time (a retry's backoff).
    public var notBefore: Date
    /// The worker holding it while it runs.
    public var leaseOwner: String?
    /// When the holder's lease runs out unless renewed.
    public var leaseExpiresAt: Date?
    /// When it was queued.
    public var createdAt: Date
    /// When a worker first took it: what every attempt made since is this job's work.
    public var startedAt: Date?
    /// When it was done or given up.
    public var endedAt: Date?
    /// Why the last attempt failed.
    public var lastError: String?
    /// What the finished job did, one line.
    public var summary: String?
    /// Until when its work has been told (notifications); an attempt taken up again tells only
    /// what came after.
    public var notifiedAt: Date?

    /// A new queued job for `repository`, due at `now`.
    public init(repository: String, trigger: Trigger, refs: [String], maxAttempts: Int, now: Date) {
        self.repository = repository
        self.trigger = trigger
        self.refs = Self.encode(Array(Set(refs)).sorted())
        state = .queued
        attempts = 0
        self.maxAttempts = maxAttempts
        notBefore = now
        createdAt = now
    }

    /// The refs the pushes named.
    public var refList: [String] { (try? JSONDecoder().decode([String].self, from: Data(refs.utf8))) ?? [] }

    /// `refs` as the job keeps them: a JSON array.
    public static func encode(_ refs: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(refs)) ?? Data("[]".utf8), as: UTF8.self)
    }

    /// Seconds to wait before attempt `attempt + 1`: 2, 4, 8 … at most five minutes.
    public static func backoff(attempt: Int) -> TimeInterval { min(300, pow(2, Double(max(1, attempt)))) }
}

// The state changes every store makes, inside its own transaction, so they are the same on
// every engine.
extension Job {
    /// Folds the refs of another push into this waiting job.
    public mutating func merge(refs more: [String]) {
        refs = Self.encode(Array(Set(refList + more)).sorted())
    }

    /// Takes this due (or lease-expired) job for `worker`: true when it is taken, false when it
    /// has used its attempts through leases that ran out and fails for good instead.
    public mutating func take(worker: String, lease: TimeInterval, maxAttempts: Int, now: Date) -> Bool {
        self.maxAttempts = maxAttempts
        if state == .running && attempts >= maxAttempts {
            state = .failed
            endedAt = now
            lastError = "its worker stopped \(attempts) time\(attempts == 1 ? "" : "s") while holding it" + (lastError.map { "; last error: \($0)" } ?? "")
            leaseOwner = nil
            return false
        }
        if state == .running {
            lastError = "the lease of \(leaseOwner ?? "a worker") ran out"
        }
        state = .running
        attempts += 1
        leaseOwner = worker
        leaseExpiresAt = now.addingTimeInterval(lease)
        startedAt = startedAt ?? now
        return true
    }

    /// Records the end of the attempt in hand (see `JobEnd`).
    public mutating func end(_ end: JobEnd, maxAttempts: Int, now: Date) {
        notifiedAt = end.notifiedAt ?? notifiedAt
        self.maxAttempts = maxAttempts
        leaseOwner = nil
        leaseExpiresAt = nil
        summary = end.summary
        if let error = end.error {
            lastError = error
            if end.retry && attempts < maxAttempts {
                state = .queued
                notBefore = now.addingTimeInterval(Self.backoff(attempt: attempts))
            } else {
                state = .failed
                endedAt = now
            }
        } else {
            state = .done
            endedAt = now
        }
    }
}

/// How an attempt at a job ended. A failure that may pass (`retry`) is queued again after a
/// backoff until the attempts are used; one that will not fails at once.
public struct JobEnd: Sendable, Equatable {
    /// Why it failed; nil when it did its work.
    public var error: String?
    /// Whether a failure may pass when tried again.
    public var retry: Bool
    /// What the job did, one line.
    public var summary: String?
    /// Until when its work has been told.
    public var notifiedAt: Date?

    /// An attempt's end.
    public init(error: String? = nil, retry: Bool = true, summary: String? = nil, notifiedAt: Date? = nil) {
        self.error = error
        self.retry = retry
        self.summary = summary
        self.notifiedAt = notifiedAt
    }
}

/// What `claimJob` did: the job it took, and the jobs it gave up on the way (their workers kept
/// dying while holding them).
public struct Claim: Sendable {
    /// The job taken, if any.
    public var job: Job?
    /// Jobs given up on the way: their workers kept dying while holding them.
    public var givenUp: [Job] = []

    /// Nothing taken, nothing given up.
    public init() {}
}

/// What `enqueue` did.
public struct Enqueued: Sendable, Equatable {
    /// What became of the request.
    public enum Outcome: String, Sendable, Codable {
        /// A new job.
        case queued
        /// Folded into a job of the same repository that no worker has taken yet.
        case merged
        /// The delivery was seen before: nothing done.
        case duplicate
    }

    /// The job that does the work (new, merged into, or the one the delivery queued before).
    public var job: Int64
    /// What became of the request.
    public var outcome: Outcome

    /// A request's outcome for job `job`.
    public init(job: Int64, outcome: Outcome) {
        self.job = job
        self.outcome = outcome
    }
}
