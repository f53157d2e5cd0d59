import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLiteStore
import Store
import TestSupport
import Testing

@testable import Dashboard
@testable import ModelFactory

/// A store with two repositories: `churn` (releases 1.0.0 and 1.1.0 with bundles, a failed 1.2.0
/// with none, live evaluations, drift samples, an environment, events and a rollout) and
/// `scoring`; both have a model named `shared`, so its short link has two choices.
private struct ModelPagesFixture {
    static let hostile = "<script>alert(1)</script>"
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    let directory = TemporaryDirectory("dashboard-models")
    let store: SQLiteStore
    let churnPath = "/src/team-a/churn"
    let scoringPath = "/src/team-b/scoring"
    let dashboard: Dashboard

    init() throws {
        store = try SQLiteStore.inMemory()
        dashboard = Dashboard(store: store, options: .init(home: URL(fileURLWithPath: directory.appending("home")), token: nil))
        let churn = try store.modelID(repository: churnPath, name: "churn")
        _ = try store.modelID(repository: churnPath, name: "shared")
        _ = try store.modelID(repository: scoringPath, name: "shared")

        let v100 = try release(
            churn, "1.0.0", minutes: 0, metrics: ["auc": (0.8, 0.75), "log_loss": (0.4, 0.5)],
            manifest: Self.manifest(
                inputs: "[{ name: tenure, type: double }, { name: plan, type: string }]", outputs: "[{ name: label, type: int }]", psi: 0.3))
        let v110 = try release(
            churn, "1.1.0", minutes: 60, metrics: ["auc": (0.85, 0.8), "log_loss": (0.35, 0.45), Self.hostile: (1, 2)],
            manifest: Self.manifest(
                inputs: "[{ name: tenure, type: int }, { name: region, type: string }]",
                outputs: "[{ name: label, type: int }, { name: score, type: double }]", psi: 0.25))
        // 1.2.0 failed its gates: sessions, no bundle.
        let failed = Session(
            id: "s-1.2.0", modelId: churn, commit: String(repeating: "c", count: 40), tree: "t", recipe: "r", ref: "refs/tags/v1.2.0", version: "1.2.0",
            trigger: .reconcile, status: .failed, startedAt: Self.start.addingTimeInterval(7200), endedAt: Self.start.addingTimeInterval(7300),
            failure: "gates: auc >= 0.9: 0.7 \(Self.hostile)")
        try store.insert(failed)
        try store.record([Metric(sessionId: failed.id, modelId: churn, name: "auc", split: "evaluate", value: 0.7)])
        try store.record(
            gates: [GateResult(gate: "auc >= 0.9", passed: false, detail: "auc >= 0.9: 0.7, which fails", metric: "auc", value: 0.7, limit: 0.9)],
            session: failed.id)

        for (index, (version, of, auc)) in [("1.0.0", v100, 0.7), ("1.1.0", v110, 0.74), ("1.1.0", v110, 0.76)].enumerated() {
            let time = Self.start.addingTimeInterval(Double(8000 + index * 600))
            let session = Session(
                id: "live-\(index)", modelId: churn, commit: "x", tree: "t", recipe: "r", version: version, trigger: .live, status: .passed, startedAt: time,
                endedAt: time)
            try store.record(
                live: LiveEvaluation(
                    session: session, model: "churn", liveOf: of, rows: 100 + index,
                    metrics: [Metric(sessionId: session.id, modelId: churn, name: "auc", split: "live", value: auc)]))
        }
        var samples: [DriftSample] = []
        for index in 0..<3 {
            let time = Self.start.addingTimeInterval(Double(9000 + index * 300))
            for field in ["tenure", "plan"] {
                let psi: Double = field == "tenure" ? 0.1 * Double(index + 1) : 0.05
                samples.append(
                    DriftSample(time: time, model: "churn", version: "1.1.0", field: field, psi: psi, missingShare: 0, outOfSchemaShare: 0, count: 50))
            }
        }
        try store.record(drift: samples)
        try store.record(
            EnvironmentRecord(
                repository: churnPath, model: "churn", name: "production", version: "1.1.0", tag: "v1.1.0", commit: String(repeating: "b", count: 40),
                bundle: directory.appending("bundles/churn/1.1.0"), updatedAt: Self.start.addingTimeInterval(3700)))
        try store.record(
            Event(
                time: Self.start.addingTimeInterval(3700), repository: churnPath, environment: "production", model: "churn", fromVersion: "1.0.0",
                toVersion: "1.1.0", kind: .environment, reason: "the tag v1.1.0 moved \(Self.hostile)", cause: "hook"))
        try store.record(
            Event(
                time: Self.start.addingTimeInterval(9500), repository: churnPath, environment: "production", model: "churn", fromVersion: "1.1.0",
                toVersion: nil, kind: .driftAlert, reason: "tenure PSI 0.3 > 0.22", cause: "drift",
                details: #"{"field": "tenure", "psi": 0.3, "threshold": 0.22}"#))
    }

    /// A passed session of `version` with train and evaluate metrics, its gates, and a tagged
    /// bundle folder holding `manifest` as its model.yaml; returns the session's id.
    func release(_ model: Int64, _ version: String, minutes: Double, metrics: [String: (train: Double, evaluate: Double)], manifest: String) throws -> String {
        let time = Self.start.addingTimeInterval(minutes * 60)
        let commit = String(repeating: version == "1.0.0" ? "a" : "b", count: 40)
        let session = Session(
            id: "s-\(version)", modelId: model, commit: commit, tree: "t", recipe: "r", ref: "refs/tags/v\(version)", version: version, trigger: .reconcile,
            status: .passed, startedAt: time, endedAt: time.addingTimeInterval(30))
        try store.insert(session)
        try store.record(
            metrics.flatMap { name, values in
                [
                    Metric(sessionId: session.id, modelId: model, name: name, split: "train", value: values.train),
                    Metric(sessionId: session.id, modelId: model, name: name, split: "evaluate", value: values.evaluate),
                ]
            })
        try store.record(gates: [GateResult(gate: "auc >= 0.7", passed: true, detail: "auc >= 0.7: \(metrics["auc"]!.evaluate)")], session: session.id)
        _ = try Manifest.parse(manifest)  // the pages read it; a fixture that does not parse says why here
        try directory.write("bundles/churn/\(version)/model.yaml", manifest)
        try store.record(
            BundleRecord(
                modelId: model, version: version, tag: "v\(version)", ref: "refs/tags/v\(version)", commit: commit, sessionId: session.id,
                path: directory.appending("bundles/churn/\(version)"), archive: directory.appending("bundles/churn/\(version).tar.gz"),
                sha256: String(repeating: version == "1.0.0" ? "1" : "2", count: 64), createdAt: time.addingTimeInterval(60)))
        return session.id
    }

    static func manifest(inputs: String, outputs: String, psi: Double) -> String {
        """
        name: churn
        runtime: command
        run: [python3, -u, worker.py]
        train: { data: data.csv }
        evaluate: { data: data.csv }
        schema:
          inputs: \(inputs)
          outputs: \(outputs)
        gates: { auc: ">= 0.7" }
        monitor: { psi: \(psi) }
        """
    }

    /// Runs `body` against the dashboard's routes, without sockets.
    func withClient(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let router = Router()
        dashboard.addRoutes(to: router)
        try await Application(router: router).test(.router) { client in try await body(client) }
    }
}

private func get(_ client: any TestClientProtocol, _ uri: String) async throws -> (status: HTTPResponse.Status, text: String, headers: HTTPFields) {
    let response = try await client.execute(uri: uri, method: .get, headers: [:], body: nil)
    return (response.status, String(buffer: response.body), response.headers)
}

private func json(_ client: any TestClientProtocol, _ uri: String) async throws -> [String: Any] {
    let answer = try await get(client, uri + (uri.contains("?") ? "&" : "?") + "format=json")
    #expect(answer.status == .ok, "\(uri): \(answer.text)")
    let envelope = try #require(try JSONSerialization.jsonObject(with: Data(answer.text.utf8)) as? [String: Any])
    return try #require(envelope["data"] as? [String: Any])
}

private func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

/// Every value from the store arrives escaped: no hostile markup, and its escaped form present.
private func expectEscaped(_ html: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!html.contains("<script>"), sourceLocation: sourceLocation)
    #expect(html.contains("&lt;script&gt;"), sourceLocation: sourceLocation)
}

@Suite(.onTestThreads) struct ModelPagesTests {
    @Test func modelPageShowsReleasesChartsDriftAndHistory() async throws {
        let fixture = try ModelPagesFixture()
        try await fixture.withClient { client in
            let page = try await get(client, "/ui/repositories/churn/models/churn")
            #expect(page.status == .ok, "\(page.text)")
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            expectEscaped(page.text)

            let data = try await json(client, "/ui/repositories/churn/models/churn")
            let releases = try #require(data["releases"] as? [[String: Any]])
            #expect(releases.map { $0["version"] as? String } == ["1.1.0", "1.0.0"])
            #expect(releases[0]["digest"] as? String == String(repeating: "2", count: 12))
            #expect(releases[0]["compareHref"] as? String == "/ui/repositories/churn/models/churn/compare?a=1.0.0&b=1.1.0")
            #expect(releases[1]["compareHref"] == nil)
            #expect((releases[0]["serving"] as? [[String: Any]])?.map { $0["text"] as? String } == ["production"])
            #expect((releases[0]["gates"] as? [String: Any])?["tone"] as? String == "good")

            // One chart per metric; auc has train and evaluate at both releases and live at both.
            let charts = try #require(data["metricCharts"] as? [[String: Any]])
            #expect(charts.map { $0["title"] as? String } == [ModelPagesFixture.hostile, "auc", "log_loss"])
            let auc = try #require(charts.first { $0["title"] as? String == "auc" })
            let series = try #require(auc["series"] as? [[String: Any]])
            #expect(series.map { $0["name"] as? String } == ["train", "evaluate", "live"])
            #expect(series.map { ($0["points"] as? [Any])?.count } == [2, 2, 2])
            let live = try #require(series[2]["points"] as? [[String: Any]])
            #expect(live.map { $0["title"] as? String } == ["1.0.0 live auc = 0.7", "1.1.0 live auc = 0.76"])

            // Drift: a line per field, a point per sample; the threshold is the newest model.yaml's.
            let drift = try #require(data["driftChart"] as? [String: Any])
            #expect((drift["series"] as? [[String: Any]])?.map { ($0["points"] as? [Any])?.count } == [3, 3])
            #expect(data["driftLimit"] as? Double == 0.25)
            let pointsInCharts = charts.reduce(0) { $0 + (($1["series"] as? [[String: Any]]) ?? []).reduce(0) { $0 + (($1["points"] as? [Any])?.count ?? 0) } }
            #expect(count("<circle class=\"point\"", in: page.text) == pointsInCharts + 6)

            let timeline = try #require(data["timeline"] as? [[String: Any]])
            #expect(timeline.map { $0["tone"] as? String } == ["bad", "info"])
            #expect(page.text.contains("<ol class=\"timeline\">"))
            #expect((data["drift"] as? [[String: Any]])?.map { $0["text"] as? String } == ["drift tenure"])
            #expect((data["sessions"] as? [Any])?.count == 6)
        }
    }

