@testable import ModelFactory
import Testing

@Suite struct DeploymentTests {
    /// The image runs the Python minor version the build had (the lock's hashed wheels are for
    /// it), with the C libraries mf links; without a recorded version it falls back to 3.11.
    @Test(arguments: [("Python 3.12.1", "python:3.12-slim-bookworm"), ("Python 3.9.18", "python:3.9-slim-bookworm"), (nil, "python:3.11-slim-bookworm"),
                      ("garbage", "python:3.11-slim-bookworm")])
    func pythonImagesFollowTheBuild(python: String?, image: String) {
        let dockerfile = Deployment.dockerfile(model: "churn", version: "1.0.0", runtime: "python", python: python)
        #expect(dockerfile.contains("FROM \(image)\n"), "\(dockerfile)")
        #expect(dockerfile.contains(Deployment.runtimePackages))
        #expect(dockerfile.contains(#"CMD ["mf", "serve", "/bundle", "--host", "0.0.0.0", "--port", "8080", "--python", "system"]"#))
    }

    @Test func otherRuntimesGetDebianWithPython() {
        let dockerfile = Deployment.dockerfile(model: "churn", version: "1.0.0", runtime: "swift")
        #expect(dockerfile.contains("FROM debian:bookworm-slim\n") && dockerfile.contains(Deployment.runtimePackages + " python3"))
        #expect(!dockerfile.contains("--python"))
    }
}
