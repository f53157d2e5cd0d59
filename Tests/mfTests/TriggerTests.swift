import Foundation
import GitKit
import ModelFactory
import SQLiteStore
import Store
import TestSupport
import Testing

/// A quick pure-Python model. `train` sleeps as long as `sleep.txt` says, and then (when it
/// slept) waits while `$MF_TEST_HOLD` names a file that does not exist yet (to kill a worker under),
/// and `evaluate` reports the AUC written in `auc.txt` (to fail a gate on purpose).
func writeTriggerModel(in folder: String) throws {
    let manager = FileManager.default
    try manager.copyItem(atPath: repositoryRoot.appendingPathComponent("runtimes/python/mf_runner.py").path, toPath: folder + "/mf_runner.py")
    try Data(
        """
        import os, time
        HERE = os.path.dirname(os.path.abspath(__file__))
        def read(name, default):
            path = os.path.join(HERE, name)
            return open(path).read().strip() if os.path.exists(path) else default
        class Model:
            def train(self, data, artifacts, seed):
                time.sleep(float(read("sleep.txt", "0")))
                # A test that kills a worker mid-training holds a model that sleeps here: HOLD.held
                # says training is under way; it goes on once HOLD exists (or after two minutes),
                # and ends at once when its worker is gone (killed), as a plugin left alone should.
                hold = os.environ.get("MF_TEST_HOLD")
                if hold and float(read("sleep.txt", "0")) > 0:
                    parent = os.getppid()
                    open(hold + ".held", "w").close()
                    deadline = time.time() + 120
                    while not os.path.exists(hold) and time.time() < deadline:
                        if os.getppid() != parent: os._exit(1)
                        time.sleep(0.05)
                with open(os.path.join(artifacts, "weights.txt"), "w") as handle: handle.write("2.5\\n")
                self.threshold = 2.5
                return {"loss": 0.1}
            def load(self, artifacts): self.threshold = 2.5
            def evaluate(self, data): return {"auc": float(read("auc.txt", "0.9"))}
            def predict(self, instances): return [{"label": int(i["x"] > self.threshold)} for i in instances]
        """.utf8
    ).write(to: URL(fileURLWithPath: folder + "/model.py"))
    try Data("x,y\n1,0\n4,1\n".utf8).write(to: URL(fileURLWithPath: folder + "/data.csv"))
    try Data(
        """
        name: churn
        runtime: python
        train: { data: data.csv }
        evaluate: { data: data.csv }
        schema:
          inputs: [{ name: x, type: double }]
          outputs: [{ name: label, type: int }]
        gates: { auc: ">= 0.8" }
        examples: [{ x: 1 }]
        """.utf8
    ).write(to: URL(fileURLWithPath: folder + "/model.yaml"))
}

/// A repository with the trigger model committed on master, `files` written with it
/// (`sleep.txt`, `.mf/flow.yaml` …), tagged `tag` when one is given.
func triggerRepository(_ name: String, files: [String: String] = [:], tag: String? = "v1.0.0") throws -> GitFixture {
    let fixture = try GitFixture(name)
    try writeTriggerModel(in: fixture.path)
    for (path, text) in files { try fixture.directory.write("repo/" + path, text) }
    try fixture.git(["add", "-A"])
    try fixture.git(["commit", "-q", "-m", "model"])
    if let tag { try fixture.git(["tag", "-a", "-m", "release", tag]) }
    return fixture
}

/// `mf` running in the background, its standard output collected line by line.
final class BackgroundMF: @unchecked Sendable {
    let process: Spawned
    private let lock = NSLock()
    private var text = ""
    private let closed = DispatchSemaphore(value: 0)

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process = try Spawned(
            mfBinary, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, output: .pipe, error: .sameAsOutput)
        let handle = process.output!
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty {
                    closed.signal()
                    return
                }
                lock.withLock { text += String(decoding: chunk, as: UTF8.self) }
            }
        }
    }

    var output: String { lock.withLock { text } }

    /// Waits (up to `seconds`) for `condition` on the output; returns the output.
    @discardableResult
    func wait(seconds: Double = 120, for condition: (String) -> Bool) async throws -> String {
        _ = try await eventually(seconds: seconds) { condition(output) }
        return output
    }

    /// Signals the process and waits for it to end and for the last of its output; returns its
    /// exit status, or the number of the signal that ended it.
    func terminate(signal number: Int32 = SIGTERM) -> Int32 {
        process.signal(number)
        let ended = process.wait()
        // A killed worker's Python workers may hold the pipe a little longer; do not wait for them.
        _ = closed.wait(timeout: .now() + (number == SIGKILL ? 0 : 10))
        return ended.status
    }

    deinit {
        process.signal(SIGKILL)
        process.wait()
    }
}

