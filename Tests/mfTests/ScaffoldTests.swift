import Foundation
import TestSupport
import Testing

let fixtureTemplates = repositoryRoot.appendingPathComponent("Tests/Fixtures/templates")
let badTemplates = repositoryRoot.appendingPathComponent("Tests/Fixtures/bad-templates")

/// Real cookiecutter, as `scripts/setup` installs it (or from PATH).
let cookiecutter: String? = {
    let local = repositoryRoot.appendingPathComponent(".build-tools/venv/bin/cookiecutter").path
    return FileManager.default.isExecutableFile(atPath: local) ? local : Scaffold.onPath("cookiecutter")
}()

/// Every file, folder and link under `root`: its bytes (or link target) and permission bits.
func snapshot(_ root: String) throws -> [String: String] {
    var entries: [String: String] = [:]
    let manager = FileManager.default
    guard let walker = manager.enumerator(atPath: root) else { return entries }
    while let relative = walker.nextObject() as? String {
        let path = root + "/" + relative
        let attributes = try manager.attributesOfItem(atPath: path)
        let mode = String((attributes[.posixPermissions] as? Int) ?? 0, radix: 8)
        switch attributes[.type] as? FileAttributeType {
        case .typeDirectory: entries[relative] = "folder \(mode)"
        case .typeSymbolicLink: entries[relative] = "link -> " + (try manager.destinationOfSymbolicLink(atPath: path))
        default: entries[relative] = "file \(mode) " + (try Data(contentsOf: URL(fileURLWithPath: path))).base64EncodedString()
        }
    }
    return entries
}

/// Records the paths where two snapshots differ (not the whole trees).
func expectSameTree(_ expected: [String: String], _ actual: [String: String], sourceLocation: SourceLocation = #_sourceLocation) {
    for key in Set(expected.keys).union(actual.keys).sorted() where expected[key] != actual[key] {
        Issue.record(
            "\(key) differs:\nexpected: \(expected[key]?.prefix(300) ?? "missing")\nactual: \(actual[key]?.prefix(300) ?? "missing")",
            sourceLocation: sourceLocation)
    }
}

/// Renders `template` with cookiecutter and with `mf scaffold` into the same output path, one
/// after the other, and returns both trees.
func renderBoth(_ template: String, extra: [String] = []) throws -> (cookiecutter: [String: String], mf: [String: String]) {
    let folder = TemporaryDirectory("render")
    let output = folder.appending("out")
    let cc = try #require(cookiecutter, "cookiecutter is missing: run scripts/setup")
    let reference = try runProcess(
        cc, ["--no-input", "--default-config", "-o", output, template] + extra,
        environment: ProcessInfo.processInfo.environment.merging(["HOME": folder.path]) { $1 })
    #expect(reference.status == 0, "cookiecutter failed: \(reference.stdout)\(reference.stderr)")
    let expected = try snapshot(output)
    try FileManager.default.removeItem(atPath: output)
    let ours = try mf(["scaffold", "--no-input", "--no-git", "-o", output, template] + extra.flatMap { ["--set", $0] })
    #expect(ours.status == 0, "mf scaffold failed: \(ours.stderr)")
    // A Swift package also gets its ModelKit mirror (.swiftpm/configuration/mirrors.json, git-ignored):
    // set-up beyond what cookiecutter renders, so it is left out of the comparison.
    let rendered = try snapshot(output).filter { !$0.key.split(separator: "/").contains(".swiftpm") }
    return (expected, rendered)
}

@Suite(.onTestThreads) struct ScaffoldTests {
    static let fixtures = ((try? FileManager.default.contentsOfDirectory(atPath: fixtureTemplates.path)) ?? [])
        .filter { !$0.hasSuffix(".md") && !$0.hasPrefix(".") }.sorted()

