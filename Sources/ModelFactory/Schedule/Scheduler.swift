public import Foundation
public import GitKit
public import Store

/// What the scheduling code asks of time: the present, and a wait until an instant. `mf worker`
/// passes `SystemScheduleClock`; tests pass a clock of their own and move it.
public protocol ScheduleClock: Sendable {
    /// The present instant.
    var now: Date { get }
    /// Returns at `instant` (at once when it has passed), or sooner when the task is cancelled.
    func sleep(until instant: Date) async
}

/// The system's clock, moved by `offset` seconds: `MF_CLOCK_OFFSET`, a test and operations aid
/// that lets `mf worker` and `mf schedule` act as if it were another time (a fire due tomorrow
/// fires now), without waiting for it.
public struct SystemScheduleClock: ScheduleClock {
    /// Seconds added to the system's time.
    public var offset: TimeInterval

    /// The system's clock, `offset` seconds ahead (behind when negative).
    public init(offset: TimeInterval = 0) { self.offset = offset }

    /// The system's time plus the offset.
    public var now: Date { Date().addingTimeInterval(offset) }

    /// Sleeps until `instant` on this clock.
    public func sleep(until instant: Date) async {
        let seconds = instant.timeIntervalSince(now)
        guard seconds > 0 else { return }
        try? await Task.sleep(for: .milliseconds(Int64((seconds * 1000).rounded(.up))))
    }
}

/// A repository's schedule as its production head declares it: what `Scheduler` fires from.
public struct ScheduleSource: Sendable {
    /// The repository's identity in the store.
    public var repository: String
    /// The production head the declaration was read at.
    public var commit: ObjectID
    /// The head's commit time: an entry with no recorded fire counts its instants from here.
    public var since: Date
    /// The declaration at the head.
    public var declaration: ScheduleDeclaration
    /// The names of the models at the head.
    public var models: [String]

    /// A source with every field given.
    public init(repository: String, commit: ObjectID, since: Date, declaration: ScheduleDeclaration, models: [String]) {
        self.repository = repository
        self.commit = commit
        self.since = since
        self.declaration = declaration
        self.models = models
    }

    /// The schedule at `repository`'s production head; nil when it has no production line or no
    /// `.mf/schedule.yaml` there. Throws `ManifestError` for a broken file, `FlowError` or
    /// `GitError` for a repository that cannot be read.
    public static func read(_ repository: Repository) throws -> ScheduleSource? {
        let flow = try Flow.read(repository, checkingRules: false)
        guard let commit = flow.production?.commit else { return nil }
        let declaration = try ScheduleDeclaration.read(repository, commit: commit)
        guard !declaration.entries.isEmpty else { return nil }
        return ScheduleSource(
            repository: try RepositoryIdentity(repository).name, commit: commit, since: try repository.commit(commit).committer.time,
            declaration: declaration, models: try Pipeline.models(repository, commit: commit).map(\.name))
    }

    /// The model `entry` acts on: the one it names, else the repository's one model; throws
    /// `ManifestError` naming the entry's `model` field otherwise.
    public func model(of entry: ScheduleDeclaration.Entry) throws(ManifestError) -> String {
        let file = "\(ScheduleDeclaration.path) at \(commit.short)"
        if let model = entry.model {
            guard models.contains(model) else {
                throw ManifestError(
                    file: file,
                    problems: [.init(path: "\(entry.name).model", message: "no model '\(model)' at the production head (\(models.joined(separator: ", ")))")])
            }
            return model
        }
        guard models.count == 1 else {
            throw ManifestError(
                file: file,
                problems: [
                    .init(path: "\(entry.name).model", message: "missing; the repository holds \(models.count) models (\(models.joined(separator: ", ")))")
                ])
        }
        return models[0]
    }
}

