import Foundation
import SQLiteStore
import Store
import TestSupport
import Testing

/// A released Python model that scores x (label: x > 2.5, double: 2x). A predict call holding
/// x == 500 waits while `$MF_TEST_HOLD` is set: it writes HOLD.held and goes on once HOLD
/// exists, and ends at once when its parent (mf) is gone.
func scoringModel() async throws -> (fixture: GitFixture, home: TemporaryDirectory) {
    let fixture = try GitFixture("score-model")
    try FileManager.default.copyItem(atPath: repositoryRoot.appendingPathComponent("runtimes/python/mf_runner.py").path, toPath: fixture.path + "/mf_runner.py")
    try fixture.directory.write(
        "repo/model.py",
        """
        import os, time
        class Model:
            def train(self, data, artifacts, seed):
                with open(os.path.join(artifacts, "cut.txt"), "w") as handle: handle.write("2.5\\n")
                self.cut = 2.5
                return {}
            def load(self, artifacts): self.cut = float(open(os.path.join(artifacts, "cut.txt")).read())
            def evaluate(self, data): return {"auc": 1.0}
            def predict(self, instances):
                hold = os.environ.get("MF_TEST_HOLD")
                if hold and any(i["x"] == 500 for i in instances):
                    parent = os.getppid()
                    open(hold + ".held", "w").close()
                    deadline = time.time() + 120
                    while not os.path.exists(hold) and time.time() < deadline:
                        if os.getppid() != parent: os._exit(1)
                        time.sleep(0.05)
                return [{"label": int(i["x"] > self.cut), "double": i["x"] * 2} for i in instances]
        """)
    try fixture.directory.write("repo/data.csv", "x,y\n1,0\n4,1\n")
    try fixture.directory.write(
        "repo/model.yaml",
        """
        name: scorer
        runtime: python
        train: { data: data.csv }
        evaluate: { data: data.csv }
        schema:
          inputs: [{ name: x, type: double, min: 0 }]
          outputs: [{ name: label, type: int }, { name: double, type: double }]
        gates: { auc: ">= 0.5" }
        examples: [{ x: 1 }]
        """)
    try fixture.git(["add", "-A"])
    try fixture.git(["commit", "-q", "-m", "model"])
    try fixture.git(["tag", "-a", "-m", "release", "v1.0.0"])
    let home = TemporaryDirectory("score-home")
    let bundled = try await mf(["bundle", "v1.0.0", "--repo", fixture.path, "--home", home.path])
    #expect(bundled.status == 0, "\(bundled.stderr)")
    return (fixture, home)
}

