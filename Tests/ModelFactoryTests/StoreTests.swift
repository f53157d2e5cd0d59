import Foundation
import SQLiteStore
import Store
import TestSupport
import Testing

@testable import ModelFactory

@Suite(.onTestThreads) struct StoreTests {
    /// Two repositories in one home: /r/one with churn, /r/two with upsell, each with 1.0.0 and 1.1.0.
    func twoRepositories() throws -> any FactoryStore {
        let store = try SQLiteStore.inMemory()
        var seconds = 1000.0
        for (repository, model) in [("/r/one", "churn"), ("/r/two", "upsell")] {
            let id = try store.modelID(repository: repository, name: model)
            for version in ["1.0.0", "1.1.0"] {
                seconds += 10
                try store.insert(
                    Session(
                        id: "\(model)-\(version)", modelId: id, commit: String(repeating: "a", count: 40), tree: "t", recipe: "r",
                        ref: "refs/tags/\(model)@v\(version)", version: version, trigger: .cli, status: .passed,
                        startedAt: Date(timeIntervalSince1970: seconds)))
            }
        }
        return store
    }

    @Test func sessionsOfOneRepository() throws {
        let store = try twoRepositories()
        #expect(try store.sessions().count == 4)
        #expect(try store.sessions(repository: "/r/one").map(\.session.id) == ["churn-1.1.0", "churn-1.0.0"])
        #expect(try store.sessions(model: "upsell", repository: "/r/one").isEmpty)
        #expect(try store.sessions(repository: "/r/none").isEmpty)
    }

    /// A version two repositories released is ambiguous in the whole home, not in one repository;
    /// the models it could mean are named as tags name them.
    @Test func aRepositoryNarrowsAVersion() throws {
        let store = try twoRepositories()
        #expect(throws: StoreError.ambiguous("1.0.0", ["churn@1.0.0", "upsell@1.0.0"])) { try store.findSession("1.0.0") }
        #expect(try store.findSession("1.0.0", repository: "/r/one").session.id == "churn-1.0.0")
        #expect(try store.findSession("v1.1.0", repository: "/r/two").session.id == "upsell-1.1.0")
        #expect(throws: StoreError.notFound("1.0.0")) { try store.findSession("1.0.0", repository: "/r/none") }
    }

    /// `churn@v1.0.0` names a model's version as a tag of a repository of several models does.
    @Test(arguments: ["churn@v1.0.0", "churn@1.0.0", "churn@1.0"])
    func aTagNamesTheModel(_ name: String) throws {
        let store = try twoRepositories()
        let found = try store.findSession(name)
        #expect(found.session.id == "churn-1.0.0" && found.model == "churn")
    }

    @Test func aTagAndAnotherModelDisagree() throws {
        let store = try twoRepositories()
        #expect(throws: StoreError.otherModel("churn@v1.0.0", "upsell")) { try store.findSession("churn@v1.0.0", model: "upsell") }
        #expect(try store.findSession("churn@v1.0.0", model: "churn").session.id == "churn-1.0.0")
        #expect(throws: StoreError.notFound("nope@v1.0.0")) { try store.findSession("nope@v1.0.0") }
        #expect(throws: StoreError.notFound("churn@v1.0.0")) { try store.findSession("churn@v1.0.0", repository: "/r/two") }
    }
}
