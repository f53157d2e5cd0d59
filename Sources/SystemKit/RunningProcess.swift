public import Foundation

/// A child process started and left running (a worker, a server): in a process group of its
/// own, with pipes for its stdin, stdout and stderr, or its output appended to a log file.
/// It is always reaped: one thread waits for it from the start.
///
/// Spawned with `posix_spawn` rather than through swift-subprocess, which `ChildProcess` uses:
/// swift-subprocess keeps a process inside the scope of one `run` call and reads its pipes
/// through its own asynchronous I/O, while a worker outlives any call, is started from
/// synchronous code, and has its pipes read by dedicated threads with plain blocking reads
/// (the serving path). Spawning is not the reason: running `/bin/true` took about 1 ms either
/// way here (swift-subprocess 1.1-1.2 ms, this 0.9-1.8 ms, on two busy cores).
public final class RunningProcess: @unchecked Sendable {
    /// Its process id, which is also its process group's id.
    public let pid: pid_t
    /// The write end of its standard input (a pipe; `/dev/null` when it logs to a file).
    public let stdin: Int32
    /// The read end of its standard output (a pipe).
    public let stdout: Int32
    /// The read end of its standard error (a pipe).
    public let stderr: Int32
    private let lock = NSLock()
    private var ended: Termination?
    private let exited = DispatchSemaphore(value: 0)

    /// Writing to a worker that has died must fail with EPIPE, not kill this process with
    /// SIGPIPE: ignored once, process-wide (children get the default back, see below).
    private static let ignoreBrokenPipes: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// Starts `command` (a path, or a name looked up in `PATH`) in `directory` with
    /// `environment` (nil: ours). With `outputFile`, its stdout and stderr are appended to that
    /// file and its stdin is empty (a server with a log); otherwise all three are pipes (a worker).
    public init(command: [String], directory: String? = nil, environment: [String: String]? = nil, outputFile: String? = nil)
        throws(SystemError)
    {
        _ = Self.ignoreBrokenPipes
        guard !command.isEmpty else { throw .cannotStart(command: command, reason: "the command is empty") }
        if let directory, !FileManager.default.fileExists(atPath: directory) {
            throw .cannotStart(command: command, reason: "the folder \(directory) does not exist")
        }
        // Glibc's posix_spawn_file_actions_addchdir_np is not visible to Swift; a shell that
        // changes folder and then execs the command keeps the same process (and group).
        let argv = directory.map { ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", $0] + command } ?? command
        let program = argv[0]
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        var errors: [Int32] = [0, 0]
        guard pipe(&input) == 0, pipe(&output) == 0, pipe(&errors) == 0 else {
            throw .cannotStart(command: command, reason: SystemError.reason(errno))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let outputFile {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_adddup2(&actions, input[0], 0)
            posix_spawn_file_actions_adddup2(&actions, output[1], 1)
            posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        }
        for descriptor in input + output + errors { posix_spawn_file_actions_addclose(&actions, descriptor) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group; no blocked signals and default handlers, whatever the thread
        // that spawns it had (Swift's threads block most signals, and exec keeps a mask).
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let arguments = argv.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        let variables = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { variables.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawnp(&child, program, &actions, &attributes, arguments, variables)
        close(input[0])
        close(output[1])
        close(errors[1])
        guard result == 0 else {
            close(input[1])
            close(output[0])
            close(errors[0])
            throw .cannotStart(command: command, reason: SystemError.reason(result))
        }
        pid = child
        stdin = input[1]
        stdout = output[0]
        stderr = errors[0]
        _ = fcntl(stdin, F_SETFD, FD_CLOEXEC)
        _ = fcntl(stdout, F_SETFD, FD_CLOEXEC)
        _ = fcntl(stderr, F_SETFD, FD_CLOEXEC)
        let thread = Thread { [self] in reap() }
        thread.name = "mf-child-wait-\(child)"
        thread.start()
    }

    private func reap() {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        lock.withLock { ended = Termination(waitStatus: status) }
        exited.signal()
    }

    /// How the process ended; nil while it runs.
    public var termination: Termination? { lock.withLock { ended } }

    /// Waits up to `seconds` for the process to end; true when it has. It blocks the calling
    /// thread: call it from a thread of one's own, never from a task.
    public func waitForExit(seconds: Double) -> Bool {
        if termination != nil { return true }
        guard exited.wait(timeout: .now() + seconds) == .success else { return false }
        exited.signal()  // let other waiters through too
        return true
    }

    /// Signals the whole process group.
    public func send(_ signal: Int32) {
        guard termination == nil else { return }
        _ = kill(-pid, signal)
    }

    /// The same as `stop(grace:)` for a task: the wait runs on a thread of its own, never on
    /// the cooperative pool (`BlockingWork`).
    public func stopped(grace: Double) async {
        await BlockingWork.run { self.stop(grace: grace) }
    }

    /// Stops the group: SIGTERM, then SIGKILL after `grace` seconds; returns once reaped.
    public func stop(grace: Double) {
        send(SIGTERM)
        if !waitForExit(seconds: grace) {
            send(SIGKILL)
            _ = waitForExit(seconds: 10)
        }
        // Whatever the leader left behind in its group goes too.
        _ = kill(-pid, SIGKILL)
    }

    deinit {
        close(stdin)
        close(stdout)
        close(stderr)
    }
}
