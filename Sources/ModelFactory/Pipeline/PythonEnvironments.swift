internal import Foundation
internal import SystemKit

/// Virtual environments shared by every build (and every served bundle) that asks for the same
/// requirements under the same python3: `$MF_HOME/envs/<hash of both>`, made once under a lock
/// and complete only with its marker, so changing a model's code does not install its
/// dependencies again. pip's report of what it installed stays in it (`mf-pip-report.json`),
/// for a bundle's `requirements.lock`.
struct PythonEnvironments {
    let home: URL

    /// The environment for `requirements` (the contents of `file` in `folder`, where pip runs);
    /// `run` runs the commands that make it, `reused` hears the key when it existed already.
    func environment(
        requirements: Data, file: String, in folder: URL, log: URL,
        reused: (String) -> Void, run: ([String]) async throws -> Void
    ) async throws -> URL {
        let python: String
        do { python = try await ChildProcess.output(of: ["/usr/bin/env", "python3", "--version"]) } catch {
            throw StepFailure(step: "build", message: "python3 cannot be run: \(error)")
        }
        let key = String(HexDigest.sha256(python + "\n" + String(decoding: requirements, as: UTF8.self)).prefix(32))
        let envs = home.appendingPathComponent("envs")
        let environment = envs.appendingPathComponent(key)
        let lock = try FileLock.acquire(path: envs.appendingPathComponent(key + ".lock").path)
        defer { lock.unlock() }
        let marker = environment.appendingPathComponent(".mf-env-complete")
        if FileManager.default.fileExists(atPath: marker.path) {
            try Data("reused Python environment \(environment.path)\n".utf8).append(to: log)
            reused(key)
            return environment
        }
        try? FileManager.default.removeItem(at: environment)  // what a killed build left
        let quoted = "'" + environment.path.replacingOccurrences(of: "'", with: "'\\''") + "'"
        try await run([
            "python3 -m venv \(quoted)",
            "\(quoted)/bin/python -m pip install --disable-pip-version-check -q --report \(quoted)/mf-pip-report.json -r \(file)",
        ])
        _ = FileManager.default.createFile(atPath: marker.path, contents: Data(python.utf8))
        return environment
    }
}
