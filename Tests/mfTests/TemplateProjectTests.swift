import Foundation
import TestSupport
import Testing

/// The built-in templates give projects that work with no edits: their own tests pass and
/// `mf build` trains, evaluates and gates them.
@Suite(.onTestThreads) struct TemplateProjectTests {
    /// python-model: pytest in a virtual environment from requirements-dev.txt, then `mf build`.
    @Test(.timeLimit(.minutes(15)))
    func pythonModelPassesItsTestsAndBuild() async throws {
        let folder = TemporaryDirectory("python-model")
        let scaffold = try await mf(["scaffold", "python-model", "--no-input", "--set", "model_name=Retention", "-o", folder.path])
        #expect(scaffold.status == 0, "\(scaffold.stderr)")
        let project = folder.appending("retention")
        let venv = folder.appending("venv")
        let made = try await runProcess("/usr/bin/env", ["python3", "-m", "venv", venv])
        #expect(made.status == 0, "\(made.stderr)")
        let installed = try await runProcess(venv + "/bin/pip", ["install", "-q", "--disable-pip-version-check", "-r", "requirements-dev.txt"], in: project)
        #expect(installed.status == 0, "\(installed.stderr)")
        let tests = try await runProcess(venv + "/bin/python", ["-m", "pytest", "-p", "no:cacheprovider"], in: project)
        #expect(tests.status == 0, "\(tests.stdout)\(tests.stderr)")
        #expect(tests.stdout.contains("passed"))

        let home = folder.appending("home")
        let build = try await mf(["build", "--repo", project, "--home", home, "--json"])
        #expect(build.status == 0, "\(build.stdout)\(build.stderr)")
        let report = try #require((try json(build) as? [[String: Any]])?.first)
        #expect(report["status"] as? String == "passed", "\(report["failure"] ?? "")")
        let sessions = try await mf(["sessions", "--repo", project, "--home", home, "--json"])
        #expect((try json(sessions) as? [[String: Any]])?.count == 1)
    }

