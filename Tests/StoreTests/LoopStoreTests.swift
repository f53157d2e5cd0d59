import Foundation
import Store
import TestSupport
import Testing

/// The production loop in the store: the prediction log, labels joined at read time, and live
/// sessions that no session lookup ever picks.
@Suite(.onTestThreads) struct LoopStoreTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func prediction(_ id: String, version: String = "1.0.0", at seconds: Double, x: Int) -> LoggedPrediction {
        LoggedPrediction(id: id, model: "churn", version: version, time: start.addingTimeInterval(seconds), inputs: #"{"x":\#(x)}"#, outputs: #"{"y":1}"#)
    }

    func label(_ id: String, _ value: String, at seconds: Double) -> FeedbackLabel {
        FeedbackLabel(model: "churn", id: id, label: value, time: start.addingTimeInterval(seconds))
    }

    /// A label joins the newest prediction of its id made at or before its time; a label with no
    /// prediction yet is unknown when received and joins once the prediction is logged; a
    /// prediction labelled twice takes the newest label.
    @Test(arguments: Engine.allCases) func labelsJoinTheNewestPredictionAtOrBeforeTheirTime(engine: Engine) throws {
        let store = try engine.store()
        try store.record(predictions: [
            prediction("a", at: 0, x: 1), prediction("a", version: "1.1.0", at: 10, x: 2), prediction("b", at: 5, x: 3),
            prediction("c", at: 50, x: 4),
        ])
        let counts = try store.record(
            labels: [label("a", "0", at: 7), label("a", "1", at: 20), label("b", #""yes""#, at: 6), label("c", "1", at: 40), label("zz", "1", at: 60)],
            unknownLimit: 1)
        #expect(counts == FeedbackCounts(received: 5, joined: 3, unknown: 2, unknownIDs: ["c"]))
        let old = try store.labelledPredictions(model: "churn", version: "1.0.0")
        #expect(old.map(\.prediction.id) == ["a", "b"] && old.map(\.label) == ["0", #""yes""#])
        #expect(old.first?.prediction.inputs == #"{"x":1}"#)
        let new = try store.labelledPredictions(model: "churn", version: "1.1.0")
        #expect(new.map(\.prediction.id) == ["a"] && new.map(\.label) == ["1"])
        // A later label of the same prediction replaces the earlier one.
        _ = try store.record(labels: [label("a", "0", at: 30)], unknownLimit: 10)
        #expect(try store.labelledPredictions(model: "churn", version: "1.1.0").map(\.label) == ["0"])
        // The prediction of zz arrives after its label (logged late): it joins now.
        try store.record(predictions: [prediction("zz", at: 55, x: 5)])
        #expect(try store.labelledPredictions(model: "churn", version: "1.0.0").map(\.prediction.id) == ["a", "b", "zz"])
        #expect(try store.labelCount(model: "churn") == 6 && store.labelCount(model: "other") == 0)
        #expect(try store.predictions(model: "churn", version: "1.0.0", since: start.addingTimeInterval(5), limit: 10).map(\.id) == ["b", "c", "zz"])
        #expect(try store.predictions(model: "churn", version: nil, since: nil, limit: 2).map(\.id) == ["a", "b"])
    }

    /// A live session is recorded with its link and metrics, listed newest first, and never
    /// picked by a lookup of sessions: first passed, latest, reusable, release, versioned, and
    /// it does not move the ordinal of the next numbered session.
    @Test(arguments: Engine.allCases) func liveSessionsAreListedAndLeftOutOfEveryLookup(engine: Engine) throws {
        let store = try engine.store()
        let model = try store.modelID(repository: "/src/churn", name: "churn")
        var release = Session(
            id: "", modelId: model, commit: "c1", tree: "t1", recipe: "r", ref: "refs/tags/v1.0.0", version: "1.0.0", trigger: .bundle,
            status: .passed, startedAt: start, endedAt: start)
        try store.insertNumbered(&release, model: "churn")
        try store.record([Metric(sessionId: release.id, modelId: model, name: "auc", split: "evaluate", value: 0.9)])
        for (index, auc) in [0.8, 0.7].enumerated() {
            let id = "live-\(index)"
            let live = Session(
                id: id, modelId: model, commit: "c1", tree: "t1", recipe: "r", ref: release.ref, version: "1.0.0", trigger: .live, status: .passed,
                startedAt: start.addingTimeInterval(Double(100 * (index + 1))), endedAt: start.addingTimeInterval(Double(100 * (index + 1))))
            try store.record(
                live: LiveEvaluation(
                    session: live, model: "churn", liveOf: release.id, rows: 10 + index,
                    metrics: [Metric(sessionId: id, modelId: model, name: "auc", split: "live", value: auc)]))
        }
        let listed = try store.liveEvaluations(model: "churn", version: nil, limit: 10)
        #expect(listed.map(\.session.id) == ["live-1", "live-0"] && listed.map(\.rows) == [11, 10] && listed.first?.liveOf == release.id)
        #expect(listed.first?.metrics == [Metric(sessionId: "live-1", modelId: model, name: "auc", split: "live", value: 0.7)])
        #expect(try store.liveEvaluations(model: "churn", version: "2.0.0", limit: 10).isEmpty)
        #expect(try store.firstPassedSession(modelID: model, commit: "c1")?.id == release.id)
        #expect(try store.latestSession(modelID: model, commit: "c1")?.id == release.id)
        #expect(try store.latestSessions(repository: "/src/churn", commit: "c1").map(\.session.id) == [release.id])
        #expect(try store.sessions(repository: "/src/churn", since: start).map(\.session.id) == [release.id])
        #expect(try store.reusableSession(modelID: model, tree: "t1", recipe: "r")?.id == release.id)
        #expect(try store.releaseSessions(modelID: model).map(\.id) == [release.id])
        #expect(try store.versionedSessions(model: "churn", repository: nil).map(\.session.id) == [release.id])
        var next = Session(
            id: "", modelId: model, commit: "c1", tree: "t1", recipe: "r", trigger: .cli, status: .passed, startedAt: start.addingTimeInterval(500))
        try store.insertNumbered(&next, model: "churn")
        #expect(next.id == Session.id(model: "churn", commit: "c1", recipe: "r", ordinal: 1))
    }
}

/// Drift samples and the prediction log's own reads, on every engine.
@Suite(.onTestThreads) struct DriftStoreTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// Samples are read oldest first, by model and version, since a time; the newest `limit`.
    @Test(arguments: Engine.allCases) func driftSamplesAreReadNewestWithinALimit(engine: Engine) throws {
        let store = try engine.store()
        try store.record(drift: [])
        let samples = (0..<5).map { index in
            DriftSample(
                time: start.addingTimeInterval(Double(index) * 60), model: "churn", version: index < 4 ? "1.0.0" : "1.1.0", field: "age",
                psi: index == 0 ? nil : 0.1 * Double(index), missingShare: 0.25, outOfSchemaShare: 0.5, count: 100 + index)
        }
        try store.record(drift: samples)
        #expect(try store.driftSamples(model: "churn", version: nil, since: nil, limit: 10) == samples)
        #expect(try store.driftSamples(model: "churn", version: "1.0.0", since: nil, limit: 2) == Array(samples[2..<4]))
        #expect(try store.driftSamples(model: "churn", version: nil, since: start.addingTimeInterval(120), limit: 10) == Array(samples[2...]))
        #expect(try store.driftSamples(model: "fraud", version: nil, since: nil, limit: 10).isEmpty)
        // Predictions keep their repository (or none) and their text as given.
        let logged = [
            LoggedPrediction(
                id: "p1", model: "churn", version: "1.0.0", repository: "/r", time: start.addingTimeInterval(0.5), inputs: #"{"a":"é"}"#, outputs: "{}"),
            LoggedPrediction(id: "p2", model: "churn", version: "1.0.0", time: start.addingTimeInterval(0.25), inputs: "{}", outputs: #"{"y":[1,2]}"#),
        ]
        try store.record(predictions: logged)
        try store.record(predictions: [])
        #expect(try store.predictions(model: "churn", version: "1.0.0", since: nil, limit: 10) == logged.reversed())
        #expect(try store.predictions(model: "churn", version: "2.0.0", since: nil, limit: 10).isEmpty)
    }
}
