import Foundation
import SQLiteStore
import Store
import TestSupport
import Testing

/// A Python model (no requirements) released as v1.0.0 whose 200 training rows have x evenly
/// over [0, 20) and kind a and b in turn; its drift threshold is 0.25.
func profiledModel() throws -> GitFixture {
    let fixture = try GitFixture("drift-model")
    try FileManager.default.copyItem(atPath: repositoryRoot.appendingPathComponent("runtimes/python/mf_runner.py").path, toPath: fixture.path + "/mf_runner.py")
    try fixture.directory.write(
        "repo/model.py",
        """
        import os
        class Model:
            def train(self, data, artifacts, seed):
                with open(os.path.join(artifacts, "weights.txt"), "w") as handle: handle.write("10\\n")
                return {}
            def load(self, artifacts): pass
            def evaluate(self, data): return {"auc": 1.0}
            def predict(self, instances): return [{"label": int(i["x"] > 10)} for i in instances]
        """)
    let rows = (0..<200).map { "\(Double($0) / 10),\($0 % 2 == 0 ? "a" : "b")" }
    try fixture.directory.write("repo/data.csv", "x,kind\n" + rows.joined(separator: "\n") + "\n")
    try fixture.directory.write(
        "repo/model.yaml",
        """
        name: demo
        runtime: python
        train: { data: data.csv }
        evaluate: { data: data.csv }
        schema:
          inputs: [{ name: x, type: double, min: 0 }, { name: kind, type: string, values: [a, b] }]
          outputs: [{ name: label, type: int }]
        gates: { auc: ">= 0.9" }
        examples: [{ x: 1, kind: a }]
        monitor: { psi: 0.25 }
        """)
    try fixture.git(["add", "-A"])
    try fixture.git(["commit", "-q", "-m", "model"])
    try fixture.git(["tag", "-a", "-m", "release", "v1.0.0"])
    return fixture
}

