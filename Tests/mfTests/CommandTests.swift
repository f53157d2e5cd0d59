import Foundation
import TestSupport
import Testing

@Suite(.onTestThreads) struct VersionsCommandTests {
    @Test func jsonListsReleasesOldestFirst() throws {
        let fixture = try releasedRepository()
        let result = try mf(["versions", "--repo", fixture.path, "--json"])
        #expect(result.status == 0)
        #expect(result.stderr == "")
        let releases = try #require(try json(result) as? [[String: Any]])
        #expect(releases.map { $0["tag"] as? String } == ["v1.0.0", "v1.0.1"])
        #expect(releases.map { $0["version"] as? String } == ["1.0.0", "1.0.1"])
        #expect(releases.map { $0["hotfix"] as? Bool } == [false, true])
        #expect(releases.map { $0["productionLine"] as? Bool } == [true, true])
        #expect(releases.allSatisfy { $0["model"] is NSNull })
        #expect(releases[0]["commit"] as? String == (try fixture.id("v1.0.0^{commit}")))
        #expect(Set(releases[0].keys).isSuperset(of: ["tag", "version", "model", "commit", "productionLine", "hotfix"]))
    }

    /// git-flow's own numbering, tagged out of order: only the three-part patches are hotfixes.
    @Test func gitFlowNumberingHasTwoHotfixes() throws {
        let fixture = try GitFixture()
        for version in ["0.1", "0.2", "0.3", "0.4", "0.4.1", "0.2.1"] {
            try fixture.commit("release \(version)")
            try fixture.git(["tag", version])
        }
        let result = try mf(["versions", "--repo", fixture.path, "--json"])
        #expect(result.status == 0)
        let releases = try #require(try json(result) as? [[String: Any]])
        #expect(releases.map { $0["tag"] as? String } == ["0.1", "0.2", "0.2.1", "0.3", "0.4", "0.4.1"])
        #expect(releases.map { $0["hotfix"] as? Bool } == [false, false, true, false, false, true])
    }

    @Test func textFromTheCurrentDirectory() throws {
        let fixture = try releasedRepository()
        let result = try mf(["versions"], in: fixture.path + "/")
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[2].hasPrefix("v1.0.1") && lines[2].hasSuffix("hotfix"))
    }

    @Test func emptyRepositoryHasNoReleases() throws {
        let fixture = try GitFixture()
        #expect(try mf(["versions", "--repo", fixture.path]).stdout == "No releases.\n")
        let result = try mf(["versions", "--repo", fixture.path, "--json"])
        #expect(result.status == 0)
        #expect((try json(result) as? [Any])?.isEmpty == true)
    }

    @Test func brokenVersionTagsAreWarnedAbout() throws {
        let fixture = try releasedRepository()
        try fixture.git(["tag", "v2.0.0", "HEAD^{tree}"])
        let result = try mf(["versions", "--repo", fixture.path, "--json"])
        #expect(result.status == 0)
        #expect((try json(result) as? [Any])?.count == 2)
        #expect(result.stderr == "mf: warning: tag 'v2.0.0' points at a tree, not a commit\n")
    }
}

@Suite(.onTestThreads) struct StatusCommandTests {
    @Test func jsonHasEveryRole() throws {
        let fixture = try releasedRepository()
        try fixture.git(["branch", "hotfix/1.0.2", "v1.0.1"])
        try fixture.git(["branch", "release/1.1.0", "development"])
        try fixture.git(["branch", "experiments", "development"])
        let result = try mf(["status", "--repo", fixture.path, "--json"])
        #expect(result.status == 0)
        let status = try #require(try json(result) as? [String: Any])
        #expect(Set(status.keys).isSuperset(of: ["production", "development", "features", "hotfixes", "releases", "other", "latestRelease"]))
        let production = try #require(status["production"] as? [String: Any])
        #expect(production["branch"] as? String == "master")
        #expect(production["commit"] as? String == (try fixture.id("master")))
        #expect((status["development"] as? [String: Any])?["branch"] as? String == "development")
        func branches(_ key: String) -> [String] { (status[key] as? [[String: Any]] ?? []).compactMap { $0["branch"] as? String } }
        #expect(branches("features") == ["feature/x"])
        #expect(branches("hotfixes") == ["hotfix/1.0.2"])
        #expect(branches("releases") == ["release/1.1.0"])
        #expect(branches("other") == ["experiments"])
        #expect((status["latestRelease"] as? [String: Any])?["tag"] as? String == "v1.0.1")
        #expect((status["violations"] as? [Any])?.isEmpty == true)
        #expect(status["ignoredTags"] as? [String] == ["experiment"])
    }