    /// swift-model and the Swift example as a user meets them: `mf` installed with
    /// `scripts/install` into a prefix, run from folders outside the checkout with a clean
    /// environment (no MODELKIT_PATH, no MF_HOME, a fresh HOME and so fresh SwiftPM caches, no
    /// network needed). The scaffolded package passes `swift test` by hand at once, builds,
    /// bundles and verifies through `mf`, and runs `mf` through the `swift package mf` plugin
    /// that ships with ModelKit; the example copied out of the checkout reconciles into a
    /// verified bundle. Not repeated in the AddressSanitizer pass (the same Swift builds, and
    /// the clean environment drops the sanitizer's suppressions).
    @Test(.timeLimit(.minutes(30)), .disabled(if: ProcessInfo.processInfo.environment["MF_BINARY"] != nil))
    func installedMFBuildsSwiftModelsOffline() async throws {
        let folder = TemporaryDirectory("installed")
        let prefix = folder.appending("prefix")
        let installed = try await runProcess(
            repositoryRoot.appendingPathComponent("scripts/install").path, ["--binary", mfBinary, prefix])
        #expect(installed.status == 0, "\(installed.stderr)")
        let swift = try #require(Scaffold.onPath("swift"), "swift is not on PATH")
        let swiftFolder = URL(fileURLWithPath: swift).resolvingSymlinksInPath().deletingLastPathComponent().path
        let environment = [
            "PATH": "\(prefix)/bin:\(swiftFolder):/usr/local/bin:/usr/bin:/bin", "HOME": folder.appending("user"),
            "LANG": "C.UTF-8",
        ]
        try FileManager.default.createDirectory(atPath: folder.appending("user"), withIntermediateDirectories: true)
        let work = folder.appending("work")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let mf = prefix + "/bin/mf"
        func run(_ executable: String, _ arguments: [String], in directory: String) async throws -> ProcessResult {
            let result = try await runProcess(executable, arguments, in: directory, environment: environment)
            #expect(!result.signalled, "\(arguments) crashed: \(result.stderr)")
            return result
        }

        let scaffold = try await run(mf, ["scaffold", "swift-model", "--no-input", "--set", "model_name=Retention"], in: work)
        #expect(scaffold.status == 0, "\(scaffold.stderr)")
        #expect(scaffold.stdout.contains("ModelKit resolves offline from"), "\(scaffold.stdout)")
        let project = work + "/retention"
        let manifest = try String(contentsOfFile: project + "/Package.swift", encoding: .utf8)
        #expect(manifest.contains("https://github.com/model-factory/modelkit.git") && !manifest.contains("model-factory.git"))

        // By hand, as the scaffolded README says: nothing to set up after mf scaffold.
        let tests = try await run(swift, ["test"], in: project)
        #expect(tests.status == 0, "\(tests.stdout.suffix(3000))\(tests.stderr.suffix(3000))")
        let checkouts = (try? FileManager.default.contentsOfDirectory(atPath: project + "/.build/checkouts")) ?? []
        #expect(checkouts == ["modelkit"], "resolved more than ModelKit: \(checkouts)")

        // Through mf, from the package's folder, with the default home (~/.mf of the fresh HOME).
        let build = try await run(mf, ["build", "--json"], in: project)
        #expect(build.status == 0, "\(build.stdout.suffix(2000))\(build.stderr.suffix(2000))")
        #expect((try json(build) as? [[String: Any]])?.first?["status"] as? String == "passed")
        try await tagRelease(project, environment: environment)
        let bundled = try await run(mf, ["bundle", "v1.0.0", "--json"], in: project)
        #expect(bundled.status == 0, "\(bundled.stderr)")
        let bundle = try #require((try json(bundled) as? [[String: Any]])?.first?["path"] as? String)
        #expect(bundle.hasPrefix(folder.appending("user") + "/.mf/"), "the default home is not $HOME/.mf: \(bundle)")
        let verified = try await run(mf, ["verify", bundle], in: work)
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")

        // The plugin that comes with ModelKit runs the mf on PATH on this package.
        let plugin = try await run(swift, ["package", "mf", "sessions", "--json"], in: project)
        #expect(plugin.status == 0, "\(plugin.stdout.suffix(2000))\(plugin.stderr.suffix(2000))")
        let start = try #require(plugin.stdout.firstIndex(of: "["), "no JSON in: \(plugin.stdout.suffix(2000))")
        let sessions = try JSONSerialization.jsonObject(with: Data(plugin.stdout[start...].utf8)) as? [[String: Any]]
        #expect(sessions?.count == 1)

        // The built-in example, copied out of the checkout, reconciled into a verified bundle.
        let example = work + "/churn-swift"
        try FileManager.default.copyItem(atPath: repositoryRoot.appendingPathComponent("examples/churn-swift").path, toPath: example)
        try await tagRelease(example, environment: environment, initialise: true)
        let reconciled = try await run(mf, ["reconcile", "--json"], in: example)
        #expect(reconciled.status == 0, "\(reconciled.stdout.suffix(2000))\(reconciled.stderr.suffix(2000))")
        let bundles = try await run(mf, ["bundles", "--json"], in: work)
        let paths = ((try json(bundles) as? [[String: Any]]) ?? []).compactMap { $0["path"] as? String }
        #expect(paths.count == 2, "\(bundles.stdout)")
        for path in paths where path != bundle {
            let verified = try await run(mf, ["verify", path], in: work)
            #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        }
    }

    /// Commits (a new repository when `initialise`) and tags v1.0.0 with plain git.
    private func tagRelease(_ folder: String, environment: [String: String], initialise: Bool = false) async throws {
        let git = try #require(Scaffold.onPath("git"))
        var environment = environment
        environment.merge(gitEnvironment(home: environment["HOME"]!)) { $1 }
        var commands: [[String]] = []
        if initialise {
            commands += [["init", "-q", "-b", "master"], ["add", "-A"], ["commit", "-q", "-m", "example"]]
        } else {
            commands += [["switch", "-q", "master"]]
        }
        commands.append(["tag", "-a", "-m", "release", "v1.0.0"])
        for command in commands {
            let result = try await runProcess(git, command, in: folder, environment: environment)
            #expect(result.status == 0, "git \(command): \(result.stderr)")
        }
    }
}

enum Scaffold {
    static func onPath(_ name: String) -> String? {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = String(folder) + "/" + name
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
