import Foundation
import GitKit
import ModelFactory
import ModelKit
import SQLiteStore
import Store
import TestSupport
import Testing

/// A model repository made through the git layer: the Python runner, `model.py`, data, and the
/// given model.yaml (plus any extra files).
func pluginRepository(_ yaml: String, model: String = thresholdModel, extra: [String: String] = [:], at folder: TemporaryDirectory) throws -> Repository {
    let repository = try Repository.create(at: folder.appending("repo"))
    var files = [
        FileEntry(path: "model.yaml", text: yaml),
        FileEntry(path: "model.py", text: model),
        FileEntry(path: "mf_runner.py", contents: try Data(contentsOf: pythonRunner)),
        FileEntry(path: "data/train.csv", text: "x,y\n1,0\n2,0\n3,1\n4,1\n"),
        FileEntry(path: "data/test.csv", text: "x,y\n1.5,0\n3.5,1\n2.6,1\n"),
    ]
    for (path, text) in extra { files.append(FileEntry(path: path, text: text, mode: path.hasSuffix(".sh") ? .executable : .file)) }
    try repository.commit(files: files, parents: [], message: "model", author: Signature(name: "T", email: "t@example.com"), updating: "refs/heads/master")
    return repository
}

let thresholdYAML = """
    name: threshold
    runtime: python
    train: { data: data/train.csv, seed: 1 }
    evaluate: { data: data/test.csv }
    schema:
      inputs: [{ name: x, type: double }]
      outputs: [{ name: label, type: int }]
    gates: { auc: ">= 0.9", accuracy: ">= 0.6" }
    examples: [{ x: 1 }, { x: 5 }]
    """

struct Factory {
    let home = TemporaryDirectory("home")
    let store: SQLiteStore
    let pipeline: Pipeline

    init() throws {
        store = try SQLiteStore(path: home.appending("factory.sqlite"))
        pipeline = Pipeline(store: store, home: URL(fileURLWithPath: home.path))
    }

    func build(_ repository: Repository, _ request: BuildRequest = BuildRequest()) async throws -> SessionReport {
        let reports = try await pipeline.build(repository, request)
        #expect(reports.count == 1)
        return reports[0]
    }

    func integrity() throws -> String {
        try store.integrityCheck()
    }
}

@Suite(.onTestThreads) struct PipelineTests {
    @Test func buildsTrainsEvaluatesAndReuses() async throws {
        let folder = TemporaryDirectory("pipeline")
        let repository = try pluginRepository(thresholdYAML, at: folder)
        let factory = try Factory()
        let first = try await factory.build(repository)
        #expect(first.session.status == .passed, "\(first.session.failure ?? "")")
        #expect(first.steps.map(\.name) == ["build", "start", "describe", "train", "evaluate", "predict", "artifacts", "gates"])
        #expect(first.metrics.filter { $0.split == "evaluate" }.map(\.name).sorted() == ["accuracy", "auc"])
        #expect(first.gates.map(\.passed) == [true, true])
        // The store keeps each gate as data, with the metric, its value and the bound.
        #expect(try factory.store.gates(session: first.session.id) == first.gates)
        #expect(first.gates.map(\.metric) == ["accuracy", "auc"] && first.gates.map(\.limit) == [0.6, 0.9] && first.gates.allSatisfy { $0.value != nil })
        let artifacts = try factory.store.artifacts(session: first.session.id)
        #expect(artifacts.map(\.path) == ["cut.json"] && artifacts[0].sha256.count == 64)

        let second = try await factory.build(repository)
        #expect(second.session.status == .passed && second.session.reusedFrom == first.session.id)
        #expect(second.steps.map(\.name) == ["reuse", "gates"])
        // Its gates are checked again, on the metrics it reused.
        #expect(try second.gates == first.gates && factory.store.gates(session: second.session.id) == first.gates)
        #expect(second.metrics.count == first.metrics.count)

        let forced = try await factory.build(repository, BuildRequest(force: true))
        #expect(forced.session.reusedFrom == nil && forced.steps.first?.name == "build")
        #expect(try factory.store.sessions(model: "threshold").count == 3)
        #expect(try factory.integrity() == "ok")
    }

