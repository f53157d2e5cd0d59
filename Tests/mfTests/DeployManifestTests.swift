import Foundation
import TestSupport
import Testing

/// The factory's own Kubernetes manifests (`deploy/`): valid, and saying what `mf` understands.
@Suite(.onTestThreads) struct DeployManifestTests {
    /// Every manifest passes kubernetes-validate --strict (unknown fields are errors); every
    /// container runs an `mf` command with flags that command's `--help` lists, and reads the
    /// store from the Secret `mf-store` (PostgreSQL is an external dependency).
    @Test func theFactorysManifestsAreValidAndPassOnlyRealFlags() throws {
        let tools = repositoryRoot.appendingPathComponent(".build-tools/venv/bin")
        let validator = tools.appendingPathComponent("kubernetes-validate").path
        try #require(FileManager.default.isExecutableFile(atPath: validator), "kubernetes-validate is missing: run scripts/setup")
        let deploy = repositoryRoot.appendingPathComponent("deploy")
        let files = try FileManager.default.contentsOfDirectory(atPath: deploy.path).filter { $0.hasSuffix(".yaml") }.sorted()
            .map { deploy.appendingPathComponent($0).path }
        #expect(files.map { URL(fileURLWithPath: $0).lastPathComponent } == ["dashboard.yaml", "webhook.yaml", "workers.yaml"])
        let valid = try runProcess(validator, ["--strict", "-k", "1.31.0"] + files)
        #expect(valid.status == 0, "\(valid.stdout)\(valid.stderr)")

        // The containers, read with PyYAML from the validator's own environment.
        let reader = """
            import json, sys, yaml
            out = []
            for path in sys.argv[1:]:
                for doc in yaml.safe_load_all(open(path)):
                    if doc and doc["kind"] == "Deployment":
                        for c in doc["spec"]["template"]["spec"]["containers"]:
                            store = [e["valueFrom"]["secretKeyRef"] for e in c.get("env", []) if e["name"] == "MF_STORE"]
                            out.append({"name": doc["metadata"]["name"], "args": c["args"], "store": store})
            print(json.dumps(out))
            """
        let read = try runProcess(tools.appendingPathComponent("python").path, ["-c", reader] + files)
        let containers = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [[String: Any]], "\(read.stderr)")
        #expect(containers.compactMap { $0["name"] as? String }.sorted() == ["mf-dashboard", "mf-webhook", "mf-worker"])
        for container in containers {
            let name = container["name"] as? String ?? "?"
            let arguments = try #require(container["args"] as? [String])
            let command = try #require(arguments.first)
            let help = try mf([command, "--help"])
            #expect(help.status == 0, "\(name): mf \(command) --help: \(help.stderr)")
            for flag in arguments.dropFirst() where flag.hasPrefix("--") {
                let option = String(flag.split(separator: "=", maxSplits: 1)[0])
                #expect(help.stdout.contains(option), "\(name) passes \(option), which mf \(command) does not take")
            }
            let store = container["store"] as? [[String: String]]
            #expect(store == [["name": "mf-store", "key": "url"]], "\(name) reads MF_STORE from the Secret mf-store")
        }
    }
}
