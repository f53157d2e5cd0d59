import Foundation
import ModelFactory
import ModelKit
import Store

/// The production loop as the demo tells it once production is served: labelled feedback with
/// live metrics beside the offline ones, a drift alert from shifted inputs, and (around the next
/// release, in `serve`) a rollout that promotes.
extension Demo {
    /// What the loop showed, as `--json` prints it under `serve.loop`.
    struct Loop: Encodable {
        /// The feedback answer's counts.
        var feedback: FeedbackShown
        /// The live session the labels made (as `mf metrics --live --json` prints one).
        var live: LiveRow
        /// `GET /v2/models/M/stats`'s answer after the shifted inputs.
        var drift: JSONValue
        /// The rollout's decisions, oldest first (as `mf history --json` prints them).
        var rollout: [EventSummary]
    }

    /// How many labels the server received, joined to logged predictions, and did not know.
    struct FeedbackShown: Encodable {
        var received, joined, unknown: Int
    }

    /// Production's answers labelled: the evaluation rows are sent to v1 predict in batches
    /// (their ids kept), their true labels posted as feedback once the server has logged the
    /// predictions, and the live session the labels make is shown beside the offline metrics,
    /// as `mf metrics --compare` and `mf metrics --live` print them.
    func showFeedback(
        _ traffic: DemoTraffic, server: DemoServer, model: String, version: String, previous: String, data: String, repository: String,
        store: any FactoryStore, shown: String, home: URL, transcript: Transcript
    ) async throws -> (FeedbackShown, LiveEvaluation) {
        transcript.begin(
            DemoStory.Step(
                title: "Label production's answers: \(data)'s rows sent, their true outcomes posted back, live metrics beside offline ones",
                commands: [], commit: nil))
        let predict = "/v1/models/\(model):predict"
        let started = Date()
        let ids = try await predictAll(traffic.instances, server: server, path: predict)
        transcript.show(
            Self.curl(server, predict, shortened: try Self.shortened(traffic.instances, key: "instances"))
                + "   # \(counted(ids.count, "row")) of \(data) without their label, \(Self.batch) a request",
            output: "\(counted(ids.count, "prediction")), each with its id in \"ids\"")
        // A label joins a logged prediction: wait until the server has written them all (every second).
        try await server.wait(for: "the prediction log to hold the \(counted(ids.count, "prediction"))", timeout: 60) {
            let logged = Set(try store.predictions(model: model, version: version, since: started, limit: 1_000_000).map(\.id))
            return ids.allSatisfy(logged.contains)
        }
        let path = "/v1/models/\(model)/feedback"
        let answer = try await server.post(path, json: DemoTraffic.feedbackBody(ids: ids, labels: traffic.labels))
        guard answer.status == 200, let counts = try? JSONDecoder().decode(FeedbackCounts.self, from: Data(answer.body.utf8)) else {
            throw DemoError.unexpectedAnswer(request: "POST \(path)", status: answer.status, body: answer.body, log: server.log.path)
        }
        let labels = traffic.labels.prefix(1).map { String(decoding: $0.jsonData(), as: UTF8.self) }.joined()
        transcript.show(Self.curl(server, path, shortened: "{\"feedback\":[{\"id\":\"\(ids[0])\",\"label\":\(labels)},…]}"), output: answer.body)
        // Live metrics are computed off the request path, every --live-every labels.
        var newest: LiveEvaluation?
        try await server.wait(for: "a live session of \(model) \(version) on the \(counted(ids.count, "labelled row"))", timeout: 180) {
            newest = try store.liveEvaluations(model: model, version: version, limit: 1).first.flatMap { $0.rows >= ids.count ? $0 : nil }
            return newest != nil
        }
        guard let live = newest, live.session.status == .passed else {
            throw DemoError.liveMetricsFailed(model: model, version: version, why: newest?.session.failure ?? "none recorded", log: server.log.path)
        }
        let names = [previous, version]
        let comparison = try Metrics.comparison(previous, version, model: model, repository: repository, store: store)
        transcript.show("mf metrics --compare \(previous) \(version) \(shown)", output: Metrics.render(comparison, names: names))
        let history = try store.liveEvaluations(model: model, version: nil, limit: 10).reversed()
        transcript.show("mf metrics --live --model \(model) --home \(home.path)", output: Metrics.renderLive(Array(history)))
        return (FeedbackShown(received: counts.received, joined: counts.joined, unknown: counts.unknown), live)
    }

