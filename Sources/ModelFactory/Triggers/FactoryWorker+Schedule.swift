public import Foundation
public import GitKit
public import Store

extension FactoryWorkerObserver {
    /// By default, nothing is told of a schedule's fires.
    public func scheduled(_ fire: ScheduleFire) {}
}

extension FactoryWorker {
    /// Looks at the schedules of every repository the store knows when one is due, when a job
    /// ended, or `scheduleRefresh` after the last look; fires what is due (`Scheduler`), and
    /// notes when to look next. Nothing without a `scheduleClock`.
    func fireSchedules() async {
        guard let clock = options.scheduleClock else { return }
        let now = clock.now
        if let next = scheduleLook.withLock({ $0 }), next > now { return }
        var next = now.addingTimeInterval(options.scheduleRefresh)
        let scheduler = Scheduler(store: pipeline.store, worker: identity, clock: clock, maxAttempts: queue.maxAttempts)
        let repositories: [RepositoryRecord]
        do { repositories = try pipeline.store.repositories() } catch {
            observer?.warning("the repositories could not be read for their schedules (trying again): \(error)")
            scheduleLook.withLock { $0 = now.addingTimeInterval(options.poll) }
            return
        }
        for record in repositories {
            do {
                let repository = try await resolve(RepositoryIdentity(name: record.identity))
                guard let source = try ScheduleSource.read(repository) else { continue }
                let round = try scheduler.fireDue(source)
                for fire in round.fired + round.skipped { observer?.scheduled(fire) }
                for problem in round.problems { observer?.warning(problem) }
                if let due = round.next { next = min(next, due) }
            } catch {
                observer?.warning("the schedule of \(record.identity) cannot be fired: \(error)")
            }
        }
        let chosen = next
        scheduleLook.withLock { $0 = chosen }
    }

    /// Seconds until the schedules are to be looked at again; nil when the worker fires none.
    func nextScheduleLook() -> TimeInterval? {
        guard let clock = options.scheduleClock else { return nil }
        guard let next = scheduleLook.withLock({ $0 }) else { return 0 }
        return next.timeIntervalSince(clock.now)
    }

    /// The work of a fire's job (`ScheduledRun`); returns the job's summary. A candidate that
    /// passed its gates is proposed to the team (a notification).
    func runFire(_ job: Job, repository: Repository) async throws -> String {
        guard let id = job.id, let fire = try pipeline.store.scheduleFire(job: id) else {
            throw ScheduleError(entry: "?", reason: "job \(job.id ?? 0) belongs to no recorded fire", retry: false)
        }
        var run = ScheduledRun(pipeline: pipeline, fire: fire)
        let ended: ScheduleFire
        do {
            ended = try await run.run(repository)
        } catch {
            // What was learnt (the candidate's name, its session) stays with the fire for `mf schedule`.
            var failed = run.fire
            failed.result = String(describing: error)
            try? pipeline.store.update(fire: failed)
            throw error
        }
        if let session = ended.session {
            do { try options.writeReport?(session) } catch {
                observer?.warning("the report of session \(session) could not be written: \(error)")
            }
        }
        if ended.proposed, let candidate = ended.candidate {
            await notify {
                [
                    Notification(
                        kind: .candidate, repository: ended.repository,
                        text:
                            "🧪 \(RepositoryIdentity(name: ended.repository).shortName): \(ended.result ?? "candidate \(ended.model) \(candidate) passed its gates")",
                        page: Notification.modelPage(ended.model, version: candidate))
                ]
            }
        }
        return "schedule \(ended.entry) at \(ISO8601DateFormatter().string(from: ended.scheduledAt)): \(ended.result ?? ended.state.rawValue)"
    }

    /// Records that a fire's job was given up.
    func failFire(_ job: Job) {
        guard let id = job.id, var fire = try? pipeline.store.scheduleFire(job: id) else { return }
        fire.state = .failed
        fire.endedAt = Date()
        fire.result = job.lastError ?? fire.result
        do { try pipeline.store.update(fire: fire) } catch { observer?.warning("the end of the fire of \(fire.entry) could not be recorded: \(error)") }
    }
}
