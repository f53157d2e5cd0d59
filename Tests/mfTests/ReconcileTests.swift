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

func integrityCheck(_ home: String) throws -> String {
    let script = "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])"
    return try runProcess("/usr/bin/env", ["python3", "-c", script, home + "/factory.sqlite"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

@Suite struct ReconcileTests {
    /// Sessions for feature heads, bundles for releases, production on the newest (the hotfix);
    /// a second run does nothing; a release whose gates fail gets no bundle and says why.
    @Test func convergesAndThenDoesNothing() throws {
        let fixture = try reconcileRepository()
        let home = TemporaryDirectory("home")
        let first = try mf(["reconcile", "--repo", fixture.path, "--home", home.path, "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let report = try #require(try json(first) as? [String: Any])
        let actions = (report["actions"] as? [[String: String]] ?? []).map { "\($0["kind"]!) \($0["target"]!) \($0["outcome"]!)" }
        #expect(actions.contains("session feature/tweak passed"))
        #expect(actions.contains("bundle v1.0.0 done") && actions.contains("bundle v1.0.1 done"))
        let production = (report["environments"] as? [[String: Any]])?.first { $0["name"] as? String == "production" }
        #expect(production?["version"] as? String == "1.0.1")

        let second = try #require(try json(try mf(["reconcile", "--repo", fixture.path, "--home", home.path, "--json"])) as? [String: Any])
        #expect((second["actions"] as? [Any])?.isEmpty == true)

        // A release whose session fails its gates: no bundle, the reason reported, production stays.
        try fixture.directory.write("repo/model.yaml", try String(contentsOfFile: fixture.path + "/model.yaml", encoding: .utf8)
            .replacingOccurrences(of: ">= 0.9", with: ">= 1.5"))
        try fixture.git(["commit", "-q", "-am", "stricter gate"])
        try fixture.git(["tag", "-a", "-m", "r", "v1.1.0"])
        let third = try #require(try json(try mf(["reconcile", "--repo", fixture.path, "--home", home.path, "--json"])) as? [String: Any])
        let failed = (third["actions"] as? [[String: String]])?.first { $0["target"] == "v1.1.0" }
        #expect(failed?["outcome"] == "failed" && failed?["detail"]?.contains("gets no bundle") == true, "\(third)")
        let stays = (third["environments"] as? [[String: Any]])?.first { $0["name"] as? String == "production" }
        #expect(stays?["version"] as? String == "1.0.1")

        // `mf status` shows the environment's desired and current release, and why they differ.
        let status = try #require(try json(try mf(["status", "--repo", fixture.path, "--home", home.path, "--json"])) as? [String: Any])
        let environment = try #require((status["environments"] as? [[String: String]])?.first)
        #expect(environment["name"] == "production" && environment["desired"] == "v1.1.0" && environment["current"] == "v1.0.1")
        #expect(environment["reason"]?.contains("v1.1.0 has no bundle: its session") == true, "\(environment)")
        #expect(environment["reason"]?.contains("gates: auc >= 1.5") == true, "\(environment)")
        let text = try mf(["status", "--repo", fixture.path, "--home", home.path])
        #expect(text.stdout.contains("Environment production: desired v1.1.0, current v1.0.1"), "\(text.stdout)")
    }

    /// Two reconciles at once do each piece of work once.
    @Test func concurrentRunsDoEachThingOnce() throws {
        let fixture = try reconcileRepository()
        let home = TemporaryDirectory("home")
        let group = DispatchGroup()
        nonisolated(unsafe) var results: [ProcessResult?] = [nil, nil]
        for index in 0 ..< 2 {
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
            return (report["actions"] as? [[String: String]] ?? []).filter { $0["kind"] == "bundle" }.map { $0["target"]! }
        }
        #expect((bundleActions[0] + bundleActions[1]).sorted() == ["v1.0.0", "v1.0.1"])
        let sessions = try #require(try json(try mf(["sessions", "--repo", fixture.path, "--home", home.path, "--json"])) as? [[String: Any]])
        #expect(sessions.count == 3, "\(sessions.map { $0["ref"] ?? "" })")
        #expect(try integrityCheck(home.path) == "ok")
    }

    /// Killed at any moment (kill -9), a reconcile leaves no partial bundle in place and an
    /// intact store, and the next run finishes the work.
    @Test(arguments: [0.2, 0.5, 0.9, 1.4])
    func killedMidwayTheNextRunFinishes(after delay: Double) throws {
        let fixture = try reconcileRepository()
        let home = TemporaryDirectory("home")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mfBinary)
        process.arguments = ["reconcile", "--repo", fixture.path, "--home", home.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: delay)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        for version in ["1.0.0", "1.0.1"] {
            let folder = home.appending("bundles/demo/\(version)")
            if FileManager.default.fileExists(atPath: folder) {
                #expect(try mf(["verify", folder]).status == 0, "a partial bundle is visible at \(folder)")
            }
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
    }
}
