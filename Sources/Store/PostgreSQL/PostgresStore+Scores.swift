public import Foundation
internal import PostgresNIO
public import Store

// MARK: Batch scoring

extension PostgresStore {
    /// Records a new scoring run as it is.
    public func insert(_ run: ScoreRun) throws(StoreError) {
        try transaction("record scoring run \(run.id)") { db in
            try db.execute(
                """
                INSERT INTO scoreRuns (id, model, version, input, inputSize, inputModifiedAt, output, rejects, key, batchSize, status,
                startedAt, endedAt, failure, rowsRead, rowsScored, rowsRejected, inputOffset, outputOffset, rejectsOffset)
                VALUES (\(run.id), \(run.model), \(run.version), \(run.input), \(run.inputSize), \(run.inputModifiedAt.stored), \(run.output),
                \(run.rejects), \(run.key), \(run.batchSize), \(run.status.rawValue), \(run.startedAt.stored), \(run.endedAt.stored), \(run.failure),
                \(run.rowsRead), \(run.rowsScored), \(run.rowsRejected), \(run.inputOffset), \(run.outputOffset), \(run.rejectsOffset))
                """)
        }
    }

    /// The scoring run with `id`, if there is one.
    public func scoreRun(id: String) throws(StoreError) -> ScoreRun? {
        try transaction("read scoring run \(id)") { db in try db.one("SELECT * FROM scoreRuns WHERE id = \(id)", Self.scoreRun) }
    }

    /// Scoring runs, newest first, of `model` or of every model.
    public func scoreRuns(model: String?, limit: Int) throws(StoreError) -> [ScoreRun] {
        try transaction("read the scoring runs") { db in
            try db.all(
                """
                SELECT * FROM scoreRuns WHERE (\(model)::text IS NULL OR model = \(model)) ORDER BY startedAt DESC, id DESC LIMIT \(rowLimit(limit))
                """, Self.scoreRun)
        }
    }

    /// Keeps `scores` and records `run`'s new state, in one transaction (the scores in one
    /// statement: the rows go as arrays).
    public func advance(_ run: ScoreRun, scores: [ScoredRow]) throws(StoreError) {
        try transaction("record \(scores.count) scores of run \(run.id)") { db in
            if !scores.isEmpty {
                try db.execute(
                    """
                    INSERT INTO scores (runId, key, "row", outputs)
                    SELECT * FROM unnest(\(scores.map(\.runId)), \(scores.map(\.key)), \(scores.map { Int64($0.row) }), \(scores.map(\.outputs)))
                    """)
            }
            let updated = try db.execute(
                """
                UPDATE scoreRuns SET status = \(run.status.rawValue), endedAt = \(run.endedAt.stored), failure = \(run.failure),
                rowsRead = \(run.rowsRead), rowsScored = \(run.rowsScored), rowsRejected = \(run.rowsRejected), inputOffset = \(run.inputOffset),
                outputOffset = \(run.outputOffset), rejectsOffset = \(run.rejectsOffset) WHERE id = \(run.id)
                """)
            guard updated == 1 else { throw StoreError.notFound(run.id) }
        }
    }

    /// Which of `keys` the run has scores for already.
    public func scoredKeys(run: String, among keys: [String]) throws(StoreError) -> Set<String> {
        guard !keys.isEmpty else { return [] }
        return try transaction("look up keys of run \(run)") { db in
            Set(try db.all("SELECT key FROM scores WHERE runId = \(run) AND key = ANY(\(keys))") { try $0("key", as: String.self) })
        }
    }

    /// The scores of run `run` after row `row`, by row number.
    public func scores(run: String, after row: Int, limit: Int) throws(StoreError) -> [ScoredRow] {
        try transaction("read the scores of run \(run)") { db in
            try db.all("SELECT * FROM scores WHERE runId = \(run) AND \"row\" > \(row) ORDER BY \"row\" LIMIT \(rowLimit(limit))") { row in
                ScoredRow(runId: try row("runId"), key: try row("key"), row: try row("row", as: Int.self), outputs: try row("outputs"))
            }
        }
    }

    static func scoreRun(_ row: Columns) throws -> ScoreRun {
        ScoreRun(
            id: try row("id"), model: try row("model"), version: try row("version"), input: try row("input"), inputSize: try row("inputSize"),
            inputModifiedAt: try row.date("inputModifiedAt"), output: try row("output"), rejects: try row("rejects"), key: try row("key"),
            batchSize: try row("batchSize", as: Int.self), status: try row.raw("status"), startedAt: try row.date("startedAt"),
            endedAt: try row.optionalDate("endedAt"), failure: try row("failure"), rowsRead: try row("rowsRead", as: Int.self),
            rowsScored: try row("rowsScored", as: Int.self), rowsRejected: try row("rowsRejected", as: Int.self), inputOffset: try row("inputOffset"),
            outputOffset: try row("outputOffset"), rejectsOffset: try row("rejectsOffset"))
    }
}
