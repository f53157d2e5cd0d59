import Foundation
@testable import ModelFactory
import Testing

@Suite struct SessionPageTests {
    /// What a model or its log says is text on the page, never markup; the chart has a point per
    /// release, this session's marked.
    @Test func escapesEverythingAndChartsTheReleases() throws {
        let store = try Store.inMemory()
        let model = try store.modelID(repository: "/r", name: "churn")
        func session(_ id: String, version: String, auc: Double, failure: String? = nil, at seconds: Double) throws {
            try store.insert(Session(
                id: id, modelId: model, commit: String(repeating: "a", count: 40), tree: "t", recipe: "r", ref: "refs/tags/v\(version)",
                version: version, trigger: "hook", status: failure == nil ? .passed : .failed, startedAt: Date(timeIntervalSince1970: seconds),
                endedAt: Date(timeIntervalSince1970: seconds + 3), failure: failure))
            try store.record([Metric(sessionId: id, modelId: model, name: "auc", split: "evaluate", value: auc)])
        }
        try session("s-1", version: "1.0.0", auc: 0.81, at: 1000)
        try session("s-2", version: "1.1.0", auc: 0.84, at: 2000)
        try session("s-3", version: "1.2.0", auc: 0.79, failure: "gates: auc <script>alert(1)</script>", at: 3000)
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("mf-page-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        try Data("training…\n</pre><img src=x onerror=alert(2)>\n".utf8).write(to: log)
        try store.record(Step(id: nil, sessionId: "s-2", name: "train", status: .passed, startedAt: Date(timeIntervalSince1970: 2000), seconds: 1.25, logPath: log.path))
        try store.record(Step(id: nil, sessionId: "s-2", name: "gates", status: .passed, startedAt: Date(timeIntervalSince1970: 2002), seconds: 0, message: "auc >= 0.8: 0.84"))

        let page = try SessionPage(store: store).render(session: "s-2")
        #expect(page.contains("<td>train</td>") && page.contains("1.25") && page.contains("auc &gt;= 0.8: 0.84") && page.contains("All gates held."))
        #expect(page.contains("&lt;/pre&gt;&lt;img src=x onerror=alert(2)&gt;") && !page.contains("<img"))
        // Passed releases only, in version order, this one marked.
        #expect(page.components(separatedBy: "<circle").count - 1 == 2)
        #expect(page.contains("r=\"5\" fill=\"#d9480f\"><title>v1.1.0: 0.84</title>"))
        #expect(!page.contains("<script"))

        let failed = try SessionPage(store: store).render(session: "s-3")
        #expect(failed.contains("gates: auc &lt;script&gt;alert(1)&lt;/script&gt;") && !failed.contains("<script"))
        #expect(throws: StoreError.notFound("nope")) { try SessionPage(store: store).render(session: "nope") }
    }
}
