import Foundation
import Store
import TestSupport
import Testing

/// Models, sessions and what they did, on every engine.
@Suite(.onTestThreads) struct SessionStoreTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func session(_ id: String, model: Int64, commit: String = "c1", tree: String = "t1", version: String? = nil, at seconds: Double = 0) -> Session {
        Session(
            id: id, modelId: model, commit: commit, tree: tree, recipe: "r", ref: version.map { "refs/tags/v\($0)" }, version: version, trigger: .hook,
            status: .running, startedAt: start.addingTimeInterval(seconds))
    }

    /// Gates are rows, in the order checked; recording them again replaces them; they follow a
    /// session that a stopped run left behind to its new id.
    @Test(arguments: Engine.allCases) func gatesAreRowsInOrder(engine: Engine) throws {
        let store = try engine.store()
        let model = try store.modelID(repository: "/r", name: "churn")
        try store.insert(
            Session(
                id: "s-1", modelId: model, commit: "c", tree: "t", recipe: "r", trigger: .hook, status: .running, startedAt: start))
        let gates = [
            GateResult(gate: "auc >= 0.8", passed: true, detail: "auc >= 0.8: 0.9", metric: "auc", value: 0.9, limit: 0.8),
            GateResult(gate: "accuracy >= 0.7", passed: false, detail: "accuracy >= 0.7: the model reported no accuracy", metric: "accuracy", limit: 0.7),
            GateResult(gate: "reuse", passed: true, detail: "gates held in session s-0"),
        ]
        try store.record(gates: gates, session: "s-1")
        #expect(try store.gates(session: "s-1") == gates && store.gates(session: "other").isEmpty)
        try store.record(gates: Array(gates.reversed()), session: "s-1")
        #expect(try store.gates(session: "s-1") == gates.reversed())
        let moved = try store.interruptStaleSessions(repository: "/r", triggers: Trigger.reconciling)
        #expect(moved.count == 1 && moved[0].old == "s-1")
        #expect(try store.gates(session: moved[0].new) == gates.reversed() && store.gates(session: "s-1").isEmpty)
    }

    /// Models are made once per repository and name, listed by repository and name.
    @Test(arguments: Engine.allCases) func modelsAreMadeOnceAndListed(engine: Engine) throws {
        let store = try engine.store()
        let churn = try store.modelID(repository: "/src/b", name: "churn")
        #expect(try store.modelID(repository: "/src/b", name: "churn") == churn)
        let fraud = try store.modelID(repository: "/src/a", name: "fraud")
        let other = try store.modelID(repository: "/src/b", name: "Alpha")
        #expect(Set([churn, fraud, other]).count == 3)
        let model = try #require(try store.model(id: churn))
        #expect(try model.id == churn && model.name == "churn" && store.model(id: 999_999) == nil)
        let models = try store.models()
        #expect(models.map(\.repository) == ["/src/a", "/src/b", "/src/b"] && models.map(\.name) == ["fraud", "Alpha", "churn"])
        #expect(models[1].repositoryId == model.repositoryId)
    }

    /// Numbered sessions get the id of their ordinal; an interrupted one does not count, and
    /// moves to a new id with its children; lookups find the right ones.
    @Test(arguments: Engine.allCases) func sessionsAreNumberedLookedUpAndInterrupted(engine: Engine) throws {
        let store = try engine.store()
        let model = try store.modelID(repository: "/r", name: "churn")
        var first = session("", model: model, version: "1.0.0")
        try store.insertNumbered(&first, model: "churn")
        #expect(first.id == Session.id(model: "churn", commit: "c1", recipe: "r", ordinal: 0))
        try store.record(
            Step(id: nil, sessionId: first.id, name: "train", status: .passed, startedAt: start, seconds: 1.5, logPath: "/logs/\(first.id)/train.log"))
        try store.record(Step(id: nil, sessionId: first.id, name: "evaluate", status: .running, startedAt: start.addingTimeInterval(2), seconds: 0))
        try store.record([Metric(sessionId: first.id, modelId: model, name: "auc", split: "evaluate", value: 0.8)])
        try store.record([Artifact(sessionId: first.id, path: "model.bin", size: 10, sha256: "ab")])
        let moved = try store.interruptStaleSessions(repository: "/r", triggers: Trigger.reconciling)
        #expect(moved.map(\.old) == [first.id])
        let interrupted = try #require(try store.session(id: moved[0].new))
        #expect(try interrupted.wasInterrupted && interrupted.endedAt != nil && store.session(id: first.id) == nil)
        #expect(try store.steps(session: moved[0].new).map(\.name) == ["train", "evaluate"])
        #expect(try store.steps(session: moved[0].new).first?.logPath == "/logs/\(moved[0].new)/train.log")
        #expect(try store.metrics(session: moved[0].new).map(\.value) == [0.8] && store.artifacts(session: moved[0].new).count == 1)
        #expect(try store.interruptStaleSessions(repository: "/r", triggers: Trigger.reconciling).isEmpty)
        // The run that does the work again gets the first id again.
        var again = session("", model: model, version: "1.0.0", at: 10)
        try store.insertNumbered(&again, model: "churn")
        #expect(again.id == first.id)
        again.status = .passed
        again.endedAt = start.addingTimeInterval(20)
        try store.update(again)
        #expect(try store.session(id: again.id) == again)
        var second = session("", model: model, at: 30)
        try store.insertNumbered(&second, model: "churn")
        #expect(second.id == Session.id(model: "churn", commit: "c1", recipe: "r", ordinal: 1))
        // A session of the cli trigger is not a reconcile's: left running.
        var cli = session("cli-1", model: model, commit: "c2", tree: "t2", at: 40)
        cli.trigger = .cli
        try store.insert(cli)
        let movedSecond = try store.interruptStaleSessions(repository: "/r", triggers: Trigger.reconciling)
        #expect(movedSecond.map(\.old) == [second.id])
        #expect(try store.firstPassedSession(modelID: model, commit: "c1")?.id == again.id)
        #expect(try store.latestSession(modelID: model, commit: "c1")?.wasInterrupted == true)
        #expect(try store.latestSessions(repository: "/r", commit: "c2").map(\.session.id) == ["cli-1"])
        #expect(try store.sessions(repository: "/r", since: start.addingTimeInterval(10)).map(\.session.id).first == again.id)
        #expect(try store.sessions(model: "churn", repository: "/r", limit: 2).map(\.session.id) == ["cli-1", movedSecond[0].new])
        #expect(try store.sessions(model: "other").isEmpty && store.sessions(repository: "/elsewhere").isEmpty)
        let prefix = String(again.id.prefix(6))
        #expect(try store.sessions(idPrefix: prefix, model: nil, repository: nil).map(\.session.id).contains(again.id))
        #expect(try store.sessions(idPrefix: "zz_%", model: nil, repository: nil).isEmpty)
        #expect(try store.versionedSessions(model: "churn", repository: nil).map(\.session.id).contains(again.id))
        #expect(try store.reusableSession(modelID: model, tree: "t1", recipe: "r")?.id == again.id)
        #expect(try store.releaseSessions(modelID: model).map(\.id) == [again.id])
        #expect(throws: StoreError.self) { try store.update(session("missing", model: model)) }
    }

    /// Steps keep their order; metrics are replaced by name and split and read for many
    /// sessions at once; artifacts are replaced by path.
    @Test(arguments: Engine.allCases) func stepsMetricsAndArtifactsAreRecorded(engine: Engine) throws {
        let store = try engine.store()
        let model = try store.modelID(repository: "/r", name: "churn")
        try store.insert(session("s1", model: model))
        try store.insert(session("s2", model: model, at: 1))
        for (index, name) in ["prepare", "train", "evaluate"].enumerated() {
            try store.record(
                Step(id: nil, sessionId: "s1", name: name, status: .passed, startedAt: start.addingTimeInterval(Double(index)), seconds: 0.25, message: "ok"))
        }
        let steps = try store.steps(session: "s1")
        #expect(steps.map(\.name) == ["prepare", "train", "evaluate"] && steps.allSatisfy { $0.id != nil && $0.seconds == 0.25 && $0.message == "ok" })
        #expect(steps[1].startedAt == start.addingTimeInterval(1))
        try store.record([
            Metric(sessionId: "s1", modelId: model, name: "auc", split: "evaluate", value: 0.7),
            Metric(sessionId: "s1", modelId: model, name: "loss", split: "train", value: nil),
            Metric(sessionId: "s1", modelId: model, name: "accuracy", split: "evaluate", value: 0.6),
        ])
        try store.record([Metric(sessionId: "s1", modelId: model, name: "auc", split: "evaluate", value: 0.75)])
        try store.record([Metric(sessionId: "s2", modelId: model, name: "auc", split: "evaluate", value: 0.9)])
        #expect(try store.metrics(session: "s1").map(\.name) == ["accuracy", "auc", "loss"])
        #expect(try store.metrics(session: "s1").map(\.value) == [0.6, 0.75, nil])
        #expect(try store.metrics(sessions: ["s2", "s1"]).map(\.sessionId) == ["s1", "s1", "s1", "s2"] && store.metrics(sessions: []).isEmpty)
        try store.record([Artifact(sessionId: "s1", path: "b.bin", size: 2, sha256: "x"), Artifact(sessionId: "s1", path: "a.bin", size: 1, sha256: "y")])
        try store.record([Artifact(sessionId: "s1", path: "b.bin", size: 3, sha256: "z")])
        #expect(
            try store.artifacts(session: "s1") == [
                Artifact(sessionId: "s1", path: "a.bin", size: 1, sha256: "y"), Artifact(sessionId: "s1", path: "b.bin", size: 3, sha256: "z"),
            ])
        #expect(try store.artifacts(session: "s2").isEmpty && store.steps(session: "s2").isEmpty)
    }

    /// A bundle is recorded once per model and version; bundles are listed by model and age, by
    /// repository since a date; environments are replaced by repository, model and name.
    @Test(arguments: Engine.allCases) func bundlesAndEnvironmentsAreRecorded(engine: Engine) throws {
        let store = try engine.store()
        let churn = try store.modelID(repository: "/r", name: "churn")
        let fraud = try store.modelID(repository: "/other", name: "fraud")
        func bundle(_ model: Int64, _ version: String, tag: String?, at seconds: Double) -> BundleRecord {
            BundleRecord(
                modelId: model, version: version, tag: tag, ref: tag.map { "refs/tags/\($0)" } ?? "refs/heads/development", commit: "c", sessionId: "s",
                path: "/b/\(version)", archive: "/b/\(version).tar.gz", sha256: "sha-\(version)", createdAt: start.addingTimeInterval(seconds))
        }
        try store.record(bundle(churn, "1.1.0", tag: "v1.1.0", at: 10))
        try store.record(bundle(churn, "1.0.0", tag: "v1.0.0", at: 0))
        try store.record(bundle(fraud, "0.1.0-dev.1", tag: nil, at: 5))
        var again = bundle(churn, "1.0.0", tag: "v1.0.0", at: 50)
        again.sha256 = "changed"
        try store.record(again)
        #expect(try store.bundle(modelID: churn, version: "1.0.0") == bundle(churn, "1.0.0", tag: "v1.0.0", at: 0))
        #expect(try store.bundle(modelID: churn, version: "9.9.9") == nil)
        #expect(try store.bundles().map(\.bundle.version) == ["1.0.0", "1.1.0", "0.1.0-dev.1"] && store.bundles().map(\.model) == ["churn", "churn", "fraud"])
        #expect(try store.bundles().last?.bundle.tag == nil)
        #expect(try store.bundles(repository: "/r", since: start.addingTimeInterval(1)).map(\.bundle.version) == ["1.1.0"])
        let production = EnvironmentRecord(
            repository: "/r", model: "churn", name: "production", version: "1.0.0", tag: "v1.0.0", commit: "c", bundle: "/b/1.0.0", updatedAt: start)
        var staging = production
        staging.name = "staging"
        staging.tag = nil
        try store.record(production)
        try store.record(staging)
        var promoted = production
        promoted.version = "1.1.0"
        promoted.updatedAt = start.addingTimeInterval(60)
        try store.record(promoted)
        #expect(try store.environments(repository: "/r") == [promoted, staging] && store.environments(repository: "/other").isEmpty)
    }
}