    @Test func aFailedGateNamesTheMetricAndThreshold() async throws {
        let folder = TemporaryDirectory("pipeline")
        let yaml = thresholdYAML.replacingOccurrences(of: "auc: \">= 0.9\"", with: "auc: \"> 1\"")
        let factory = try Factory()
        let report = try await factory.build(pluginRepository(yaml, at: folder))
        #expect(report.session.status == .failed)
        #expect(report.session.failure == "gates: auc > 1.0: 1, which fails")
        #expect(try factory.store.session(id: report.session.id)?.failure == report.session.failure)
        #expect(try factory.store.gates(session: report.session.id).map(\.passed) == [true, false])
    }

    @Test func anInvalidManifestIsAFailedSession() async throws {
        let folder = TemporaryDirectory("pipeline")
        let factory = try Factory()
        let report = try await factory.build(pluginRepository("name: threshold\nruntime: cobol\n", at: folder))
        #expect(report.session.status == .failed)
        #expect(report.session.failure?.hasPrefix("manifest: invalid model.yaml at ") == true)
        #expect(report.session.failure?.contains("runtime: expected one of swift, python, command, got 'cobol'") == true)
    }

    @Test func aMissingManifestIsAFailedSession() async throws {
        let folder = TemporaryDirectory("pipeline")
        let repository = try Repository.create(at: folder.appending("repo"))
        let head = try repository.commit(
            files: [FileEntry(path: "README.md", text: "no model here\n")], parents: [], message: "empty",
            author: Signature(name: "T", email: "t@example.com"), updating: "refs/heads/master")
        let factory = try Factory()
        let report = try await factory.build(repository)
        #expect(report.session.status == .failed && report.model == "repo")
        #expect(report.session.failure == "manifest: there is no model.yaml at \(head.short)")
        #expect(try factory.store.session(id: report.session.id)?.failure == report.session.failure)
    }

    @Test(arguments: [
        ("build: [\"echo building; exit 3\"]", "build: 'echo building; exit 3' exited with status 3"),
        ("build: [\"sleep 30\"]", "build: 'sleep 30' ran past its limit of 1 s"),
    ])
    func buildFailures(line: String, expected: String) async throws {
        let folder = TemporaryDirectory("pipeline")
        let factory = try Factory()
        let report = try await factory.build(
            pluginRepository(thresholdYAML + "\n" + line + "\n", at: folder), BuildRequest(buildTimeLimit: 1))
        #expect(report.session.status == .failed)
        #expect(report.session.failure?.hasPrefix(expected) == true, "\(report.session.failure ?? "")")
        // Nothing half-built is left to be reused.
        let builds = try FileManager.default.contentsOfDirectory(atPath: factory.home.appending("builds")).filter { $0 != ".aside.lock" }
        #expect(builds.isEmpty)
    }

    @Test(arguments: [
        ("run: [\"sh\", \"-c\", \"echo dying >&2; exit 5\"]", "describe: the worker exited with status 5 during 'describe'; its log ends: dying"),
        ("run: [\"sh\", \"-c\", \"read line; echo garbage; sleep 5\"]", "describe: the worker wrote something that is not a JSON-RPC answer during 'describe'"),
        ("run: [\"sh\", \"-c\", \"sleep 30\"]", "describe: the worker did not answer 'describe' within 1 s"),
    ])
    func workerFaultsFailTheSession(run: String, expected: String) async throws {
        let folder = TemporaryDirectory("pipeline")
        let yaml = thresholdYAML.replacingOccurrences(of: "runtime: python", with: "runtime: command\n" + run)
        let factory = try Factory()
        let report = try await factory.build(pluginRepository(yaml, at: folder), BuildRequest(callTimeLimit: 1))
        #expect(report.session.status == .failed)
        #expect(report.session.failure?.hasPrefix(expected) == true, "\(report.session.failure ?? "")")
        #expect(try factory.integrity() == "ok")
    }

