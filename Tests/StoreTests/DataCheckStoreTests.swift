import Foundation
import Store
import TestSupport
import Testing

/// Data checks are kept per session, in order, on both engines.
@Suite(.onTestThreads) struct DataCheckStoreTests {
    @Test(arguments: Engine.allCases) func recordsAndReadsDataChecks(engine: Engine) async throws {
        let store = try engine.store()
        let modelID = try store.modelID(repository: "/r", name: "churn")
        let session = Session(
            id: "s-1", modelId: modelID, commit: "c", tree: "t", recipe: "r", ref: nil, version: nil, trigger: .cli, status: .running,
            startedAt: Date(timeIntervalSince1970: 1000))
        try store.insert(session)
        let first = DataCheckRecord(sessionId: "s-1", position: 0, dataset: "train", path: "data/train.csv", rows: 10, passed: false, result: "{\"a\": 1}")
        var second = first
        second.position = 1
        second.dataset = "evaluate"
        second.passed = true
        try store.record(dataCheck: second)
        try store.record(dataCheck: first)
        #expect(try store.dataChecks(session: "s-1") == [first, second])
        second.rows = 11
        try store.record(dataCheck: second)
        #expect(try store.dataChecks(session: "s-1").map(\.rows) == [10, 11])
        #expect(try store.dataChecks(session: "other").isEmpty)
    }
}