/// A tiny HTTP listener (Python's http.server) that records every POST body, one per line.
final class Listener: @unchecked Sendable {
    let process: Spawned
    let file: String
    var port = 0

    init(directory: TemporaryDirectory) throws {
        file = directory.appending("received.jsonl")
        let script = """
            import http.server, sys
            class Handler(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                    with open(sys.argv[1], "ab") as out: out.write(body.replace(b"\\n", b" ") + b"\\n")
                    self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
                def log_message(self, *args): pass
            server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
            print(server.server_port, flush=True)
            server.serve_forever()
            """
        process = try Spawned("/usr/bin/env", ["python3", "-c", script, file], output: .pipe, error: .null)
        let output = process.output!
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    var received: [[String: Any]] {
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    // SIGKILL: the listener was seen to outlive SIGTERM when started from the test runner.
    deinit {
        process.signal(SIGKILL)
        process.wait()
    }
}

@Suite(.serialized, .onTestThreads) struct TriggerTests {
    /// A bare repository with the hook installed, pushed to with `git push` from a clone: a
    /// feature push gives a session, a merge to development a staging bundle, a pushed tag a
    /// release bundle and production, all by a worker running in the background.
    @Test(.timeLimit(.minutes(5)))
    func pushesReachTheFactoryThroughTheHook() async throws {
        let origin = try GitFixture("origin", bare: true)
        let home = TemporaryDirectory("home")
        let hooks = origin.path + "/hooks"
        try FileManager.default.createDirectory(atPath: hooks, withIntermediateDirectories: true)
        let existing = "#!/bin/sh\ncat >> \"$(dirname \"$0\")/../chained.log\"\necho 'existing hook ran'\n"
        try Data(existing.utf8).write(to: URL(fileURLWithPath: hooks + "/post-receive"))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hooks + "/post-receive")

        let installed = try await mf(["hook", "install", "--repo", origin.path, "--home", home.path, "--json"])
        #expect(installed.status == 0, "\(installed.stderr)")
        let outcome = try #require(try json(installed) as? [String: Any])
        #expect(outcome["action"] as? String == "installed" && (outcome["chained"] as? String)?.hasSuffix("post-receive.before-mf") == true)
        #expect(try await mf(["hook", "install", "--repo", origin.path, "--home", home.path, "--json"]).stdout.contains("\"updated\""))

        // A clone, as a modeller has it.
        let work = origin.directory.appending("work")
        try origin.git(["clone", "-q", origin.path, work], in: origin.directory.path)
        @discardableResult func git(_ arguments: [String]) throws -> String { try origin.git(arguments, in: work) }
        try git(["checkout", "-q", "-b", "master"])
        try writeTriggerModel(in: work)
        try git(["add", "-A"])
        try git(["commit", "-q", "-m", "model"])
        try git(["branch", "development"])
        let pushed = try await runProcess(
            "/usr/bin/git", ["-C", work, "push", "-q", "origin", "master", "development"], environment: gitEnvironment(home: origin.directory.path))
        #expect(pushed.status == 0, "\(pushed.stderr)")
        #expect(pushed.stderr.contains("existing hook ran") && !pushed.stderr.contains("mf: "), "\(pushed.stderr)")
        // The push returned with the work queued and none of it done: no worker runs yet.
        let waiting = try JobQueue(store: try SQLiteStore(path: home.appending("factory.sqlite"))).jobs()
        #expect(waiting.map(\.state) == [.queued] && waiting.first?.trigger == .hook, "\(waiting)")
        #expect(try SQLiteStore(path: home.appending("factory.sqlite")).sessions(limit: 10).isEmpty)

        let worker = try BackgroundMF(["worker", "--home", home.path, "--poll", "0.2", "--lease", "10", "--json"])
        let store = try SQLiteStore(path: home.appending("factory.sqlite"))

        // A feature branch pushed: a session of its head.
        try git(["checkout", "-q", "-b", "feature/threshold", "development"])
        try Data("4.5\n".utf8).write(to: URL(fileURLWithPath: work + "/notes.txt"))
        try git(["add", "-A"])
        try git(["commit", "-q", "-m", "feature"])
        let feature = try git(["rev-parse", "HEAD"])
        try git(["push", "-q", "origin", "feature/threshold"])
        #expect(
            try await eventually { try store.sessions(limit: 50).contains { $0.session.commit == feature && $0.session.status == .passed } },
            "no session of the feature head: \(worker.output)")
        let session = try #require(try store.sessions(limit: 50).first { $0.session.commit == feature }?.session)
        #expect(session.trigger == .hook)
        #expect(try await eventually { FileManager.default.fileExists(atPath: home.appending("reports/\(session.id).html")) }, "the worker wrote no report")

        // Merged into development: a staging bundle of the development head.
        try git(["checkout", "-q", "development"])
        try git(["merge", "-q", "--no-ff", "-m", "merge feature", "feature/threshold"])
        let development = try git(["rev-parse", "HEAD"])
        try git(["push", "-q", "origin", "development"])
        #expect(
            try await eventually { try store.bundles().contains { $0.bundle.ref == "refs/heads/development" && $0.bundle.commit == development } },
            "no staging bundle: \(worker.output)")

