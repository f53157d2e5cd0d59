public import Foundation
internal import PostgresNIO
public import Store

extension ScheduleFire {
    /// The fire in `row` (`scheduleFires.*`).
    init(_ row: Columns) throws {
        self.init(
            repository: try row("repository"), entry: try row("entry"), model: try row("model"), action: try row("action"),
            scheduledAt: try row.date("scheduledAt"), firedAt: try row.date("firedAt"), worker: try row("worker"), missed: try row("missed"),
            state: try row.raw("state"))
        id = try row("id")
        jobId = try row("jobId")
        session = try row("session")
        candidate = try row("candidate")
        dataSha256 = try row("dataSha256")
        proposed = try row("proposed")
        result = try row("result")
        endedAt = try row.optionalDate("endedAt")
    }
}

// MARK: Schedules

extension PostgresStore {
    /// Records a fire unless its instant is recorded (the unique key decides between racing
    /// workers: the loser's insert does nothing); a queued fire queues its job in the same
    /// transaction.
    public func record(fire: ScheduleFire, maxAttempts: Int, now: Date) throws(StoreError) -> ScheduleFire? {
        try transaction("record the fire of \(fire.entry) at \(fire.scheduledAt)") { db in
            guard
                let id = try db.value(
                    """
                    INSERT INTO scheduleFires (repository, entry, model, action, scheduledAt, firedAt, worker, missed, state, proposed, result)
                    VALUES (\(fire.repository), \(fire.entry), \(fire.model), \(fire.action), \(fire.scheduledAt.stored), \(fire.firedAt.stored),
                    \(fire.worker), \(fire.missed), \(fire.state.rawValue), FALSE, \(fire.result))
                    ON CONFLICT (repository, entry, scheduledAt) DO NOTHING RETURNING id
                    """, as: Int64.self)
            else { return nil }
            var fire = fire
            fire.id = id
            if fire.state == .queued {
                let job = Job(repository: fire.repository, trigger: .schedule, refs: fire.jobRefs, maxAttempts: maxAttempts, now: now)
                fire.jobId = try db.value(
                    """
                    INSERT INTO jobs (repository, "trigger", refs, state, attempts, maxAttempts, notBefore, createdAt)
                    VALUES (\(job.repository), \(job.trigger.rawValue), \(job.refs), \(job.state.rawValue), \(job.attempts), \(job.maxAttempts),
                    \(job.notBefore.stored), \(job.createdAt.stored)) RETURNING id
                    """, as: Int64.self)
                try db.execute("UPDATE scheduleFires SET jobId = \(fire.jobId) WHERE id = \(id)")
            }
            return fire
        }
    }

    /// Records what became of a fire.
    public func update(fire: ScheduleFire) throws(StoreError) {
        try transaction("record the end of the fire of \(fire.entry) at \(fire.scheduledAt)") { db in
            _ = try db.execute(
                """
                UPDATE scheduleFires SET state = \(fire.state.rawValue), session = \(fire.session), candidate = \(fire.candidate),
                dataSha256 = \(fire.dataSha256), proposed = \(fire.proposed), result = \(fire.result), endedAt = \(fire.endedAt.stored)
                WHERE id = \(fire.id)
                """)
        }
    }

    /// Fires newest instant first, narrowed by repository, entry and model when given.
    public func scheduleFires(repository: String?, entry: String?, model: String?, limit: Int) throws(StoreError) -> [ScheduleFire] {
        try transaction("read the schedule's fires") { db in
            try db.all(
                """
                SELECT * FROM scheduleFires WHERE (\(repository)::text IS NULL OR repository = \(repository))
                AND (\(entry)::text IS NULL OR entry = \(entry)) AND (\(model)::text IS NULL OR model = \(model))
                ORDER BY scheduledAt DESC, id DESC LIMIT \(max(0, limit))
                """, ScheduleFire.init)
        }
    }

    /// The fire whose work job `job` does.
    public func scheduleFire(job: Int64) throws(StoreError) -> ScheduleFire? {
        try transaction("read the fire of job \(job)") { db in
            try db.one("SELECT * FROM scheduleFires WHERE jobId = \(job)", ScheduleFire.init)
        }
    }
}