    /// The renderer matches cookiecutter byte for byte (and mode for mode) on templates that
    /// exercise each feature, and on the built-in templates.
    @Test(
        arguments: fixtures.map { fixtureTemplates.appendingPathComponent($0).path }
            + ["python-model", "swift-model"].map { repositoryRoot.appendingPathComponent("templates/\($0)").path })
    func rendersLikeCookiecutter(_ template: String) throws {
        let (expected, rendered) = try renderBoth(template)
        #expect(!expected.isEmpty)
        expectSameTree(expected, rendered)
    }

    @Test func answersFromSetRenderLikeCookiecutterExtraContext() throws {
        let template = repositoryRoot.appendingPathComponent("templates/python-model").path
        let (expected, rendered) = try renderBoth(template, extra: ["model_name=Customer Churn", "algorithm=random_forest", "version_prefix="])
        expectSameTree(expected, rendered)
        #expect(rendered.keys.contains("customer_churn/model.py"))
    }

    /// Each broken template: one sentence, exit 2, and nothing left in the output folder.
    @Test(arguments: [
        ("bad-json", "is not valid JSON: Expecting property name enclosed in double quotes: line 4 column 1"),
        ("undefined-variable", "cannot render the file 'b-broken.txt' (line 2): 'dict object' has no attribute 'nope'"),
        ("syntax-error", "cannot render the file 'b-broken.txt' (line 3): syntax error: Unexpected end of template"),
        ("failing-hook", "the post_gen_project hook failed (post_gen_project.sh exited with status 1)"),
        ("escaping-path", "which leaves the output folder; nothing was written"),
        ("empty-dir-name", "which is empty; nothing was written"),
        ("empty-subdir-name", "a folder name cannot render empty"),
    ])
    func badTemplatesFailCleanly(_ name: String, _ message: String) throws {
        let folder = TemporaryDirectory("bad")
        let output = folder.appending("out")
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let result = try mf(["scaffold", "--no-input", "-o", output, badTemplates.appendingPathComponent(name).path])
        // A failing hook's own output comes first on stderr; the error is the last line.
        let errorLine = result.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(result.status == 2)
        #expect(errorLine.hasPrefix("mf: error: ") && errorLine.contains(message), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: output).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out"])
    }

    @Test func unknownTemplateAndMissingArgument() throws {
        expectOneLineError(try mf(["scaffold", "--no-input", "no-such-template"]), containing: "no template 'no-such-template'")
        #expect(try mf(["scaffold"]).status == 64)
        let listed = try json(try mf(["scaffold", "--list", "--json"])) as? [[String: Any]]
        #expect(listed?.compactMap { $0["name"] as? String } == ["python-model", "swift-model"])
    }

