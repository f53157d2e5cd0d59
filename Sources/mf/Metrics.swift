import ArgumentParser
import Foundation
import ModelFactory
import Store

struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Show a session's metrics, or compare two versions side by side.",
        discussion: """
            A session is named by its id (or a prefix of at least four characters) or by a version \
            (1.2.0 or v1.2.0: its newest passed session; churn@v1.2.0 names the model as a repository \
            of several models tags it). Versions are looked for in every repository of the home, or \
            with --repo only in that one.

              mf metrics v1.0.0
              mf metrics churn@v1.0.0
              mf metrics --compare v1.0.0 v1.0.1 --repo .
              mf metrics --live --model churn

            --compare shows train and evaluate, and the newest live values (split live: the \
            model's own evaluate on labelled production rows, computed by mf serve) side by side. \
            --live lists a model's live sessions over time: when, which version, how many labelled \
            rows, and what they measured. Live sessions are never a version's session here.

            --json prints {session, model, version, metrics: [{name, split, value}]}, with \
            --compare {a, b, metrics: [{name, split, a, b, difference}]}, with --live \
            [{session, time, version, rows, status, failure, metrics: {NAME: value}}] (oldest first).
            """
    )

    @Argument(help: "A session id, a version, or MODEL@VERSION.")
    var session: String?

    @Option(name: .long, parsing: .upToNextOption, help: ArgumentHelp("Two sessions or versions to compare.", valueName: "a b"))
    var compare: [String] = []

    @Option(help: "The model, where versions of several models share a store.")
    var model: String?

    @Flag(help: "List the model's live sessions (metrics on labelled production rows) over time; needs --model.")
    var live = false

    @OptionGroup var options: RepositoryOptions

    func validate() throws {
        if !compare.isEmpty && compare.count != 2 { throw ValidationError("--compare takes two sessions or versions") }
        if live && model == nil { throw ValidationError("--live needs --model") }
        if compare.isEmpty && session == nil && !live { throw ValidationError("name a session or version, or use --compare A B or --live") }
    }

    func run() throws {
        try reportingErrors {
            let store = try options.openStore()
            let repository = try options.repositoryFilter()
            if live, let model {
                try showLive(store.liveEvaluations(model: model, version: nil, limit: 10_000).reversed())
            } else if compare.count == 2 {
                let comparison = try Self.comparison(compare[0], compare[1], model: model, repository: repository, store: store)
                if options.json { return try printJSON(comparison) }
                print(Self.render(comparison, names: compare))
            } else if let session {
                let found = try store.findSession(session, model: model, repository: repository)
                let metrics = try store.metrics(session: found.session.id)
                if options.json {
                    try printJSON(SessionMetrics(session: found.session, model: found.model, metrics: metrics))
                    return
                }
                print(
                    "session \(found.session.id) (\(found.model) \(found.session.version ?? String(found.session.commit.prefix(7))), \(found.session.status.rawValue))"
                )
                guard !metrics.isEmpty else { return print("No metrics.") }
                print(formatTable([["METRIC", "SPLIT", "VALUE"]] + metrics.map { [$0.name, $0.split, format($0.value)] }))
            }
        }
    }

    func showLive(_ evaluations: [LiveEvaluation]) throws {
        if options.json { return try printJSON(evaluations.map(LiveRow.init)) }
        guard !evaluations.isEmpty else { return print("No live sessions of \(model ?? "?") yet.") }
        print(Self.renderLive(evaluations))
    }

    /// Live sessions as `--live` lists them: when, which version, how many rows, what they measured.
    static func renderLive(_ evaluations: [LiveEvaluation]) -> String {
        var rows = [["TIME", "VERSION", "ROWS", "STATUS", "METRICS"]]
        for evaluation in evaluations {
            let measured = evaluation.metrics.map { "\($0.name)=\(format($0.value))" }.joined(separator: " ")
            rows.append([
                evaluation.session.startedAt.formatted(.iso8601), evaluation.session.version ?? "-", String(evaluation.rows),
                evaluation.session.status.rawValue, evaluation.session.failure ?? measured,
            ])
        }
        return formatTable(rows)
    }

    /// Two sessions or versions (as `mf metrics` names them) side by side: each one's train and
    /// evaluate metrics, and each version's newest live values.
    static func comparison(_ a: String, _ b: String, model: String?, repository: String?, store: any FactoryStore) throws -> MetricComparison {
        let first = try store.findSession(a, model: model, repository: repository)
        let second = try store.findSession(b, model: model, repository: repository)
        return MetricComparison(
            a: first.session, b: second.session, left: try MetricComparison.metrics(of: first.session, model: first.model, store: store),
            right: try MetricComparison.metrics(of: second.session, model: second.model, store: store))
    }

    /// A comparison as `--compare` shows it, its columns headed by the `names` it was asked with.
    static func render(_ comparison: MetricComparison, names: [String]) -> String {
        var rows = [["METRIC", "SPLIT", names[0], names[1], "DIFFERENCE"]]
        for row in comparison.rows {
            rows.append([row.name, row.split, format(row.a), format(row.b), row.difference.map { String(format: "%+.4g", $0) } ?? "-"])
        }
        return formatTable(rows)
    }
}

func format(_ value: Double?) -> String { value.map { String(format: "%.4g", $0) } ?? "-" }

struct SessionMetrics: Encodable {
    var session: Session
    var model: String
    var metrics: [Metric]

    enum Keys: String, CodingKey { case session, model, version, metrics }
    enum MetricKeys: String, CodingKey { case name, split, value }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(session.id, forKey: .session)
        try container.encode(model, forKey: .model)
        try container.encode(session.version, forKey: .version)
        var list = container.nestedUnkeyedContainer(forKey: .metrics)
        for metric in metrics {
            var item = list.nestedContainer(keyedBy: MetricKeys.self)
            try item.encode(metric.name, forKey: .name)
            try item.encode(metric.split, forKey: .split)
            try item.encode(metric.value, forKey: .value)
        }
    }
}

/// One live session, as `mf metrics --live --json` prints it.
struct LiveRow: Encodable {
    var session: String
    var time: Date
    var version: String?
    var rows: Int
    var status: String
    var failure: String?
    var metrics: [String: Double?]

    init(_ evaluation: LiveEvaluation) {
        session = evaluation.session.id
        time = evaluation.session.startedAt
        version = evaluation.session.version
        rows = evaluation.rows
        status = evaluation.session.status.rawValue
        failure = evaluation.session.failure
        metrics = Dictionary(evaluation.metrics.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    enum Keys: String, CodingKey { case session, time, version, rows, status, failure, metrics }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(session, forKey: .session)
        try container.encode(time, forKey: .time)
        try container.encode(version, forKey: .version)
        try container.encode(rows, forKey: .rows)
        try container.encode(status, forKey: .status)
        try container.encode(failure, forKey: .failure)
        var measured = container.nestedContainer(keyedBy: AnyKey.self, forKey: .metrics)
        for name in metrics.keys.sorted() { try measured.encode(metrics[name]!, forKey: AnyKey(name)) }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
