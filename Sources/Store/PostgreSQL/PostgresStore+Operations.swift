public import Foundation
internal import PostgresNIO
public import Store

/// The namespaces of the transaction-scoped advisory locks (`pg_advisory_xact_lock(space, hashtext(key))`)
/// that keep apart what SQLite's single writer keeps apart.
enum LockSpace: Int32 {
    /// A model's sessions at a commit and recipe, while one is numbered.
    case sessionNumbers = 1
    /// A repository's jobs, while one is queued or taken.
    case repositoryJobs = 2
    /// A delivery key, while it is looked up and remembered.
    case deliveries = 3
    /// A model's rollouts in an environment, while one begins.
    case rollouts = 4
    /// A repository's records, while they are re-keyed to its identity.
    case repositoryIdentity = 5
    /// A repository's work (the reconciler's lock, held on a connection of its own for a whole run).
    case repositoryWork = 6
    /// A blob, while it is recorded whole.
    case blobs = 7
}

extension Transaction {
    /// Waits for the advisory lock on `key` in `space`, held until the transaction ends.
    func lock(_ space: LockSpace, _ key: String) throws {
        try execute("SELECT pg_advisory_xact_lock(\(space.rawValue), hashtext(\(key)))")
    }

    /// Takes the advisory lock on `key` in `space` if no other transaction holds it.
    func tryLock(_ space: LockSpace, _ key: String) throws -> Bool {
        try value("SELECT pg_try_advisory_xact_lock(\(space.rawValue), hashtext(\(key)))", as: Bool.self) ?? false
    }
}

extension Session {
    /// A killed run's session, as SQL over `sessions`, negated (see `Session.wasInterrupted`).
    static let notInterruptedSQL = "NOT (sessions.status = 'failed' AND sessions.failure LIKE '\(interrupted)%')"
    /// Live sessions (trigger `live`) and a schedule's (trigger `schedule`) left out, as SQL over `sessions`.
    static let notLiveSQL = "sessions.\"trigger\" NOT IN ('\(Trigger.live.rawValue)', '\(Trigger.schedule.rawValue)')"

    /// The session in `row` (`sessions.*`).
    init(_ row: Columns) throws {
        self.init(
            id: try row("id"), modelId: try row("modelId"), commit: try row("commit"), tree: try row("tree"), recipe: try row("recipe"),
            ref: try row("ref"), version: try row("version"), trigger: try row.raw("trigger"), status: try row.raw("status"),
            startedAt: try row.date("startedAt"), endedAt: try row.optionalDate("endedAt"), failure: try row("failure"),
            reusedFrom: try row("reusedFrom"))
    }
}

// MARK: Models and sessions

extension PostgresStore {
    /// The id of the model `name` of the repository at `path`, created when new.
    public func modelID(repository path: String, name: String) throws(StoreError) -> Int64 {
        try transaction("record the model \(name) of \(path)") { db in
            try db.execute("INSERT INTO repositories (path, createdAt) VALUES (\(path), \(Date().stored)) ON CONFLICT (path) DO NOTHING")
            let repository = try db.value("SELECT id FROM repositories WHERE path = \(path)", as: Int64.self)!
            try db.execute("INSERT INTO models (repositoryId, name) VALUES (\(repository), \(name)) ON CONFLICT (repositoryId, name) DO NOTHING")
            return try db.value("SELECT id FROM models WHERE repositoryId = \(repository) AND name = \(name)", as: Int64.self)!
        }
    }

    /// The model with `id`, if there is one.
    public func model(id: Int64) throws(StoreError) -> ModelRecord? {
        try transaction("read model \(id)") { db in
            try db.one("SELECT id, repositoryId, name FROM models WHERE id = \(id)") { row in
                ModelRecord(id: try row("id"), repositoryId: try row("repositoryId"), name: try row("name"))
            }
        }
    }