    /// The result is a repository on the branch flow: production and development at one first
    /// commit, HEAD on development, flow.yaml and the answers committed, a clean work tree.
    @Test func scaffoldsARepositoryOnTheFlow() throws {
        let folder = TemporaryDirectory("flow")
        let result = try mf(["scaffold", "python-model", "--no-input", "--set", "model_name=Fraud", "-o", folder.path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try json(result) as? [String: Any])
        let repository = try #require(report["repository"] as? [String: Any])
        #expect(repository["production"] as? String == "master")
        #expect(repository["development"] as? String == "development")
        let project = folder.appending("fraud")
        #expect(report["project"] as? String == project)
        let git = { (arguments: [String]) throws -> String in
            let run = try runProcess("/usr/bin/git", ["-C", project] + arguments, environment: gitEnvironment(home: folder.path))
            #expect(run.status == 0, "\(run.stderr)")
            return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try git(["symbolic-ref", "HEAD"]) == "refs/heads/development")
        #expect(try git(["rev-parse", "master"]) == git(["rev-parse", "development"]))
        #expect(try git(["status", "--porcelain"]) == "")
        let committed = try git(["ls-tree", "-r", "--name-only", "HEAD"]).split(separator: "\n").map(String.init)
        #expect(committed.contains(".mf/flow.yaml") && committed.contains(".mf/scaffold.json") && committed.contains("model.py"))
        let answers = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: project + "/.mf/scaffold.json"))) as? [String: Any]
        #expect((answers?["cookiecutter"] as? [String: Any])?["model_name"] as? String == "Fraud")
        let check = try mf(["check", "--repo", project])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let status = try json(try mf(["status", "--repo", project, "--json"])) as? [String: Any]
        #expect((status?["head"] as? [String: Any])?["branch"] as? String == "development")
        #expect((status?["configuration"] as? [String: Any])?["source"] as? String == "flow.yaml")
    }

    @Test func setChecksChoicesAndBooleans() throws {
        let folder = TemporaryDirectory("set")
        let template = fixtureTemplates.appendingPathComponent("context").path
        expectOneLineError(
            try mf(["scaffold", "--no-input", "--no-git", "-o", folder.path, template, "--set", "license=WTFPL"]),
            containing: "invalid value for 'license': 'WTFPL' is not one of the choices")
        expectOneLineError(
            try mf(["scaffold", "--no-input", "--no-git", "-o", folder.path, template, "--set", "use_ci=perhaps"]),
            containing: "invalid value for 'use_ci': 'perhaps' is not a yes/no answer")
        let ignored = try mf(["scaffold", "--no-input", "--no-git", "-o", folder.path, template, "--set", "nonsense=1"])
        #expect(ignored.status == 0)
        #expect(ignored.stderr.contains("mf: warning: the template has no variable 'nonsense'"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 1)
    }

    /// --replay answers as last time; --replay-file re-renders a project from its recorded answers.
    @Test func replayAndReplayFile() throws {
        let folder = TemporaryDirectory("replay")
        let home = folder.appending("home")
        let first = try mf([
            "scaffold", "python-model", "--no-input", "--set", "model_name=Replayed Model", "--set", "algorithm=random_forest",
            "-o", folder.appending("a"), "--home", home,
        ])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try mf(["scaffold", "python-model", "--replay", "-o", folder.appending("b"), "--home", home], input: Data())
        #expect(second.status == 0, "\(second.stderr)")
        let third = try mf(
            [
                "scaffold", "python-model", "--replay-file", folder.appending("a/replayed_model/.mf/scaffold.json"),
                "-o", folder.appending("c"), "--home", home, "--no-git",
            ], input: Data())
        #expect(third.status == 0, "\(third.stderr)")
        let a = try snapshot(folder.appending("a/replayed_model")).filter { !$0.key.hasPrefix(".git/") && $0.key != ".git" }
        let b = try snapshot(folder.appending("b/replayed_model")).filter { !$0.key.hasPrefix(".git/") && $0.key != ".git" }
        let c = try snapshot(folder.appending("c/replayed_model"))
        // The recorded answers differ only in `_cookiecutter`, which a replay rebuilds from its answers.
        expectSameTree(a.filter { $0.key != ".mf/scaffold.json" }, b.filter { $0.key != ".mf/scaffold.json" })
        expectSameTree(a.filter { $0.key != ".mf/scaffold.json" }, c)
        #expect(try String(contentsOfFile: folder.appending("c/replayed_model/model.py"), encoding: .utf8).contains("RandomForest"))
        expectOneLineError(
            try mf(["scaffold", "swift-model", "--replay", "-o", folder.appending("d"), "--home", folder.appending("empty")]),
            containing: "there are no recorded answers to replay")
    }

    /// `.mf/scaffold.json` records where the template came from (URL, checkout, the commit
    /// rendered, folder), and `--replay-file` alone renders that revision again, even after the
    /// tag moved; a file without the record needs TEMPLATE, and a commit the template's
    /// repository no longer has is named.
    @Test func replayFileRendersTheRecordedTemplateRevision() throws {
        let source = try GitFixture("template-source")
        try source.directory.write("repo/templates/greeting/cookiecutter.json", "{\"name\": \"hello\", \"greeting\": \"Hi\"}\n")
        try source.directory.write(
            "repo/templates/greeting/{{cookiecutter.name}}/greeting.txt", "{{ cookiecutter.greeting }}, revision one ({{ cookiecutter._checkout }})\n")
        try source.git(["add", "-A"])
        try source.git(["commit", "-q", "-m", "revision one"])
        try source.git(["tag", "v1"])
        let tagged = try source.id("v1^{commit}")
        let url = "file://" + source.path
        let folder = TemporaryDirectory("replay-revision")
        let home = folder.appending("home")
        let first = try mf([
            "scaffold", url, "--checkout", "v1", "--directory", "templates/greeting", "--no-input", "--set", "greeting=Hello",
            "-o", folder.appending("a"), "--home", home,
        ])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.hasPrefix("Created \(folder.appending("a/hello")) from \(url) at \(tagged.prefix(8)) (1 file)."), "\(first.stdout)")
        let record = folder.appending("a/hello/.mf/scaffold.json")
        let recorded = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: record))) as? [String: Any]
        let origin = try #require(recorded?["_mf"] as? [String: Any])
        #expect(origin["template"] as? String == url)
        #expect(origin["checkout"] as? String == "v1")
        #expect(origin["commit"] as? String == tagged)
        #expect(origin["directory"] as? String == "templates/greeting")

        // The template moves on and the tag with it.
        try source.directory.write("repo/templates/greeting/{{cookiecutter.name}}/greeting.txt", "{{ cookiecutter.greeting }}, revision two\n")
        try source.git(["commit", "-q", "-am", "revision two"])
        try source.git(["tag", "-f", "v1"])
        let again = try mf(["scaffold", "--replay-file", record, "-o", folder.appending("b"), "--home", home, "--json"], input: Data())
        #expect(again.status == 0, "\(again.stderr)")
        let report = try #require(try json(again) as? [String: Any])
        #expect(report["templateCommit"] as? String == tagged)
        #expect((report["source"] as? [String: Any])?["commit"] as? String == tagged)
        let a = try snapshot(folder.appending("a/hello")).filter { !$0.key.hasPrefix(".git/") && $0.key != ".git" }
        let b = try snapshot(folder.appending("b/hello")).filter { !$0.key.hasPrefix(".git/") && $0.key != ".git" }
        expectSameTree(a, b)
        #expect(try String(contentsOfFile: folder.appending("b/hello/greeting.txt"), encoding: .utf8) == "Hello, revision one (v1)\n")
        // --checkout asks for another revision: the tag as it is now.
        let moved = try mf(["scaffold", "--replay-file", record, "--checkout", "v1", "--no-git", "-o", folder.appending("c"), "--home", home], input: Data())
        #expect(moved.status == 0, "\(moved.stderr)")
        #expect(try String(contentsOfFile: folder.appending("c/hello/greeting.txt"), encoding: .utf8) == "Hello, revision two\n")

        // A home that never saw the commit, from a repository that no longer has it.
        try source.git(["tag", "-d", "v1"])
        try source.git(["reflog", "expire", "--expire=now", "--all"])
        try source.git(["checkout", "-q", "--orphan", "fresh"])
        try source.git(["commit", "-q", "-m", "history rewritten"])
        try source.git(["branch", "-D", "master"])
        try source.git(["gc", "-q", "--prune=now"])
        expectOneLineError(
            try mf(["scaffold", "--replay-file", record, "-o", folder.appending("d"), "--home", folder.appending("fresh-home")], input: Data()),
            containing: "the template's recorded commit \(tagged.prefix(12)) (v1) is no longer in \(url)")
        #expect(!FileManager.default.fileExists(atPath: folder.appending("d/hello")))

        // cookiecutter's own replay file names no template.
        try folder.write("cookiecutter-replay.json", "{\"cookiecutter\": {\"name\": \"x\"}}\n")
        expectOneLineError(
            try mf(["scaffold", "--replay-file", folder.appending("cookiecutter-replay.json"), "-o", folder.appending("e")]),
            containing: "does not record which template it was rendered from")
    }

    /// With git, --overwrite-if-exists commits what the template wrote (and `.mf/`), never the
    /// files that were in the folder before: those stay, untouched and untracked.
    @Test func overwriteCommitsOnlyTheTemplatesFiles() throws {
        let folder = TemporaryDirectory("overwrite-git")
        try folder.write("churn/notes/mine.txt", "my notes\n")
        try folder.write("churn/secrets.env", "TOKEN=do-not-commit\n")
        try folder.write("churn/model.py", "# replaced by the template\n")
        let result = try mf(["scaffold", "python-model", "--no-input", "--overwrite-if-exists", "-o", folder.path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let project = folder.appending("churn")
        let git = { (arguments: [String]) throws -> String in
            let run = try runProcess("/usr/bin/git", ["-C", project] + arguments, environment: gitEnvironment(home: folder.path))
            #expect(run.status == 0, "\(run.stderr)")
            return run.stdout
        }
        let committed = Set(try git(["ls-tree", "-r", "--name-only", "HEAD"]).split(separator: "\n").map(String.init))
        let files = try #require((try json(result) as? [String: Any])?["files"] as? [String])
        #expect(committed == Set(files).union([".mf/scaffold.json"]), "\(committed.symmetricDifference(files))")
        #expect(!committed.contains("secrets.env") && !committed.contains("notes/mine.txt") && committed.contains("model.py"))
        #expect(try git(["status", "--porcelain", "--untracked-files=all"]) == "?? notes/mine.txt\n?? secrets.env\n")
        #expect(try String(contentsOfFile: project + "/secrets.env", encoding: .utf8) == "TOKEN=do-not-commit\n")
        #expect(try String(contentsOfFile: project + "/model.py", encoding: .utf8) != "# replaced by the template\n")
    }

    /// A built-in template's README does not ask for the `git init` mf scaffold has done, and its
    /// CI installs mf from where the team's MF_SOURCE and MF_VERSION variables say: the
    /// workflow's install step, run as Actions runs it, clones that source at that version and
    /// runs its scripts/install, and without MF_SOURCE it stops saying what to set.
    @Test(arguments: ["python-model", "swift-model"])
    func generatedProjectsReadmeAndCI(_ template: String) throws {
        let folder = TemporaryDirectory("ci-\(template)")
        let made = try mf(["scaffold", template, "--no-input", "-o", folder.path])
        #expect(made.status == 0, "\(made.stderr)")
        let project = folder.appending("churn")
        let readme = try String(contentsOfFile: project + "/README.md", encoding: .utf8)
        #expect(!readme.contains("```sh\ngit init"), "the README still starts the flow with git init")
        #expect(readme.contains("`mf scaffold` made this folder a git repository on the flow already"))
        #expect(readme.contains("`MF_SOURCE`"))
        let workflow = try String(contentsOfFile: project + "/.github/workflows/model.yml", encoding: .utf8)
        #expect(!workflow.contains("github.com/model-factory/model-factory"))
        #expect(workflow.contains("MF_SOURCE: ${{ vars.MF_SOURCE }}"))
        #expect(workflow.contains("MF_VERSION: ${{ vars.MF_VERSION || '0.1.0' }}"))

        // The install step's script, as the workflow has it.
        let lines = workflow.components(separatedBy: "\n")
        let step = try #require(lines.firstIndex(of: "      - name: Install mf"))
        let run = try #require(lines[step...].firstIndex(of: "        run: |"))
        let script = lines[(run + 1)...].prefix { $0.hasPrefix("          ") || $0.isEmpty }.map { String($0.dropFirst(10)) }.joined(separator: "\n")
        try folder.write("install-step.sh", script + "\n")

        // A team's Model Factory: a repository whose tag 0.1.0 has a scripts/install.
        let source = try GitFixture("mf-source")
        try source.directory.write(
            "repo/scripts/install",
            "#!/bin/sh\nmkdir -p \"$1/bin\" && printf '#!/bin/sh\\necho mf from the team\\n' > \"$1/bin/mf\" && chmod +x \"$1/bin/mf\"\n")
        try source.git(["add", "-A"])
        try source.git(["update-index", "--chmod=+x", "scripts/install"])
        try source.git(["commit", "-q", "-m", "mf"])
        try source.git(["tag", "0.1.0"])
        var environment = gitEnvironment(home: folder.path)
        environment["RUNNER_TEMP"] = folder.appending("runner")
        environment["MF_PREFIX"] = folder.appending("prefix")
        environment["MF_VERSION"] = "0.1.0"
        try FileManager.default.createDirectory(atPath: folder.appending("runner"), withIntermediateDirectories: true)
        environment["MF_SOURCE"] = ""
        let unset = try runProcess("/bin/bash", ["-eo", "pipefail", folder.appending("install-step.sh")], environment: environment)
        #expect(unset.status == 1 && unset.stdout.contains("Set the Actions variable MF_SOURCE"), "\(unset.stdout)\(unset.stderr)")
        environment["MF_SOURCE"] = "file://" + source.path
        let installed = try runProcess("/bin/bash", ["-eo", "pipefail", folder.appending("install-step.sh")], environment: environment)
        #expect(installed.status == 0, "\(installed.stdout)\(installed.stderr)")
        let ran = try runProcess(folder.appending("prefix/bin/mf"), [])
        #expect(ran.stdout == "mf from the team\n")
    }

    /// An existing project folder is refused; with --overwrite-if-exists the template's files are
    /// written again and nothing else is touched.
    @Test func existingOutputIsRefusedUnlessOverwriting() throws {
        let folder = TemporaryDirectory("exists")
        let template = fixtureTemplates.appendingPathComponent("paths").path
        #expect(try mf(["scaffold", "--no-input", "--no-git", "-o", folder.path, template]).status == 0)
        let project = try #require(try FileManager.default.contentsOfDirectory(atPath: folder.path).first)
        try folder.write(project + "/mine.txt", "keep me")
        let files = try snapshot(folder.path)
        expectOneLineError(
            try mf(["scaffold", "--no-input", "--no-git", "-o", folder.path, template]), containing: "already exists; pass --overwrite-if-exists")
        expectSameTree(files, try snapshot(folder.path))
        let again = try mf(["scaffold", "--no-input", "--no-git", "--overwrite-if-exists", "-o", folder.path, template])
        #expect(again.status == 0, "\(again.stderr)")
        expectSameTree(files, try snapshot(folder.path))
    }

    /// Overwriting a project that is already a git repository is refused before anything is
    /// written; a pre_prompt hook (not supported) is refused unless hooks are off; a link to a
    /// folder in a template becomes an empty folder, as os.walk leaves it.
    @Test func refusalsLeaveEverythingAsItWas() throws {
        let folder = TemporaryDirectory("refuse")
        #expect(try mf(["scaffold", "python-model", "--no-input", "-o", folder.path]).status == 0)
        try folder.write("churn/model.py", "# mine\n")
        let before = try snapshot(folder.path)
        expectOneLineError(
            try mf(["scaffold", "python-model", "--no-input", "--overwrite-if-exists", "-o", folder.path]),
            containing: "already a git repository")
        expectSameTree(before, try snapshot(folder.path))

        let template = folder.appending("template")
        #expect(try runProcess("/bin/cp", ["-R", fixtureTemplates.appendingPathComponent("paths").path, template]).status == 0)
        try folder.write("template/hooks/pre_prompt.sh", "#!/bin/sh\nexit 0\n")
        expectOneLineError(
            try mf(["scaffold", "--no-input", "--no-git", "-o", folder.appending("out"), template]), containing: "pre_prompt hook is not supported")
        #expect(!FileManager.default.fileExists(atPath: folder.appending("out")))
        let project = try #require(try FileManager.default.contentsOfDirectory(atPath: template).first { $0.hasPrefix("{{") })
        try FileManager.default.createSymbolicLink(atPath: template + "/" + project + "/linked", withDestinationPath: "/usr")
        let linked = try mf(["scaffold", "--no-input", "--no-git", "--accept-hooks", "no", "-o", folder.appending("out"), template])
        #expect(linked.status == 0, "\(linked.stderr)")
        let made = try FileManager.default.contentsOfDirectory(atPath: folder.appending("out")).first ?? ""
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.appending("out/\(made)/linked")).isEmpty)
    }

    @Test func hooksRunOnlyWhenAccepted() throws {
        let folder = TemporaryDirectory("hooks")
        let template = fixtureTemplates.appendingPathComponent("hooks").path
        #expect(try mf(["scaffold", "--no-input", "--no-git", "--accept-hooks", "no", "-o", folder.appending("no"), template]).status == 0)
        #expect(try mf(["scaffold", "--no-input", "--no-git", "-o", folder.appending("yes"), template]).status == 0)
        let without = try snapshot(folder.appending("no"))
        let with = try snapshot(folder.appending("yes"))
        #expect(with.count > without.count, "the hooks wrote nothing: \(with.keys.sorted())")
        let failing = badTemplates.appendingPathComponent("failing-hook").path
        let skipped = try mf(["scaffold", "--no-input", "--no-git", "--accept-hooks", "no", "-o", folder.appending("skip"), failing])
        #expect(skipped.status == 0, "\(skipped.stderr)")
    }

    /// Without --no-input each variable is asked on stderr with its default; answers come from stdin.
    @Test func promptsShowDefaultsAndChoices() throws {
        let folder = TemporaryDirectory("prompt")
        let answers = "Prompted Model\n\n\n\n2\n" + String(repeating: "\n", count: 20)
        let result = try mf(["scaffold", "python-model", "--no-git", "-o", folder.path], input: Data(answers.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("[1/12] model_name (Churn): "))
        #expect(result.stderr.contains("[2/12] model_slug (prompted_model): "))
        #expect(result.stderr.contains("Select algorithm\n    1 - logistic_regression\n    2 - random_forest\n    Choose from [1/2] (1): "))
        let model = try String(contentsOfFile: folder.appending("prompted_model/model.py"), encoding: .utf8)
        #expect(model.contains("RandomForest"))
    }

    /// A template from a git URL, through the git layer: a tag with --checkout, a subfolder with
    /// --directory, and the template's commit in the report.
    @Test func gitTemplateWithCheckoutAndDirectory() throws {
        let source = try GitFixture("template-repo")
        let copy = try runProcess("/bin/cp", ["-R", fixtureTemplates.appendingPathComponent("paths").path, source.path + "/paths"])
        #expect(copy.status == 0)
        try source.git(["add", "-A"])
        try source.git(["commit", "-q", "-m", "template"])
        try source.git(["tag", "v1"])
        try source.directory.write("repo/paths/cookiecutter.json", "not json any more")
        try source.git(["commit", "-q", "-am", "break it"])
        let folder = TemporaryDirectory("from-git")
        let url = "file://" + source.path
        let result = try mf(["scaffold", url, "--checkout", "v1", "--directory", "paths", "--no-input", "-o", folder.path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try json(result) as? [String: Any])
        let tagged = try source.git(["rev-parse", "v1^{commit}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(report["templateCommit"] as? String == tagged)
        let broken = try mf(["scaffold", url, "--directory", "paths", "--no-input", "-o", folder.appending("head")])
        expectOneLineError(broken, containing: "is not valid JSON")
        expectOneLineError(try mf(["scaffold", url, "--checkout", "v9", "--no-input", "-o", folder.path]), containing: "v9")
    }
}
