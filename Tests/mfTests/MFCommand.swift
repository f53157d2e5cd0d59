import Foundation
import TestSupport
import Testing

/// The `mf` binary that `swift build` made beside the tests (or `$MF_BINARY`).
let mfBinary: String = {
    if let path = ProcessInfo.processInfo.environment["MF_BINARY"] { return path }
    var candidates: [URL] = []
    if let executable = Bundle.main.executableURL { candidates.append(executable.deletingLastPathComponent()) }
    candidates.append(Bundle.main.bundleURL)
    candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    candidates.append(root.appendingPathComponent(".build/debug"))
    for folder in candidates {
        let path = folder.appendingPathComponent("mf").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return root.appendingPathComponent(".build/debug/mf").path
}()

/// The factory home the tests' `mf` runs share, away from the user's own.
let testHome = FileManager.default.temporaryDirectory.appendingPathComponent("mf-tests-home-\(getpid())").path

/// Runs `mf` and checks it ended by exiting, never by a signal.
@discardableResult
func mf(
    _ arguments: [String], in directory: String? = nil, environment extra: [String: String] = [:], input: Data? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> ProcessResult {
    var environment = ProcessInfo.processInfo.environment
    environment["MF_HOME"] = testHome
    environment.merge(extra) { $1 }
    let result = try runProcess(mfBinary, arguments, in: directory, environment: environment, input: input)
    #expect(!result.signalled, "mf \(arguments) crashed: \(result.stderr)", sourceLocation: sourceLocation)
    return result
}

/// The same, for async tests: waits off the cooperative pool (see `runProcess`).
@discardableResult
func mf(
    _ arguments: [String], in directory: String? = nil, environment extra: [String: String] = [:], input: Data? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws -> ProcessResult {
    var environment = ProcessInfo.processInfo.environment
    environment["MF_HOME"] = testHome
    environment.merge(extra) { $1 }
    let result = try await runProcess(mfBinary, arguments, in: directory, environment: environment, input: input)
    #expect(!result.signalled, "mf \(arguments) crashed: \(result.stderr)", sourceLocation: sourceLocation)
    return result
}

/// Parses stdout as JSON.
func json(_ result: ProcessResult, sourceLocation: SourceLocation = #_sourceLocation) throws -> Any {
    do {
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    } catch {
        Issue.record("stdout is not JSON: \(result.stdout)\nstderr: \(result.stderr)", sourceLocation: sourceLocation)
        throw error
    }
}

/// An error reaches the user as one sentence on stderr.
func expectOneLineError(_ result: ProcessResult, containing text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status == 2, "exit \(result.status), stderr: \(result.stderr)", sourceLocation: sourceLocation)
    let lines = result.stderr.split(separator: "\n")
    #expect(lines.count == 1, "expected one line, got: \(result.stderr)", sourceLocation: sourceLocation)
    #expect(result.stderr.hasPrefix("mf: error: "), sourceLocation: sourceLocation)
    #expect(result.stderr.contains(text), "\(result.stderr) lacks \(text)", sourceLocation: sourceLocation)
}

/// A small released repository: v1.0.0 and hotfix v1.0.1 on master, a development line, a feature.
func releasedRepository() throws -> GitFixture {
    let fixture = try GitFixture("released")
    try fixture.commit("initial")
    try fixture.git(["tag", "-a", "-m", "1.0.0", "v1.0.0"])
    try fixture.git(["branch", "development"])
    try fixture.commit("fix", file: "fix.txt")
    try fixture.git(["tag", "v1.0.1"])
    try fixture.git(["checkout", "-q", "-b", "feature/x", "development"])
    try fixture.commit("feature", file: "feature.txt")
    try fixture.git(["checkout", "-q", "master"])
    try fixture.git(["tag", "experiment"])
    return fixture
}
