public import Foundation

/// A child process started with `posix_spawn`, for tests.
///
/// Not Foundation's `Process`: on Linux it learns that a child ended when a socket the child
/// inherited closes, and any process spawned at the same moment by another thread inherits
/// that socket too. With tests running side by side, a `git` that had long exited then looked
/// alive for as long as an `mf serve` started beside it ran, and its test hung. Every
/// descriptor made here is close-on-exec except the three a child is given, and the child is
/// reaped with `waitpid`.
public final class Spawned: @unchecked Sendable {
    /// Where one of the child's standard streams goes.
    public enum Stream: Sendable {
        /// `/dev/null`.
        case null
        /// A pipe whose other end the test holds (`input`, `output` or `error`).
        case pipe
        /// A file, created or truncated.
        case file(String)
        /// The same place as standard output (for standard error only).
        case sameAsOutput
    }

    /// The child's process id.
    public let pid: pid_t
    /// The write end of its standard input, when that is a pipe.
    public let input: FileHandle?
    /// The read end of its standard output, when that is a pipe.
    public let output: FileHandle?
    /// The read end of its standard error, when that is a pipe of its own.
    public let error: FileHandle?

    private let lock = NSLock()
    /// Held while a thread waits in `waitpid`, so a second `wait` finds the first one's answer.
    private let reaping = NSLock()
    private var ended: (status: Int32, signalled: Bool)?

    /// Starts `executable` with `arguments` in `directory` (through `/bin/sh`'s `cd`, since
    /// `posix_spawn` cannot change folder here) with `environment` (else the test's own).
    public init(
        _ executable: String, _ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil,
        input inputStream: Stream = .null, output outputStream: Stream = .pipe, error errorStream: Stream = .pipe
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var childEnds: [Int32] = []
        defer { childEnds.forEach { _ = close($0) } }
        func route(_ stream: Stream, to target: Int32, writing: Bool) throws -> FileHandle? {
            switch stream {
            case .null:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", writing ? O_WRONLY : O_RDONLY, 0)
                return nil
            case .file(let path):
                posix_spawn_file_actions_addopen(&actions, target, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                return nil
            case .sameAsOutput:
                posix_spawn_file_actions_adddup2(&actions, 1, target)
                return nil
            case .pipe:
                var ends: [Int32] = [0, 0]
                guard Self.pipe2(&ends, O_CLOEXEC) == 0 else { throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))") }
                let (child, parent) = writing ? (ends[1], ends[0]) : (ends[0], ends[1])
                childEnds.append(child)
                posix_spawn_file_actions_adddup2(&actions, child, target)
                return FileHandle(fileDescriptor: parent, closeOnDealloc: true)
            }
        }
        input = try route(inputStream, to: 0, writing: false)
        output = try route(outputStream, to: 1, writing: true)
        error = try route(errorStream, to: 2, writing: true)

        let command = directory.map { ["/bin/sh", "-c", "cd -- \"$0\" && exec \"$@\"", $0, executable] + arguments } ?? [executable] + arguments
        let variables = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var argv = command.map { strdup($0) } + [nil]
        var envp = variables.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let started = posix_spawn(&pid, command[0], &actions, nil, &argv, &envp)
        guard started == 0 else { throw SpawnError(description: "cannot run \(executable): \(String(cString: strerror(started)))") }
        self.pid = pid
    }

    /// Whether it has not ended yet (looked at without reaping it).
    public var isRunning: Bool {
        lock.withLock {
            guard ended == nil else { return false }
            var info = siginfo_t()
            return waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info._sifields._sigchld.si_pid == 0
        }
    }

    /// Waits for it to end (reaping it) and says how: its exit status, or its signal.
    @discardableResult
    public func wait() -> (status: Int32, signalled: Bool) {
        reaping.lock()
        defer { reaping.unlock() }
        if let ended = lock.withLock({ ended }) { return ended }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        let result = signal == 0 ? (status: (status >> 8) & 0xff, signalled: false) : (status: signal, signalled: true)
        lock.withLock { ended = result }
        return result
    }

    /// glibc's `pipe2`, which Swift's Glibc module leaves out: a pipe made close-on-exec at once,
    /// so a child another thread spawns in the meantime never inherits it.
    private static let pipe2: @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32 = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pipe2") else { fatalError("glibc has no pipe2") }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32).self)
    }()

    /// Sends `number` unless it has already been reaped.
    public func signal(_ number: Int32) {
        lock.withLock {
            if ended == nil { _ = kill(pid, number) }
        }
    }
}

/// A child process could not be started.
public struct SpawnError: Error, CustomStringConvertible {
    /// What went wrong, as one sentence.
    public var description: String
}
