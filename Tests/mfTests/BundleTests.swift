import Foundation
import TestSupport
import Testing

/// A small released Python model (no requirements, so no virtual environment): v1.0.0 on master.
func releasedModel(gate: String = ">= 0.9") throws -> GitFixture {
    let fixture = try GitFixture("bundle-model")
    try FileManager.default.copyItem(atPath: repositoryRoot.appendingPathComponent("runtimes/python/mf_runner.py").path, toPath: fixture.path + "/mf_runner.py")
    try fixture.directory.write(
        "repo/model.py",
        """
        import os
        from mf_runner import read_table, roc_auc
        class Model:
            def train(self, data, artifacts, seed):
                with open(os.path.join(artifacts, "weights.txt"), "w") as handle: handle.write("2.5\\n")
                return {}
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
        schema: { inputs: [{ name: x, type: double, min: 0 }], outputs: [{ name: label, type: int }] }
        gates: { auc: "\(gate)" }
        examples: [{ x: 1 }]
        """)
    try fixture.git(["add", "-A"])
    try fixture.git(["commit", "-q", "-m", "model"])
    try fixture.git(["tag", "-a", "-m", "release", "v1.0.0"])
    return fixture
}

@Suite(.onTestThreads) struct BundleTests {
    /// The same tag in two fresh homes gives the same archive; bundling again makes nothing new;
    /// the folder and the archive verify; `mf bundles` lists it.
    @Test func bundlesAreReproducibleAndVerify() throws {
        let fixture = try releasedModel()
        let one = TemporaryDirectory("home")
        let two = TemporaryDirectory("home")
        let first = try mf(["bundle", "v1.0.0", "--repo", fixture.path, "--home", one.path, "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let result = try #require((try json(first) as? [[String: Any]])?.first)
        let second = try #require((try json(try mf(["bundle", "v1.0.0", "--repo", fixture.path, "--home", two.path, "--json"])) as? [[String: Any]])?.first)
        #expect(result["sha256"] as? String == second["sha256"] as? String)
        #expect(result["created"] as? Bool == true)
        let again = try #require((try json(try mf(["bundle", "v1.0.0", "--repo", fixture.path, "--home", one.path, "--json"])) as? [[String: Any]])?.first)
        #expect(again["created"] as? Bool == false && again["sha256"] as? String == result["sha256"] as? String)

        let folder = try #require(result["path"] as? String)
        let archive = try #require(result["archive"] as? String)
        let files = try snapshot(folder).keys
        for expected in [
            "bundle.json", "model.yaml", "Dockerfile", "deploy/deployment.yaml", "deploy/service.yaml", "plugin/model.py", "plugin/mf_runner.py",
            "artifacts/weights.txt",
        ] {
            #expect(files.contains(expected), "\(expected) missing from \(files.sorted())")
        }
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/bundle.json"))) as? [String: Any])
        #expect(manifest["model"] as? String == "demo" && manifest["version"] as? String == "1.0.0" && manifest["tag"] as? String == "v1.0.0")
        #expect((manifest["metrics"] as? [String: Double])?["auc"] == 1)
        #expect(manifest["session"] as? String == result["session"] as? String)
        for path in [folder, archive] {
            let verified = try mf(["verify", path])
            #expect(verified.status == 0 && verified.stdout.contains("intact"), "\(verified.stdout)\(verified.stderr)")
        }
        let listed = try #require(try json(try mf(["bundles", "--home", one.path, "--json"])) as? [[String: Any]])
        #expect(listed.count == 1 && listed.first?["tag"] as? String == "v1.0.0" && listed.first?["sha256"] as? String == result["sha256"] as? String)

        // A release of the same tree reuses the session (nothing trained) and still records the
        // gates it passed.
        let gates = try #require(manifest["gates"] as? [[String: Any]])
        #expect(
            gates.contains {
                $0["gate"] as? String == "auc >= 0.9" && $0["passed"] as? Bool == true
                    && ($0["detail"] as? String)?.hasPrefix("auc >= 0.9: ") == true
            }, "\(gates)")
        try fixture.git(["commit", "-q", "--allow-empty", "-m", "same tree"])
        try fixture.git(["tag", "-a", "-m", "release", "v1.0.1"])
        let reused = try #require((try json(try mf(["bundle", "v1.0.1", "--repo", fixture.path, "--home", one.path, "--json"])) as? [[String: Any]])?.first)
        let reusedManifest = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: (reused["path"] as! String) + "/bundle.json"))) as? [String: Any])
        #expect((reusedManifest["gates"] as? [[String: Any]]).map { NSArray(array: $0) } == NSArray(array: gates), "\(reusedManifest)")
    }

    /// A symbolic link in the model is part of the bundle (with its target) and verifies; a
    /// changed target does not.
    @Test func linksAreBundledAndVerified() throws {
        let fixture = try releasedModel()
        try fixture.directory.write("repo/data/train.csv", "x,y\n1,0\n")
        try FileManager.default.createSymbolicLink(atPath: fixture.path + "/latest.csv", withDestinationPath: "data/train.csv")
        try fixture.git(["add", "-A"])
        try fixture.git(["commit", "-q", "-m", "a link"])
        try fixture.git(["tag", "-a", "-m", "release", "v1.0.1"])
        let home = TemporaryDirectory("home")
        let result = try #require((try json(try mf(["bundle", "v1.0.1", "--repo", fixture.path, "--home", home.path, "--json"])) as? [[String: Any]])?.first)
        let folder = try #require(result["path"] as? String)
        for path in [folder, try #require(result["archive"] as? String)] {
            let verified = try mf(["verify", path])
            #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        }
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/bundle.json"))) as? [String: Any])
        let link = (manifest["files"] as? [[String: Any]])?.first { $0["path"] as? String == "plugin/latest.csv" }
        #expect(link?["link"] as? String == "data/train.csv", "\(String(describing: link))")
        try FileManager.default.removeItem(atPath: folder + "/plugin/latest.csv")
        try FileManager.default.createSymbolicLink(atPath: folder + "/plugin/latest.csv", withDestinationPath: "model.py")
        let changed = try mf(["verify", folder, "--json"])
        #expect(changed.status == 1 && changed.stdout.contains("plugin/latest.csv"), "\(changed.stdout)")
    }

    /// Two repositories with one model name and version cannot share a bundle's place: the second
    /// is refused by name, and the first stays as it was.
    @Test func anotherCommitCannotTakeABundlesPlace() throws {
        let one = try releasedModel()
        let other = try releasedModel()
        try other.commit("notes", file: "notes.txt", content: "another repository\n")
        try other.git(["tag", "-f", "-a", "-m", "release", "v1.0.0"])
        let home = TemporaryDirectory("home")
        #expect(try mf(["bundle", "v1.0.0", "--repo", one.path, "--home", home.path]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: home.appending("bundles/demo/1.0.0/bundle.json")))
        expectOneLineError(
            try mf(["bundle", "v1.0.0", "--repo", other.path, "--home", home.path, "--json"]), containing: "already holds demo 1.0.0 from commit")
        #expect(try Data(contentsOf: URL(fileURLWithPath: home.appending("bundles/demo/1.0.0/bundle.json"))) == before)
        let listed = try #require(try json(try mf(["bundles", "--home", home.path, "--json"])) as? [[String: Any]])
        #expect(listed.count == 1, "\(listed)")
    }

    /// A Python model with requirements: the bundle pins what the build installed, with the hash
    /// of the archive pip installed it from (pip's hash-checking format), and records the
    /// environment's Python. Installs six 1.16.0 from PyPI.
    @Test func pythonRequirementsArePinnedWithHashes() throws {
        let fixture = try releasedModel()
        try fixture.directory.write("repo/requirements.txt", "six==1.16.0\n")
        try fixture.git(["add", "-A"])
        try fixture.git(["commit", "-q", "-m", "requirements"])
        try fixture.git(["tag", "-a", "-m", "release", "v1.1.0"])
        let home = TemporaryDirectory("home")
        let made = try mf(["bundle", "v1.1.0", "--repo", fixture.path, "--home", home.path, "--json"])
        #expect(made.status == 0, "\(made.stderr)")
        let folder = try #require((try json(made) as? [[String: Any]])?.first?["path"] as? String)
        let lock = try String(contentsOfFile: folder + "/requirements.lock", encoding: .utf8)
        #expect(lock.contains("six==1.16.0 \\\n    --hash=sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254\n"), "\(lock)")
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/bundle.json"))) as? [String: Any])
        let toolchain = try #require(manifest["toolchain"] as? [String: String])
        #expect(toolchain["python"]?.hasPrefix("Python 3.") == true && toolchain["mf"] != nil, "\(toolchain)")
        let files = try snapshot(folder).keys
        #expect(!files.contains { $0.contains(".venv") || $0.contains(".mf-toolchain") }, "\(files.sorted())")
        // The lock is what pip accepts in hash-checking mode (checked without installing).
        let check = try runProcess(
            "/usr/bin/env",
            [
                "python3", "-m", "pip", "install", "--dry-run", "--no-deps", "--disable-pip-version-check", "-q",
                "--require-hashes", "-r", folder + "/requirements.lock",
            ])
        #expect(check.status == 0, "\(check.stderr)")

        // Changed code, same requirements: the environment is shared, not installed again.
        try fixture.directory.write("repo/model.py", try String(contentsOfFile: fixture.path + "/model.py", encoding: .utf8) + "# tweak\n")
        try fixture.git(["commit", "-q", "-am", "tweak"])
        try fixture.git(["tag", "-a", "-m", "release", "v1.2.0"])
        let next = try mf(["bundle", "v1.2.0", "--repo", fixture.path, "--home", home.path])
        #expect(next.status == 0 && next.stderr.contains("reusing the Python environment"), "\(next.stdout)\n---\n\(next.stderr)")
        let environments = try FileManager.default.contentsOfDirectory(atPath: home.appending("envs")).filter { !$0.hasSuffix(".lock") }
        #expect(environments.count == 1, "\(environments)")
        #expect(try String(contentsOfFile: home.appending("bundles/demo/1.2.0/requirements.lock"), encoding: .utf8) == lock)
    }

    /// One changed byte, a missing file, an extra file: each fails `mf verify` by name.
    @Test func verifyNamesEachDifference() throws {
        let fixture = try releasedModel()
        let home = TemporaryDirectory("home")
        let result = try #require((try json(try mf(["bundle", "v1.0.0", "--repo", fixture.path, "--home", home.path, "--json"])) as? [[String: Any]])?.first)
        let folder = try #require(result["path"] as? String)
        let model = URL(fileURLWithPath: folder + "/plugin/model.py")
        var bytes = try Data(contentsOf: model)
        bytes[0] ^= 1
        try bytes.write(to: model)
        try FileManager.default.removeItem(atPath: folder + "/Dockerfile")
        try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/extra.txt"))
        let verified = try mf(["verify", folder, "--json"])
        #expect(verified.status == 1)
        let report = try #require(try json(verified) as? [String: Any])
        let differences = (report["differences"] as? [[String: String]])?.map { "\($0["kind"]!) \($0["path"]!)" }
        #expect(differences == ["missing Dockerfile", "extra extra.txt", "changed plugin/model.py"])
        let archive = try #require(result["archive"] as? String)
        // bundle.json itself changed (a better AUC claimed): every file still matches it, but the
        // bundle is not the one the factory published, which the home's store knows.
        let untouched = try mf(["verify", archive, "--home", home.path, "--json"])
        let untouchedReport = try json(untouched) as? [String: Any]
        #expect(untouched.status == 0 && untouchedReport?["published"] as? Bool == true, "\(untouched.stdout)")
        let second = TemporaryDirectory("home")
        let fresh = try #require((try json(try mf(["bundle", "v1.0.0", "--repo", fixture.path, "--home", second.path, "--json"])) as? [[String: Any]])?.first)
        let freshFolder = try #require(fresh["path"] as? String)
        #expect(try mf(["verify", freshFolder, "--home", second.path]).stdout.contains("as published"))
        let manifestFile = URL(fileURLWithPath: freshFolder + "/bundle.json")
        let claimed = try String(contentsOf: manifestFile, encoding: .utf8).replacingOccurrences(of: "\"auc\": 1", with: "\"auc\": 0.99")
        #expect(claimed != (try String(contentsOf: manifestFile, encoding: .utf8)), "the fixture's bundle.json has no \"auc\": 1")
        try claimed.write(to: manifestFile, atomically: true, encoding: .utf8)
        let tampered = try mf(["verify", freshFolder, "--home", second.path, "--json"])
        #expect(tampered.status == 1, "\(tampered.stdout)")
        let kinds = ((try json(tampered) as? [String: Any])?["differences"] as? [[String: String]])?.map { "\($0["kind"]!) \($0["path"]!)" }
        #expect(kinds == ["unpublished bundle.json"], "\(tampered.stdout)")
        let data = try Data(contentsOf: URL(fileURLWithPath: archive))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: home.appending("cut.tar.gz")))
        expectOneLineError(try mf(["verify", home.appending("cut.tar.gz")]), containing: "cut.tar.gz")
        expectOneLineError(try mf(["verify", home.appending("nothing")]), containing: "is not a bundle: it does not exist")
    }

    /// The Kubernetes manifests are valid against the Kubernetes API schemas (kubernetes-validate,
    /// strict: unknown fields are errors), and the validator does reject a broken one.
    @Test func kubernetesManifestsAreValid() throws {
        let validator = repositoryRoot.appendingPathComponent(".build-tools/venv/bin/kubernetes-validate").path
        try #require(FileManager.default.isExecutableFile(atPath: validator), "kubernetes-validate is missing: run scripts/setup")
        let fixture = try releasedModel()
        let home = TemporaryDirectory("home")
        let result = try #require((try json(try mf(["bundle", "v1.0.0", "--repo", fixture.path, "--home", home.path, "--json"])) as? [[String: Any]])?.first)
        let folder = try #require(result["path"] as? String)
        let files = [folder + "/deploy/deployment.yaml", folder + "/deploy/service.yaml"]
        let valid = try runProcess(validator, ["--strict", "-k", "1.31.0"] + files)
        #expect(valid.status == 0, "\(valid.stdout)\(valid.stderr)")
        let deployment = try String(contentsOfFile: files[0], encoding: .utf8)
        #expect(deployment.contains("/v2/health/ready") && deployment.contains("/v2/health/live") && deployment.contains("maxUnavailable: 0"))
        #expect(deployment.contains("app.kubernetes.io/version: \"1.0.0\""))
        try home.write("broken.yaml", deployment.replacingOccurrences(of: "containerPort: 8080", with: "containerPort: eighty"))
        #expect(try runProcess(validator, ["--strict", "-k", "1.31.0", home.appending("broken.yaml")]).status != 0)
    }

    @Test func failedGatesAndNonVersionTagsGetNoBundle() throws {
        let fixture = try releasedModel(gate: ">= 1.5")
        let home = TemporaryDirectory("home")
        let failed = try mf(["bundle", "v1.0.0", "--repo", fixture.path, "--home", home.path])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("demo at v1.0.0 gets no bundle: its session failed (gates: auc >= 1.5"), "\(failed.stderr)")
        // Asked again, it says so without training again, and how to try once more.
        let again = try mf(["bundle", "v1.0.0", "--repo", fixture.path, "--home", home.path])
        #expect(again.status == 1 && again.stderr.contains("mf build --force v1.0.0"), "\(again.stderr)")
        #expect(try #require(try json(try mf(["sessions", "--repo", fixture.path, "--home", home.path, "--json"])) as? [Any]).count == 1)
        try fixture.git(["tag", "nightly"])
        expectOneLineError(try mf(["bundle", "nightly", "--repo", fixture.path, "--home", home.path]), containing: "'nightly' is not a version tag")
        let listed = try json(try mf(["bundles", "--home", home.path, "--json"])) as? [Any]
        #expect(listed?.isEmpty == true)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: home.appending("bundles/demo"))) ?? []).isEmpty)
    }
}
