internal import Foundation

/// A child process in a process group of its own, with pipes for stdin, stdout and stderr.
///
/// Spawned with `posix_spawn` rather than `Process` so that stopping it stops everything it
/// started too (the whole group gets the signal), and so that it is always reaped: one thread
/// waits for it from the start.
final class WorkerProcess: @unchecked Sendable {
    let pid: pid_t
    let stdin: Int32
    let stdout: Int32
    let stderr: Int32
    private let lock = NSLock()
    private var exitDescription: String?
    private let exited = DispatchSemaphore(value: 0)

    /// Writing to a worker that has died must fail with EPIPE, not kill this process with
    /// SIGPIPE: ignored once, process-wide (children get the default back, see below).
    private static let ignoreBrokenPipes: Void = { _ = Glibc.signal(SIGPIPE, SIG_IGN) }()

    /// Starts `command`. With `outputFile`, its stdout and stderr are appended to that file and
    /// its stdin is empty (a build step); with `passThrough`, its stdout goes to that descriptor
    /// of ours, and stdin and stderr are ours (a template hook, which may ask questions); otherwise all
    /// three are pipes (a worker).
    init(
        command: [String], directory: String?, environment: [String: String]?, outputFile: String? = nil, passThrough: Int32? = nil
    ) throws(WorkerError) {
        _ = Self.ignoreBrokenPipes
        guard !command.isEmpty else { throw .cannotStart(command: command, reason: "the command is empty") }
        if let directory, !FileManager.default.fileExists(atPath: directory) {
            throw .cannotStart(command: command, reason: "the folder \(directory) does not exist")
        }
        // Glibc's posix_spawn_file_actions_addchdir_np is not visible to Swift; a shell that
        // changes folder and then execs the command keeps the same process (and group).
        let argv = directory.map { ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", $0] + command } ?? command
        let program = argv[0]
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0], errors: [Int32] = [0, 0]
        guard pipe(&input) == 0, pipe(&output) == 0, pipe(&errors) == 0 else {
            throw .cannotStart(command: command, reason: String(cString: strerror(errno)))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let outputFile {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else if let passThrough {
            if passThrough != 1 { posix_spawn_file_actions_adddup2(&actions, passThrough, 1) }
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
            close(input[1]); close(output[0]); close(errors[0])
            throw .cannotStart(command: command, reason: String(cString: strerror(result)))
        }
        pid = child
        stdin = input[1]
        stdout = output[0]
        stderr = errors[0]
        _ = fcntl(stdin, F_SETFD, FD_CLOEXEC)
        _ = fcntl(stdout, F_SETFD, FD_CLOEXEC)
        _ = fcntl(stderr, F_SETFD, FD_CLOEXEC)
        let thread = Thread { [self] in waitForExit() }
        thread.name = "mf-worker-wait-\(child)"
        thread.start()
    }

    private func waitForExit() {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let description: String
        if status & 0x7F == 0 {
            description = "exited with status \((status >> 8) & 0xFF)"
        } else {
            description = "was killed by signal \(status & 0x7F)"
        }
        lock.withLock { exitDescription = description }
        exited.signal()
    }

    /// How the process ended, nil while it runs.
    var exitStatus: String? { lock.withLock { exitDescription } }

    /// Waits up to `seconds` for the process to end; true when it has.
    func waitForExit(seconds: Double) -> Bool {
        if exitStatus != nil { return true }
        guard exited.wait(timeout: .now() + seconds) == .success else { return false }
        exited.signal()  // let other waiters through too
        return true
    }

    /// Signals the whole process group.
    func send(_ signal: Int32) {
        guard exitStatus == nil else { return }
        _ = kill(-pid, signal)
    }

    /// Stops the group: SIGTERM, then SIGKILL after `grace` seconds; returns once reaped.
    func stop(grace: Double) {
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
