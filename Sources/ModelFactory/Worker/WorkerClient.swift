public import Foundation
public import ModelKit
internal import SystemKit

/// A running model worker, spoken to in JSON-RPC 2.0: one request per line on its stdin, one
/// answer per line on its stdout; its stderr is its log.
///
/// The client matches answers to requests by id, gives each call a time limit, and treats a
/// worker that exits, hangs, or writes anything but a JSON-RPC answer as broken: every pending
/// call fails with the reason and the worker's process group is stopped. Its process is always
/// reaped, also when the client is dropped without `shutdown()`.
///
/// ```swift
/// let worker = try WorkerClient(command: ["python3", "-u", "mf_runner.py"], directory: build)
/// let answer = try await worker.call("predict", ["instances": [["tenure": 12]]], timeout: 5)
/// await worker.shutdown()
/// ```
public final class WorkerClient: @unchecked Sendable {
    private let process: RunningProcess
    private let lock = NSLock()
    /// Writes the request lines, one after another: a line longer than a pipe's atomic write
    /// (4 KiB) goes in several writes, and two calls in flight at once must not interleave their
    /// bytes. A queue of its own, not the caller's thread: a write blocks while the worker is busy
    /// with the call before (`mf score` keeps two in flight), and a blocked thread of Swift's
    /// cooperative pool (one a core) would hold up the answers of every other worker.
    private let writer: DispatchQueue
    private var nextID = 1
    private var pending: [Int: Pending] = [:]
    private var broken: WorkerError?
    private var logTail: [String] = []
    private let logFile: FileHandle?
    /// Signalled when the worker's stderr has been read to its end.
    private let logDone = DispatchSemaphore(value: 0)
    /// The time limits of the pending calls: one Dispatch timer, set for the earliest deadline,
    /// not a task (the cooperative pool may be busy, and a limit must fire however busy it is)
    /// and not a timer per call (arming one wakes Dispatch's manager thread, on every call).
    /// (Made once the worker has started: Dispatch refuses to free a timer never activated.)
    private let limits: any DispatchSourceTimer
    /// When `limits` fires next (`distantFuture`: it is not set).
    private var limitsDeadline = DispatchTime.distantFuture

    private struct Pending {
        var method: String
        var continuation: CheckedContinuation<JSONValue, any Error>
        var deadline: DispatchTime
        var seconds: Double
    }

    /// Starts a worker. `log` receives its stderr (and is kept in part for error messages).
    public init(command: [String], directory: String? = nil, environment: [String: String]? = nil, log: URL? = nil) throws(WorkerError) {
        do { process = try RunningProcess(command: command, directory: directory, environment: environment) } catch {
            guard case .cannotStart(let command, let reason) = error else { throw .cannotStart(command: command, reason: "\(error)") }
            throw .cannotStart(command: command, reason: reason)
        }
        if let log {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            logFile = try? FileHandle(forWritingTo: log)
        } else {
            logFile = nil
        }
        writer = DispatchQueue(label: "mf-worker-stdin-\(process.pid)")
        limits = DispatchSource.makeTimerSource(queue: .global())
        limits.setEventHandler { [weak self] in self?.expire() }
        limits.activate()
        startReading()
    }

    deinit {
        limits.cancel()
        process.stop(grace: 0)
        try? logFile?.close()
    }

    /// The worker's process id (its process group has the same id).
    public var processID: Int32 { process.pid }

    /// Whether the worker has ended or been stopped (its next call would fail at once).
    public var isBroken: Bool { lock.withLock { broken != nil } }

    /// The last lines the worker wrote on stderr.
    public var recentLog: String { lock.withLock { logTail.joined(separator: "\n") } }

