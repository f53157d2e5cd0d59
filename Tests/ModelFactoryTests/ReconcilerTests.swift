import Foundation
import GitKit
import SQLiteStore
import Store
import TestSupport
import Testing

@testable import ModelFactory

/// A repository of two models, `models/churn` and `models/upsell` (the threshold model), each
/// with its own gate.
struct TwoModels {
    let folder = TemporaryDirectory("two-models")
    let repository: Repository
    let author = Signature(name: "T", email: "t@example.com")

    init() throws { repository = try Repository.create(at: folder.appending("repo")) }

    func files(churnGate: String, upsellNote: String = "") throws -> [FileEntry] {
        var files: [FileEntry] = []
        for (name, gate) in [("churn", churnGate), ("upsell", ">= 0.9")] {
            files += [
                FileEntry(
                    path: "models/\(name)/model.yaml",
                    text:
                        thresholdYAML
                        .replacingOccurrences(of: "name: threshold", with: "name: \(name)")
                        .replacingOccurrences(of: #"auc: ">= 0.9""#, with: #"auc: "\#(gate)""#)),
                FileEntry(path: "models/\(name)/model.py", text: thresholdModel),
                FileEntry(path: "models/\(name)/mf_runner.py", contents: try Data(contentsOf: pythonRunner)),
                FileEntry(path: "models/\(name)/data/train.csv", text: "x,y\n1,0\n2,0\n3,1\n4,1\n"),
                FileEntry(path: "models/\(name)/data/test.csv", text: "x,y\n1.5,0\n3.5,1\n2.6,1\n"),
            ]
        }
        if !upsellNote.isEmpty { files.append(FileEntry(path: "models/upsell/NOTES", text: upsellNote)) }
        return files
    }

    @discardableResult
    func commit(_ files: [FileEntry], parents: [ObjectID], on branch: String) throws -> ObjectID {
        try repository.commit(files: files, parents: parents, message: "commit", author: author, updating: "refs/heads/" + branch)
    }
}

@Suite(.onTestThreads) struct ReconcilerTests {
    /// churn fails its gates from the second commit on; upsell never does. Every model is
    /// reconciled on its own: upsell gets its release and staging bundles and its environments,
    /// churn's failure is reported for churn alone, and `environments` gives churn's own reason.
    @Test func oneModelsFailureHoldsUpNoOther() async throws {
        let models = try TwoModels()
        let repository = models.repository
        let factory = try Factory()
        let reconciler = Reconciler(pipeline: factory.pipeline)
        let first = try models.commit(try models.files(churnGate: ">= 0.9"), parents: [], on: "master")
        try repository.createTag("v1.0.0", at: first)
        let failing = try models.commit(try models.files(churnGate: ">= 1.5"), parents: [first], on: "master")
        try repository.createBranch("development", at: failing)
        // A plain tag in a repository of several models releases each of them.
        try repository.createTag("v1.1.0", at: failing)

        let report = try await reconciler.reconcile(repository)
        let actions = report.actions.map { "\($0.kind) \($0.target) \($0.model ?? "-") \($0.outcome)" }
        #expect(actions.contains("bundle v1.0.0 churn done") && actions.contains("bundle v1.0.0 upsell done"), "\(actions)")
        #expect(actions.contains("bundle v1.1.0 upsell done") && actions.contains("bundle v1.1.0 churn failed"), "\(actions)")
        #expect(actions.contains("bundle development upsell done") && actions.contains("bundle development churn failed"), "\(actions)")
        let environments = Dictionary(uniqueKeysWithValues: report.environments.map { ("\($0.model) \($0.name)", $0.version) })
        #expect(
            environments == [
                "churn production": "1.0.0", "upsell production": "1.1.0", "upsell staging": "1.2.0-dev.g\(failing.short)",
            ], "\(environments)")
        // Each move is an event of the audit trail, caused by the reconcile's trigger.
        let events = try factory.store.events(repository: repository.location, environment: "production", model: nil, before: nil, limit: 10)
        #expect(
            events.map { "\($0.kind) \($0.model) \($0.fromVersion ?? "none") -> \($0.toVersion ?? "none") \($0.cause)" }.sorted() == [
                "environment churn none -> 1.0.0 reconcile", "environment upsell none -> 1.1.0 reconcile",
            ])
        #expect(events.first?.reason.hasPrefix("production wants") == true, "\(events)")

        // What status says: each model's own reason, never "run mf reconcile" (which would not help).
        let flow = try Flow.read(repository, checkingRules: false)
        let statuses = try Reconciler.environments(flow: flow, repository: repository, store: factory.store)
        let byName = Dictionary(uniqueKeysWithValues: statuses.map { ("\($0.model ?? "-") \($0.name)", $0) })
        #expect(byName.keys.sorted() == ["churn production", "churn staging", "upsell production", "upsell staging"])
        #expect(byName["upsell production"]?.reason == nil && byName["upsell staging"]?.reason == nil)
        let production = try #require(byName["churn production"])
        #expect(production.desired == "1.1.0" && production.current == "1.0.0")
        #expect(production.reason?.hasPrefix("churn at v1.1.0 has no bundle: its session") == true, "\(production)")
        #expect(production.reason?.contains("gates: auc >= 1.5") == true, "\(production)")
        let staging = try #require(byName["churn staging"])
        #expect(
            staging.current == nil && staging.reason?.hasPrefix("churn on development at \(failing.short) has no bundle: its session") == true, "\(staging)")