    /// A scheduled retrain's candidate that passed its gates is proposed on the model's page
    /// until a release overtakes it; one that failed is not.
    @Test func modelPageShowsProposedCandidates() async throws {
        let fixture = try ModelPagesFixture()
        for (minute, version, proposed) in [(0, "1.0.1-data.00000000", true), (10, "1.1.1-data.ab12cd34", false), (20, "1.1.1-data.cd34ef56", true)] {
            var fire = ScheduleFire(
                repository: fixture.churnPath, entry: "nightly", model: "churn", action: #"{"data":"/d.csv","kind":"train"}"#,
                scheduledAt: ModelPagesFixture.start.addingTimeInterval(Double(minute) * 60), firedAt: ModelPagesFixture.start, worker: "w", state: .queued)
            fire = try #require(try fixture.store.record(fire: fire, maxAttempts: 1, now: ModelPagesFixture.start))
            fire.state = .done
            fire.candidate = version
            fire.dataSha256 = String(version.suffix(8)) + String(repeating: "0", count: 56)
            fire.proposed = proposed
            try fixture.store.update(fire: fire)
        }
        try await fixture.withClient { client in
            let data = try await json(client, "/ui/repositories/churn/models/churn")
            #expect(
                data["candidates"] as? [String] == [
                    "candidate 1.1.1-data.cd34ef56 (from schedule nightly, data sha256 cd34ef560000…): gates passed — tag v1.1.1 to release"
                ])
            let page = try await get(client, "/ui/repositories/churn/models/churn")
            #expect(page.text.contains("candidate 1.1.1-data.cd34ef56 (from schedule nightly"))
            #expect(!page.text.contains("1.0.1-data.00000000") && !page.text.contains("1.1.1-data.ab12cd34"))
        }
    }

