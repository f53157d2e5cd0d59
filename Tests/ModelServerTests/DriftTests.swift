import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import ModelKit
import SQLiteStore
import Store
import Synchronization
import TestSupport
import Testing

@testable import ModelFactory
@testable import ModelServer

/// The alerts a monitor handed over, in order.
final class HeardAlerts: Sendable {
    private let alerts = Mutex<[DriftAlert]>([])
    var all: [DriftAlert] { alerts.withLock { $0 } }
    func hear(_ alert: DriftAlert) { alerts.withLock { $0.append(alert) } }
}

/// Live inputs compared with the training profile: the monitor on its own (windows, PSI,
/// alerts once per crossing, gauges), then `/stats` through the router.
@Suite(.onTestThreads) struct DriftMonitorTests {
    static let schema = Manifest.Schema(
        inputs: [Manifest.Field(name: "x", type: .double, min: 0), Manifest.Field(name: "kind", type: .string, values: ["a", "b"])],
        outputs: [Manifest.Field(name: "label", type: .int)])

    /// 1,000 training rows: x evenly over [0, 100), kind a and b in turn.
    static let profile = TrainingProfile(
        table: Table(columns: ["x", "kind"], rows: (0..<1000).map { ["\(Double($0) / 10)", $0 % 2 == 0 ? "a" : "b"] }), schema: schema, data: "data.csv")

    /// `count` instances like the training data (x spread over [0, 100)), x moved by `shift`.
    static func instances(_ count: Int, shift: Double = 0, from start: Int = 0) -> [JSONValue] {
        (start..<start + count).map { index in
            ["x": .number(Double(index * 37 % 1000) / 10 + shift), "kind": index % 2 == 0 ? "a" : "b"]
        }
    }

    static func monitor(capacity: Int = 1000, profile: TrainingProfile? = profile, metrics: ServerMetrics = ServerMetrics(), heard: HeardAlerts)
        -> DriftMonitor
    {
        DriftMonitor(
            model: "demo", version: "1.0.0", profile: profile, schema: schema, threshold: 0.2, capacity: capacity, metrics: metrics,
            logger: Logger(label: "drift-tests"), onAlert: heard.hear)
    }

    static func field(_ stats: DriftMonitor.Stats, _ name: String) throws -> DriftMonitor.FieldStats {
        try #require(stats.fields.first { $0.name == name })
    }

