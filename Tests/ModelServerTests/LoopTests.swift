import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ModelKit
import NIOCore
import SQLiteStore
import Store
import TestSupport
import Testing

@testable import ModelFactory
@testable import ModelServer

/// A hand-made bundle of the `command` runtime for the production loop: its model answers
/// `label = x > 2.5`, and its `evaluate` reads the CSV it is given (the schema's inputs and the
/// `churned` column) and answers the accuracy of those predictions against `churned`. With
/// `key`, model.yaml names `customer` as the business key.
struct LoopBundle {
    let folder: URL

    static let worker = """
        import csv, json, sys
        for line in sys.stdin:
            request = json.loads(line)
            method, params = request["method"], request.get("params", {})
            result = {}
            if method == "predict":
                result = {"predictions": [{"label": int(i["x"] > 2.5)} for i in params["instances"]]}
            elif method == "evaluate":
                with open(params["data"]) as handle:
                    rows = list(csv.DictReader(handle))
                right = sum(1 for row in rows if int(float(row["x"]) > 2.5) == int(row["churned"]))
                result = {"metrics": {"accuracy": right / len(rows), "rows": len(rows)}}
            print(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result}), flush=True)
            if method == "shutdown": break
        """

    init(key: Bool, in directory: TemporaryDirectory) throws {
        let root = "bundles/loop-\(key)"
        try directory.write(
            "\(root)/model.yaml",
            """
            name: loop
            runtime: command
            run: [python3, -u, worker.py]
            train: { data: data.csv }
            evaluate: { data: data.csv }
            schema:
              inputs: [{ name: customer, type: string }, { name: x, type: double, min: 0 }]
              outputs: [{ name: label, type: int }]
            monitor: { \(key ? "key: customer, " : "")label: churned }
            examples: [{ customer: warm, x: 1 }]
            """)
        try directory.write("\(root)/plugin/worker.py", Self.worker)
        try directory.write("\(root)/artifacts/weights.txt", "2.5\n")
        folder = URL(fileURLWithPath: directory.appending(root))
        let field = { (name: String, type: String) in BundleManifest.Field(name: name, type: type) }
        let manifest = BundleManifest(
            model: "loop", version: "1.0.0", tag: "v1.0.0", ref: "refs/tags/v1.0.0", commit: String(repeating: "a", count: 40),
            tree: String(repeating: "b", count: 40), session: "release-session", runtime: "command", run: ["python3", "-u", "worker.py"],
            toolchain: SortedMap([:]), schema: .init(inputs: [field("customer", "string"), field("x", "double")], outputs: [field("label", "int")]),
            metrics: SortedMap(["accuracy": 1]), gates: [], files: BundleManifest.files(of: try Archive.entries(of: folder)))
        try JSONEncoder().encode(manifest).write(to: folder.appendingPathComponent(BundleManifest.fileName))
    }
}

/// The production loop through the router: ids, the prediction log, feedback, live metrics.
@Suite(.serialized, .onTestThreads) struct LoopTests {
    /// A store in memory that knows the bundle's release session (of model `loop` of `/src/loop`).
    static func storeWithRelease() throws -> (store: SQLiteStore, model: Int64) {
        let store = try SQLiteStore.inMemory()
        let model = try store.modelID(repository: "/src/loop", name: "loop")
        try store.insert(
            Session(
                id: "release-session", modelId: model, commit: String(repeating: "a", count: 40), tree: String(repeating: "b", count: 40),
                recipe: "r", ref: "refs/tags/v1.0.0", version: "1.0.0", trigger: .bundle, status: .passed, startedAt: Date(), endedAt: Date()))
        return (store, model)
    }

    static func withServer<Value>(
        key: Bool = true, store: (any FactoryStore)?, loop: LoopOptions = LoopOptions(),
        _ body: @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        let directory = TemporaryDirectory("loop")
        var options = ServeOptions(home: URL(fileURLWithPath: directory.appending("home")))
        options.pool.workers = 1
        options.pool.callTimeout = 10
        options.store = store
        options.loop = loop
        let registry = ModelRegistry(options: options)
        try await registry.load(try LoopBundle(key: key, in: directory).folder)
        let app = buildApplication(registry: registry, options: options)
        let value = try await app.test(.router) { client in try await body(client) }
        withExtendedLifetime(directory) {}
        return value
    }