    @Test func versionPageShowsFactsGatesMetricsAndLiveValues() async throws {
        let fixture = try ModelPagesFixture()
        try await fixture.withClient { client in
            let page = try await get(client, "/ui/repositories/churn/models/churn/versions/1.1.0")
            #expect(page.status == .ok, "\(page.text)")
            expectEscaped(page.text)
            let data = try await json(client, "/ui/repositories/churn/models/churn/versions/1.1.0")
            #expect(data["sha256"] as? String == String(repeating: "2", count: 64))
            #expect(data["tag"] as? String == "v1.1.0")
            #expect(data["compareHref"] as? String == "/ui/repositories/churn/models/churn/compare?a=1.0.0&b=1.1.0")
            #expect((data["session"] as? [String: Any])?["href"] as? String == "/ui/sessions/s-1.1.0")
            #expect(data["metricSplits"] as? [String] == ["train", "evaluate", "live"])
            let metrics = try #require(data["metrics"] as? [[String: Any]])
            #expect(metrics.map { $0["metric"] as? String } == [ModelPagesFixture.hostile, "auc", "log_loss"])
            let auc = try #require(metrics.first { $0["metric"] as? String == "auc" }?["cells"] as? [[String: Any]])
            #expect(auc.map { $0["value"] as? Double } == [0.85, 0.8, 0.76])
            #expect((metrics[2]["cells"] as? [[String: Any]])?.map { $0["shown"] as? String } == ["0.35", "0.45", "—"])
            let liveChart = try #require(data["liveChart"] as? [String: Any])
            #expect(((liveChart["series"] as? [[String: Any]])?.first?["points"] as? [Any])?.count == 2)
            #expect(count("<circle class=\"point\"", in: page.text) == 2 + 6)
            #expect((data["serving"] as? [[String: Any]])?.count == 1)

            // "v1.1.0" names it too.
            #expect(try await get(client, "/ui/repositories/churn/models/churn/versions/v1.1.0").status == .ok)
        }
    }