    /// Every model with the repository it belongs to, by repository and name.
    public func models() throws(StoreError) -> [RegisteredModel] {
        try transaction("read the models") { db in
            try db.all(
                """
                SELECT models.id, models.name, models.repositoryId, repositories.path FROM models
                JOIN repositories ON repositories.id = models.repositoryId ORDER BY repositories.path COLLATE "C", models.name COLLATE "C"
                """
            ) { row in RegisteredModel(id: try row("id"), name: try row("name"), repositoryId: try row("repositoryId"), repository: try row("path")) }
        }
    }

    /// Records a new session as it is.
    public func insert(_ session: Session) throws(StoreError) {
        try transaction("record session \(session.id)") { db in try Self.insert(session, db) }
    }

    static func insert(_ session: Session, _ db: Transaction) throws {
        try db.execute(
            """
            INSERT INTO sessions (id, modelId, "commit", tree, recipe, ref, version, "trigger", status, startedAt, endedAt, failure, reusedFrom)
            VALUES (\(session.id), \(session.modelId), \(session.commit), \(session.tree), \(session.recipe), \(session.ref), \(session.version),
            \(session.trigger.rawValue), \(session.status.rawValue), \(session.startedAt.stored), \(session.endedAt.stored), \(session.failure),
            \(session.reusedFrom))
            """)
    }

    /// Inserts `session` with an id that depends only on what it runs.
    public func insertNumbered(_ session: inout Session, model: String) throws(StoreError) {
        let start = session
        session = try transaction("record a session of \(model) at \(start.commit)") { db in
            var session = start
            try db.lock(.sessionNumbers, "\(session.modelId)\n\(session.commit)\n\(session.recipe)")
            // Sessions a killed run left behind do not count (they were given other ids).
            var ordinal =
                try db.value(
                    """
                    SELECT COUNT(*) FROM sessions WHERE modelId = \(session.modelId) AND "commit" = \(session.commit) AND recipe = \(session.recipe)
                    AND \(unescaped: Session.notInterruptedSQL) AND \(unescaped: Session.notLiveSQL)
                    """, as: Int.self) ?? 0
            while true {
                session.id = Session.id(model: model, commit: session.commit, recipe: session.recipe, ordinal: ordinal)
                if try db.value("SELECT 1 FROM sessions WHERE id = \(session.id)", as: Int.self) != nil {
                    ordinal += 1
                    continue
                }
                try Self.insert(session, db)
                return session
            }
        }
    }

    /// Records a session's new state (its end, its failure).
    public func update(_ session: Session) throws(StoreError) {
        try transaction("update session \(session.id)") { db in
            let updated = try db.execute(
                """
                UPDATE sessions SET modelId = \(session.modelId), "commit" = \(session.commit), tree = \(session.tree), recipe = \(session.recipe),
                ref = \(session.ref), version = \(session.version), "trigger" = \(session.trigger.rawValue), status = \(session.status.rawValue),
                startedAt = \(session.startedAt.stored), endedAt = \(session.endedAt.stored), failure = \(session.failure),
                reusedFrom = \(session.reusedFrom) WHERE id = \(session.id)
                """)
            if updated == 0 { throw StoreError.notFound(session.id) }
        }
    }

    /// The session with `id`, if there is one.
    public func session(id: String) throws(StoreError) -> Session? {
        try transaction("read session \(id)") { db in try db.one("SELECT * FROM sessions WHERE id = \(id)", Session.init) }
    }

    /// The first passed session of `modelID` at `commit`.
    public func firstPassedSession(modelID: Int64, commit: String) throws(StoreError) -> Session? {
        try transaction("read the sessions of model \(modelID) at \(commit)") { db in
            try db.one(
                """
                SELECT * FROM sessions WHERE modelId = \(modelID) AND "commit" = \(commit) AND status = 'passed' AND \(unescaped: Session.notLiveSQL)
                ORDER BY startedAt, seq LIMIT 1
                """, Session.init)
        }
    }

