internal import Foundation
internal import Logging
public import ModelFactory
public import ModelKit
internal import Prometheus
internal import Synchronization

/// How a model version is served: its pool of workers and how requests are grouped.
public struct PoolOptions: Sendable {
    /// Workers per bundle.
    public var workers = 2
    /// The most instances one worker call carries.
    public var maxBatch = 64
    /// How long a worker that found one request waits for more before calling (0: it takes what
    /// is queued and goes; requests still group while every worker is busy).
    public var batchWait: Duration = .zero
    /// A worker call that takes longer fails with 504 and the worker is replaced.
    public var callTimeout: Double = 30
    /// How long a worker may take to start and load its artifacts.
    public var startTimeout: Double = 120

    /// The defaults (see each option).
    public init() {}
}

/// One loaded bundle: a pool of workers speaking the standard interface, fed from one queue.
///
/// Requests are queued; each worker runs a loop that takes everything queued (up to `maxBatch`
/// instances, waiting up to `batchWait` for more) and sends it as one `predict`, so concurrent
/// requests share worker calls (adaptive batching: no wait when idle, large batches under load).
/// A worker that dies is replaced (also while idle: a watchdog wakes idle loops every second to
/// look) and the requests it held are tried again on another, each on its own so that one
/// request that kills workers, hangs or makes the model raise cannot take the others with it; a
/// call past its time limit answers 504 and the worker is replaced. The version is ready while
/// at least one worker is alive.
public final class ModelVersion: Sendable {
    /// The bundle it serves.
    public let bundle: RunnableBundle
    let options: PoolOptions
    let metrics: ServerMetrics
    let queue = BatchQueue()
    private let state = Mutex(State())
    /// Requests routed here and not answered yet: draining waits for them, so a request that
    /// was given this version just before it left the routing table is still answered.
    private let users = Mutex(0)
    /// `users`, as the `mf_requests_in_flight` gauge.
    private let inFlight: Gauge
    private let logger: Logger
    /// How its live inputs drift from the training data; nil when drift is off.
    let drift: DriftMonitor?

    struct State {
        var loops: [Task<Void, Never>] = []
        var watchdog: Task<Void, Never>?
        var workers: [Int: WorkerClient] = [:]
    }

    /// The model's name.
    public var name: String { bundle.name }
    /// The version it serves.
    public var version: String { bundle.version }
    /// At least one worker is alive (a version whose workers all died and cannot start again is
    /// not ready, so `/v2/health/ready` answers 503).
    public var isReady: Bool { state.withLock { $0.workers.values.contains { !$0.isBroken } } }

    init(bundle: RunnableBundle, options: PoolOptions, metrics: ServerMetrics, logger: Logger, drift: DriftMonitor? = nil) {
        self.bundle = bundle
        self.drift = drift
        self.options = options
        self.metrics = metrics
        self.logger = logger
        inFlight = metrics.requestsInFlight(model: bundle.name, version: bundle.version)
    }

    /// Starts every worker and waits until they have loaded the artifacts, then predicts the
    /// manifest's examples through the queue (the warm-up) and checks the answer. Throws when
    /// no worker can start or the examples fail.
    func start() async throws {
        let started = await withTaskGroup(of: (Int, Result<WorkerClient, any Error>).self) { group in
            for slot in 0..<options.workers {
                group.addTask {
                    do { return (slot, .success(try await self.startWorker(slot))) } catch { return (slot, .failure(error)) }
                }
            }
            var results: [(Int, Result<WorkerClient, any Error>)] = []
            for await result in group { results.append(result) }
            return results
        }
        let failures = started.compactMap { _, result -> String? in
            if case .failure(let error) = result { "\(error)" } else { nil }
        }
        guard failures.count < options.workers else {
            throw ServeError(.serviceUnavailable, "\(name) \(version): no worker could start: \(failures.first ?? "?")")
        }
        // A slot whose worker failed to start gets a loop too: it starts one when the watchdog
        // wakes it (or a request arrives).
        for (slot, result) in started.sorted(by: { $0.0 < $1.0 }) {
            let client = try? result.get()
            let loop = Task.detached { [self] in await self.serve(slot: slot, client: client) }
            state.withLock {
                $0.workers[slot] = client
                $0.loops.append(loop)
            }
        }
        let watchdog = Task.detached { [self] in await self.watch() }
        state.withLock { $0.watchdog = watchdog }
        let examples = bundle.model.examples.map { JSONValue.object($0.mapValues(JSONValue.init)) }
        if !examples.isEmpty {
            let answers = try await predict(examples)
            guard answers.count == examples.count else {
                throw ServeError(
                    .serviceUnavailable,
                    "\(name) \(version): the warm-up answered \(counted(answers.count, "prediction")) for \(counted(examples.count, "example"))")
            }
        }
    }

