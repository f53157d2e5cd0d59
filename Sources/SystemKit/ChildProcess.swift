internal import Foundation
internal import Subprocess
internal import Synchronization

#if canImport(System)
    internal import System
#else
    internal import SystemPackage
#endif

/// A program to run to its end: its arguments, environment, folder and where its standard
/// streams go. `run` starts it in a process group of its own and waits without holding a thread
/// of Swift's cooperative pool; past a time limit the whole group is stopped.
///
/// ```swift
/// let build = ChildProcess(["/bin/sh", "-c", "make"], directory: folder, output: .appending(toFile: log), error: .sameAsOutput)
/// let completion = try await build.run(timeLimit: .seconds(600))
/// guard completion.termination.isSuccess else { throw Failure("'make' \(completion.termination)") }
/// ```
public struct ChildProcess: Sendable {
    /// Where the program's standard input comes from.
    public enum Input: Sendable {
        /// Empty (`/dev/null`).
        case null
        /// This process's own standard input.
        case inherited
        /// A descriptor of this process, left open.
        case descriptor(Int32)
    }

    /// Where one of the program's output streams goes.
    public enum Output: Sendable {
        /// Nowhere (`/dev/null`).
        case null
        /// The same stream of this process.
        case inherited
        /// A descriptor of this process, left open.
        case descriptor(Int32)
        /// Appended to a file, made when missing.
        case appending(toFile: String)
        /// Read into `Completion`'s text, up to `limit` bytes (more is an error).
        case captured(limit: Int)
        /// Standard error only: wherever standard output goes (`2>&1`).
        case sameAsOutput
    }

    /// A report the wait makes while the program runs (a long build says it still builds).
    public struct Heartbeat: Sendable {
        /// How often it reports.
        public var interval: Duration
        /// Called (on a Dispatch thread) with how long the program has run, a multiple of `interval`.
        public var report: @Sendable (Duration) -> Void

        /// A report every `interval`.
        public init(every interval: Duration, report: @escaping @Sendable (Duration) -> Void) {
            self.interval = interval
            self.report = report
        }
    }

    /// How a run ended.
    public struct Completion: Sendable {
        /// How the program ended.
        public var termination: Termination
        /// True when it ran past the time limit and its process group was stopped.
        public var ranPastLimit: Bool
        /// Standard output, when it was `.captured` (else empty).
        public var output: String
        /// Standard error, when it was `.captured` (else empty).
        public var errorOutput: String
    }

    /// The program (a path, or a name looked up in `PATH`) and its arguments.
    public var command: [String]
    /// The folder it runs in; nil for this process's own.
    public var directory: String?
    /// Its whole environment; nil for this process's own.
    public var environment: [String: String]?
    /// Its standard input.
    public var input: Input
    /// Its standard output.
    public var output: Output
    /// Its standard error.
    public var error: Output

    /// A program to run; nothing starts until `run`.
    public init(
        _ command: [String], directory: String? = nil, environment: [String: String]? = nil, input: Input = .null,
        output: Output = .inherited, error: Output = .inherited
    ) {
        self.command = command
        self.directory = directory
        self.environment = environment
        self.input = input
        self.output = output
        self.error = error
    }

