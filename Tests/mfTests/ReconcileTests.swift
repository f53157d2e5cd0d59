import Foundation
import TestSupport
import Testing

/// A released model with a feature branch, a hotfix release and a release whose gate fails.
func reconcileRepository() throws -> GitFixture {
    let fixture = try releasedModel()
    try fixture.git(["branch", "development"])
    try fixture.git(["checkout", "-q", "-b", "feature/tweak", "development"])
    try fixture.directory.write("repo/notes.txt", "tweak\n")
    try fixture.git(["add", "-A"])
    try fixture.git(["commit", "-q", "-m", "tweak"])
    try fixture.git(["checkout", "-q", "master"])
    try fixture.directory.write("repo/fix.txt", "fix\n")
    try fixture.git(["add", "-A"])
    try fixture.git(["commit", "-q", "-m", "hotfix"])
    try fixture.git(["tag", "-a", "-m", "hotfix", "v1.0.1"])
    return fixture
}

/// A reconcile report's actions with their text fields (a missing model, version or ref is null).
func stringActions(_ report: [String: Any]) -> [[String: String]] {
    (report["actions"] as? [[String: Any]] ?? []).map { $0.compactMapValues { $0 as? String } }
}

func integrityCheck(_ home: String) throws -> String {
    let script = "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])"
    return try runProcess("/usr/bin/env", ["python3", "-c", script, home + "/factory.sqlite"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Writes a small pure-Python model at `models/NAME` of `fixture` (AUC 1 on its data).
func writeModel(_ name: String, gate: String, into fixture: GitFixture) throws {
    let folder = "repo/models/\(name)"
    try FileManager.default.createDirectory(atPath: fixture.directory.appending(folder), withIntermediateDirectories: true)
    let runner = fixture.directory.appending(folder + "/mf_runner.py")
    if !FileManager.default.fileExists(atPath: runner) {
        try FileManager.default.copyItem(atPath: repositoryRoot.appendingPathComponent("runtimes/python/mf_runner.py").path, toPath: runner)
    }
    try fixture.directory.write(
        folder + "/model.py",
        """
        from mf_runner import read_table, roc_auc
        class Model:
            def train(self, data, artifacts, seed): return {}
            def load(self, artifacts): pass
            def evaluate(self, data):
                columns, rows = read_table(data)
                return {"auc": roc_auc([int(r[1]) for r in rows], [float(r[0]) for r in rows])}
            def predict(self, instances): return [{"label": int(i["x"] > 2.5)} for i in instances]
        """)
    try fixture.directory.write(folder + "/data.csv", "x,y\n1,0\n2,0\n3,1\n4,1\n")
    try fixture.directory.write(
        folder + "/model.yaml",
        """
        name: \(name)
        runtime: python
        train: { data: data.csv }
        evaluate: { data: data.csv }
        schema: { inputs: [{ name: x, type: double }], outputs: [{ name: label, type: int }] }
        gates: { auc: "\(gate)" }
        examples: [{ x: 1 }]
        """)
}

/// Two models, `models/churn` and `models/upsell`, released as `churn@v1.0.0` and
/// `upsell@v1.0.0` on master, with development at the same commit.
func twoModelRepository() throws -> GitFixture {
    let fixture = try GitFixture("two-models")
    for name in ["churn", "upsell"] { try writeModel(name, gate: ">= 0.9", into: fixture) }
    try fixture.git(["add", "-A"])
    try fixture.git(["commit", "-q", "-m", "two models"])
    try fixture.git(["tag", "-a", "-m", "churn 1.0.0", "churn@v1.0.0"])
    try fixture.git(["tag", "-a", "-m", "upsell 1.0.0", "upsell@v1.0.0"])
    try fixture.git(["branch", "development"])
    return fixture
}

@Suite(.onTestThreads) struct ReconcileTests {
    /// Sessions for feature heads, bundles for releases, production on the newest (the hotfix);
    /// a second run does nothing; a release whose gates fail gets no bundle and says why.
    @Test func convergesAndThenDoesNothing() throws {
        let fixture = try reconcileRepository()
        let home = TemporaryDirectory("home")
        let first = try mf(["reconcile", "--repo", fixture.path, "--home", home.path, "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let report = try #require(try json(first) as? [String: Any])
        let actions = stringActions(report).map { "\($0["kind"]!) \($0["target"]!) \($0["outcome"]!)" }
        #expect(actions.contains("session feature/tweak passed"))
        #expect(actions.contains("bundle v1.0.0 done") && actions.contains("bundle v1.0.1 done"))
        #expect(actions.contains("bundle development done") && actions.contains("environment staging done"), "\(actions)")
        let production = (report["environments"] as? [[String: Any]])?.first { $0["name"] as? String == "production" }
        #expect(production?["version"] as? String == "1.0.1")
        // staging: the development head (v1.0.0's commit) as the pre-release after the newest release.
        let development = try fixture.git(["rev-parse", "--short=7", "development"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let staging = (report["environments"] as? [[String: Any]])?.first { $0["name"] as? String == "staging" }
        #expect(staging?["version"] as? String == "1.1.0-dev.g\(development)", "\(report)")

        let second = try #require(try json(try mf(["reconcile", "--repo", fixture.path, "--home", home.path, "--json"])) as? [String: Any])
        #expect((second["actions"] as? [Any])?.isEmpty == true)

        // A release whose session fails its gates: no bundle, the reason reported, production stays.
        try fixture.directory.write(
            "repo/model.yaml",
            try String(contentsOfFile: fixture.path + "/model.yaml", encoding: .utf8)
                .replacingOccurrences(of: ">= 0.9", with: ">= 1.5"))
        try fixture.git(["commit", "-q", "-am", "stricter gate"])
        try fixture.git(["tag", "-a", "-m", "r", "v1.1.0"])
        let third = try #require(try json(try mf(["reconcile", "--repo", fixture.path, "--home", home.path, "--json"])) as? [String: Any])
        let failed = stringActions(third).first { $0["target"] == "v1.1.0" }
        #expect(failed?["outcome"] == "failed" && failed?["detail"]?.contains("gets no bundle") == true, "\(third)")
        let stays = (third["environments"] as? [[String: Any]])?.first { $0["name"] as? String == "production" }
        #expect(stays?["version"] as? String == "1.0.1")
        // The failed tag is not trained again by the next run: nothing is left to do.
        let sessionsBefore = try #require(try json(try mf(["sessions", "--repo", fixture.path, "--home", home.path, "--json"])) as? [Any]).count
        let fourth = try #require(try json(try mf(["reconcile", "--repo", fixture.path, "--home", home.path, "--json"])) as? [String: Any])
        let redone = stringActions(fourth).filter { $0["outcome"] != "failed" }
        #expect(redone.isEmpty, "\(fourth)")
        #expect(stringActions(fourth).first { $0["target"] == "v1.1.0" }?["detail"]?.contains("mf build --force v1.1.0") == true)
        #expect(try #require(try json(try mf(["sessions", "--repo", fixture.path, "--home", home.path, "--json"])) as? [Any]).count == sessionsBefore)

        // `mf status` shows the environment's desired and current release, and why they differ.
        let status = try #require(try json(try mf(["status", "--repo", fixture.path, "--home", home.path, "--json"])) as? [String: Any])
        let environments = try #require(status["environments"] as? [[String: Any]])
        let environment = try #require(environments.first { $0["name"] as? String == "production" }?.compactMapValues { $0 as? String })
        #expect(environment["desired"] == "1.1.0" && environment["ref"] == "v1.1.0" && environment["current"] == "1.0.1")
        #expect(environment["reason"]?.contains("v1.1.0 has no bundle: its session") == true, "\(environment)")
        #expect(environment["reason"]?.contains("gates: auc >= 1.5") == true, "\(environment)")
        // staging's desired version follows the newest release (now 1.1.0), so it is behind until the next reconcile.
        let stagingStatus = try #require(environments.first { $0["name"] as? String == "staging" })
        #expect(stagingStatus["desired"] as? String == "1.2.0-dev.g\(development)" && stagingStatus["ref"] as? String == "development")
        let unbundled = try #require(status["unbundled"] as? [[String: Any]])
        #expect(unbundled.map { $0["tag"] as? String } == ["v1.1.0"] && (unbundled.first?["reason"] as? String)?.contains("gates: auc >= 1.5") == true)
        let text = try mf(["status", "--repo", fixture.path, "--home", home.path])
        #expect(text.stdout.contains("Environment production: desired 1.1.0 (v1.1.0), current 1.0.1"), "\(text.stdout)")
        #expect(text.stdout.contains("Release v1.1.0 has no bundle: its session"), "\(text.stdout)")
    }

    /// staging follows the development head: a new commit there gets a pre-release bundle and
    /// staging moves to it; a head whose gates fail gets none, staging stays, and status says why.
    @Test func stagingFollowsTheDevelopmentHead() throws {
        let fixture = try reconcileRepository()
        let home = TemporaryDirectory("home")
        #expect(try mf(["reconcile", "--repo", fixture.path, "--home", home.path]).status == 0)
        try fixture.git(["checkout", "-q", "development"])
        try fixture.git(["merge", "-q", "--no-ff", "-m", "merge feature/tweak", "feature/tweak"])
        let merged = try fixture.git(["rev-parse", "--short=7", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)

        let before = try #require(try json(try mf(["status", "--repo", fixture.path, "--home", home.path, "--json"])) as? [String: Any])
        let behind = try #require((before["environments"] as? [[String: Any]])?.first { $0["name"] as? String == "staging" })
        #expect(behind["desired"] as? String == "1.1.0-dev.g\(merged)", "\(behind)")
        #expect((behind["reason"] as? String)?.contains("not bundled yet") == true, "\(behind)")

        let report = try #require(try json(try mf(["reconcile", "--repo", fixture.path, "--home", home.path, "--json"])) as? [String: Any])
        let staging = (report["environments"] as? [[String: Any]])?.first { $0["name"] as? String == "staging" }
        #expect(staging?["version"] as? String == "1.1.0-dev.g\(merged)" && staging?["tag"] is NSNull, "\(report)")
        let bundles = try #require(try json(try mf(["bundles", "--home", home.path, "--json"])) as? [[String: Any]])
        let row = try #require(bundles.first { $0["version"] as? String == "1.1.0-dev.g\(merged)" })
        #expect(row["tag"] is NSNull && row["ref"] as? String == "refs/heads/development", "\(row)")
        #expect(try mf(["verify", row["archive"] as! String]).status == 0)
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: (row["path"] as! String) + "/bundle.json"))) as? [String: Any])
        #expect(manifest["tag"] == nil && manifest["ref"] as? String == "refs/heads/development")

        // A development head that fails its gates: no staging bundle, staging stays, status says why.
        try fixture.directory.write(
            "repo/model.yaml",
            try String(contentsOfFile: fixture.path + "/model.yaml", encoding: .utf8)
                .replacingOccurrences(of: ">= 0.9", with: ">= 1.5"))
        try fixture.git(["commit", "-q", "-am", "stricter gate"])
        let failing = try fixture.git(["rev-parse", "--short=7", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let third = try #require(try json(try mf(["reconcile", "--repo", fixture.path, "--home", home.path, "--json"])) as? [String: Any])
        let failed = stringActions(third).first { $0["target"] == "development" }
        #expect(failed?["outcome"] == "failed" && failed?["detail"]?.contains("gets no bundle") == true, "\(third)")
        let stays = (third["environments"] as? [[String: Any]])?.first { $0["name"] as? String == "staging" }
        #expect(stays?["version"] as? String == "1.1.0-dev.g\(merged)")
        let after = try #require(try json(try mf(["status", "--repo", fixture.path, "--home", home.path, "--json"])) as? [String: Any])
        let reason = (after["environments"] as? [[String: Any]])?.first { $0["name"] as? String == "staging" }?["reason"] as? String
        #expect(reason?.contains("development at \(failing) has no bundle: its session") == true, "\(String(describing: reason))")
    }

    /// A hotfix branch's head gets a session, as a feature's does; released, it replaces production.
    @Test func hotfixHeadsGetSessions() throws {
        let fixture = try reconcileRepository()
        try fixture.git(["checkout", "-q", "-b", "hotfix/1.0.2", "v1.0.1"])
        try fixture.commit("second fix", file: "fix.txt")
        let home = TemporaryDirectory("home")
        let report = try #require(try json(try mf(["reconcile", "--repo", fixture.path, "--home", home.path, "--json"])) as? [String: Any])
        let actions = stringActions(report).map { "\($0["kind"]!) \($0["target"]!) \($0["outcome"]!)" }
        #expect(actions.contains("session hotfix/1.0.2 passed"), "\(actions)")
        try fixture.git(["checkout", "-q", "master"])
        try fixture.git(["merge", "-q", "--no-ff", "-m", "hotfix 1.0.2", "hotfix/1.0.2"])
        try fixture.git(["tag", "-a", "-m", "hotfix", "v1.0.2"])
        let released = try #require(try json(try mf(["reconcile", "--repo", fixture.path, "--home", home.path, "--json"])) as? [String: Any])
        let production = (released["environments"] as? [[String: Any]])?.first { $0["name"] as? String == "production" }
        #expect(production?["version"] as? String == "1.0.2", "\(released)")
    }

    /// Two reconciles at once do each piece of work once.
    @Test func concurrentRunsDoEachThingOnce() throws {
        let fixture = try reconcileRepository()
        let home = TemporaryDirectory("home")
        let group = DispatchGroup()
        nonisolated(unsafe) var results: [ProcessResult?] = [nil, nil]
        for index in 0..<2 {
            group.enter()
            DispatchQueue.global().async {
                results[index] = try? mf(["reconcile", "--repo", fixture.path, "--home", home.path, "--json"])
                group.leave()
            }
        }
        group.wait()
        let bundleActions = try results.map { result -> [String] in
            let finished = try #require(result)
            let report = try #require(try json(finished) as? [String: Any])
            return stringActions(report).filter { $0["kind"] == "bundle" }.map { $0["target"]! }
        }
        #expect((bundleActions[0] + bundleActions[1]).sorted() == ["development", "v1.0.0", "v1.0.1"])
        let sessions = try #require(try json(try mf(["sessions", "--repo", fixture.path, "--home", home.path, "--json"])) as? [[String: Any]])
        #expect(sessions.count == 3, "\(sessions.map { $0["ref"] ?? "" })")
        #expect(try integrityCheck(home.path) == "ok")
    }

    /// Killed at any moment (kill -9), a reconcile leaves no partial bundle in place and an
    /// intact store, and the next run finishes the work. Each case kills it the moment its home
    /// shows a stage of the work: the store made, a build being exported, a session's worker
    /// running, a session's artifacts written, a bundle being assembled (its folder set aside).
    @Test(arguments: KillMoment.allCases)
    func killedMidwayTheNextRunFinishes(at moment: KillMoment) throws {
        let fixture = try reconcileRepository()
        let home = TemporaryDirectory("home")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mfBinary)
        process.arguments = ["reconcile", "--repo", fixture.path, "--home", home.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let reached = pollUntil(seconds: 60, every: .microseconds(500)) { !process.isRunning || moment.isReached(in: home.path) }
        #expect(reached, "\(moment) was not reached within a minute")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        if moment != .bundleAside { #expect(process.terminationReason == .uncaughtSignal, "the run ended before \(moment)") }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: home.appending("bundles/demo"))) ?? [] {
            #expect(try mf(["verify", home.appending("bundles/demo/\(name)")]).status == 0, "a partial bundle is visible at \(name)")
        }
        #expect(try integrityCheck(home.path) == "ok")
        let next = try mf(["reconcile", "--repo", fixture.path, "--home", home.path, "--json"])
        #expect(next.status == 0, "\(next.stderr)")
        for version in ["1.0.0", "1.0.1"] {
            let verified = try mf(["verify", home.appending("bundles/demo/\(version)")])
            #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
            #expect(try mf(["verify", home.appending("bundles/demo/demo-\(version).tar.gz")]).status == 0)
        }
        let report = try #require(try json(try mf(["reconcile", "--repo", fixture.path, "--home", home.path, "--json"])) as? [String: Any])
        #expect((report["actions"] as? [Any])?.isEmpty == true)
        // Nothing half-made is left behind: the next run swept what the killed one was assembling.
        for parent in ["bundles", "builds"] {
            let left = ((try? FileManager.default.contentsOfDirectory(atPath: home.appending(parent))) ?? []).filter { $0.contains(".building-") }
            #expect(left.isEmpty, "\(parent): \(left)")
        }
    }

    /// Several models in one repository are reconciled each on its own: churn fails its gates on
    /// development and in its release, and upsell still gets its staging and release bundles and
    /// its environments, also after a commit that touches only models/upsell. Status gives each
    /// model's own reason; the JSON has ISO 8601 times, a staging tag of null, and ref names.
    @Test func severalModelsAreReconciledEachOnItsOwn() async throws {
        let fixture = try twoModelRepository()
        let home = TemporaryDirectory("home")
        let run = { (arguments: [String]) async throws -> ProcessResult in
            try await mf(arguments + ["--repo", fixture.path, "--home", home.path])
        }
        try fixture.git(["checkout", "-q", "development"])
        try writeModel("churn", gate: ">= 1.5", into: fixture)
        try fixture.git(["commit", "-q", "-am", "churn: a gate it fails"])
        try fixture.git(["checkout", "-q", "-b", "feature/churn-notes"])
        try fixture.commit("notes", file: "models/churn/NOTES")
        try fixture.git(["checkout", "-q", "development"])

        let first = try await run(["reconcile", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let report = try #require(try json(first) as? [String: Any])
        let actions = (report["actions"] as? [[String: Any]] ?? []).map {
            "\($0["kind"] as? String ?? "") \($0["target"] as? String ?? "") \($0["model"] as? String ?? "-") \($0["outcome"] as? String ?? "")"
        }
        #expect(actions.contains("session feature/churn-notes churn failed") && actions.contains("session feature/churn-notes upsell passed"), "\(actions)")
        #expect(actions.contains("bundle churn@v1.0.0 churn done") && actions.contains("bundle upsell@v1.0.0 upsell done"), "\(actions)")
        #expect(actions.contains("bundle development churn failed") && actions.contains("bundle development upsell done"), "\(actions)")
        #expect(actions.contains("environment staging upsell done") && !actions.contains("environment staging churn done"), "\(actions)")
        let environments = try #require(report["environments"] as? [[String: Any]])
        let upsellStaging = try #require(environments.first { $0["model"] as? String == "upsell" && $0["name"] as? String == "staging" })
        #expect(upsellStaging["tag"] is NSNull, "\(upsellStaging)")
        let production = try #require(environments.first { $0["model"] as? String == "churn" && $0["name"] as? String == "production" })
        #expect(production["tag"] as? String == "churn@v1.0.0")
        let stamp = try #require(production["updatedAt"] as? String, "updatedAt is \(String(describing: production["updatedAt"]))")
        #expect(stamp.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/) != nil, "\(stamp)")
        let text = try await run(["reconcile"])
        #expect(
            text.stdout.contains("session feature/churn-notes: failed churn") && text.stdout.contains("`mf build --force feature/churn-notes` runs it again"),
            "\(text.stdout)")

        // A commit that touches only models/upsell: upsell's staging moves on; churn fails again, alone.
        try fixture.commit("upsell notes", file: "models/upsell/NOTES")
        let head = try fixture.git(["rev-parse", "--short=7", "HEAD"])
        let second = try #require(try json(try await run(["reconcile", "--json"])) as? [String: Any])
        let staged = (second["environments"] as? [[String: Any]])?.first { $0["model"] as? String == "upsell" && $0["name"] as? String == "staging" }
        #expect(staged?["version"] as? String == "1.1.0-dev.g\(head)", "\(second)")

        // Released: upsell@v1.1.0 is bundled and served in production; churn@v1.1.0 fails and churn stays.
        try fixture.git(["checkout", "-q", "master"])
        try fixture.git(["merge", "-q", "--no-ff", "-m", "release", "development"])
        try fixture.git(["tag", "-a", "-m", "churn 1.1.0", "churn@v1.1.0"])
        try fixture.git(["tag", "-a", "-m", "upsell 1.1.0", "upsell@v1.1.0"])
        let third = try #require(try json(try await run(["reconcile", "--json"])) as? [String: Any])
        let running = Dictionary(
            uniqueKeysWithValues: (third["environments"] as? [[String: Any]] ?? []).map {
                ("\($0["model"] as? String ?? "") \($0["name"] as? String ?? "")", $0["version"] as? String ?? "")
            })
        #expect(running["upsell production"] == "1.1.0" && running["churn production"] == "1.0.0" && running["churn staging"] == nil, "\(running)")

        // Status: each model's own reason, never "run mf reconcile", which would not help.
        let status = try #require(try json(try await run(["status", "--json"])) as? [String: Any])
        let statuses = try #require(status["environments"] as? [[String: Any]])
        func environment(_ model: String, _ name: String) -> [String: Any]? {
            statuses.first { $0["model"] as? String == model && $0["name"] as? String == name }
        }
        let churnProduction = try #require(environment("churn", "production"))
        #expect(churnProduction["desired"] as? String == "1.1.0" && churnProduction["current"] as? String == "1.0.0")
        let reason = try #require(churnProduction["reason"] as? String)
        #expect(reason.hasPrefix("churn@v1.1.0 has no bundle: its session") && reason.contains("gates: auc >= 1.5"), "\(reason)")
        let churnStaging = try #require(environment("churn", "staging"))
        #expect((churnStaging["reason"] as? String)?.hasPrefix("churn on development at \(head) has no bundle: its session") == true, "\(churnStaging)")
        #expect(environment("upsell", "production")?["reason"] is NSNull && environment("upsell", "staging")?["reason"] is NSNull, "\(statuses)")
        #expect(!statuses.contains { ($0["reason"] as? String)?.contains("run mf reconcile") == true }, "\(statuses)")
        let statusText = try await run(["status"])
        #expect(
            statusText.stdout.contains("Environment production (churn): desired 1.1.0 (churn@v1.1.0), current 1.0.0 — churn@v1.1.0 has no bundle: its session"),
            "\(statusText.stdout)")
        #expect(statusText.stdout.contains("Release churn@v1.1.0 has no bundle: its session"), "\(statusText.stdout)")

        // The failed release's report charts its own value beside the release that passed and marks the gate that failed.
        let page = try await mf(["report", "churn@v1.1.0", "--output", "-", "--home", home.path])
        #expect(page.status == 0, "\(page.stderr)")
        #expect(page.stdout.contains("<title>v1.1.0: 1 (this session, failed)</title>") && page.stdout.contains("<title>v1.0.0: 1</title>"), "\(page.stdout)")
        #expect(page.stdout.contains("<tr><td>auc &gt;= 1.5: 1, which fails</td><td class=\"failed\">failed</td></tr>"), "\(page.stdout)")

        // Sessions record the ref they were built for, not the commit id they were built by.
        let sessions = try #require(try json(try await run(["sessions", "--json"])) as? [[String: Any]])
        let refs = Set(sessions.compactMap { $0["ref"] as? String })
        #expect(
            refs == [
                "refs/heads/feature/churn-notes", "refs/tags/churn@v1.0.0", "refs/tags/upsell@v1.0.0", "refs/heads/development",
                "refs/tags/churn@v1.1.0", "refs/tags/upsell@v1.1.0",
            ], "\(refs)")
        #expect(sessions.allSatisfy { ($0["startedAt"] as? String)?.hasSuffix("Z") == true })
        // Bundles were made for upsell's release and staging heads, and none for churn's failures.
        let bundles = try #require(try json(try await mf(["bundles", "--home", home.path, "--json"])) as? [[String: Any]])
        #expect(
            Set(bundles.map { "\($0["model"] as? String ?? "") \($0["version"] as? String ?? "")" }).isSuperset(of: [
                "churn 1.0.0", "upsell 1.0.0", "upsell 1.1.0", "upsell 1.1.0-dev.g\(head)",
            ]) && !bundles.contains { $0["model"] as? String == "churn" && $0["version"] as? String != "1.0.0" }, "\(bundles)")
    }
}

/// A stage of a reconcile's work, as its home shows it.
enum KillMoment: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case storeMade, buildExporting, workerRunning, artifactsWritten, bundleAside

    var testDescription: String { rawValue }

    func isReached(in home: String) -> Bool {
        func entries(_ folder: String) -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: home + "/" + folder)) ?? [] }
        switch self {
        case .storeMade: return FileManager.default.fileExists(atPath: home + "/factory.sqlite")
        case .buildExporting: return entries("builds").contains { $0.contains(".building-") }
        case .workerRunning: return entries("sessions").contains { FileManager.default.fileExists(atPath: home + "/sessions/\($0)/worker.log") }
        case .artifactsWritten: return entries("sessions").contains { !entries("sessions/\($0)/artifacts").isEmpty }
        case .bundleAside: return entries("bundles").contains { $0.hasPrefix(".building-") }
        }
    }
}
