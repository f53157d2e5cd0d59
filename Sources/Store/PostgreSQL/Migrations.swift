internal import Foundation
internal import PostgresNIO
internal import Store

/// One version of the schema: its statements, applied in one transaction.
struct PostgresMigration {
    var version: Int
    var name: String
    var statements: [String]
}

extension PostgresStore {
    /// The key of the session-level advisory lock every process takes to migrate: many opening a
    /// new database at once migrate it once.
    static let migrationLock: Int64 = 0x6D66_5F73_6368_656D  // "mf_schem"

    /// The schema's history, in order; never edited once released. The first is SQLite's
    /// v1…v9 in one (a new engine has no older homes).
    static let migrations: [PostgresMigration] = [
        PostgresMigration(
            version: 1, name: "v1-v9: the SQLite schema (repositories … drift samples)",
            statements: [
                "CREATE TABLE repositories (id BIGSERIAL PRIMARY KEY, path TEXT NOT NULL UNIQUE, createdAt DOUBLE PRECISION NOT NULL)",
                """
                CREATE TABLE models (
                    id BIGSERIAL PRIMARY KEY, repositoryId BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
                    name TEXT NOT NULL, UNIQUE (repositoryId, name))
                """,
                """
                CREATE TABLE sessions (
                    seq BIGSERIAL NOT NULL, id TEXT PRIMARY KEY, modelId BIGINT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
                    "commit" TEXT NOT NULL, tree TEXT NOT NULL, recipe TEXT NOT NULL, ref TEXT, version TEXT, "trigger" TEXT NOT NULL,
                    status TEXT NOT NULL, startedAt DOUBLE PRECISION NOT NULL, endedAt DOUBLE PRECISION, failure TEXT, reusedFrom TEXT)
                """,
                "CREATE INDEX sessionsByModelTree ON sessions (modelId, tree, recipe)",
                "CREATE INDEX sessionsByModelCommit ON sessions (modelId, \"commit\")",
                """
                CREATE TABLE steps (
                    id BIGSERIAL PRIMARY KEY, sessionId TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE ON UPDATE CASCADE,
                    name TEXT NOT NULL, status TEXT NOT NULL, startedAt DOUBLE PRECISION NOT NULL, seconds DOUBLE PRECISION NOT NULL,
                    logPath TEXT, message TEXT)
                """,
                "CREATE INDEX stepsBySession ON steps (sessionId)",
                """
                CREATE TABLE metrics (
                    sessionId TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE ON UPDATE CASCADE,
                    modelId BIGINT NOT NULL REFERENCES models (id) ON DELETE CASCADE, name TEXT NOT NULL, split TEXT NOT NULL,
                    value DOUBLE PRECISION, PRIMARY KEY (sessionId, name, split))
                """,
                """
                CREATE TABLE artifacts (
                    sessionId TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE ON UPDATE CASCADE, path TEXT NOT NULL,
                    size BIGINT NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (sessionId, path))
                """,
                """
                CREATE TABLE gates (
                    sessionId TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE ON UPDATE CASCADE, position BIGINT NOT NULL,
                    gate TEXT NOT NULL, passed BOOLEAN NOT NULL, detail TEXT NOT NULL, metric TEXT, value DOUBLE PRECISION,
                    "limit" DOUBLE PRECISION, PRIMARY KEY (sessionId, position))
                """,
                """
                CREATE TABLE bundles (
                    modelId BIGINT NOT NULL REFERENCES models (id) ON DELETE CASCADE, version TEXT NOT NULL, tag TEXT,
                    ref TEXT NOT NULL DEFAULT '', "commit" TEXT NOT NULL, sessionId TEXT NOT NULL, path TEXT NOT NULL, archive TEXT NOT NULL,
                    sha256 TEXT NOT NULL, createdAt DOUBLE PRECISION NOT NULL, PRIMARY KEY (modelId, version))
                """,
                """
                CREATE TABLE environments (
                    repository TEXT NOT NULL, model TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL, tag TEXT,
                    "commit" TEXT NOT NULL, bundle TEXT NOT NULL, updatedAt DOUBLE PRECISION NOT NULL, PRIMARY KEY (repository, model, name))
                """,
                """
                CREATE TABLE jobs (
                    id BIGSERIAL PRIMARY KEY, repository TEXT NOT NULL, "trigger" TEXT NOT NULL, refs TEXT NOT NULL, state TEXT NOT NULL,
                    attempts BIGINT NOT NULL, maxAttempts BIGINT NOT NULL, notBefore DOUBLE PRECISION NOT NULL, leaseOwner TEXT,
                    leaseExpiresAt DOUBLE PRECISION, createdAt DOUBLE PRECISION NOT NULL, startedAt DOUBLE PRECISION,
                    endedAt DOUBLE PRECISION, lastError TEXT, summary TEXT, notifiedAt DOUBLE PRECISION)
                """,
                "CREATE INDEX jobsByState ON jobs (state, repository)",
                "CREATE TABLE deliveries (key TEXT PRIMARY KEY, jobId BIGINT NOT NULL, receivedAt DOUBLE PRECISION NOT NULL)",
                """
                CREATE TABLE predictions (
                    seq BIGSERIAL PRIMARY KEY, model TEXT NOT NULL, version TEXT NOT NULL, id TEXT NOT NULL, repository TEXT,
                    time DOUBLE PRECISION NOT NULL, inputs TEXT NOT NULL, outputs TEXT NOT NULL)
                """,
                "CREATE INDEX predictionsByModelID ON predictions (model, id, time)",
                "CREATE INDEX predictionsByModelVersion ON predictions (model, version, time)",
                """
                CREATE TABLE labels (
                    seq BIGSERIAL PRIMARY KEY, model TEXT NOT NULL, id TEXT NOT NULL, label TEXT NOT NULL, time DOUBLE PRECISION NOT NULL)
                """,
                "CREATE INDEX labelsByModelID ON labels (model, id, time)",
                """
                CREATE TABLE liveSessions (
                    sessionId TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE ON UPDATE CASCADE, model TEXT NOT NULL,
                    liveOf TEXT NOT NULL, rows BIGINT NOT NULL)
                """,
                "CREATE INDEX liveSessionsByModel ON liveSessions (model)",
                """
                CREATE TABLE events (
                    id BIGSERIAL PRIMARY KEY, time DOUBLE PRECISION NOT NULL, repository TEXT NOT NULL, environment TEXT NOT NULL,
                    model TEXT NOT NULL, fromVersion TEXT, toVersion TEXT, kind TEXT NOT NULL, reason TEXT NOT NULL, cause TEXT NOT NULL,
                    details TEXT)
                """,
                "CREATE INDEX eventsByEnvironment ON events (repository, environment, time)",
                """
                CREATE TABLE rollouts (
                    id BIGSERIAL PRIMARY KEY, repository TEXT NOT NULL, environment TEXT NOT NULL, model TEXT NOT NULL,
                    fromVersion TEXT NOT NULL, toVersion TEXT NOT NULL, bundle TEXT NOT NULL, planDigest TEXT NOT NULL, state TEXT NOT NULL,
                    step BIGINT NOT NULL, percent BIGINT NOT NULL, startedAt DOUBLE PRECISION NOT NULL, stepStartedAt DOUBLE PRECISION NOT NULL,
                    endedAt DOUBLE PRECISION, reason TEXT, leaseOwner TEXT, leaseExpiresAt DOUBLE PRECISION)
                """,
                "CREATE INDEX rolloutsByModel ON rollouts (repository, environment, model)",
                """
                CREATE TABLE driftSamples (
                    id BIGSERIAL PRIMARY KEY, time DOUBLE PRECISION NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL, field TEXT NOT NULL,
                    psi DOUBLE PRECISION, missingShare DOUBLE PRECISION NOT NULL, outOfSchemaShare DOUBLE PRECISION NOT NULL,
                    count BIGINT NOT NULL)
                """,
                "CREATE INDEX driftSamplesByModel ON driftSamples (model, version, time)",
            ]),
        PostgresMigration(
            version: 2, name: "v10: repository identities and traffic declarations",
            statements: [
                // `repositories.path` holds each repository's identity; where it was last registered from beside it.
                "ALTER TABLE repositories ADD COLUMN location TEXT",
                "UPDATE repositories SET location = path WHERE path LIKE '/%'",
                """
                CREATE TABLE traffic (
                    repository TEXT NOT NULL, environment TEXT NOT NULL, "commit" TEXT, declaration TEXT,
                    recordedAt DOUBLE PRECISION NOT NULL, PRIMARY KEY (repository, environment))
                """,
            ]),
        PostgresMigration(
            version: 3, name: "v11: blobs",
            statements: [
                "CREATE TABLE blobs (digest TEXT PRIMARY KEY, size BIGINT NOT NULL, chunks BIGINT NOT NULL, createdAt DOUBLE PRECISION NOT NULL)",
                """
                CREATE TABLE blobChunks (
                    digest TEXT NOT NULL, position BIGINT NOT NULL, sha256 TEXT NOT NULL, bytes BYTEA NOT NULL, PRIMARY KEY (digest, position))
                """,
            ]),
        PostgresMigration(
            version: 4, name: "v12-scores",
            statements: [
                """
                CREATE TABLE scoreRuns (
                    id TEXT PRIMARY KEY, model TEXT NOT NULL, version TEXT NOT NULL, input TEXT NOT NULL, inputSize BIGINT NOT NULL,
                    inputModifiedAt DOUBLE PRECISION NOT NULL, output TEXT, rejects TEXT NOT NULL, key TEXT, batchSize BIGINT NOT NULL,
                    status TEXT NOT NULL, startedAt DOUBLE PRECISION NOT NULL, endedAt DOUBLE PRECISION, failure TEXT, rowsRead BIGINT NOT NULL,
                    rowsScored BIGINT NOT NULL, rowsRejected BIGINT NOT NULL, inputOffset BIGINT NOT NULL, outputOffset BIGINT NOT NULL,
                    rejectsOffset BIGINT NOT NULL)
                """,
                "CREATE INDEX scoreRunsByModel ON scoreRuns (model, startedAt)",
                """
                CREATE TABLE scores (
                    runId TEXT NOT NULL REFERENCES scoreRuns (id) ON DELETE CASCADE, key TEXT NOT NULL,
                    "row" BIGINT NOT NULL, outputs TEXT NOT NULL, PRIMARY KEY (runId, key))
                """,
                "CREATE INDEX scoresByRow ON scores (runId, \"row\")",
            ]),
        PostgresMigration(
            version: 5, name: "v13: schedule fires",
            statements: [
                """
                CREATE TABLE scheduleFires (
                    id BIGSERIAL PRIMARY KEY, repository TEXT NOT NULL, entry TEXT NOT NULL, model TEXT NOT NULL, action TEXT NOT NULL,
                    scheduledAt DOUBLE PRECISION NOT NULL, firedAt DOUBLE PRECISION NOT NULL, worker TEXT NOT NULL, missed BIGINT NOT NULL,
                    state TEXT NOT NULL, jobId BIGINT, session TEXT, candidate TEXT, dataSha256 TEXT, proposed BOOLEAN NOT NULL, result TEXT,
                    endedAt DOUBLE PRECISION, UNIQUE (repository, entry, scheduledAt))
                """,
                "CREATE INDEX scheduleFiresByJob ON scheduleFires (jobId)",
            ]),
        PostgresMigration(
            version: 6, name: "v14: data checks",
            statements: [
                """
                CREATE TABLE dataChecks (
                    sessionId TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE ON UPDATE CASCADE, position BIGINT NOT NULL,
                    dataset TEXT NOT NULL, path TEXT NOT NULL, rows BIGINT NOT NULL, passed BOOLEAN NOT NULL, result TEXT NOT NULL,
                    PRIMARY KEY (sessionId, position))
                """
            ]),
    ]

