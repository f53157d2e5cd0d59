internal import Foundation
internal import NIOCore
internal import NIOPosix
internal import PostgresNIO
internal import Synchronization

/// A store object's view of `NOTIFY mf_changes`: a counter that moves on each notification (and
/// on each of the store's own commits), waiters suspended on continuations until it moves, and
/// the listening connection, made again in the background when it drops.
final class ChangeSignal: Sendable {
    private struct State {
        var count: Int64 = 0
        var waiters: [Int: CheckedContinuation<Bool, Never>] = [:]
        var nextWaiter = 0
        /// Waiters cancelled before they were suspended.
        var cancelled: Set<Int> = []
        var listener: PostgresConnection?
        var closed = false
    }

    private let state = Mutex(State())
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger

    init(configuration: PostgresConnection.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The changes seen so far.
    var count: Int64 { state.withLock { $0.count } }

    /// Counts a change and wakes every waiter.
    func bump() {
        let woken = state.withLock { state in
            state.count += 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.resume(returning: true) }
    }

    /// Suspends until the count moves past `token` (true), `timeout` passes or the task is
    /// cancelled (false).
    func wait(after token: Int64, timeout: Duration) async -> Bool {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        defer { _ = state.withLock { $0.cancelled.remove(id) } }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let now: Bool? = state.withLock { state in
                    if state.count != token { return true }
                    if state.closed || state.cancelled.contains(id) { return false }
                    state.waiters[id] = continuation
                    return nil
                }
                if let now { return continuation.resume(returning: now) }
                let (seconds, attoseconds) = timeout.components
                let nanoseconds = seconds >= Int64.max / 1_000_000_000 ? Int64.max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
                MultiThreadedEventLoopGroup.singleton.next().scheduleTask(in: .nanoseconds(max(0, nanoseconds))) { self.resume(id, false) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                let waiter = state.waiters.removeValue(forKey: id)
                if waiter == nil { state.cancelled.insert(id) }
                return waiter
            }
            waiter?.resume(returning: false)
        }
    }

    private func resume(_ id: Int, _ value: Bool) {
        state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: value)
    }

    // MARK: The listening connection

    /// Connects the listening connection (blocking): once this returns, every change committed
    /// afterwards wakes the waiters.
    func start() throws {
        keep(try listen(after: .zero).wait())
    }

    /// Stops listening for good and wakes every waiter (false).
    func close() {
        let (listener, woken) = state.withLock { state in
            state.closed = true
            defer {
                state.listener = nil
                state.waiters = [:]
            }
            return (state.listener, Array(state.waiters.values))
        }
        listener?.closeSoon()
        for waiter in woken { waiter.resume(returning: false) }
    }

    /// A new connection, after `delay`, listening on `mf_changes` once it returns.
    private func listen(after delay: TimeAmount) -> EventLoopFuture<PostgresConnection> {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let configuration = configuration
        let logger = logger
        return loop.flatScheduleTask(in: delay) {
            PostgresConnection.connect(on: loop, configuration: configuration, id: 0, logger: logger)
        }.futureResult.flatMap { connection in
            connection.addListener(channel: "mf_changes") { [weak self] _, _ in self?.bump() }
            // The listener sends its own LISTEN first; this one returns once both are done.
            return connection.query("LISTEN mf_changes", logger: logger).map { _ in connection }
                .flatMapErrorThrowing { error in
                    connection.closeSoon()
                    throw error
                }
        }
    }

    /// Holds `connection` as the listener, and makes a new one when it closes.
    private func keep(_ connection: PostgresConnection) {
        let closed = state.withLock { state in
            if !state.closed { state.listener = connection }
            return state.closed
        }
        if closed {
            connection.closeSoon()
            return
        }
        connection.closeFuture.whenComplete { [weak self] _ in self?.relisten(after: .milliseconds(100)) }
    }

    /// Makes the listening connection again, backing off to 2 s; once it is back the count moves
    /// (a change may have been missed while it was away).
    private func relisten(after delay: TimeAmount) {
        guard !state.withLock({ $0.closed }) else { return }
        listen(after: delay).whenComplete { [weak self] result in
            guard let self else { return }
            switch result {
            case .success(let connection):
                keep(connection)
                bump()
            case .failure:
                relisten(after: min(.seconds(2), .nanoseconds(delay.nanoseconds * 2)))
            }
        }
    }
}
