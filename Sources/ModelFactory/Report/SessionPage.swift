public import Foundation
internal import Jinja
public import Store
internal import SystemKit

/// A session as one self-contained HTML page (no scripts, no links out; styles and charts
/// inline): what ran, step by step with timings and logs, the metrics, the gates, and a chart of
/// each evaluation metric across the model's releases.
public struct SessionPage: Sendable {
    /// The store the sessions, their steps, metrics and gates are read from.
    public let store: any FactoryStore
    /// The most of each log the page shows (its end).
    public var logLimit = 64 * 1024

    /// The pages of the sessions in `store`.
    public init(store: any FactoryStore) { self.store = store }

    /// Where the worker writes a session's page: `reports/SESSION.html` beside the store.
    public static func path(home: URL, session: String) -> URL {
        home.appendingPathComponent("reports/\(session).html")
    }

    /// Writes the page of `session` to `file` (atomically) and returns it.
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

    /// The page of session `id`, as HTML.
    public func render(session id: String) throws -> String {
        guard let session = try store.session(id: id) else { throw StoreError.notFound(id) }
        let model = try store.model(id: session.modelId)?.name ?? "model"
        let steps = try store.steps(session: id)
        let metrics = try store.metrics(session: id)
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>\(escape(model)) \(escape(session.version ?? String(session.commit.prefix(8)))) — session \(escape(String(id.prefix(8))))</title>
            <style>
            body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222}
            table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border-bottom:1px solid #ddd;padding:.25em .8em;text-align:left}
            .passed{color:#17702b}.failed{color:#b3261e}.running{color:#8a6d00}
            pre{background:#f6f6f6;padding:.8em;overflow:auto;max-height:30em;font-size:12px}
            svg{background:#fcfcfc;border:1px solid #eee;margin:.3em 1em 1em 0}
            </style></head><body>
            <h1>\(escape(model)) \(escape(session.version.map { "v\($0)" } ?? String(session.commit.prefix(8))))
            <span class="\(session.status.rawValue)">\(session.status.rawValue)</span></h1>
            <table>
            <tr><th>session</th><td>\(escape(session.id))</td></tr>
            <tr><th>commit</th><td>\(escape(session.commit))</td></tr>
            <tr><th>ref</th><td>\(escape(session.ref ?? ""))</td></tr>
            <tr><th>trigger</th><td>\(escape(session.trigger.rawValue))</td></tr>
            <tr><th>started</th><td>\(escape(Self.timestamp(session.startedAt)))</td></tr>
            <tr><th>took</th><td>\(session.endedAt.map { String(format: "%.1f s", $0.timeIntervalSince(session.startedAt)) } ?? "—")</td></tr>
            \(session.reusedFrom.map { "<tr><th>reused</th><td>the work of session \(escape($0))</td></tr>" } ?? "")
            \(session.failure.map { "<tr><th>failure</th><td class=\"failed\">\(escape($0))</td></tr>" } ?? "")
            </table>

            """
        html += "<h2>Steps</h2>\n<table><tr><th>step</th><th>outcome</th><th>seconds</th><th>detail</th></tr>\n"
        for step in steps {
            html += "<tr><td>\(escape(step.name))</td><td class=\"\(step.status.rawValue)\">\(step.status.rawValue)</td>"
            html += "<td>\(String(format: "%.2f", step.seconds))</td><td>\(escape(step.message ?? ""))</td></tr>\n"
        }
        html += "</table>\n"

        html += "<h2>Metrics</h2>\n"
        if metrics.isEmpty {
            html += "<p>None recorded.</p>\n"
        } else {
            html += "<table><tr><th>metric</th><th>split</th><th>value</th></tr>\n"
            for metric in metrics {
                html += "<tr><td>\(escape(metric.name))</td><td>\(escape(metric.split))</td><td>\(metric.value.map { Self.number($0) } ?? "—")</td></tr>\n"
            }
            html += "</table>\n"
        }

        html += "<h2>Gates</h2>\n"
        // A reused session's gates are those of the session whose work it reused; its gates
        // step says they were checked (a model may have none), and when.
        let checked = session.reusedFrom ?? id
        if let step = (checked == id ? steps : try store.steps(session: checked)).last(where: { $0.name == "gates" }) {
            html += "<p class=\"\(step.status.rawValue)\">\(step.status == .passed ? "All gates held." : "A gate failed.")</p>\n"
            html += "<table><tr><th>gate</th><th>outcome</th></tr>\n"
            for gate in try store.gates(session: checked) {
                let outcome = gate.passed ? "passed" : "failed"
                html += "<tr><td>\(escape(gate.detail))</td><td class=\"\(outcome)\">\(outcome)</td></tr>\n"
            }
            html += "</table>\n"
        } else {
            html += "<p>The session ended before its gates were checked.</p>\n"
        }

        html += "<h2>Across releases</h2>\n" + (try charts(session: session, metrics: metrics))

        html += "<h2>Logs</h2>\n"
        let logged = steps.filter { $0.logPath != nil }
        if logged.isEmpty { html += "<p>No logs.</p>\n" }
        for step in logged {
            html +=
                "<details\(step.status == .failed ? " open" : "")><summary>\(escape(step.name)) — \(escape(step.logPath!))</summary>\n<pre>\(escape(tail(of: step.logPath!)))</pre></details>\n"
        }
        return html + "</body></html>\n"
    }

    /// One line chart per evaluation metric: its value in the newest passed session of each
    /// release of the model, in version order, and this session's own values at its version
    /// (marked), also when it failed.
    func charts(session: Session, metrics: [Metric]) throws -> String {
        var newest: [String: Session] = [:]
        for release in try store.releaseSessions(modelID: session.modelId) {
            guard let version = release.version, newest[version] == nil else { continue }
            newest[version] = release
        }
        if let version = session.version { newest[version] = session }
        let versions = newest.keys.sorted { (Version($0) ?? Version(major: 0)) < (Version($1) ?? Version(major: 0)) }
        guard !versions.isEmpty else { return "<p>No release of this model has passed yet.</p>\n" }
        var values: [String: [(String, Double)]] = [:]
        for version in versions {
            let measured = newest[version]!.id == session.id ? metrics : try store.metrics(session: newest[version]!.id)
            for metric in measured where metric.split == "evaluate" {
                if let value = metric.value { values[metric.name, default: []].append((version, value)) }
            }
        }
        let names = Set(metrics.filter { $0.split == "evaluate" }.map(\.name)).union(values.keys).sorted()
        let failed = session.status == .failed
        return names.map { chart($0, points: values[$0] ?? [], marked: session.version, markedFailed: failed) }.joined()
    }

    func chart(_ name: String, points: [(String, Double)], marked: String?, markedFailed: Bool = false) -> String {
        let width = 420.0
        let height = 180.0
        let left = 56.0
        let bottom = 36.0
        let top = 24.0
        let right = 16.0
        guard !points.isEmpty else { return "" }
        let lowest = points.map(\.1).min()!
        let highest = points.map(\.1).max()!
        let span = highest - lowest == 0 ? max(abs(highest), 1) * 0.1 : highest - lowest
        let floor = lowest - span * 0.1
        let ceiling = highest + span * 0.1
        func x(_ index: Int) -> Double {
            points.count == 1 ? left + (width - left - right) / 2 : left + Double(index) * (width - left - right) / Double(points.count - 1)
        }
        func y(_ value: Double) -> Double { top + (ceiling - value) / (ceiling - floor) * (height - top - bottom) }
        var svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(escape(name)) across releases\">\n"
        svg += "<text x=\"8\" y=\"16\" font-size=\"13\" font-weight=\"bold\">\(escape(name))</text>\n"
        for value in [floor, ceiling] {
            svg += "<text x=\"8\" y=\"\(Self.number(y(value) + 4))\" font-size=\"10\" fill=\"#666\">\(Self.number(value))</text>\n"
        }
        let line = points.indices.map { "\(Self.number(x($0))),\(Self.number(y(points[$0].1)))" }.joined(separator: " ")
        svg += "<polyline fill=\"none\" stroke=\"#3366cc\" stroke-width=\"2\" points=\"\(line)\"/>\n"
        for (index, point) in points.enumerated() {
            let mine = point.0 == marked
            let note = mine && markedFailed ? " (this session, failed)" : ""
            svg +=
                "<circle cx=\"\(Self.number(x(index)))\" cy=\"\(Self.number(y(point.1)))\" r=\"\(mine ? 5 : 3)\" fill=\"\(mine ? (markedFailed ? "#b3261e" : "#d9480f") : "#3366cc")\"><title>v\(escape(point.0)): \(Self.number(point.1))\(note)</title></circle>\n"
            svg += "<text x=\"\(Self.number(x(index)))\" y=\"\(Int(height - 12))\" font-size=\"10\" text-anchor=\"middle\">v\(escape(point.0))</text>\n"
        }
        return svg + "</svg>\n"
    }

    func tail(of path: String) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "(the log \(path) is gone)" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        let start = size > UInt64(logLimit) ? size - UInt64(logLimit) : 0
        try? handle.seek(toOffset: start)
        let data = (try? handle.readToEnd()) ?? Data()
        return (start > 0 ? "… (the first \(start) bytes left out)\n" : "") + String(decoding: data, as: UTF8.self)
    }

    func escape(_ text: String) -> String { htmlEscaped(text) }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.4g", value)
    }

    static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}

/// A session's page could not be written: where, and why.
public struct ReportError: Error, CustomStringConvertible, Sendable {
    /// The file the page was to be written to.
    public var path: String
    /// Why it could not be (`it is a folder; name a file`).
    public var reason: String
    /// The error as a user reads it: where the report could not be written, and why.
    public var description: String { "cannot write the report to \(path): \(reason)" }
}
