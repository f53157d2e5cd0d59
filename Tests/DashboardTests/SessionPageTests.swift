import Foundation
import SQLiteStore
import Store
import TestSupport
import Testing

@testable import Dashboard

/// The session's page as `mf report` and the worker write it: one file, no links, the dashboard's
/// template and stylesheet.
@Suite(.onTestThreads) struct SessionPageTests {
    /// What a model or its log says is text on the page, never markup; the chart has a point per
    /// release, this session's a point of its own.
    @Test func escapesEverythingAndChartsTheReleases() throws {
        let home = TemporaryDirectory("report")
        let store = try SQLiteStore.inMemory()
        let session = try ReleaseSessions(store: store)
        try session("s-1", version: "1.0.0", auc: 0.81, at: 1000)
        try session("s-2", version: "1.1.0", auc: 0.84, at: 2000)
        try session("s-3", version: "1.2.0", auc: 0.79, failure: "gates: auc <script>alert(1)</script>", at: 3000)
        try home.write("sessions/s-2/train.log", "training…\n</pre><img src=x onerror=alert(2)>\n")
        try store.record(
            Step(
                id: nil, sessionId: "s-2", name: "train", status: .passed, startedAt: Date(timeIntervalSince1970: 2000), seconds: 1.25,
                logPath: home.appending("sessions/s-2/train.log")))
        try store.record(
            Step(
                id: nil, sessionId: "s-2", name: "gates", status: .passed, startedAt: Date(timeIntervalSince1970: 2002), seconds: 0, message: "auc >= 0.8: 0.84"
            ))
        try store.record(gates: [GateResult(gate: "auc >= 0.8", passed: true, detail: "auc >= 0.8: 0.84")], session: "s-2")
        try store.record([Artifact(sessionId: "s-2", path: "model.bin", size: 2048, sha256: String(repeating: "e", count: 64))])
        let reports = SessionReports(store: store, home: URL(fileURLWithPath: home.path))

        let page = try reports.render(session: "s-2")
        #expect(page.contains("<td>train</td>") && page.contains("1.25") && page.contains("auc &gt;= 0.8: 0.84") && page.contains("All gates held."))
        #expect(page.contains("&lt;/pre&gt;&lt;img src=x onerror=alert(2)&gt;") && !page.contains("<img"))
        #expect(page.contains("<td class=\"mono\">model.bin</td><td class=\"number\" title=\"2048 bytes\">2.0 KiB</td>"), "\(page)")
        // Passed releases only (the failed 1.2.0 is not another session's point), in version order, and this one on its own.
        #expect(page.components(separatedBy: "<circle").count - 1 == 3)
        #expect(page.contains("<title>v1.0.0: 0.81</title>") && page.contains("<title>v1.1.0: 0.84</title>"))
        #expect(page.contains("<title>v1.1.0: 0.84 (this session)</title>"))
        #expect(!page.contains("<script"))
        // One file: the stylesheet inlined, no links anywhere (to the dashboard or elsewhere), no scripts.
        #expect(page.contains("<style>") && page.contains(PageTemplates.stylesheet.prefix(40)))
        let markup = page.replacingOccurrences(of: "&lt;img src=x", with: "")
        for loader in ["href=", "src=", "url(", "@import", "http://", "https://"] { #expect(!markup.contains(loader), "the report has \(loader)") }

        let failed = try reports.render(session: "s-3")
        #expect(failed.contains("gates: auc &lt;script&gt;alert(1)&lt;/script&gt;") && !failed.contains("<script"))
        #expect(throws: DashboardError.notFound("session nope")) { try reports.render(session: "nope") }
    }

    /// The page of a failed release charts its own value beside the releases that passed (it is
    /// what failed), and says of each gate whether it held.
    @Test func aFailedReleaseShowsItsOwnValuesAndWhichGateFailed() throws {
        let home = TemporaryDirectory("report")
        let store = try SQLiteStore.inMemory()
        let reports = SessionReports(store: store, home: URL(fileURLWithPath: home.path))
        let session = try ReleaseSessions(store: store)
        try session("p-1", version: "1.0.0", auc: 0.81, at: 1000)
        try session("p-2", version: "1.1.0", auc: 0.84, at: 2000)
        let failure = "gates: auc >= 0.8: 0.62, which fails; auc within 0.02 of 1.1.0: 0.62 against 0.84, a regression of 0.22"
        try session("f-3", version: "1.2.0", auc: 0.62, failure: failure, at: 3000)
        try store.record(
            Step(
                id: nil, sessionId: "f-3", name: "gates", status: .failed, startedAt: Date(timeIntervalSince1970: 3001), seconds: 0,
                message: "accuracy >= 0.5: 0.7; auc >= 0.8: 0.62, which fails; auc within 0.02 of 1.1.0: 0.62 against 0.84, a regression of 0.22"))
        try store.record(
            gates: [
                GateResult(gate: "accuracy >= 0.5", passed: true, detail: "accuracy >= 0.5: 0.7"),
                GateResult(gate: "auc >= 0.8", passed: false, detail: "auc >= 0.8: 0.62, which fails"),
                GateResult(gate: "auc within 0.02 of 1.1.0", passed: false, detail: "auc within 0.02 of 1.1.0: 0.62 against 0.84, a regression of 0.22"),
            ], session: "f-3")

        let page = try reports.render(session: "f-3")
        // Three points: the two passed releases and this one, marked as failed.
        #expect(page.components(separatedBy: "<circle").count - 1 == 3, "\(page)")
        #expect(page.contains("<title>v1.2.0: 0.62 (this session, failed)</title>"), "\(page)")
        #expect(page.contains("<title>v1.1.0: 0.84</title>"))
        // Each gate with its outcome.
        #expect(page.contains("A gate failed."))
        #expect(page.contains("<tr><td>accuracy &gt;= 0.5: 0.7</td><td class=\"passed\">passed</td></tr>"), "\(page)")
        #expect(page.contains("<tr><td>auc &gt;= 0.8: 0.62, which fails</td><td class=\"failed\">failed</td></tr>"))
        #expect(page.contains("<tr><td>auc within 0.02 of 1.1.0: 0.62 against 0.84, a regression of 0.22</td><td class=\"failed\">failed</td></tr>"))

        // A reused session shows the gates of the session whose work it reused, all held.
        try store.record(
            Step(
                id: nil, sessionId: "p-2", name: "gates", status: .passed, startedAt: Date(timeIntervalSince1970: 2001), seconds: 0,
                message: "auc >= 0.8: 0.84"))
        try store.record(gates: [GateResult(gate: "auc >= 0.8", passed: true, detail: "auc >= 0.8: 0.84")], session: "p-2")
        try store.insert(
            Session(
                id: "r-4", modelId: session.model, commit: String(repeating: "c", count: 40), tree: "t", recipe: "r", ref: "refs/heads/development",
                version: nil, trigger: .reconcile, status: .passed, startedAt: Date(timeIntervalSince1970: 4000), reusedFrom: "p-2"))
        let reused = try reports.render(session: "r-4")
        #expect(reused.contains("All gates held.") && reused.contains("<tr><td>auc &gt;= 0.8: 0.84</td><td class=\"passed\">passed</td></tr>"), "\(reused)")
        #expect(reused.contains("Checked by session <span class=\"mono\">p-2</span>"))
        // It measured nothing itself, and the work it reused made no files.
        #expect(reused.components(separatedBy: "<p class=\"empty\">None recorded.</p>").count - 1 == 2, "\(reused)")
        // A session of no release charts the releases that passed, none of them its own.
        #expect(reused.components(separatedBy: "<circle").count - 1 == 2 && !reused.contains("this session"))
    }

    /// A long log shows its last 64 KiB, saying how much was left out.
    @Test func aLongLogShowsItsEnd() throws {
        let home = TemporaryDirectory("report")
        let store = try SQLiteStore.inMemory()
        try ReleaseSessions(store: store)("l-1", version: "1.0.0", auc: 0.8, at: 1000)
        let lines = (1...10_000).map { "line \($0)\n" }.joined()
        try home.write("sessions/l-1/build.log", lines)
        try store.record(
            Step(
                id: nil, sessionId: "l-1", name: "build", status: .passed, startedAt: Date(timeIntervalSince1970: 1000), seconds: 1,
                logPath: home.appending("sessions/l-1/build.log")))
        let page = try SessionReports(store: store, home: URL(fileURLWithPath: home.path)).render(session: "l-1")
        #expect(page.contains("<details><summary>build"))
        #expect(page.contains("… (the first \(lines.utf8.count - 64 * 1024) bytes left out)") && page.contains("line 10000\n</pre>"))
        #expect(!page.contains("line 1\n") && !page.contains("line 1000\n"))
    }

    /// The file is written where asked; a folder or a file in the way is named in one sentence.
    @Test func writesTheFileAndNamesWhatIsInTheWay() throws {
        let home = TemporaryDirectory("report")
        let store = try SQLiteStore.inMemory()
        try ReleaseSessions(store: store)("w-1", version: "1.0.0", auc: 0.8, at: 1000)
        let reports = SessionReports(store: store, home: URL(fileURLWithPath: home.path))
        let file = SessionReports.path(home: URL(fileURLWithPath: home.path), session: "w-1")
        try reports.write(session: "w-1", to: file)
        #expect(try String(contentsOf: file, encoding: .utf8).contains("<h2>Steps</h2>"))
        #expect(throws: ReportError(path: home.path, reason: "it is a folder; name a file")) {
            try reports.write(session: "w-1", to: URL(fileURLWithPath: home.path))
        }
        #expect(throws: ReportError(path: file.path + "/page.html", reason: "\(file.path) is a file, not a folder")) {
            try reports.write(session: "w-1", to: file.appendingPathComponent("page.html"))
        }
    }
}

/// Records release sessions of one model (`churn`) with their evaluated AUC, for the pages to show.
struct ReleaseSessions {
    let store: SQLiteStore
    let model: Int64

    init(store: SQLiteStore, repository: String = "/r") throws {
        self.store = store
        model = try store.modelID(repository: repository, name: "churn")
    }

    /// A session of release `version` started at `seconds`, failed when `failure` is given.
    func callAsFunction(_ id: String, version: String, auc: Double, failure: String? = nil, at seconds: Double) throws {
        try store.insert(
            Session(
                id: id, modelId: model, commit: String(repeating: "a", count: 40), tree: "t", recipe: "r", ref: "refs/tags/v\(version)",
                version: version, trigger: .reconcile, status: failure == nil ? .passed : .failed, startedAt: Date(timeIntervalSince1970: seconds),
                endedAt: Date(timeIntervalSince1970: seconds + 1), failure: failure))
        try store.record([Metric(sessionId: id, modelId: model, name: "auc", split: "evaluate", value: auc)])
    }
}