    /// Runs the program to its end. Past `timeLimit`, its whole process group gets SIGTERM,
    /// then SIGKILL after `grace`, and the completion says it ran past the limit (a cancelled
    /// task stops the group the same way, and the run throws). The wait
    /// suspends (swift-subprocess watches the child), so it never holds a cooperative thread.
    public func run(timeLimit: Duration? = nil, grace: Duration = .seconds(2), heartbeat: Heartbeat? = nil) async throws(SystemError)
        -> Completion
    {
        guard let program = command.first else { throw .cannotStart(command: command, reason: "the command is empty") }
        var opened: [Int32] = []
        defer { opened.forEach { _ = close($0) } }
        let inputDescriptor: Int32
        switch input {
        case .null: inputDescriptor = try open("/dev/null", O_RDONLY, keeping: &opened)
        case .inherited: inputDescriptor = 0
        case .descriptor(let descriptor): inputDescriptor = descriptor
        }
        let outputTarget = try target(output, standard: 1, keeping: &opened)
        let errorTarget = try target(error, standard: 2, keeping: &opened)

        var options = PlatformOptions()
        options.processGroupID = 0
        // When the waiting task is cancelled, swift-subprocess stops the group the same way.
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: grace)]
        let configuration = Configuration(
            executable: program.contains("/") ? .path(FilePath(program)) : .name(program), arguments: Arguments(Array(command.dropFirst())),
            environment: environment.map { variables in
                .custom(Dictionary(uniqueKeysWithValues: variables.compactMap { key, value in Environment.Key(rawValue: key).map { ($0, value) } }))
            } ?? .inherit,
            workingDirectory: directory.map { FilePath($0) }, platformOptions: options)
        let stdin = FileDescriptorInput.fileDescriptor(FileDescriptor(rawValue: inputDescriptor), closeAfterSpawningProcess: false)
        let group = GroupLeader(timeLimit: timeLimit, grace: grace, heartbeat: heartbeat)
        do {
            let (termination, output, errorOutput) = try await Self.launch(
                configuration, input: stdin, output: outputTarget, error: errorTarget, leader: group)
            return Completion(termination: termination, ranPastLimit: group.ranPastLimit, output: output, errorOutput: errorOutput)
        } catch {
            group.ended()
            let reason = (error as? SubprocessError).map { "\($0)" } ?? "\(error)"
            throw group.hasStarted ? .runFailed(command: command, reason: reason) : .cannotStart(command: command, reason: reason)
        }
    }

    /// Runs `command` to its end and returns what it wrote on standard output, up to `limit`
    /// bytes; its standard error is dropped (so warnings never mix in). An error unless it exits with 0.
    public static func output(of command: [String], limit: Int = 16 << 20) async throws(SystemError) -> String {
        let completion = try await ChildProcess(command, output: .captured(limit: limit), error: .null).run()
        guard completion.termination.isSuccess else { throw .unsuccessful(command: command, termination: completion.termination) }
        return completion.output
    }

    // MARK: Internals

    /// Where an output stream goes, in the few shapes swift-subprocess takes.
    private enum Target: Sendable {
        case descriptor(Int32)
        case captured(limit: Int)
        case sameAsOutput
    }

    private func target(_ output: Output, standard: Int32, keeping opened: inout [Int32]) throws(SystemError) -> Target {
        switch output {
        case .null: .descriptor(try open("/dev/null", O_WRONLY, keeping: &opened))
        case .inherited: .descriptor(standard)
        case .descriptor(let descriptor): .descriptor(descriptor)
        case .appending(let file): .descriptor(try open(file, O_WRONLY | O_CREAT | O_APPEND, keeping: &opened))
        case .captured(let limit): .captured(limit: limit)
        case .sameAsOutput: standard == 2 ? .sameAsOutput : .descriptor(standard)
        }
    }

    private func open(_ path: String, _ flags: Int32, keeping opened: inout [Int32]) throws(SystemError) -> Int32 {
        let descriptor = Foundation.open(path, flags | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .cannotStart(command: command, reason: "\(path): \(SystemError.reason(errno))") }
        opened.append(descriptor)
        return descriptor
    }

    /// One `run` per combination of output shapes: swift-subprocess types each shape.
    private static func launch(
        _ configuration: Configuration, input: FileDescriptorInput, output: Target, error: Target, leader: GroupLeader
    ) async throws -> (Termination, String, String) {
        func descriptor(_ value: Int32) -> FileDescriptorOutput { .fileDescriptor(FileDescriptor(rawValue: value), closeAfterSpawningProcess: false) }
        switch (output, error) {
        case (.descriptor(let out), .descriptor(let err)):
            return try await launch(configuration, input, descriptor(out), descriptor(err), leader)
        case (.descriptor(let out), .captured(let limit)):
            return try await launch(configuration, input, descriptor(out), BytesOutput.bytes(limit: limit), leader)
        case (.descriptor(let out), .sameAsOutput):
            return try await launch(configuration, input, descriptor(out), CombinedErrorOutput.combinedWithOutput, leader)
        case (.captured(let limit), .descriptor(let err)):
            return try await launch(configuration, input, BytesOutput.bytes(limit: limit), descriptor(err), leader)
        case (.captured(let limit), .captured(let errorLimit)):
            return try await launch(configuration, input, BytesOutput.bytes(limit: limit), BytesOutput.bytes(limit: errorLimit), leader)
        case (.captured(let limit), .sameAsOutput):
            return try await launch(configuration, input, BytesOutput.bytes(limit: limit), CombinedErrorOutput.combinedWithOutput, leader)
        case (.sameAsOutput, _):
            preconditionFailure("standard output cannot be the same as itself")
        }
    }

    private static func launch<Output: OutputProtocol, Error: ErrorOutputProtocol>(
        _ configuration: Configuration, _ input: FileDescriptorInput, _ output: Output, _ error: Error, _ leader: GroupLeader
    ) async throws -> (Termination, String, String) {
        let result = try await Subprocess.run(configuration, input: input, output: output, error: error) { execution in
            leader.begin(execution.processIdentifier.value)
        }
        leader.ended()
        let termination: Termination =
            switch result.terminationStatus {
            case .exited(let code): .exited(code)
            case .signaled(let signal): .signaled(signal)
            }
        return (termination, text(result.standardOutput), text(result.standardError))
    }

    private static func text(_ captured: Any) -> String {
        (captured as? [UInt8]).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}

