import Foundation
import TestSupport
import Testing

/// The factory past one machine (issue 20): homes that share no folder, each with its workers, and
/// a server with neither the repository nor the builds, all on one PostgreSQL store, driven
/// through `mf` as an operator would. Each test has a database of its own; the one that restarts
/// PostgreSQL has a server of its own.
@Suite(.onTestThreads) struct PostgresScenarioTests {
    /// A repository whose model is called `name` (so that repositories reconciled in one home do
    /// not share bundle folders), tagged v1.0.0; `sleep` seconds of training.
    func repository(_ name: String, sleep: Double = 0) throws -> GitFixture {
        try triggerRepository(
            name,
            files: [
                "sleep.txt": String(sleep),
                "model.yaml": """
                name: \(name)
                runtime: python
                train: { data: data.csv }
                evaluate: { data: data.csv }
                schema:
                  inputs: [{ name: x, type: double }]
                  outputs: [{ name: label, type: int }]
                gates: { auc: ">= 0.8" }
                examples: [{ x: 1 }]
                """,
            ])
    }

    /// `mf … --json` on `store` from `home`, parsed.
    func listed(_ command: [String], home: TemporaryDirectory, store: String) async throws -> [[String: Any]] {
        let result = try await mf(command + ["--home", home.path, "--store", store, "--json"])
        #expect(result.status == 0, "mf \(command): \(result.stderr)")
        return try #require(try json(result) as? [[String: Any]], "\(result.stdout)")
    }

    /// A worker on `home` waiting on `store`: it looks again only when the store says something
    /// changed (LISTEN/NOTIFY), or after `poll` seconds.
    /// `hold`: a model that sleeps waits in training until that file exists (`writeTriggerModel`).
    func worker(_ home: TemporaryDirectory, _ store: String, lease: Int = 10, poll: Int = 600, hold: String? = nil) throws -> BackgroundMF {
        try BackgroundMF(
            ["worker", "--home", home.path, "--store", store, "--poll", String(poll), "--lease", String(lease), "--json"],
            environment: hold.map { ["MF_TEST_HOLD": $0] } ?? [:])
    }

    /// The sessions of `fixture`'s tagged commit, by status (and the interrupted ones).
    func releaseSessions(_ fixture: GitFixture, home: TemporaryDirectory, store: String) async throws -> [[String: Any]] {
        let tagged = try fixture.id("v1.0.0^{commit}")
        return try await listed(["sessions", "--repo", fixture.path], home: home, store: store).filter { $0["commit"] as? String == tagged }
    }