    /// The latest session of a model at a commit, passed or not.
    public func latestSession(modelID: Int64, commit: String) throws(StoreError) -> Session? {
        try transaction("read the sessions of model \(modelID) at \(commit)") { db in
            try db.one(
                """
                SELECT * FROM sessions WHERE modelId = \(modelID) AND "commit" = \(commit) AND \(unescaped: Session.notLiveSQL)
                ORDER BY startedAt DESC, seq DESC LIMIT 1
                """, Session.init)
        }
    }

    /// The latest session of each model of the repository at `path` at `commit`.
    public func latestSessions(repository path: String, commit: String) throws(StoreError) -> [NamedSession] {
        try transaction("read the sessions of \(path) at \(commit)") { db in
            try db.all(
                """
                SELECT sessions.*, models.name AS modelName FROM sessions JOIN models ON models.id = sessions.modelId
                JOIN repositories ON repositories.id = models.repositoryId WHERE repositories.path = \(path) AND sessions."commit" = \(commit)
                AND \(unescaped: Session.notLiveSQL) ORDER BY sessions.startedAt DESC, sessions.seq DESC
                """, Self.named
            ).reduce(into: [NamedSession]()) { latest, named in
                if !latest.contains(where: { $0.model == named.model }) { latest.append(named) }
            }
        }
    }

    /// Sessions of the repository at `path` started at or after `date`, oldest first.
    public func sessions(repository path: String, since date: Date) throws(StoreError) -> [NamedSession] {
        try transaction("read the sessions of \(path)") { db in
            try db.all(
                """
                SELECT sessions.*, models.name AS modelName FROM sessions JOIN models ON models.id = sessions.modelId
                JOIN repositories ON repositories.id = models.repositoryId
                WHERE repositories.path = \(path) AND sessions.startedAt >= \(date.stored) AND \(unescaped: Session.notLiveSQL)
                ORDER BY sessions.startedAt, sessions.seq
                """, Self.named)
        }
    }

    /// At most `limit` sessions, newest first, of one model or all, of one repository or all.
    public func newestSessions(model: String?, repository: String?, limit: Int) throws(StoreError) -> [NamedSession] {
        try namedSessions("read the sessions", model: model, repository: repository, limit: limit)
    }