    /// Sends `method` with `params` and waits for the answer's `result`.
    public func call(_ method: String, _ params: JSONValue = .object([:]), timeout seconds: Double) async throws(WorkerError) -> JSONValue {
        let id: Int
        let line: Data
        do {
            let registered: Int = try lock.withLock {
                if let broken { throw brokenError(broken, method: method) }
                defer { nextID += 1 }
                return nextID
            }
            id = registered
            let request: JSONValue = ["jsonrpc": "2.0", "id": .number(Double(id)), "method": .string(method), "params": params]
            var data = request.jsonData()
            data.append(0x0A)
            line = data
        } catch let error as WorkerError {
            throw error
        } catch {
            throw .protocolViolation(method: method, line: "cannot encode the request: \(error)")
        }
        do {
            return try await withCheckedThrowingContinuation { continuation in
                let failure: WorkerError? = lock.withLock {
                    if let broken { return brokenError(broken, method: method) }
                    // The clock starts once the call is registered, so the limit always finds it.
                    let deadline = DispatchTime.now() + seconds
                    pending[id] = Pending(method: method, continuation: continuation, deadline: deadline, seconds: seconds)
                    if deadline < limitsDeadline { setLimits(deadline) }
                    return nil
                }
                if let failure { return continuation.resume(throwing: failure) }
                writer.async { [self] in
                    if !writeAll(line) {
                        // The worker has gone (or is going): give the waiter a moment to say how.
                        waitForLastWords()
                        fail(.exited(method: method, status: process.termination.map(WorkerError.Ending.terminated) ?? .closedInput, log: recentLog))
                    }
                }
            }
        } catch let error as WorkerError {
            throw error
        } catch {
            throw .stopped(method: method)
        }
    }

    /// Asks the worker to shut down, then stops its process group if it has not ended within
    /// `grace` seconds. Pending calls fail.
    public func shutdown(grace: Double = 2) async {
        let alive = lock.withLock { broken == nil }
        if alive {
            _ = try? await call("shutdown", timeout: grace)
        }
        fail(.stopped(method: "shutdown"), stopping: false)
        await process.stopped(grace: grace)
    }

    /// Waits, up to `seconds`, until all the ended worker wrote on stderr is in the log (its
    /// stderr closes with its process group; a process that left the group may hold it open).
    public func waitForLog(seconds: Double = 1) {
        if logDone.wait(timeout: .now() + seconds) == .success { logDone.signal() }
    }

    // MARK: Internals

    private func brokenError(_ error: WorkerError, method: String) -> WorkerError {
        switch error {
        case .stopped: return .stopped(method: method)
        case .exited("?", let status, let log): return .exited(method: method, status: status, log: log)
        default: return error
        }
    }

    /// Waits (briefly) until the worker has been reaped and its log read to the end, so an
    /// error can say how it ended and what it said last.
    private func waitForLastWords() {
        _ = process.waitForExit(seconds: 2)
        if logDone.wait(timeout: .now() + 1) == .success { logDone.signal() }
    }

    /// Sets `limits` to fire at `deadline` (under `lock`, so settings are never reordered).
    private func setLimits(_ deadline: DispatchTime) {
        limitsDeadline = deadline
        limits.schedule(deadline: deadline, leeway: .milliseconds(1))
    }

    /// `limits` fired: a call past its time limit (only one still unanswered: an answer may have
    /// arrived while the waiting task had no thread to resume on) breaks the worker; else the
    /// timer is set for the next deadline.
    private func expire() {
        let now = DispatchTime.now()
        let late: Pending? = lock.withLock {
            let late = pending.values.filter { $0.deadline <= now }.min { $0.deadline < $1.deadline }
            limitsDeadline = .distantFuture
            if let next = pending.values.map(\.deadline).filter({ $0 > now }).min() { setLimits(next) }
            return late
        }
        if let late { fail(.timedOut(method: late.method, seconds: late.seconds)) }
    }

