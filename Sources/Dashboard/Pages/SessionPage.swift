public import Foundation
internal import ModelFactory
public import Store
internal import SystemKit

/// A session: what ran (model, version, commit, trigger, outcome), its steps with timings, its
/// metrics, its gates (those of the session whose work it reused, when it reused one), its
/// artifacts, a chart of each evaluation metric across the model's releases, and the end of each
/// step's log. The same page is `/ui/sessions/ID` and the file `mf report` and the worker write
/// (`SessionReports`), which has no links.
struct SessionPage: DashboardPage {
    static let template = "session"
    var title: String { "\(model) \(label) · session \(id.prefix(8))" }

    /// A session named on the page, linked when the page has links.
    struct Named: Encodable, Sendable {
        var id: String
        var href: String?
    }

    struct StepRow: Encodable, Sendable {
        var name: String
        var status: String
        var seconds: String
        var message: String?
    }

    struct MetricRow: Encodable, Sendable {
        var name: String
        var split: String
        var value: String
    }

    /// The gates the session's work checked.
    struct Gates: Encodable, Sendable {
        /// Whether a gates step ran (a session that failed before it checked none).
        var checked: Bool
        /// Whether every gate held.
        var held: Bool
        /// The session whose work (and gates) a reused session shows.
        var of: Named?
        var rows: [GateRow]
    }

    struct GateRow: Encodable, Sendable {
        var detail: String
        var outcome: String
    }

    /// One data file the `validate` step checked against model.yaml's `expect:`.
    struct DataCheckView: Encodable, Sendable {
        var dataset: String
        var path: String
        var rows: Int
        var outcome: String
        var summary: String
        var rules: [DataRuleRow]
    }

    /// One `expect:` rule's outcome, with the first offending rows and their values.
    struct DataRuleRow: Encodable, Sendable {
        var rule: String
        var outcome: String
        var measured: String?
        var offending: Int
        var rows: String
        var values: String
        var note: String?
    }

    struct ArtifactRow: Encodable, Sendable {
        var path: String
        var size: String
        var bytes: Int64
        var sha256: String
    }

    /// The end of a step's log.
    struct LogTail: Encodable, Sendable {
        var step: String
        var path: String
        /// Open when the step failed.
        var open: Bool
        var text: String
        /// The whole log, when the page has links and the log can be read.
        var href: String?
    }

    var id: String
    var model: String
    /// The repository's short name; nil when the store no longer lists the model.
    var repository: String?
    var modelHref: String?
    /// `v1.2.0`, or the commit's first eight characters for a session of no release.
    var label: String
    var version: String?
    var commit: String
    var ref: String?
    var trigger: String
    var outcome: Badge
    var started: String
    var took: String?
    var reused: Named?
    var failure: String?
    var steps: [StepRow]
    var metrics: [MetricRow]
    var gates: Gates
    /// The data files the session's `validate` steps checked; empty when model.yaml has no `expect:`.
    var dataChecks: [DataCheckView]
    var artifacts: [ArtifactRow]
    var artifactsOf: Named?
    var charts: [LineChart]
    var logs: [LogTail]

    /// The most of each log the page shows (its end).
    static let logLimit = 64 * 1024

