import Foundation
import ModelFactory
import ModelKit
import SystemKit
import TestSupport
import Testing

/// A worker that does what each method's name says, to drive every path of the client.
let testWorkerSource = """
    import json, os, subprocess, sys, time
    for line in sys.stdin:
        request = json.loads(line)
        method, params, ident = request["method"], request.get("params", {}), request["id"]
        def answer(result):
            print(json.dumps({"jsonrpc": "2.0", "id": ident, "result": result}), flush=True)
        if method == "echo": answer(params)
        elif method == "sleep": time.sleep(params["seconds"]); answer("slept")
        elif method == "crash": os._exit(3)
        elif method == "garbage": print("this is not json", flush=True)
        elif method == "wrong-id": print(json.dumps({"jsonrpc": "2.0", "id": ident + 100, "result": 1}), flush=True)
        elif method == "fail": print(json.dumps({"jsonrpc": "2.0", "id": ident, "error": {"code": -32000, "message": "bad data"}}), flush=True)
        elif method == "log": sys.stderr.write("hello from the worker\\n"); sys.stderr.flush(); answer(True)
        elif method == "spawn": answer(subprocess.Popen(["sleep", "300"]).pid)
        elif method == "shutdown": answer(None); sys.exit(0)
        else: print(json.dumps({"jsonrpc": "2.0", "id": ident, "error": {"code": -32601, "message": "no method " + method}}), flush=True)
    """

func startTestWorker(_ folder: TemporaryDirectory, log: URL? = nil) throws -> WorkerClient {
    try folder.write("worker.py", testWorkerSource)
    return try WorkerClient(command: ["python3", "-u", "worker.py"], directory: folder.path, log: log)
}

/// True once the process has ended, waiting up to two seconds. An orphan that has ended may stay
/// a zombie where PID 1 does not reap (as in some containers): that counts as ended.
func isGone(_ pid: Int32) async throws -> Bool {
    try await eventually(seconds: 2, every: .milliseconds(10)) {
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
    }
}

@Suite(.onTestThreads) struct WorkerClientTests {
    @Test func matchesConcurrentAnswersToTheirCalls() async throws {
        let folder = TemporaryDirectory("worker")
        let worker = try startTestWorker(folder)
        let results = try await withThrowingTaskGroup(of: (Int, JSONValue).self) { group in
            for index in 0..<50 {
                group.addTask { (index, try await worker.call("echo", ["n": .number(Double(index))], timeout: 10)) }
            }
            return try await group.reduce(into: [Int: JSONValue]()) { $0[$1.0] = $1.1 }
        }
        for index in 0..<50 { #expect(results[index] == ["n": .number(Double(index))]) }
        await worker.shutdown()
        #expect(try await isGone(worker.processID))
    }

    @Test func aHungWorkerTimesOutAndIsStopped() async throws {
        let folder = TemporaryDirectory("worker")
        let worker = try startTestWorker(folder)
        let error = await #expect(throws: WorkerError.self) { try await worker.call("sleep", ["seconds": 30], timeout: 0.5) }
        #expect(error == .timedOut(method: "sleep", seconds: 0.5))
        #expect(try await isGone(worker.processID))
        let after = await #expect(throws: WorkerError.self) { try await worker.call("echo", timeout: 1) }
        #expect(after == .timedOut(method: "sleep", seconds: 0.5))
    }

    @Test func aCrashFailsTheCallWithTheStatusAndLog() async throws {
        let folder = TemporaryDirectory("worker")
        let worker = try startTestWorker(folder)
        _ = try await worker.call("log", timeout: 10)
        let error = await #expect(throws: WorkerError.self) { try await worker.call("crash", timeout: 10) }
        guard case .exited(let method, let status, let log) = error else {
            Issue.record("expected exited, got \(String(describing: error))")
            return
        }
        #expect(method == "crash" && status == .terminated(.exited(3)) && log.contains("hello from the worker"))
        #expect(try await isGone(worker.processID))
    }

    @Test(arguments: ["garbage", "wrong-id"])
    func anythingButJSONRPCBreaksTheWorker(method: String) async throws {
        let folder = TemporaryDirectory("worker")
        let worker = try startTestWorker(folder)
        let error = await #expect(throws: WorkerError.self) { try await worker.call(method, timeout: 10) }
        guard case .protocolViolation = error else {
            Issue.record("expected a protocol violation, got \(String(describing: error))")
            return
        }
        #expect(try await isGone(worker.processID))
    }

    @Test func aRemoteErrorLeavesTheWorkerUsable() async throws {
        let folder = TemporaryDirectory("worker")
        let worker = try startTestWorker(folder)
        let error = await #expect(throws: WorkerError.self) { try await worker.call("fail", timeout: 10) }
        #expect(error == .remote(method: "fail", code: -32000, message: "bad data"))
        #expect(try await worker.call("echo", ["ok": true], timeout: 10) == ["ok": true])
        await worker.shutdown()
    }

    @Test func logGoesToTheLogFile() async throws {
        let folder = TemporaryDirectory("worker")
        let log = URL(fileURLWithPath: folder.appending("worker.log"))
        let worker = try startTestWorker(folder, log: log)
        _ = try await worker.call("log", timeout: 10)
        await worker.shutdown()
        #expect(try String(contentsOf: log, encoding: .utf8).contains("hello from the worker"))
        #expect(worker.recentLog.contains("hello from the worker"))
    }

    @Test func stoppingTakesTheWholeProcessGroup() async throws {
        let folder = TemporaryDirectory("worker")
        let worker = try startTestWorker(folder)
        let child = try #require(try await worker.call("spawn", timeout: 10).numberValue)
        #expect(kill(Int32(child), 0) == 0)
        _ = await #expect(throws: WorkerError.self) { try await worker.call("sleep", ["seconds": 30], timeout: 0.3) }
        #expect(try await isGone(Int32(child)))
    }

    @Test func droppingTheClientReapsTheWorker() async throws {
        let folder = TemporaryDirectory("worker")
        var worker: WorkerClient? = try startTestWorker(folder)
        let pid = worker!.processID
        _ = try await worker!.call("echo", timeout: 10)
        worker = nil
        #expect(try await isGone(pid))
    }

    @Test func startFailures() async throws {
        let folder = TemporaryDirectory("worker")
        let missingFolder = #expect(throws: WorkerError.self) {
            try WorkerClient(command: ["python3"], directory: folder.appending("nope"))
        }
        #expect(missingFolder?.description.contains("does not exist") == true)
        #expect(throws: WorkerError.self) { try WorkerClient(command: []) }
        let missingProgram = try WorkerClient(command: ["/nonexistent/worker"], directory: folder.path)
        let error = await #expect(throws: WorkerError.self) { try await missingProgram.call("describe", timeout: 120) }
        guard case .exited(_, let status, _) = error else {
            Issue.record("expected exited, got \(String(describing: error))")
            return
        }
        #expect(status == .terminated(.exited(127)))
    }
}