    /// A worker (run as `python3 -u shapes.py MODE`) whose answers take the shape MODE says.
    static let shapesWorker = """
        import json, sys
        mode = sys.argv[1]
        for line in sys.stdin:
            request = json.loads(line)
            method, ident = request["method"], request["id"]
            def answer(result): print(json.dumps({"jsonrpc": "2.0", "id": ident, "result": result}), flush=True)
            if method == "shutdown":
                answer(None)
                break
            elif method == "train" and mode == "train-fails":
                sys.stderr.write("starting\\nTraceback (most recent call last):\\n  File \\"shapes.py\\", line 9, in train\\nValueError: no column 'y'\\n")
                sys.stderr.flush()
                print(json.dumps({"jsonrpc": "2.0", "id": ident, "error": {"code": -32000, "message": "ValueError: no column 'y'"}}), flush=True)
            elif method == "train":
                answer({"metrics": {"loss": "low"}} if mode == "train-string" else {"metrics": {"loss": 0.1}})
            elif method == "evaluate":
                answer({
                    "evaluate-flat": {"auc": 1.0, "accuracy": 1.0},
                    "evaluate-string": {"metrics": {"auc": "high", "accuracy": 1.0}},
                    "evaluate-list": {"metrics": [1.0]},
                }.get(mode, {"metrics": {"auc": 1.0, "accuracy": 1.0, "f1": None}}))
            elif method == "predict":
                count = len(request["params"]["instances"])
                answer({
                    "predict-short": {"predictions": [{"label": 1}] * (count - 1)},
                    "predict-bare": [{"label": 1}] * count,
                    "predict-numbers": {"predictions": [1] * count},
                }.get(mode, {"predictions": [{"label": 1}] * count}))
            else:
                answer({})
        """

