public import Foundation
internal import GRDB
public import Store

// MARK: Batch scoring

extension SQLiteStore {
    /// Records a new scoring run as it is.
    public func insert(_ run: ScoreRun) throws(StoreError) {
        try write("record scoring run \(run.id)") { db in
            try db.execute(
                sql: """
                    INSERT INTO scoreRuns (id, model, version, input, inputSize, inputModifiedAt, output, rejects, key, batchSize, status,
                    startedAt, endedAt, failure, rowsRead, rowsScored, rowsRejected, inputOffset, outputOffset, rejectsOffset)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    run.id, run.model, run.version, run.input, run.inputSize, StoredTime.text(run.inputModifiedAt), run.output, run.rejects, run.key,
                    run.batchSize, run.status.rawValue, StoredTime.text(run.startedAt), run.endedAt.map(StoredTime.text), run.failure, run.rowsRead,
                    run.rowsScored, run.rowsRejected, run.inputOffset, run.outputOffset, run.rejectsOffset,
                ])
        }
    }

    /// The scoring run with `id`, if there is one.
    public func scoreRun(id: String) throws(StoreError) -> ScoreRun? {
        try read("read scoring run \(id)") { db in try Row.fetchOne(db, sql: "SELECT * FROM scoreRuns WHERE id = ?", arguments: [id]).map(Self.scoreRun) }
    }

    /// Scoring runs, newest first, of `model` or of every model.
    public func scoreRuns(model: String?, limit: Int) throws(StoreError) -> [ScoreRun] {
        try read("read the scoring runs") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM scoreRuns WHERE (? IS NULL OR model = ?) ORDER BY startedAt DESC, rowid DESC LIMIT ?",
                arguments: [model, model, limit]
            ).map(Self.scoreRun)
        }
    }

    /// Keeps `scores` and records `run`'s new state, in one transaction.
    public func advance(_ run: ScoreRun, scores: [ScoredRow]) throws(StoreError) {
        try write("record \(scores.count) scores of run \(run.id)") { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO scores (runId, key, \"row\", outputs) VALUES (?, ?, ?, ?)")
            for score in scores { try insert.execute(arguments: [score.runId, score.key, score.row, score.outputs]) }
            try db.execute(
                sql: """
                    UPDATE scoreRuns SET status = ?, endedAt = ?, failure = ?, rowsRead = ?, rowsScored = ?, rowsRejected = ?, inputOffset = ?,
                    outputOffset = ?, rejectsOffset = ? WHERE id = ?
                    """,
                arguments: [
                    run.status.rawValue, run.endedAt.map(StoredTime.text), run.failure, run.rowsRead, run.rowsScored, run.rowsRejected,
                    run.inputOffset, run.outputOffset, run.rejectsOffset, run.id,
                ])
            guard db.changesCount == 1 else { throw StoreError.notFound(run.id) }
        }
    }

    /// Which of `keys` the run has scores for already.
    public func scoredKeys(run: String, among keys: [String]) throws(StoreError) -> Set<String> {
        guard !keys.isEmpty else { return [] }
        return try read("look up keys of run \(run)") { db in
            var found: Set<String> = []
            // SQLite binds at most 32,766 values a statement.
            for start in stride(from: 0, to: keys.count, by: 10_000) {
                let part = Array(keys[start..<min(start + 10_000, keys.count)])
                let places = Array(repeating: "?", count: part.count).joined(separator: ", ")
                found.formUnion(
                    try String.fetchAll(
                        db, sql: "SELECT key FROM scores WHERE runId = ? AND key IN (\(places))", arguments: StatementArguments([run] + part)))
            }
            return found
        }
    }

    /// The scores of run `run` after row `row`, by row number.
    public func scores(run: String, after row: Int, limit: Int) throws(StoreError) -> [ScoredRow] {
        try read("read the scores of run \(run)") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM scores WHERE runId = ? AND \"row\" > ? ORDER BY \"row\" LIMIT ?", arguments: [run, row, limit]
            ).map { ScoredRow(runId: $0["runId"], key: $0["key"], row: $0["row"], outputs: $0["outputs"]) }
        }
    }

    private static func scoreRun(_ row: Row) -> ScoreRun {
        ScoreRun(
            id: row["id"], model: row["model"], version: row["version"], input: row["input"], inputSize: row["inputSize"],
            inputModifiedAt: row["inputModifiedAt"], output: row["output"], rejects: row["rejects"], key: row["key"], batchSize: row["batchSize"],
            status: ScoreRun.Status(rawValue: row["status"]) ?? .failed, startedAt: row["startedAt"], endedAt: row["endedAt"],
            failure: row["failure"], rowsRead: row["rowsRead"], rowsScored: row["rowsScored"], rowsRejected: row["rowsRejected"],
            inputOffset: row["inputOffset"], outputOffset: row["outputOffset"], rejectsOffset: row["rejectsOffset"])
    }
}
