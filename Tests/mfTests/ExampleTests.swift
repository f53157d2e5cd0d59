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

@Suite(.onTestThreads) struct ExampleTests {
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

    /// The examples are one model in three languages: the same data, byte for byte.
    @Test(arguments: ["data/train.csv", "data/test.csv", "data/make_data.py"])
    func examplesShareTheirData(file: String) throws {
        let python = try Data(contentsOf: repositoryRoot.appendingPathComponent("examples/churn-python/" + file))
        #expect(try Data(contentsOf: repositoryRoot.appendingPathComponent("examples/churn-node/" + file)) == python)
    }

    /// The Node.js example, a worker of the `command` runtime written against the protocol page
    /// alone: built and gated, predicting (with nothing new recorded), bundled with a Dockerfile
    /// that installs its system_packages (the same bytes from a second home), and served.
    @Test(.timeLimit(.minutes(5)))
    func nodeChurnExample() throws {
        let fixture = try exampleRepository("churn-node")
        let home = TemporaryDirectory("home")
        let build = try mf(["build", "--repo", fixture.path, "--home", home.path, "--json"])
        #expect(build.status == 0, "\(build.stdout)\n\(build.stderr)")
        let report = try #require((try json(build) as? [[String: Any]])?.first)
        #expect(report["status"] as? String == "passed", "\(report["failure"] ?? "")")
        #expect(
            (report["steps"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
                == ["build", "start", "describe", "train", "evaluate", "predict", "artifacts", "gates"])
        let metrics = try #require((report["metrics"] as? [String: Any])?["evaluate"] as? [String: Double])
        #expect(Set(metrics.keys) == ["auc", "log_loss", "accuracy"])
        #expect((metrics["auc"] ?? 0) >= 0.75)

        try fixture.directory.write(
            "in.json", #"[{"tenure": 2, "contract": "monthly", "monthly_charges": 95.5}, {"tenure": 60, "contract": "yearly", "monthly_charges": 35}]"#)
        let predicted = try mf(["predict", "--input", fixture.directory.appending("in.json"), "--repo", fixture.path, "--home", home.path])
        #expect(predicted.status == 0, "\(predicted.stderr)")
        let predictions = try #require((try json(predicted) as? [String: Any])?["predictions"] as? [[String: Double]])
        let first = try #require(predictions.first?["churn_probability"])
        let second = try #require(predictions.last?["churn_probability"])
        #expect(first > 0.5 && second < 0.5)
        let sessions = try #require(try json(try mf(["sessions", "--home", home.path, "--json"])) as? [[String: Any]])
        #expect(sessions.count == 1)

        try fixture.git(["tag", "-a", "-m", "release", "v1.0.0"])
        let bundled = try mf(["bundle", "v1.0.0", "--repo", fixture.path, "--home", home.path, "--json"])
        #expect(bundled.status == 0, "\(bundled.stderr)")
        let bundle = try #require((try json(bundled) as? [[String: Any]])?.first)
        let path = try #require(bundle["path"] as? String)
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path + "/bundle.json"))) as? [String: Any])
        #expect(manifest["runtime"] as? String == "command" && manifest["run"] as? [String] == ["node", "worker.js"])
        #expect(manifest["systemPackages"] as? [String] == ["nodejs"])
        let dockerfile = try String(contentsOfFile: path + "/Dockerfile", encoding: .utf8)
        #expect(dockerfile.contains("FROM debian:bookworm-slim\n"), "\(dockerfile)")
        #expect(
            dockerfile.contains(
                "RUN apt-get update && apt-get install -y --no-install-recommends libgit2-1.5 libsqlite3-0 zlib1g libcurl4 ca-certificates python3 nodejs && rm -rf /var/lib/apt/lists/*\n"
            ),
            "\(dockerfile)")
        #expect(dockerfile.contains(#"CMD ["mf", "serve", "/bundle", "--host", "0.0.0.0", "--port", "8080"]"#))
        #expect(FileManager.default.fileExists(atPath: path + "/plugin/worker.js") && FileManager.default.fileExists(atPath: path + "/artifacts/model.json"))
        #expect(try mf(["verify", path, "--home", home.path]).status == 0)
        let other = TemporaryDirectory("home")
        let again = try mf(["bundle", "v1.0.0", "--repo", fixture.path, "--home", other.path, "--json"])
        #expect((try json(again) as? [[String: Any]])?.first?["sha256"] as? String == bundle["sha256"] as? String)

        // Served as the Dockerfile's CMD serves it, with node on the host's PATH.
        let server = try ServerProcess([path, "--workers", "1", "--home", home.path])
        let answer = try http(
            "POST", port: server.port, "/v1/models/churn:predict", body: predictBody([["tenure": 2, "contract": "monthly", "monthly_charges": 95.5]]))
        #expect(answer.status == 200, "\(answer.text)")
        let served = try #require((try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])?["predictions"] as? [[String: Double]])
        #expect(served.first?["churn_probability"] == first)
        #expect(server.stop() == 0)
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

        try fixture.directory.write(
            "in.json", #"[{"tenure": 2, "contract": "monthly", "monthly_charges": 95.5}, {"tenure": 60, "contract": "yearly", "monthly_charges": 35}]"#)
        let predicted = try await mf(["predict", "--input", fixture.directory.appending("in.json"), "--repo", fixture.path, "--home", home.path])
        #expect(predicted.status == 0, "\(predicted.stderr)")
        let predictions = try #require((try json(predicted) as? [String: Any])?["predictions"] as? [[String: Double]])
        let first = try #require(predictions.first?["churn_probability"])
        let second = try #require(predictions.last?["churn_probability"])
        #expect(first > 0.5 && second < 0.5)
    }
}
