public import Foundation
public import GRDB

/// The factory's record of every run: repositories, models, sessions with their steps, metrics
/// and artifacts. SQLite through GRDB, in WAL mode, at `$MF_HOME/factory.sqlite`.
///
/// The schema (open it with `sqlite3 ~/.mf/factory.sqlite`):
///
/// | table | columns |
/// | --- | --- |
/// | `repositories` | `id`, `path` (unique), `createdAt` |
/// | `models` | `id`, `repositoryId`, `name` (unique per repository) |
/// | `sessions` | `id` (UUID text), `modelId`, `commit`, `tree`, `recipe`, `ref`, `version`, `trigger`, `status` (`running`, `passed`, `failed`), `startedAt`, `endedAt`, `failure`, `reusedFrom` |
/// | `steps` | `id`, `sessionId`, `name`, `status`, `startedAt`, `seconds`, `logPath`, `message` |
/// | `metrics` | `sessionId`, `modelId`, `name`, `split` (`train`, `evaluate`), `value` |
/// | `artifacts` | `sessionId`, `path`, `size`, `sha256` |
/// | `bundles` | `modelId`, `version`, `tag`, `ref`, `commit`, `sessionId`, `path`, `archive`, `sha256`, `createdAt` |
/// | `environments` | `repository`, `model`, `name` (`production`, `staging`), `version`, `tag`, `commit`, `bundle`, `updatedAt` |
/// | `jobs` | `id`, `repository`, `trigger`, `refs` (JSON array), `state` (`queued`, `running`, `done`, `failed`), `attempts`, `maxAttempts`, `notBefore`, `leaseOwner`, `leaseExpiresAt`, `createdAt`, `startedAt`, `endedAt`, `lastError`, `summary`, `notifiedAt` |
/// | `deliveries` | `key` (a forge's delivery id, else a digest of the delivery's body), `jobId`, `receivedAt` |
///
/// Migrations are registered by name and never edited once released.
public struct Store: Sendable {
    /// The database; exposed for queries the store does not offer.
    public let writer: any DatabaseWriter

    /// Opens (creating and migrating) the store at `path`.
    public init(path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        // Two processes opening a new store at once must not both create its tables: migrations
        // run under an exclusive lock on a file beside the database.
        let lock = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        defer { if lock >= 0 { close(lock) } }
        if lock >= 0 { while flock(lock, LOCK_EX) != 0 && errno == EINTR {} }
        try self.init(writer: DatabasePool(path: path, configuration: configuration))
    }

    /// A store in memory, for tests.
    public static func inMemory() throws -> Store { try Store(writer: DatabaseQueue()) }

    init(writer: any DatabaseWriter) throws {
        self.writer = writer
        try Self.migrator.migrate(writer)
    }

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
        return migrator
    }
}

// MARK: Records

/// One run of a model at a commit.
public struct Session: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "sessions"

    public enum Status: String, Codable, Sendable { case running, passed, failed }

    public var id: String
    public var modelId: Int64
    public var commit: String
    public var tree: String
    /// What was built and how (runtime and build commands), so a changed recipe builds anew.
    public var recipe: String
    public var ref: String?
    public var version: String?
    /// What started it: `cli` (mf build), `bundle`, `reconcile`, or the trigger of the job that ran
    /// the reconcile (`enqueue`, `hook`, `webhook`, `watch`).
    public var trigger: String
    public var status: Status
    public var startedAt: Date
    public var endedAt: Date?
    public var failure: String?
    /// The session whose build, artifacts and metrics this one reused.
    public var reusedFrom: String?
}

extension Session {
    /// How the failure of a session cut short by a killed run begins.
    public static let interrupted = "interrupted"

    /// A failed session that a killed run cut short: its work is still to do.
    public var wasInterrupted: Bool { status == .failed && (failure ?? "").hasPrefix(Self.interrupted) }

    /// A failure that stands: the session ran to its end and failed (a gate, a step).
    public var failedForGood: Bool { status == .failed && !wasInterrupted }

