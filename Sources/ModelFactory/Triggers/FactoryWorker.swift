public import Foundation
internal import GitKit
public import Store
internal import Synchronization

/// What the worker tells whoever runs it, as things happen.
public protocol FactoryWorkerObserver: Sendable {
    func took(_ job: Job)
    func finished(_ job: Job, report: ReconcileReport?, error: String?)
    func warning(_ text: String)
    /// A schedule's instant this worker fired (queued its job) or skipped by its catch-up policy.
    func scheduled(_ fire: ScheduleFire)
}

/// Takes jobs from the queue and runs the reconciler on each (DESIGN.md "GitOps"): up to
/// `concurrency` repositories at once, one job per repository at a time, each job under a lease
/// renewed while it runs. After a job it writes a report for every session the job ran (through
/// `Options.writeReport`) and sends the notifications. `stop()` (SIGTERM) ends it gracefully: no new job is taken, and the
/// jobs in hand are finished.
public final class FactoryWorker: Sendable {
    /// How the worker runs: how many repositories at once, its lease and poll times, when it ends, and where it notifies.
    public struct Options: Sendable {
        /// How many repositories the worker reconciles at once (one job per repository at a time).
        public var concurrency = 2
        /// Seconds a job is held without renewal; a dead worker's job is taken up this long after.
        public var lease: TimeInterval = 60
        /// Seconds between looks at the queue when it is empty. The worker also looks as soon as
        /// the store changes (a hook or webhook queued a job): the store's change signal.
        public var poll: TimeInterval = 1
        /// End when no job is queued or running (for cron jobs and tests).
        public var untilIdle = false
        /// Where to send notifications after each job; nil to send none.
        public var notifier: Notifier?
        /// Writes the report of a session the job ran (`mf worker` writes the dashboard's session
        /// page to `reports/SESSION.html` in the home); nil to write none.
        public var writeReport: (@Sendable (_ session: String) throws -> Void)?
        /// The clock schedules are fired by (`.mf/schedule.yaml` on each known repository's
        /// production line; see `Scheduler`); nil fires none.
        public var scheduleClock: (any ScheduleClock)?
        /// Seconds between looks at the repositories' schedules (a changed `.mf/schedule.yaml` is
        /// seen this long after at most); the worker also looks when an entry is due and after each job.
        public var scheduleRefresh: TimeInterval = 60

        /// The defaults: two repositories at once, a 60 s lease, a 1 s poll, running until stopped, no notifications.
        public init() {}
    }

    /// The pipeline the reconciler runs through, with the store and home folder the worker works in.
    public let pipeline: Pipeline
    /// The queue of jobs the worker takes from (filled by hooks and the webhook).
    public let queue: JobQueue
    /// How the worker runs, fixed when it is made.
    public let options: Options
    /// Who this worker is in the queue's leases: host, process and a random part.
    public let identity: String
    let observer: (any FactoryWorkerObserver)?
    private let stopping = Mutex(false)
    /// When the schedules are to be looked at next (on the schedule clock); nil: at once.
    let scheduleLook = Mutex<Date?>(nil)

