import Foundation
import TestSupport
import Testing

/// A root Python model `churn` whose model.yaml declares `expect:` rules on `x`, with the
/// training (and evaluation) data `data.csv` as given.
func expectingModel(data: String, expect: String) throws -> GitFixture {
    let fixture = try GitFixture("expect-model")
    try FileManager.default.copyItem(atPath: repositoryRoot.appendingPathComponent("runtimes/python/mf_runner.py").path, toPath: fixture.path + "/mf_runner.py")
    try fixture.directory.write(
        "repo/model.py",
        """
        import os
        class Model:
            def train(self, data, artifacts, seed):
                open(os.path.join(os.environ.get("MF_TRAIN_MARK", os.devnull)), "a").write("trained\\n")
                return {}
            def load(self, artifacts): pass
            def evaluate(self, data): return {"auc": 0.9}
            def predict(self, instances): return [{"label": int(i["x"] > 2.5)} for i in instances]
        """)
    try fixture.directory.write("repo/data.csv", data)
    try fixture.directory.write(
        "repo/model.yaml",
        """
        name: churn
        runtime: python
        train: { data: data.csv }
        evaluate: { data: data.csv }
        schema: { inputs: [{ name: x, type: double }], outputs: [{ name: label, type: int }] }
        examples: [{ x: 1 }]
        expect:
        \(expect)
        """)
    try fixture.git(["add", "-A"])
    try fixture.git(["commit", "-q", "-m", "model"])
    return fixture
}

@Suite(.onTestThreads) struct DataCheckTests {
    /// `mf build` fails in `validate` naming the rule, the rows and the values (text and
    /// `--json`); train never runs; `mf report` has a Data checks section; `mf validate`
    /// checks a file without training.
    @Test func buildFailsInValidate() async throws {
        let home = TemporaryDirectory("expect-home")
        let environment = ["MF_HOME": home.path, "MF_TRAIN_MARK": home.appending("trained")]
        let fixture = try expectingModel(
            data: "id,x,y\n1,1,0\n2,-1,0\n3,3,1\n3,-4,1\n",
            expect: "  unique: [id]\n  columns: { x: { type: double, min: 0 }, y: { values: ['0', '1'] } }")
        let build = try await mf(["build", "--repo", fixture.path], environment: environment)
        #expect(build.status == 1, "\(build.stdout)\n\(build.stderr)")
        #expect(build.stdout.contains("churn: FAILED: validate: 2 rules failed on data.csv: id unique: row 4 (3 as row 3); x min 0: rows 2, 4 (-1, -4)"))
        #expect(build.stdout.contains("  FAIL x min 0: rows 2, 4 (-1, -4)"))
        #expect(build.stdout.contains("validate") && !build.stdout.contains("train  "))
        #expect(!FileManager.default.fileExists(atPath: home.appending("trained")))

        let again = try await mf(["build", "--repo", fixture.path, "--json"], environment: environment)
        #expect(again.status == 1)
        let reports = try #require(try json(again) as? [[String: Any]])
        let checks = try #require(reports.first?["dataChecks"] as? [[String: Any]])
        #expect(checks.first?["passed"] as? Bool == false && checks.first?["path"] as? String == "data.csv")
        let rules = try #require(checks.first?["rules"] as? [[String: Any]])
        let min = try #require(rules.first { $0["rule"] as? String == "min" })
        #expect(min["column"] as? String == "x" && min["status"] as? String == "failed" && min["offendingRows"] as? Int == 2)
        #expect((min["examples"] as? [[String: Any]])?.map { "\($0["row"]!)=\($0["value"]!)" } == ["2=-1", "4=-4"])
        let steps = (reports.first?["steps"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        #expect(steps == ["build", "validate"])
        let session = try #require(reports.first?["session"] as? String)

        let page = try await mf(["report", session, "-o", "-"], environment: environment)
        #expect(page.status == 0 && page.stdout.contains("<h2>Data checks</h2>") && page.stdout.contains("x min 0"))
        #expect(page.stdout.contains("<td class=\"mono\">2, 4</td><td class=\"mono\">-1, -4</td>"))

        let validate = try await mf(["validate", fixture.path], environment: environment)
        #expect(validate.status == 1 && validate.stdout.contains("  FAIL x min 0: rows 2, 4 (-1, -4)"))
        try fixture.directory.write("good.jsonl", "{\"id\": 1, \"x\": 2, \"y\": \"1\"}\n")
        let good = try await mf(["validate", fixture.path, "--data", fixture.directory.appending("good.jsonl"), "--json"], environment: environment)
        #expect(good.status == 0)
        #expect((try json(good) as? [String: Any])?["passed"] as? Bool == true)
        let missing = try await mf(["validate", fixture.path, "--data", fixture.directory.appending("none.csv")], environment: environment)
        expectOneLineError(missing, containing: "cannot read")
    }

    /// A release whose data drifted from the previous release's training data (PSI) fails in
    /// `validate`; the reconciler and `mf status` say it is blocked by data. The first release,
    /// with no previous one, skips its psi rule.
    @Test func driftedReleaseIsBlockedByData() async throws {
        let home = TemporaryDirectory("expect-home")
        let environment = ["MF_HOME": home.path]
        let rows = (1...40).map { "\($0),\($0 > 20 ? 1 : 0)" }.joined(separator: "\n")
        let fixture = try expectingModel(data: "x,y\n\(rows)\n", expect: "  columns: { x: { type: double, min: 0, psi: \"<= 0.2\" } }")
        try fixture.git(["tag", "-a", "-m", "1.0.0", "v1.0.0"])
        let first = try await mf(["reconcile", "--repo", fixture.path, "--json"], environment: environment)
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        let drifted = (1...40).map { "\($0 + 100),\($0 > 20 ? 1 : 0)" }.joined(separator: "\n")
        try fixture.directory.write("repo/data.csv", "x,y\n\(drifted)\n")
        try fixture.git(["commit", "-q", "-am", "new data"])
        try fixture.git(["tag", "-a", "-m", "1.1.0", "v1.1.0"])
        let second = try await mf(["reconcile", "--repo", fixture.path, "--json"], environment: environment)
        let report = try #require(try json(second) as? [String: Any])
        let failed = stringActions(report).first { $0["kind"] == "bundle" && $0["target"] == "v1.1.0" }
        #expect(failed?["outcome"] == "failed")
        #expect(
            failed?["detail"]?.contains("churn at v1.1.0 is blocked by data: its session failed (validate: 1 rule failed on data.csv: x psi <= 0.2:") == true)
        #expect(failed?["detail"]?.contains("against the training data of release 1.0.0") == true)
        let status = try await mf(["status", "--repo", fixture.path], environment: environment)
        #expect(status.stdout.contains("Release v1.1.0 has no bundle: blocked by data: its session"), "\(status.stdout)")

        let sessions = try #require(try json(try await mf(["sessions", "--repo", fixture.path, "--json"], environment: environment)) as? [[String: Any]])
        let released = try #require(sessions.first { $0["version"] as? String == "1.0.0" }?["id"] as? String)
        let page = try await mf(["report", released, "-o", "-"], environment: environment)
        #expect(page.stdout.contains("skipped") && page.stdout.contains("there is no previous release to compare with"))
    }
}
