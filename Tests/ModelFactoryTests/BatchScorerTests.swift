import Foundation
import SQLiteStore
import Store
import TestSupport
import Testing

@testable import ModelFactory

/// A Python plugin that scores x: it logs each call's size, raises on x == 13, and exits (as a
/// crashed worker) on x == 99 while `crash` exists beside it.
private let scoringModel = """
    import os
    HERE = os.path.dirname(os.path.abspath(__file__))
    class Model:
        def load(self, artifacts): pass
        def predict(self, instances):
            with open(os.path.join(HERE, "calls.log"), "a") as log: log.write(f"{len(instances)}\\n")
            out = []
            for i in instances:
                if i["x"] == 13: raise ValueError("unlucky 13")
                if i["x"] == 99 and os.path.exists(os.path.join(HERE, "crash")): os._exit(3)
                out.append({"label": int(i["x"] > 2.5), "score": i["x"] * 2, "extra": "not in the schema"})
            return out
    """

private let scoringSchema = """
    name: scorer
    runtime: python
    train: { data: data.csv }
    evaluate: { data: data.csv }
    schema:
      inputs: [{ name: x, type: double, min: 0 }, { name: c, type: string, values: [a, b] }]
      outputs: [{ name: label, type: int }, { name: score, type: double }]
    examples: [{ x: 1, c: a }]
    """

/// A scorer of the plugin above, in a folder of its own, with an in-memory store.
private struct ScoringFixture {
    let folder = TemporaryDirectory("scorer")
    let store: SQLiteStore

    init() throws {
        store = try SQLiteStore.inMemory()
        try folder.write("plugin/model.py", scoringModel)
        try FileManager.default.copyItem(
            atPath: pythonRunner.path, toPath: folder.appending("plugin/mf_runner.py"))
        try FileManager.default.createDirectory(atPath: folder.appending("artifacts"), withIntermediateDirectories: true)
    }

    func scorer(batch: Int, workers: Int = 1, expect: String = "", runner: String = "mf_runner.py") throws -> BatchScorer {
        let manifest = try Manifest.parse(scoringSchema + "\n" + expect, file: "model.yaml")
        var options = ScoreOptions()
        options.batchSize = batch
        options.workers = workers
        let model = BatchScorer.Model(
            name: "scorer", version: "1.0.0", schema: manifest.schema, command: ["/usr/bin/python3", "-u", runner],
            directory: URL(fileURLWithPath: folder.appending("plugin")), artifacts: URL(fileURLWithPath: folder.appending("artifacts")),
            expect: manifest.expect)
        return BatchScorer(store: store, model: model, options: options)
    }

    func text(_ path: String) throws -> String { try String(contentsOfFile: folder.appending(path), encoding: .utf8) }

    /// The sizes of the worker calls so far.
    func calls() throws -> [Int] { try text("plugin/calls.log").split(separator: "\n").map { Int($0)! } }
}

@Suite(.onTestThreads) struct BatchScorerTests {
    /// Good rows are scored in batches (the key column first, then each schema output); bad rows
    /// go to the reject file with their row number, reason and record, and the run goes on; a
    /// row the model raises on is rejected alone, its batch's other rows scored.
    @Test func csvRowsAreScoredInBatchesAndBadRowsRejected() async throws {
        let fixture = try ScoringFixture()
        try fixture.folder.write(
            "in.csv",
            """
            id,c,x,other
            k1,a,1,z
            k2,b,-1,z
            k3,a,abc,z
            k4,zz,3,z
            k5,a,4
            k6,b,13,z
            k7,"b",2.5,"quoted, with a comma"
            k8,a,,z

            k9,b,5,z

            """)
        let scorer = try fixture.scorer(batch: 3)
        let run = try scorer.begin(input: fixture.folder.appending("in.csv"), output: fixture.folder.appending("out.csv"), key: "id")
        #expect(run.rejects == fixture.folder.appending("out.rejects.csv"))
        let summary = try await scorer.score(run)
        #expect(summary.rowsScored == 3 && summary.rowsRejected == 6 && summary.status == "done" && !summary.store)
        #expect(try fixture.text("out.csv") == "id,label,score\nk1,0,2\nk7,0,5\nk9,1,10\n")
        let rejects = try fixture.text("out.rejects.csv").split(separator: "\n").map(String.init)
        #expect(rejects.first == "row,reason,record")
        #expect(rejects.dropFirst().map { $0.split(separator: ",").first.map(String.init) ?? "" } == ["2", "3", "4", "5", "6", "8"])
        #expect(rejects[1] == "2,x: -1 is below the minimum 0,\"k2,b,-1,z\"")
        #expect(rejects[2] == "3,x: 'abc' is not a number,\"k3,a,abc,z\"")
        #expect(rejects[3].hasPrefix("4,\"c: 'zz' is not one of a, b\","))
        #expect(rejects[4].hasPrefix("5,it has 3 fields; the header has 4,"))
        #expect(rejects[5].hasPrefix("6,the model failed on it: ValueError: unlucky 13,"), "\(rejects[5])")
        #expect(rejects[6].hasPrefix("8,x: missing; expected a double,"), "\(rejects[6])")
        // Batches of three input records: rows 1-3 (one good), 4-6 (k6 alone, which raises), 7-9
        // (two good); three in flight at once reach the worker in any order.
        #expect(try fixture.calls().sorted() == [1, 1, 2])
        let stored = try #require(try fixture.store.scoreRun(id: run.id))
        #expect(stored.status == .done && stored.rowsRead == 9 && stored.rowsScored == 3 && stored.rowsRejected == 6)
        let written = try fixture.text("out.csv").utf8.count
        #expect(stored.endedAt != nil && stored.outputOffset == Int64(written))
    }