    /// `wasInterrupted` as SQL, negated, for queries over `sessions`.
    static let notInterruptedSQL = "NOT (sessions.status = 'failed' AND sessions.failure LIKE '\(interrupted)%')"

    /// A session id from what the session runs and its ordinal (UUID-shaped, from SHA-256).
    static func id(model: String, commit: String, recipe: String, ordinal: Int) -> String {
        let hex = Pipeline.sha256("\(model)\n\(commit)\n\(recipe)\n\(ordinal)")
        let characters = Array(hex.prefix(32))
        return [0 ..< 8, 8 ..< 12, 12 ..< 16, 16 ..< 20, 20 ..< 32].map { String(characters[$0]) }.joined(separator: "-")
    }
}

/// What an environment runs: a bundle of a model, set by `mf reconcile`.
public struct EnvironmentRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "environments"
    public var repository: String
    public var model: String
    /// `production` or `staging`.
    public var name: String
    public var version: String
    public var tag: String
    public var commit: String
    public var bundle: String
    public var updatedAt: Date
}

/// A published bundle.
public struct BundleRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "bundles"
    public var modelId: Int64
    public var version: String
    /// The release tag; '' for a pre-release bundle of a branch head.
    public var tag: String
    /// `refs/tags/v1.2.0` or `refs/heads/development`.
    public var ref: String
    public var commit: String
    public var sessionId: String
    /// The bundle's folder and its `.tar.gz`.
    public var path: String
    public var archive: String
    /// The `.tar.gz`'s SHA-256.
    public var sha256: String
    public var createdAt: Date
}

/// One step of a session (export, build, start, describe, train, evaluate, predict, gates).
public struct Step: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "steps"
    public var id: Int64?
    public var sessionId: String
    public var name: String
    public var status: Session.Status
    public var startedAt: Date
    public var seconds: Double
    public var logPath: String?
    public var message: String?
}

/// One measured value.
public struct Metric: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "metrics"
    public var sessionId: String
    public var modelId: Int64
    public var name: String
    /// `train` or `evaluate`.
    public var split: String
    public var value: Double?
}

/// A file a session produced.
public struct Artifact: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "artifacts"
    public var sessionId: String
    public var path: String
    public var size: Int64
    public var sha256: String
}

/// A model, as the store knows it.
public struct ModelRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "models"
    public var id: Int64?
    public var repositoryId: Int64
    public var name: String
}

// MARK: Operations

