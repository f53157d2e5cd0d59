internal import Foundation
internal import ModelFactory
internal import Store

/// One version of a model: where it came from (tag, ref, commit, bundle, session), where it runs
/// now, its gates and metrics (with the newest live values), its live evaluations and drift
/// over time. A version with no bundle (a release that failed) is shown from its newest session.
struct VersionPage: DashboardPage {
    static let template = "version"
    var title: String { "\(name) \(version)" }

    /// One metric's values: a cell per split of `metricSplits`.
    struct MetricRow: Encodable, Sendable {
        /// Its value in one split; `shown` is `—` when it has none.
        struct Cell: Encodable, Sendable {
            var split: String
            var shown: String
            var value: Double?
        }
        var metric: String
        var cells: [Cell]
    }

    var repository: String
    var repositoryPath: String
    var name: String
    var modelHref: String
    var version: String
    var released: Bool
    var tag: String?
    var ref: String?
    var commit: String
    var created: String
    var bundlePath: String?
    var sha256: String?
    var session: Badge
    var sessionID: String
    var reusedFrom: String?
    var failure: String?
    var serving: [Badge]
    var gates: [ModelHistory.GateRow]
    var gatesOutcome: Badge
    /// The table's columns: train, evaluate, any other split, and live (the newest live evaluation's).
    var metricSplits: [String]
    var metrics: [MetricRow]
    var liveChart: LineChart?
    var driftChart: LineChart?
    var previous: String?
    var compareHref: String?
    /// Every session that ran this version, newest first.
    var sessions: [Badge]

    /// How many live evaluations the live chart shows at most.
    static let liveLimit = 500

    static func build(_ catalog: Catalog, repository: String, name: String, version text: String) throws -> VersionPage {
        let history = try ModelHistory(catalog: catalog, repository: repository, name: name)
        let store = catalog.store
        let links = catalog.links
        let model = history.model
        let found = try history.version(text)
        let session = found.session
        let version = found.version
        let gates = try history.gates(of: session)

        let evaluations = try store.liveEvaluations(model: model.name, version: version, limit: liveLimit)
        let (splits, metrics) = table(try store.metrics(session: session.id) + (evaluations.first?.metrics ?? []))
        let samples = try store.driftSamples(model: model.name, version: version, since: nil, limit: 5000)
        let driftLines = ModelHistory.driftLines(samples)
        let previous = history.previousRelease(found)
        let records = try store.environments(repository: model.repository)

        return VersionPage(
            repository: repository, repositoryPath: model.repository, name: model.name,
            modelHref: links.model(repository: repository, name: model.name), version: version, released: found.bundle?.tag != nil,
            tag: found.bundle?.tag ?? session.ref.flatMap { $0.hasPrefix("refs/tags/") ? String($0.dropFirst("refs/tags/".count)) : nil },
            ref: found.bundle?.ref ?? session.ref, commit: found.bundle?.commit ?? session.commit,
            created: Format.time(found.bundle?.createdAt ?? session.startedAt), bundlePath: found.bundle?.path, sha256: found.bundle?.sha256,
            session: ModelsPage.sessionBadge(session, links: links), sessionID: session.id, reusedFrom: session.reusedFrom,
            failure: session.failure, serving: history.servingBadges(records, version: version), gates: gates.map(ModelHistory.GateRow.init),
            gatesOutcome: ModelHistory.gatesBadge(gates), metricSplits: splits, metrics: metrics,
            liveChart: liveChart(evaluations.reversed()),
            driftChart: driftLines.isEmpty ? nil : LineChart.time(title: "Drift per input field (PSI)", lines: driftLines),
            previous: previous?.version, compareHref: previous.map { history.compareHref($0.version, version) },
            sessions: history.sessions.filter { $0.version == version }.map { ModelsPage.sessionBadge($0, links: links) })
    }

    /// `metrics` as a table: a row per name, a column per split.
    static func table(_ metrics: [Metric]) -> (splits: [String], rows: [MetricRow]) {
        let splits = Set(metrics.map(\.split)).sorted(by: ModelHistory.splitOrder)
        let rows = Dictionary(grouping: metrics, by: \.name).sorted { $0.key < $1.key }.map { name, measured in
            MetricRow(
                metric: name,
                cells: splits.map { split in
                    let value = measured.first { $0.split == split }?.value ?? nil
                    return MetricRow.Cell(split: split, shown: Format.number(value), value: value)
                })
        }
        return (splits, rows)
    }

    /// One line per live metric over time, from `evaluations` (oldest first); nil when none
    /// measured. A long history shows the newest evaluation of each stretch of time.
    static func liveChart(_ evaluations: [LiveEvaluation]) -> LineChart? {
        var measured: [String: [(time: Date, value: Double, rows: Int)]] = [:]
        for evaluation in evaluations {
            for metric in evaluation.metrics {
                guard let value = metric.value, value.isFinite else { continue }
                measured[metric.name, default: []].append((evaluation.session.startedAt, value, evaluation.rows))
            }
        }
        if measured.isEmpty { return nil }
        let lines = measured.sorted { $0.key < $1.key }.map { name, values in
            LineChart.Line(
                name: name,
                values: ModelHistory.runs(values, time: \.time).map { run in
                    let newest = run.last!
                    let title =
                        "\(name) \(Format.number(newest.value)) on \(newest.rows) rows · \(Format.time(newest.time))"
                        + (run.count == 1 ? "" : " (the newest of \(run.count) evaluations since \(Format.time(run.first!.time)))")
                    return (x: newest.time.timeIntervalSince1970, y: newest.value, title: title)
                })
        }
        return LineChart.time(title: "Live metrics", lines: lines)
    }
}