    /// Production's inputs drift: the evaluation rows again with `field` multiplied by `factor`,
    /// then the drift of every field (`GET /v2/models/M/stats`) and, once the server has
    /// recorded its alert, what `mf status` says about it. Returns the `/stats` answer.
    func showDrift(
        _ traffic: DemoTraffic, field: String, factor: Double, server: DemoServer, model: String, version: String, repository: String,
        store: any FactoryStore, shown: String, transcript: Transcript
    ) async throws -> JSONValue {
        let shifted = traffic.shifted(field, by: factor)
        transcript.begin(
            DemoStory.Step(
                title: "Production's inputs drift: \(field) ×\(Self.factorText(factor)) on \(counted(shifted.count, "instance")) raises an alert", commands: [],
                commit: nil))
        let predict = "/v1/models/\(model):predict"
        let ids = try await predictAll(shifted, server: server, path: predict)
        transcript.show(
            Self.curl(server, predict, shortened: try Self.shortened(shifted, key: "instances"))
                + "   # the same \(counted(shifted.count, "row")) with \(field) ×\(Self.factorText(factor))",
            output: "\(counted(ids.count, "prediction")): the schema allows these values, drift is measured beside them")
        let path = "/v2/models/\(model)/stats"
        let answer = try await server.get(path)
        guard answer.status == 200, let stats = try? JSONValue(json: Data(answer.body.utf8)), let fields = stats["fields"]?.arrayValue else {
            throw DemoError.unexpectedAnswer(request: "GET \(path)", status: answer.status, body: answer.body, log: server.log.path)
        }
        var rows = [["FIELD", "PSI", "MISSING", "ALERT"]]
        for entry in fields {
            rows.append([
                entry["name"]?.stringValue ?? "?", format(entry["psi"]?.numberValue), format(entry["missing_share"]?.numberValue),
                entry["alert"]?.boolValue == true ? "true" : "false",
            ])
        }
        let window = stats["window"]?.numberValue.map { counted(Int($0), "instance") } ?? "?"
        let threshold = stats["threshold"]?.numberValue.map { "\($0)" } ?? "?"
        transcript.show(
            "curl -s \(server.url.absoluteString)\(path)", output: formatTable(rows) + "\n(\(version), PSI threshold \(threshold) over the last \(window))")
        // The alert is recorded off the request path, as an event of the audit trail.
        var alerts: [DriftStatus] = []
        try await server.wait(for: "the drift alert of \(model) \(version) \(field) in the store", timeout: 60) {
            alerts = try DriftStatus.open(repository: repository, store: store)
            return alerts.contains { $0.model == model && $0.version == version && $0.field == field }
        }
        // The server records each field's drift every second (--drift-sample-seconds 1): the
        // dashboard's drift charts of this home have a history to draw.
        try await server.wait(for: "the drift history of \(model) \(version) in the store", timeout: 60) {
            try store.driftSamples(model: model, version: version, since: nil, limit: 1).contains { $0.field == field && ($0.psi ?? 0) > 0 }
        }
        transcript.show("mf status \(shown)", output: (["…"] + alerts.map(\.line)).joined(separator: "\n"))
        return stats
    }

    /// The rollout's decisions about `version`, oldest first, once it ended: nil while it runs;
    /// throws `DemoError.rolledBack` when it was rolled back.
    static func rollout(of model: String, to version: String, repository: String, store: any FactoryStore, log: String) throws -> [Event]? {
        let events = try store.events(repository: repository, environment: "production", model: model, before: nil, limit: 100)
        let decisions = events.filter { [.rolloutStarted, .rolloutStep, .promoted, .rolledBack].contains($0.kind) && $0.toVersion == version }
        if let back = decisions.first(where: { $0.kind == .rolledBack }) { throw DemoError.rolledBack(reason: back.reason, log: log) }
        return decisions.contains { $0.kind == .promoted } ? decisions.reversed() : nil
    }

    /// Instances in a v1 predict request.
    static let batch = 100

    /// Sends `instances` to `path` in requests of `batch` and returns the ids the answers gave them, in order.
    func predictAll(_ instances: [JSONValue], server: DemoServer, path: String) async throws -> [String] {
        var ids: [String] = []
        for start in stride(from: 0, to: instances.count, by: Self.batch) {
            let answer = try await server.post(path, json: DemoTraffic.predictBody(instances[start..<min(start + Self.batch, instances.count)]))
            guard answer.status == 200, let given = (try? JSONValue(json: Data(answer.body.utf8)))?["ids"]?.arrayValue?.compactMap(\.stringValue)
            else {
                throw DemoError.unexpectedAnswer(request: "POST \(path)", status: answer.status, body: answer.body, log: server.log.path)
            }
            ids += given
        }
        return ids
    }

    /// A `curl` line as a person would type it, for a body shown shortened.
    static func curl(_ server: DemoServer, _ path: String, shortened body: String) -> String {
        "curl -s \(server.url.absoluteString)\(path) -H 'Content-Type: application/json' -d '\(body)'"
    }

    /// `{"KEY":[FIRST,…]}`: a long body's first item only.
    static func shortened(_ items: [JSONValue], key: String) throws -> String {
        let first = try items.first.map { String(decoding: try DemoTraffic.encoded($0), as: UTF8.self) } ?? ""
        return "{\"\(key)\":[\(first),…]}"
    }

    /// A factor as the story says it: `4`, not `4.0`.
    static func factorText(_ factor: Double) -> String { factor == factor.rounded() ? String(Int(factor)) : "\(factor)" }
}

/// `text` with every line indented as the demo's output is.
func indented(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { "   " + $0 }.joined(separator: "\n")
}