    static func predict(_ client: any TestClientProtocol, _ instances: [(String, Double)]) async throws -> TestResponse {
        let body = try JSONSerialization.data(withJSONObject: ["instances": instances.map { ["customer": $0.0, "x": $0.1] }])
        return try await client.send(.post, "/v1/models/loop:predict", body: body)
    }

    static func feedback(_ client: any TestClientProtocol, _ body: String) async throws -> TestResponse {
        try await client.send(.post, "/v1/models/loop/feedback", body: body)
    }

    static func object(_ response: TestResponse) throws -> [String: Any] {
        try response.object()
    }

    /// Without a business key every instance gets a new UUID-shaped id, on v1 (`ids`) and v2
    /// (`parameters.prediction_ids`), the first in `X-Prediction-Id`; nothing is logged without a store.
    @Test(.timeLimit(.minutes(2)))
    func idsOnBothAPIs() async throws {
        try await Self.withServer(key: false, store: nil) { client in
            let v1 = try await Self.predict(client, [("c1", 1), ("c2", 4)])
            #expect(v1.status == .ok)
            let answer = try Self.object(v1)
            let ids = try #require(answer["ids"] as? [String])
            #expect(ids.count == 2 && Set(ids).count == 2 && ids.allSatisfy { $0.count == 36 && $0.split(separator: "-").count == 5 })
            #expect(v1.headers[ModelServer.predictionIDHeader] == ids.first)
            #expect((answer["predictions"] as? [[String: Int]]) == [["label": 0], ["label": 1]])
            let v2Body =
                #"{"inputs": [{"name": "customer", "datatype": "BYTES", "shape": [2], "data": ["c1", "c2"]}, {"name": "x", "datatype": "FP64", "shape": [2], "data": [1.0, 4.0]}]}"#
            let v2 = try await client.send(.post, "/v2/models/loop/infer", body: v2Body)
            #expect(v2.status == .ok)
            let parameters = try #require(try Self.object(v2)["parameters"] as? [String: Any])
            let v2IDs = try #require(parameters["prediction_ids"] as? [String])
            #expect(v2IDs.count == 2 && v2.headers[ModelServer.predictionIDHeader] == v2IDs.first && Set(v2IDs + ids).count == 4)
            // Feedback needs the store.
            #expect(try await Self.feedback(client, #"{"feedback": []}"#).status == .serviceUnavailable)
        }
    }