    /// Predictions for `instances`, in order.
    public func predict(_ instances: [JSONValue]) async throws -> [JSONValue] {
        try await queue.submit(instances)
    }

    func enter() {
        users.withLock { $0 += 1 }
        inFlight.increment()
    }

    func leave() {
        users.withLock { $0 -= 1 }
        inFlight.decrement()
    }

    /// Waits for the requests routed here, lets the queued ones finish, and stops the workers.
    /// Call it once the version is out of the routing table.
    func drain() async {
        while users.withLock({ $0 }) > 0 { try? await Task.sleep(for: .milliseconds(5)) }
        queue.close()
        drift?.close()
        let (loops, watchdog) = state.withLock { ($0.loops, $0.watchdog) }
        watchdog?.cancel()
        for loop in loops { await loop.value }
    }

    /// Every second: when a worker has died or a slot has none, wakes the idle loops so they
    /// replace it before a request needs it.
    private func watch() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let missing = state.withLock { state in
                state.workers.count < options.workers || state.workers.values.contains { $0.isBroken }
            }
            if missing { queue.wakeIdle() }
        }
    }

    // MARK: Workers

    private func startWorker(_ slot: Int) async throws -> WorkerClient {
        let client = try WorkerClient(command: bundle.command, directory: bundle.directory.path)
        do {
            _ = try await client.call("load", ["artifacts": .string(bundle.artifacts.path)], timeout: options.startTimeout)
        } catch {
            await client.shutdown(grace: 0.5)
            throw ServeError(.serviceUnavailable, "\(name) \(version): a worker failed to load: \(error)")
        }
        return client
    }

    /// One worker's loop: take a batch, call, answer; replace the worker when it breaks.
    private func serve(slot: Int, client first: WorkerClient?) async {
        var client = first
        while let batch = await queue.nextBatch(maxInstances: options.maxBatch, wait: options.batchWait) {
            if batch.isEmpty, let client, !client.isBroken { continue }  // woken, nothing to replace
            if client?.isBroken == true {
                // It died while idle (killed, crashed): replace it before it gets the batch.
                logger.warning("\(name) \(version): worker \(slot) ended while idle; replacing it")
                await client?.shutdown(grace: 0)
                client = nil
            }
            if client == nil {
                client = await restart(slot)
                if client == nil {
                    queue.retryOrFail(batch, error: ServeError(.serviceUnavailable, "\(name) \(version): no worker is available"))
                    continue
                }
            }
            if batch.isEmpty { continue }
            let instances = batch.flatMap(\.instances)
            metrics.batch(model: name, version: version, size: instances.count)
            do {
                let answer = try await client!.call("predict", ["instances": .array(instances)], timeout: options.callTimeout)
                let predictions: [JSONValue]
                do {
                    predictions = try WorkerAnswer.predictions(answer, count: instances.count)
                } catch {
                    // The worker is alive but answers in the wrong shape: the requests are told
                    // so, with the shape (as a model that raises, the worker stays).
                    for item in batch { item.fail(ServeError(.internalServerError, "\(name) \(version): \(error)")) }
                    continue
                }
                var offset = 0
                for item in batch {
                    item.succeed(Array(predictions[offset..<offset + item.instances.count]))
                    offset += item.instances.count
                }
            } catch {
                switch error {
                case .timedOut:
                    // Only the request that hangs answers 504 (after a second time limit, alone).
                    fail(batch, ServeError(.gatewayTimeout, "\(name) \(version): the worker did not answer within \(options.callTimeout) s"))
                case .remote(_, _, let message):
                    // The model raised: the worker is fine, a request is not.
                    fail(batch, ServeError(.internalServerError, "\(name) \(version): the model failed: \(message)"))
                    continue
                default:
                    queue.retryOrFail(batch, error: ServeError(.serviceUnavailable, "\(name) \(version): the worker failed: \(error)"))
                }
                logger.warning("\(name) \(version): replacing worker \(slot): \(error)")
                await client?.shutdown(grace: 0.5)
                client = await restart(slot)
            }
        }
        state.withLock { $0.workers[slot] = nil }
        await client?.shutdown()
    }

    /// A call of `batch` failed with `error` because of one of its requests (it hung, or the
    /// model raised): alone, the request gets the error; together, each is tried again alone,
    /// so only the one at fault gets it.
    private func fail(_ batch: [BatchQueue.Item], _ error: ServeError) {
        if batch.count == 1 { batch[0].fail(error) } else { queue.retryOrFail(batch, error: error) }
    }

    /// A new worker for `slot`, or nil when it cannot start (the next batch tries again).
    private func restart(_ slot: Int) async -> WorkerClient? {
        metrics.workerRestart(model: name, version: version)
        do {
            let client = try await startWorker(slot)
            state.withLock { $0.workers[slot] = client }
            return client
        } catch {
            logger.error("\(name) \(version): worker \(slot) cannot start: \(error)")
            state.withLock { $0.workers[slot] = nil }
            try? await Task.sleep(for: .milliseconds(200))
            return nil
        }
    }
}