        // A second run trains nothing again: it only says again what failed.
        let sessions = try factory.store.sessions().count
        let again = try await reconciler.reconcile(repository)
        #expect(again.actions.allSatisfy { $0.outcome == "failed" && $0.model == "churn" }, "\(again.actions)")
        #expect(again.actions.map(\.target).sorted() == ["development", "v1.1.0"])
        #expect(try factory.store.sessions().count == sessions)

        // A commit that touches only models/upsell: upsell's staging moves, churn fails again on its own.
        let upsellOnly = try models.commit(try models.files(churnGate: ">= 1.5", upsellNote: "more\n"), parents: [failing], on: "development")
        let third = try await reconciler.reconcile(repository)
        let thirdActions = third.actions.map { "\($0.kind) \($0.target) \($0.model ?? "-") \($0.outcome)" }
        #expect(thirdActions.contains("bundle development upsell done") && thirdActions.contains("environment staging upsell done"), "\(thirdActions)")
        #expect(thirdActions.contains("bundle development churn failed"), "\(thirdActions)")
        #expect(third.environments.first { $0.model == "upsell" && $0.name == "staging" }?.version == "1.2.0-dev.g\(upsellOnly.short)")
    }

    /// A feature head's models are built each on its own; one whose session failed is reported on
    /// every later run, with how to run it again, and is not trained again.
    @Test func aFailedFeatureHeadIsReportedAgain() async throws {
        let models = try TwoModels()
        let factory = try Factory()
        let reconciler = Reconciler(pipeline: factory.pipeline)
        let base = try models.commit(try models.files(churnGate: ">= 0.9"), parents: [], on: "master")
        try models.repository.createBranch("development", at: base)
        try models.commit(try models.files(churnGate: ">= 1.5"), parents: [base], on: "feature/stricter")

        let first = try await reconciler.reconcile(models.repository)
        let sessions = first.actions.filter { $0.kind == "session" }
        #expect(sessions.map { "\($0.model ?? "-") \($0.outcome)" }.sorted() == ["churn failed", "upsell passed"], "\(first.actions)")
        #expect(sessions.allSatisfy { $0.ref == "refs/heads/feature/stricter" })
        let count = try factory.store.sessions().count

        let second = try await reconciler.reconcile(models.repository)
        let again = try #require(second.actions.first { $0.kind == "session" })
        #expect(second.actions.filter { $0.kind == "session" }.count == 1)
        #expect(again.target == "feature/stricter" && again.outcome == "failed" && again.model == "churn")
        #expect(again.detail.contains("gates: auc >= 1.5") && again.detail.contains("`mf build --force feature/stricter` runs it again"), "\(again.detail)")
        #expect(try factory.store.sessions().count == count)

        // Every session records the ref it was built for, never the commit id it was built by.
        let refs = Set(try factory.store.sessions().compactMap(\.session.ref))
        #expect(refs == ["refs/heads/feature/stricter", "refs/heads/development"], "\(refs)")
    }
}
