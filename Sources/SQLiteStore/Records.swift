internal import Foundation
public import GRDB
public import Store

// How the store's records map to its tables (public, as GRDB requires of a conformance of a
// public type; only code that imports SQLiteStore and GRDB sees them).

extension Session: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "sessions"

    /// A killed run's session, as SQL over `sessions`, negated (see `Session.wasInterrupted`).
    static let notInterruptedSQL = "NOT (sessions.status = 'failed' AND sessions.failure LIKE '\(interrupted)%')"
}

extension Step: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "steps"
}

extension Metric: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "metrics"
}

extension Artifact: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "artifacts"
}

extension ModelRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "models"
}

extension BundleRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "bundles"
}

extension EnvironmentRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "environments"
}

extension Job: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "jobs"

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A row of `gates`: one gate of a session, at its place in the order they were checked.
struct GateRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "gates"
    var sessionId: String
    var position: Int
    var gate: String
    var passed: Bool
    var detail: String

    var result: GateResult { GateResult(gate: gate, passed: passed, detail: detail) }
}
