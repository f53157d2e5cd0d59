import Foundation
import SystemKit
import TestSupport
import Testing

@Suite(.onTestThreads) struct ChildProcessTests {
    @Test(arguments: [0, 3, 127])
    func anExitCodeIsTyped(code: Int32) async throws {
        let completion = try await ChildProcess(["/bin/sh", "-c", "exit \(code)"]).run()
        #expect(completion.termination == .exited(code))
        #expect(completion.termination.isSuccess == (code == 0))
        #expect("\(completion.termination)" == "exited with status \(code)")
        #expect(!completion.ranPastLimit)
    }

    @Test func aSignalIsTyped() async throws {
        let completion = try await ChildProcess(["/bin/sh", "-c", "kill -KILL $$"]).run()
        #expect(completion.termination == .signaled(SIGKILL))
        #expect("\(completion.termination)" == "was killed by signal 9")
    }

    @Test func theTimeLimitStopsTheWholeGroup() async throws {
        let folder = TemporaryDirectory("child-group")
        let pidFile = folder.appending("grandchild.pid")
        // The shell and its grandchild ignore SIGTERM, so only the SIGKILL after the grace
        // period ends them, and only if it reaches the whole group.
        let script = "trap '' TERM; sleep 1000 & echo $! > '\(pidFile)'; wait"
        let completion = try await ChildProcess(["/bin/sh", "-c", script]).run(timeLimit: .milliseconds(500), grace: .milliseconds(300))
        #expect(completion.ranPastLimit)
        #expect(completion.termination == .signaled(SIGKILL))
        let grandchild = try #require(Int32(FileContents.text(atPath: pidFile).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await isGone(grandchild))
    }

    @Test func cancellingTheWaitStopsTheWholeGroup() async throws {
        let folder = TemporaryDirectory("child-cancel")
        let pidFile = folder.appending("grandchild.pid")
        let script = "sleep 1000 & echo $! > '\(pidFile)'; wait"
        let waiting = Task { try await ChildProcess(["/bin/sh", "-c", script]).run(grace: .milliseconds(300)) }
        var grandchild: Int32?
        _ = try await eventually(seconds: 300, every: .milliseconds(10)) {
            grandchild = Int32(FileContents.text(atPath: pidFile).trimmingCharacters(in: .whitespacesAndNewlines))
            return grandchild != nil
        }
        waiting.cancel()
        _ = try? await waiting.value
        #expect(await isGone(try #require(grandchild)))
    }

    @Test func sigtermIsEnoughForAProgramThatHeedsIt() async throws {
        let completion = try await ChildProcess(["sleep", "1000"]).run(timeLimit: .milliseconds(200), grace: .seconds(20))
        #expect(completion.ranPastLimit && completion.termination == .signaled(SIGTERM))
    }