    /// A worker taking jobs from `queue` and reconciling through `pipeline`, telling `observer` what happens.
    public init(pipeline: Pipeline, queue: JobQueue, options: Options, observer: (any FactoryWorkerObserver)? = nil) {
        self.pipeline = pipeline
        self.queue = queue
        self.options = options
        self.observer = observer
        identity = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Asks the worker to stop after the jobs it holds.
    public func stop() { stopping.withLock { $0 = true } }

    var isStopping: Bool { stopping.withLock { $0 } }

    /// Runs until `stop()` (or, with `untilIdle`, until the queue is empty). A store that cannot
    /// answer (busy past its timeout) is a warning; the worker looks again at the next poll.
    public func run() async throws {
        await withTaskGroup(of: String?.self) { group in
            var busy: Set<String> = []
            var ticking = false
            while true {
                var idle = false
                // Taken before the queue is read, so a job queued after the read wakes the wait.
                let token = try? queue.store.changeToken()
                do {
                    if !isStopping { await fireSchedules() }
                    if !isStopping {
                        while busy.count < max(1, options.concurrency) {
                            let claim = try queue.claim(worker: identity, lease: options.lease, busy: busy)
                            for job in claim.givenUp { await gaveUp(job) }
                            guard let job = claim.job else { break }
                            busy.insert(job.repository)
                            observer?.took(job)
                            group.addTask {
                                await self.process(job)
                                return job.repository
                            }
                        }
                    }
                    idle = try busy.isEmpty && (isStopping || (options.untilIdle && !queue.hasPendingWork()))
                } catch {
                    observer?.warning("the queue could not be read (trying again): \(error)")
                }
                if idle || (busy.isEmpty && isStopping) {
                    group.cancelAll()
                    return
                }
                // Wake when a job ends or at the next look at the queue, whichever comes first.
                if !ticking {
                    ticking = true
                    let untilSchedule = nextScheduleLook().map { max(0.05, $0) }
                    group.addTask {
                        await self.waitForWork(after: token, atMost: untilSchedule)
                        return nil
                    }
                }
                guard let next = await group.next() else { return }
                if let repository = next {
                    busy.remove(repository)
                    // The job may have been a push that changed the schedule.
                    scheduleLook.withLock { $0 = nil }
                } else {
                    ticking = false
                }
            }
        }
    }

    /// Returns after `poll` seconds (or `atMost`, when sooner: a schedule is due), or sooner when
    /// the store changed after `token` (another process may have queued work: a push is picked
    /// up at once), or on a stop (SIGTERM).
    func waitForWork(after token: ChangeToken?, atMost: TimeInterval? = nil) async {
        let deadline = ContinuousClock.now + .seconds(min(options.poll, atMost ?? options.poll))
        while !Task.isCancelled, !isStopping, ContinuousClock.now < deadline {
            let slice = min(.milliseconds(100), deadline - ContinuousClock.now)
            if let token {
                if await queue.store.waitForChange(after: token, timeout: slice) { return }
            } else {
                try? await Task.sleep(for: slice)
            }
        }
    }

    /// Runs one job: the reconciler under a renewed lease, then the pages and notifications, then
    /// its end is recorded (so a worker killed before that tells the work again rather than never).
    func process(_ job: Job) async {
        guard let id = job.id else { return }
        // Everything since the job was first taken is its work, an earlier attempt's included;
        // what an earlier attempt already told is not told again.
        let started = job.startedAt ?? Date()
        let lost = Mutex(false)
        let renewal = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(max(0.2, options.lease / 3)))
                if Task.isCancelled { return }
                if (try? queue.renew(id, worker: identity, lease: options.lease)) == false {
                    observer?.warning("job \(id): the lease was lost to another worker")
                    lost.withLock { $0 = true }
                    return
                }
            }
        }
        defer { renewal.cancel() }
        var report: ReconcileReport?
        var failure: (message: String, retry: Bool)?
        // The repository as the store names it (a job queued before identities may name its path).
        var repositoryName = job.repository
        var fireSummary: String?
        do {
            let repository = try await resolve(RepositoryIdentity(name: job.repository))
            repositoryName = try RepositoryIdentity(repository).name
            if job.trigger == .schedule {
                fireSummary = try await runFire(job, repository: repository)
            } else {
                report = try await Reconciler(pipeline: pipeline).reconcile(
                    repository, cache: pipeline.home.appendingPathComponent("cache"), trigger: job.trigger)
            }
        } catch let error as ScheduleError {
            failure = (error.description, error.retry)
        } catch let error as UnresolvedRepository {
            failure = (error.description, error.retry)
        } catch let error as GitError {
            // A repository that is not there (or not one) will not become one by waiting.
            failure = (String(describing: error), error.code != .notFound)
        } catch  where error is FlowError || error is ManifestError {
            // Nor does a broken .mf/flow.yaml or model.yaml mend itself: the push that mends it queues anew.
            failure = (String(describing: error), false)
        } catch {
            failure = (String(describing: error), true)
        }

        let sessions = options.writeReport == nil ? [] : (try? pipeline.store.sessions(repository: repositoryName, since: started)) ?? []
        for session in sessions {
            do {
                try options.writeReport?(session.session.id)
            } catch {
                observer?.warning("the report of session \(session.session.id) could not be written: \(error)")
            }
        }
        // The worker that took the job over tells what happened; this one would tell it twice.
        // (Asked again here: a process paused past its lease may not have renewed since.)
        if lost.withLock({ $0 }) || (try? queue.renew(id, worker: identity, lease: options.lease)) == false {
            observer?.finished(job, report: report, error: "the lease was lost to another worker, which finishes the job")
            return
        }
        let told = Date()
        await notify { try Notification.since(job.notifiedAt ?? started, repository: repositoryName, store: pipeline.store) }
        let summary =
            fireSummary
            ?? report.map { report in
                report.actions.isEmpty ? "nothing to do" : report.actions.map { "\($0.kind) \($0.target): \($0.outcome)" }.joined(separator: "; ")
            }
        var ended: Job?
        do {
            ended = try queue.finish(id, worker: identity, error: failure?.message, retry: failure?.retry ?? false, summary: summary, notifiedAt: told)
        } catch {
            observer?.warning("job \(id) could not be recorded as finished: \(error)")
        }
        if let ended, ended.state == .failed { await gaveUp(ended) }
        observer?.finished(ended ?? job, report: report, error: failure?.message)
    }

    /// Tells the team a job was given up.
    func gaveUp(_ job: Job) async {
        if job.trigger == .schedule { failFire(job) }
        await notify {
            [
                Notification(
                    kind: .jobFailed, repository: job.repository,
                    text:
                        "❌ \(RepositoryIdentity(name: job.repository).shortName): the factory gave up after \(counted(job.attempts, "attempt")) — \(job.lastError ?? "")",
                    page: "jobs")
            ]
        }
    }

    func notify(_ notifications: () throws -> [Notification]) async {
        guard let notifier = options.notifier else { return }
        do {
            let list = try notifications()
            guard !list.isEmpty else { return }
            for warning in await notifier.send(list) { observer?.warning(warning) }
        } catch {
            observer?.warning("what to notify could not be read: \(error)")
        }
    }
}
