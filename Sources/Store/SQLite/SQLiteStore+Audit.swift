public import Foundation
public import GRDB
public import Store

// MARK: Audit and rollouts

extension Event: FetchableRecord, MutablePersistableRecord {
    /// The table of these records.
    public static let databaseTableName = "events"

    /// Takes the id SQLite gave the new row.
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension Rollout: FetchableRecord, MutablePersistableRecord {
    /// The table of these records.
    public static let databaseTableName = "rollouts"

    /// Takes the id SQLite gave the new row.
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension SQLiteStore {
    /// Records an event of the audit trail; returns it with its id.
    @discardableResult
    public func record(_ event: Event) throws(StoreError) -> Event {
        try write("record the \(event.kind) event of \(event.model)") { db in
            var event = event
            try event.insert(db)
            return event
        }
    }

    /// The events of an environment, newest first.
    public func events(repository: String, environment: String, model: String?, before: Date?, limit: Int) throws(StoreError) -> [Event] {
        try read("read the events of \(environment)") { db in
            var request = Event.filter(Column("repository") == repository && Column("environment") == environment)
            if let model { request = request.filter(Column("model") == model) }
            if let before { request = request.filter(Column("time") <= before) }
            return try request.order(Column("time").desc, Column("id").desc).limit(max(0, limit)).fetchAll(db)
        }
    }

    /// Begins a rollout leased to `owner`, or returns the same one running; another running
    /// rollout of the model ends as superseded.
    public func begin(_ rollout: Rollout, owner: String, lease: TimeInterval, now: Date) throws(StoreError) -> (rollout: Rollout, began: Bool) {
        try write("begin the rollout of \(rollout.model) \(rollout.toVersion)") { db in
            if let running = try Rollout.filter(
                Column("repository") == rollout.repository && Column("environment") == rollout.environment && Column("model") == rollout.model
                    && Column("state") == Rollout.State.running.rawValue && Column("toVersion") == rollout.toVersion
                    && Column("planDigest") == rollout.planDigest
            ).order(Column("id").desc).fetchOne(db) {
                return (running, false)
            }
            try db.execute(
                sql: """
                    UPDATE rollouts SET state = 'superseded', endedAt = ?, leaseOwner = NULL, leaseExpiresAt = NULL
                    WHERE repository = ? AND environment = ? AND model = ? AND state = 'running'
                    """, arguments: [now, rollout.repository, rollout.environment, rollout.model])
            var rollout = rollout
            rollout.leaseOwner = owner
            rollout.leaseExpiresAt = now.addingTimeInterval(lease)
            try rollout.insert(db)
            return (rollout, true)
        }
    }

    /// Records a rollout's new state when `owner` holds its lease.
    public func update(_ rollout: Rollout, owner: String, now: Date) throws(StoreError) -> Bool {
        guard let id = rollout.id else { throw StoreError.notFound("rollout of \(rollout.model) \(rollout.toVersion)") }
        return try write("record the rollout of \(rollout.model) \(rollout.toVersion)") { db in
            guard let stored = try Rollout.fetchOne(db, key: id), stored.leaseOwner == owner, (stored.leaseExpiresAt ?? .distantPast) >= now,
                stored.state == .running
            else { return false }
            var rollout = rollout
            rollout.leaseOwner = rollout.state == .running ? owner : nil
            rollout.leaseExpiresAt = rollout.state == .running ? stored.leaseExpiresAt : nil
            try rollout.update(db)
            return true
        }
    }

    /// Takes or renews the lease on rollout `id` for `owner`.
    public func leaseRollout(_ id: Int64, owner: String, lease: TimeInterval, now: Date) throws(StoreError) -> Bool {
        try write("lease rollout \(id)") { db in
            try db.execute(
                sql: """
                    UPDATE rollouts SET leaseOwner = ?, leaseExpiresAt = ?
                    WHERE id = ? AND state = 'running' AND (leaseOwner IS NULL OR leaseOwner = ? OR leaseExpiresAt < ?)
                    """, arguments: [owner, now.addingTimeInterval(lease), id, owner, now])
            return db.changesCount > 0
        }
    }

    /// The newest rollout of each model of an environment, by model.
    public func latestRollouts(repository: String, environment: String) throws(StoreError) -> [Rollout] {
        try read("read the rollouts of \(environment)") { db in
            try Rollout.fetchAll(
                db,
                sql: """
                    SELECT * FROM rollouts WHERE id IN
                    (SELECT MAX(id) FROM rollouts WHERE repository = ? AND environment = ? GROUP BY model) ORDER BY model
                    """, arguments: [repository, environment])
        }
    }
}
