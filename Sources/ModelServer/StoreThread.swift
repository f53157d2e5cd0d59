internal import Dispatch
internal import Store

/// Where the server's store work runs: one Dispatch thread of its own, never Swift's cooperative
/// pool. A store call blocks its thread (SQLite writes, a flush of thousands of predictions, a
/// large join); on the pool, which has one thread per core, that would stall the requests
/// waiting for it. Calls run one at a time, in order, as the store's writes do anyway.
enum StoreThread {
    private static let queue = DispatchQueue(label: "mf.serve.store", qos: .utility)

    /// Runs `body` on the store's thread and waits for it without holding a pool thread.
    static func run<Value: Sendable>(_ body: @escaping @Sendable () throws(StoreError) -> Value) async throws(StoreError) -> Value {
        let result: Result<Value, StoreError> = await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: Result { () throws(StoreError) -> Value in try body() }) }
        }
        return try result.get()
    }
}
