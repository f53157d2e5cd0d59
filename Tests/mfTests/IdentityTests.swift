import Foundation
import ModelFactory
import SQLiteStore
import Store
import TestSupport
import Testing

/// A repository has one identity on every host (DESIGN.md "Scale-out"): its origin URL without
/// credentials, else its path. Jobs, servers and the store's records name it by that.
@Suite(.onTestThreads) struct IdentityTests {
    /// `mf serve --follow production --repo IDENTITY` on a host where the repository is not
    /// (moved away after `mf reconcile`) serves production and the declared traffic from the
    /// store alone, and swaps in a release reconciled later from where the repository is now.
    @Test(.timeLimit(.minutes(5)))
    func aServerFollowsProductionFromTheStoreAlone() throws {
        let fixture = try servedModel()
        try fixture.git(["tag", "-d", "v1.1.0"])
        let identity = "https://forge.example/team/served.git"
        try fixture.git(["remote", "add", "origin", "https://deploy:s3cret@forge.example/team/served.git"])
        let home = TemporaryDirectory("home")
        let reconciled = try mf(["reconcile", "--repo", fixture.path, "--home", home.path, "--json"])
        #expect(reconciled.status == 0, "\(reconciled.stderr)")
        let environments = try #require((try json(reconciled) as? [String: Any])?["environments"] as? [[String: Any]])
        #expect(environments.map { $0["repository"] as? String } == [identity], "\(environments)")
        let store = try SQLiteStore(path: home.appending("factory.sqlite"))
        #expect(try store.repositories().map(\.identity) == [identity], "the credentials are never stored")

        let moved = fixture.directory.appending("moved")
        try FileManager.default.moveItem(atPath: fixture.path, toPath: moved)
        expectOneLineError(
            try mf(["serve", "--follow", "production", "--repo", fixture.path, "--home", home.path]),
            containing: "--repo \(fixture.path) is neither a repository on this host nor a repository the store knows (it knows \(identity))")

        let server = try ServerProcess(["--follow", "production", "--repo", identity, "--home", home.path, "--workers", "1"])
        defer { _ = server.stop() }
        let port = server.port
        func versions() throws -> Set<String> {
            Set(
                try (0..<30).map { _ in
                    let answer = try http("POST", port: port, "/v1/models/demo:predict", body: predictBody([["x": 1, "kind": "a"]]))
                    return answer.headers["x-model-version"] ?? "\(answer.status)"
                })
        }
        #expect(try versions() == ["1.0.0"])

        // A release that declares an A/B test, reconciled from the repository's new place.
        try fixture.directory.write("moved/.mf/traffic.yaml", "demo:\n  weights: { \"1.0.0\": 50, \"1.1.0\": 50 }\n")
        try fixture.git(["add", "-A"], in: moved)
        try fixture.git(["commit", "-q", "-m", "A/B test 1.0.0 against 1.1.0"], in: moved)
        try fixture.git(["tag", "-a", "-m", "release", "v1.1.0"], in: moved)
        #expect(try mf(["reconcile", "--repo", moved, "--home", home.path]).status == 0)
        // (The swap drains 1.0.0, then the declaration loads it again beside 1.1.0.)
        var seen: Set<String> = []
        var loaded: Set<String> = []
        _ = try pollUntil(seconds: 60) {
            loaded = Set((try http("GET", port: port, "/v2/models/demo").json() as? [String: Any])?["versions"] as? [String] ?? [])
            seen = try versions()
            return loaded == ["1.0.0", "1.1.0"] && seen == loaded
        }
        #expect(loaded == ["1.0.0", "1.1.0"] && seen == loaded, "\(seen) \(loaded) \(server.log)")
        #expect(try store.traffic(repository: identity, environment: "production")?.declaration?.contains("\"1.1.0\": 50") == true)
        #expect(try store.repositories().map(\.location) == [moved])
    }

    /// Two clones of one repository on one host queue one job: it names their origin.
    @Test(.timeLimit(.minutes(2)))
    func jobsFromTwoClonesOfOneRepositoryMerge() async throws {
        let origin = try triggerRepository("shared")
        let home = TemporaryDirectory("home")
        var outcomes: [(job: Int, outcome: String, repository: String)] = []
        for clone in ["a", "b"] {
            let path = origin.directory.appending("clone-\(clone)")
            try origin.git(["clone", "-q", origin.path, path], in: origin.directory.path)
            let queued = try await mf(["enqueue", "--repo", path, "--home", home.path, "--ref", "refs/heads/master", "--json"])
            #expect(queued.status == 0, "\(queued.stderr)")
            let output = try #require(try json(queued) as? [String: Any])
            outcomes.append((output["job"] as? Int ?? -1, output["outcome"] as? String ?? "", output["repository"] as? String ?? ""))
        }
        #expect(outcomes.map(\.outcome) == ["queued", "merged"] && outcomes[0].job == outcomes[1].job, "\(outcomes)")
        #expect(outcomes.allSatisfy { $0.repository == origin.path }, "\(outcomes)")
        #expect(try JobQueue(store: try SQLiteStore(path: home.appending("factory.sqlite"))).jobs().map(\.repository) == [origin.path])
    }

    /// A job that names a network URL is reconciled from the worker's own mirror of it (here the
    /// URL leads to a local repository through git's `insteadOf`); one whose repository is
    /// nowhere on this host fails at once, naming it.
    @Test(.timeLimit(.minutes(3)))
    func aWorkerMirrorsAURLIdentityIntoItsHome() async throws {
        let origin = try triggerRepository("forge-origin")
        let home = TemporaryDirectory("home")
        let configuration = TemporaryDirectory("xdg")
        try configuration.write("git/config", "[url \"\(origin.path)\"]\n\tinsteadOf = https://forge.example/team/churn.git\n")
        let identity = "https://forge.example/team/churn.git"
        let store = try SQLiteStore(path: home.appending("factory.sqlite"))
        let queue = JobQueue(store: store)
        try queue.enqueue(repository: identity, refs: ["refs/tags/v1.0.0"], trigger: .webhook)
        try queue.enqueue(repository: "/nowhere/churn", refs: [], trigger: .enqueue)

        let worked = try await mf(
            ["worker", "--home", home.path, "--poll", "0.2", "--until-idle"], environment: ["XDG_CONFIG_HOME": configuration.path])
        #expect(worked.status == 0, "\(worked.stdout)\(worked.stderr)")
        let mirror = home.appending("mirrors/forge.example/team/churn.git")
        let jobs = try queue.jobs()
        #expect(jobs.first { $0.repository == identity }?.state == .done, "\(jobs)")
        let missing = try #require(jobs.first { $0.repository == "/nowhere/churn" })
        #expect(missing.state == .failed && missing.attempts == 1, "\(missing)")
        #expect(missing.lastError?.hasPrefix("the repository /nowhere/churn cannot be found on this host: /nowhere/churn does not exist") == true, "\(missing)")
        #expect(try store.environments(repository: identity).map(\.version) == ["1.0.0"])
        #expect(try store.repositories().first { $0.identity == identity }?.location == mirror)
        #expect(try store.bundles().map(\.bundle.version) == ["1.0.0"])
    }
}