    @Test func aFailedReleaseHasAPageFromItsSession() async throws {
        let fixture = try ModelPagesFixture()
        try await fixture.withClient { client in
            let page = try await get(client, "/ui/repositories/churn/models/churn/versions/1.2.0")
            #expect(page.status == .ok, "\(page.text)")
            expectEscaped(page.text)
            let data = try await json(client, "/ui/repositories/churn/models/churn/versions/1.2.0")
            #expect(data["released"] as? Bool == false)
            #expect(data["bundlePath"] == nil)
            #expect((data["gatesOutcome"] as? [String: Any])?["tone"] as? String == "bad")
            #expect((data["gates"] as? [[String: Any]])?.first?["measured"] as? String == "auc >= 0.9: 0.7, which fails")
            #expect(data["previous"] as? String == "1.1.0")
        }
    }

    @Test func unknownModelsAndVersionsAre404() async throws {
        let fixture = try ModelPagesFixture()
        try await fixture.withClient { client in
            let version = try await get(client, "/ui/repositories/churn/models/churn/versions/9.9.9")
            #expect(version.status == .notFound)
            #expect(version.text.contains("version 9.9.9 of model churn"))
            #expect(try await get(client, "/ui/repositories/churn/models/nope").status == .notFound)
            #expect(try await get(client, "/ui/repositories/nope/models/churn/compare").status == .notFound)
            let hostile = try await get(client, "/ui/repositories/churn/models/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
            #expect(hostile.status == .notFound)
            expectEscaped(hostile.text)
            #expect(try await get(client, "/ui/models/nope").status == .notFound)
        }
    }

    @Test func compareShowsDifferencesSchemaChangesAndGates() async throws {
        let fixture = try ModelPagesFixture()
        try await fixture.withClient { client in
            let page = try await get(client, "/ui/repositories/churn/models/churn/compare?a=1.0.0&b=1.1.0")
            #expect(page.status == .ok, "\(page.text)")
            expectEscaped(page.text)
            let data = try await json(client, "/ui/repositories/churn/models/churn/compare?a=1.0.0&b=1.1.0")
            let rows = try #require(data["metrics"] as? [[String: Any]])
            func row(_ metric: String, _ split: String) -> [String: Any]? {
                rows.first { $0["metric"] as? String == metric && $0["split"] as? String == split }
            }
            let auc = try #require(row("auc", "evaluate"))
            #expect(abs((auc["difference"] as? Double ?? 0) - 0.05) < 1e-9)
            #expect(auc["classes"] as? String == "number up better")
            #expect(row("log_loss", "evaluate")?["classes"] as? String == "number down better")
            #expect(abs((row("auc", "live")?["difference"] as? Double ?? 0) - 0.06) < 1e-9)
            #expect(row(ModelPagesFixture.hostile, "train")?["shownA"] as? String == "—")
            #expect(page.text.contains("class=\"number up better\""))
            #expect(rows.map { $0["split"] as? String }.first == "train" && rows.map { $0["split"] as? String }.last == "live")

            #expect(data["schemaKnown"] as? Bool == true)
            let changes = try #require(data["schemaChanges"] as? [[String: Any]])
            let lines = Set(changes.compactMap { $0["line"] as? String })
            #expect(
                lines == [
                    "input tenure: double → int", "input plan (string) removed", "input region (string) added", "output score (double) added",
                ])
            #expect((data["a"] as? [String: Any])?["version"] as? String == "1.0.0")
            #expect(((data["b"] as? [String: Any])?["gates"] as? [Any])?.count == 1)

            // Without a and b: the two newest releases.
            let newest = try await json(client, "/ui/repositories/churn/models/churn/compare")
            #expect((newest["a"] as? [String: Any])?["version"] as? String == "1.0.0")
            #expect((newest["b"] as? [String: Any])?["version"] as? String == "1.1.0")

            // A version without a bundle: its schema is unknown, and the page says so.
            let failed = try await get(client, "/ui/repositories/churn/models/churn/compare?a=1.1.0&b=1.2.0")
            #expect(failed.status == .ok)
            #expect(failed.text.contains("schema unknown: 1.2.0 has no bundle"))
            #expect(try await get(client, "/ui/repositories/churn/models/churn/compare?a=1.1.0&b=7.0.0").status == .notFound)
        }
    }