    /// JSON Lines in and out: the key from each object, the row number when no key is named;
    /// a line that is not an object is a reject.
    /// Scoring data that breaks the model's `expect:` rules stops the run before it begins
    /// (the `validate` step of scoring), naming the rule and the rows; nothing is written.
    @Test func scoringDataIsValidatedBeforeARunBegins() async throws {
        let fixture = try ScoringFixture()
        try fixture.folder.write("in.csv", "id,c,x\nk1,a,1\nk1,b,2\nk3,a,3\n")
        let scorer = try fixture.scorer(batch: 10, expect: "expect:\n  score: { unique: [id] }\n")
        #expect {
            try scorer.begin(input: fixture.folder.appending("in.csv"), output: fixture.folder.appending("out.csv"))
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("cannot score the input \(fixture.folder.appending("in.csv")): it fails the model's expect: rules (")
                && text.contains("row 2")
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.folder.appending("out.csv")))
        #expect(try fixture.store.scoreRuns(model: nil, limit: 5).isEmpty)
        // The same data passes rules it keeps.
        let lenient = try fixture.scorer(batch: 10, expect: "expect:\n  rows: \">= 3\"\n")
        _ = try await lenient.score(try lenient.begin(input: fixture.folder.appending("in.csv"), output: fixture.folder.appending("out.csv")))
        #expect(try fixture.text("out.csv") == "row,label,score\n1,0,2\n2,0,4\n3,1,6\n")
    }

    @Test func jsonLinesAreScoredWithTheirKeyOrRowNumber() async throws {
        let fixture = try ScoringFixture()
        try fixture.folder.write(
            "in.jsonl", #"{"id": "a", "x": 1, "c": "a"}"# + "\n" + #"[1, 2]"# + "\n" + #"{"id": 7, "x": 4.5, "c": "b", "more": {"y": 1}}"# + "\n")
        let keyed = try fixture.scorer(batch: 10)
        let run = try keyed.begin(input: fixture.folder.appending("in.jsonl"), output: fixture.folder.appending("out.jsonl"), key: "id")
        _ = try await keyed.score(run)
        #expect(try fixture.text("out.jsonl") == #"{"id":"a","label":0,"score":2}"# + "\n" + #"{"id":"7","label":1,"score":9}"# + "\n")
        #expect(try fixture.text("out.rejects.csv").contains("\n2,the line is not a JSON object,\"[1, 2]\"\n"))
        let numbered = try fixture.scorer(batch: 10)
        let second = try numbered.begin(input: fixture.folder.appending("in.jsonl"), output: fixture.folder.appending("rows.csv"))
        _ = try await numbered.score(second)
        #expect(try fixture.text("rows.csv") == "row,label,score\n1,0,2\n3,1,9\n")
    }

    /// Without an output the scores go to the store, one per key: a key seen again is rejected.
    /// The reject file defaults to beside the input.
    @Test func scoresGoToTheStoreOncePerKey() async throws {
        let fixture = try ScoringFixture()
        try fixture.folder.write("in.csv", "id,x,c\na,1,a\nb,3,b\na,4,a\nc,5,a\n")
        let scorer = try fixture.scorer(batch: 2, workers: 2)
        let run = try scorer.begin(input: fixture.folder.appending("in.csv"), key: "id")
        #expect(run.output == nil && run.rejects == fixture.folder.appending("in.rejects.csv"))
        let summary = try await scorer.score(run)
        #expect(summary.store && summary.rowsScored == 3 && summary.rowsRejected == 1)
        let scores = try fixture.store.scores(run: run.id, after: 0, limit: 100)
        #expect(scores.map(\.key) == ["a", "b", "c"] && scores.map(\.row) == [1, 2, 4])
        #expect(scores.first?.outputs == #"{"label":0,"score":2}"#)
        #expect(try fixture.text("in.rejects.csv").contains("\n3,id: the key 'a' was scored before in this run,\"a,4,a\"\n"))
    }

    /// A run whose worker dies stops at the last batch the store has, recorded as failed; resumed,
    /// it cuts the output back to the recorded length (a torn line written after goes) and
    /// writes every row once.
    @Test func aStoppedRunResumesWithEveryRowOnce() async throws {
        let fixture = try ScoringFixture()
        let rows = (1...20).map { "r\($0),\($0 == 15 ? 99 : $0 + 20),a" }
        try fixture.folder.write("in.csv", "id,x,c\n" + rows.joined(separator: "\n") + "\n")
        try fixture.folder.write("plugin/crash", "")
        let scorer = try fixture.scorer(batch: 4)
        let run = try scorer.begin(input: fixture.folder.appending("in.csv"), output: fixture.folder.appending("out.csv"), key: "id")
        await #expect(throws: ScoreError.self) { try await scorer.score(run) }
        let stopped = try #require(try fixture.store.scoreRun(id: run.id))
        #expect(stopped.status == .failed && stopped.failure != nil)
        // Rows 1 to 12 were predicted before the worker died on row 15: nothing finished is lost.
        #expect(stopped.rowsRead == 12, "\(stopped.rowsRead)")
        // A torn line after the position, as a kill in the middle of a write leaves.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: fixture.folder.appending("out.csv")))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("r99,1,".utf8))
        try handle.close()
        try FileManager.default.removeItem(atPath: fixture.folder.appending("plugin/crash"))
        let resumed = try scorer.resumable(stopped)
        let summary = try await scorer.score(resumed)
        #expect(summary.resumed && summary.rowsScored == 20 && summary.status == "done")
        let keys = try fixture.text("out.csv").split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[0]) }
        #expect(keys == (1...20).map { "r\($0)" })
        // A done run does not resume; a changed input neither.
        let done = try #require(try fixture.store.scoreRun(id: run.id))
        #expect(throws: ScoreError.self) { try scorer.resumable(done) }
        var changed = done
        changed.status = .failed
        try fixture.folder.write("in.csv", "id,x,c\n")
        #expect(throws: ScoreError.self) { try scorer.resumable(changed) }
    }

    /// Two large batches in flight on one worker (each request line far past a pipe's atomic
    /// write) reach it whole: every row is scored once, in order.
    @Test func largeBatchesInFlightTogetherReachTheWorkerWhole() async throws {
        let fixture = try ScoringFixture()
        let count = 24_000
        try fixture.folder.write("in.csv", "id,x,c\n" + (1...count).map { "row-number-\($0),\($0 % 7 + 20).125,b" }.joined(separator: "\n") + "\n")
        let scorer = try fixture.scorer(batch: 6_000, workers: 1)
        let run = try scorer.begin(input: fixture.folder.appending("in.csv"), output: fixture.folder.appending("out.csv"), key: "id")
        let summary = try await scorer.score(run)
        #expect(summary.rowsScored == count && summary.rowsRejected == 0)
        let keys = try fixture.text("out.csv").split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[0]) }
        #expect(keys == (1...count).map { "row-number-\($0)" })
    }

    /// The binary predict (a pickle each way, docs/worker-protocol.md) gives the model the same
    /// Python values as JSON does, and the same output file; a prediction that holds more than
    /// plain values comes back as JSON, and is written the same.
    @Test func picklesAndJSONScoreAlike() async throws {
        let fixture = try ScoringFixture()
        try fixture.folder.write(
            "plugin/model.py",
            """
            class Wrapped(float):  # not a plain float: the runner answers such predictions as JSON
                pass
            class Model:
                def load(self, artifacts): pass
                def predict(self, instances):
                    out = []
                    for i in instances:
                        kinds = "/".join(f"{k}:{type(v).__name__}" for k, v in sorted(i.items()))
                        score = i["x"] / 3 + 0.1
                        out.append({"label": kinds, "score": Wrapped(score) if i["x"] == 7 else score})
                    return out
            """)
        // Two runners that log how each predict went (what it was sent > what it answered); the
        // second does not offer the pickle: the JSON path.
        for (name, offers) in [("pickle", "True"), ("json", "False")] {
            try fixture.folder.write(
                "plugin/\(name)_runner.py",
                """
                import os, mf_runner
                plain = mf_runner._handle
                def handle(model, request):
                    answer = plain(model, request)
                    if request.get("method") == "load" and not \(offers):
                        answer.pop("encodings", None)
                    if request.get("method") == "predict":
                        sent = "pickle" if "pickle" in request["params"] else "instances"
                        with open(os.path.join(os.path.dirname(__file__), "\(name).log"), "a") as log:
                            log.write(sent + ">" + next(iter(answer)) + "\\n")
                    return answer
                mf_runner._handle = handle
                mf_runner.main()
                """)
        }
        let rows = ["id,x,c", "k1,1,a", "k2,2.5,b", "k3,1e-7,a", "k4,12345678901,b", "k5,7,a", "k6,0.1,b", "k7,-0,a"]
        try fixture.folder.write("in.csv", rows.joined(separator: "\n") + "\n")
        var outputs: [String: String] = [:]
        for name in ["pickle", "json"] {
            let scorer = try fixture.scorer(batch: 3, runner: "\(name)_runner.py")
            let run = try scorer.begin(input: fixture.folder.appending("in.csv"), output: fixture.folder.appending("\(name).csv"), key: "id")
            let summary = try await scorer.score(run)
            let rejects = try fixture.text("\(name).rejects.csv")
            #expect(summary.rowsScored == 7 && summary.rowsRejected == 0, "\(name): \(rejects)")
            outputs[name] = try fixture.text("\(name).csv")
        }
        #expect(outputs["pickle"] == outputs["json"])
        // The pickle went both ways, but for the batch with k5, whose Wrapped score came back as JSON.
        #expect(try fixture.text("plugin/pickle.log").split(separator: "\n").sorted() == ["pickle>pickle", "pickle>pickle", "pickle>predictions"])
        #expect(try fixture.text("plugin/json.log").split(separator: "\n") == ["instances>predictions", "instances>predictions", "instances>predictions"])
        let lines = try #require(outputs["pickle"]).split(separator: "\n").map(String.init)
        #expect(lines.count == 8)
        #expect(lines[1] == "k1,c:str/x:int,0.43333333333333335")
        #expect(lines[2] == "k2,c:str/x:float,0.9333333333333333")
        #expect(lines[4] == "k4,c:str/x:int,4115226300.4333334")
        #expect(lines[5].hasPrefix("k5,c:str/x:int,2.4333333333333"))
    }

    /// A run's output and reject files are held while it writes them: a second `mf score` onto
    /// them (a second resume of the run, or a new run onto its output) stops before it cuts or
    /// empties them, and the run goes on once they are free.
    @Test func filesInUseAreNotTouchedByAnotherRun() async throws {
        let fixture = try ScoringFixture()
        try fixture.folder.write("in.csv", "id,x,c\nk1,1,a\nk2,2,b\n")
        let scorer = try fixture.scorer(batch: 10)
        let output = fixture.folder.appending("out.csv")
        let run = try scorer.begin(input: fixture.folder.appending("in.csv"), output: output, key: "id")
        // Another process holding the output, as a running mf score does.
        try fixture.folder.write("out.csv", "id,label,score\nk1,0,2\n")
        let holder = open(output, O_WRONLY | O_CLOEXEC)
        try #require(holder >= 0 && flock(holder, LOCK_EX | LOCK_NB) == 0)
        #expect(throws: ScoreError.output(path: output, reason: "another mf score is writing it")) {
            try scorer.begin(input: fixture.folder.appending("in.csv"), output: output, key: "id")
        }
        await #expect(throws: ScoreError.output(path: output, reason: "another mf score is writing it")) { try await scorer.score(run) }
        #expect(try fixture.text("out.csv") == "id,label,score\nk1,0,2\n")
        #expect(try fixture.store.scoreRun(id: run.id)?.status == .running)
        close(holder)
        let summary = try await scorer.score(run)
        #expect(summary.rowsScored == 2)
        #expect(try fixture.text("out.csv") == "id,label,score\nk1,0,2\nk2,0,4\n")
    }

    /// Inputs that cannot be scored are one error each, before any row is.
    @Test func unusableInputsAreRefused() async throws {
        let fixture = try ScoringFixture()
        try fixture.folder.write("in.csv", "id,x\n1,2\n")
        try fixture.folder.write("ok.csv", "id,x,c\n1,2,a\n")
        let scorer = try fixture.scorer(batch: 2)
        #expect(throws: ScoreError.input(path: fixture.folder.appending("none.csv"), reason: "there is no such file")) {
            try scorer.begin(input: fixture.folder.appending("none.csv"))
        }
        #expect(throws: ScoreError.self) { try scorer.begin(input: fixture.folder.appending("in.csv")) }
        #expect(throws: ScoreError.unknownKey("nope", input: fixture.folder.appending("ok.csv"), columns: ["id", "x", "c"])) {
            try scorer.begin(input: fixture.folder.appending("ok.csv"), key: "nope")
        }
        #expect(throws: ScoreError.outputFormat(path: "out.txt")) { try scorer.begin(input: fixture.folder.appending("ok.csv"), output: "out.txt") }
        #expect(try fixture.store.scoreRuns(model: nil, limit: 10).isEmpty)
    }
}