    /// The page of session `id`; `links` nil for a written report (which links nowhere).
    static func build(session id: String, catalog: Catalog, links: Links?) throws -> SessionPage {
        let store = catalog.store
        guard let session = try store.session(id: id) else { throw DashboardError.notFound("session \(id)") }
        let registered = catalog.models.first { $0.id == session.modelId }
        let model = try registered?.name ?? store.model(id: session.modelId)?.name ?? "model"
        let repository = registered.map { catalog.short($0.repository) }
        let steps = try store.steps(session: id)
        let metrics = try store.metrics(session: id)
        let work = session.reusedFrom ?? id
        let (gatesOf, gateResults) = try store.decidingGates(of: session)
        let gatesStep = try (gatesOf == id ? steps : store.steps(session: gatesOf)).last { $0.name == "gates" }
        let named = { (other: String) in Named(id: other, href: links?.session(other)) }
        var outcome = ModelsPage.sessionBadge(session, links: links ?? Links(base: ""))
        outcome.text = session.status.rawValue
        if links == nil { outcome.href = nil }
        let artifacts = try store.artifacts(session: work)
        return SessionPage(
            id: session.id, model: model, repository: repository,
            modelHref: repository.flatMap { repository in links?.model(repository: repository, name: model) },
            label: session.version.map { "v\($0)" } ?? String(session.commit.prefix(8)), version: session.version, commit: session.commit,
            ref: session.ref, trigger: session.trigger.rawValue, outcome: outcome, started: Format.time(session.startedAt),
            took: session.endedAt.map { String(format: "%.1f s", $0.timeIntervalSince(session.startedAt)) },
            reused: session.reusedFrom.map(named), failure: session.failure,
            steps: steps.map {
                StepRow(name: $0.name, status: $0.status.rawValue, seconds: String(format: "%.2f", $0.seconds), message: $0.message)
            },
            metrics: metrics.map { MetricRow(name: $0.name, split: $0.split, value: Format.number($0.value)) },
            gates: Gates(
                checked: gatesStep != nil, held: gatesStep?.status == .passed, of: gatesOf == id ? nil : named(gatesOf),
                rows: gateResults.map { GateRow(detail: $0.detail, outcome: $0.passed ? "passed" : "failed") }),
            dataChecks: try store.dataChecks(session: id).map(Self.dataCheck),
            artifacts: artifacts.map { ArtifactRow(path: $0.path, size: Self.size($0.size), bytes: $0.size, sha256: $0.sha256) },
            artifactsOf: work == id ? nil : named(work),
            charts: try charts(session: session, metrics: metrics, store: store),
            logs: steps.compactMap { step in
                guard let path = step.logPath else { return nil }
                let readable = SessionLog.readable(path, home: catalog.options.home)
                return LogTail(
                    step: step.name, path: path, open: step.status == .failed, text: readable.map { tail(of: $0) } ?? SessionLog.unreadable(path),
                    href: readable == nil ? nil : links?.log(session: session.id, step: step.name))
            })
    }

    /// A recorded data check as the page shows it: every rule from its result (the path and
    /// outcome alone when the result cannot be read).
    static func dataCheck(_ record: DataCheckRecord) -> DataCheckView {
        let outcome = record.passed ? "passed" : "failed"
        guard let report = try? JSONDecoder().decode(DataCheckReport.self, from: Data(record.result.utf8)) else {
            return DataCheckView(dataset: record.dataset, path: record.path, rows: record.rows, outcome: outcome, summary: "", rules: [])
        }
        return DataCheckView(
            dataset: record.dataset, path: record.path, rows: record.rows, outcome: outcome, summary: report.summary,
            rules: report.rules.map { rule in
                DataRuleRow(
                    rule: rule.name, outcome: rule.status.rawValue, measured: rule.measured.map { Format.number($0) }, offending: rule.offendingRows,
                    rows: rule.examples.map { String($0.row) }.joined(separator: ", ") + (rule.offendingRows > rule.examples.count ? ", …" : ""),
                    values: rule.examples.map(\.value).joined(separator: ", "), note: rule.note)
            })
    }

