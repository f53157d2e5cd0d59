import TestSupport
import Testing

@testable import ModelFactory

@Suite(.onTestThreads) struct DeploymentTests {
    /// The image runs the Python minor version the build had (the lock's hashed wheels are for
    /// it), with the C libraries mf links; without a recorded version it falls back to 3.11.
    @Test(arguments: [
        ("Python 3.12.1", "python:3.12-slim-bookworm"), ("Python 3.9.18", "python:3.9-slim-bookworm"), (nil, "python:3.11-slim-bookworm"),
        ("garbage", "python:3.11-slim-bookworm"),
    ])
    func pythonImagesFollowTheBuild(python: String?, image: String) {
        let dockerfile = Deployment.dockerfile(model: "churn", version: "1.0.0", runtime: "python", python: python)
        #expect(dockerfile.contains("FROM \(image)\n"), "\(dockerfile)")
        #expect(dockerfile.contains(Deployment.runtimePackages))
        #expect(dockerfile.contains(#"CMD ["mf", "serve", "/bundle", "--host", "0.0.0.0", "--port", "8080", "--python", "system"]"#))
    }

    /// model.yaml's system_packages join mf's own in the one apt-get line, so any runtime runs.
    @Test func systemPackagesAreInstalled() {
        let dockerfile = Deployment.dockerfile(model: "churn", version: "1.0.0", runtime: "command", systemPackages: ["nodejs", "libgomp1"])
        #expect(dockerfile.contains("FROM debian:bookworm-slim\n"))
        #expect(
            dockerfile.contains(
                "RUN apt-get update && apt-get install -y --no-install-recommends \(Deployment.runtimePackages) python3 nodejs libgomp1 && rm -rf /var/lib/apt/lists/*\n"
            ),
            "\(dockerfile)")
        #expect(dockerfile.contains("# mf's libraries and what model.yaml's system_packages asks for: nodejs, libgomp1\n"))
        let python = Deployment.dockerfile(model: "churn", version: "1.0.0", runtime: "python", python: "Python 3.11.2", systemPackages: ["libgomp1"])
        #expect(python.contains("--no-install-recommends \(Deployment.runtimePackages) libgomp1 && "), "\(python)")
        // None named: the Dockerfile of every bundle made before is unchanged.
        let plain = Deployment.dockerfile(model: "churn", version: "1.0.0", runtime: "command")
        #expect(
            plain.contains("COPY . /bundle\nRUN apt-get update && apt-get install -y --no-install-recommends \(Deployment.runtimePackages) python3 && rm -rf"))
        #expect(!plain.contains("system_packages"))
    }

    @Test func otherRuntimesGetDebianWithPython() {
        let dockerfile = Deployment.dockerfile(model: "churn", version: "1.0.0", runtime: "swift")
        #expect(dockerfile.contains("FROM debian:bookworm-slim\n") && dockerfile.contains(Deployment.runtimePackages + " python3"))
        #expect(!dockerfile.contains("--python"))
    }
}
