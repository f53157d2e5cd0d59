public import Foundation
public import GRDB
public import Store

// MARK: Schedules

extension ScheduleFire: FetchableRecord, MutablePersistableRecord {
    /// The table of these records.
    public static let databaseTableName = "scheduleFires"

    /// Takes the id SQLite gave the new row.
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension SQLiteStore {
    /// Records a fire unless its instant is recorded; a queued fire queues its job in the same
    /// transaction (the write lock is taken at once, so two workers never both insert).
    public func record(fire: ScheduleFire, maxAttempts: Int, now: Date) throws(StoreError) -> ScheduleFire? {
        try write("record the fire of \(fire.entry) at \(fire.scheduledAt)") { db in
            let taken = try ScheduleFire.filter(
                Column("repository") == fire.repository && Column("entry") == fire.entry && Column("scheduledAt") == fire.scheduledAt
            ).fetchCount(db)
            guard taken == 0 else { return nil }
            var fire = fire
            if fire.state == .queued {
                var job = Job(repository: fire.repository, trigger: .schedule, refs: fire.jobRefs, maxAttempts: maxAttempts, now: now)
                try job.insert(db)
                fire.jobId = job.id
            }
            try fire.insert(db)
            return fire
        }
    }

    /// Records what became of a fire.
    public func update(fire: ScheduleFire) throws(StoreError) {
        try write("record the end of the fire of \(fire.entry) at \(fire.scheduledAt)") { db in try fire.update(db) }
    }

    /// Fires newest instant first, narrowed by repository, entry and model when given.
    public func scheduleFires(repository: String?, entry: String?, model: String?, limit: Int) throws(StoreError) -> [ScheduleFire] {
        try read("read the schedule's fires") { db in
            var request = ScheduleFire.all()
            if let repository { request = request.filter(Column("repository") == repository) }
            if let entry { request = request.filter(Column("entry") == entry) }
            if let model { request = request.filter(Column("model") == model) }
            return try request.order(Column("scheduledAt").desc, Column("id").desc).limit(max(0, limit)).fetchAll(db)
        }
    }

    /// The fire whose work job `job` does.
    public func scheduleFire(job: Int64) throws(StoreError) -> ScheduleFire? {
        try read("read the fire of job \(job)") { db in try ScheduleFire.filter(Column("jobId") == job).fetchOne(db) }
    }
}