    /// One chart per evaluation metric, releases in version order: the value of the newest
    /// passed session of each release as one line, and this session's own value at its version
    /// as a point of its own (also when it failed: it is what failed).
    static func charts(session: Session, metrics: [Metric], store: any FactoryStore) throws -> [LineChart] {
        var newest: [String: Session] = [:]
        for release in try store.releaseSessions(modelID: session.modelId) {
            guard let version = release.version, newest[version] == nil else { continue }
            newest[version] = release
        }
        if let version = session.version { newest[version] = session }
        let versions = newest.keys.sorted { (Version($0) ?? Version(major: 0)) < (Version($1) ?? Version(major: 0)) }
        let others = newest.values.filter { $0.id != session.id }.map(\.id)
        let measured = Dictionary(grouping: try store.metrics(sessions: others) + metrics, by: \.sessionId)
        func measuredValue(_ name: String, _ version: String) -> Double? {
            measured[newest[version]!.id]?.first { $0.split == "evaluate" && $0.name == name }?.value
        }
        let names = Set((measured.values.joined()).filter { $0.split == "evaluate" && $0.value != nil }.map(\.name)).sorted()
        let failed = session.status == .failed
        return names.compactMap { name in
            var releases = LineChart.Line(name: name, values: [])
            var mine = LineChart.Line(name: failed ? "this session (failed)" : "this session", values: [])
            for (index, version) in versions.enumerated() {
                guard let value = measuredValue(name, version) else { continue }
                let isMine = newest[version]!.id == session.id
                if !isMine || !failed { releases.values.append((Double(index), value, "v\(version): \(Format.number(value))")) }
                if isMine {
                    mine.values.append((Double(index), value, "v\(version): \(Format.number(value)) (this session\(failed ? ", failed" : ""))"))
                }
            }
            let lines = [releases, mine].filter { !$0.values.isEmpty }
            return lines.isEmpty ? nil : LineChart.categories(title: name, labels: versions.map { "v\($0)" }, lines: lines, xLabel: "release")
        }
    }

    /// The last `logLimit` bytes of the log at `path`, saying how much was left out.
    static func tail(of path: String) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return SessionLog.unreadable(path) }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        let start = size > UInt64(logLimit) ? size - UInt64(logLimit) : 0
        try? handle.seek(toOffset: start)
        let data = (try? handle.readToEnd()) ?? Data()
        return (start > 0 ? "… (the first \(start) bytes left out)\n" : "") + String(decoding: data, as: UTF8.self)
    }

    /// A file's size as a person reads it.
    static func size(_ bytes: Int64) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return String(format: "%.1f %@", value, units[unit])
    }
}

/// A session's report as one self-contained HTML file: the dashboard's session page with its
/// stylesheet inlined, no links and no scripts. `mf report` writes it on demand, and the worker
/// after every session it runs (to `reports/SESSION.html` in the home).
///
/// ```swift
/// let reports = SessionReports(store: store, home: home)
/// try reports.write(session: id, to: SessionReports.path(home: home, session: id))
/// ```
public struct SessionReports: Sendable {
    /// The store the sessions are read from.
    public let store: any FactoryStore
    /// The factory's home: only logs under it are shown.
    public let home: URL

    /// The reports of the sessions in `store`, whose home is `home`.
    public init(store: any FactoryStore, home: URL) {
        self.store = store
        self.home = home
    }

    /// Where the worker writes a session's report: `reports/SESSION.html` in the home.
    public static func path(home: URL, session: String) -> URL {
        home.appendingPathComponent("reports/\(session).html")
    }

    /// The report of session `id`, as HTML.
    public func render(session id: String) throws -> String {
        let catalog = try Catalog(store: store, options: Dashboard.Options(home: home, token: nil))
        let page = try SessionPage.build(session: id, catalog: catalog, links: nil)
        return try PageRenderer(base: "", standalone: true).html(page)
    }

    /// Writes the report of session `id` to `file` (atomically) and returns it.
    @discardableResult
    public func write(session id: String, to file: URL) throws -> URL {
        let html = try render(session: id)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: file.path, isDirectory: &isFolder), isFolder.boolValue {
            throw ReportError(path: file.path, reason: "it is a folder; name a file")
        }
        // The nearest folder above that exists must be a folder (a file in the way is named).
        var above = file.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: above.path, isDirectory: &isFolder), above.path != "/" { above.deleteLastPathComponent() }
        if !isFolder.boolValue { throw ReportError(path: file.path, reason: "\(above.path) is a file, not a folder") }
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(html.utf8).write(to: file, options: .atomic)
        } catch {
            throw ReportError(path: file.path, reason: SystemReason.of(error))
        }
        return file
    }
}

/// A session's report could not be written: where, and why.
public struct ReportError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file the report was to be written to.
    public var path: String
    /// Why it could not be (`it is a folder; name a file`).
    public var reason: String
    /// The error as a user reads it: where the report could not be written, and why.
    public var description: String { "cannot write the report to \(path): \(reason)" }
}
