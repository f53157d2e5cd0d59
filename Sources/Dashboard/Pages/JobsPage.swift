internal import Foundation
internal import Store

/// The job queue: the newest 200 jobs, those queued or running first, each with its state as a
/// badge, its attempts, its lease, when it is due and why it last failed.
struct JobsPage: DashboardPage {
    static let template = "jobs"
    var title: String { "Jobs" }

    struct Row: Encodable, Sendable {
        var id: Int64?
        var repository: String
        /// The repository as the store names it (its path or URL).
        var repositoryPath: String
        var refs: [String]
        var trigger: String
        var state: Badge
        var attempts: String
        var leaseOwner: String?
        var leaseExpires: String?
        var due: String
        var queued: String
        var ended: String?
        var error: String?
        var summary: String?
    }

    /// How many jobs the page shows.
    static let limit = 200

    var jobs: [Row]
    /// How many are queued or running.
    var pending: Int

    static func build(_ catalog: Catalog, now: Date = Date()) throws -> JobsPage {
        let jobs = try catalog.store.jobs(limit: limit)
        // Newest first within each group, as the store gives them; work still to do first.
        let ordered = jobs.filter { $0.state == .queued || $0.state == .running } + jobs.filter { $0.state == .done || $0.state == .failed }
        return JobsPage(
            jobs: ordered.map { job in
                Row(
                    id: job.id, repository: catalog.short(job.repository), repositoryPath: job.repository, refs: job.refList,
                    trigger: job.trigger.rawValue, state: badge(job, now: now), attempts: "\(job.attempts)/\(job.maxAttempts)",
                    leaseOwner: job.leaseOwner, leaseExpires: job.leaseExpiresAt.map(Format.time), due: Format.time(job.notBefore),
                    queued: Format.time(job.createdAt), ended: job.endedAt.map(Format.time), error: job.lastError, summary: job.summary)
            }, pending: ordered.count - jobs.filter { $0.state == .done || $0.state == .failed }.count)
    }

    /// The job's state: queued (waiting for a retry's backoff when due later), running (its
    /// lease run out when past it), done, or failed.
    static func badge(_ job: Job, now: Date) -> Badge {
        switch job.state {
        case .queued:
            job.notBefore > now
                ? Badge(text: "queued", tone: .info, detail: "due at \(Format.time(job.notBefore))")
                : Badge(text: "queued", tone: .info, detail: "waiting for a worker")
        case .running:
            if let expires = job.leaseExpiresAt, expires < now {
                Badge(text: "running", tone: .warning, detail: "the lease of \(job.leaseOwner ?? "its worker") ran out at \(Format.time(expires))")
            } else {
                Badge(text: "running", tone: .warning, detail: "held by \(job.leaseOwner ?? "a worker")")
            }
        case .done: Badge(text: "done", tone: .good, detail: job.summary)
        case .failed: Badge(text: "failed", tone: .bad, detail: job.lastError)
        }
    }
}