    @Test func compareSaysSchemaUnknownWhenABundleFolderIsGone() async throws {
        let fixture = try ModelPagesFixture()
        try FileManager.default.removeItem(atPath: fixture.directory.appending("bundles/churn/1.0.0"))
        try await fixture.withClient { client in
            let data = try await json(client, "/ui/repositories/churn/models/churn/compare?a=1.0.0&b=1.1.0")
            #expect(data["schemaKnown"] as? Bool == false)
            #expect(((data["a"] as? [String: Any])?["schemaProblem"] as? String)?.hasPrefix("schema unknown") == true)
        }
    }

    /// A release whose folder is not on this host (made on another one) has its schema read from
    /// the copy the dashboard fetches from the store's blob into its home.
    @Test func compareReadsTheSchemaFromTheStoreWhenABundleFolderIsNotHere() async throws {
        let fixture = try ModelPagesFixture()
        let churn = try fixture.store.modelID(repository: fixture.churnPath, name: "churn")
        let commit = String(repeating: "d", count: 40)
        let time = ModelPagesFixture.start.addingTimeInterval(9000)
        try fixture.store.insert(
            Session(
                id: "s-1.3.0", modelId: churn, commit: commit, tree: "t", recipe: "r", ref: "refs/tags/v1.3.0", version: "1.3.0", trigger: .reconcile,
                status: .passed, startedAt: time, endedAt: time))
        let manifest = ModelPagesFixture.manifest(
            inputs: "[{ name: tenure, type: int }, { name: region, type: string }, { name: age, type: double }]",
            outputs: "[{ name: label, type: int }, { name: score, type: double }]", psi: 0.25)
        try fixture.directory.write("elsewhere/churn-1.3.0/model.yaml", manifest)
        let folder = URL(fileURLWithPath: fixture.directory.appending("elsewhere/churn-1.3.0"))
        let described = BundleManifest(
            model: "churn", version: "1.3.0", tag: "v1.3.0", ref: "refs/tags/v1.3.0", commit: commit, tree: "t", session: "s-1.3.0", runtime: "command",
            run: ["python3", "-u", "worker.py"], toolchain: SortedMap([:]), schema: .init(inputs: [], outputs: []), metrics: SortedMap([:]), gates: [],
            files: BundleManifest.files(of: try Archive.entries(of: folder)))
        try JSONEncoder().encode(described).write(to: folder.appendingPathComponent(BundleManifest.fileName))
        let archive = fixture.directory.appending("elsewhere/churn-1.3.0.tar.gz")
        try Archive.tarGz(try Archive.entries(of: folder), prefix: "churn-1.3.0").write(to: URL(fileURLWithPath: archive))
        let digest = String(try await runProcess("/usr/bin/sha256sum", [archive]).stdout.prefix(64))
        try BlobStore(fixture.store).put(fileAt: archive, digest: digest)
        try fixture.store.record(
            BundleRecord(
                modelId: churn, version: "1.3.0", tag: "v1.3.0", ref: "refs/tags/v1.3.0", commit: commit, sessionId: "s-1.3.0", path: folder.path,
                archive: archive, sha256: digest, createdAt: time))
        try FileManager.default.removeItem(atPath: fixture.directory.appending("elsewhere"))
        try await fixture.withClient { client in
            let data = try await json(client, "/ui/repositories/churn/models/churn/compare?a=1.1.0&b=1.3.0")
            #expect(data["schemaKnown"] as? Bool == true, "\(data)")
            let lines = Set(((data["schemaChanges"] as? [[String: Any]]) ?? []).compactMap { $0["line"] as? String })
            #expect(lines == ["input age (double) added"], "\(lines)")
        }
        #expect(FileManager.default.fileExists(atPath: fixture.directory.appending("home/bundles/churn/1.3.0/model.yaml")))
    }

