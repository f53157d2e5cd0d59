public import Foundation
internal import GRDB
public import Store

// MARK: Models and sessions

extension SQLiteStore {
    /// The id of the model `name` of the repository at `path`, created when new.
    public func modelID(repository path: String, name: String) throws(StoreError) -> Int64 {
        try write("record the model \(name) of \(path)") { db in
            try db.execute(sql: "INSERT OR IGNORE INTO repositories (path, createdAt) VALUES (?, ?)", arguments: [path, Date()])
            let repository = try Int64.fetchOne(db, sql: "SELECT id FROM repositories WHERE path = ?", arguments: [path])!
            try db.execute(sql: "INSERT OR IGNORE INTO models (repositoryId, name) VALUES (?, ?)", arguments: [repository, name])
            return try Int64.fetchOne(db, sql: "SELECT id FROM models WHERE repositoryId = ? AND name = ?", arguments: [repository, name])!
        }
    }

    /// The model with `id`, if there is one.
    public func model(id: Int64) throws(StoreError) -> ModelRecord? {
        try read("read model \(id)") { db in try ModelRecord.fetchOne(db, key: id) }
    }

    /// Every model with the repository it belongs to, by repository and name.
    public func models() throws(StoreError) -> [RegisteredModel] {
        try read("read the models") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT models.id, models.name, models.repositoryId, repositories.path FROM models
                    JOIN repositories ON repositories.id = models.repositoryId ORDER BY repositories.path, models.name
                    """
            ).map { RegisteredModel(id: $0["id"], name: $0["name"], repositoryId: $0["repositoryId"], repository: $0["path"]) }
        }
    }

    /// Records a new session as it is.
    public func insert(_ session: Session) throws(StoreError) {
        try write("record session \(session.id)") { db in try session.insert(db) }
    }

    /// Inserts `session` with an id that depends only on what it runs.
    public func insertNumbered(_ session: inout Session, model: String) throws(StoreError) {
        let start = session
        session = try write("record a session of \(model) at \(start.commit)") { db in
            var session = start
            // Sessions a killed run left behind do not count (they were given other ids when they
            // were marked), so the run that does their work again gets the id a fresh home gives.
            var ordinal =
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT COUNT(*) FROM sessions WHERE modelId = ? AND "commit" = ? AND recipe = ?
                        AND \(Session.notInterruptedSQL) AND \(Session.notLiveSQL)
                        """,
                    arguments: [session.modelId, session.commit, session.recipe]) ?? 0
            while true {
                session.id = Session.id(model: model, commit: session.commit, recipe: session.recipe, ordinal: ordinal)
                if try Session.exists(db, key: session.id) {
                    ordinal += 1
                    continue
                }
                try session.insert(db)
                return session
            }
        }
    }

    /// Records a session's new state (its end, its failure).
    public func update(_ session: Session) throws(StoreError) {
        try write("update session \(session.id)") { db in try session.update(db) }
    }

    /// The session with `id`, if there is one.
    public func session(id: String) throws(StoreError) -> Session? {
        try read("read session \(id)") { db in try Session.fetchOne(db, key: id) }
    }

    /// The first passed session of `modelID` at `commit`.
    public func firstPassedSession(modelID: Int64, commit: String) throws(StoreError) -> Session? {
        try read("read the sessions of model \(modelID) at \(commit)") { db in
            try Session.filter(
                Column("modelId") == modelID && Column("commit") == commit && Column("status") == Session.Status.passed.rawValue && Session.notLive
            )
            .order(Column("startedAt"), Column("rowid")).fetchOne(db)
        }
    }

    /// The latest session of a model at a commit, passed or not.
    public func latestSession(modelID: Int64, commit: String) throws(StoreError) -> Session? {
        try read("read the sessions of model \(modelID) at \(commit)") { db in
            try Session.filter(Column("modelId") == modelID && Column("commit") == commit && Session.notLive).order(Column("startedAt").desc).fetchOne(db)
        }
    }

    /// The latest session of each model of the repository at `path` at `commit`.
    public func latestSessions(repository path: String, commit: String) throws(StoreError) -> [NamedSession] {
        try read("read the sessions of \(path) at \(commit)") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT sessions.*, models.name AS modelName FROM sessions JOIN models ON models.id = sessions.modelId
                    JOIN repositories ON repositories.id = models.repositoryId WHERE repositories.path = ? AND sessions."commit" = ?
                    AND \(Session.notLiveSQL)
                    ORDER BY sessions.startedAt DESC, sessions.rowid DESC
                    """, arguments: [path, commit]
            ).reduce(into: [NamedSession]()) { latest, row in
                let model: String = row["modelName"]
                if !latest.contains(where: { $0.model == model }) { latest.append((try Session(row: row), model)) }
            }
        }
    }

    /// Sessions of the repository at `path` started at or after `date`, oldest first.
    public func sessions(repository path: String, since date: Date) throws(StoreError) -> [NamedSession] {
        try read("read the sessions of \(path)") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT sessions.*, models.name AS modelName FROM sessions JOIN models ON models.id = sessions.modelId
                    JOIN repositories ON repositories.id = models.repositoryId
                    WHERE repositories.path = ? AND sessions.startedAt >= ? AND \(Session.notLiveSQL)
                    ORDER BY sessions.startedAt, sessions.rowid
                    """, arguments: [path, date]
            ).map { (try Session(row: $0), $0["modelName"] as String) }
        }
    }

    /// At most `limit` sessions, newest first, of one model or all, of one repository or all.
    public func newestSessions(model: String?, repository: String?, limit: Int) throws(StoreError) -> [NamedSession] {
        try namedSessions("read the sessions", model: model, repository: repository, where: "1", limit: limit)
    }

    /// Sessions whose id begins with `prefix` (lowercase), newest first, narrowed as `sessions` is.
    public func sessions(idPrefix prefix: String, model: String?, repository: String?) throws(StoreError) -> [NamedSession] {
        // LIKE with the pattern's own wildcards taken out, then the prefix compared exactly.
        let pattern = prefix.replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "") + "%"
        return try namedSessions(
            "find the sessions whose id begins with \(prefix)", model: model, repository: repository,
            where: "sessions.id LIKE ?", argument: pattern
        )
        .filter { $0.session.id.hasPrefix(prefix) }
    }

    /// Sessions that have a version, newest first, narrowed as `sessions` is.
    public func versionedSessions(model: String?, repository: String?) throws(StoreError) -> [NamedSession] {
        try namedSessions(
            "read the sessions of versions", model: model, repository: repository,
            where: "sessions.version IS NOT NULL AND sessions.version <> ? AND \(Session.notLiveSQL)", argument: "")
    }

    /// Sessions with their model's name, newest first, narrowed by model and repository.
    private func namedSessions(
        _ operation: String, model: String?, repository: String?, where condition: String, argument: String? = nil, limit: Int = -1
    ) throws(StoreError) -> [NamedSession] {
        try read(operation) { db in
            var arguments: StatementArguments = [model, model, repository, repository]
            if let argument { arguments += [argument] }
            arguments += [limit]
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT sessions.*, models.name AS modelName FROM sessions JOIN models ON models.id = sessions.modelId
                    JOIN repositories ON repositories.id = models.repositoryId
                    WHERE (? IS NULL OR models.name = ?) AND (? IS NULL OR repositories.path = ?) AND \(condition)
                    ORDER BY sessions.startedAt DESC, sessions.rowid DESC LIMIT ?
                    """, arguments: arguments
            ).map { (try Session(row: $0), $0["modelName"] as String) }
        }
    }

    /// The newest passed session of a model for the same tree and recipe that did its own work.
    public func reusableSession(modelID: Int64, tree: String, recipe: String) throws(StoreError) -> Session? {
        try read("read the sessions of model \(modelID) of tree \(tree)") { db in
            try Session.filter(
                Column("modelId") == modelID && Column("tree") == tree && Column("recipe") == recipe
                    && Column("status") == Session.Status.passed.rawValue && Column("reusedFrom") == nil && Session.notLive
            )
            .order(Column("startedAt").desc).fetchOne(db)
        }
    }

    /// Every passed session of a model that ran a released version, newest first.
    public func releaseSessions(modelID: Int64) throws(StoreError) -> [Session] {
        try read("read the release sessions of model \(modelID)") { db in
            try Session.filter(
                Column("modelId") == modelID && Column("status") == Session.Status.passed.rawValue
                    && Column("version") != nil && Session.notLive
            )
            .order(Column("startedAt").desc).fetchAll(db)
        }
    }

    /// Ends as failed ("interrupted") the sessions a stopped run left running, under new ids.
    @discardableResult
    public func interruptStaleSessions(repository path: String, triggers: [Trigger]) throws(StoreError) -> [(old: String, new: String)] {
        try write("mark the sessions a stopped run left in \(path)") { db in
            let marks = databaseQuestionMarks(count: triggers.count)
            let ids = try String.fetchAll(
                db,
                sql: """
                    SELECT sessions.id FROM sessions JOIN models ON models.id = sessions.modelId
                    JOIN repositories ON repositories.id = models.repositoryId
                    WHERE repositories.path = ? AND sessions.status = 'running' AND sessions.trigger IN (\(marks))
                    """, arguments: StatementArguments([path] + triggers.map(\.rawValue)))
            guard !ids.isEmpty else { return [] }
            // The children are moved to the new id before the commit checks the references.
            try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
            var moved: [(old: String, new: String)] = []
            for id in ids {
                let new = "\(id)-interrupted-\(UUID().uuidString.prefix(8).lowercased())"
                try db.execute(
                    sql: "UPDATE sessions SET id = ?, status = 'failed', failure = ?, endedAt = ? WHERE id = ?",
                    arguments: [
                        new, "\(Session.interrupted): the run making it was stopped before it ended", Date(), id,
                    ])
                try db.execute(sql: "UPDATE steps SET sessionId = ?, logPath = REPLACE(logPath, ?, ?) WHERE sessionId = ?", arguments: [new, id, new, id])
                for table in ["metrics", "artifacts", "gates"] {
                    try db.execute(sql: "UPDATE \(table) SET sessionId = ? WHERE sessionId = ?", arguments: [new, id])
                }
                moved.append((id, new))
            }
            return moved
        }
    }
}

// MARK: What a session did

extension SQLiteStore {
    /// Records a step of a session.
    public func record(_ step: Step) throws(StoreError) {
        try write("record step \(step.name) of session \(step.sessionId)") { db in try step.insert(db) }
    }

    /// The steps of `session`, in the order they were recorded.
    public func steps(session: String) throws(StoreError) -> [Step] {
        try read("read the steps of session \(session)") { db in try Step.filter(Column("sessionId") == session).order(Column("id")).fetchAll(db) }
    }

    /// Records metrics, replacing a value measured before under the same name and split.
    public func record(_ metrics: [Metric]) throws(StoreError) {
        try write("record metrics of session \(metrics.first?.sessionId ?? "")") { db in for metric in metrics { try metric.upsert(db) } }
    }

    /// The metrics of `session`, by split and name.
    public func metrics(session: String) throws(StoreError) -> [Metric] {
        try read("read the metrics of session \(session)") { db in
            try Metric.filter(Column("sessionId") == session).order(Column("split"), Column("name")).fetchAll(db)
        }
    }

    /// The metrics of each of `sessions` in one read, by session, split and name.
    public func metrics(sessions: [String]) throws(StoreError) -> [Metric] {
        if sessions.isEmpty { return [] }
        return try read("read the metrics of \(sessions.count) sessions") { db in
            try Metric.filter(sessions.contains(Column("sessionId"))).order(Column("sessionId"), Column("split"), Column("name")).fetchAll(db)
        }
    }

    /// Records the files a session produced.
    public func record(_ artifacts: [Artifact]) throws(StoreError) {
        try write("record artifacts of session \(artifacts.first?.sessionId ?? "")") { db in for artifact in artifacts { try artifact.upsert(db) } }
    }

    /// The files of `session`, by path.
    public func artifacts(session: String) throws(StoreError) -> [Artifact] {
        try read("read the artifacts of session \(session)") { db in try Artifact.filter(Column("sessionId") == session).order(Column("path")).fetchAll(db) }
    }

    /// Records the gates `session` checked, in order (replacing any recorded before).
    public func record(gates: [GateResult], session: String) throws(StoreError) {
        try write("record the gates of session \(session)") { db in
            try GateRow.filter(Column("sessionId") == session).deleteAll(db)
            for (position, gate) in gates.enumerated() {
                try GateRow(session: session, position: position, gate).insert(db)
            }
        }
    }

    /// The gates `session` checked, in the order they were checked.
    public func gates(session: String) throws(StoreError) -> [GateResult] {
        try read("read the gates of session \(session)") { db in
            try GateRow.filter(Column("sessionId") == session).order(Column("position")).fetchAll(db).map(\.result)
        }
    }
}

// MARK: Bundles and environments

extension SQLiteStore {
    /// Records a published bundle (a model and version already recorded stays as it is).
    public func record(_ bundle: BundleRecord) throws(StoreError) {
        try write("record bundle \(bundle.version) of model \(bundle.modelId)") { db in try bundle.insert(db, onConflict: .ignore) }
    }

    /// Every bundle with its model's name, by model name and age.
    public func bundles() throws(StoreError) -> [(bundle: BundleRecord, model: String)] {
        try read("read the bundles") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT bundles.*, models.name AS modelName FROM bundles JOIN models ON models.id = bundles.modelId
                    ORDER BY models.name, bundles.createdAt
                    """
            ).map { (try BundleRecord(row: $0), $0["modelName"]) }
        }
    }

    /// Bundles of the repository at `path` published at or after `date`, oldest first.
    public func bundles(repository path: String, since date: Date) throws(StoreError) -> [(bundle: BundleRecord, model: String)] {
        try read("read the bundles of \(path)") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT bundles.*, models.name AS modelName FROM bundles JOIN models ON models.id = bundles.modelId
                    JOIN repositories ON repositories.id = models.repositoryId
                    WHERE repositories.path = ? AND bundles.createdAt >= ? ORDER BY bundles.createdAt
                    """, arguments: [path, date]
            ).map { (try BundleRecord(row: $0), $0["modelName"]) }
        }
    }

    /// The bundle of a model's version, if it was published.
    public func bundle(modelID: Int64, version: String) throws(StoreError) -> BundleRecord? {
        try read("read bundle \(version) of model \(modelID)") { db in
            try BundleRecord.filter(Column("modelId") == modelID && Column("version") == version).fetchOne(db)
        }
    }

    /// Records what an environment runs now.
    public func record(_ environment: EnvironmentRecord) throws(StoreError) {
        try write("record environment \(environment.name) of \(environment.model)") { db in try environment.save(db) }
    }

    /// The environments of the repository at `path`, by model and name.
    public func environments(repository path: String) throws(StoreError) -> [EnvironmentRecord] {
        try read("read the environments of \(path)") { db in
            try EnvironmentRecord.filter(Column("repository") == path).order(Column("model"), Column("name")).fetchAll(db)
        }
    }
}

// MARK: Jobs

extension SQLiteStore {
    /// Queues a reconcile of `repository`.
    public func enqueue(
        repository: String, refs: [String], trigger: Trigger, delivery: String?, maxAttempts: Int, now: Date
    ) throws(StoreError) -> Enqueued {
        try write("queue a job for \(repository)") { db in
            if let delivery, let seen = try Int64.fetchOne(db, sql: "SELECT jobId FROM deliveries WHERE key = ?", arguments: [delivery]) {
                return Enqueued(job: seen, outcome: .duplicate)
            }
            let result: Enqueued
            // A schedule's job does its own work (a fire): a push is never folded into it.
            if var waiting = try Job.filter(
                Column("repository") == repository && Column("state") == Job.State.queued.rawValue && Column("attempts") == 0
                    && Column("trigger") != Trigger.schedule.rawValue
            )
            .order(Column("id")).fetchOne(db) {
                waiting.merge(refs: refs)
                try waiting.update(db)
                result = Enqueued(job: waiting.id!, outcome: .merged)
            } else {
                var job = Job(repository: repository, trigger: trigger, refs: refs, maxAttempts: maxAttempts, now: now)
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
    public func seen(delivery: String) throws(StoreError) -> Bool {
        try read("read delivery \(delivery)") { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM deliveries WHERE key = ?)", arguments: [delivery]) ?? false
        }
    }

    /// Takes the oldest due job whose repository no live lease holds, leasing it to `worker`.
    public func claimJob(
        worker: String, lease: TimeInterval, busy: Set<String>, maxAttempts: Int, now: @autoclosure () -> Date
    ) throws(StoreError) -> Claim {
        try write("take a job for \(worker)") { db in
            // Read under the write lock, so a job's start is never before the end of one
            // that held its repository until this transaction could begin.
            let now = now()
            let candidates = try Job.fetchAll(
                db,
                sql: """
                    SELECT * FROM jobs
                    WHERE ((state = 'queued' AND notBefore <= ?) OR (state = 'running' AND leaseExpiresAt < ?))
                    AND repository NOT IN (SELECT repository FROM jobs WHERE state = 'running' AND leaseExpiresAt >= ?)
                    ORDER BY id
                    """, arguments: [now, now, now])
            var claim = Claim()
            for var job in candidates where !busy.contains(job.repository) {
                let taken = job.take(worker: worker, lease: lease, maxAttempts: maxAttempts, now: now)
                try job.update(db)
                if taken {
                    claim.job = job
                    return claim
                }
                claim.givenUp.append(job)
            }
            return claim
        }
    }

    /// Extends `worker`'s lease on job `id`.
    public func renewJob(_ id: Int64, worker: String, lease: TimeInterval, now: Date) throws(StoreError) -> Bool {
        try write("renew the lease of job \(id)") { db in
            try db.execute(
                sql: "UPDATE jobs SET leaseExpiresAt = ? WHERE id = ? AND leaseOwner = ? AND state = 'running'",
                arguments: [now.addingTimeInterval(lease), id, worker])
            return db.changesCount > 0
        }
    }

    /// Records the end of `worker`'s attempt at job `id` (`Job.end`).
    public func finishJob(_ id: Int64, worker: String, end: JobEnd, maxAttempts: Int, now: Date) throws(StoreError) -> Job? {
        try write("record the end of job \(id)") { db in
            guard var job = try Job.fetchOne(db, key: id), job.leaseOwner == worker, job.state == .running else { return nil }
            job.end(end, maxAttempts: maxAttempts, now: now)
            try job.update(db)
            return job
        }
    }

    /// Jobs, newest first.
    public func jobs(limit: Int) throws(StoreError) -> [Job] {
        try read("read the jobs") { db in try Job.order(Column("id").desc).limit(limit).fetchAll(db) }
    }

    /// The job with `id`, if there is one.
    public func job(id: Int64) throws(StoreError) -> Job? {
        try read("read job \(id)") { db in try Job.fetchOne(db, key: id) }
    }

    /// Whether any job is queued (due or not) or running.
    public func hasPendingJobs() throws(StoreError) -> Bool {
        try read("read the jobs") { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM jobs WHERE state IN ('queued', 'running'))") ?? false
        }
    }
}
