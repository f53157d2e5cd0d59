import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLiteStore
import Store
import Synchronization
import TestSupport
import Testing

@testable import ModelFactory
@testable import ModelServer

/// A hand-made `command` bundle of model `demo` whose worker answers `label = x > 2.5` and, with
/// `failEvery`, fails every N-th predict call after its warm-up (a worker error, as a model that raises).
func rolloutBundle(version: String, failEvery: Int?, in directory: TemporaryDirectory) throws -> URL {
    let root = "bundles/demo-\(version)"
    let worker = """
        import json, sys
        FAIL_EVERY = \(failEvery.map(String.init) ?? "0")
        calls = 0
        for line in sys.stdin:
            request = json.loads(line)
            method, params = request["method"], request.get("params", {})
            answer = {"jsonrpc": "2.0", "id": request["id"], "result": {}}
            if method == "predict":
                calls += 1
                if FAIL_EVERY and calls > 1 and (calls - 1) % FAIL_EVERY == 0:
                    answer = {"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32000, "message": "the model raised"}}
                else:
                    answer["result"] = {"predictions": [{"label": int(i["x"] > 2.5)} for i in params["instances"]]}
            print(json.dumps(answer), flush=True)
            if method == "shutdown": break
        """
    try directory.write("\(root)/model.yaml", HandMadeBundle.manifest)
    try directory.write("\(root)/plugin/worker.py", worker)
    try directory.write("\(root)/artifacts/weights.txt", "2.5\n")
    let folder = URL(fileURLWithPath: directory.appending(root))
    let field = { (name: String, type: String) in BundleManifest.Field(name: name, type: type) }
    let manifest = BundleManifest(
        model: "demo", version: version, tag: "v\(version)", ref: "refs/tags/v\(version)", commit: String(repeating: "a", count: 40),
        tree: String(repeating: "b", count: 40), session: "s1", runtime: "command", run: ["python3", "-u", "worker.py"],
        toolchain: SortedMap([:]), schema: .init(inputs: [field("x", "double"), field("kind", "string")], outputs: [field("label", "int")]),
        metrics: SortedMap(["auc": 1]), gates: [], files: BundleManifest.files(of: try Archive.entries(of: folder)))
    try JSONEncoder().encode(manifest).write(to: folder.appendingPathComponent(BundleManifest.fileName))
    return folder
}

/// Progressive rollout in the server: a registry serving 1.0.0, a store in memory, the driver
/// taking production's move to 1.1.0, and requests through the router (no sockets).
@Suite(.serialized, .onTestThreads) struct RolloutTests {
    struct Setup: @unchecked Sendable {
        let registry: ModelRegistry
        let store: any FactoryStore
        let driver: RolloutDriver
        let record: EnvironmentRecord
        let directory: TemporaryDirectory
    }

    static func setup(
        candidateFailEvery: Int?, sharing shared: (any FactoryStore)? = nil, owner: String = "a", repository: String = "/r",
        now: @escaping @Sendable () -> Date = { Date() }
    )
        async throws -> Setup
    {
        let directory = TemporaryDirectory("rollout")
        var options = ServeOptions(home: URL(fileURLWithPath: directory.appending("home")))
        options.pool.workers = 1
        options.pool.callTimeout = 10
        let registry = ModelRegistry(options: options)
        try await registry.load(try rolloutBundle(version: "1.0.0", failEvery: nil, in: directory))
        let candidate = try rolloutBundle(version: "1.1.0", failEvery: candidateFailEvery, in: directory)
        let store: any FactoryStore
        if let shared { store = shared } else { store = try SQLiteStore.inMemory() }
        let driver = RolloutDriver(registry: registry, store: store, repository: repository, environment: "production", owner: owner, now: now)
        let record = EnvironmentRecord(
            repository: repository, model: "demo", name: "production", version: "1.1.0", tag: "v1.1.0", commit: String(repeating: "a", count: 40),
            bundle: candidate.path, updatedAt: Date())
        return Setup(registry: registry, store: store, driver: driver, record: record, directory: directory)
    }

