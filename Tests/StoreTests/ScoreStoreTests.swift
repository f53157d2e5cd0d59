import Foundation
import Store
import TestSupport
import Testing

/// Batch scoring in the store: runs with their position, scores kept with the position that
/// passes them in one transaction, one score per run and key.
@Suite(.onTestThreads) struct ScoreStoreTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func run(_ id: String, model: String = "churn", at seconds: Double = 0, output: String? = nil) -> ScoreRun {
        ScoreRun(
            id: id, model: model, version: "1.0.0", input: "/data/in.csv", inputSize: 1234, inputModifiedAt: start.addingTimeInterval(-60),
            output: output, rejects: "/data/in.rejects.csv", key: output == nil ? "customer_id" : nil, batchSize: 100, status: .running,
            startedAt: start.addingTimeInterval(seconds))
    }

    func scores(_ run: String, rows: ClosedRange<Int>) -> [ScoredRow] {
        rows.map { ScoredRow(runId: run, key: "c\($0)", row: $0, outputs: #"{"p":0.\#($0)}"#) }
    }

    /// A run reads back as recorded; each advance keeps its scores and moves the position in
    /// one transaction; listing is newest first, by model.
    @Test(arguments: Engine.allCases) func runsAdvanceWithTheirScores(engine: Engine) async throws {
        let store = try engine.store()
        var first = run("run-1")
        try store.insert(first)
        try store.insert(run("run-2", model: "other", at: 10, output: "/data/out.csv"))
        #expect(try store.scoreRun(id: "run-1") == first)
        #expect(try store.scoreRun(id: "nope") == nil)
        first.rowsRead = 12
        first.rowsScored = 10
        first.rowsRejected = 2
        first.inputOffset = 480
        first.rejectsOffset = 90
        try store.advance(first, scores: scores("run-1", rows: 1...10))
        #expect(try store.scoreRun(id: "run-1") == first)
        first.status = .done
        first.endedAt = start.addingTimeInterval(5)
        try store.advance(first, scores: [])
        #expect(try store.scoreRun(id: "run-1") == first)
        let kept = try store.scores(run: "run-1", after: 0, limit: 100)
        #expect(kept == scores("run-1", rows: 1...10))
        #expect(try store.scores(run: "run-1", after: 8, limit: 100).map(\.row) == [9, 10])
        #expect(try store.scores(run: "run-1", after: 0, limit: 3).map(\.row) == [1, 2, 3])
        #expect(try store.scoredKeys(run: "run-1", among: ["c3", "c11", "c10"]) == ["c3", "c10"])
        #expect(try store.scoredKeys(run: "run-2", among: ["c3"]).isEmpty)
        #expect(try store.scoreRuns(model: nil, limit: 10).map(\.id) == ["run-2", "run-1"])
        #expect(try store.scoreRuns(model: "churn", limit: 10).map(\.id) == ["run-1"])
        // An advance of a run the store does not have keeps nothing.
        #expect(throws: StoreError.self) { try store.advance(run("ghost"), scores: scores("ghost", rows: 1...1)) }
        #expect(try store.scores(run: "ghost", after: 0, limit: 10).isEmpty)
    }

    /// A key scored before fails the whole advance: neither its scores nor the position move, so
    /// a resumed run can never keep a row twice.
    @Test(arguments: Engine.allCases) func aKeyIsScoredOncePerRun(engine: Engine) async throws {
        let store = try engine.store()
        var scoring = run("run-1")
        try store.insert(scoring)
        scoring.rowsRead = 5
        scoring.rowsScored = 5
        scoring.inputOffset = 100
        try store.advance(scoring, scores: scores("run-1", rows: 1...5))
        var again = scoring
        again.rowsRead = 10
        again.rowsScored = 10
        again.inputOffset = 200
        #expect(throws: StoreError.self) { try store.advance(again, scores: scores("run-1", rows: 5...10)) }
        #expect(try store.scoreRun(id: "run-1") == scoring)
        #expect(try store.scores(run: "run-1", after: 0, limit: 100).map(\.row) == [1, 2, 3, 4, 5])
        // The same keys in another run are that run's own.
        try store.insert(run("run-2"))
        try store.advance(run("run-2"), scores: scores("run-2", rows: 1...5))
        #expect(try store.scores(run: "run-2", after: 0, limit: 100).count == 5)
    }

    /// `mf store copy` takes scoring runs and their scores from one engine to the other as they
    /// were (dates, nulls, the position).
    @Test(arguments: [(Engine.sqlite, Engine.postgres), (Engine.postgres, Engine.sqlite)])
    func runsAndScoresCopyAcrossEngines(from: Engine, to: Engine) async throws {
        let source = try from.store()
        var scoring = run("run-1")
        try source.insert(scoring)
        scoring.rowsRead = 3
        scoring.rowsScored = 3
        scoring.inputOffset = 60
        scoring.status = .done
        scoring.endedAt = start.addingTimeInterval(2)
        try source.advance(scoring, scores: scores("run-1", rows: 1...3))
        try source.insert(run("run-2", output: "/data/out.jsonl"))
        let destination = try to.store()
        try destination.importTables(try source.exportTables())
        #expect(try destination.scoreRun(id: "run-1") == scoring && destination.scoreRun(id: "run-2") == run("run-2", output: "/data/out.jsonl"))
        #expect(try destination.scores(run: "run-1", after: 0, limit: 10) == scores("run-1", rows: 1...3))
        #expect(try destination.rowCounts()["scores"] == 3 && destination.rowCounts()["scoreRuns"] == 2)
    }
}
