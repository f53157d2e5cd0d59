public import Foundation

/// Blocking work (a libcurl request, a wait for a process) run on a thread of its own while the
/// caller awaits it. Dispatch's global queue is as wide as the machine has cores and does not
/// grow while its threads block: on 2 cores, two slow requests there held back every other
/// blocking call and timer queued behind them (a notification timed out in a loaded test run).
public enum BlockingWork {
    /// Runs `body` on a new thread and returns what it returns.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            Thread { continuation.resume(returning: body()) }.start()
        }
    }
}