    /// Marks the worker broken (first reason wins), fails every pending call and (unless the
    /// caller stops it itself) stops it, waiting up to half a second on this thread.
    private func fail(_ error: WorkerError, stopping: Bool = true) {
        let waiting: [Pending] = lock.withLock {
            if broken == nil { broken = error }
            defer { pending.removeAll() }
            return Array(pending.values)
        }
        for call in waiting { call.continuation.resume(throwing: brokenError(error, method: call.method)) }
        if stopping { process.stop(grace: 0.5) }
    }

    private func writeAll(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Foundation.write(process.stdin, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return false }
                offset += written
            }
            return true
        }
    }

    private func startReading() {
        let output = Thread { [weak self, process] in
            var reader = LineReader(descriptor: process.stdout)
            while let line = reader.next() {
                guard let self else { return }
                self.handle(line)
            }
            guard let self else { return }
            // stdout closed: the worker is gone (or going); say how it ended.
            self.waitForLastWords()
            let method = self.lock.withLock { self.pending.values.first?.method } ?? "?"
            self.fail(.exited(method: method, status: process.termination.map(WorkerError.Ending.terminated) ?? .closedOutput, log: self.recentLog))
        }
        output.name = "mf-worker-stdout-\(process.pid)"
        output.start()
        let errors = Thread { [weak self, process] in
            var reader = LineReader(descriptor: process.stderr)
            while let line = reader.next() {
                guard let self else { return }
                self.logFile?.write(line + Data([0x0A]))
                let text = String(decoding: line, as: UTF8.self)
                self.lock.withLock {
                    self.logTail.append(text)
                    if self.logTail.count > 20 { self.logTail.removeFirst(self.logTail.count - 20) }
                }
            }
            self?.logDone.signal()
        }
        errors.name = "mf-worker-stderr-\(process.pid)"
        errors.start()
    }

    private func handle(_ line: Data) {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
        let text = String(decoding: line, as: UTF8.self)
        let current = lock.withLock { pending.values.first?.method } ?? "?"
        guard let message = try? JSONValue(json: line),
            message["jsonrpc"] == .string("2.0"), let number = message["id"]?.numberValue,
            message["result"] != nil || message["error"] != nil
        else {
            return fail(.protocolViolation(method: current, line: text))
        }
        let id = Int(number)
        guard let call = lock.withLock({ pending.removeValue(forKey: id) }) else {
            return fail(.protocolViolation(method: current, line: "an answer to request \(id), which is not waiting: \(text)"))
        }
        if let error = message["error"] {
            let code = Int(error["code"]?.numberValue ?? 0)
            let text = error["message"]?.stringValue ?? "no message"
            call.continuation.resume(throwing: WorkerError.remote(method: call.method, code: code, message: text))
        } else {
            call.continuation.resume(returning: message["result"] ?? .null)
        }
    }
}

/// Splits what a descriptor yields into lines, without the newline.
private struct LineReader {
    let descriptor: Int32
    private var buffer: [UInt8] = []
    /// Where the unread part of `buffer` begins, and how far it has been searched for a newline.
    private var start = 0
    private var scanned = 0
    private var finished = false
    /// What one read fills; kept, so a read does not allocate and clear 64 KiB.
    private var chunk = [UInt8](repeating: 0, count: 65536)

    init(descriptor: Int32) { self.descriptor = descriptor }

    mutating func next() -> Data? {
        while true {
            if let newline = buffer[scanned...].firstIndex(of: 0x0A) {
                let line = Data(buffer[start..<newline])
                start = newline + 1
                scanned = start
                return line
            }
            scanned = buffer.count
            if finished {
                guard start < buffer.count else { return nil }
                defer {
                    buffer.removeAll()
                    start = 0
                    scanned = 0
                }
                return Data(buffer[start...])
            }
            // Keep the unread part, read more after it.
            if start > 0 {
                buffer.removeSubrange(0..<start)
                scanned -= start
                start = 0
            }
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 {
                finished = true
            } else {
                buffer.append(contentsOf: chunk[0..<count])
            }
        }
    }
}