        // Released: a tag on master gives a release bundle and moves production.
        try git(["checkout", "-q", "master"])
        try git(["merge", "-q", "--no-ff", "-m", "release", "development"])
        try git(["tag", "-a", "-m", "release", "v1.0.0"])
        try git(["push", "-q", "origin", "master", "v1.0.0"])
        #expect(
            try await eventually {
                try store.bundles().contains { $0.bundle.tag == "v1.0.0" }
                    && store.environments(repository: origin.path).contains { $0.name == "production" && $0.version == "1.0.0" }
            }, "no release: \(worker.output)")

        #expect(worker.terminate() == 0, "\(worker.output)")
        #expect(worker.output.contains("\"event\":\"stopped\""), "\(worker.output)")
        let jobs = try JobQueue(store: store).jobs()
        #expect(!jobs.isEmpty && jobs.allSatisfy { $0.state == .done }, "\(jobs)")
        // The hook that was there saw every push.
        let chained = try String(contentsOfFile: origin.path + "/chained.log", encoding: .utf8)
        for ref in ["refs/heads/master", "refs/heads/development", "refs/heads/feature/threshold", "refs/tags/v1.0.0"] {
            #expect(chained.contains(ref), "\(ref) not in \(chained)")
        }

        // Uninstalled: the hook that was there is back, byte for byte.
        #expect(try await mf(["hook", "uninstall", "--repo", origin.path]).status == 0)
        #expect(try String(contentsOfFile: hooks + "/post-receive", encoding: .utf8) == existing)
        expectOneLineError(try await mf(["hook", "uninstall", "--repo", origin.path]), containing: "was not installed by mf")
    }

    /// A worker killed (kill -9) in the middle of a session: the next worker takes the job up
    /// after the lease, finishes it, and nothing is done twice. Notifications go out, a channel
    /// that is down fails nothing, and the report of each session is written.
    @Test(.timeLimit(.minutes(5)))
    func aKilledWorkersJobIsFinishedByTheNext() async throws {
        let fixture = try GitFixture("killed")
        let home = TemporaryDirectory("home")
        try writeTriggerModel(in: fixture.path)
        try fixture.directory.write("repo/sleep.txt", "0.1")
        try fixture.git(["add", "-A"])
        try fixture.git(["commit", "-q", "-m", "model"])
        try fixture.git(["tag", "-a", "-m", "release", "v1.0.0"])
        // A feature whose evaluation fails its gate: a failed session to hear about.
        try fixture.git(["checkout", "-q", "-b", "development"])
        try fixture.git(["checkout", "-q", "-b", "feature/worse"])
        try fixture.directory.write("repo/auc.txt", "0.5")
        try fixture.directory.write("repo/sleep.txt", "0")
        try fixture.git(["add", "-A"])
        try fixture.git(["commit", "-q", "-m", "worse"])
        try fixture.git(["checkout", "-q", "master"])
        let tagged = try fixture.id("v1.0.0^{commit}")

        let queued = try await mf(["enqueue", "--repo", fixture.path, "--home", home.path, "--json"])
        #expect(queued.status == 0, "\(queued.stderr)")
        #expect((try json(queued) as? [String: Any])?["outcome"] as? String == "queued")
        let store = try SQLiteStore(path: home.appending("factory.sqlite"))
        let hold = fixture.directory.appending("hold")
        let first = try BackgroundMF(["worker", "--home", home.path, "--poll", "0.2", "--lease", "2"], environment: ["MF_TEST_HOLD": hold])
        // Killed while the release's session trains (held until the file `hold` exists).
        #expect(try await eventually(seconds: 120) { FileManager.default.fileExists(atPath: hold + ".held") }, "\(first.output)")
        #expect(try store.sessions(limit: 10).contains { $0.session.commit == tagged && $0.session.status == .running })
        // Its plugin, held in training, exits when it finds its worker gone.
        _ = first.terminate(signal: SIGKILL)
        #expect(try JobQueue(store: store).jobs().first?.state == .running, "the killed worker's job is still held")

        let listener = try Listener(directory: fixture.directory)
        let second = try await mf([
            "worker", "--home", home.path, "--poll", "0.2", "--lease", "2", "--until-idle",
            "--notify", "http://127.0.0.1:\(listener.port)/hook", "--notify", "http://127.0.0.1:1/down", "--ui-url", "https://factory.example/ui",
        ])
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(second.stderr.contains("notification to 127.0.0.1 failed"), "\(second.stderr)")
        let job = try #require(try JobQueue(store: store).jobs().first)
        #expect(job.state == .done && job.attempts == 2, "\(job)")

        // Nothing lost, nothing twice: one passed session of the release, the killed one marked.
        let sessions = try store.sessions(limit: 50).map(\.session).filter { $0.commit == tagged }
        #expect(sessions.filter { $0.status == .passed }.count == 1, "\(sessions)")
        #expect(sessions.filter { $0.failure?.hasPrefix("interrupted") == true }.count == 1, "\(sessions)")
        let bundles = try store.bundles().filter { $0.bundle.tag == "v1.0.0" }
        #expect(bundles.count == 1)
        #expect(try await mf(["verify", bundles[0].bundle.archive]).status == 0)
        // The kill left no trace in the bundle: a fresh home makes the same bytes (the session
        // that did the work again has the id a fresh home gives; the killed one was renamed).
        let interrupted = try #require(sessions.first { $0.failure?.hasPrefix("interrupted") == true })
        #expect(interrupted.id.contains("-interrupted-"), "\(interrupted.id)")
        let fresh = TemporaryDirectory("home")
        let again = try await mf(["bundle", "v1.0.0", "--repo", fixture.path, "--home", fresh.path, "--json"])
        let freshBundle = try #require((try json(again) as? [[String: Any]])?.first, "\(again.stderr)")
        #expect(freshBundle["sha256"] as? String == bundles[0].bundle.sha256, "a bundle made after a kill differs from a fresh home's")

        // What the team hears.
        let texts = listener.received.compactMap { $0["text"] as? String }
        let kinds = Set(listener.received.compactMap { ($0["mf"] as? [String: Any])?["kind"] as? String })
        #expect(kinds.isSuperset(of: ["release-bundled", "environment-changed", "session-failed"]), "\(texts)")
        #expect(texts.contains { $0.contains("1.0.0") && $0.contains("v1.0.0") }, "\(texts)")
        // Each links to its page of the dashboard (--ui-url).
        let urls = listener.received.compactMap { ($0["mf"] as? [String: Any])?["url"] as? String }
        let failed = try #require(try store.sessions(limit: 50).map(\.session).first { $0.failedForGood })
        #expect(urls.count == listener.received.count && urls.contains("https://factory.example/ui/sessions/\(failed.id)"), "\(urls)")
        #expect(urls.contains("https://factory.example/ui/models/\(bundles[0].model)/versions/1.0.0"), "\(urls)")

        // A report of each session the second worker ran, and one on demand.
        let passed = try #require(sessions.first { $0.status == .passed })
        #expect(FileManager.default.fileExists(atPath: home.appending("reports/\(passed.id).html")))
        let page = fixture.directory.appending("report.html")
        let written = try await mf(["report", "v1.0.0", "--home", home.path, "--output", page, "--json"])
        #expect(written.status == 0, "\(written.stderr)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        for part in ["<h2>Steps</h2>", ">train<", ">auc<", "All gates held.", "<svg", "v1.0.0", passed.id] {
            #expect(html.contains(part), "\(part) is not in the report")
        }
        // Self-contained: no script, and nothing loaded from elsewhere (the SVG namespace is a name, not a load).
        #expect(!html.contains("<script"))
        let outside = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        for loader in ["http://", "https://", "src=", "href=", "url(", "@import"] { #expect(!outside.contains(loader), "the report loads \(loader)") }
        expectOneLineError(try await mf(["report", "nosuch", "--home", home.path]), containing: "no session or version 'nosuch'")
    }

    /// SIGTERM while a job runs: the worker takes no new job, finishes the one in hand (its
    /// session passes, its bundle is made) and exits 0; the other repository's job stays queued.
    @Test(.timeLimit(.minutes(3)))
    func sigtermFinishesTheJobInHand() async throws {
        let home = TemporaryDirectory("home")
        var fixtures: [GitFixture] = []
        for name in ["slow", "next"] {
            let fixture = try triggerRepository(name, files: ["sleep.txt": name == "slow" ? "3" : "0"])
            #expect(try await mf(["enqueue", "--repo", fixture.path, "--home", home.path]).status == 0)
            fixtures.append(fixture)
        }
        let store = try SQLiteStore(path: home.appending("factory.sqlite"))
        let worker = try BackgroundMF(["worker", "--home", home.path, "--poll", "0.2", "--concurrency", "1", "--json"])
        let slow = try fixtures[0].id("v1.0.0^{commit}")
        #expect(try await eventually(seconds: 60) { try store.sessions(limit: 10).contains { $0.session.commit == slow && $0.session.status == .running } })
        #expect(worker.terminate() == 0, "\(worker.output)")
        let jobs = try JobQueue(store: store).jobs().sorted { ($0.id ?? 0) < ($1.id ?? 0) }
        #expect(jobs.map(\.state) == [.done, .queued], "\(jobs)")
        #expect(try store.sessions(limit: 10).filter { $0.session.commit == slow }.map(\.session.status) == [.passed])
        #expect(try store.bundles().map(\.bundle.commit) == [slow])
    }

    /// Work on different repositories runs in parallel up to --concurrency; two jobs of one
    /// repository never run at once, even with two worker processes.
    @Test(.timeLimit(.minutes(3)))
    func repositoriesInParallelOneRepositoryAtATime() async throws {
        let home = TemporaryDirectory("home")
        var fixtures: [GitFixture] = []
        for name in ["left", "right"] {
            let fixture = try triggerRepository(name, files: ["sleep.txt": "2"], tag: nil)
            try fixture.git(["checkout", "-q", "-b", "feature/a"])
            try fixture.commit("a", file: "a.txt")
            try fixture.git(["checkout", "-q", "-b", "feature/b", "master"])
            try fixture.commit("b", file: "b.txt")
            fixtures.append(fixture)
        }
        // Two repositories, one worker with --concurrency 2: their sessions overlap in time.
        for fixture in fixtures { #expect(try await mf(["enqueue", "--repo", fixture.path, "--home", home.path]).status == 0) }
        async let one = mf(["worker", "--home", home.path, "--poll", "0.2", "--until-idle", "--concurrency", "2"])
        async let two = mf(["worker", "--home", home.path, "--poll", "0.2", "--until-idle", "--concurrency", "2"])
        let (first, second) = try await (one, two)
        #expect(first.status == 0 && second.status == 0, "\(first.stderr)\(second.stderr)")
        let store = try SQLiteStore(path: home.appending("factory.sqlite"))
        let sessions = try store.sessions(limit: 20)
        #expect(sessions.count == 4, "\(sessions.map(\.session.ref))")
        func spans(_ fixture: GitFixture) throws -> [(Date, Date)] {
            let location = try Repository.open(at: fixture.path).location
            return try store.sessions(repository: location, since: .distantPast).map { ($0.session.startedAt, $0.session.endedAt ?? .distantFuture) }
        }
        let left = try spans(fixtures[0])
        let right = try spans(fixtures[1])
        func overlap(_ a: (Date, Date), _ b: (Date, Date)) -> Bool { a.0 < b.1 && b.0 < a.1 }
        #expect(left.count == 2 && right.count == 2)
        #expect(left.contains { l in right.contains { overlap(l, $0) } }, "the two repositories were not worked on in parallel")

        // One repository, two worker processes: a job queued while another of the same
        // repository runs waits for it, whichever worker takes it.
        try fixtures[0].git(["checkout", "-q", "-b", "feature/c", "master"])
        let head = try fixtures[0].commit("c", file: "c.txt")
        #expect(try await mf(["enqueue", "--repo", fixtures[0].path, "--home", home.path]).status == 0)
        let busy = try BackgroundMF(["worker", "--home", home.path, "--poll", "0.2", "--until-idle"])
        #expect(try await eventually(seconds: 60) { try store.sessions(limit: 20).contains { $0.session.commit == head && $0.session.status == .running } })
        #expect(try await mf(["enqueue", "--repo", fixtures[0].path, "--home", home.path]).status == 0)
        let other = try await mf(["worker", "--home", home.path, "--poll", "0.2", "--until-idle"])
        #expect(other.status == 0 && busy.terminate() == 0)
        let jobs = try JobQueue(store: store).jobs().filter { $0.repository == (try? Repository.open(at: fixtures[0].path).location) }
            .sorted { ($0.id ?? 0) < ($1.id ?? 0) }
        let (earlier, later) = (try #require(jobs.dropLast().last), try #require(jobs.last))
        #expect(earlier.state == .done && later.state == .done, "\(jobs)")
        #expect(try #require(later.startedAt) >= (try #require(earlier.endedAt)), "two jobs of one repository ran at once: \(jobs)")
    }

    /// A job queued while the worker waits is taken at once, not at the next poll: the worker
    /// watches the store for commits.
    @Test(.timeLimit(.minutes(3)))
    func aQueuedJobWakesTheWorker() async throws {
        let home = TemporaryDirectory("home")
        let fixture = try triggerRepository("woken")
        let first = try triggerRepository("first", tag: nil)
        // A first job, so that the worker has looked at the queue and is waiting when the
        // second arrives (with --poll 60 its next look is a minute away).
        #expect(try await mf(["enqueue", "--repo", first.path, "--home", home.path]).status == 0)
        let worker = try BackgroundMF(["worker", "--home", home.path, "--poll", "60", "--json"])
        try await worker.wait(seconds: 60) { $0.contains("\"finished\"") }
        #expect(try await mf(["enqueue", "--repo", fixture.path, "--home", home.path]).status == 0)
        let store = try SQLiteStore(path: home.appending("factory.sqlite"))
        #expect(try await eventually(seconds: 20) { try store.bundles().contains { $0.bundle.tag == "v1.0.0" } }, "\(worker.output)")
        #expect(worker.terminate() == 0)
        // Each first attempt says how long its job waited in the queue, in seconds.
        let took = worker.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] }
            .filter { $0["event"] == "took" }
        #expect(took.count == 2 && took.allSatisfy { ($0["waited"].flatMap(Double.init) ?? -1) >= 0 }, "\(took)")
    }

    /// A failure that may pass (here: the repository's lock cannot be opened) is tried again after
    /// a wait, then given up with one notification; a broken flow configuration fails at once.
    @Test(.timeLimit(.minutes(3)))
    func failuresAreRetriedThenGivenUpOrFinalAtOnce() async throws {
        let home = TemporaryDirectory("home")
        let locked = try triggerRepository("locked", tag: nil)
        let location = try Repository.open(at: locked.path).location
        // A folder where the lock file belongs: opening it fails on every attempt.
        try FileManager.default.createDirectory(
            atPath: SQLiteStore.lockFile(database: home.appending("factory.sqlite"), repository: location), withIntermediateDirectories: true)
        let broken = try triggerRepository("broken", files: [".mf/flow.yaml": "production: [not, a, branch]\n"], tag: nil)
        for fixture in [locked, broken] { #expect(try await mf(["enqueue", "--repo", fixture.path, "--home", home.path]).status == 0) }

        let listener = try Listener(directory: locked.directory)
        let worked = try await mf(
            [
                "worker", "--home", home.path, "--poll", "0.2", "--until-idle", "--max-attempts", "2",
                "--notify", "http://127.0.0.1:\(listener.port)/hook",
            ], environment: ["MF_UI_URL": "http://127.0.0.1:8090/ui"])
        #expect(worked.status == 0, "\(worked.stdout)\(worked.stderr)")
        let jobs = try JobQueue(store: try SQLiteStore(path: home.appending("factory.sqlite"))).jobs()
        let retried = try #require(jobs.first { $0.repository == location })
        #expect(retried.state == .failed && retried.attempts == 2 && retried.lastError?.contains("lock") == true, "\(retried)")
        let final = try #require(jobs.first { $0.repository != location })
        #expect(final.state == .failed && final.attempts == 1 && final.lastError?.contains("flow.yaml") == true, "\(final)")
        let gaveUp = listener.received.filter { ($0["mf"] as? [String: Any])?["kind"] as? String == "job-failed" }
        #expect(gaveUp.count == 2, "\(listener.received)")
        #expect(gaveUp.contains { ($0["text"] as? String)?.contains("after 2 attempts") == true }, "\(gaveUp)")
        // $MF_UI_URL names the dashboard: a job given up links to the queue.
        #expect(gaveUp.allSatisfy { ($0["mf"] as? [String: Any])?["url"] as? String == "http://127.0.0.1:8090/ui/jobs" }, "\(gaveUp)")
        #expect(gaveUp.allSatisfy { ($0["text"] as? String)?.hasSuffix(" http://127.0.0.1:8090/ui/jobs") == true }, "\(gaveUp)")
    }

    /// Deliveries as GitHub, GitLab and Gitea send them: a good one is fetched into a mirror and
    /// queued; a redelivery does nothing; a bad or missing signature is 401 and queues nothing;
    /// the worker then makes the release from the mirror.
    @Test(.timeLimit(.minutes(5)))
    func webhookDeliveriesFromEachForge() async throws {
        let origin = try GitFixture("forge")
        try writeTriggerModel(in: origin.path)
        try origin.git(["add", "-A"])
        try origin.git(["commit", "-q", "-m", "model"])
        try origin.git(["tag", "-a", "-m", "release", "v1.0.0"])
        let home = TemporaryDirectory("home")
        let server = try BackgroundMF(
            ["webhook", "--port", "0", "--home", home.path, "--repository", "team/churn=\(origin.path)", "--repository", "team/gone=/nonexistent/gone.git"],
            environment: ["MF_WEBHOOK_SECRET": "s3cret"])
        let started = try await server.wait(seconds: 60) { $0.contains("/webhook\n") }
        let port = try #require(
            started.range(of: #":(\d+)/webhook"#, options: .regularExpression).map {
                Int(started[$0].dropFirst().dropLast("/webhook".count))!
            }, "mf webhook did not start: \(started)")
        let queue = JobQueue(store: try SQLiteStore(path: home.appending("factory.sqlite")))

        for (index, forge) in Forge.allCases.enumerated() {
            // As the forge sent it; --repository maps team/churn to the local repository.
            let body = try Data(contentsOf: WebhookFixtures.folder.appendingPathComponent("\(forge.rawValue)-push.json"))
            let delivery = "delivery-\(index)"
            let before = try queue.jobs().count

            let forged = try http(
                "POST", port: port, "/webhook", headers: WebhookVerifier.signedHeaders(forge, body: body, secret: "wrong", delivery: delivery), body: body)
            #expect(forged.status == 401, "\(forge): \(forged.text)")
            var unsigned = WebhookVerifier.signedHeaders(forge, body: body, secret: "s3cret", delivery: delivery)
            unsigned = unsigned.filter { !["X-Hub-Signature-256", "X-Gitea-Signature", "X-Gitlab-Token"].contains($0.key) }
            #expect(try http("POST", port: port, "/webhook", headers: unsigned, body: body).status == 401)
            #expect(try queue.jobs().count == before, "\(forge): a refused delivery queued a job")

            let good = try http(
                "POST", port: port, "/webhook", headers: WebhookVerifier.signedHeaders(forge, body: body, secret: "s3cret", delivery: delivery), body: body)
            #expect(good.status == 202, "\(forge): \(good.text)")
            let answer = try #require(try JSONSerialization.jsonObject(with: good.body) as? [String: Any])
            #expect(["queued", "merged"].contains(answer["outcome"] as? String), "\(answer)")
            // The job names the repository's identity, the URL it is fetched from (here a path).
            #expect(answer["repository"] as? String == origin.path, "\(answer)")
            let mirror = home.appending("mirrors/team/churn.git")
            #expect(try Repository.open(at: mirror).resolveCommit("v1.0.0").hex == origin.id("v1.0.0^{commit}"))

            let again = try http(
                "POST", port: port, "/webhook", headers: WebhookVerifier.signedHeaders(forge, body: body, secret: "s3cret", delivery: delivery), body: body)
            #expect(again.status == 200 && again.text.contains("\"duplicate\""), "\(forge): \(again.text)")
        }
        #expect(try queue.jobs().count == 1, "three deliveries of one repository before any worker: one job")
        // A repository the endpoint does not serve.
        var other =
            try JSONSerialization.jsonObject(with: Data(contentsOf: WebhookFixtures.folder.appendingPathComponent("github-push.json"))) as! [String: Any]
        other["repository"] = ["full_name": "team/other", "clone_url": "https://example.com/team/other.git"]
        let otherBody = try JSONSerialization.data(withJSONObject: other)
        let unknown = try http(
            "POST", port: port, "/webhook", headers: WebhookVerifier.signedHeaders(.github, body: otherBody, secret: "s3cret", delivery: "o"), body: otherBody)
        #expect(unknown.status == 404 && unknown.text.contains("team/other"), "\(unknown.text)")
        // A repository that cannot be fetched: 502, and nothing left in the mirrors folder for it.
        other["repository"] = ["full_name": "team/gone", "clone_url": "https://example.com/team/gone.git"]
        let goneBody = try JSONSerialization.data(withJSONObject: other)
        let gone = try http(
            "POST", port: port, "/webhook", headers: WebhookVerifier.signedHeaders(.github, body: goneBody, secret: "s3cret", delivery: "g"), body: goneBody)
        #expect(gone.status == 502 && gone.text.contains("could not be fetched"), "\(gone.text)")
        let mirrored = try FileManager.default.contentsOfDirectory(atPath: home.appending("mirrors/team")).sorted()
        #expect(mirrored == ["churn.git", "churn.git.lock"], "\(mirrored)")
        // A request HTTP refuses is answered in the endpoint's JSON too.
        let refused = try HTTPConnection(port: port)
        try refused.send(raw: Data("POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n".utf8))
        let malformed = try refused.receive()
        let refusal = try? malformed.json() as? [String: Any]
        #expect(
            malformed.status == 400 && malformed.headers["content-type"] == "application/json" && refusal?["outcome"] as? String == "refused"
                && (refusal?["error"] as? String)?.contains("Content-Length") == true, "\(malformed.status) \(malformed.text)")
        let nowhere = try http("GET", port: port, "/nowhere")
        #expect(
            nowhere.status == 404
                && (try? nowhere.json() as? [String: Any])?["error"] as? String == "no such endpoint: GET /nowhere; deliveries go to POST /webhook",
            "\(nowhere.status) \(nowhere.text)")
        #expect(try http("GET", port: port, "/health").status == 200)
        #expect(server.terminate() == 0)

        let worked = try await mf(["worker", "--home", home.path, "--poll", "0.2", "--until-idle"])
        #expect(worked.status == 0, "\(worked.stdout)\(worked.stderr)")
        let bundles = try #require((try json(try await mf(["bundles", "--home", home.path, "--json"])) as? [[String: Any]]))
        #expect(bundles.contains { $0["tag"] as? String == "v1.0.0" }, "\(bundles)")
    }

    /// Polling for teams without webhooks: a change queues a job, no change queues none.
    @Test func watchQueuesWhenRefsMove() async throws {
        let origin = try GitFixture("watched", bare: true)
        let work = try GitFixture("work")
        try work.commit("first")
        try work.git(["push", "-q", origin.path, "master"])
        let home = TemporaryDirectory("home")
        let first = try await mf(["watch", origin.path, "--name", "team/watched", "--once", "--home", home.path, "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let look = try #require(try json(first) as? [String: Any])
        #expect(look["outcome"] as? String == "queued" && (look["changed"] as? [String]) == ["refs/heads/master"])
        let still = try #require(
            try json(try await mf(["watch", origin.path, "--name", "team/watched", "--once", "--home", home.path, "--json"])) as? [String: Any])
        #expect((still["changed"] as? [String])?.isEmpty == true && still["job"] == nil)
        try work.commit("second")
        try work.git(["tag", "v1.0.0"])
        try work.git(["push", "-q", origin.path, "master", "v1.0.0"])
        let moved = try #require(
            try json(try await mf(["watch", origin.path, "--name", "team/watched", "--once", "--home", home.path, "--json"])) as? [String: Any])
        #expect((moved["changed"] as? [String]) == ["refs/heads/master", "refs/tags/v1.0.0"] && moved["outcome"] as? String == "merged")
        expectOneLineError(try await mf(["watch", "/nonexistent/repo.git", "--once", "--home", home.path]), containing: "could not be fetched")
    }

    @Test func badInputIsOneSentence() async throws {
        let home = TemporaryDirectory("home")
        expectOneLineError(try await mf(["enqueue", "--repo", "/nonexistent", "--home", home.path]), containing: "/nonexistent")
        expectOneLineError(try await mf(["hook", "install", "--repo", "/nonexistent", "--home", home.path]), containing: "/nonexistent")
        let noSecret = try await mf(["webhook", "--home", home.path], environment: ["MF_WEBHOOK_SECRET": ""])
        #expect(noSecret.status != 0 && noSecret.stderr.contains("no secret"), "\(noSecret.stderr)")
        let badURL = try await mf(["worker", "--home", home.path, "--notify", "ftp://x"])
        #expect(badURL.status == 64 && badURL.stderr.contains("--notify"), "\(badURL.stderr)")
        let badUI = try await mf(["worker", "--home", home.path, "--ui-url", "factory.example/ui"])
        #expect(badUI.status == 64 && badUI.stderr.contains("--ui-url factory.example/ui"), "\(badUI.stderr)")
        let badEnvironment = try await mf(["worker", "--home", home.path], environment: ["MF_UI_URL": "ftp://x"])
        #expect(badEnvironment.status == 64 && badEnvironment.stderr.contains("$MF_UI_URL ftp://x"), "\(badEnvironment.stderr)")
    }
}

enum WebhookFixtures {
    static let folder = repositoryRoot.appendingPathComponent("Tests/Fixtures/webhooks")
}
