public import Foundation
internal import Synchronization
internal import SystemKit

/// The end of the demo's story: `mf serve --follow production` as a user starts it, asked for
/// predictions the way a user would (the `curl` lines it shows are the requests it sends), and
/// watched while the environment moves to a new release under a steady stream of requests.
///
/// The server is a child process in a process group of its own, its output in a log file; `stop()`
/// ends it (SIGTERM, then SIGKILL), and so does dropping the value.
public final class DemoServer: Sendable {
    /// The server's base URL (`http://127.0.0.1:PORT`).
    public let url: URL
    /// The command that started it, as a user would type it.
    public let command: [String]
    /// Where its output goes.
    public let log: URL
    private let process: RunningProcess

    private init(url: URL, command: [String], log: URL, process: RunningProcess) {
        self.url = url
        self.command = command
        self.log = log
        self.process = process
    }

    /// Starts `mf serve --follow ENVIRONMENT` (with `options` added) on a free loopback port and
    /// waits (up to `timeout` seconds: a first start makes the bundle's Python environment from
    /// its requirements.lock, which takes pip's time) until it listens. `mf` is the path of the
    /// executable to run.
    public static func start(
        mf: String, repository: String, home: URL, environment: String = "production", options: [String] = [], log: URL, timeout: Double = 600
    ) async throws -> DemoServer {
        let command =
            [mf, "serve", "--follow", environment, "--repo", repository, "--home", home.path, "--port", "0", "--workers", "1"] + options
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = try RunningProcess(command: command, outputFile: log.path)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let output = FileContents.text(atPath: log.path)
            if let range = output.range(of: "listening on http://") {
                let address = output[range.upperBound...].prefix { !$0.isWhitespace }
                if let url = URL(string: "http://\(address)") {
                    return DemoServer(url: url, command: ["mf"] + command.dropFirst(), log: log, process: process)
                }
            }
            if process.termination != nil { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        await process.stopped(grace: 5)
        let tail = FileContents.text(atPath: log.path).split(separator: "\n").suffix(3).joined(separator: " / ")
        throw DemoError.serverDidNotStart(log: log.path, why: process.termination.map { "it \($0): \(tail)" } ?? "it did not listen within \(Int(timeout)) s")
    }

    /// Stops the server gracefully (SIGTERM; SIGKILL after 10 s) and waits for it, off the
    /// cooperative pool.
    public func stop() async {
        await process.stopped(grace: 10)
    }

    /// Starts stopping the server (SIGTERM), for a signal handler that cannot wait.
    public func beginStopping() {
        process.send(SIGTERM)
    }

    deinit { if process.termination == nil { process.stop(grace: 10) } }

    /// One answer from the server.
    public struct Answer: Sendable {
        /// The HTTP status code; 0 when the answer was not HTTP.
        public var status: Int
        /// The response body as text.
        public var body: String
        /// The version that answered (`X-Model-Version`).
        public var version: String?
    }

    /// Sends `body` (JSON) to `path` with POST.
    public func post(_ path: String, json body: Data) async throws -> Answer {
        let answer = try await HTTPExchange.send(
            HTTPExchange.Request(method: "POST", url: url.appendingPathComponent(path), json: body, timeout: 30, wantedHeader: "X-Model-Version"))
        return Answer(status: answer.status, body: String(decoding: answer.body, as: UTF8.self), version: answer.wantedValue)
    }

    /// Sends `path` a GET.
    public func get(_ path: String) async throws -> Answer {
        let answer = try await HTTPExchange.send(HTTPExchange.Request(method: "GET", url: url.appendingPathComponent(path), timeout: 30))
        return Answer(status: answer.status, body: String(decoding: answer.body, as: UTF8.self), version: nil)
    }

    /// Looks at `condition` every 50 ms until it holds. Throws `DemoError.gaveUp` naming `what`
    /// once `timeout` seconds pass or the server stops, and what `condition` throws at once.
    public func wait(for what: String, timeout: Double, until condition: () throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try !condition() {
            if let termination = process.termination { throw DemoError.gaveUp(waitingFor: what, why: "mf serve \(termination)", log: log.path) }
            guard Date() < deadline else { throw DemoError.gaveUp(waitingFor: what, why: "not within \(Int(timeout)) s", log: log.path) }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// What a client saw while the server swapped versions.
    public struct Swap: Sendable, Encodable {
        /// Requests sent while the swap happened.
        public var requests: Int
        /// Those answered other than 200, or not at all.
        public var failed: Int
        /// How many each version answered.
        public var versions: [String: Int]
        /// The first failure's status and body (or error), when there was one.
        public var firstFailure: String?
    }

    /// Runs `change` (which moves the environment to `version`) while one client keeps sending
    /// `path` requests without pause (the `bodies` in turn), and goes on until `version` has
    /// answered `settle` requests and `settled` holds (or `timeout` seconds pass: an error; what
    /// `settled` throws ends it at once). Returns what the client saw.
    public func watchSwap(
        to version: String, path: String, bodies: [Data], settle: Int = 50, timeout: Double = 600, until settled: () throws -> Bool = { true },
        during change: () async throws -> Void
    ) async throws -> Swap {
        let state = SwapClient()
        let client = Task { [self] in
            var sent = 0
            while !state.stopping.withLock({ $0 }) {
                var answer: Answer?
                var failure: String?
                let body = bodies[sent % bodies.count]
                sent += 1
                do {
                    answer = try await post(path, json: body)
                    if answer?.status != 200 { failure = "\(answer?.status ?? 0) \(answer?.body ?? "")" }
                } catch {
                    failure = "\(error)"
                }
                state.seen.withLock { swap in
                    swap.requests += 1
                    if let failure {
                        swap.failed += 1
                        if swap.firstFailure == nil { swap.firstFailure = failure }
                    } else if let version = answer?.version {
                        swap.versions[version, default: 0] += 1
                    }
                }
            }
        }
        var failure: (any Error)?
        do {
            try await change()
            let deadline = Date().addingTimeInterval(timeout)
            while try state.seen.withLock({ $0.versions[version] ?? 0 }) < settle || !settled() {
                guard Date() < deadline else { throw DemoError.noSwap(version: version, log: log.path) }
                try await Task.sleep(for: .milliseconds(50))
            }
        } catch {
            failure = error
        }
        state.stopping.withLock { $0 = true }
        _ = await client.value
        if let failure { throw failure }
        return state.seen.withLock { $0 }
    }
}

/// What the swap's client shares with the one watching it.
private final class SwapClient: Sendable {
    let seen = Mutex(DemoServer.Swap(requests: 0, failed: 0, versions: [:]))
    /// A flag, not task cancellation: a request under way in libcurl is not cancelled; the
    /// client stops between requests.
    let stopping = Mutex(false)
}

/// The requests the demo sends a served bundle: its manifest's first example, as a v1
/// `predict` body and as a v2 `infer` body (one `[1]` tensor per schema input, typed by the
/// schema), with keys sorted so the `curl` lines read the same every run.
public struct DemoRequests: Sendable {
    /// The path of the v1 predict call (`/v1/models/NAME:predict`).
    public let v1Path: String
    /// The v1 body: `{"instances": [EXAMPLE]}`.
    public let v1: Data
    /// The path of the v2 (Open Inference) call (`/v2/models/NAME/infer`).
    public let v2Path: String
    /// The v2 body: `{"inputs": [...]}`, one tensor of shape `[1]` per schema input the example gives.
    public let v2: Data

    /// Reads `model.yaml` in a bundle folder.
    public init(bundle: URL) throws {
        let text = try String(contentsOf: bundle.appendingPathComponent("model.yaml"), encoding: .utf8)
        try self.init(manifest: Manifest.parse(text, file: bundle.appendingPathComponent("model.yaml").path))
    }

    /// The requests for the manifest's first example; throws `DemoError.noExample` when it has none.
    public init(manifest: Manifest) throws {
        guard let example = manifest.examples.first else { throw DemoError.noExample(model: manifest.name) }
        let plain = { (value: Manifest.Value) -> Any in
            switch value {
            case .null: NSNull()
            case .bool(let flag): flag
            case .int(let number): number
            case .double(let number): number
            case .string(let text): text
            }
        }
        let options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        v1Path = "/v1/models/\(manifest.name):predict"
        v1 = try JSONSerialization.data(withJSONObject: ["instances": [example.mapValues(plain)]], options: options)
        v2Path = "/v2/models/\(manifest.name)/infer"
        let inputs: [[String: Any]] = manifest.schema.inputs.compactMap { field in
            guard let value = example[field.name] else { return nil }
            let datatype =
                switch field.type {
                case .int: "INT64"
                case .double: "FP64"
                case .string: "BYTES"
                case .bool: "BOOL"
                }
            return ["name": field.name, "shape": [1], "datatype": datatype, "data": [plain(value)]]
        }
        v2 = try JSONSerialization.data(withJSONObject: ["inputs": inputs], options: options)
    }
}

/// What went wrong in the demo's serving part.
public enum DemoError: Error, CustomStringConvertible {
    case serverDidNotStart(log: String, why: String)
    case noSwap(version: String, log: String)
    case noExample(model: String)
    /// The evaluation data cannot be sent as labelled traffic (unreadable, or without the label column).
    case badData(data: String, why: String)
    /// The server answered a request of the loop other than it should.
    case unexpectedAnswer(request: String, status: Int, body: String, log: String)
    /// What the demo waited for did not happen in time, or the server stopped meanwhile.
    case gaveUp(waitingFor: String, why: String, log: String)
    /// The live session the labels made failed.
    case liveMetricsFailed(model: String, version: String, why: String, log: String)
    /// The rollout of the next release was rolled back instead of promoted.
    case rolledBack(reason: String, log: String)

    /// The sentence the demo prints: what failed and, for the server, where its log is.
    public var description: String {
        switch self {
        case .serverDidNotStart(let log, let why): "mf serve did not start: \(why) (log: \(log))"
        case .noSwap(let version, let log): "the server did not swap to \(version) in time (log: \(log))"
        case .noExample(let model): "\(model)'s model.yaml has no examples to ask the server with"
        case .badData(let data, let why): "cannot send \(data) to the server as feedback: \(why)"
        case .unexpectedAnswer(let request, let status, let body, let log):
            "the server answered \(request) with \(status): \(body.prefix(300)) (log: \(log))"
        case .gaveUp(let what, let why, let log): "the demo gave up waiting for \(what): \(why) (log: \(log))"
        case .liveMetricsFailed(let model, let version, let why, let log): "the live metrics of \(model) \(version) failed: \(why) (log: \(log))"
        case .rolledBack(let reason, let log): "the rollout did not promote: \(reason) (log: \(log))"
        }
    }
}