    @Test func shiftedInputsRaiseThePSIOfTheShiftedFieldOnly() async throws {
        let heard = HeardAlerts()
        let metrics = ServerMetrics()
        let monitor = Self.monitor(metrics: metrics, heard: heard)
        monitor.observe(Self.instances(200))
        let steady = monitor.stats()
        #expect(steady.window == 200)
        #expect(try Self.field(steady, "x").psi ?? 1 < 0.1 && Self.field(steady, "kind").psi ?? 1 < 0.01, "\(steady)")
        #expect(try Self.field(steady, "x").missingShare == 0 && Self.field(steady, "x").outOfSchemaShare == 0)

        // x moves up by half its range; kind stays as it was.
        for start in stride(from: 0, to: 1000, by: 50) { monitor.observe(Self.instances(50, shift: 50, from: start)) }
        let shifted = monitor.stats()
        #expect(shifted.window == 1000)
        let x = try Self.field(shifted, "x")
        let kind = try Self.field(shifted, "kind")
        #expect((x.psi ?? 0) > 0.2 && x.alert, "\(shifted)")
        #expect((kind.psi ?? 1) < 0.01 && !kind.alert, "\(shifted)")
        #expect(try await eventually { heard.all.count == 1 })
        let raised = try #require(heard.all.first)
        #expect(raised.field == "x" && raised.change == .raised && raised.model == "demo" && raised.version == "1.0.0" && raised.threshold == 0.2)
        #expect(raised.psi > 0.2 && raised.window >= DriftMonitor.minimumWindow)

        // Still shifted: no second alert.
        monitor.observe(Self.instances(300, shift: 50))
        #expect(try Self.field(monitor.stats(), "x").alert)
        #expect(heard.all.count == 1)

        // The gauges carry the last computation.
        let text = String(decoding: metrics.render(), as: UTF8.self)
        let psiLine = text.split(separator: "\n").first { $0.hasPrefix("mf_input_drift_psi{") && $0.contains(#"field="x""#) }
        #expect(psiLine.map { $0.contains(#"model="demo""#) && $0.contains(#"version="1.0.0""#) } == true, "\(text)")
        #expect(psiLine.flatMap { Double($0.split(separator: " ").last ?? "") }.map { $0 > 0.2 } == true, "\(text)")
        #expect(metricValue(text, #"mf_input_missing_share{model="demo",version="1.0.0",field="kind"}"#) == 0, "\(text)")

        // Back to the training data: the alert clears, once.
        monitor.observe(Self.instances(1000))
        #expect(try !Self.field(monitor.stats(), "x").alert)
        #expect(try await eventually { heard.all.count == 2 })
        #expect(heard.all.last?.change == .cleared && heard.all.last?.field == "x")
        #expect(heard.all.count == 2)
    }

    @Test func aSmallWindowRaisesNoAlert() async throws {
        let heard = HeardAlerts()
        let monitor = Self.monitor(heard: heard)
        monitor.observe(Self.instances(DriftMonitor.minimumWindow - 1, shift: 200))
        let stats = monitor.stats()
        #expect(try (Self.field(stats, "x").psi ?? 0) > 0.2 && !Self.field(stats, "x").alert, "\(stats)")
        monitor.observe(Self.instances(1, shift: 200))
        #expect(try Self.field(monitor.stats(), "x").alert)
        #expect(try await eventually { heard.all.count == 1 })
    }

    @Test func theWindowKeepsTheLastInstances() throws {
        let monitor = Self.monitor(capacity: 100, heard: HeardAlerts())
        monitor.observe(Self.instances(150, shift: 500))
        #expect(monitor.stats().window == 100)
        // 100 unshifted instances push every shifted one out.
        monitor.observe(Self.instances(100))
        let stats = monitor.stats()
        let x = try Self.field(stats, "x")
        #expect(stats.window == 100 && (x.psi ?? 1) < 0.2, "\(stats)")
    }

    @Test func unseenCategoriesAndMissingValuesAreCounted() throws {
        let monitor = Self.monitor(heard: HeardAlerts())
        monitor.observe([["x": 1, "kind": "c"], ["x": 2, "kind": "a"], ["kind": "b"], ["x": -1, "kind": "a"]])
        let stats = monitor.stats()
        let kind = try Self.field(stats, "kind")
        let x = try Self.field(stats, "x")
        #expect(kind.outOfSchemaShare == 0.25 && kind.missingShare == 0, "\(stats)")
        #expect(x.missingShare == 0.25 && x.outOfSchemaShare == 0.25, "\(stats)")
    }

    @Test func anUnloadedVersionsGaugesLeaveTheMetrics() {
        let metrics = ServerMetrics()
        let monitor = Self.monitor(metrics: metrics, heard: HeardAlerts())
        monitor.observe(Self.instances(10))
        _ = monitor.stats()
        #expect(String(decoding: metrics.render(), as: UTF8.self).contains("mf_input_drift_psi{"))
        monitor.close()
        monitor.observe(Self.instances(10))
        #expect(monitor.stats().window == 20)
        let text = String(decoding: metrics.render(), as: UTF8.self)
        #expect(!text.contains("mf_input_drift_psi{") && !text.contains("mf_input_missing_share{"), "\(text)")
    }

    @Test func aBundleWithoutAProfileHasNoFields() {
        let monitor = Self.monitor(profile: nil, heard: HeardAlerts())
        monitor.observe(Self.instances(10))
        #expect(monitor.stats() == DriftMonitor.Stats(window: 0, fields: []))
    }
}

/// `/v2/models/M[/versions/V]/stats` and the gauges, through the router, against real workers:
/// 1.0.0 has a profile (x over [0, 5), kind a and b), 1.1.0 was made before profiles.
@Suite(.serialized, .onTestThreads) struct DriftRouteTests {
    static func withServer<Value>(
        driftWindow: Int = 200, heard: HeardAlerts = HeardAlerts(), sink: DriftAlertSink? = nil, store: (any FactoryStore)? = nil,
        driftSampleInterval: Duration = .zero, _ body: @Sendable (any TestClientProtocol, ModelRegistry) async throws -> Value
    ) async throws -> Value {
        let directory = TemporaryDirectory("drift-routes")
        var options = ServeOptions(home: URL(fileURLWithPath: directory.appending("home")))
        options.pool.workers = 1
        options.pool.callTimeout = 10
        options.driftWindow = driftWindow
        options.store = store
        options.driftSampleInterval = driftSampleInterval
        options.onDriftAlert = { alert in
            heard.hear(alert)
            sink?.receive(alert)
        }
        let registry = ModelRegistry(options: options)
        try await registry.load(try HandMadeBundle(version: "1.1.0", in: directory).folder)
        let profiled = try HandMadeBundle(version: "1.0.0", in: directory).folder
        let profile = TrainingProfile(
            table: Table(columns: ["x", "kind"], rows: (0..<100).map { ["\(Double($0) / 20)", $0 % 2 == 0 ? "a" : "b"] }),
            schema: Manifest.Schema(
                inputs: [Manifest.Field(name: "x", type: .double, min: 0), Manifest.Field(name: "kind", type: .string, values: ["a", "b"])], outputs: []),
            data: "data.csv")
        try Data(try JSONText.encodeBytes(profile)).write(to: profiled.appendingPathComponent(TrainingProfile.fileName))
        let manifestFile = profiled.appendingPathComponent(BundleManifest.fileName)
        var manifest = try JSONDecoder().decode(BundleManifest.self, from: Data(contentsOf: manifestFile))
        manifest.files = BundleManifest.files(of: try Archive.entries(of: profiled))
        try JSONEncoder().encode(manifest).write(to: manifestFile)
        try await registry.load(profiled)
        let app = buildApplication(registry: registry, options: options)
        let value = try await app.test(.router) { client in try await body(client, registry) }
        withExtendedLifetime(directory) {}
        return value
    }

    static func predict(_ xs: [Double]) -> String {
        let instances = xs.enumerated().map { index, x in #"{"x": \#(x), "kind": "\#(index % 2 == 0 ? "a" : "b")"}"# }
        return #"{"instances": [\#(instances.joined(separator: ", "))]}"#
    }

    @Test(.timeLimit(.minutes(2)))
    func statsShowTheShiftedField() async throws {
        let heard = HeardAlerts()
        try await Self.withServer(heard: heard) { client, _ in
            let empty = try await client.send(.get, "/v2/models/demo/stats").object()
            #expect(empty["version"] as? String == "1.0.0" && empty["profile"] as? Bool == true && empty["window"] as? Int == 0, "\(empty)")
            #expect((empty["fields"] as? [[String: Any]])?.first?["psi"] is NSNull, "\(empty)")

            // Inputs far above the training data's x (0 to 5), kind as in training.
            for start in [0, 50, 100] {
                let answer = try await client.send(.post, "/v1/models/demo:predict", body: Self.predict((start..<start + 50).map { 100 + Double($0) }))
                #expect(answer.status == .ok, "\(answer.text)")
            }
            for path in ["/v2/models/demo/stats", "/v2/models/demo/versions/1.0.0/stats"] {
                let stats = try await client.send(.get, path)
                #expect(stats.status == .ok && stats.headers[.contentType] == "application/json", "\(stats.text)")
                let object = try stats.object()
                #expect(object["model"] as? String == "demo" && object["version"] as? String == "1.0.0" && object["enabled"] as? Bool == true)
                #expect(object["window"] as? Int == 150 && object["capacity"] as? Int == 200 && object["threshold"] as? Double == 0.2, "\(object)")
                #expect(object["minimum_window"] as? Int == 100)
                let fields = try #require(object["fields"] as? [[String: Any]])
                #expect(fields.map { $0["name"] as? String } == ["x", "kind"])
                #expect((fields[0]["psi"] as? Double ?? 0) > 0.2 && fields[0]["alert"] as? Bool == true, "\(fields)")
                #expect((fields[1]["psi"] as? Double ?? 1) < 0.2 && fields[1]["alert"] as? Bool == false, "\(fields)")
                #expect(fields[0]["missing_share"] as? Double == 0 && fields[1]["out_of_schema_share"] as? Double == 0, "\(fields)")
            }
            #expect(try await eventually { heard.all.map(\.field) == ["x"] })

            // A bundle made before profiles: drift unavailable, never an error.
            let old = try await client.send(.get, "/v2/models/demo/versions/1.1.0/stats")
            let oldObject = try old.object()
            #expect(old.status == .ok && oldObject["profile"] as? Bool == false && (oldObject["fields"] as? [Any])?.isEmpty == true, "\(old.text)")
            _ = try await client.send(.post, "/v2/models/demo/versions/1.1.0/infer", body: RouteTests.v2Request)

            let unknownVersion = try await client.send(.get, "/v2/models/demo/versions/9.9.9/stats")
            #expect(unknownVersion.status == .notFound && unknownVersion.error.contains("model 'demo' has no version '9.9.9' loaded"), "\(unknownVersion.text)")
            let unknownModel = try await client.send(.get, "/v2/models/nope/stats")
            #expect(unknownModel.status == .notFound && unknownModel.error.contains("no model 'nope'"), "\(unknownModel.text)")

            let metrics = try await client.send(.get, "/metrics").text
            let psi = metricValue(metrics, #"mf_input_drift_psi{model="demo",version="1.0.0",field="x"}"#)
            #expect((psi ?? 0) > 0.2, "\(metrics)")
            #expect(metricValue(metrics, #"mf_input_missing_share{model="demo",version="1.0.0",field="x"}"#) == 0, "\(metrics)")
            #expect(!metrics.contains(#"version="1.1.0",field"#), "\(metrics)")
        }
    }

    /// How `mf serve --follow` wires the loop: a drift alert becomes an event of the audit trail
    /// (with its field and numbers), and a rollout's `psi` and `live.METRIC` gates read the
    /// version's drift window and its newest live evaluation in the store.
    @Test(.timeLimit(.minutes(2)))
    func alertsAreEventsAndRolloutSignals() async throws {
        let store = try SQLiteStore.inMemory()
        let sink = DriftAlertSink(events: EventLog(store: store, repository: "/src/demo", environment: "production"), notifier: nil, repository: "/src/demo")
        try await Self.withServer(sink: sink) { client, registry in
            let signals = LoopRolloutSignals(registry: registry, store: store)
            #expect(signals.psi(model: "demo", version: "1.0.0") == nil)
            for start in [0, 50, 100] {
                let answer = try await client.send(.post, "/v1/models/demo:predict", body: Self.predict((start..<start + 50).map { 100 + Double($0) }))
                #expect(answer.status == .ok, "\(answer.text)")
            }
            #expect((signals.psi(model: "demo", version: "1.0.0") ?? 0) > 0.2)
            #expect(signals.psi(model: "demo", version: "1.1.0") == nil)  // a bundle without a profile
            let recorded = { try store.events(repository: "/src/demo", environment: "production", model: "demo", before: nil, limit: 10) }
            #expect(try await eventually { try !recorded().isEmpty })
            let events = try recorded()
            #expect(events.map(\.kind) == [.driftAlert] && events[0].fromVersion == "1.0.0" && events[0].cause == "drift", "\(events)")
            let details = try JSONValue(json: Data((events[0].details ?? "").utf8))
            #expect(details["field"]?.stringValue == "x" && (details["psi"]?.numberValue ?? 0) > 0.2 && details["threshold"]?.numberValue == 0.2)

            #expect(signals.liveMetric("auc", model: "demo", version: "1.0.0") == nil)
            let model = try store.modelID(repository: "/src/demo", name: "demo")
            let now = Date()
            let live = Session(
                id: "live-1", modelId: model, commit: "c", tree: "t", recipe: "r", version: "1.0.0", trigger: .live, status: .passed, startedAt: now,
                endedAt: now)
            try store.record(
                live: LiveEvaluation(
                    session: live, model: "demo", liveOf: "release", rows: 40,
                    metrics: [Metric(sessionId: "live-1", modelId: model, name: "auc", split: "live", value: 0.81)]))
            #expect(signals.liveMetric("auc", model: "demo", version: "1.0.0") == 0.81)
            #expect(signals.liveMetric("auc", model: "demo", version: "1.1.0") == nil)
        }
    }

    /// With a store, the server records each field's drift every interval once the window holds
    /// enough instances to alert on: the shifted field's PSI is high in the history, the other's
    /// low, and a version without a profile records nothing.
    @Test(.timeLimit(.minutes(2)))
    func driftIsRecordedInTheStoreEveryInterval() async throws {
        let store = try SQLiteStore.inMemory()
        try await Self.withServer(store: store, driftSampleInterval: .milliseconds(20)) { client, _ in
            for start in [0, 50, 100] {
                let answer = try await client.send(.post, "/v1/models/demo:predict", body: Self.predict((start..<start + 50).map { 100 + Double($0) }))
                #expect(answer.status == .ok, "\(answer.text)")
            }
            _ = try await client.send(.post, "/v2/models/demo/versions/1.1.0/infer", body: RouteTests.v2Request)
            let samples = { try store.driftSamples(model: "demo", version: nil, since: nil, limit: 100) }
            // A round may fall between two requests, when the window holds 100: samples begin there.
            #expect(try await eventually { try samples().contains { $0.count == 150 } })
            let recorded = try samples()
            #expect(recorded.allSatisfy { $0.version == "1.0.0" && (100...150).contains($0.count) }, "\(recorded)")
            let x = try #require(recorded.last { $0.field == "x" && $0.count == 150 })
            let kind = try #require(recorded.last { $0.field == "kind" && $0.count == 150 })
            #expect((x.psi ?? 0) > 0.2 && (kind.psi ?? 1) < 0.2 && x.missingShare == 0 && kind.outOfSchemaShare == 0, "\(recorded)")
        }
    }

    /// What one round of sampling takes: nothing below the alert minimum, one sample per field
    /// once the window holds it, nothing again until new instances arrive; no store, no service.
    @Test(.timeLimit(.minutes(2)))
    func samplingTakesWindowsThatHoldEnoughAndChanged() async throws {
        var options = ServeOptions(home: URL(fileURLWithPath: "/nonexistent"))
        #expect(DriftHistoryService.services(registry: ModelRegistry(options: options), options: options, logger: Logger(label: "drift-tests")).isEmpty)
        options.store = try SQLiteStore.inMemory()
        options.driftSampleInterval = .zero
        #expect(DriftHistoryService.services(registry: ModelRegistry(options: options), options: options, logger: Logger(label: "drift-tests")).isEmpty)

        try await Self.withServer { client, registry in
            var last: [String: Int] = [:]
            let now = Date()
            _ = try await client.send(.post, "/v1/models/demo:predict", body: Self.predict((0..<50).map { 100 + Double($0) }))
            #expect(DriftHistoryService.take(registry, after: &last, at: now).isEmpty, "50 instances are fewer than an alert needs")
            _ = try await client.send(.post, "/v1/models/demo:predict", body: Self.predict((50..<150).map { 100 + Double($0) }))
            let taken = DriftHistoryService.take(registry, after: &last, at: now)
            #expect(taken.map(\.field) == ["x", "kind"] && taken.allSatisfy { $0.count == 150 && $0.time == now && $0.model == "demo" }, "\(taken)")
            #expect(DriftHistoryService.take(registry, after: &last, at: now).isEmpty, "an idle window says nothing new")
            _ = try await client.send(.post, "/v1/models/demo:predict", body: Self.predict([1, 2]))
            #expect(DriftHistoryService.take(registry, after: &last, at: now).map(\.count) == [152, 152])
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func aZeroWindowTurnsDriftOff() async throws {
        try await Self.withServer(driftWindow: 0) { client, registry in
            let answer = try await client.send(.post, "/v1/models/demo:predict", body: Self.predict([100]))
            #expect(answer.status == .ok)
            let stats = try await client.send(.get, "/v2/models/demo/stats").object()
            #expect(stats["enabled"] as? Bool == false && stats["profile"] as? Bool == true && stats["window"] as? Int == 0, "\(stats)")
            #expect(registry.models().first?.versions.allSatisfy { $0.drift == nil } == true)
        }
    }
}
