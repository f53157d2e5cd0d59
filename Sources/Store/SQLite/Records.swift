internal import Foundation
public import GRDB
public import Store

// How the store's records map to its tables (public, as GRDB requires of a conformance of a
// public type; only code that imports SQLiteStore and GRDB sees them).

extension Session: FetchableRecord, PersistableRecord {
    /// The table of these records.
    public static let databaseTableName = "sessions"

    /// A killed run's session, as SQL over `sessions`, negated (see `Session.wasInterrupted`).
    static let notInterruptedSQL = "NOT (sessions.status = 'failed' AND sessions.failure LIKE '\(interrupted)%')"
}

extension Step: FetchableRecord, PersistableRecord {
    /// The table of these records.
    public static let databaseTableName = "steps"
}

extension Metric: FetchableRecord, PersistableRecord {
    /// The table of these records.
    public static let databaseTableName = "metrics"
}

extension Artifact: FetchableRecord, PersistableRecord {
    /// The table of these records.
    public static let databaseTableName = "artifacts"
}

extension ModelRecord: FetchableRecord, PersistableRecord {
    /// The table of these records.
    public static let databaseTableName = "models"
}

extension BundleRecord: FetchableRecord, PersistableRecord {
    /// The table of these records.
    public static let databaseTableName = "bundles"
}

extension TrafficRecord: FetchableRecord, PersistableRecord {
    /// The table of these records.
    public static let databaseTableName = "traffic"
}

extension EnvironmentRecord: FetchableRecord, PersistableRecord {
    /// The table of these records.
    public static let databaseTableName = "environments"
}

extension Job: FetchableRecord, MutablePersistableRecord {
    /// The table of these records.
    public static let databaseTableName = "jobs"

    /// Takes the id SQLite gave the new row.
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
    var metric: String?
    var value: Double?
    var limit: Double?

    init(session: String, position: Int, _ result: GateResult) {
        sessionId = session
        self.position = position
        gate = result.gate
        passed = result.passed
        detail = result.detail
        metric = result.metric
        value = result.value
        limit = result.limit
    }

    var result: GateResult { GateResult(gate: gate, passed: passed, detail: detail, metric: metric, value: value, limit: limit) }
}
