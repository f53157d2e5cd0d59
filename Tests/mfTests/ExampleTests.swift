import Foundation
import TestSupport
import Testing

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Copies an example into a fresh git repository made with plain git.
func exampleRepository(_ name: String) throws -> GitFixture {
    let fixture = try GitFixture(name)
    let source = repositoryRoot.appendingPathComponent("examples/\(name)").path
    for item in try FileManager.default.contentsOfDirectory(atPath: source) {
        try FileManager.default.copyItem(atPath: source + "/" + item, toPath: fixture.path + "/" + item)
    }
    try fixture.git(["add", "-A"])
    try fixture.git(["commit", "-q", "-m", "example"])
    return fixture
}

@Suite struct ExampleTests {
    @Test func examplesAndTemplatesShipTheCurrentPythonRunner() throws {
        let runner = try Data(contentsOf: repositoryRoot.appendingPathComponent("runtimes/python/mf_runner.py"))
        #expect(try Data(contentsOf: repositoryRoot.appendingPathComponent("examples/churn-python/mf_runner.py")) == runner)
        #expect(try Data(contentsOf: repositoryRoot.appendingPathComponent("templates/python-model/{{cookiecutter.model_slug}}/mf_runner.py")) == runner)
    }

    /// The Swift example end to end, copied out of the checkout: `mf build` answers its ModelKit
    /// dependency with mf's own copy (no MODELKIT_PATH, no network), then the worker through
    /// the interface, then a bundle that two homes build byte for byte.
    @Test(.timeLimit(.minutes(15)))
    func swiftChurnExample() async throws {
        let fixture = try exampleRepository("churn-swift")
        let home = TemporaryDirectory("home")
        let build = try await mf(
            ["build", "--repo", fixture.path, "--home", home.path, "--json"])
        #expect(build.status == 0, "\(build.stdout)\n\(build.stderr)")
        let report = try #require((try json(build) as? [[String: Any]])?.first)
        #expect(report["status"] as? String == "passed", "\(report["failure"] ?? "")")
        let metrics = try #require((report["metrics"] as? [String: Any])?["evaluate"] as? [String: Double])
        #expect((metrics["auc"] ?? 0) >= 0.75)
        try fixture.directory.write("in.json", #"[{"tenure": 2, "contract": "monthly", "monthly_charges": 95.5}]"#)
        let predicted = try await mf(
            ["predict", "--input", fixture.directory.appending("in.json"), "--repo", fixture.path, "--home", home.path])
        let predictions = try #require((try json(predicted) as? [String: Any])?["predictions"] as? [[String: Double]])
        #expect((predictions.first?["churn_probability"] ?? 0) > 0.5)

        // Bundled: the executable has the Swift runtime linked in, and (outside the sanitizer
        // pass, which would build twice more) a second home builds the very same bytes.
        try fixture.git(["tag", "-a", "-m", "release", "v1.0.0"])
        let bundled = try await mf(["bundle", "v1.0.0", "--repo", fixture.path, "--home", home.path, "--json"])
        #expect(bundled.status == 0, "\(bundled.stderr)")
        let bundle = try #require((try json(bundled) as? [[String: Any]])?.first)
        let executable = (bundle["path"] as! String) + "/plugin/.build/release/churn"
        #expect(FileManager.default.isExecutableFile(atPath: executable))
        let libraries = try await runProcess("/usr/bin/ldd", [executable]).stdout
        #expect(!libraries.contains("libswiftCore") && !libraries.contains("libFoundation"), "\(libraries)")
        guard ProcessInfo.processInfo.environment["MF_BINARY"] == nil else { return }
        let other = TemporaryDirectory("home")
        let again = try await mf(["bundle", "v1.0.0", "--repo", fixture.path, "--home", other.path, "--json"])
        #expect(again.status == 0, "\(again.stderr)")
        let second = try #require((try json(again) as? [[String: Any]])?.first)
        #expect(second["sha256"] as? String == bundle["sha256"] as? String)
        let one = try Data(contentsOf: URL(fileURLWithPath: executable))
        let two = try Data(contentsOf: URL(fileURLWithPath: (second["path"] as! String) + "/plugin/.build/release/churn"))
        #expect(one == two, "the two homes built different executables")
    }

    /// The scikit-learn example end to end: a virtual environment from requirements.txt (from
    /// PyPI), training, evaluation, gates, then predictions by hand.
    @Test(.timeLimit(.minutes(10)))
    func pythonChurnExample() async throws {
        let fixture = try exampleRepository("churn-python")
        let home = TemporaryDirectory("home")
        let build = try await mf(["build", "--repo", fixture.path, "--home", home.path, "--json"])
        #expect(build.status == 0, "\(build.stdout)\n\(build.stderr)")
        let report = try #require((try json(build) as? [[String: Any]])?.first)
        #expect(report["status"] as? String == "passed", "\(report["failure"] ?? "")")
        let metrics = try #require((report["metrics"] as? [String: Any])?["evaluate"] as? [String: Double])
        #expect(Set(metrics.keys) == ["auc", "log_loss", "accuracy", "precision", "recall", "f1"])
        #expect((metrics["auc"] ?? 0) >= 0.75)

        try fixture.directory.write("in.json", #"[{"tenure": 2, "contract": "monthly", "monthly_charges": 95.5}, {"tenure": 60, "contract": "yearly", "monthly_charges": 35}]"#)
        let predicted = try await mf(["predict", "--input", fixture.directory.appending("in.json"), "--repo", fixture.path, "--home", home.path])
        #expect(predicted.status == 0, "\(predicted.stderr)")
        let predictions = try #require((try json(predicted) as? [String: Any])?["predictions"] as? [[String: Double]])
        let first = try #require(predictions.first?["churn_probability"]), second = try #require(predictions.last?["churn_probability"])
        #expect(first > 0.5 && second < 0.5)
    }
}