    @Test func shortLinksRedirectOrOfferTheChoices() async throws {
        let fixture = try ModelPagesFixture()
        try await fixture.withClient { client in
            let model = try await get(client, "/ui/models/churn")
            #expect(model.status == .found)
            #expect(model.headers[.location] == "/ui/repositories/churn/models/churn")
            let version = try await get(client, "/ui/models/churn/versions/1.1.0")
            #expect(version.headers[.location] == "/ui/repositories/churn/models/churn/versions/1.1.0")
            let compare = try await get(client, "/ui/models/churn/compare?a=1.0.0&b=1.1.0")
            #expect(compare.status == .found)
            #expect(compare.headers[.location] == "/ui/repositories/churn/models/churn/compare?a=1.0.0&b=1.1.0")

            let choices = try await get(client, "/ui/models/shared/versions/2.0.0")
            #expect(choices.status == .multipleChoices)
            #expect(choices.text.contains("href=\"/ui/repositories/churn/models/shared/versions/2.0.0\""))
            #expect(choices.text.contains("href=\"/ui/repositories/scoring/models/shared/versions/2.0.0\""))
        }
    }

    @Test func aLongDriftHistoryShowsTheHighestPSIOfEachStretchOfTime() throws {
        let start = ModelPagesFixture.start
        let samples = (0..<1000).map { index in
            DriftSample(
                time: start.addingTimeInterval(Double(index) * 60), model: "churn", version: "1.0.0", field: "tenure", psi: index == 500 ? 0.9 : 0.1,
                missingShare: 0, outOfSchemaShare: 0, count: 10)
        }
        let line = try #require(ModelHistory.driftLines(samples).first)
        #expect(line.values.count == ModelHistory.pointsPerLine)
        #expect(line.values.filter { $0.y == 0.9 }.count == 1)
        #expect(line.values.first { $0.y == 0.9 }?.title.contains("PSI up to 0.9") == true)
        // A short history keeps every sample.
        #expect(ModelHistory.driftLines(Array(samples.prefix(50))).first?.values.count == 50)
    }

