import Foundation
import ModelFactory
import ModelKit
import TestSupport
import Testing

/// The repository's Python runner (runtimes/python/mf_runner.py).
let pythonRunner = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("runtimes/python/mf_runner.py")

/// A plugin folder with the runner and `model`'s source as model.py.
func pythonPlugin(_ model: String) throws -> TemporaryDirectory {
    let folder = TemporaryDirectory("python-plugin")
    try FileManager.default.copyItem(atPath: pythonRunner.path, toPath: folder.appending("mf_runner.py"))
    try folder.write("model.py", model)
    try folder.write("data/train.csv", "x,y\n1,0\n2,0\n3,1\n4,1\n")
    try folder.write("data/test.csv", "x,y\n1.5,0\n3.5,1\n2.6,1\n")
    return folder
}

let thresholdModel = """
    import json, os
    from mf_runner import read_table, accuracy, roc_auc

    class Model:
        def __init__(self):
            self.cut = None
        def describe(self):
            return {"model": "threshold"}
        def train(self, data, artifacts, seed):
            columns, rows = read_table(data)
            xs = [float(r[0]) for r in rows]; ys = [int(r[1]) for r in rows]
            self.cut = (max(x for x, y in zip(xs, ys) if y == 0) + min(x for x, y in zip(xs, ys) if y == 1)) / 2
            with open(os.path.join(artifacts, "cut.json"), "w") as f: json.dump(self.cut, f)
            print("trained; this line must land in the log")
            return {"accuracy": accuracy(ys, [int(x > self.cut) for x in xs])}
        def load(self, artifacts):
            with open(os.path.join(artifacts, "cut.json")) as f: self.cut = json.load(f)
        def evaluate(self, data):
            columns, rows = read_table(data)
            xs = [float(r[0]) for r in rows]; ys = [int(r[1]) for r in rows]
            return {"accuracy": accuracy(ys, [int(x > self.cut) for x in xs]), "auc": roc_auc(ys, xs)}
        def predict(self, instances):
            return [{"label": int(i["x"] > self.cut)} for i in instances]
    """