extension Store {
    /// The id of the model `name` of the repository at `path`, created when new.
    public func modelID(repository path: String, name: String) throws -> Int64 {
        try writer.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO repositories (path, createdAt) VALUES (?, ?)", arguments: [path, Date()])
            let repository = try Int64.fetchOne(db, sql: "SELECT id FROM repositories WHERE path = ?", arguments: [path])!
            try db.execute(sql: "INSERT OR IGNORE INTO models (repositoryId, name) VALUES (?, ?)", arguments: [repository, name])
            return try Int64.fetchOne(db, sql: "SELECT id FROM models WHERE repositoryId = ? AND name = ?", arguments: [repository, name])!
        }
    }

    public func insert(_ session: Session) throws { try writer.write { db in try session.insert(db) } }

    /// Inserts `session` with an id that depends only on what it runs: the model, commit and
    /// recipe, and how many sessions of them came before (so the first session of a release is
    /// the same id in every home, and a bundle that names it is the same bytes).
    public func insertNumbered(_ session: inout Session, model: String) throws {
        try writer.write { db in
            // Sessions a killed run left behind do not count (they were given other ids when they
            // were marked), so the run that does their work again gets the id a fresh home gives.
            var ordinal = try Int.fetchOne(
                db, sql: """
                    SELECT COUNT(*) FROM sessions WHERE modelId = ? AND "commit" = ? AND recipe = ?
                    AND \(Session.notInterruptedSQL)
                    """,
                arguments: [session.modelId, session.commit, session.recipe]) ?? 0
            while true {
                session.id = Session.id(model: model, commit: session.commit, recipe: session.recipe, ordinal: ordinal)
                if try Session.exists(db, key: session.id) { ordinal += 1; continue }
                try session.insert(db)
                return
            }
        }
    }

    /// The first passed session of `modelID` at `commit`: the one a release's bundle packages.
    public func firstPassedSession(modelID: Int64, commit: String) throws -> Session? {
        try writer.read { db in
            try Session.filter(Column("modelId") == modelID && Column("commit") == commit && Column("status") == Session.Status.passed.rawValue)
                .order(Column("startedAt"), Column("rowid")).fetchOne(db)
        }
    }

    public func record(_ bundle: BundleRecord) throws { try writer.write { db in try bundle.insert(db, onConflict: .ignore) } }

    public func bundles() throws -> [(bundle: BundleRecord, model: String)] {
        try writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT bundles.*, models.name AS modelName FROM bundles JOIN models ON models.id = bundles.modelId
                ORDER BY models.name, bundles.createdAt
                """).map { (try BundleRecord(row: $0), $0["modelName"]) }
        }
    }

    /// Bundles of the repository at `path` published at or after `date`, oldest first.
    public func bundles(repository path: String, since date: Date) throws -> [(bundle: BundleRecord, model: String)] {
        try writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT bundles.*, models.name AS modelName FROM bundles JOIN models ON models.id = bundles.modelId
                JOIN repositories ON repositories.id = models.repositoryId
                WHERE repositories.path = ? AND bundles.createdAt >= ? ORDER BY bundles.createdAt
                """, arguments: [path, date]).map { (try BundleRecord(row: $0), $0["modelName"]) }
        }
    }

    /// Ends as failed ("interrupted") the sessions of the repository at `path` still marked
    /// running with one of `triggers`: called by the one run allowed to make them (it holds the
    /// repository's lock), so they belong to a run that was killed. Each gets a new id (its
    /// steps, metrics and artifacts follow), so the session that does the work again can have
    /// the id it would have had without the kill. Returns the old and new ids.
    @discardableResult
    public func interruptStaleSessions(repository path: String, triggers: [String]) throws -> [(old: String, new: String)] {
        try writer.write { db in
            let marks = databaseQuestionMarks(count: triggers.count)
            let ids = try String.fetchAll(db, sql: """
                SELECT sessions.id FROM sessions JOIN models ON models.id = sessions.modelId
                JOIN repositories ON repositories.id = models.repositoryId
                WHERE repositories.path = ? AND sessions.status = 'running' AND sessions.trigger IN (\(marks))
                """, arguments: StatementArguments([path] + triggers))
            guard !ids.isEmpty else { return [] }
            // The children are moved to the new id before the commit checks the references.
            try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
            var moved: [(old: String, new: String)] = []
            for id in ids {
                let new = "\(id)-interrupted-\(UUID().uuidString.prefix(8).lowercased())"
                try db.execute(sql: "UPDATE sessions SET id = ?, status = 'failed', failure = ?, endedAt = ? WHERE id = ?", arguments: [
                    new, "\(Session.interrupted): the run making it was stopped before it ended", Date(), id,
                ])
                try db.execute(sql: "UPDATE steps SET sessionId = ?, logPath = REPLACE(logPath, ?, ?) WHERE sessionId = ?", arguments: [new, id, new, id])
                for table in ["metrics", "artifacts"] {
                    try db.execute(sql: "UPDATE \(table) SET sessionId = ? WHERE sessionId = ?", arguments: [new, id])
                }
                moved.append((id, new))
            }
            return moved
        }
    }

    /// Sessions of the repository at `path` started at or after `date`, oldest first.
    public func sessions(repository path: String, since date: Date) throws -> [(session: Session, model: String)] {
        try writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT sessions.*, models.name AS modelName FROM sessions JOIN models ON models.id = sessions.modelId
                JOIN repositories ON repositories.id = models.repositoryId
                WHERE repositories.path = ? AND sessions.startedAt >= ? ORDER BY sessions.startedAt, sessions.rowid
                """, arguments: [path, date]).map { (try Session(row: $0), $0["modelName"] as String) }
        }
    }

    /// The latest session of each model of the repository at `path` at `commit`, by model name.
    public func latestSessions(repository path: String, commit: String) throws -> [(session: Session, model: String)] {
        try writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT sessions.*, models.name AS modelName FROM sessions JOIN models ON models.id = sessions.modelId
                JOIN repositories ON repositories.id = models.repositoryId WHERE repositories.path = ? AND sessions."commit" = ?
                ORDER BY sessions.startedAt DESC, sessions.rowid DESC
                """, arguments: [path, commit]).reduce(into: [(session: Session, model: String)]()) { latest, row in
                let model: String = row["modelName"]
                if !latest.contains(where: { $0.model == model }) { latest.append((try Session(row: row), model)) }
            }
        }
    }

    /// The latest session of a model at a commit, passed or not.
    public func latestSession(modelID: Int64, commit: String) throws -> Session? {
        try writer.read { db in
            try Session.filter(Column("modelId") == modelID && Column("commit") == commit).order(Column("startedAt").desc).fetchOne(db)
        }
    }

    public func record(_ environment: EnvironmentRecord) throws { try writer.write { db in try environment.save(db) } }

    public func environments(repository path: String) throws -> [EnvironmentRecord] {
        try writer.read { db in try EnvironmentRecord.filter(Column("repository") == path).order(Column("model"), Column("name")).fetchAll(db) }
    }

    public func bundle(modelID: Int64, version: String) throws -> BundleRecord? {
        try writer.read { db in try BundleRecord.filter(Column("modelId") == modelID && Column("version") == version).fetchOne(db) }
    }

    public func update(_ session: Session) throws { try writer.write { db in try session.update(db) } }

    public func record(_ step: Step) throws { try writer.write { db in try step.insert(db) } }

    public func record(_ metrics: [Metric]) throws {
        try writer.write { db in for metric in metrics { try metric.upsert(db) } }
    }

    public func record(_ artifacts: [Artifact]) throws {
        try writer.write { db in for artifact in artifacts { try artifact.upsert(db) } }
    }

    public func session(id: String) throws -> Session? {
        try writer.read { db in try Session.fetchOne(db, key: id) }
    }

    /// Sessions, newest first, of one model name or of all, of the repository at `repository`
    /// or of every one.
    public func sessions(model: String? = nil, repository: String? = nil, limit: Int = 100) throws -> [(session: Session, model: String)] {
        try writer.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT sessions.*, models.name AS modelName FROM sessions JOIN models ON models.id = sessions.modelId
                JOIN repositories ON repositories.id = models.repositoryId
                WHERE (? IS NULL OR models.name = ?) AND (? IS NULL OR repositories.path = ?)
                ORDER BY sessions.startedAt DESC, sessions.rowid DESC LIMIT ?
                """, arguments: [model, model, repository, repository, limit])
            return try rows.map { (try Session(row: $0), $0["modelName"] as String) }
        }
    }

    public func steps(session: String) throws -> [Step] {
        try writer.read { db in try Step.filter(Column("sessionId") == session).order(Column("id")).fetchAll(db) }
    }

    public func metrics(session: String) throws -> [Metric] {
        try writer.read { db in
            try Metric.filter(Column("sessionId") == session).order(Column("split"), Column("name")).fetchAll(db)
        }
    }

    public func artifacts(session: String) throws -> [Artifact] {
        try writer.read { db in try Artifact.filter(Column("sessionId") == session).order(Column("path")).fetchAll(db) }
    }

    /// The newest passed session of a model for the same tree and recipe: its work can be reused.
    public func reusableSession(modelID: Int64, tree: String, recipe: String) throws -> Session? {
        try writer.read { db in
            try Session.filter(Column("modelId") == modelID && Column("tree") == tree && Column("recipe") == recipe
                && Column("status") == Session.Status.passed.rawValue && Column("reusedFrom") == nil)
                .order(Column("startedAt").desc).fetchOne(db)
        }
    }

    /// Every passed session of a model that ran a released version, newest first: where the
    /// previous release's metrics come from for `max_regression`.
    public func releaseSessions(modelID: Int64) throws -> [Session] {
        try writer.read { db in
            try Session.filter(Column("modelId") == modelID && Column("status") == Session.Status.passed.rawValue
                && Column("version") != nil)
                .order(Column("startedAt").desc).fetchAll(db)
        }
    }
}

extension Store {
    /// The session a user names: a session id (or a unique prefix of at least four characters),
    /// else a version (`1.2.0` or `v1.2.0`, or `churn@v1.2.0` as a repository of several models
    /// tags it): the newest session of that version, passed ones first. `model` and `repository`
    /// (a repository's path as the store names it) narrow the search.
    public func findSession(_ name: String, model: String? = nil, repository: String? = nil) throws -> (session: Session, model: String) {
        var model = model
        var version = name
        // `churn@v1.2.0` names its model as the tag does.
        if let at = name.lastIndex(of: "@"), at != name.startIndex {
            let named = String(name[..<at])
            if let model, model != named { throw StoreError.otherModel(name, model) }
            model = named
            version = String(name[name.index(after: at)...])
        }
        // Ask SQLite for the few rows that can match rather than reading every session.
        func find(_ condition: String, _ argument: String) throws -> [(session: Session, model: String)] {
            try writer.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT sessions.*, models.name AS modelName FROM sessions JOIN models ON models.id = sessions.modelId
                    JOIN repositories ON repositories.id = models.repositoryId
                    WHERE (? IS NULL OR models.name = ?) AND (? IS NULL OR repositories.path = ?) AND \(condition)
                    ORDER BY sessions.startedAt DESC, sessions.rowid DESC
                    """, arguments: [model, model, repository, repository, argument])
                    .map { (try Session(row: $0), $0["modelName"] as String) }
            }
        }
        if version == name, name.count >= 4 {
            let pattern = name.lowercased().replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "") + "%"
            let byID = try find("sessions.id LIKE ?", pattern).filter { $0.session.id.hasPrefix(name.lowercased()) }
            if byID.count == 1 { return byID[0] }
            if byID.count > 1 { throw StoreError.ambiguous(name, byID.map { String($0.session.id.prefix(12)) }) }
        }
        let wanted = Version(version.hasPrefix("v") ? String(version.dropFirst()) : version)
        // Versions compare semantically (1.0 is 1.0.0), so fetch the versioned sessions and compare here.
        let candidates = wanted == nil ? [] : try find("sessions.version IS NOT NULL AND sessions.version <> ?", "")
        let byVersion = candidates.filter { candidate in
            guard let wanted, let found = candidate.session.version.flatMap(Version.init) else { return false }
            return found == wanted
        }
        if let found = byVersion.first(where: { $0.session.status == .passed }) ?? byVersion.first {
            let models = Set(byVersion.map(\.model))
            if models.count > 1 { throw StoreError.ambiguous(name, models.sorted().map { "\($0)@\(version)" }) }
            return found
        }
        throw StoreError.notFound(name)
    }
}

/// Why the store cannot answer.
extension Store {
    /// True for an error of the store's own database (busy, locked, I/O), which a caller lets
    /// through rather than charging to the model or tag it was working on; callers above the
    /// store ask this instead of importing the database driver.
    public static func isDatabaseError(_ error: any Error) -> Bool { error is DatabaseError }
}

public enum StoreError: Error, CustomStringConvertible, Equatable {
    case notFound(String)
    case ambiguous(String, [String])
    /// `churn@v1.2.0` with `--model` naming another model.
    case otherModel(String, String)

    public var description: String {
        switch self {
        case .notFound(let name): "no session or version '\(name)' in the store"
        case .otherModel(let name, let model): "'\(name)' names another model than --model \(model)"
        case .ambiguous(let name, let options): "'\(name)' names more than one session: \(options.joined(separator: ", "))"
        }
    }
}
