internal import Foundation
internal import GRDB
internal import Store

extension SQLiteStore {
    /// The schema's history, applied in order to every store opened.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: repositories, models, sessions, steps, metrics, artifacts") { db in
            try db.create(table: "repositories") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("path", .text).notNull().unique()
                table.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "models") { table in
                table.autoIncrementedPrimaryKey("id")
                table.belongsTo("repository", onDelete: .cascade).notNull()
                table.column("name", .text).notNull()
                table.uniqueKey(["repositoryId", "name"])
            }
            try db.create(table: "sessions") { table in
                table.primaryKey("id", .text)
                table.belongsTo("model", onDelete: .cascade).notNull()
                table.column("commit", .text).notNull()
                table.column("tree", .text).notNull()
                table.column("recipe", .text).notNull()
                table.column("ref", .text)
                table.column("version", .text)
                table.column("trigger", .text).notNull()
                table.column("status", .text).notNull()
                table.column("startedAt", .datetime).notNull()
                table.column("endedAt", .datetime)
                table.column("failure", .text)
                table.column("reusedFrom", .text)
            }
            try db.create(index: "sessionsByModelTree", on: "sessions", columns: ["modelId", "tree", "recipe"])
            try db.create(table: "steps") { table in
                table.autoIncrementedPrimaryKey("id")
                table.belongsTo("session", onDelete: .cascade).notNull()
                table.column("name", .text).notNull()
                table.column("status", .text).notNull()
                table.column("startedAt", .datetime).notNull()
                table.column("seconds", .double).notNull()
                table.column("logPath", .text)
                table.column("message", .text)
            }
            try db.create(table: "metrics") { table in
                table.belongsTo("session", onDelete: .cascade).notNull()
                table.belongsTo("model", onDelete: .cascade).notNull()
                table.column("name", .text).notNull()
                table.column("split", .text).notNull()
                table.column("value", .double)
                table.primaryKey(["sessionId", "name", "split"])
            }
            try db.create(table: "artifacts") { table in
                table.belongsTo("session", onDelete: .cascade).notNull()
                table.column("path", .text).notNull()
                table.column("size", .integer).notNull()
                table.column("sha256", .text).notNull()
                table.primaryKey(["sessionId", "path"])
            }
        }
        migrator.registerMigration("v2: bundles") { db in
            try db.create(table: "bundles") { table in
                table.belongsTo("model", onDelete: .cascade).notNull()
                table.column("version", .text).notNull()
                table.column("tag", .text).notNull()
                table.column("commit", .text).notNull()
                table.column("sessionId", .text).notNull()
                table.column("path", .text).notNull()
                table.column("archive", .text).notNull()
                table.column("sha256", .text).notNull()
                table.column("createdAt", .datetime).notNull()
                table.primaryKey(["modelId", "version"])
            }
        }
        migrator.registerMigration("v3: environments") { db in
            try db.create(table: "environments") { table in
                table.column("repository", .text).notNull()
                table.column("model", .text).notNull()
                table.column("name", .text).notNull()
                table.column("version", .text).notNull()
                table.column("tag", .text).notNull()
                table.column("commit", .text).notNull()
                table.column("bundle", .text).notNull()
                table.column("updatedAt", .datetime).notNull()
                table.primaryKey(["repository", "model", "name"])
            }
        }
        migrator.registerMigration("v4: bundle refs") { db in
            // The ref a bundle was made from; a staging bundle has a branch and no tag ('').
            try db.alter(table: "bundles") { table in table.add(column: "ref", .text).notNull().defaults(to: "") }
            try db.execute(sql: "UPDATE bundles SET ref = 'refs/tags/' || tag WHERE tag != ''")
        }
        migrator.registerMigration("v5: jobs and deliveries") { db in
            try db.create(table: "jobs") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("repository", .text).notNull()
                table.column("trigger", .text).notNull()
                table.column("refs", .text).notNull()
                table.column("state", .text).notNull()
                table.column("attempts", .integer).notNull()
                table.column("maxAttempts", .integer).notNull()
                table.column("notBefore", .datetime).notNull()
                table.column("leaseOwner", .text)
                table.column("leaseExpiresAt", .datetime)
                table.column("createdAt", .datetime).notNull()
                table.column("startedAt", .datetime)
                table.column("endedAt", .datetime)
                table.column("lastError", .text)
                table.column("summary", .text)
                table.column("notifiedAt", .datetime)
            }
            try db.create(index: "jobsByState", on: "jobs", columns: ["state", "repository"])
            try db.create(table: "deliveries") { table in
                table.primaryKey("key", .text)
                table.column("jobId", .integer).notNull()
                table.column("receivedAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v6: gates, and NULL for no tag") { db in
            // Each gate a session checked, as data (it was a message joined with "; ").
            try db.create(table: "gates") { table in
                table.belongsTo("session", onDelete: .cascade).notNull()
                table.column("position", .integer).notNull()
                table.column("gate", .text).notNull()
                table.column("passed", .boolean).notNull()
                table.column("detail", .text).notNull()
                table.column("metric", .text)
                table.column("value", .double)
                table.column("limit", .double)
                table.primaryKey(["sessionId", "position"])
            }
            for (session, gates) in try GatesStep.recorded(db) {
                for (position, gate) in gates.enumerated() {
                    try GateRow(session: session, position: position, gate).insert(db)
                }
            }
            // A bundle (and an environment) without a tag had ''; SQLite cannot drop a NOT NULL,
            // so the tables are made again with the column nullable.
            try db.create(table: "newBundles") { table in
                table.belongsTo("model", onDelete: .cascade).notNull()
                table.column("version", .text).notNull()
                table.column("tag", .text)
                table.column("commit", .text).notNull()
                table.column("sessionId", .text).notNull()
                table.column("path", .text).notNull()
                table.column("archive", .text).notNull()
                table.column("sha256", .text).notNull()
                table.column("createdAt", .datetime).notNull()
                table.column("ref", .text).notNull().defaults(to: "")
                table.primaryKey(["modelId", "version"])
            }
            try db.execute(
                sql: """
                    INSERT INTO newBundles (modelId, version, tag, "commit", sessionId, path, archive, sha256, createdAt, ref)
                    SELECT modelId, version, NULLIF(tag, ''), "commit", sessionId, path, archive, sha256, createdAt, ref FROM bundles
                    """)
            try db.drop(table: "bundles")
            try db.rename(table: "newBundles", to: "bundles")
            try db.create(table: "newEnvironments") { table in
                table.column("repository", .text).notNull()
                table.column("model", .text).notNull()
                table.column("name", .text).notNull()
                table.column("version", .text).notNull()
                table.column("tag", .text)
                table.column("commit", .text).notNull()
                table.column("bundle", .text).notNull()
                table.column("updatedAt", .datetime).notNull()
                table.primaryKey(["repository", "model", "name"])
            }
            try db.execute(
                sql: """
                    INSERT INTO newEnvironments (repository, model, name, version, tag, "commit", bundle, updatedAt)
                    SELECT repository, model, name, version, NULLIF(tag, ''), "commit", bundle, updatedAt FROM environments
                    """)
            try db.drop(table: "environments")
            try db.rename(table: "newEnvironments", to: "environments")
        }
        migrator.registerMigration("v7: prediction log and feedback") { db in
            // Keyed by the model's name and version text, not a model id: a server may serve
            // bundles whose repository this store has never seen.
            try db.create(table: "predictions") { table in
                table.column("model", .text).notNull()
                table.column("version", .text).notNull()
                table.column("id", .text).notNull()
                table.column("repository", .text)
                table.column("time", .datetime).notNull()
                table.column("inputs", .text).notNull()
                table.column("outputs", .text).notNull()
            }
            try db.create(index: "predictionsByModelID", on: "predictions", columns: ["model", "id", "time"])
            try db.create(index: "predictionsByModelVersion", on: "predictions", columns: ["model", "version", "time"])
            // Labels are kept as they come and joined when read (see `FeedbackLabel`).
            try db.create(table: "labels") { table in
                table.column("model", .text).notNull()
                table.column("id", .text).notNull()
                table.column("label", .text).notNull()
                table.column("time", .datetime).notNull()
            }
            try db.create(index: "labelsByModelID", on: "labels", columns: ["model", "id", "time"])
            // A live session's link to the release session it watches, and the rows it evaluated.
            try db.create(table: "liveSessions") { table in
                table.primaryKey("sessionId", .text).references("sessions", onDelete: .cascade)
                table.column("model", .text).notNull()
                table.column("liveOf", .text).notNull()
                table.column("rows", .integer).notNull()
            }
            try db.create(index: "liveSessionsByModel", on: "liveSessions", columns: ["model"])
        }

        migrator.registerMigration("v8: events and rollouts") { db in
            // The audit trail: every environment change, rollout decision, admin change and alert.
            try db.create(table: "events") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("time", .datetime).notNull()
                table.column("repository", .text).notNull()
                table.column("environment", .text).notNull()
                table.column("model", .text).notNull()
                table.column("fromVersion", .text)
                table.column("toVersion", .text)
                table.column("kind", .text).notNull()
                table.column("reason", .text).notNull()
                table.column("cause", .text).notNull()
                table.column("details", .text)
            }
            try db.create(index: "eventsByEnvironment", on: "events", columns: ["repository", "environment", "time"])
            // Progressive rollouts, each with the lease of the server that drives it.
            try db.create(table: "rollouts") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("repository", .text).notNull()
                table.column("environment", .text).notNull()
                table.column("model", .text).notNull()
                table.column("fromVersion", .text).notNull()
                table.column("toVersion", .text).notNull()
                table.column("bundle", .text).notNull()
                table.column("planDigest", .text).notNull()
                table.column("state", .text).notNull()
                table.column("step", .integer).notNull()
                table.column("percent", .integer).notNull()
                table.column("startedAt", .datetime).notNull()
                table.column("stepStartedAt", .datetime).notNull()
                table.column("endedAt", .datetime)
                table.column("reason", .text)
                table.column("leaseOwner", .text)
                table.column("leaseExpiresAt", .datetime)
            }
            try db.create(index: "rolloutsByModel", on: "rollouts", columns: ["repository", "environment", "model"])
        }

        migrator.registerMigration("v9: drift samples") { db in
            // Each field's drift as mf serve measured it, now and then: the dashboard's history.
            try db.create(table: "driftSamples") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("time", .datetime).notNull()
                table.column("model", .text).notNull()
                table.column("version", .text).notNull()
                table.column("field", .text).notNull()
                table.column("psi", .double)
                table.column("missingShare", .double).notNull()
                table.column("outOfSchemaShare", .double).notNull()
                table.column("count", .integer).notNull()
            }
            try db.create(index: "driftSamplesByModel", on: "driftSamples", columns: ["model", "version", "time"])
        }

        migrator.registerMigration("v10: repository identities and traffic declarations") { db in
            // `repositories.path` holds each repository's identity (its origin URL, else its
            // path); where it was last registered from is kept beside it.
            try db.alter(table: "repositories") { table in table.add(column: "location", .text) }
            try db.execute(sql: "UPDATE repositories SET location = path WHERE path LIKE '/%'")
            // The `.mf/traffic.yaml` of each environment's head, as the reconciler last read it.
            try db.create(table: "traffic") { table in
                table.column("repository", .text).notNull()
                table.column("environment", .text).notNull()
                table.column("commit", .text)
                table.column("declaration", .text)
                table.column("recordedAt", .datetime).notNull()
                table.primaryKey(["repository", "environment"])
            }
        }

        migrator.registerMigration("v11-blobs") { db in
            // Content-addressed blobs (bundles' archives), kept as chunks each with its SHA-256.
            // A chunk is written before its blob's row; a blob is read only once its row says whole.
            try db.create(table: "blobs") { table in
                table.primaryKey("digest", .text)
                table.column("size", .integer).notNull()
                table.column("chunks", .integer).notNull()
                table.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "blobChunks") { table in
                table.column("digest", .text).notNull()
                table.column("position", .integer).notNull()
                table.column("sha256", .text).notNull()
                table.column("bytes", .blob).notNull()
                table.primaryKey(["digest", "position"])
            }
        }

        migrator.registerMigration("v12-scores") { db in
            // Batch scoring (mf score): each run with its position, and the scores of runs that
            // write to the store. A batch's scores and the run's new position are one transaction.
            try db.create(table: "scoreRuns") { table in
                table.primaryKey("id", .text)
                table.column("model", .text).notNull()
                table.column("version", .text).notNull()
                table.column("input", .text).notNull()
                table.column("inputSize", .integer).notNull()
                table.column("inputModifiedAt", .datetime).notNull()
                table.column("output", .text)
                table.column("rejects", .text).notNull()
                table.column("key", .text)
                table.column("batchSize", .integer).notNull()
                table.column("status", .text).notNull()
                table.column("startedAt", .datetime).notNull()
                table.column("endedAt", .datetime)
                table.column("failure", .text)
                table.column("rowsRead", .integer).notNull()
                table.column("rowsScored", .integer).notNull()
                table.column("rowsRejected", .integer).notNull()
                table.column("inputOffset", .integer).notNull()
                table.column("outputOffset", .integer).notNull()
                table.column("rejectsOffset", .integer).notNull()
            }
            try db.create(index: "scoreRunsByModel", on: "scoreRuns", columns: ["model", "startedAt"])
            try db.create(table: "scores") { table in
                table.column("runId", .text).notNull().references("scoreRuns", onDelete: .cascade)
                table.column("key", .text).notNull()
                table.column("row", .integer).notNull()
                table.column("outputs", .text).notNull()
                table.primaryKey(["runId", "key"])
            }
            try db.create(index: "scoresByRow", on: "scores", columns: ["runId", "row"])
        }

        migrator.registerMigration("v13-schedules") { db in
            // Each instant of a `.mf/schedule.yaml` entry, fired or skipped: unique per
            // repository, entry and instant, so the worker whose insert makes the row fires it.
            try db.create(table: "scheduleFires") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("repository", .text).notNull()
                table.column("entry", .text).notNull()
                table.column("model", .text).notNull()
                table.column("action", .text).notNull()
                table.column("scheduledAt", .datetime).notNull()
                table.column("firedAt", .datetime).notNull()
                table.column("worker", .text).notNull()
                table.column("missed", .integer).notNull()
                table.column("state", .text).notNull()
                table.column("jobId", .integer)
                table.column("session", .text)
                table.column("candidate", .text)
                table.column("dataSha256", .text)
                table.column("proposed", .boolean).notNull()
                table.column("result", .text)
                table.column("endedAt", .datetime)
                table.uniqueKey(["repository", "entry", "scheduledAt"])
            }
            try db.create(index: "scheduleFiresByJob", on: "scheduleFires", columns: ["jobId"])
        }

        migrator.registerMigration("v14-data-checks") { db in
            // Each data file a session's `validate` step checked, with its whole result as JSON
            // text; it follows its session when an interrupted one is renamed.
            try db.execute(
                sql: """
                    CREATE TABLE dataChecks (
                        sessionId TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE ON UPDATE CASCADE,
                        position INTEGER NOT NULL, dataset TEXT NOT NULL, path TEXT NOT NULL, rows INTEGER NOT NULL,
                        passed BOOLEAN NOT NULL, result TEXT NOT NULL, PRIMARY KEY (sessionId, position))
                    """)
        }
        return migrator
    }
}