    /// An answer in another shape than the method's fails the step, naming the method and the
    /// shape expected: metrics that are not there or not numbers are no passed session.
    @Test(arguments: [
        ("ok", nil),
        ("evaluate-flat", #"evaluate: the worker's answer to 'evaluate' has no "metrics" (it answered {"#),
        (
            "evaluate-string",
            #"evaluate: the worker's answer to 'evaluate' has the metric "auc": "high", which is not a number; expected {"metrics": {"NAME": number or null, …}}"#
        ),
        ("evaluate-list", #"evaluate: the worker's answer to 'evaluate' has "metrics": [1], not an object; expected"#),
        ("train-string", #"train: the worker's answer to 'train' has the metric "loss": "low", which is not a number; expected"#),
        (
            "predict-short",
            #"predict: the worker's answer to 'predict' has 1 prediction for 2 instances; expected {"predictions": [one object per instance, in order]} for 2 instances"#
        ),
        ("predict-bare", #"predict: the worker's answer to 'predict' has no "predictions" (it answered [{"label":1},{"label":1}])"#),
        ("predict-numbers", #"predict: the worker's answer to 'predict' has predictions[0]: 1, not an object"#),
    ])
    func answersInTheWrongShapeFailTheSession(mode: String, expected: String?) async throws {
        let folder = TemporaryDirectory("pipeline")
        let yaml = thresholdYAML.replacingOccurrences(of: "runtime: python", with: "runtime: command\nrun: [python3, -u, shapes.py, \(mode)]")
        let factory = try Factory()
        let report = try await factory.build(pluginRepository(yaml, extra: ["shapes.py": Self.shapesWorker], at: folder))
        guard let expected else {
            #expect(report.session.status == .passed, "\(report.session.failure ?? "")")
            // A metric the model could not compute is recorded as such.
            #expect(report.metrics.contains { $0.name == "f1" && $0.split == "evaluate" && $0.value == nil })
            return
        }
        #expect(report.session.status == .failed)
        #expect(report.session.failure?.hasPrefix(expected) == true, "\(report.session.failure ?? "")")
    }

    /// A failed train ends with where the worker's log is and its last lines.
    @Test func aFailedTrainQuotesTheWorkersLog() async throws {
        let folder = TemporaryDirectory("pipeline")
        let yaml = thresholdYAML.replacingOccurrences(of: "runtime: python", with: "runtime: command\nrun: [python3, -u, shapes.py, train-fails]")
        let factory = try Factory()
        let report = try await factory.build(pluginRepository(yaml, extra: ["shapes.py": Self.shapesWorker], at: folder))
        let log = factory.home.appending("sessions/\(report.session.id)/worker.log")
        #expect(
            report.session.failure == """
                train: the worker failed 'train': ValueError: no column 'y' (error -32000); the worker's log \(log) ends: \
                starting | Traceback (most recent call last): | File "shapes.py", line 9, in train | ValueError: no column 'y'
                """)
        #expect(try factory.store.session(id: report.session.id)?.failure == report.session.failure)
        #expect(report.steps.last?.name == "train" && report.steps.last?.status == .failed)
    }

    /// Predicting with a tree and recipe that passed records nothing: no session per call.
    @Test func predictingReusesWithoutRecording() async throws {
        let folder = TemporaryDirectory("pipeline")
        let repository = try pluginRepository(thresholdYAML, at: folder)
        let factory = try Factory()
        let first = try await factory.pipeline.predict(repository, revision: "master", instances: [["x": 1], ["x": 5]])
        #expect(first == [["label": 0], ["label": 1]])
        let sessions = try factory.store.sessions(model: "threshold")
        #expect(sessions.count == 1 && sessions[0].session.status == .passed)
        for _ in 0..<2 {
            #expect(try await factory.pipeline.predict(repository, revision: "HEAD", instances: [["x": 5]]) == [["label": 1]])
        }
        #expect(try factory.store.sessions(model: "threshold").map(\.session.id) == sessions.map(\.session.id))
        // A build still records its session (reusing the one that trained).
        #expect(try await factory.build(repository).session.reusedFrom == sessions[0].session.id)
        #expect(try factory.store.sessions(model: "threshold").count == 2)
        #expect(try await factory.pipeline.predict(repository, revision: "HEAD", instances: [["x": 1]]) == [["label": 0]])
        #expect(try factory.store.sessions(model: "threshold").count == 2)
    }

    @Test func predictionsMustHaveTheSchemasOutputs() async throws {
        let folder = TemporaryDirectory("pipeline")
        let yaml = thresholdYAML.replacingOccurrences(of: "name: label, type: int", with: "name: probability, type: double")
        let factory = try Factory()
        let report = try await factory.build(pluginRepository(yaml, at: folder))
        #expect(report.session.failure == "predict: prediction 0 lacks probability")
    }

    @Test func maxRegressionComparesWithThePreviousRelease() async throws {
        let folder = TemporaryDirectory("pipeline")
        let yaml = thresholdYAML.replacingOccurrences(of: "accuracy: \">= 0.6\"", with: "max_regression: 0.1")
        let repository = try pluginRepository(yaml, at: folder)
        let author = Signature(name: "T", email: "t@example.com")
        let first = try repository.resolveCommit("master")
        try repository.createTag("v1.0.0", at: first)
        let factory = try Factory()
        #expect(try await factory.build(repository, BuildRequest(revision: "v1.0.0")).session.status == .passed)
        // v1.1.0 evaluates on harder data: accuracy drops from 1 to 1/3.
        var files = try ["model.yaml", "model.py", "mf_runner.py", "data/train.csv"].map { path in
            FileEntry(path: path, contents: try repository.file(at: path, in: first))
        }
        files.append(FileEntry(path: "data/test.csv", text: "x,y\n1.5,1\n3.5,1\n2.6,0\n"))
        let second = try repository.commit(files: files, parents: [first], message: "harder test data", author: author, updating: "refs/heads/master")
        try repository.createTag("v1.1.0", at: second)
        let report = try await factory.build(repository, BuildRequest(revision: "v1.1.0"))
        #expect(report.session.version == "1.1.0")
        #expect(report.session.status == .failed)
        #expect(
            report.session.failure?.contains("accuracy within 0.1 of 1.0.0: 0.3333 against 1, a regression of 0.6667") == true,
            "\(report.session.failure ?? "")")
    }

    /// A feature built before any release passes max_regression (it has nothing to compare
    /// with); the release that later carries the feature's tree reuses its work, but its gates
    /// are checked again for its own version, against the release before it.
    @Test func aReleaseThatReusesAFeaturesWorkIsStillComparedWithThePreviousRelease() async throws {
        let folder = TemporaryDirectory("pipeline")
        let yaml = thresholdYAML.replacingOccurrences(of: "gates: { auc: \">= 0.9\", accuracy: \">= 0.6\" }", with: "gates: { max_regression: 0.1 }")
        let repository = try pluginRepository(yaml, at: folder)
        let author = Signature(name: "T", email: "t@example.com")
        let first = try repository.resolveCommit("master")
        var files = try ["model.yaml", "model.py", "mf_runner.py", "data/train.csv"].map { path in
            FileEntry(path: path, contents: try repository.file(at: path, in: first))
        }
        files.append(FileEntry(path: "data/test.csv", text: "x,y\n1.5,1\n3.5,1\n2.6,0\n"))
        let feature = try repository.commit(files: files, parents: [first], message: "harder test data", author: author, updating: "refs/heads/feature/harder")
        let factory = try Factory()
        let early = try await factory.build(repository, BuildRequest(revision: "feature/harder"))
        #expect(early.session.status == .passed && early.gates.isEmpty, "\(early.session.failure ?? "")")

        try repository.createTag("v1.0.0", at: first)
        #expect(try await factory.build(repository, BuildRequest(revision: "v1.0.0")).session.status == .passed)
        let merged = try repository.commit(files: files, parents: [first, feature], message: "merge", author: author, updating: "refs/heads/master")
        try repository.createTag("v1.1.0", at: merged)
        let release = try await factory.build(repository, BuildRequest(revision: "v1.1.0"))
        #expect(release.session.reusedFrom == early.session.id)
        #expect(release.session.status == .failed)
        #expect(
            release.session.failure?.contains("accuracy within 0.1 of 1.0.0: 0.3333 against 1, a regression of 0.6667") == true,
            "\(release.session.failure ?? "")")
        #expect(try factory.store.gates(session: release.session.id).contains { !$0.passed && $0.metric == "accuracy" })
    }

    @Test func sessionsOfTaggedCommitsCarryTheVersionWithTheFlowsPrefix() async throws {
        let folder = TemporaryDirectory("pipeline")
        let repository = try pluginRepository(thresholdYAML, extra: [".mf/flow.yaml": "prefixes: { versiontag: rel- }\n"], at: folder)
        let head = try repository.resolveCommit("master")
        try repository.createTag("rel-2.0", at: head)
        try repository.createTag("nightly", at: head)
        let factory = try Factory()
        let report = try await factory.build(repository)
        #expect(report.session.version == "2.0")
        #expect(try factory.store.findSession("v2.0").session.id == report.session.id)
        #expect(try factory.store.findSession(String(report.session.id.prefix(6))).session.id == report.session.id)
        #expect(throws: StoreError.notFound("9.9")) { try factory.store.findSession("9.9") }
    }

    @Test func everyModelOfAMonorepo() async throws {
        let folder = TemporaryDirectory("pipeline")
        let repository = try Repository.create(at: folder.appending("repo"))
        var files: [FileEntry] = []
        for name in ["alpha", "beta"] {
            files += [
                FileEntry(path: "models/\(name)/model.yaml", text: thresholdYAML.replacingOccurrences(of: "name: threshold", with: "name: \(name)")),
                FileEntry(path: "models/\(name)/model.py", text: thresholdModel),
                FileEntry(path: "models/\(name)/mf_runner.py", contents: try Data(contentsOf: pythonRunner)),
                FileEntry(path: "models/\(name)/data/train.csv", text: "x,y\n1,0\n2,0\n3,1\n4,1\n"),
                FileEntry(path: "models/\(name)/data/test.csv", text: "x,y\n1.5,0\n3.5,1\n2.6,1\n"),
            ]
        }
        try repository.commit(
            files: files, parents: [], message: "two models", author: Signature(name: "T", email: "t@example.com"), updating: "refs/heads/master")
        let factory = try Factory()
        let reports = try await factory.pipeline.build(repository, BuildRequest())
        #expect(reports.map(\.model) == ["alpha", "beta"])
        #expect(reports.allSatisfy { $0.session.status == .passed }, "\(reports.map { $0.session.failure ?? "" })")
    }
}