@Suite(.onTestThreads) struct ScoreTests {
    /// CSV in, CSV and JSON Lines out (by extension) or the store; bad rows in the reject file
    /// beside the output (or the input) with their row number and reason; a summary as JSON.
    @Test(.timeLimit(.minutes(5))) func scoresToFilesAndTheStore() async throws {
        let (_, home) = try await scoringModel()
        try home.write("data/in.csv", "id,x,note\na,1,first\nb,-2,negative\nc,4,\"with, comma\"\nd,oops,text\ne,2.5,last\n")
        let csv = try await mf(
            [
                "score", "scorer@1.0.0", "--input", home.appending("data/in.csv"), "--output", home.appending("data/scores.csv"), "--key", "id", "--json",
                "--home", home.path, "--batch", "2",
            ])
        #expect(csv.status == 0, "\(csv.stderr)")
        let summary = try #require(try json(csv) as? [String: Any])
        #expect(summary["model"] as? String == "scorer" && summary["version"] as? String == "1.0.0" && summary["status"] as? String == "done")
        #expect(summary["rowsScored"] as? Int == 3 && summary["rowsRejected"] as? Int == 2 && summary["store"] as? Bool == false)
        #expect(summary["rejects"] as? String == home.appending("data/scores.rejects.csv") && summary["rowsPerSecond"] is Double)
        #expect(try String(contentsOfFile: home.appending("data/scores.csv"), encoding: .utf8) == "id,label,double\na,0,2\nc,1,8\ne,0,5\n")
        let rejects = try String(contentsOfFile: home.appending("data/scores.rejects.csv"), encoding: .utf8)
        #expect(rejects == "row,reason,record\n2,x: -2 is below the minimum 0,\"b,-2,negative\"\n4,x: 'oops' is not a number,\"d,oops,text\"\n")

        let jsonl = try await mf([
            "score", "scorer", "--input", home.appending("data/in.csv"), "--output", home.appending("data/rows.jsonl"), "--home", home.path,
        ])
        #expect(jsonl.status == 0 && jsonl.stdout.contains("3 rows scored into"), "\(jsonl.stdout)\(jsonl.stderr)")
        #expect(
            try String(contentsOfFile: home.appending("data/rows.jsonl"), encoding: .utf8)
                == #"{"row":1,"label":0,"double":2}"# + "\n" + #"{"row":3,"label":1,"double":8}"# + "\n" + #"{"row":5,"label":0,"double":5}"# + "\n")

        let stored = try await mf(["score", "scorer@v1.0.0", "--input", home.appending("data/in.csv"), "--key", "id", "--json", "--home", home.path])
        #expect(stored.status == 0, "\(stored.stderr)")
        let storedSummary = try #require(try json(stored) as? [String: Any])
        #expect(storedSummary["store"] as? Bool == true && storedSummary["output"] is NSNull)
        #expect(storedSummary["rejects"] as? String == home.appending("data/in.rejects.csv"))
        let store = try SQLiteStore(path: home.appending("factory.sqlite"))
        let scores = try store.scores(run: try #require(storedSummary["run"] as? String), after: 0, limit: 100)
        #expect(
            scores.map(\.key) == ["a", "c", "e"]
                && scores.map(\.outputs) == [#"{"label":0,"double":2}"#, #"{"label":1,"double":8}"#, #"{"label":0,"double":5}"#])
    }

    /// Input that cannot be scored is one sentence on stderr and exit status 2.
    @Test(.timeLimit(.minutes(5))) func badInputIsOneSentence() async throws {
        let (_, home) = try await scoringModel()
        try home.write("in.csv", "id,x\n1,2\n")
        let input = home.appending("in.csv")
        for (arguments, text) in [
            (["scorer", "--input", home.appending("missing.csv")], "there is no such file"),
            (["nomodel", "--input", input], "no bundle of a model 'nomodel'"),
            (["scorer@2.0.0", "--input", input], "scorer has no bundle of version 2.0.0 (its bundles: 1.0.0)"),
            (["scorer@canary", "--input", input], "'canary' is neither a version of scorer nor an environment"),
            (["scorer", "--input", input, "--key", "customer"], "--key customer: the input \(input) has no such column (it has id, x)"),
            (["scorer", "--input", input, "--output", home.appending("out.parquet")], "the output's extension must be .csv or .jsonl"),
            (["--resume", "0000-none"], "no scoring run '0000-none' in the store"),
        ] {
            expectOneLineError(try await mf(["score"] + arguments + ["--home", home.path]), containing: text)
        }
    }

    /// `kill -9` of mf score in the middle of a run, then `mf score --resume RUN`: every row is
    /// scored exactly once, in the store (its unique run and key proves it) or in the output file.
    @Test(.timeLimit(.minutes(5)), arguments: [false, true]) func aKilledRunResumesWithEveryRowOnce(toFile: Bool) async throws {
        let (_, home) = try await scoringModel()
        let rows = 3000
        let lines = (1...rows).map { "k\($0),\($0 == 2050 ? 500 : $0 % 7)" }
        try home.write("in.csv", "id,x\n" + lines.joined(separator: "\n") + "\n")
        let hold = home.appending("hold")
        let output = home.appending("out.jsonl")
        let first = try BackgroundMF(
            ["score", "scorer", "--input", home.appending("in.csv"), "--key", "id", "--batch", "100", "--home", home.path]
                + (toFile ? ["--output", output] : []),
            environment: ["MF_TEST_HOLD": hold])
        #expect(try await eventually { FileManager.default.fileExists(atPath: hold + ".held") }, "\(first.output)")
        #expect(first.terminate(signal: SIGKILL) == SIGKILL)
        let store = try SQLiteStore(path: home.appending("factory.sqlite"))
        let killed = try #require(try store.scoreRuns(model: "scorer", limit: 1).first)
        #expect(killed.status == .running && killed.rowsRead < 2050 && killed.rowsRead % 100 == 0, "\(killed)")

        let resumed = try await mf(["score", "--resume", killed.id, "--json", "--home", home.path])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let summary = try #require(try json(resumed) as? [String: Any])
        #expect(summary["resumed"] as? Bool == true && summary["rowsScored"] as? Int == rows && summary["rowsRejected"] as? Int == 0)
        let keys: [String]
        if toFile {
            let text = try String(contentsOfFile: output, encoding: .utf8)
            keys = try text.split(separator: "\n").map { line in
                try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["id"] as? String ?? ""
            }
        } else {
            keys = try store.scores(run: killed.id, after: 0, limit: rows + 10).map(\.key)
        }
        #expect(keys == (1...rows).map { "k\($0)" })
        #expect(try store.scoreRun(id: killed.id)?.status == .done)
    }
}