/// The gates of sessions recorded before the `gates` table: the message of their `gates` step
/// lists every gate's detail joined with "; ", and a session that failed its gates names the
/// failed ones in its failure (`gates: A; B`). Read once, by the migration that made the table.
enum GatesStep {
    static func recorded(_ db: Database) throws -> [(session: String, gates: [GateResult])] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT steps.sessionId, steps.status, steps.message, sessions.failure FROM steps
                JOIN sessions ON sessions.id = steps.sessionId WHERE steps.name = 'gates' ORDER BY steps.id
                """)
        var latest: [String: Row] = [:]
        var order: [String] = []
        for row in rows {
            let session: String = row["sessionId"]
            if latest.updateValue(row, forKey: session) == nil { order.append(session) }
        }
        return order.map { session in
            let row = latest[session]!
            let status: String = row["status"]
            let failure: String? = row["failure"]
            return (session, gates(message: row["message"], passed: status == Session.Status.passed.rawValue, failure: failure))
        }
    }

    static func gates(message: String?, passed: Bool, failure: String?) -> [GateResult] {
        func lines(_ text: String) -> [String] {
            text.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let failed = passed ? [] : Set(lines(failure.flatMap { $0.hasPrefix("gates: ") ? String($0.dropFirst(7)) : nil } ?? ""))
        // The gate is the detail before its measured value (`auc >= 0.8: 0.84`).
        return lines(message ?? "").map { detail in
            GateResult(gate: detail.range(of: ": ").map { String(detail[..<$0.lowerBound]) } ?? detail, passed: !failed.contains(detail), detail: detail)
        }
    }
}