/// The running program's process group, watched from Dispatch's threads (so a time limit holds
/// even while the cooperative pool is busy): heartbeats, and at the time limit SIGTERM to the
/// group, SIGKILL after the grace period. It is signalled only until the run that reaped its
/// leader returns, so a process id reused much later is never hit.
private final class GroupLeader: Sendable {
    private struct State {
        var pid: pid_t?
        var started = false
        var ended = false
        var ranPastLimit = false
        /// The limit passed before the leader's id was known: it is stopped as soon as it is.
        var stopWhenStarted = false
    }
    private let state = Mutex(State())
    private let grace: Duration
    /// Where time limits and heartbeats fire: a queue of their own. Dispatch's global queue runs
    /// at most about one thread per core on Linux (it cannot see a thread block), so a blocking
    /// call queued there (an HTTP request, a wait for a process) could hold a time limit back
    /// for as long as it blocks; a serial queue gets a thread of its own when it needs one.
    private static let clocks = DispatchQueue(label: "mf.child-process.clocks")

    /// The clocks start now, just before the spawn (which happens in the calling task), not when
    /// swift-subprocess hands over the id: that comes on the cooperative pool, which may be busy.
    init(timeLimit: Duration?, grace: Duration, heartbeat: ChildProcess.Heartbeat?) {
        self.grace = grace
        let start = DispatchTime.now()
        if let timeLimit { Self.clocks.asyncAfter(deadline: start + timeLimit.timeInterval) { self.limitPassed() } }
        if let heartbeat { scheduleBeat(heartbeat, after: start, count: 1) }
    }

    var hasStarted: Bool { state.withLock { $0.started } }
    var ranPastLimit: Bool { state.withLock { $0.ranPastLimit } }

    /// The leader started with this id.
    func begin(_ pid: pid_t) {
        let late = state.withLock { state in
            state.pid = pid
            state.started = true
            return state.stopWhenStarted
        }
        if late { limitPassed() }
    }

    /// The run returned (its leader is reaped); whatever a group stopped for its time limit left behind goes too.
    func ended() {
        state.withLock { state in
            if state.ranPastLimit, let pid = state.pid { _ = kill(-pid, SIGKILL) }
            state.pid = nil
            state.ended = true
        }
    }

    private func scheduleBeat(_ heartbeat: ChildProcess.Heartbeat, after start: DispatchTime, count: Int) {
        let interval = heartbeat.interval * count
        Self.clocks.asyncAfter(deadline: start + interval.timeInterval) {
            guard !self.state.withLock({ $0.ended }) else { return }
            heartbeat.report(interval)
            self.scheduleBeat(heartbeat, after: start, count: count + 1)
        }
    }

    private func limitPassed() {
        let stopping = state.withLock { state -> Bool in
            guard !state.ended else { return false }
            guard let pid = state.pid else {
                state.stopWhenStarted = true
                return false
            }
            // A leader that has exited but is not yet reaped did not run past the limit.
            guard Self.isRunning(pid) else { return false }
            state.ranPastLimit = true
            _ = kill(-pid, SIGTERM)
            return true
        }
        guard stopping else { return }
        Self.clocks.asyncAfter(deadline: .now() + grace.timeInterval) {
            self.state.withLock { state in
                if let pid = state.pid { _ = kill(-pid, SIGKILL) }
            }
        }
    }

    /// Whether `pid` has not exited yet (looked at without reaping it).
    private static func isRunning(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        return waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_signo == 0
    }
}

extension Duration {
    /// In seconds, for Dispatch.
    fileprivate var timeInterval: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