    /// Sessions whose id begins with `prefix` (lowercase), newest first, narrowed as `sessions` is.
    public func sessions(idPrefix prefix: String, model: String?, repository: String?) throws(StoreError) -> [NamedSession] {
        // LIKE with the pattern's own wildcards taken out, then the prefix compared exactly.
        let pattern = prefix.replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "").replacingOccurrences(of: "\\", with: "") + "%"
        return try namedSessions("find the sessions whose id begins with \(prefix)", model: model, repository: repository, idPattern: pattern)
            .filter { $0.session.id.hasPrefix(prefix) }
    }

    /// Sessions that have a version, newest first, narrowed as `sessions` is.
    public func versionedSessions(model: String?, repository: String?) throws(StoreError) -> [NamedSession] {
        try namedSessions("read the sessions of versions", model: model, repository: repository, versioned: true)
    }

    /// Sessions with their model's name, newest first, narrowed by model, repository, id and version.
    private func namedSessions(
        _ operation: String, model: String?, repository: String?, idPattern: String? = nil, versioned: Bool = false, limit: Int = -1
    ) throws(StoreError) -> [NamedSession] {
        try transaction(operation) { db in
            try db.all(
                """
                SELECT sessions.*, models.name AS modelName FROM sessions JOIN models ON models.id = sessions.modelId
                JOIN repositories ON repositories.id = models.repositoryId
                WHERE (\(model)::text IS NULL OR models.name = \(model)) AND (\(repository)::text IS NULL OR repositories.path = \(repository))
                AND (\(idPattern)::text IS NULL OR sessions.id LIKE \(idPattern))
                AND (NOT \(versioned) OR (sessions.version IS NOT NULL AND sessions.version <> '' AND \(unescaped: Session.notLiveSQL)))
                ORDER BY sessions.startedAt DESC, sessions.seq DESC LIMIT \(rowLimit(limit))
                """, Self.named)
        }
    }

    static func named(_ row: Columns) throws -> NamedSession { (try Session(row), try row("modelName")) }

    /// The newest passed session of a model for the same tree and recipe that did its own work.
    public func reusableSession(modelID: Int64, tree: String, recipe: String) throws(StoreError) -> Session? {
        try transaction("read the sessions of model \(modelID) of tree \(tree)") { db in
            try db.one(
                """
                SELECT * FROM sessions WHERE modelId = \(modelID) AND tree = \(tree) AND recipe = \(recipe) AND status = 'passed'
                AND reusedFrom IS NULL AND \(unescaped: Session.notLiveSQL) ORDER BY startedAt DESC, seq DESC LIMIT 1
                """, Session.init)
        }
    }

    /// Every passed session of a model that ran a released version, newest first.
    public func releaseSessions(modelID: Int64) throws(StoreError) -> [Session] {
        try transaction("read the release sessions of model \(modelID)") { db in
            try db.all(
                """
                SELECT * FROM sessions WHERE modelId = \(modelID) AND status = 'passed' AND version IS NOT NULL AND \(unescaped: Session.notLiveSQL)
                ORDER BY startedAt DESC, seq DESC
                """, Session.init)
        }
    }

    /// Ends as failed ("interrupted") the sessions a stopped run left running, under new ids
    /// (their steps, metrics, gates and artifacts follow by `ON UPDATE CASCADE`).
    @discardableResult
    public func interruptStaleSessions(repository path: String, triggers: [Trigger]) throws(StoreError) -> [(old: String, new: String)] {
        try transaction("mark the sessions a stopped run left in \(path)") { db in
            let ids = try db.all(
                """
                SELECT sessions.id FROM sessions JOIN models ON models.id = sessions.modelId
                JOIN repositories ON repositories.id = models.repositoryId
                WHERE repositories.path = \(path) AND sessions.status = 'running' AND sessions."trigger" = ANY(\(triggers.map(\.rawValue)))
                ORDER BY sessions.seq
                """
            ) { row in try row("id", as: String.self) }
            var moved: [(old: String, new: String)] = []
            for id in ids {
                let new = "\(id)-interrupted-\(UUID().uuidString.prefix(8).lowercased())"
                let failure = "\(Session.interrupted): the run making it was stopped before it ended"
                try db.execute("UPDATE sessions SET id = \(new), status = 'failed', failure = \(failure), endedAt = \(Date().stored) WHERE id = \(id)")
                try db.execute("UPDATE steps SET logPath = REPLACE(logPath, \(id), \(new)) WHERE sessionId = \(new)")
                moved.append((id, new))
            }
            return moved
        }
    }
}

// MARK: What a session did

extension PostgresStore {
    /// Records a step of a session.
    public func record(_ step: Step) throws(StoreError) {
        try transaction("record step \(step.name) of session \(step.sessionId)") { db in
            try db.execute(
                """
                INSERT INTO steps (id, sessionId, name, status, startedAt, seconds, logPath, message)
                VALUES (COALESCE(\(step.id), nextval('steps_id_seq')), \(step.sessionId), \(step.name), \(step.status.rawValue),
                \(step.startedAt.stored), \(step.seconds), \(step.logPath), \(step.message))
                """)
        }
    }

    /// The steps of `session`, in the order they were recorded.
    public func steps(session: String) throws(StoreError) -> [Step] {
        try transaction("read the steps of session \(session)") { db in
            try db.all("SELECT * FROM steps WHERE sessionId = \(session) ORDER BY id") { row in
                Step(
                    id: try row("id"), sessionId: try row("sessionId"), name: try row("name"), status: try row.raw("status"),
                    startedAt: try row.date("startedAt"), seconds: try row("seconds"), logPath: try row("logPath"), message: try row("message"))
            }
        }
    }

    /// Records metrics, replacing a value measured before under the same name and split.
    public func record(_ metrics: [Metric]) throws(StoreError) {
        try transaction("record metrics of session \(metrics.first?.sessionId ?? "")") { db in
            for metric in metrics { try Self.upsert(metric, db) }
        }
    }