    static func plan(_ yaml: String) throws -> RolloutPlan { try #require(try TrafficDeclaration.parse(yaml).rollouts["demo"]) }

    static let instance = #"{"instances": [{"x": 4, "kind": "a"}]}"#

    /// Sends requests one at a time, the driver looking after each, until the rollout ends
    /// (at most `limit`); returns the statuses the clients got.
    static func drive(_ setup: Setup, limit: Int = 600) async throws -> [Int] {
        let app = buildApplication(registry: setup.registry, options: ServeOptions(home: URL(fileURLWithPath: setup.directory.appending("home"))))
        return try await app.test(.router) { client in
            var statuses: [Int] = []
            while setup.driver.isActive("demo"), statuses.count < limit {
                let response = try await client.send(.post, "/v1/models/demo:predict", body: instance)
                statuses.append(response.status.code)
                await setup.driver.tick()
            }
            return statuses
        }
    }

    static func details(_ event: Event?) throws -> [String: Any] {
        let text = try #require(event?.details)
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// A candidate that raises on a quarter of its requests spends its error budget within its
    /// first step and is rolled back; every failure was retried on 1.0.0, so no client saw a 5xx.
    @Test(.timeLimit(.minutes(2)))
    func aFailingCandidateIsRolledBackWithinItsFirstStepAndClientsSeeNoError() async throws {
        let setup = try await Self.setup(candidateFailEvery: 4)
        let plan = try Self.plan("demo: { rollout: { steps: [50, 100], step: { requests: 40 }, gates: { error_rate: \"<= 0.05\" } } }")
        #expect(try await setup.driver.take(setup.record, plan: plan))
        #expect(setup.registry.policy(for: "demo")?.weights == ["1.0.0": 50, "1.1.0": 50])
        let statuses = try await Self.drive(setup)
        #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
        let rollout = try #require(try setup.store.latestRollout(repository: "/r", environment: "production", model: "demo"))
        #expect(rollout.state == .rolledBack && rollout.percent == 0 && rollout.step == 0, "rolled back in its first step")
        let reason = try #require(rollout.reason)
        #expect(reason.hasPrefix("1.1.0 rolled back at step 50%: error rate 0.25 > 0.05 over 12 requests"), "\(reason)")
        let events = try setup.store.events(repository: "/r", environment: "production", model: "demo", before: nil, limit: 10)
        #expect(events.map(\.kind) == [.rolledBack, .rolloutStarted])
        #expect(events.first?.reason == reason && events.first?.cause == "rollout" && events.first?.fromVersion == "1.0.0")
        let candidate = try #require(try Self.details(events.first)["candidate"] as? [String: Any])
        #expect(candidate["requests"] as? Int == 12 && candidate["errors"] as? Int == 3, "\(candidate)")
        let models = setup.registry.models()
        #expect(models.first?.current == "1.0.0" && models.first?.versions.map(\.version) == ["1.0.0"], "the candidate is drained")
        #expect(setup.registry.policy(for: "demo")?.weights == [:])

        // It stays out while git says the same: the same release and the same rollout block.
        #expect(try await setup.driver.take(setup.record, plan: plan))
        #expect(try setup.store.latestRollout(repository: "/r", environment: "production", model: "demo")?.id == rollout.id)
        #expect(setup.registry.models().first?.versions.map(\.version) == ["1.0.0"] && !setup.driver.isActive("demo"))
        // A commit that changes the rollout block tries it again.
        let changed = try Self.plan("demo: { rollout: { steps: [10, 100], step: { requests: 40 }, gates: { error_rate: \"<= 0.05\" } } }")
        #expect(try await setup.driver.take(setup.record, plan: changed))
        let again = try #require(try setup.store.latestRollout(repository: "/r", environment: "production", model: "demo"))
        #expect(again.id != rollout.id && again.state == .running && again.percent == 10 && again.planDigest == changed.digest)
        #expect(setup.registry.policy(for: "demo")?.weights == ["1.0.0": 90, "1.1.0": 10])
        await setup.registry.drainAll()
    }

    /// A good candidate passes every step and is promoted; the old release drains, and each
    /// decision is an event with its numbers.
    @Test(.timeLimit(.minutes(2)))
    func aGoodCandidateReachesAllTheTrafficAndIsPromoted() async throws {
        let setup = try await Self.setup(candidateFailEvery: nil)
        let plan = try Self.plan(
            "demo: { rollout: { steps: [25, 50, 100], step: { requests: 8 }, gates: { error_rate: \"<= 0.01\", p99_ms: \"<= served + 60000\" } } }")
        #expect(try await setup.driver.take(setup.record, plan: plan))
        let statuses = try await Self.drive(setup)
        #expect(statuses.allSatisfy { $0 == 200 })
        let rollout = try #require(try setup.store.latestRollout(repository: "/r", environment: "production", model: "demo"))
        #expect(rollout.state == .promoted && rollout.percent == 100, "\(rollout)")
        #expect(rollout.reason?.hasPrefix("1.1.0 promoted after step 100%: error rate 0 <= 0.01 over 8 requests; p99") == true, "\(rollout.reason ?? "")")
        let events = try setup.store.events(repository: "/r", environment: "production", model: "demo", before: nil, limit: 10)
        #expect(events.map(\.kind) == [.promoted, .rolloutStep, .rolloutStep, .rolloutStarted])
        #expect(try events.dropFirst().map { try Self.details($0)["percent"] as? Int } == [100, 50, 25])
        #expect(events.first?.serving?.version == "1.1.0" && events[1].serving?.candidate == "1.1.0")
        let models = setup.registry.models()
        #expect(models.first?.current == "1.1.0" && models.first?.versions.map(\.version) == ["1.1.0"], "1.0.0 is drained")
        #expect(!setup.driver.isActive("demo") && setup.registry.policy(for: "demo")?.weights == [:])
        // Promoted: the follower swaps as usual from now on (here: nothing left to do).
        let takenByTheRollout = try await setup.driver.take(setup.record, plan: plan)
        #expect(!takenByTheRollout)
        await setup.registry.drainAll()
    }

    /// Two servers of production: the first drives under the lease, the second joins the same
    /// rollout, does not decide, and follows the weights the driver records.
    @Test(.timeLimit(.minutes(2)))
    func aSecondServerFollowsTheDriver() async throws {
        let first = try await Self.setup(candidateFailEvery: nil)
        let second = try await Self.setup(candidateFailEvery: nil, sharing: first.store, owner: "b")
        let plan = try Self.plan("demo: { rollout: { steps: [20, 60, 100], step: { requests: 5 } } }")
        #expect(try await first.driver.take(first.record, plan: plan))
        #expect(try await second.driver.take(first.record, plan: plan))
        #expect(first.driver.state(of: "demo")?.driving == true && second.driver.state(of: "demo")?.driving == false)
        #expect(second.registry.policy(for: "demo")?.weights == ["1.0.0": 80, "1.1.0": 20])
        // The second server's own requests decide nothing.
        for _ in 0..<10 { _ = second.registry.rolloutTally.record("demo", version: "1.1.0", failed: false, milliseconds: 1) }
        await second.driver.tick()
        #expect(try first.store.latestRollout(repository: "/r", environment: "production", model: "demo")?.percent == 20)
        for _ in 0..<5 { _ = first.registry.rolloutTally.record("demo", version: "1.1.0", failed: false, milliseconds: 1) }
        await first.driver.tick()
        #expect(try first.store.latestRollout(repository: "/r", environment: "production", model: "demo")?.percent == 60)
        await second.driver.tick()
        #expect(second.registry.policy(for: "demo")?.weights == ["1.0.0": 40, "1.1.0": 60] && second.driver.state(of: "demo")?.driving == false)
        #expect(try first.store.events(repository: "/r", environment: "production", model: nil, before: nil, limit: 10).count == 2, "one start, one step")
        await first.registry.drainAll()
        await second.registry.drainAll()
    }

    /// A server restarted in the middle of a rollout (a new owner, nothing loaded) loads both
    /// releases from the store, takes over the lease once its driver's ran out, and resumes at
    /// the recorded step; the old driver, its lease gone, only follows.
    @Test(.timeLimit(.minutes(2)))
    func aRestartedServerResumesTheRollout() async throws {
        let first = try await Self.setup(candidateFailEvery: nil)
        let plan = try Self.plan("demo: { rollout: { steps: [20, 100], step: { requests: 5 } } }")
        #expect(try await first.driver.take(first.record, plan: plan))
        let modelID = try first.store.modelID(repository: "/r", name: "demo")
        try first.store.record(
            BundleRecord(
                modelId: modelID, version: "1.0.0", tag: "v1.0.0", ref: "refs/tags/v1.0.0", commit: String(repeating: "a", count: 40), sessionId: "s1",
                path: first.directory.appending("bundles/demo-1.0.0"), archive: "", sha256: "", createdAt: Date()))
        var options = ServeOptions(home: URL(fileURLWithPath: first.directory.appending("home-restarted")))
        options.pool.workers = 1
        let registry = ModelRegistry(options: options)
        let later = Date().addingTimeInterval(60)
        let restarted = RolloutDriver(registry: registry, store: first.store, repository: "/r", environment: "production", owner: "restarted", now: { later })
        #expect(try await restarted.take(first.record, plan: plan))
        #expect(restarted.state(of: "demo")?.driving == true, "the first driver's lease ran out")
        #expect(registry.models().first?.current == "1.0.0" && registry.models().first?.versions.map(\.version) == ["1.0.0", "1.1.0"])
        #expect(registry.policy(for: "demo")?.weights == ["1.0.0": 80, "1.1.0": 20])
        await first.driver.tick()
        #expect(first.driver.state(of: "demo")?.driving == false)
        #expect(try first.store.events(repository: "/r", environment: "production", model: nil, before: nil, limit: 10).map(\.kind) == [.rolloutStarted])
        await first.registry.drainAll()
        await registry.drainAll()
    }

    /// `mf serve --follow production`: the environment's new release and the `rollout` block at
    /// the production line's head start a rollout instead of a swap; the declared traffic leaves
    /// the rollout's weights alone, and looking again changes nothing until the driver decides.
    /// The declaration is the one the reconciler recorded in the store: no repository is read
    /// (the one named here exists nowhere).
    @Test(.timeLimit(.minutes(2)))
    func theFollowerRollsOutWhatTheProductionLineDeclares() async throws {
        let identity = "https://forge.example/team/rollout-follow.git"
        let setup = try await Self.setup(candidateFailEvery: nil, repository: identity)
        try setup.store.record(
            traffic: TrafficRecord(
                repository: identity, environment: "production", commit: String(repeating: "b", count: 40),
                declaration: "demo:\n  rollout: { steps: [30, 100], step: { requests: 5 } }\n", recordedAt: Date()))
        try setup.store.record(setup.record)
        let follower = EnvironmentFollower(
            registry: setup.registry, store: setup.store, repository: identity, environment: "production", rollouts: setup.driver)
        try await follower.catchUp()
        #expect(setup.driver.isActive("demo") && setup.registry.policy(for: "demo")?.weights == ["1.0.0": 70, "1.1.0": 30])
        try await follower.catchUp()
        #expect(setup.registry.policy(for: "demo")?.weights == ["1.0.0": 70, "1.1.0": 30] && setup.registry.models().first?.current == "1.0.0")
        #expect(try setup.store.latestRollouts(repository: identity, environment: "production").map(\.percent) == [30])
        for _ in 0..<5 { _ = setup.registry.rolloutTally.record("demo", version: "1.1.0", failed: false, milliseconds: 1) }
        await setup.driver.tick()
        #expect(setup.registry.policy(for: "demo")?.weights == ["1.0.0": 0, "1.1.0": 100])
        for _ in 0..<5 { _ = setup.registry.rolloutTally.record("demo", version: "1.1.0", failed: false, milliseconds: 1) }
        #expect(await setup.driver.tick(), "promoted")
        try await follower.catchUp()
        #expect(setup.registry.models().first?.current == "1.1.0" && setup.registry.models().first?.versions.count == 1)
        await setup.registry.drainAll()
    }

    /// The admin API's traffic changes are events of the audit trail, caused by `admin`.
    @Test(.timeLimit(.minutes(2)))
    func adminChangesAreEvents() async throws {
        let setup = try await Self.setup(candidateFailEvery: nil)
        var options = ServeOptions(home: URL(fileURLWithPath: setup.directory.appending("home")))
        options.adminToken = "s3cret"
        options.events = EventLog(store: setup.store, repository: "/r", environment: "production")
        let app = buildApplication(registry: setup.registry, options: options)
        try await app.test(.router) { client in
            let auth: HTTPFields = [.authorization: "Bearer s3cret"]
            let loaded = try await client.send(.post, "/admin/bundles", headers: auth, body: #"{"path": "\#(setup.record.bundle)", "current": false}"#)
            #expect(loaded.status == .ok, "\(loaded.text)")
            let traffic = try await client.send(.put, "/admin/models/demo/traffic", headers: auth, body: #"{"weights": {"1.0.0": 90, "1.1.0": 10}}"#)
            #expect(traffic.status == .ok)
            #expect(try await client.send(.post, "/admin/models/demo/versions/1.1.0/promote", headers: auth).status == .ok)
            #expect(try await client.send(.delete, "/admin/models/demo/versions/1.0.0", headers: auth).status == .ok)
            let refused = try await client.send(.put, "/admin/models/demo/traffic", headers: auth, body: #"{"weights": {"9.9.9": 1}}"#)
            #expect(refused.status == .notFound)
        }
        let events = try setup.store.events(repository: "/r", environment: "production", model: "demo", before: nil, limit: 10)
        #expect(events.map(\.kind) == [.unloaded, .promoted, .traffic], "a refused change is no event")
        #expect(events.allSatisfy { $0.cause == "admin" })
        #expect(events[1].fromVersion == "1.0.0" && events[1].toVersion == "1.1.0")
        #expect(events[2].reason == "traffic for demo set by the admin API: weights {1.0.0: 90, 1.1.0: 10}, shadow none")
        await setup.registry.drainAll()
    }

    /// A step of `seconds` ends by the driver's clock, injected here: no waiting.
    @Test(.timeLimit(.minutes(2)))
    func aTimedStepEndsByTheClock() async throws {
        final class Clock: Sendable {
            let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
            func withLock(_ body: (inout Date) -> Void) { time.withLock { body(&$0) } }
            var now: Date { time.withLock { $0 } }
        }
        let clock = Clock()
        let setup = try await Self.setup(candidateFailEvery: nil, now: { clock.now })
        let plan = try Self.plan("demo: { rollout: { steps: [50, 100], step: { seconds: 300 } } }")
        #expect(try await setup.driver.take(setup.record, plan: plan))
        clock.withLock { $0 += 299 }
        await setup.driver.tick()
        #expect(setup.driver.state(of: "demo")?.rollout.percent == 50)
        clock.withLock { $0 += 2 }
        await setup.driver.tick()
        #expect(setup.driver.state(of: "demo")?.rollout.percent == 100)
        #expect(setup.registry.policy(for: "demo")?.weights == ["1.0.0": 0, "1.1.0": 100])
        clock.withLock { $0 += 301 }
        await setup.driver.tick()
        #expect(setup.registry.models().first?.current == "1.1.0" && !setup.driver.isActive("demo"))
        await setup.registry.drainAll()
    }
}
