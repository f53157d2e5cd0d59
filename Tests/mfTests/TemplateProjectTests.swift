import Foundation
import TestSupport
import Testing

/// The built-in templates give projects that work with no edits: their own tests pass and
/// `mf build` trains, evaluates and gates them.
@Suite struct TemplateProjectTests {
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

    /// swift-model: `swift test` in the package, then `swift package mf build` through the
    /// SwiftPM command plugin, with ModelKit (and the plugin) from this checkout. Not repeated in
    /// the AddressSanitizer pass: the plugin builds its own mf.
    @Test(.timeLimit(.minutes(30)), .disabled(if: ProcessInfo.processInfo.environment["MF_BINARY"] != nil))
    func swiftModelPassesItsTestsAndBuildsThroughThePlugin() async throws {
        let folder = TemporaryDirectory("swift-model")
        let scaffold = try await mf(["scaffold", "swift-model", "--no-input", "--set", "model_name=Retention", "-o", folder.path])
        #expect(scaffold.status == 0, "\(scaffold.stderr)")
        let project = folder.appending("retention")
        var environment = ProcessInfo.processInfo.environment
        environment["MODELKIT_PATH"] = repositoryRoot.path
        environment["MF_HOME"] = folder.appending("home")
        let swift = try #require(Scaffold.onPath("swift"), "swift is not on PATH")
        let tests = try await runProcess(swift, ["test"], in: project, environment: environment)
        #expect(tests.status == 0, "\(tests.stdout.suffix(3000))\(tests.stderr.suffix(3000))")

        let build = try await runProcess(swift, ["package", "mf", "build", "--json"], in: project, environment: environment)
        #expect(build.status == 0, "\(build.stdout.suffix(3000))\(build.stderr.suffix(3000))")
        let start = try #require(build.stdout.firstIndex(of: "["), "no JSON in: \(build.stdout.suffix(2000))")
        let reports = try JSONSerialization.jsonObject(with: Data(build.stdout[start...].utf8)) as? [[String: Any]]
        #expect(reports?.first?["status"] as? String == "passed", "\(reports?.first?["failure"] ?? build.stdout.suffix(2000))")
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
