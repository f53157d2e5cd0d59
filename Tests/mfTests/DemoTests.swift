import Foundation
import SQLiteStore
import Store
import TestSupport
import Testing

/// The README's main job, end to end: `mf demo` scaffolds, walks the flow, reconciles, shows
/// bundles and environments, serves production, shows the production loop (labelled feedback
/// and live metrics, a drift alert), and rolls the next release out under load until promoted.
/// Installs scikit-learn from PyPI once (pip's cache makes reruns quick).
@Suite(.onTestThreads) struct DemoTests {
    @Test func theWholeStoryRuns() async throws {
        let folder = TemporaryDirectory("demo")
        let workspace = folder.appending("story")
        let result = try await mf(["demo", "--path", workspace, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try json(result) as? [String: Any])
        let repository = try #require(report["repository"] as? String)
        let home = try #require(report["home"] as? String)
        #expect(home == workspace + "/home")

        // git agrees with the story: the releases on master, the hotfix merged back, one open feature.
        let environment = gitEnvironment(home: folder.path)
        let tags = try await runProcess("/usr/bin/git", ["-C", repository, "tag", "--merged", "master"], environment: environment).stdout
        #expect(tags == "v1.0.0\nv1.0.1\nv1.1.0\n")
        let merged = try await runProcess("/usr/bin/git", ["-C", repository, "merge-base", "--is-ancestor", "v1.0.1", "development"], environment: environment)
        #expect(merged.status == 0)
        let branches = try await runProcess("/usr/bin/git", ["-C", repository, "branch", "--format=%(refname:short)"], environment: environment).stdout
        #expect(branches.split(separator: "\n").sorted() == ["development", "master"])
        #expect(try await runProcess("/usr/bin/git", ["-C", repository, "status", "--porcelain"], environment: environment).stdout.isEmpty)
        #expect(try await mf(["check", "--repo", repository]).status == 0)

        // What the first reconcile made: two release bundles and a staging one of the development
        // head before v1.1.0 merged the feature (development's first parent now), production on the hotfix.
        let development = try await runProcess("/usr/bin/git", ["-C", repository, "rev-parse", "--short=7", "development^1"], environment: environment)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let bundles = try #require(report["bundles"] as? [[String: Any]])
        #expect(bundles.compactMap { $0["version"] as? String }.sorted() == ["1.0.0", "1.0.1", "1.1.0-dev.g\(development)"], "\(bundles)")
        for bundle in bundles { #expect(try await mf(["verify", bundle["archive"] as! String]).status == 0) }
        let environments = try #require(report["environments"] as? [[String: Any]])
        let production = environments.first { $0["name"] as? String == "production" }
        let staging = environments.first { $0["name"] as? String == "staging" }
        #expect(production?["current"] as? String == "1.0.1" && production?["desired"] as? String == "1.0.1")
        #expect(staging?["current"] as? String == "1.1.0-dev.g\(development)")
        let actions = stringActions(report["reconcile"] as? [String: Any] ?? [:])
        #expect(actions.contains { $0["kind"] == "session" && $0["target"] == "feature/balanced-classes" && $0["outcome"] == "passed" }, "\(actions)")
        // The hotfix's schema change is in its bundle only.
        let hotfix = try String(contentsOfFile: home + "/bundles/churn/1.0.1/model.yaml", encoding: .utf8)
        #expect(hotfix.contains("max: 10000"))
        #expect(try !String(contentsOfFile: home + "/bundles/churn/1.0.0/model.yaml", encoding: .utf8).contains("max: 10000"))

        // Served: one v1 prediction, one v2 inference, and the swap to 1.1.0 with none failed.
        let serve = try #require(report["serve"] as? [String: Any])
        #expect((serve["url"] as? String)?.hasPrefix("http://127.0.0.1:") == true, "\(serve)")
        let v1 = try #require((serve["v1"] as? [String: Any])?["predictions"] as? [[String: Any]], "\(serve)")
        #expect(v1.count == 1 && v1[0]["churn_probability"] is Double)
        let outputs = try #require((serve["v2"] as? [String: Any])?["outputs"] as? [[String: Any]], "\(serve)")
        #expect(outputs.map { $0["name"] as? String } == ["churn_probability"])
        let swap = try #require(serve["swap"] as? [String: Any])
        #expect(swap["failed"] as? Int == 0, "\(swap)")
        let versions = try #require(swap["versions"] as? [String: Int])
        #expect((swap["requests"] as? Int ?? 0) >= 50 && (versions["1.1.0"] ?? 0) >= 50 && (versions["1.0.1"] ?? 0) > 0, "\(swap)")
        #expect(try await mf(["bundles", "--home", home, "--json"]).stdout.contains("\"1.1.0\""))

        // The production loop: every row of data/test.csv predicted and labelled, each label joined.
        let loop = try #require(serve["loop"] as? [String: Any], "\(serve)")
        let rows = try String(contentsOfFile: repository + "/data/test.csv", encoding: .utf8).split(separator: "\n").count - 1
        let feedback = try #require(loop["feedback"] as? [String: Int], "\(loop)")
        #expect(rows > 0 && feedback == ["received": rows, "joined": rows, "unknown": 0], "\(feedback)")
        // A live session of 1.0.1 on those rows, its metrics under split live beside the offline ones.
        let live = try #require(loop["live"] as? [String: Any], "\(loop)")
        #expect(live["version"] as? String == "1.0.1" && live["rows"] as? Int == rows && live["status"] as? String == "passed", "\(live)")
        #expect((live["metrics"] as? [String: Any])?["auc"] is Double, "\(live)")
        let compared = try await mf(["metrics", "--compare", "1.0.0", "1.0.1", "--home", home, "--json"])
        let comparison = try #require((try json(compared) as? [String: Any])?["metrics"] as? [[String: Any]])
        #expect(comparison.contains { $0["name"] as? String == "auc" && $0["split"] as? String == "live" && $0["b"] is Double }, "\(compared.stdout)")
        #expect(comparison.contains { $0["name"] as? String == "auc" && $0["split"] as? String == "evaluate" && $0["b"] is Double }, "\(compared.stdout)")
        // monthly_charges ×4 raised the alert of that field alone.
        let fields = try #require((loop["drift"] as? [String: Any])?["fields"] as? [[String: Any]], "\(loop)")
        let alerts = Dictionary(uniqueKeysWithValues: fields.map { ($0["name"] as? String ?? "?", $0["alert"] as? Bool ?? false) })
        #expect(alerts == ["tenure": false, "contract": false, "monthly_charges": true], "\(fields)")
        // The server recorded the drift every second: the dashboard has a history to chart.
        let samples = try SQLiteStore(path: home + "/factory.sqlite").driftSamples(model: "churn", version: nil, since: nil, limit: 1000)
        #expect(samples.contains { $0.field == "monthly_charges" && ($0.psi ?? 0) > 0.2 }, "\(samples.count) drift samples")
        // The rollout's decisions: started, each step passed, promoted; all in the audit trail too.
        let rollout = try #require(loop["rollout"] as? [[String: Any]], "\(loop)")
        #expect(rollout.map { $0["kind"] as? String } == ["rollout_started", "rollout_step", "rollout_step", "promoted"], "\(rollout)")
        #expect(rollout.allSatisfy { $0["from"] as? String == "1.0.1" && $0["to"] as? String == "1.1.0" && $0["cause"] as? String == "rollout" }, "\(rollout)")
        let history = try await mf(["history", "production", "--repo", repository, "--home", home, "--json"])
        let kinds = try #require(try json(history) as? [[String: Any]]).compactMap { $0["kind"] as? String }
        #expect(kinds.contains("drift_alert") && kinds.contains("promoted") && kinds.contains("rollout_started"), "\(history.stdout)")
        let status = try await mf(["status", "--repo", repository, "--home", home])
        #expect(status.stdout.contains("Environment production: desired 1.1.0 (v1.1.0), current 1.1.0"), "\(status.stdout)")
        // The server is stopped: nothing listens on its port any more.
        let port = try #require(Int((serve["url"] as? String)?.split(separator: ":").last ?? ""))
        #expect(throws: (any Error).self) { try http("GET", port: port, "/v2/health/live") }

        // The same story told to a person, in a home of its own (the story's repository is new, so
        // its releases are other commits: one home refuses a second bundle of churn 1.0.0) that
        // shares the Python environments, so scikit-learn is not installed again.
        let secondHome = folder.appending("second-home")
        try FileManager.default.createDirectory(atPath: secondHome, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: secondHome + "/envs", withDestinationPath: home + "/envs")
        let text = try await mf(["demo", "--path", folder.appending("again"), "--home", secondHome])
        #expect(text.status == 0, "\(text.stderr)")
        for line in [
            "== 4. Release v1.0.0", "$ mf reconcile", "Environment production: desired 1.0.1 (v1.0.1), current 1.0.1", "churn 1.0.1: intact",
            "churn v1.0.0: train", "churn feature/balanced-classes: build", "$ curl -s http://127.0.0.1:", "/v1/models/churn:predict",
            "/v2/models/churn/infer", "{\"predictions\":[{\"churn_probability\":", "/v1/models/churn/feedback", "\"joined\":\(rows)",
            "$ mf metrics --compare 1.0.0 1.0.1", "DIFFERENCE", "$ mf metrics --live --model churn", "/v2/models/churn/stats",
            "Drift in production (churn 1.0.1): monthly_charges PSI", "Declare on development how the next release reaches production", "Release v1.1.0",
            "environment production: done churn 1.0.1 -> 1.1.0", "0 failed", "$ mf history production --model churn", "rollout_started", "promoted",
            "server stopped",
        ] {
            #expect(text.stdout.contains(line), "\(line) missing from\n\(text.stdout)")
        }
        // It refuses a folder that exists rather than touching it.
        let again = try await mf(["demo", "--path", workspace])
        #expect(again.status == 2 && again.stderr.contains("already exists"), "\(again.stderr)")
    }
}