/// Fires the due entries of a schedule exactly once across workers (DESIGN.md "Data checks,
/// batch scoring, schedules"): each instant is recorded in the store under a unique key, and
/// the worker whose record is written queues the fire's job in the same transaction; a worker
/// that loses the race writes nothing.
///
/// An entry's instants are counted from its last recorded one (or, before any, from the
/// production head's commit time). When a look finds more than the newest instant due, or the
/// newest later than `grace` (no worker ran at the time), the entry's `catch_up` decides: `skip`
/// fires none and records the newest as skipped, `once` fires the newest; either way the record
/// counts the older ones in `missed`. Never more than one record per entry and instant.
public struct Scheduler: Sendable {
    /// Where fires and their jobs are recorded.
    public let store: any FactoryStore
    /// Who fires, as the fire records it (the worker's identity).
    public let worker: String
    /// The time.
    public let clock: any ScheduleClock
    /// How many attempts a fire's job gets.
    public var maxAttempts: Int
    /// How late an instant may be seen and still be on time (not missed).
    public var grace: TimeInterval

    /// A scheduler recording in `store` as `worker`, reading `clock`.
    public init(store: any FactoryStore, worker: String, clock: any ScheduleClock, maxAttempts: Int = 5, grace: TimeInterval = 300) {
        self.store = store
        self.worker = worker
        self.clock = clock
        self.maxAttempts = maxAttempts
        self.grace = grace
    }

    /// What one look at a schedule did.
    public struct Round: Sendable {
        /// Fires this worker recorded and queued.
        public var fired: [ScheduleFire] = []
        /// Instants this worker recorded as skipped by their entry's catch-up policy.
        public var skipped: [ScheduleFire] = []
        /// The next instant any entry is due after now; nil when none is.
        public var next: Date?
        /// Entries that cannot fire (a model they do not name), one sentence each.
        public var problems: [String] = []
    }

    /// Records and queues what is due in `source` now.
    public func fireDue(_ source: ScheduleSource) throws(StoreError) -> Round {
        var round = Round()
        let now = clock.now
        for entry in source.declaration.entries {
            if let next = entry.next(after: now) { round.next = min(round.next ?? next, next) }
            let model: String
            do { model = try source.model(of: entry) } catch {
                round.problems.append(error.description)
                continue
            }
            let last = try store.scheduleFires(repository: source.repository, entry: entry.name, model: nil, limit: 1).first
            let anchor = last.map(\.scheduledAt) ?? source.since
            guard let newest = entry.cron.last(after: anchor, through: now, in: entry.timeZone) else { continue }
            let missed = entry.cron.fires(after: anchor, through: newest.addingTimeInterval(-1), in: entry.timeZone, limit: Self.missedLimit).count
            let late = now.timeIntervalSince(newest) > grace
            let fires = entry.catchUp == .once || !late
            var fire = ScheduleFire(
                repository: source.repository, entry: entry.name, model: model, action: entry.action.json, scheduledAt: newest, firedAt: now,
                worker: worker, missed: missed, state: fires ? .queued : .skipped)
            if !fires { fire.result = "missed: no worker ran at \(Self.format(newest, in: entry.timeZone)); catch_up: skip" }
            // The job is due at once on the queue's clock (the system's: workers claim by it),
            // whatever this scheduler's clock says.
            guard let recorded = try store.record(fire: fire, maxAttempts: maxAttempts, now: Date()) else { continue }
            if fires { round.fired.append(recorded) } else { round.skipped.append(recorded) }
        }
        return round
    }

    /// The most missed instants a record counts (`missed` says "at least" past it).
    public static let missedLimit = 10_000

    /// `2026-03-29 03:00 +02:00 (01:00 UTC)`: an instant as a person in the entry's zone reads it.
    public static func format(_ instant: Date, in zone: TimeZone) -> String {
        let local = DateFormatter()
        local.locale = Locale(identifier: "en_US_POSIX")
        local.timeZone = zone
        local.dateFormat = "yyyy-MM-dd HH:mm xxx"
        let utc = DateFormatter()
        utc.locale = Locale(identifier: "en_US_POSIX")
        utc.timeZone = TimeZone(identifier: "UTC")
        utc.dateFormat = "HH:mm"
        return "\(local.string(from: instant)) (\(utc.string(from: instant)) UTC)"
    }
}
