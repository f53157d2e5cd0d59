import Foundation
import SQLiteStore
import Store
import Testing

@testable import ModelFactory

@Suite struct SessionPageTests {
    /// What a model or its log says is text on the page, never markup; the chart has a point per
    /// release, this session's marked.
    @Test func escapesEverythingAndChartsTheReleases() throws {
        let store = try SQLiteStore.inMemory()
        let session = try ReleaseSessions(store: store)
        try session("s-1", version: "1.0.0", auc: 0.81, at: 1000)
        try session("s-2", version: "1.1.0", auc: 0.84, at: 2000)
        try session("s-3", version: "1.2.0", auc: 0.79, failure: "gates: auc <script>alert(1)</script>", at: 3000)
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("mf-page-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        try Data("training…\n</pre><img src=x onerror=alert(2)>\n".utf8).write(to: log)
        try store.record(
            Step(id: nil, sessionId: "s-2", name: "train", status: .passed, startedAt: Date(timeIntervalSince1970: 2000), seconds: 1.25, logPath: log.path))
        try store.record(
            Step(
                id: nil, sessionId: "s-2", name: "gates", status: .passed, startedAt: Date(timeIntervalSince1970: 2002), seconds: 0, message: "auc >= 0.8: 0.84"
            ))
        try store.record(gates: [GateResult(gate: "auc >= 0.8", passed: true, detail: "auc >= 0.8: 0.84")], session: "s-2")

        let page = try SessionPage(store: store).render(session: "s-2")
        #expect(page.contains("<td>train</td>") && page.contains("1.25") && page.contains("auc &gt;= 0.8: 0.84") && page.contains("All gates held."))
        #expect(page.contains("&lt;/pre&gt;&lt;img src=x onerror=alert(2)&gt;") && !page.contains("<img"))
        // Passed releases only (the failed 1.2.0 is not another session's point), in version order, this one marked.
        #expect(page.components(separatedBy: "<circle").count - 1 == 2)
        #expect(page.contains("r=\"5\" fill=\"#d9480f\"><title>v1.1.0: 0.84</title>"))
        #expect(!page.contains("<script"))

        let failed = try SessionPage(store: store).render(session: "s-3")
        #expect(failed.contains("gates: auc &lt;script&gt;alert(1)&lt;/script&gt;") && !failed.contains("<script"))
        #expect(throws: StoreError.notFound("nope")) { try SessionPage(store: store).render(session: "nope") }
    }

    /// The page of a failed release charts its own values beside the releases that passed (it is
    /// what failed), and says of each gate whether it held.
    @Test func aFailedReleaseShowsItsOwnValuesAndWhichGateFailed() throws {
        let store = try SQLiteStore.inMemory()
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

        let page = try SessionPage(store: store).render(session: "f-3")
        // Three points: the two passed releases and this one, marked as failed.
        #expect(page.components(separatedBy: "<circle").count - 1 == 3, "\(page)")
        #expect(page.contains("fill=\"#b3261e\"><title>v1.2.0: 0.62 (this session, failed)</title>"), "\(page)")
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
        let reused = try SessionPage(store: store).render(session: "r-4")
        #expect(reused.contains("All gates held.") && reused.contains("<tr><td>auc &gt;= 0.8: 0.84</td><td class=\"passed\">passed</td></tr>"), "\(reused)")
        // A session of no release charts the releases that passed, none of them marked.
        #expect(reused.components(separatedBy: "<circle").count - 1 == 2 && !reused.contains("r=\"5\""))
    }
}

/// Records release sessions of one model (`churn`) with their evaluated AUC, for the pages to show.
struct ReleaseSessions {
    let store: SQLiteStore
    let model: Int64

    init(store: SQLiteStore) throws {
        self.store = store
        model = try store.modelID(repository: "/r", name: "churn")
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