    /// More waits than the pool has threads, each child waiting for a file that only a task
    /// on the same pool writes: if a wait held a thread, that task could never run.
    @Test func waitingDoesNotHoldTheCooperativePool() async throws {
        let folder = TemporaryDirectory("child-pool")
        let signal = folder.appending("go")
        let waits = ProcessInfo.processInfo.activeProcessorCount * 2 + 2
        // Each child says it has begun, then waits for the file.
        let script = "touch '\(folder.path)/begun.'$$; while [ ! -e '\(signal)' ]; do sleep 0.02; done"
        try await withThrowingTaskGroup(of: ChildProcess.Completion?.self) { group in
            for _ in 0..<waits {
                group.addTask { try await ChildProcess(["/bin/sh", "-c", script]).run(timeLimit: .seconds(600)) }
            }
            group.addTask {
                // Every wait has begun first (their children have).
                let begun = try await eventually(seconds: 300) {
                    ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix("begun.") }.count == waits
                }
                #expect(begun)
                _ = FileManager.default.createFile(atPath: signal, contents: nil)
                return nil
            }
            var finished = 0
            for try await completion in group {
                guard let completion else { continue }
                #expect(completion.termination == .exited(0) && !completion.ranPastLimit)
                finished += 1
            }
            #expect(finished == waits)
        }
    }

    /// The limits in these tests are far above what they need: they only turn a deadlock into
    /// a failure (the whole suite at once on two cores keeps the pool busy for minutes).
    @Test func capturedOutputLargerThanAPipeBuffer() async throws {
        let size = 1_000_000
        let script = "head -c \(size) /dev/zero | tr '\\0' a; head -c \(size) /dev/zero | tr '\\0' b >&2"
        let completion = try await ChildProcess(["/bin/sh", "-c", script], output: .captured(limit: 2 * size), error: .captured(limit: 2 * size))
            .run(timeLimit: .seconds(600))
        #expect(completion.termination == .exited(0))
        #expect(completion.output.utf8.count == size && completion.output.allSatisfy { $0 == "a" })
        #expect(completion.errorOutput.utf8.count == size && completion.errorOutput.allSatisfy { $0 == "b" })
    }

    @Test func outputPastTheLimitIsAnError() async throws {
        let command = ["/bin/sh", "-c", "head -c 100000 /dev/zero"]
        await #expect(throws: SystemError.self) { try await ChildProcess(command, output: .captured(limit: 1000)).run() }
    }

    @Test func appendsToAFileWithErrorsToo() async throws {
        let folder = TemporaryDirectory("child-file")
        let log = folder.appending("log")
        try Data("before\n".utf8).write(to: URL(fileURLWithPath: log))
        let child = ChildProcess(["/bin/sh", "-c", "pwd; echo oops >&2"], directory: folder.path, output: .appending(toFile: log), error: .sameAsOutput)
        let completion = try await child.run()
        #expect(completion.termination == .exited(0))
        #expect(FileContents.text(atPath: log) == "before\n\(folder.path)\noops\n")
    }

    @Test func environmentIsTheWholeEnvironment() async throws {
        let completion = try await ChildProcess(
            ["/bin/sh", "-c", "echo \"$ONLY-${HOME:-none}\""], environment: ["ONLY": "this"], output: .captured(limit: 100)
        ).run()
        #expect(completion.output == "this-none\n")
    }

    @Test func aMissingProgramCannotStart() async throws {
        let error = await #expect(throws: SystemError.self) { try await ChildProcess(["/nonexistent/program"]).run() }
        guard case .cannotStart(let command, _) = error else {
            Issue.record("expected cannotStart, got \(String(describing: error))")
            return
        }
        #expect(command == ["/nonexistent/program"])
        await #expect(throws: SystemError.self) { try await ChildProcess([]).run() }
    }

    @Test func aHeartbeatReportsWhileItRuns() async throws {
        let beats = Beats()
        let heartbeat = ChildProcess.Heartbeat(every: .milliseconds(50)) { _ in beats.add() }
        let folder = TemporaryDirectory("child-beat")
        let signal = folder.appending("go")
        let waiting = Task {
            try await ChildProcess(["/bin/sh", "-c", "while [ ! -e '\(signal)' ]; do sleep 0.02; done"]).run(timeLimit: .seconds(600), heartbeat: heartbeat)
        }
        _ = try await eventually(seconds: 300, every: .milliseconds(10)) { beats.count >= 2 }
        _ = FileManager.default.createFile(atPath: signal, contents: nil)
        #expect(try await waiting.value.termination == .exited(0))
        #expect(beats.count >= 2)
    }

    @Test func aRunningProcessEndsWithATypedTermination() async throws {
        let process = try RunningProcess(command: ["/bin/sh", "-c", "exit 4"])
        _ = try await eventually(seconds: 300, every: .milliseconds(10)) { process.termination != nil }
        #expect(process.termination == .exited(4))
        #expect(throws: SystemError.self) { try RunningProcess(command: ["/nonexistent/program"]) }
    }
}

/// Gone, or a zombie nobody reaps (a container's first process may not): polled up to 5 min
/// (the whole suite at once on two cores can be that slow).
func isGone(_ pid: Int32) async -> Bool {
    (try? await eventually(seconds: 300, every: .milliseconds(20)) {
        if kill(pid, 0) != 0 { return true }
        let stat = FileContents.text(atPath: "/proc/\(pid)/stat")
        guard let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)...].hasPrefix("Z")
    }) ?? false
}

final class Beats: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    var count: Int { lock.withLock { value } }
    func add() { lock.withLock { value += 1 } }
}