    /// The text says where the branch names came from in words: detected from the branches,
    /// git-flow's git config, or the flow file.
    @Test func textSaysWhereTheFlowNamesCameFrom() throws {
        let fixture = try releasedRepository()
        func text() throws -> String {
            let result = try mf(["status", "--repo", fixture.path])
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout
        }
        #expect(try text().contains("\nFlow names detected from the branches.\n"))
        try fixture.git(["config", "gitflow.branch.master", "master"])
        #expect(try text().contains("\nFlow names from git config (gitflow.branch.*, gitflow.prefix.*).\n"))
        try fixture.commit("flow", file: ".mf/flow.yaml", content: "production: master\ndevelopment: development\n")
        #expect(try text().contains("\nFlow names from .mf/flow.yaml.\n"))
    }

    @Test func emptyRepositoryHasNullLines() throws {
        let fixture = try GitFixture()
        let result = try mf(["status", "--repo", fixture.path, "--json"])
        #expect(result.status == 0)
        let status = try #require(try json(result) as? [String: Any])
        #expect(status["production"] is NSNull && status["development"] is NSNull && status["latestRelease"] is NSNull)
        #expect((status["head"] as? [String: Any])?["unborn"] as? Bool == true)
    }

    @Test func detachedHead() throws {
        let fixture = try releasedRepository()
        try fixture.git(["checkout", "-q", "--detach", "v1.0.0"])
        let status = try #require(try json(try mf(["status", "--repo", fixture.path, "--json"])) as? [String: Any])
        let head = try #require(status["head"] as? [String: Any])
        #expect(head["detached"] as? Bool == true && head["branch"] is NSNull)
        let text = try mf(["status", "--repo", fixture.path])
        #expect(text.stdout.contains("HEAD:        detached at"))
    }

    @Test func oddBranchNamesSurviveJSON() throws {
        let fixture = try releasedRepository()
        let odd = "feature/ünïcode-$(rm${IFS}-rf);a&b|c'\"`<>"
        try fixture.git(["branch", odd, "development"])
        let status = try #require(try json(try mf(["status", "--repo", fixture.path, "--json"])) as? [String: Any])
        let features = (status["features"] as? [[String: Any]] ?? []).compactMap { $0["branch"] as? String }
        #expect(features.contains(odd))
    }

    @Test func textNamesViolations() throws {
        let fixture = try releasedRepository()
        try fixture.git(["tag", "v1.0", "v1.0.0"])
        let result = try mf(["status", "--repo", fixture.path])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Rule violations (1):"))
        #expect(result.stdout.contains("duplicate-version"))
    }
}

@Suite(.onTestThreads) struct CheckCommandTests {
    @Test func exitsZeroWhenTheRulesHold() throws {
        let fixture = try releasedRepository()
        let result = try mf(["check", "--repo", fixture.path])
        #expect(result.status == 0 && result.stdout == "No violations.\n")
    }

    @Test func exitsOneWithEachViolation() throws {
        let fixture = try releasedRepository()
        try fixture.git(["tag", "1.0.1"])  // a second tag for 1.0.1
        try fixture.git(["checkout", "-q", "development"])
        try fixture.commit("unreleased", file: "u.txt")
        try fixture.git(["tag", "v1.1.0"])
        let result = try mf(["check", "--repo", fixture.path, "--json"])
        #expect(result.status == 1)
        let violations = try #require(try json(result) as? [[String: Any]])
        #expect(Set(violations.compactMap { $0["rule"] as? String }) == ["duplicate-version", "release-not-on-production-line"])
        for violation in violations {
            #expect(!(violation["refs"] as? [String] ?? []).isEmpty)
            #expect(!(violation["commits"] as? [String] ?? []).isEmpty)
        }
        let text = try mf(["check", "--repo", fixture.path])
        #expect(text.status == 1)
        #expect(text.stdout.split(separator: "\n").count == 2)
    }