    static func upsert(_ metric: Metric, _ db: Transaction) throws {
        try db.execute(
            """
            INSERT INTO metrics (sessionId, modelId, name, split, value) VALUES (\(metric.sessionId), \(metric.modelId), \(metric.name),
            \(metric.split), \(metric.value)) ON CONFLICT (sessionId, name, split) DO UPDATE SET modelId = EXCLUDED.modelId, value = EXCLUDED.value
            """)
    }

    static func metric(_ row: Columns) throws -> Metric {
        Metric(sessionId: try row("sessionId"), modelId: try row("modelId"), name: try row("name"), split: try row("split"), value: try row("value"))
    }

    /// The metrics of `session`, by split and name.
    public func metrics(session: String) throws(StoreError) -> [Metric] {
        try transaction("read the metrics of session \(session)") { db in
            try db.all("SELECT * FROM metrics WHERE sessionId = \(session) ORDER BY split COLLATE \"C\", name COLLATE \"C\"", Self.metric)
        }
    }

    /// The metrics of each of `sessions` in one read, by session, split and name.
    public func metrics(sessions: [String]) throws(StoreError) -> [Metric] {
        if sessions.isEmpty { return [] }
        return try transaction("read the metrics of \(sessions.count) sessions") { db in
            try db.all(
                """
                SELECT * FROM metrics WHERE sessionId = ANY(\(sessions)) ORDER BY sessionId COLLATE "C", split COLLATE "C", name COLLATE "C"
                """, Self.metric)
        }
    }

    /// Records the files a session produced.
    public func record(_ artifacts: [Artifact]) throws(StoreError) {
        try transaction("record artifacts of session \(artifacts.first?.sessionId ?? "")") { db in
            for artifact in artifacts {
                try db.execute(
                    """
                    INSERT INTO artifacts (sessionId, path, size, sha256) VALUES (\(artifact.sessionId), \(artifact.path), \(artifact.size),
                    \(artifact.sha256)) ON CONFLICT (sessionId, path) DO UPDATE SET size = EXCLUDED.size, sha256 = EXCLUDED.sha256
                    """)
            }
        }
    }

    /// The files of `session`, by path.
    public func artifacts(session: String) throws(StoreError) -> [Artifact] {
        try transaction("read the artifacts of session \(session)") { db in
            try db.all("SELECT * FROM artifacts WHERE sessionId = \(session) ORDER BY path COLLATE \"C\"") { row in
                Artifact(sessionId: try row("sessionId"), path: try row("path"), size: try row("size"), sha256: try row("sha256"))
            }
        }
    }

    /// Records the gates `session` checked, in order (replacing any recorded before).
    public func record(gates: [GateResult], session: String) throws(StoreError) {
        try transaction("record the gates of session \(session)") { db in
            try db.execute("DELETE FROM gates WHERE sessionId = \(session)")
            for (position, gate) in gates.enumerated() {
                try db.execute(
                    """
                    INSERT INTO gates (sessionId, position, gate, passed, detail, metric, value, "limit") VALUES (\(session), \(position),
                    \(gate.gate), \(gate.passed), \(gate.detail), \(gate.metric), \(gate.value), \(gate.limit))
                    """)
            }
        }
    }

    /// The gates `session` checked, in the order they were checked.
    public func gates(session: String) throws(StoreError) -> [GateResult] {
        try transaction("read the gates of session \(session)") { db in
            try db.all("SELECT * FROM gates WHERE sessionId = \(session) ORDER BY position") { row in
                GateResult(
                    gate: try row("gate"), passed: try row("passed"), detail: try row("detail"), metric: try row("metric"), value: try row("value"),
                    limit: try row("limit"))
            }
        }
    }
}

// MARK: Bundles and environments

