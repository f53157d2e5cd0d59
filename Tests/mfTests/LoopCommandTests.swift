import Foundation
import SQLiteStore
import Store
import TestSupport
import Testing

/// The production loop through the real `mf`: `mf feedback`, `mf metrics --live` and
/// `--compare` with live values, a server killed with `kill -9` while it logs, and `mf replay`.
@Suite(.serialized, .onTestThreads) struct LoopCommandTests {
    /// Before any test runs (labels without a time are stamped now, and join what came before).
    let start = Date(timeIntervalSince1970: 1_700_000_000)

    func store(_ home: TemporaryDirectory) throws -> SQLiteStore { try SQLiteStore(path: home.appending("factory.sqlite")) }

    /// Labels from a CSV join the logged predictions; unknown ids are counted and named; a
    /// file without the columns is one sentence and exit 2.
    @Test(.timeLimit(.minutes(2)))
    func feedbackFromAFile() throws {
        let home = TemporaryDirectory("feedback-home")
        let store = try store(home)
        try store.record(predictions: ["a", "b"].map { LoggedPrediction(id: $0, model: "demo", version: "1.0.0", time: start, inputs: "{}", outputs: "{}") })
        try home.write("labels.csv", "id,label,time\na,1,\nb,no,2099-01-01T00:00:00Z\nzz,0,\n")
        let result = try mf(["feedback", "--model", "demo", "--input", home.appending("labels.csv"), "--home", home.path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let counts = try #require(try json(result) as? [String: Any])
        #expect(counts["received"] as? Int == 3 && counts["joined"] as? Int == 2 && counts["unknown"] as? Int == 1)
        #expect(counts["unknown_ids"] as? [String] == ["zz"])
        #expect(try store.labelledPredictions(model: "demo", version: "1.0.0").map(\.label) == ["1", #""no""#])
        let text = try mf(["feedback", "--model", "demo", "--input", home.appending("labels.csv"), "--home", home.path])
        #expect(text.status == 0 && text.stdout.contains("received 3 labels: 2 joined a logged prediction, 1 unknown (zz)"), "\(text.stdout)")

        try home.write("bad.csv", "id,outcome\na,1\n")
        expectOneLineError(
            try mf(["feedback", "--model", "demo", "--input", home.appending("bad.csv"), "--home", home.path]), containing: "id and label")
        try home.write("late.csv", "id,label,time\na,1,last week\n")
        expectOneLineError(try mf(["feedback", "--model", "demo", "--input", home.appending("late.csv"), "--home", home.path]), containing: "line 2")
    }

    /// `mf metrics --live` lists live sessions oldest first; `--compare` shows the newest live
    /// values beside train and evaluate; `mf metrics VERSION` never picks a live session.
    @Test(.timeLimit(.minutes(2)))
    func liveMetricsHistoryAndComparison() throws {
        let home = TemporaryDirectory("live-home")
        let store = try store(home)
        let model = try store.modelID(repository: "/src/demo", name: "demo")
        var releases: [String: String] = [:]
        for (index, version) in ["1.0.0", "1.0.1"].enumerated() {
            let id = "release-\(version)"
            releases[version] = id
            try store.insert(
                Session(
                    id: id, modelId: model, commit: "c\(index)", tree: "t\(index)", recipe: "r", version: version, trigger: .bundle, status: .passed,
                    startedAt: start.addingTimeInterval(Double(index)), endedAt: start))
            try store.record([Metric(sessionId: id, modelId: model, name: "auc", split: "evaluate", value: 0.9 + Double(index) / 100)])
        }
        for (index, auc) in [0.8, 0.75].enumerated() {
            let id = "live-\(index)"
            try store.record(
                live: LiveEvaluation(
                    session: Session(
                        id: id, modelId: model, commit: "c1", tree: "t1", recipe: "r", version: "1.0.1", trigger: .live, status: .passed,
                        startedAt: start.addingTimeInterval(Double(100 + index)), endedAt: start.addingTimeInterval(Double(100 + index))),
                    model: "demo", liveOf: "release-1.0.1", rows: 20 + index,
                    metrics: [Metric(sessionId: id, modelId: model, name: "auc", split: "live", value: auc)]))
        }
        let live = try mf(["metrics", "--live", "--model", "demo", "--home", home.path, "--json"])
        let history = try #require(try json(live) as? [[String: Any]])
        #expect(history.map { $0["session"] as? String } == ["live-0", "live-1"] && history.map { $0["rows"] as? Int } == [20, 21])
        #expect((history.last?["metrics"] as? [String: Double])?["auc"] == 0.75 && history.last?["version"] as? String == "1.0.1")
        let table = try mf(["metrics", "--live", "--model", "demo", "--home", home.path])
        #expect(table.status == 0 && table.stdout.contains("auc=0.75") && table.stdout.contains("VERSION"), "\(table.stdout)")

        let compared = try #require(
            try json(mf(["metrics", "--compare", "1.0.0", "1.0.1", "--model", "demo", "--home", home.path, "--json"])) as? [String: Any])
        let rows = try #require(compared["metrics"] as? [[String: Any]])
        let liveRow = try #require(rows.first { $0["split"] as? String == "live" })
        #expect(liveRow["name"] as? String == "auc" && liveRow["b"] as? Double == 0.75 && liveRow["a"] is NSNull)
        #expect(compared["b"] as? String == releases["1.0.1"])
        let chosen = try #require(try json(mf(["metrics", "1.0.1", "--model", "demo", "--home", home.path, "--json"])) as? [String: Any])
        #expect(chosen["session"] as? String == "release-1.0.1")
        let refused = try mf(["metrics", "--live", "--home", home.path])
        #expect(refused.status != 0 && refused.stderr.contains("--live needs --model"), "\(refused.stderr)")
    }

    /// A served prediction carries its id; the log reaches the store within a flush; feedback
    /// over HTTP joins it; `kill -9` in the middle of logging leaves a store that opens, passes
    /// SQLite's integrity check and keeps what was flushed.
    @Test(.timeLimit(.minutes(5)))
    func killedWhileLoggingLeavesTheStoreIntact() throws {
        let fixture = try servedModel()
        let home = TemporaryDirectory("loop-serve-home")
        _ = try bundled(fixture, ["v1.0.0"], home: home)
        let server = try ServerProcess([home.appending("bundles/demo/demo-1.0.0.tar.gz"), "--home", home.path, "--workers", "1", "--log-flush-ms", "20"])
        let answer = try http("POST", port: server.port, "/v1/models/demo:predict", body: predictBody([["x": 4, "kind": "a"], ["x": 1, "kind": "b"]]))
        let ids = try #require((try answer.json() as? [String: Any])?["ids"] as? [String])
        #expect(answer.status == 200 && ids.count == 2 && answer.headers["x-prediction-id"] == ids.first, "\(answer.text)")
        let store = try store(home)
        #expect(try pollUntil { try store.predictions(model: "demo", version: "1.0.0", since: nil, limit: 10).count == 2 })
        let feedback = try http(
            "POST", port: server.port, "/v1/models/demo/feedback", json: ["feedback": [["id": ids[0], "label": 1], ["id": "nope", "label": 0]]])
        let joined = (try feedback.json() as? [String: Any])?["joined"] as? Int
        #expect(feedback.status == 200 && joined == 1, "\(feedback.text)")
        for x in 0..<40 { _ = try http("POST", port: server.port, "/v1/models/demo:predict", body: predictBody([["x": Double(x % 5), "kind": "a"]])) }
        kill(server.process.processIdentifier, SIGKILL)
        server.process.waitUntilExit()
        #expect(server.process.terminationReason == .uncaughtSignal)
        #expect(try integrityCheck(home.path) == "ok")
        let reopened = try SQLiteStore(path: home.appending("factory.sqlite"))
        #expect(try reopened.integrityCheck() == "ok")
        let kept = try reopened.predictions(model: "demo", version: nil, since: nil, limit: 1000)
        #expect(kept.count >= 2 && kept.count <= 42 && kept.prefix(2).map(\.id) == ids)
        #expect(try reopened.labelCount(model: "demo") == 2)

        // Replay the log on the same version, loaded here: every answer agrees.
        let replay = try mf(["replay", "--to", "1.0.0", "--home", home.path, "--json"])
        let report = try #require(try json(replay) as? [String: Any])
        #expect(report["requests"] as? Int == kept.count && report["errors"] as? Int == 0 && report["agreed"] as? Int == kept.count, "\(replay.stdout)")
        #expect((report["outputs"] as? [String: Double])?["label"] == 1 && (report["p99_ms"] as? Double ?? 0) > 0)
        expectOneLineError(try mf(["replay", "--to", "9.9.9", "--home", home.path]), containing: "--model")
    }
}