/// The training profile through `mf`: bundled, verified, reproducible; then served, with
/// shifted inputs read back from `/stats`, `/metrics` and the log.
@Suite(.serialized, .onTestThreads) struct DriftEndToEndTests {
    @Test func theProfileIsBundledReproduciblyAndVerified() throws {
        let fixture = try profiledModel()
        let one = TemporaryDirectory("home")
        let two = TemporaryDirectory("home")
        let first = try #require(try bundled(fixture, ["v1.0.0"], home: one).first)
        let second = try #require(try bundled(fixture, ["v1.0.0"], home: two).first)
        let profile = try Data(contentsOf: URL(fileURLWithPath: first + "/profile.json"))
        #expect(profile == (try Data(contentsOf: URL(fileURLWithPath: second + "/profile.json"))))
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: one.appending("bundles/demo/demo-1.0.0.tar.gz")))
                == Data(contentsOf: URL(fileURLWithPath: two.appending("bundles/demo/demo-1.0.0.tar.gz"))))

        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: first + "/bundle.json"))) as? [String: Any])
        #expect((manifest["files"] as? [[String: Any]])?.contains { $0["path"] as? String == "profile.json" } == true, "\(manifest)")
        let read = try #require(try JSONSerialization.jsonObject(with: profile) as? [String: Any])
        let fields = try #require(read["fields"] as? [[String: Any]])
        #expect(read["rows"] as? Int == 200 && fields.map { $0["name"] as? String } == ["x", "kind"], "\(read)")
        #expect(fields[0]["count"] as? Int == 200 && fields[0]["missing_share"] as? Double == 0)
        let numbers = try #require(fields[0]["numbers"] as? [String: Any])
        #expect((numbers["cuts"] as? [Double])?.count == 9 && numbers["shares"] as? [Double] == [Double](repeating: 0.1, count: 10), "\(numbers)")
        #expect((fields[1]["categories"] as? [[String: Any]])?.map { $0["value"] as? String } == ["a", "b"])

        let verified = try mf(["verify", first])
        #expect(verified.status == 0 && verified.stdout.contains("intact"), "\(verified.stdout)\(verified.stderr)")
        try Data(String(decoding: profile, as: UTF8.self).replacingOccurrences(of: "\"rows\": 200", with: "\"rows\": 201").utf8)
            .write(to: URL(fileURLWithPath: first + "/profile.json"))
        let changed = try mf(["verify", first, "--json"])
        #expect(changed.status == 1 && changed.stdout.contains("profile.json"), "\(changed.stdout)")
    }

    @Test(.timeLimit(.minutes(5)))
    func shiftedInputsRaiseTheShiftedFieldsDrift() throws {
        let fixture = try profiledModel()
        let home = TemporaryDirectory("home")
        let folder = try #require(try bundled(fixture, ["v1.0.0"], home: home).first)
        let server = try ServerProcess([folder, "--home", home.path, "--workers", "1", "--drift-window", "200", "--drift-sample-seconds", "0.2"])
        let port = server.port

        // x far above the training data's [0, 20); kind a and b in turn, as in training.
        for start in stride(from: 0, to: 150, by: 50) {
            let instances: [[String: Any]] = (start..<start + 50).map { ["x": 100 + Double($0), "kind": $0 % 2 == 0 ? "a" : "b"] }
            let answer = try http("POST", port: port, "/v1/models/demo:predict", body: predictBody(instances))
            #expect(answer.status == 200, "\(answer.text)")
        }
        let stats = try #require(try http("GET", port: port, "/v2/models/demo/stats").json() as? [String: Any])
        #expect(stats["window"] as? Int == 150 && stats["capacity"] as? Int == 200 && stats["threshold"] as? Double == 0.25, "\(stats)")
        let fields = try #require(stats["fields"] as? [[String: Any]])
        let x = try #require(fields.first { $0["name"] as? String == "x" })
        let kind = try #require(fields.first { $0["name"] as? String == "kind" })
        #expect((x["psi"] as? Double ?? 0) > 0.25 && x["alert"] as? Bool == true, "\(stats)")
        #expect((kind["psi"] as? Double ?? 1) < 0.25 && kind["alert"] as? Bool == false, "\(stats)")

        let metrics = try http("GET", port: port, "/metrics").text
        #expect((metricValue(metrics, #"mf_input_drift_psi{model="demo",version="1.0.0",field="x"}"#) ?? 0) > 0.25, "\(metrics)")
        #expect(metricValue(metrics, #"mf_input_drift_psi{model="demo",version="1.0.0",field="kind"}"#).map { $0 < 0.25 } == true, "\(metrics)")
        #expect(metricValue(metrics, #"mf_input_missing_share{model="demo",version="1.0.0",field="x"}"#) == 0, "\(metrics)")

        // The alert is logged once, naming model, version, field and threshold.
        #expect(pollUntil(seconds: 30) { server.log.contains("input drift on demo 1.0.0 field x: PSI") }, "\(server.log)")
        _ = try http("GET", port: port, "/v2/models/demo/versions/1.0.0/stats")
        #expect(server.log.components(separatedBy: "input drift on demo").count == 2, "\(server.log)")
        #expect(server.log.contains("is past the threshold 0.25 over"), "\(server.log)")

        // The drift history (--drift-sample-seconds): one sample per field of the window, in the store.
        let store = try SQLiteStore(path: home.appending("factory.sqlite"))
        // (A round may have fallen between two requests, over 100 of the 150 instances.)
        let history = { try store.driftSamples(model: "demo", version: "1.0.0", since: nil, limit: 100).filter { $0.count == 150 } }
        #expect(try pollUntil(seconds: 30) { try Set(history().map(\.field)) == ["x", "kind"] }, "\(server.log)")
        let sampled = try history()
        #expect(sampled.contains { $0.field == "x" && ($0.psi ?? 0) > 0.25 }, "\(sampled)")
        #expect(sampled.contains { $0.field == "kind" && ($0.psi ?? 1) < 0.25 }, "\(sampled)")
        #expect(server.stop() == 0)
    }

    @Test func theWindowIsBounded() throws {
        let refused = try mf(["serve", "some-bundle", "--drift-window=2000000"])
        #expect(refused.status != 0 && refused.stderr.contains("--drift-window takes a number of instances"), "\(refused.stderr)")
        let help = try mf(["serve", "--help"])
        #expect(help.stdout.contains("--drift-window") && help.stdout.contains("/stats"), "\(help.stdout)")
    }
}