    @Test func templatesSeeJSONBooleansNumbersAndNullsAsThemselves() throws {
        let json = Data(#"{"t": true, "f": false, "i": 3, "d": 2.5, "n": null, "s": "<b>", "a": [1, false]}"#.utf8)
        let value = try #require(try TemplateValue.mustache(json: json) as? [String: Any])
        #expect(value["t"] as? Bool == true && value["f"] as? Bool == false)
        #expect(value["i"] as? Int == 3 && value["d"] as? Double == 2.5 && value["s"] as? String == "<b>")
        #expect(value["n"] is TemplateValue.Null)
        #expect((value["a"] as? [Any])?.last as? Bool == false)
        // null opens no section: the badge without a link is a span, its values escaped.
        let badge = try PageRenderer.html(json: Data(#"{"href": null, "tone": "good", "detail": "<b>", "text": "x"}"#.utf8), template: "badge")
        #expect(badge.trimmingCharacters(in: .whitespacesAndNewlines) == #"<span class="badge good" title="&lt;b&gt;">x</span>"#)
    }

    @Test func schemaChangesNameEveryAddedRemovedAndRetypedField() {
        let a = Manifest.Schema(inputs: [.init(name: "x", type: .double), .init(name: "gone", type: .string)], outputs: [.init(name: "y", type: .int)])
        let b = Manifest.Schema(inputs: [.init(name: "x", type: .string), .init(name: "new", type: .bool)], outputs: [.init(name: "y", type: .int)])
        #expect(
            ComparePage.schemaChanges(from: a, to: b).map(\.change) == ["type changed", "removed", "added"])
        #expect(ComparePage.schemaChanges(from: a, to: a).isEmpty)
    }
}