@Suite(.onTestThreads) struct PythonRunnerTests {
    @Test func servesAModelThroughTheInterface() async throws {
        let plugin = try pythonPlugin(thresholdModel)
        let artifacts = plugin.appending("artifacts")
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        let worker = try WorkerClient(command: ["python3", "-u", "mf_runner.py"], directory: plugin.path)
        #expect(try await worker.call("describe", timeout: 10) == ["model": "threshold"])
        let trained = try await worker.call(
            "train", ["data": .string(plugin.appending("data/train.csv")), "artifacts": .string(artifacts), "seed": 42], timeout: 10)
        #expect(trained == ["metrics": ["accuracy": 1]])
        #expect(
            try await worker.call("evaluate", ["data": .string(plugin.appending("data/test.csv"))], timeout: 10)
                == ["metrics": ["accuracy": 1, "auc": 1]])
        #expect(
            try await worker.call("predict", ["instances": [["x": 1], ["x": 4]]], timeout: 10)
                == ["predictions": [["label": 0], ["label": 1]]])
        #expect(try await worker.call("health", timeout: 10) == ["status": "ok"])
        // The log is read on a thread of its own, so it may trail the answers a little.
        #expect(try await eventually(seconds: 10) { worker.recentLog.contains("trained; this line must land in the log") })
        // A second worker loads what the first trained.
        await worker.shutdown()
        let second = try WorkerClient(command: ["python3", "-u", "mf_runner.py"], directory: plugin.path)
        _ = try await second.call("load", ["artifacts": .string(artifacts)], timeout: 10)
        #expect(try await second.call("predict", ["instances": [["x": 3]]], timeout: 10) == ["predictions": [["label": 1]]])
        await second.shutdown()
    }

    @Test func modelErrorsAreAnswersNotCrashes() async throws {
        let plugin = try pythonPlugin(thresholdModel)
        let worker = try WorkerClient(command: ["python3", "-u", "mf_runner.py"], directory: plugin.path)
        let unknown = await #expect(throws: WorkerError.self) { try await worker.call("fly", timeout: 10) }
        #expect(unknown == .remote(method: "fly", code: -32601, message: "unknown method 'fly'"))
        let missing = await #expect(throws: WorkerError.self) { try await worker.call("train", timeout: 10) }
        #expect(missing == .remote(method: "train", code: -32602, message: "missing parameter 'data'"))
        let failing = await #expect(throws: WorkerError.self) { try await worker.call("evaluate", ["data": "/nope.csv"], timeout: 10) }
        guard case .remote(_, -32000, let message) = failing else {
            Issue.record("expected a model error, got \(String(describing: failing))")
            return
        }
        #expect(message.contains("FileNotFoundError"))
        #expect(try await worker.call("health", timeout: 10) == ["status": "ok"])
        await worker.shutdown()
    }

    @Test func aBrokenModelFileIsReportedOnEveryCall() async throws {
        let plugin = try pythonPlugin("def broken(:\n")
        let worker = try WorkerClient(command: ["python3", "-u", "mf_runner.py"], directory: plugin.path)
        let error = await #expect(throws: WorkerError.self) { try await worker.call("describe", timeout: 10) }
        #expect(error?.description.contains("model.py could not be loaded: SyntaxError") == true)
        await worker.shutdown()
    }

    /// The runner's metrics are ModelKit's, number for number.
    @Test func metricsMatchModelKit() throws {
        var generator = SeededGenerator(seed: 7)
        let labels = (0..<200).map { _ in Int(generator.next() % 2) }
        let scores = (0..<200).map { _ in (generator.nextUnit() * 100).rounded() / 100 }  // with ties
        let predicted = scores.map { $0 > 0.5 ? 1 : 0 }
        let values = (0..<200).map { _ in generator.nextUnit() * 10 }
        let guesses = values.map { $0 + generator.nextUnit() - 0.5 }
        let input = try JSONEncoder().encode([
            "labels": labels.map(Double.init), "scores": scores, "predicted": predicted.map(Double.init), "values": values, "guesses": guesses,
        ])
        let script = """
            import json, sys
            sys.path.insert(0, sys.argv[1])
            import mf_runner as r
            d = json.load(sys.stdin)
            l = [int(x) for x in d["labels"]]; p = [int(x) for x in d["predicted"]]
            print(json.dumps([r.accuracy(l, p), r.precision(l, p), r.recall(l, p), r.f1(l, p), r.roc_auc(l, d["scores"]),
                              r.log_loss(l, d["scores"]), r.rmse(d["values"], d["guesses"]), r.mae(d["values"], d["guesses"]),
                              r.r2(d["values"], d["guesses"])]))
            """
        let result = try runProcess("/usr/bin/env", ["python3", "-c", script, pythonRunner.deletingLastPathComponent().path], input: input)
        #expect(result.status == 0, "\(result.stderr)")
        let python = try JSONDecoder().decode([Double].self, from: Data(result.stdout.utf8))
        let swift = [
            Score.accuracy(truth: labels, predicted: predicted), Score.precision(truth: labels, predicted: predicted),
            Score.recall(truth: labels, predicted: predicted), Score.f1(truth: labels, predicted: predicted),
            Score.rocAUC(truth: labels, scores: scores), Score.logLoss(truth: labels, probabilities: scores),
            Score.rmse(truth: values, predicted: guesses), Score.mae(truth: values, predicted: guesses),
            Score.r2(truth: values, predicted: guesses),
        ]
        for (name, (a, b)) in zip(["accuracy", "precision", "recall", "f1", "auc", "log_loss", "rmse", "mae", "r2"], zip(python, swift)) {
            #expect(abs(a - b) < 1e-12, "\(name): python \(a), swift \(b)")
        }
    }
}