    @Test func emptyRepositoryHasNoProductionLine() throws {
        let fixture = try GitFixture()
        let result = try mf(["check", "--repo", fixture.path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("no-production-line"))
    }

    @Test(arguments: ["tree", "blob", "nested", "dangling", "garbage", "space", "notVersion"])
    func badReferencesAreViolations(kind: String) throws {
        let fixture = try releasedRepository()
        switch kind {
        case "tree": try fixture.git(["tag", "v3.0.0", "HEAD^{tree}"])
        case "blob": try fixture.git(["tag", "v3.0.0", "HEAD:fix.txt"])
        case "nested":
            try fixture.git(["tag", "-a", "-m", "inner", "inner"])
            try fixture.git(["tag", "-a", "-m", "tag of a tag", "v3.0.0", "inner"])
        case "dangling": try fixture.writeGitFile("refs/heads/gone", "0123456789012345678901234567890123456789\n")
        case "garbage": try fixture.writeGitFile("refs/tags/v4.0.0", "not a reference\n")
        case "space": try fixture.writeGitFile("refs/heads/with space", try fixture.id("HEAD") + "\n")
        default: try fixture.git(["tag", "v3.x"])
        }
        let result = try mf(["check", "--repo", fixture.path])
        #expect(result.status == 1, "\(kind): \(result.stdout) \(result.stderr)")
        #expect(result.stdout.split(separator: "\n").count == 1, "\(result.stdout)")
        #expect(try mf(["versions", "--repo", fixture.path]).status == 0)
    }
}

@Suite(.onTestThreads) struct BadInputTests {
    @Test(arguments: ["versions", "status", "check"])
    func notARepository(command: String) throws {
        let folder = TemporaryDirectory("plain")
        let result = try mf([command, "--repo", folder.path])
        expectOneLineError(result, containing: "cannot open repository")
        #expect(result.stderr.contains(folder.path))
    }

    @Test(arguments: ["versions", "status", "check"])
    func missingFolder(command: String) throws {
        expectOneLineError(try mf([command, "--repo", "/nonexistent/place"]), containing: "/nonexistent/place")
    }

    @Test(arguments: ["versions", "status", "check"])
    func shallowClone(command: String) throws {
        let origin = try releasedRepository()
        let clone = TemporaryDirectory("shallow")
        try origin.git(["clone", "-q", "--depth", "1", "file://" + origin.path, clone.appending("c")], in: clone.path)
        expectOneLineError(try mf([command, "--repo", clone.appending("c")]), containing: "shallow clone")
    }

    @Test func corruptObjectInHistory() throws {
        let fixture = try releasedRepository()
        let middle = try fixture.id("v1.0.0^{commit}")
        let object = fixture.path + "/.git/objects/" + middle.prefix(2) + "/" + middle.dropFirst(2)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: object)
        try Data("corrupt".utf8).write(to: URL(fileURLWithPath: object))
        for command in ["versions", "status", "check"] {
            let result = try mf([command, "--repo", fixture.path])
            #expect(result.status == 1 || result.status == 2, "\(command): \(result.status)")
            if result.status == 2 { expectOneLineError(result, containing: "failed to inflate loose object") }
        }
    }

    @Test func invalidFlowFile() throws {
        let fixture = try releasedRepository()
        try fixture.commit("flow", file: ".mf/flow.yaml", content: "prefixes:\n  feature: [x]\n")
        expectOneLineError(try mf(["status", "--repo", fixture.path]), containing: "prefixes.feature: expected a string")
    }

