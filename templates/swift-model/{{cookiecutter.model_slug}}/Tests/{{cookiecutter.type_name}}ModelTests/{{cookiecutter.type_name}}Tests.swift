import Foundation
import ModelKit
import Testing
import {{ cookiecutter.type_name }}Model

/// The package's folder, found from this file: Tests/{{ cookiecutter.type_name }}ModelTests/{{ cookiecutter.type_name }}Tests.swift.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let trainData = packageRoot.appendingPathComponent("data/train.csv")
let testData = packageRoot.appendingPathComponent("data/test.csv")
let seed: UInt64 = {{ cookiecutter.seed | int }}
let aucGate = {{ cookiecutter.auc_gate | float }}  // model.yaml's gate
let metricNames: Set<String> = ["auc", "log_loss", "accuracy", "precision", "recall", "f1"]
let examples: [[String: JSONValue]] = [
    ["tenure": 2, "contract": "monthly", "monthly_charges": 95.5],
    ["tenure": 60, "contract": "yearly", "monthly_charges": 35.0],
]

/// A new empty folder for artifacts.
func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("{{ cookiecutter.model_slug }}-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A model trained on data/train.csv, with its training metrics and artifacts folder.
func trained() throws -> (model: {{ cookiecutter.type_name }}, metrics: Metrics, artifacts: URL) {
    let artifacts = try temporaryFolder()
    var model = {{ cookiecutter.type_name }}()
    let metrics = try model.train(TrainingRequest(data: trainData, artifacts: artifacts, seed: seed))
    return (model, metrics, artifacts)
}

func probabilities(_ predictions: [[String: JSONValue]]) -> [Double] {
    predictions.compactMap { $0[{{ cookiecutter.type_name }}.output]?.numberValue }
}

@Suite struct {{ cookiecutter.type_name }}Tests {
    @Test func describeNamesTheModel() {
        let description = {{ cookiecutter.type_name }}().describe()
        #expect(description["model"] == "{{ cookiecutter.model_slug }}")
        #expect(description["features"] == ["tenure", "monthly", "monthly_charges"])
    }

    @Test func trainingReportsMetricsAndWritesArtifacts() throws {
        let (_, metrics, artifacts) = try trained()
        defer { try? FileManager.default.removeItem(at: artifacts) }
        #expect(Set(metrics.keys) == metricNames)
        #expect(metrics.values.allSatisfy { $0.isFinite })
        #expect(try FileManager.default.contentsOfDirectory(atPath: artifacts.path) == ["model.json"])
    }

    @Test func evaluationPassesTheGate() throws {
        let (model, _, artifacts) = try trained()
        defer { try? FileManager.default.removeItem(at: artifacts) }
        let metrics = try model.evaluate(data: testData)
        #expect(Set(metrics.keys) == metricNames)
        #expect(try #require(metrics["auc"]) >= aucGate)
        #expect((0...1).contains(try #require(metrics["accuracy"])))
    }

    @Test func predictionsAreOneProbabilityPerInstance() throws {
        let (model, _, artifacts) = try trained()
        defer { try? FileManager.default.removeItem(at: artifacts) }
        let predictions = try model.predict(examples)
        #expect(predictions.count == examples.count)
        #expect(predictions.allSatisfy { Set($0.keys) == [{{ cookiecutter.type_name }}.output] })
        let scores = probabilities(predictions)
        #expect(scores.count == examples.count && scores.allSatisfy { (0...1).contains($0) })
        // A new customer on a monthly contract is likelier to leave than a loyal yearly one.
        #expect(scores[0] > scores[1])
        #expect(try model.predict([]).isEmpty)
    }

    @Test func anIncompleteInstanceIsRefused() throws {
        let (model, _, artifacts) = try trained()
        defer { try? FileManager.default.removeItem(at: artifacts) }
        #expect(throws: ModelError.self) { try model.predict([["tenure": 12]]) }
        #expect(throws: ModelError.self) { try {{ cookiecutter.type_name }}().predict(examples) }
    }

    @Test func loadGivesTheSamePredictions() throws {
        let (model, _, artifacts) = try trained()
        defer { try? FileManager.default.removeItem(at: artifacts) }
        var loaded = {{ cookiecutter.type_name }}()
        try loaded.load(artifacts: artifacts)
        #expect(try loaded.predict(examples) == model.predict(examples))
    }

    @Test func trainingIsRepeatable() throws {
        let first = try trained(), second = try trained()
        defer { for run in [first, second] { try? FileManager.default.removeItem(at: run.artifacts) } }
        #expect(first.metrics == second.metrics)
        #expect(try Data(contentsOf: first.artifacts.appendingPathComponent("model.json"))
            == Data(contentsOf: second.artifacts.appendingPathComponent("model.json")))
    }
}

/// The worker as Model Factory drives it, when `swift build` has made it: JSON-RPC 2.0, one
/// message per line on stdin and stdout.
let worker = packageRoot.appendingPathComponent(".build/debug/{{ cookiecutter.model_slug }}")

@Test(.enabled(if: FileManager.default.isExecutableFile(atPath: worker.path), "needs .build/debug/{{ cookiecutter.model_slug }}"))
func theWorkerServesTheModel() throws {
    let artifacts = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: artifacts) }
    let calls: [(String, JSONValue)] = [
        ("describe", [:]),
        ("train", ["data": .string(trainData.path), "artifacts": .string(artifacts.path), "seed": .number(Double(seed))]),
        ("evaluate", ["data": .string(testData.path)]),
        ("predict", ["instances": .array(examples.map { .object($0) })]),
        ("health", [:]),
        ("shutdown", [:]),
    ]
    var requests = Data()
    for (id, (method, params)) in calls.enumerated() {
        let request: JSONValue = ["jsonrpc": "2.0", "id": .number(Double(id)), "method": .string(method), "params": params]
        requests.append(try JSONEncoder().encode(request))
        requests.append(0x0A)
    }
    let process = Process()
    process.executableURL = worker
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    input.fileHandleForWriting.write(requests)
    try input.fileHandleForWriting.close()
    let answered = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()

    let answers = try String(decoding: answered, as: UTF8.self).split(separator: "\n").map {
        try JSONDecoder().decode(JSONValue.self, from: Data($0.utf8))
    }
    #expect(answers.count == calls.count)
    #expect(answers.compactMap { $0["id"]?.numberValue } == (0..<calls.count).map { Double($0) })
    #expect(answers.allSatisfy { $0["error"] == nil })
    #expect(answers[0]["result"]?["model"] == "{{ cookiecutter.model_slug }}")
    #expect(try #require(answers[2]["result"]?["metrics"]?["auc"]?.numberValue) >= aucGate)
    #expect(answers[3]["result"]?["predictions"]?.arrayValue?.count == examples.count)
    #expect(answers[4]["result"] == ["status": "ok"])
    #expect(process.terminationStatus == 0)
}
