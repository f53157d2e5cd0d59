import Foundation
import GitKit
import ModelFactory
import SQLiteStore
import Store
import TestSupport
import Testing

@Suite(.onTestThreads) struct RepositoryIdentityTests {
    @Test(arguments: [
        ("https://deploy:s3cret@github.com/team/churn.git", "https://github.com/team/churn.git"),
        ("https://ghp_token@github.com/team/churn.git/", "https://github.com/team/churn.git"),
        ("ssh://git:pass@git.example.com:2222/team/churn.git", "ssh://git@git.example.com:2222/team/churn.git"),
        ("ssh://git@git.example.com/team/churn.git", "ssh://git@git.example.com/team/churn.git"),
        ("git@github.com:team/churn.git", "git@github.com:team/churn.git"),
        ("deploy:s3cret@github.com:team/churn.git", "deploy@github.com:team/churn.git"),
        ("/srv/git/churn.git", "/srv/git/churn.git"),
        ("file:///srv/git/churn.git", "file:///srv/git/churn.git"),
    ])
    func credentialsNeverStay(url: String, identity: String) {
        #expect(RepositoryIdentity.withoutCredentials(url) == identity)
    }

    @Test func theOriginURLWithoutCredentialsElseTheLocation() throws {
        let fixture = try GitFixture("identity")
        try fixture.commit("initial")
        #expect(try RepositoryIdentity(Repository.open(at: fixture.path)).name == Repository.open(at: fixture.path).location)
        try fixture.git(["remote", "add", "origin", "https://deploy:s3cret@forge.example/team/churn.git"])
        let identity = try RepositoryIdentity(Repository.open(at: fixture.path))
        #expect(identity.name == "https://forge.example/team/churn.git")
        #expect(identity.shortName == "churn" && identity.mirrorName == "forge.example/team/churn.git" && identity.localPath == nil)
        // A file:// origin is the folder it names.
        try fixture.git(["remote", "set-url", "origin", "file:///srv/git/churn.git"])
        #expect(try RepositoryIdentity(Repository.open(at: fixture.path)).name == "/srv/git/churn.git")
    }

    @Test func shortNamesAndLocalPaths() {
        #expect(RepositoryIdentity(name: "/src/churn/.git").shortName == "churn")
        #expect(RepositoryIdentity(name: "git@github.com:team/fraud.git").shortName == "fraud")
        #expect(RepositoryIdentity(name: "git@github.com:team/fraud.git").mirrorName == "github.com/team/fraud.git")
        #expect(RepositoryIdentity(name: "file:///srv/git/churn.git").localPath == "/srv/git/churn.git")
        #expect(RepositoryIdentity(name: "/srv/git/churn.git").localPath == "/srv/git/churn.git")
    }

    /// A home made when repositories were keyed by their path: once the repository has an origin
    /// and is reconciled again, every record is under the origin's URL, nothing is made twice,
    /// and nothing is left under the path.
    @Test func anOldHomeMovesToTheOriginWhenTheRepositoryGainsOne() async throws {
        let folder = TemporaryDirectory("gains-origin")
        let repository = try pluginRepository(thresholdYAML, at: folder)
        try repository.createTag("v1.0.0", at: try repository.resolveCommit("master"), message: "release")
        let factory = try Factory()
        let reconciler = Reconciler(pipeline: factory.pipeline)
        let first = try await reconciler.reconcile(repository)
        #expect(first.environments.map(\.repository) == [repository.location])
        let sessions = try factory.store.sessions().count

        try repository.setConfigValue("remote.origin.url", "https://deploy:s3cret@forge.example/team/threshold.git")
        let identity = "https://forge.example/team/threshold.git"
        let again = try await reconciler.reconcile(repository)
        #expect(again.actions.isEmpty, "\(again.actions)")
        #expect(again.environments.map(\.repository) == [identity] && again.environments.map(\.version) == ["1.0.0"])
        #expect(try factory.store.environments(repository: repository.location).isEmpty)
        #expect(try factory.store.sessions().count == sessions)
        #expect(try factory.store.sessions(repository: identity).count == sessions)
        #expect(try factory.store.events(repository: identity, environment: "production", model: nil, before: nil, limit: 10).count == 1)
        #expect(try factory.store.repositories().map(\.identity) == [identity])
        #expect(try factory.store.repositories().map(\.location) == [repository.location])
    }

    /// The reconciler records the `.mf/traffic.yaml` of the production head, again only when
    /// that head moved.
    @Test func theProductionHeadsTrafficDeclarationIsRecorded() async throws {
        let folder = TemporaryDirectory("records-traffic")
        let repository = try pluginRepository(thresholdYAML, extra: [".mf/traffic.yaml": "threshold: { weights: { \"1.0.0\": 100 } }\n"], at: folder)
        let head = try repository.resolveCommit("master")
        let factory = try Factory()
        let reconciler = Reconciler(pipeline: factory.pipeline)
        _ = try await reconciler.reconcile(repository)
        let recorded = try #require(try factory.store.traffic(repository: repository.location, environment: "production"))
        #expect(recorded.commit == head.hex && recorded.declaration == "threshold: { weights: { \"1.0.0\": 100 } }\n")
        _ = try await reconciler.reconcile(repository)
        #expect(try factory.store.traffic(repository: repository.location, environment: "production")?.recordedAt == recorded.recordedAt)

        let files = [FileEntry(path: "README", text: "no declaration\n")]
        let next = try repository.commit(
            files: files, parents: [head], message: "drop it", author: Signature(name: "T", email: "t@example.com"), updating: "refs/heads/master")
        _ = try await reconciler.reconcile(repository)
        let now = try #require(try factory.store.traffic(repository: repository.location, environment: "production"))
        #expect(now.commit == next.hex && now.declaration == nil)
    }
}