    /// Applies the migrations this database has not had, each in its own transaction, under the
    /// advisory lock (held by this connection until it is done).
    func migrate() throws(StoreError) {
        try run("create or update its tables") { () throws -> Void in
            let connection = try acquire()
            defer { connection.closeSoon() }
            let transaction = Transaction(connection: connection, logger: logger, explicit: true)
            try transaction.execute("SELECT pg_advisory_lock(\(Self.migrationLock))")
            try transaction.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """)
            let applied = Set(try transaction.all("SELECT version FROM schema_migrations") { try $0("version", as: Int.self) })
            for migration in Self.migrations where !applied.contains(migration.version) {
                do {
                    try transaction.execute("BEGIN")
                    for statement in migration.statements { try transaction.execute(PostgresQuery(unsafeSQL: statement)) }
                    try transaction.execute("INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))")
                    try transaction.execute("COMMIT")
                } catch {
                    _ = try? transaction.execute("ROLLBACK")
                    throw MigrationFailed(name: migration.name, underlying: error)
                }
            }
            try transaction.execute("SELECT pg_advisory_unlock(\(Self.migrationLock))")
        }
    }
}

/// A migration that failed (its transaction rolled back).
struct MigrationFailed: Error, CustomStringConvertible {
    var name: String
    var underlying: any Error
    var description: String { "migration \(name) failed: \(PostgresStore.reason(underlying))" }
}