/// The requests waiting for a worker. Worker loops take from it; a loop that finds it empty
/// waits until a request arrives.
final class BatchQueue: Sendable {
    final class Item: Sendable {
        let instances: [JSONValue]
        private let continuation: Mutex<CheckedContinuation<[JSONValue], any Error>?>
        let attempts: Int
        /// A request tried again goes to a worker in a call of its own.
        var alone: Bool { attempts > 1 }

        init(instances: [JSONValue], continuation: CheckedContinuation<[JSONValue], any Error>, attempts: Int = 1) {
            self.instances = instances
            self.continuation = Mutex(continuation)
            self.attempts = attempts
        }

        func succeed(_ predictions: [JSONValue]) { continuation.withLock { $0.take() }?.resume(returning: predictions) }
        func fail(_ error: any Error) { continuation.withLock { $0.take() }?.resume(throwing: error) }
        /// The same request for another try (the first answer never came).
        func again() -> Item? {
            guard let taken = continuation.withLock({ $0.take() }) else { return nil }
            return Item(instances: instances, continuation: taken, attempts: attempts + 1)
        }
    }

    private struct State {
        var items: [Item] = []
        var waiting: [CheckedContinuation<Void, Never>] = []
        var closed = false
        /// How often `wakeIdle` was called.
        var wakes = 0
    }

    private let state = Mutex(State())

    func submit(_ instances: [JSONValue]) async throws -> [JSONValue] {
        try await withCheckedThrowingContinuation { continuation in
            let item = Item(instances: instances, continuation: continuation)
            let (accepted, waiter): (Bool, CheckedContinuation<Void, Never>?) = state.withLock { state in
                guard !state.closed else { return (false, nil) }
                state.items.append(item)
                return (true, state.waiting.isEmpty ? nil : state.waiting.removeFirst())
            }
            if !accepted { item.fail(ServeError(.serviceUnavailable, "the model version is shutting down")) }
            waiter?.resume()
        }
    }

    /// The next batch: waits for a first request, then (with `wait`) a little for more; nil when
    /// closed and empty; empty when `wakeIdle` woke the waiting loop.
    func nextBatch(maxInstances: Int, wait: Duration) async -> [Item]? {
        while true {
            let status: (empty: Bool, closed: Bool, queued: Int, wakes: Int) = state.withLock { state in
                (state.items.isEmpty, state.closed, state.items.reduce(0) { $0 + $1.instances.count }, state.wakes)
            }
            if status.empty {
                if status.closed { return nil }
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLock { state in
                        if !state.items.isEmpty || state.closed || state.wakes != status.wakes { return true }
                        state.waiting.append(continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
                let woken = state.withLock { $0.items.isEmpty && !$0.closed && $0.wakes != status.wakes }
                if woken { return [] }
                continue
            }
            if wait > .zero, status.queued < maxInstances { try? await Task.sleep(for: wait) }
            let batch: [Item] = state.withLock { state in
                var taken: [Item] = []
                var count = 0
                while let first = state.items.first, taken.isEmpty || (!first.alone && count + first.instances.count <= maxInstances) {
                    taken.append(state.items.removeFirst())
                    count += first.instances.count
                    if first.alone { break }
                }
                return taken
            }
            if !batch.isEmpty { return batch }
        }
    }

    /// Requests whose worker broke: each goes back to the front to be tried again (three tries in
    /// all: another worker may have died at the same moment), or fails.
    func retryOrFail(_ batch: [Item], error: ServeError) {
        var again: [Item] = []
        for item in batch {
            if item.attempts < 3, let retry = item.again() { again.append(retry) } else { item.fail(error) }
        }
        guard !again.isEmpty else { return }
        // Each goes to a worker alone, so wake as many idle loops as there are requests.
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.items.insert(contentsOf: again, at: 0)
            let woken = Array(state.waiting.prefix(again.count))
            state.waiting.removeFirst(woken.count)
            return woken
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Wakes every loop waiting for a request, with an empty batch (so it can replace a worker
    /// that died while idle).
    func wakeIdle() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.wakes += 1
            defer { state.waiting = [] }
            return state.waiting
        }
        for waiter in waiters { waiter.resume() }
    }

    /// No new requests; the loops finish what is queued, then stop.
    func close() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.closed = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for waiter in waiters { waiter.resume() }
    }
}
