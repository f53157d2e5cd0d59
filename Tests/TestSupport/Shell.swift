public import Foundation

/// What a finished process said.
public struct ProcessResult: Sendable {
    /// The exit status, or the signal's number when `signalled`.
    public var status: Int32
    /// True when the process ended by a signal (a crash), not by exiting.
    public var signalled: Bool
    /// Everything the process wrote to standard output, as UTF-8 text.
    public var stdout: String
    /// Everything the process wrote to standard error, as UTF-8 text.
    public var stderr: String
}

/// A command the test ran failed (did not exit 0): what it was, and what it said.
public struct CommandFailed: Error, CustomStringConvertible {
    /// The command as run, for the message (`git commit -q -m first`).
    public var command: String
    /// How the command ended and what it wrote.
    public var result: ProcessResult
    /// The failure as a test's message shows it: the command, its status and its standard error.
    public var description: String { "\(command) exited \(result.status): \(result.stderr)" }
}

/// Runs an executable to the end and collects its output (started with `Spawned`, never
/// Foundation's `Process`: see there why).
@discardableResult
public func runProcess(
    _ executable: String, _ arguments: [String], in directory: String? = nil,
    environment: [String: String]? = nil, input: Data? = nil
) throws -> ProcessResult {
    let child = try Spawned(executable, arguments, in: directory, environment: environment, input: input == nil ? .null : .pipe)
    // Write and read on threads of their own, so a chatty process never blocks on a full pipe.
    let done = DispatchGroup()
    if let input, let handle = child.input {
        done.enter()
        Thread.detachNewThread {
            try? handle.write(contentsOf: input)
            try? handle.close()
            done.leave()
        }
    }
    nonisolated(unsafe) var errData = Data()
    done.enter()
    Thread.detachNewThread {
        errData = (try? child.error?.readToEnd()) ?? Data()
        done.leave()
    }
    let outData = (try? child.output?.readToEnd()) ?? Data()
    done.wait()
    let ended = child.wait()
    return ProcessResult(
        status: ended.status, signalled: ended.signalled,
        stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
}

/// The same, for async tests: the process is waited for on a thread of its own, not on one of
/// the few cooperative threads (one per core) that every other test needs. A test that runs a
/// long build must be async and use this, or it starves the whole suite while it waits.
@discardableResult
public func runProcess(
    _ executable: String, _ arguments: [String], in directory: String? = nil,
    environment: [String: String]? = nil, input: Data? = nil
) async throws -> ProcessResult {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(
                with: Result {
                    try runProcess(executable, arguments, in: directory, environment: environment, input: input) as ProcessResult
                })
        }
    }
}

/// The environment fixtures run `git` in: no user or system config, fixed identity and dates,
/// so commit ids repeat from run to run.
public func gitEnvironment(home: String) -> [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment["HOME"] = home
    environment["GIT_CONFIG_NOSYSTEM"] = "1"
    environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
    environment["GIT_AUTHOR_NAME"] = "Test Author"
    environment["GIT_AUTHOR_EMAIL"] = "author@example.com"
    environment["GIT_COMMITTER_NAME"] = "Test Author"
    environment["GIT_COMMITTER_EMAIL"] = "author@example.com"
    environment["GIT_AUTHOR_DATE"] = "2026-01-01T00:00:00Z"
    environment["GIT_COMMITTER_DATE"] = "2026-01-01T00:00:00Z"
    return environment
}

/// A repository built with the real `git` command, as users make them.
public final class GitFixture: @unchecked Sendable {
    /// The temporary folder that holds the repository; removed with the fixture.
    public let directory: TemporaryDirectory
    /// The repository's path: its work tree, or the repository itself when bare.
    public let path: String
    private var tick = 0

    /// Creates a work tree with `git init -b master` (and `bare` as asked).
    public init(_ label: String = "repo", bare: Bool = false, initialBranch: String = "master") throws {
        directory = TemporaryDirectory(label)
        path = directory.appending("repo")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try git(["init", "-q", "-b", initialBranch] + (bare ? ["--bare"] : []))
    }

    /// Runs git in the repository; throws when git fails.
    @discardableResult
    public func git(_ arguments: [String], in directory: String? = nil) throws -> String {
        tick += 1
        var environment = gitEnvironment(home: self.directory.path)
        // One minute per call, so commit times (and so ids) are fixed and ordered.
        let stamp = "@\(1_767_225_600 + tick * 60) +0000"
        environment["GIT_AUTHOR_DATE"] = stamp
        environment["GIT_COMMITTER_DATE"] = stamp
        let result = try runProcess("/usr/bin/git", arguments, in: directory ?? path, environment: environment)
        guard result.status == 0 else { throw CommandFailed(command: "git \(arguments.joined(separator: " "))", result: result) }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes `file` and commits it on the current branch; returns the new commit id.
    @discardableResult
    public func commit(_ message: String, file: String? = nil, content: String? = nil) throws -> String {
        let name = file ?? "file.txt"
        let url = URL(fileURLWithPath: path + "/" + name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data((content ?? "\(message)\n").utf8).write(to: url)
        try git(["add", "--", name])
        try git(["commit", "-q", "-m", message])
        return try git(["rev-parse", "HEAD"])
    }

    /// `git rev-parse REV`.
    public func id(_ revision: String) throws -> String { try git(["rev-parse", revision]) }

    /// Writes a file in the git folder, as a user or a broken tool might (`refs/heads/x`).
    public func writeGitFile(_ relative: String, _ text: String) throws {
        let gitDir = try git(["rev-parse", "--absolute-git-dir"])
        let url = URL(fileURLWithPath: gitDir + "/" + relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
}