extension PostgresStore {
    /// Records a published bundle (a model and version already recorded stays as it is).
    public func record(_ bundle: BundleRecord) throws(StoreError) {
        try transaction("record bundle \(bundle.version) of model \(bundle.modelId)") { db in
            try db.execute(
                """
                INSERT INTO bundles (modelId, version, tag, ref, "commit", sessionId, path, archive, sha256, createdAt)
                VALUES (\(bundle.modelId), \(bundle.version), \(bundle.tag), \(bundle.ref), \(bundle.commit), \(bundle.sessionId), \(bundle.path),
                \(bundle.archive), \(bundle.sha256), \(bundle.createdAt.stored)) ON CONFLICT DO NOTHING
                """)
        }
    }

    static func bundle(_ row: Columns) throws -> BundleRecord {
        BundleRecord(
            modelId: try row("modelId"), version: try row("version"), tag: try row("tag"), ref: try row("ref"), commit: try row("commit"),
            sessionId: try row("sessionId"), path: try row("path"), archive: try row("archive"), sha256: try row("sha256"),
            createdAt: try row.date("createdAt"))
    }

    /// Every bundle with its model's name, by model name and age.
    public func bundles() throws(StoreError) -> [(bundle: BundleRecord, model: String)] {
        try transaction("read the bundles") { db in
            try db.all(
                """
                SELECT bundles.*, models.name AS modelName FROM bundles JOIN models ON models.id = bundles.modelId
                ORDER BY models.name COLLATE "C", bundles.createdAt
                """
            ) { row in (try Self.bundle(row), try row("modelName", as: String.self)) }
        }
    }

    /// Bundles of the repository at `path` published at or after `date`, oldest first.
    public func bundles(repository path: String, since date: Date) throws(StoreError) -> [(bundle: BundleRecord, model: String)] {
        try transaction("read the bundles of \(path)") { db in
            try db.all(
                """
                SELECT bundles.*, models.name AS modelName FROM bundles JOIN models ON models.id = bundles.modelId
                JOIN repositories ON repositories.id = models.repositoryId
                WHERE repositories.path = \(path) AND bundles.createdAt >= \(date.stored) ORDER BY bundles.createdAt
                """
            ) { row in (try Self.bundle(row), try row("modelName", as: String.self)) }
        }
    }

    /// The bundle of a model's version, if it was published.
    public func bundle(modelID: Int64, version: String) throws(StoreError) -> BundleRecord? {
        try transaction("read bundle \(version) of model \(modelID)") { db in
            try db.one("SELECT * FROM bundles WHERE modelId = \(modelID) AND version = \(version)", Self.bundle)
        }
    }

    /// Records what an environment runs now.
    public func record(_ environment: EnvironmentRecord) throws(StoreError) {
        try transaction("record environment \(environment.name) of \(environment.model)") { db in
            try db.execute(
                """
                INSERT INTO environments (repository, model, name, version, tag, "commit", bundle, updatedAt)
                VALUES (\(environment.repository), \(environment.model), \(environment.name), \(environment.version), \(environment.tag),
                \(environment.commit), \(environment.bundle), \(environment.updatedAt.stored))
                ON CONFLICT (repository, model, name) DO UPDATE SET version = EXCLUDED.version, tag = EXCLUDED.tag, "commit" = EXCLUDED."commit",
                bundle = EXCLUDED.bundle, updatedAt = EXCLUDED.updatedAt
                """)
        }
    }

    /// The environments of the repository at `path`, by model and name.
    public func environments(repository path: String) throws(StoreError) -> [EnvironmentRecord] {
        try transaction("read the environments of \(path)") { db in
            try db.all("SELECT * FROM environments WHERE repository = \(path) ORDER BY model COLLATE \"C\", name COLLATE \"C\"") { row in
                EnvironmentRecord(
                    repository: try row("repository"), model: try row("model"), name: try row("name"), version: try row("version"),
                    tag: try row("tag"), commit: try row("commit"), bundle: try row("bundle"), updatedAt: try row.date("updatedAt"))
            }
        }
    }
}

/// A row limit as SQLite reads one: a negative limit is none (`LIMIT NULL`).
func rowLimit(_ limit: Int) -> Int? { limit < 0 ? nil : limit }