/// How `mf score` names a bundle: a version, an environment, or the newest release.
@Suite(.onTestThreads) struct ScoringBundleTests {
    @Test func versionsEnvironmentsAndTheNewestReleaseNameBundles() async throws {
        let store = try SQLiteStore.inMemory()
        let model = try store.modelID(repository: "/src/churn", name: "churn")
        let date = Date(timeIntervalSince1970: 1_800_000_000)
        for (version, tag) in [("1.2.0", "v1.2.0"), ("1.10.0", "v1.10.0"), ("1.11.0-rc.1", nil as String?)] {
            try store.record(
                BundleRecord(
                    modelId: model, version: version, tag: tag, ref: tag.map { "refs/tags/\($0)" } ?? "refs/heads/development", commit: "c-\(version)",
                    sessionId: "s-\(version)", path: "/b/\(version)", archive: "/b/\(version).tar.gz", sha256: "0", createdAt: date))
        }
        try store.record(
            EnvironmentRecord(
                repository: "/src/churn", model: "churn", name: "production", version: "1.2.0", tag: "v1.2.0", commit: "c-1.2.0", bundle: "/b/1.2.0",
                updatedAt: date))
        #expect(try store.scoringBundle("churn", repository: nil).bundle.version == "1.10.0")
        #expect(try store.scoringBundle("churn@v1.2", repository: nil).bundle.version == "1.2.0")
        #expect(try store.scoringBundle("churn@1.11.0-rc.1", repository: "/src/churn").bundle.version == "1.11.0-rc.1")
        #expect(try store.scoringBundle("churn@production", repository: nil).bundle.version == "1.2.0")
        #expect(throws: ScoreError.self) { try store.scoringBundle("churn@staging", repository: nil) }
        #expect(throws: ScoreError.self) { try store.scoringBundle("churn@3.0.0", repository: nil) }
        #expect(throws: ScoreError.self) { try store.scoringBundle("churn", repository: "/src/other") }
        // The same model name bundled in a second repository needs --repo.
        let other = try store.modelID(repository: "/src/fork", name: "churn")
        try store.record(
            BundleRecord(
                modelId: other, version: "9.0.0", tag: "v9.0.0", ref: "refs/tags/v9.0.0", commit: "c9", sessionId: "s9", path: "/f/9",
                archive: "/f/9.tar.gz", sha256: "0", createdAt: date))
        #expect(throws: ScoreError.self) { try store.scoringBundle("churn", repository: nil) }
        #expect(try store.scoringBundle("churn", repository: "/src/fork").bundle.version == "9.0.0")
    }
}