    /// Pushes to several repositories, each announced from both homes, are reconciled once by
    /// four workers on two homes: one passed session and one bundle per release, every job done.
    @Test(.timeLimit(.minutes(8)))
    func workersOnTwoHomesReconcileEachPushOnce() async throws {
        let store = try TestPostgres.freshDatabase("twohomes")
        let homes = [TemporaryDirectory("home-a"), TemporaryDirectory("home-b")]
        let repositories = try (1...3).map { try repository("spread\($0)") }
        var workers: [BackgroundMF] = []
        defer { for worker in workers { _ = worker.terminate() } }
        for home in homes {
            for _ in 0..<2 { workers.append(try worker(home, store)) }
        }
        for (index, fixture) in repositories.enumerated() {
            for home in [homes[index % 2], homes[(index + 1) % 2]] {
                let queued = try await mf(["enqueue", "--repo", fixture.path, "--home", home.path, "--store", store, "--ref", "refs/tags/v1.0.0"])
                #expect(queued.status == 0, "\(queued.stderr)")
            }
        }
        let finished = try await eventuallyAwaiting(seconds: 300, every: .milliseconds(300)) {
            let jobs = try await listed(["jobs"], home: homes[0], store: store)
            return !jobs.isEmpty && jobs.allSatisfy { $0["state"] as? String == "done" }
        }
        #expect(finished, "\(workers.map(\.output).joined(separator: "\n"))")
        for (index, fixture) in repositories.enumerated() {
            for home in homes {
                let sessions = try await releaseSessions(fixture, home: home, store: store)
                #expect(sessions.filter { $0["status"] as? String == "passed" && $0["reusedFrom"] is NSNull }.count == 1, "\(sessions)")
                #expect(!sessions.contains { $0["status"] as? String == "failed" }, "\(sessions)")
                // Each home sees the one bundle of each release, wherever it was made.
                let bundles = try await listed(["bundles"], home: home, store: store).filter { $0["model"] as? String == "spread\(index + 1)" }
                #expect(bundles.map { $0["tag"] as? String } == ["v1.0.0"], "\(bundles)")
            }
        }
        for worker in workers { #expect(worker.terminate() == 0, "\(worker.output)") }
    }

    /// A worker killed with SIGKILL mid-job on one home: its lease runs out, a worker on the
    /// other home takes the job up and finishes it; one passed session, the killed one marked.
    @Test(.timeLimit(.minutes(6)))
    func aKilledWorkersJobIsFinishedOnAnotherHome() async throws {
        let store = try TestPostgres.freshDatabase("killed")
        let (first, second) = (TemporaryDirectory("home-a"), TemporaryDirectory("home-b"))
        let fixture = try repository("killed", sleep: 0.1)
        #expect(try await mf(["enqueue", "--repo", fixture.path, "--home", first.path, "--store", store, "--ref", "refs/tags/v1.0.0"]).status == 0)
        let hold = first.appending("hold")
        let doomed = try worker(first, store, lease: 3, hold: hold)
        let training = try await eventually(seconds: 120) { FileManager.default.fileExists(atPath: hold + ".held") }
        #expect(training, "\(doomed.output)")
        #expect(try await releaseSessions(fixture, home: first, store: store).contains { $0["status"] as? String == "running" })
        // Its plugin, held in training, exits when it finds its worker gone.
        _ = doomed.terminate(signal: SIGKILL)

        let rescuer = try await mf(["worker", "--home", second.path, "--store", store, "--lease", "3", "--poll", "1", "--until-idle", "--json"])
        #expect(rescuer.status == 0, "\(rescuer.stdout)\(rescuer.stderr)")
        let job = try #require(try await listed(["jobs"], home: second, store: store).first)
        #expect(job["state"] as? String == "done" && job["attempts"] as? Int == 2, "\(job)")
        let sessions = try await releaseSessions(fixture, home: second, store: store)
        #expect(sessions.filter { $0["status"] as? String == "passed" }.count == 1, "\(sessions)")
        #expect(sessions.filter { ($0["failure"] as? String)?.hasPrefix("interrupted") == true }.count == 1, "\(sessions)")
        let bundles = try await listed(["bundles"], home: second, store: store)
        #expect(bundles.map { $0["tag"] as? String } == ["v1.0.0"], "\(bundles)")
    }

    /// PostgreSQL restarted while the workers wait, then while one runs a job: they reconnect,
    /// the waiting ones still wake for new work, and the job in hand finishes once.
    @Test(.timeLimit(.minutes(6)))
    func workersSurviveAPostgreSQLRestart() async throws {
        let server = try PostgresServer.start("restart")
        defer { server.stop() }
        let store = try server.freshDatabase("restart")
        let homes = [TemporaryDirectory("home-a"), TemporaryDirectory("home-b")]
        let hold = homes[0].appending("hold")
        let workers = try homes.map { try worker($0, store, lease: 10, hold: hold) }
        defer { for worker in workers { _ = worker.terminate() } }
        // Both have looked at the (empty) queue and wait.
        for worker in workers { try await worker.wait(seconds: 60) { $0.contains("\"started\"") } }

        try server.restart()
        let waited = try repository("waited")
        #expect(try await mf(["enqueue", "--repo", waited.path, "--home", homes[0].path, "--store", store, "--ref", "refs/tags/v1.0.0"]).status == 0)
        let woke = try await eventuallyAwaiting(seconds: 120, every: .milliseconds(300)) {
            try await listed(["jobs"], home: homes[0], store: store).first?["state"] as? String == "done"
        }
        #expect(woke, "no waiting worker took the job after the restart: \(workers.map(\.output).joined(separator: "\n"))")

        let busy = try repository("busy", sleep: 0.1)
        #expect(try await mf(["enqueue", "--repo", busy.path, "--home", homes[1].path, "--store", store, "--ref", "refs/tags/v1.0.0"]).status == 0)
        // Restarted while the job's training is held, then let go.
        #expect(try await eventually(seconds: 120) { FileManager.default.fileExists(atPath: hold + ".held") })
        try server.restart()
        try Data().write(to: URL(fileURLWithPath: hold))
        let done = try await eventuallyAwaiting(seconds: 180, every: .milliseconds(300)) {
            try await listed(["jobs"], home: homes[1], store: store).allSatisfy { $0["state"] as? String == "done" }
        }
        #expect(done, "\(workers.map(\.output).joined(separator: "\n"))")
        let sessions = try await releaseSessions(busy, home: homes[1], store: store)
        #expect(sessions.filter { $0["status"] as? String == "passed" }.count == 1, "\(sessions)")
        for worker in workers { #expect(worker.terminate() == 0, "\(worker.output)") }
    }

    /// A third, empty home serves production from the store alone: the repository is named by
    /// its identity (its origin's URL, which this host cannot reach), the bundle comes from the
    /// store's blobs (the home that made it has deleted its copy), and a release reconciled on
    /// the other home is swapped in.
    @Test(.timeLimit(.minutes(6)))
    func anEmptyHomeServesProductionFromTheStoreAlone() async throws {
        let store = try TestPostgres.freshDatabase("serving")
        let fixture = try servedModel()
        try fixture.git(["tag", "-d", "v1.1.0"])
        let identity = "https://forge.invalid/team/demo.git"
        try fixture.git(["remote", "add", "origin", identity])
        let (builder, server) = (TemporaryDirectory("home-builder"), TemporaryDirectory("home-server"))
        let reconciled = try await mf(["reconcile", "--repo", fixture.path, "--home", builder.path, "--store", store])
        #expect(reconciled.status == 0, "\(reconciled.stderr)")
        try FileManager.default.removeItem(atPath: builder.appending("bundles"))

        let serving = try ServerProcess(["--follow", "production", "--repo", identity, "--home", server.path, "--store", store, "--workers", "1"])
        defer { _ = serving.stop() }
        let answer = try http("POST", port: serving.port, "/v1/models/demo:predict", body: predictBody([["x": 4.0, "kind": "a"]]))
        #expect(answer.status == 200 && answer.headers["x-model-version"] == "1.0.0", "\(serving.log)")

        try fixture.git(["tag", "-a", "-m", "release", "v1.1.0", "master"])
        let again = try await mf(["reconcile", "--repo", fixture.path, "--home", builder.path, "--store", store])
        #expect(again.status == 0, "\(again.stderr)")
        try FileManager.default.removeItem(atPath: builder.appending("bundles"))
        let swapped = try pollUntil(seconds: 90) {
            (try http("GET", port: serving.port, "/v2/models/demo").json() as? [String: Any])?["versions"] as? [String] == ["1.1.0"]
        }
        #expect(swapped, "\(serving.log)")
        let after = try http("POST", port: serving.port, "/v1/models/demo:predict", body: predictBody([["x": 4.0, "kind": "a"]]))
        #expect(after.status == 200 && after.headers["x-model-version"] == "1.1.0", "\(serving.log)")
        #expect(serving.stop() == 0, "\(serving.log)")
    }
}