    /// With `monitor.key`, the key's value is the id; the log reaches the store within a flush;
    /// feedback joins labels to logged predictions, counts unknown ids, and names a bad field.
    @Test(.timeLimit(.minutes(2)))
    func businessKeyLogAndFeedback() async throws {
        let (store, _) = try Self.storeWithRelease()
        var loop = LoopOptions()
        loop.flushInterval = .milliseconds(20)
        loop.liveEvery = 0
        loop.liveInterval = .zero
        try await Self.withServer(store: store, loop: loop) { client in
            let answer = try await Self.predict(client, [("c1", 1), ("c2", 4)])
            #expect(try Self.object(answer)["ids"] as? [String] == ["c1", "c2"] && answer.headers[ModelServer.predictionIDHeader] == "c1")
            #expect(try await eventually { try store.predictions(model: "loop", version: "1.0.0", since: nil, limit: 10).count == 2 })
            let logged = try store.predictions(model: "loop", version: nil, since: nil, limit: 10)
            #expect(logged.map(\.id) == ["c1", "c2"] && logged.map(\.outputs) == [#"{"label":0}"#, #"{"label":1}"#])
            #expect(try JSONValue(json: Data(logged[1].inputs.utf8)) == ["customer": "c2", "x": 4])

            let counts = try await Self.feedback(
                client,
                #"{"feedback": [{"id": "c1", "label": 0}, {"id": "c2", "label": 1, "time": "2999-01-01T00:00:00Z"}, {"id": "nope", "label": "x"}, {"id": "c2", "label": true, "time": "2001-01-01T00:00:00.5Z"}]}"#
            )
            #expect(counts.status == .ok)
            let keys = ["received", "joined", "unknown", "unknown_ids"].map {
                String(decoding: counts.body.readableBytesView, as: UTF8.self).range(of: "\"\($0)\"")?.lowerBound
            }
            #expect(keys.allSatisfy { $0 != nil } && keys == keys.sorted { $0! < $1! }, "the answer's keys come in a fixed order")
            let object = try Self.object(counts)
            #expect(object["received"] as? Int == 4 && object["joined"] as? Int == 2 && object["unknown"] as? Int == 2)
            #expect(object["unknown_ids"] as? [String] == ["nope", "c2"], "a label older than its prediction joins nothing")
            #expect(try store.labelledPredictions(model: "loop", version: "1.0.0").map(\.label) == ["0", "1"])

            for (body, field) in [
                (#"{"feedback": [{"id": "c1", "label": 1}, {"label": 1}]}"#, "feedback[1].id"),
                (#"{"feedback": [{"id": "c1", "label": [1]}]}"#, "feedback[0].label"),
                (#"{"feedback": [{"id": "c1", "label": 1, "time": "yesterday"}]}"#, "feedback[0].time"),
                (#"{"feedback": [3]}"#, "feedback[0]"),
                (#"{"labels": []}"#, "feedback"),
                ("not json", "not valid JSON"),
            ] {
                let refused = try await Self.feedback(client, body)
                let text = refused.text
                #expect(refused.status == .badRequest && text.contains(field), "\(body): \(text)")
            }
            #expect(try store.labelCount(model: "loop") == 4, "a refused batch keeps nothing")
        }
    }

    /// Live metrics are the model's own evaluate on the labelled rows, recorded as a session
    /// with trigger live (split live) linked to the release session; late labels change them;
    /// no gate or version lookup picks a live session.
    @Test(.timeLimit(.minutes(3)))
    func lateLabelsChangeLiveMetrics() async throws {
        let (store, model) = try Self.storeWithRelease()
        var loop = LoopOptions()
        loop.flushInterval = .milliseconds(20)
        loop.liveEvery = 2
        loop.liveInterval = .zero
        try await Self.withServer(store: store, loop: loop) { client in
            _ = try await Self.predict(client, [("c1", 1), ("c2", 4), ("c3", 1), ("c4", 4)])
            #expect(try await eventually { try store.predictions(model: "loop", version: nil, since: nil, limit: 10).count == 4 })
            _ = try await Self.feedback(client, #"{"feedback": [{"id": "c1", "label": 0}, {"id": "c2", "label": 1}]}"#)
            #expect(try await eventually { try store.liveEvaluations(model: "loop", version: "1.0.0", limit: 10).count == 1 })
            let first = try #require(try store.liveEvaluations(model: "loop", version: "1.0.0", limit: 10).first)
            #expect(first.session.trigger == .live && first.session.status == .passed && first.liveOf == "release-session" && first.rows == 2)
            #expect(first.metrics.map(\.split) == ["live", "live"] && first.metrics.first { $0.name == "accuracy" }?.value == 1)
            // Late labels, both wrong for the model: the next live session measures them too.
            _ = try await Self.feedback(client, #"{"feedback": [{"id": "c3", "label": 1}, {"id": "c4", "label": 0}]}"#)
            #expect(try await eventually { try store.liveEvaluations(model: "loop", version: "1.0.0", limit: 10).count == 2 })
            let second = try #require(try store.liveEvaluations(model: "loop", version: "1.0.0", limit: 10).first)
            #expect(second.rows == 4 && second.metrics.first { $0.name == "accuracy" }?.value == 0.5)
            #expect(try store.metrics(session: second.session.id).map(\.split) == ["live", "live"])
            // No gate, reuse or version lookup sees them.
            #expect(try store.releaseSessions(modelID: model).map(\.id) == ["release-session"])
            #expect(try store.firstPassedSession(modelID: model, commit: String(repeating: "a", count: 40))?.id == "release-session")
            #expect(try store.findSession("1.0.0", model: "loop").session.id == "release-session")
        }
    }

    /// The buffer keeps the newest entries within its bound (dropping the oldest, counted); a
    /// sample keeps about its share; a flush writes everything and empties it.
    @Test func theLogIsSampledBoundedAndFlushed() throws {
        let store = try SQLiteStore.inMemory()
        let metrics = ServerMetrics()
        var options = LoopOptions()
        let entry = { (index: Int) in
            PredictionLog.Entry(id: "p\(index)", model: "m", version: "1", time: Date(), instance: ["x": .number(Double(index))], prediction: [:])
        }
        options.maxBytes = entry(10).size * 10
        let bounded = PredictionLog(store: store, options: options, metrics: metrics)
        bounded.add((10..<40).map(entry), atFront: false)
        #expect(bounded.count == 10)
        #expect(String(decoding: metrics.render(), as: UTF8.self).contains("mf_prediction_log_dropped_total 20"))
        try bounded.flush()
        let flushed = try store.predictions(model: "m", version: nil, since: nil, limit: 100)
        #expect(bounded.count == 0 && flushed.map(\.id) == (30..<40).map { "p\($0)" })
        #expect(flushed.first?.inputs == #"{"x":30}"# && flushed.first?.outputs == "{}")  // written as JSON when flushed

        let instances = (0..<2000).map { JSONValue.object(["x": .number(Double($0))]) }
        let ids = (0..<2000).map { "i\($0)" }
        for (share, range) in [(0.0, 0...0), (0.5, 800...1200), (1.0, 2000...2000)] {
            options = LoopOptions()
            options.sample = share
            let sampled = PredictionLog(store: store, options: options, metrics: ServerMetrics())
            sampled.append(model: "m", version: "1", ids: ids, instances: instances, predictions: instances)
            #expect(range.contains(sampled.count), "sample \(share) kept \(sampled.count)")
        }
    }

    /// While another process holds the store's write lock, a flush fails as busy and keeps
    /// every entry (in order) for the next one, which writes them once the lock is gone.
    @Test(.timeLimit(.minutes(1)))
    func aBusyStoreKeepsTheLogForTheNextFlush() throws {
        let directory = TemporaryDirectory("busy-log")
        let path = directory.appending("factory.sqlite")
        let store = try SQLiteStore(path: path, busyTimeout: 0.05)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = [
            "python3", "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); sys.stdin.read()",
            path,
        ]
        let input = Pipe()
        let output = Pipe()
        holder.standardInput = input
        holder.standardOutput = output
        try holder.run()
        #expect(String(decoding: output.fileHandleForReading.readData(ofLength: 6), as: UTF8.self) == "locked")
        let log = PredictionLog(store: store, options: LoopOptions(), metrics: ServerMetrics())
        log.add((0..<3).map { PredictionLog.Entry(id: "p\($0)", model: "m", version: "1", time: Date(), instance: [:], prediction: [:]) }, atFront: false)
        #expect(throws: StoreError.self) { try log.flush() }
        #expect(log.count == 3)
        try input.fileHandleForWriting.close()
        holder.waitUntilExit()
        try log.flush()
        let written = try store.predictions(model: "m", version: nil, since: nil, limit: 10).map(\.id)
        #expect(log.count == 0 && written == ["p0", "p1", "p2"])
    }

    /// A business key's value as the id (numbers as JSON writes them); the server's ids otherwise.
    @Test func predictionIDs() {
        let instances: [JSONValue] = [["k": "a"], ["k": 42], ["k": 1.5], ["k": true], ["k": .null], ["other": 1]]
        let ids = PredictionIDs.make(for: instances, key: "k")
        #expect(Array(ids.prefix(4)) == ["a", "42", "1.5", "true"] && ids[4].count == 36 && ids[5].count == 36 && ids[4] != ids[5])
        #expect(PredictionIDs.make(for: instances, key: nil).allSatisfy { $0.count == 36 })
    }

    /// The live data table: the schema's inputs then the label column, CSV-quoted where needed.
    @Test func liveTable() throws {
        let schema = Manifest.Schema(inputs: [.init(name: "name", type: .string), .init(name: "x", type: .double)], outputs: [])
        let rows = [
            LabelledPrediction(
                prediction: LoggedPrediction(id: "1", model: "m", version: "1", time: Date(), inputs: #"{"name":"a, \"b\"","x":2}"#, outputs: "{}"),
                label: #""yes""#),
            LabelledPrediction(prediction: LoggedPrediction(id: "2", model: "m", version: "1", time: Date(), inputs: #"{"x":2.5}"#, outputs: "{}"), label: "1"),
        ]
        let text = String(decoding: LiveMetrics.table(rows, schema: schema, label: "churned"), as: UTF8.self)
        #expect(text == "name,x,churned\n\"a, \"\"b\"\"\",2,yes\n,2.5,1\n")
    }
}
