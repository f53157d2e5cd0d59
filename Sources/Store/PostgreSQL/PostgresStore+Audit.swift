public import Foundation
internal import PostgresNIO
public import Store

extension Event {
    /// The event in `row` (`events.*`).
    init(_ row: Columns) throws {
        self.init(
            time: try row.date("time"), repository: try row("repository"), environment: try row("environment"), model: try row("model"),
            fromVersion: try row("fromVersion"), toVersion: try row("toVersion"), kind: Kind(rawValue: try row("kind")), reason: try row("reason"),
            cause: try row("cause"), details: try row("details"))
        id = try row("id")
    }
}

extension Rollout {
    /// The rollout in `row` (`rollouts.*`).
    init(_ row: Columns) throws {
        self.init(
            repository: try row("repository"), environment: try row("environment"), model: try row("model"), fromVersion: try row("fromVersion"),
            toVersion: try row("toVersion"), bundle: try row("bundle"), planDigest: try row("planDigest"), percent: try row("percent"),
            now: try row.date("startedAt"))
        id = try row("id")
        state = try row.raw("state")
        step = try row("step")
        stepStartedAt = try row.date("stepStartedAt")
        endedAt = try row.optionalDate("endedAt")
        reason = try row("reason")
        leaseOwner = try row("leaseOwner")
        leaseExpiresAt = try row.optionalDate("leaseExpiresAt")
    }
}

// MARK: Audit and rollouts

extension PostgresStore {
    /// Records an event of the audit trail; returns it with its id.
    @discardableResult
    public func record(_ event: Event) throws(StoreError) -> Event {
        try transaction("record the \(event.kind) event of \(event.model)") { db in
            var event = event
            event.id = try db.value(
                """
                INSERT INTO events (time, repository, environment, model, fromVersion, toVersion, kind, reason, cause, details)
                VALUES (\(event.time.stored), \(event.repository), \(event.environment), \(event.model), \(event.fromVersion), \(event.toVersion),
                \(event.kind.rawValue), \(event.reason), \(event.cause), \(event.details)) RETURNING id
                """, as: Int64.self)
            return event
        }
    }

    /// The events of an environment, newest first.
    public func events(repository: String, environment: String, model: String?, before: Date?, limit: Int) throws(StoreError) -> [Event] {
        try transaction("read the events of \(environment)") { db in
            try db.all(
                """
                SELECT * FROM events WHERE repository = \(repository) AND environment = \(environment)
                AND (\(model)::text IS NULL OR model = \(model)) AND (\(before.stored)::float8 IS NULL OR time <= \(before.stored))
                ORDER BY time DESC, id DESC LIMIT \(max(0, limit))
                """, Event.init)
        }
    }

    /// Begins a rollout leased to `owner`, or returns the same one running; another running
    /// rollout of the model ends as superseded (one beginning of a model's rollouts at a time).
    public func begin(_ rollout: Rollout, owner: String, lease: TimeInterval, now: Date) throws(StoreError) -> (rollout: Rollout, began: Bool) {
        try transaction("begin the rollout of \(rollout.model) \(rollout.toVersion)") { db in
            try db.lock(.rollouts, "\(rollout.repository)\n\(rollout.environment)\n\(rollout.model)")
            if let running = try db.one(
                """
                SELECT * FROM rollouts WHERE repository = \(rollout.repository) AND environment = \(rollout.environment) AND model = \(rollout.model)
                AND state = 'running' AND toVersion = \(rollout.toVersion) AND planDigest = \(rollout.planDigest) ORDER BY id DESC LIMIT 1
                """, Rollout.init)
            {
                return (running, false)
            }
            try db.execute(
                """
                UPDATE rollouts SET state = 'superseded', endedAt = \(now.stored), leaseOwner = NULL, leaseExpiresAt = NULL
                WHERE repository = \(rollout.repository) AND environment = \(rollout.environment) AND model = \(rollout.model) AND state = 'running'
                """)
            var rollout = rollout
            rollout.leaseOwner = owner
            rollout.leaseExpiresAt = now.addingTimeInterval(lease)
            rollout.id = try db.value(
                """
                INSERT INTO rollouts (repository, environment, model, fromVersion, toVersion, bundle, planDigest, state, step, percent, startedAt,
                stepStartedAt, endedAt, reason, leaseOwner, leaseExpiresAt)
                VALUES (\(rollout.repository), \(rollout.environment), \(rollout.model), \(rollout.fromVersion), \(rollout.toVersion), \(rollout.bundle),
                \(rollout.planDigest), \(rollout.state.rawValue), \(rollout.step), \(rollout.percent), \(rollout.startedAt.stored),
                \(rollout.stepStartedAt.stored), \(rollout.endedAt.stored), \(rollout.reason), \(rollout.leaseOwner), \(rollout.leaseExpiresAt.stored))
                RETURNING id
                """, as: Int64.self)
            return (rollout, true)
        }
    }

    /// Records a rollout's new state when `owner` holds its lease.
    public func update(_ rollout: Rollout, owner: String, now: Date) throws(StoreError) -> Bool {
        guard let id = rollout.id else { throw StoreError.notFound("rollout of \(rollout.model) \(rollout.toVersion)") }
        return try transaction("record the rollout of \(rollout.model) \(rollout.toVersion)") { db in
            guard let stored = try db.one("SELECT * FROM rollouts WHERE id = \(id) FOR UPDATE", Rollout.init), stored.leaseOwner == owner,
                (stored.leaseExpiresAt ?? .distantPast) >= Date(timeIntervalSince1970: now.stored), stored.state == .running
            else { return false }
            var rollout = rollout
            rollout.leaseOwner = rollout.state == .running ? owner : nil
            rollout.leaseExpiresAt = rollout.state == .running ? stored.leaseExpiresAt : nil
            try db.execute(
                """
                UPDATE rollouts SET repository = \(rollout.repository), environment = \(rollout.environment), model = \(rollout.model),
                fromVersion = \(rollout.fromVersion), toVersion = \(rollout.toVersion), bundle = \(rollout.bundle), planDigest = \(rollout.planDigest),
                state = \(rollout.state.rawValue), step = \(rollout.step), percent = \(rollout.percent), startedAt = \(rollout.startedAt.stored),
                stepStartedAt = \(rollout.stepStartedAt.stored), endedAt = \(rollout.endedAt.stored), reason = \(rollout.reason),
                leaseOwner = \(rollout.leaseOwner), leaseExpiresAt = \(rollout.leaseExpiresAt.stored) WHERE id = \(id)
                """)
            return true
        }
    }

    /// Takes or renews the lease on rollout `id` for `owner`.
    public func leaseRollout(_ id: Int64, owner: String, lease: TimeInterval, now: Date) throws(StoreError) -> Bool {
        try transaction("lease rollout \(id)") { db in
            try db.execute(
                """
                UPDATE rollouts SET leaseOwner = \(owner), leaseExpiresAt = \(now.addingTimeInterval(lease).stored)
                WHERE id = \(id) AND state = 'running' AND (leaseOwner IS NULL OR leaseOwner = \(owner) OR leaseExpiresAt < \(now.stored))
                """) > 0
        }
    }

    /// The newest rollout of each model of an environment, by model.
    public func latestRollouts(repository: String, environment: String) throws(StoreError) -> [Rollout] {
        try transaction("read the rollouts of \(environment)") { db in
            try db.all(
                """
                SELECT * FROM rollouts WHERE id IN
                (SELECT MAX(id) FROM rollouts WHERE repository = \(repository) AND environment = \(environment) GROUP BY model)
                ORDER BY model COLLATE "C"
                """, Rollout.init)
        }
    }
}
