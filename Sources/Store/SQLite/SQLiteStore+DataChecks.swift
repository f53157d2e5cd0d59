internal import Foundation
internal import GRDB
public import Store

// MARK: Data checks (the `validate` step)

extension SQLiteStore {
    /// Records the check of one data file by a session (replacing one at the same position).
    public func record(dataCheck: DataCheckRecord) throws(StoreError) {
        try write("record the data check of \(dataCheck.path) in session \(dataCheck.sessionId)") { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO dataChecks (sessionId, position, dataset, path, rows, passed, result)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    dataCheck.sessionId, dataCheck.position, dataCheck.dataset, dataCheck.path, dataCheck.rows, dataCheck.passed, dataCheck.result,
                ])
        }
    }

    /// The data files `session` checked, in the order it checked them.
    public func dataChecks(session: String) throws(StoreError) -> [DataCheckRecord] {
        try read("read the data checks of session \(session)") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM dataChecks WHERE sessionId = ? ORDER BY position", arguments: [session]).map { row in
                DataCheckRecord(
                    sessionId: row["sessionId"], position: row["position"], dataset: row["dataset"], path: row["path"], rows: row["rows"],
                    passed: row["passed"], result: row["result"])
            }
        }
    }
}