    @Test func unknownOptionIsAUsageError() throws {
        let result = try mf(["versions", "--frobnicate"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--frobnicate"))
    }
}

@Suite(.onTestThreads) struct HelpAndDemoTests {
    @Test func helpExplains() throws {
        let root = try mf(["--help"])
        #expect(root.status == 0)
        for command in ["versions", "status", "check", "demo"] { #expect(root.stdout.contains(command)) }
        for command in ["versions", "status", "check"] {
            let help = try mf([command, "--help"])
            #expect(help.status == 0)
            #expect(help.stdout.contains("--repo <path>") && help.stdout.contains("--json"))
        }
        #expect(try mf(["check", "--help"]).stdout.contains("Exit status: 0 no violations, 1 violations"))
    }

    @Test func demoWalksTheFlow() throws {
        let folder = TemporaryDirectory("demo")
        let path = folder.appending("repo")
        let result = try mf(["demo", "--flow-only", "--path", path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("v1.0.1  1.0.1"))
        #expect(result.stdout.contains("Latest release: v1.0.1"))
        #expect(result.stdout.contains("The repository follows the flow rules."))
        #expect(try mf(["check", "--repo", path]).status == 0)
        // The repository is an ordinary git repository.
        let log = try runProcess("/usr/bin/git", ["-C", path, "tag", "--merged", "master"], environment: gitEnvironment(home: folder.path))
        #expect(log.stdout == "v1.0.0\nv1.0.1\n")
        // A second demo into the same place refuses rather than overwriting.
        let again = try mf(["demo", "--flow-only", "--path", path])
        #expect(again.status == 2)
    }
}

@Suite(.onTestThreads) struct BuildCommandTests {
    /// A Python model repository made with git, from the runner in runtimes/python.
    func modelRepository(gate: String = ">= 0.9") throws -> GitFixture {
        let fixture = try GitFixture("model")
        let runner = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("runtimes/python/mf_runner.py")
        try FileManager.default.copyItem(atPath: runner.path, toPath: fixture.path + "/mf_runner.py")
        try fixture.directory.write(
            "repo/model.py",
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
        try fixture.directory.write("repo/data.csv", "x,y\n1,0\n2,0\n3,1\n4,1\n")
        try fixture.directory.write(
            "repo/model.yaml",
            """
            name: demo
            runtime: python
            train: { data: data.csv }
            evaluate: { data: data.csv }
            schema: { inputs: [{ name: x, type: double }], outputs: [{ name: label, type: int }] }
            gates: { auc: "\(gate)" }
            examples: [{ x: 1 }]
            """)
        try fixture.git(["add", "-A"])
        try fixture.git(["commit", "-q", "-m", "model"])
        return fixture
    }

    @Test func buildRecordsASessionAndReusesIt() throws {
        let fixture = try modelRepository()
        let home = TemporaryDirectory("home")
        let first = try mf(["build", "--repo", fixture.path, "--home", home.path])
        #expect(first.status == 0, "\(first.stdout) \(first.stderr)")
        #expect(first.stdout.contains("demo: train") && first.stdout.contains("demo: passed"))
        #expect(first.stdout.contains("ok   auc >= 0.9: 1"))
        let second = try mf(["build", "--repo", fixture.path, "--home", home.path, "--json"])
        let reports = try #require(try json(second) as? [[String: Any]])
        #expect(reports.first?["status"] as? String == "passed")
        #expect(reports.first?["reusedFrom"] is String)
        let sessions = try #require(try json(try mf(["sessions", "--home", home.path, "--json"])) as? [[String: Any]])
        #expect(sessions.count == 2 && sessions.allSatisfy { $0["model"] as? String == "demo" })
        #expect(FileManager.default.fileExists(atPath: home.appending("factory.sqlite")))
    }

    /// A session records the ref it was built for: the branch HEAD is on, a tag, a branch; a
    /// commit named by its id has none.
    @Test func aSessionRecordsItsRef() throws {
        let fixture = try modelRepository()
        try fixture.git(["tag", "v1.0.0"])
        let commit = try fixture.git(["rev-parse", "HEAD"])
        let home = TemporaryDirectory("home")
        for revision in ["HEAD", "v1.0.0", "master", commit, "refs/tags/v1.0.0"] {
            let built = try mf(["build", revision, "--repo", fixture.path, "--home", home.path])
            #expect(built.status == 0, "\(built.stderr)")
        }
        let sessions = try #require(try json(try mf(["sessions", "--home", home.path, "--json"])) as? [[String: Any]])
        let refs = sessions.reversed().map { $0["ref"] as? String ?? "null" }
        #expect(refs == ["refs/heads/master", "refs/tags/v1.0.0", "refs/heads/master", "null", "refs/tags/v1.0.0"], "\(refs)")
    }

    @Test func aFailingGateExitsOne() throws {
        let fixture = try modelRepository(gate: "> 1")
        let home = TemporaryDirectory("home")
        let result = try mf(["build", "--repo", fixture.path, "--home", home.path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("demo: FAILED: gates: auc > 1.0: 1, which fails"))
    }

    /// A train that fails shows where the worker's log is and how it ends, in the text output
    /// and in the session's failure.
    @Test func aFailedTrainShowsTheEndOfTheWorkersLog() throws {
        let fixture = try modelRepository()
        try fixture.directory.write(
            "repo/model.py",
            """
            class Model:
                def train(self, data, artifacts, seed):
                    print("reading", data)
                    raise ValueError("no column 'churned'")
            """)
        try fixture.git(["commit", "-q", "-am", "a train that fails"])
        let home = TemporaryDirectory("home")
        let result = try mf(["build", "--repo", fixture.path, "--home", home.path])
        #expect(result.status == 1)
        let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("demo: FAILED: ") }.map(String.init), "\(result.stdout)")
        let sessions = try #require(try json(try mf(["sessions", "--home", home.path, "--json"])) as? [[String: Any]])
        let id = try #require(sessions.first?["id"] as? String)
        let log = home.appending("sessions/\(id)/worker.log")
        #expect(
            line.hasPrefix(
                "demo: FAILED: train: the worker failed 'train': ValueError: no column 'churned' (error -32000); the worker's log \(log) ends: "), "\(line)")
        #expect(line.hasSuffix(#"raise ValueError("no column 'churned'") | ValueError: no column 'churned'"#), "\(line)")
        #expect(sessions.first?["failure"] as? String == String(line.dropFirst("demo: FAILED: ".count)))
        #expect(try String(contentsOfFile: log, encoding: .utf8).contains("reading "))
    }

    /// A misspelt key in model.yaml is what the failed session says, with the key it resembles,
    /// and nothing that follows from it (a broken manifest's session goes by the folder's name).
    @Test func aTypoInTheManifestSuggestsTheKey() throws {
        let fixture = try modelRepository()
        let text = try String(contentsOfFile: fixture.path + "/model.yaml", encoding: .utf8)
        try fixture.directory.write("repo/model.yaml", text.replacingOccurrences(of: "evaluate:", with: "evalute:"))
        try fixture.git(["commit", "-q", "-am", "a typo"])
        let head = try fixture.id("HEAD")
        let result = try mf(["build", "--repo", fixture.path, "--home", TemporaryDirectory("home").path])
        #expect(result.status == 1)
        #expect(
            result.stdout.contains(
                "repo: FAILED: manifest: invalid model.yaml at \(head.prefix(7)): unknown key 'evalute'; did you mean 'evaluate'?\n"), "\(result.stdout)")
    }

    @Test func aMissingRevisionIsAnError() throws {
        let fixture = try modelRepository()
        expectOneLineError(
            try mf(["build", "nope", "--repo", fixture.path, "--home", TemporaryDirectory("home").path]), containing: "cannot find revision 'nope'")
    }
}

@Suite(.onTestThreads) struct MetricsCommandTests {
    @Test func showsAndComparesVersions() throws {
        let fixture = try BuildCommandTests().modelRepository(gate: ">= 0")
        let home = TemporaryDirectory("home")
        try fixture.git(["tag", "v1.0.0"])
        #expect(try mf(["build", "v1.0.0", "--repo", fixture.path, "--home", home.path]).status == 0)
        try fixture.directory.write("repo/data.csv", "x,y\n1,0\n2,1\n3,0\n4,1\n")
        try fixture.git(["commit", "-q", "-am", "new data"])
        try fixture.git(["tag", "v1.1.0"])
        #expect(try mf(["build", "v1.1.0", "--repo", fixture.path, "--home", home.path]).status == 0)

        let one = try mf(["metrics", "v1.1.0", "--home", home.path])
        #expect(one.status == 0)
        #expect(one.stdout.contains("(demo 1.1.0, passed)") && one.stdout.contains("auc     evaluate  0.75"))
        let compared = try mf(["metrics", "--compare", "v1.0.0", "v1.1.0", "--home", home.path, "--json"])
        let object = try #require(try json(compared) as? [String: Any])
        let rows = try #require(object["metrics"] as? [[String: Any]])
        let auc = try #require(rows.first { $0["name"] as? String == "auc" })
        #expect(auc["a"] as? Double == 1 && auc["b"] as? Double == 0.75 && auc["difference"] as? Double == -0.25)
        let text = try mf(["metrics", "--compare", "v1.0.0", "v1.1.0", "--home", home.path])
        #expect(text.stdout.contains("auc     evaluate  1       0.75    -0.25"))

        let sessionID = try #require((try json(try mf(["sessions", "--home", home.path, "--json"])) as? [[String: Any]])?.first?["id"] as? String)
        #expect(try mf(["metrics", String(sessionID.prefix(8)), "--home", home.path]).stdout.contains(sessionID))
        expectOneLineError(try mf(["metrics", "v9.9.9", "--home", home.path]), containing: "no session or version 'v9.9.9'")
        #expect(try mf(["metrics", "--compare", "v1.0.0", "--home", home.path]).status == 64)
    }

    /// `--repo`, when given, narrows sessions and versions to that repository; without it every
    /// repository of the home counts. A version is named as a tag names it, `demo@v1.0.0`.
    @Test func repoNarrowsSessionsAndMetrics() async throws {
        let home = TemporaryDirectory("home")
        var fixtures: [GitFixture] = []
        for name in ["demo", "other"] {
            let fixture = try BuildCommandTests().modelRepository(gate: ">= 0")
            if name != "demo" {
                try fixture.directory.write(
                    "repo/model.yaml",
                    try String(contentsOfFile: fixture.path + "/model.yaml", encoding: .utf8)
                        .replacingOccurrences(of: "name: demo", with: "name: \(name)"))
                try fixture.git(["commit", "-q", "-am", "name"])
            }
            try fixture.git(["tag", "v1.0.0"])
            try fixture.directory.write("repo/data.csv", "x,y\n1,0\n2,1\n3,0\n4,1\n")
            try fixture.git(["commit", "-q", "-am", "new data"])
            try fixture.git(["tag", "v1.1.0"])
            for tag in ["v1.0.0", "v1.1.0"] { #expect(try await mf(["build", tag, "--repo", fixture.path, "--home", home.path]).status == 0) }
            fixtures.append(fixture)
        }
        let all = try #require(try json(try await mf(["sessions", "--home", home.path, "--json"])) as? [[String: Any]])
        #expect(all.count == 4)
        let mine = try #require(try json(try await mf(["sessions", "--repo", fixtures[0].path, "--home", home.path, "--json"])) as? [[String: Any]])
        #expect(mine.count == 2 && mine.allSatisfy { $0["model"] as? String == "demo" }, "\(mine)")
        let text = try await mf(["sessions", "--repo", fixtures[1].path, "--home", home.path])
        #expect(text.stdout.contains("other") && !text.stdout.contains("demo"), "\(text.stdout)")

        // Without --repo, the other repository's model makes a version ambiguous; with it, not.
        expectOneLineError(
            try await mf(["metrics", "--compare", "1.0.0", "1.1.0", "--home", home.path]),
            containing: "'1.0.0' names more than one session: demo@1.0.0, other@1.0.0")
        let compared = try await mf(["metrics", "--compare", "1.0.0", "1.1.0", "--repo", fixtures[1].path, "--home", home.path, "--json"])
        #expect(compared.status == 0, "\(compared.stderr)")
        let comparison = try #require(try json(compared) as? [String: Any])
        let ids = Set(mine.compactMap { $0["id"] as? String })
        #expect(!ids.contains(comparison["a"] as? String ?? "") && !ids.contains(comparison["b"] as? String ?? ""), "\(comparison)")

        // Names as tags have them, as `mf bundle churn@v1.0.0` takes them.
        let named = try await mf(["metrics", "other@v1.0.0", "--home", home.path])
        #expect(named.status == 0 && named.stdout.contains("(other 1.0.0, passed)"), "\(named.stdout)\(named.stderr)")
        let pair = try await mf(["metrics", "--compare", "demo@v1.0.0", "other@v1.1.0", "--home", home.path, "--json"])
        #expect(pair.status == 0, "\(pair.stderr)")
        expectOneLineError(
            try await mf(["metrics", "demo@v1.0.0", "--model", "other", "--home", home.path]), containing: "names another model than --model other")
        expectOneLineError(
            try await mf(["metrics", "demo@v1.0.0", "--repo", fixtures[1].path, "--home", home.path]), containing: "no session or version 'demo@v1.0.0'")
        let report = try await mf(["report", "demo@v1.1.0", "--home", home.path, "--json"])
        #expect(report.status == 0, "\(report.stderr)")
        let written = try #require(try json(report) as? [String: Any])
        #expect(written["model"] as? String == "demo")
        expectOneLineError(try await mf(["sessions", "--repo", home.appending("nowhere"), "--home", home.path]), containing: "cannot open repository")
    }
}

@Suite(.onTestThreads) struct PredictCommandTests {
    @Test func predictsChecksTheSchemaAndRefusesFailedModels() throws {
        let fixture = try BuildCommandTests().modelRepository()
        let home = TemporaryDirectory("home")
        try fixture.directory.write("instances.json", #"{"instances": [{"x": 1}, {"x": 3.5}]}"#)
        let result = try mf(["predict", "--input", fixture.directory.appending("instances.json"), "--repo", fixture.path, "--home", home.path])
        #expect(result.status == 0, "\(result.stderr)")
        let answer = try #require(try json(result) as? [String: Any])
        #expect((answer["predictions"] as? [[String: Any]])?.map { $0["label"] as? Int } == [0, 1])
        // The first prediction trained the model; the next ones record nothing new.
        func sessions() throws -> [String] {
            try #require(try json(try mf(["sessions", "--home", home.path, "--json"])) as? [[String: Any]]).compactMap { $0["id"] as? String }
        }
        let trained = try sessions()
        #expect(trained.count == 1)
        #expect(try mf(["predict", "--input", fixture.directory.appending("instances.json"), "--repo", fixture.path, "--home", home.path]).status == 0)

        try fixture.directory.write("bad.json", #"[{"x": "high"}, {"y": 2}]"#)
        expectOneLineError(
            try mf(["predict", "--input", fixture.directory.appending("bad.json"), "--repo", fixture.path, "--home", home.path]),
            containing: "instances[0].x: expected a double; instances[1].y: unknown field; expected one of x; instances[1].x: missing")
        try fixture.directory.write("notjson.json", "{{")
        expectOneLineError(
            try mf(["predict", "--input", fixture.directory.appending("notjson.json"), "--repo", fixture.path, "--home", home.path]),
            containing: "cannot read the input: it is not JSON")
        #expect(try sessions() == trained)

        let failing = try BuildCommandTests().modelRepository(gate: "> 1")
        expectOneLineError(
            try mf(["predict", "--input", fixture.directory.appending("instances.json"), "--repo", failing.path, "--home", home.path]),
            containing: "its session")
    }
}

/// Shell completion: the generated scripts offer the values of options that take a fixed set,
/// and TEMPLATE completes to the built-in templates through mf itself.
@Suite(.onTestThreads) struct CompletionTests {
    @Test(arguments: ["bash", "zsh", "fish"])
    func scriptsOfferOptionValues(shell: String) throws {
        let result = try mf(["--generate-completion-script", shell])
        #expect(result.status == 0, "\(result.stderr)")
        let script = result.stdout
        for values in [["yes", "no", "ask"], ["lock", "system"], ["production", "staging"]] {
            let listed: String =
                switch shell {
                case "bash": "'" + values.joined(separator: "'$'\\n''") + "'"
                case "zsh": values.map { "'\($0)'" }.joined(separator: " ")
                default: values.joined(separator: " ")
                }
            #expect(script.contains(listed), "\(shell) lacks \(listed)")
        }
        // TEMPLATE asks mf itself, and folders complete as folders.
        #expect(script.contains("---completion scaffold -- positional@0"))
        #expect(script.contains(shell == "bash" ? "-d" : shell == "zsh" ? "_files -/" : "__fish_complete_directories"))
    }

    @Test func templateCompletesToTheBuiltInTemplates() throws {
        let all = try mf(["---completion", "scaffold", "--", "positional@0", "2", "0", "mf", "scaffold", ""])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdout.split(separator: "\n") == ["python-model", "swift-model"])
        let some = try mf(["---completion", "scaffold", "--", "positional@0", "2", "2", "mf", "scaffold", "sw"])
        #expect(some.stdout.split(separator: "\n") == ["swift-model"])
        // From the --templates folder the command line names.
        let folder = TemporaryDirectory("completion")
        try folder.write("mine/cookiecutter.json", "{\"name\": \"x\"}\n")
        try folder.write("mine/{{cookiecutter.name}}/readme.txt", "{{ cookiecutter.name }}\n")
        let mine = try mf(["---completion", "scaffold", "--", "positional@0", "4", "0", "mf", "scaffold", "--templates", folder.path, ""])
        #expect(mine.stdout.split(separator: "\n") == ["mine"], "\(mine.stdout)\(mine.stderr)")
    }
}
