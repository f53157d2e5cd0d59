internal import Foundation
internal import PostgresNIO
public import Store

// MARK: Data checks (the `validate` step)

extension PostgresStore {
    /// Records the check of one data file by a session (replacing one at the same position).
    public func record(dataCheck: DataCheckRecord) throws(StoreError) {
        try transaction("record the data check of \(dataCheck.path) in session \(dataCheck.sessionId)") { db in
            try db.execute(
                """
                INSERT INTO dataChecks (sessionId, position, dataset, path, rows, passed, result)
                VALUES (\(dataCheck.sessionId), \(dataCheck.position), \(dataCheck.dataset), \(dataCheck.path), \(dataCheck.rows),
                \(dataCheck.passed), \(dataCheck.result))
                ON CONFLICT (sessionId, position) DO UPDATE SET dataset = EXCLUDED.dataset, path = EXCLUDED.path, rows = EXCLUDED.rows,
                passed = EXCLUDED.passed, result = EXCLUDED.result
                """)
        }
    }

    /// The data files `session` checked, in the order it checked them.
    public func dataChecks(session: String) throws(StoreError) -> [DataCheckRecord] {
        try transaction("read the data checks of session \(session)") { db in
            try db.all("SELECT * FROM dataChecks WHERE sessionId = \(session) ORDER BY position") { row in
                DataCheckRecord(
                    sessionId: try row("sessionId"), position: try row("position", as: Int.self), dataset: try row("dataset"), path: try row("path"),
                    rows: try row("rows", as: Int.self), passed: try row("passed"), result: try row("result"))
            }
        }
    }
}
