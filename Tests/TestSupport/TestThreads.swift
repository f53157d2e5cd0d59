import Foundation
public import Testing

/// Runs a suite's tests on threads of their own instead of the cooperative pool.
///
/// The test process has one cooperative thread per core, two here, shared by every test that
/// runs at once. A test that blocks (a synchronous `mf` run, a `pollUntil`, a synchronous
/// store on a server being restarted) holds one of them for as long as it blocks, and then
/// every other test's timers, process time limits and answers wait behind it: a 1 s build limit
/// fired after 30 s, a rollout's calls timed out. Under this trait a test's task (and the child
/// tasks it makes) prefers `TestThreads.shared`, which starts a thread whenever a job would
/// otherwise wait, so a blocked test only ever holds a thread of its own.
///
/// ```swift
/// @Suite(.onTestThreads) struct ServeTests { … }
/// ```
public struct OnTestThreads: SuiteTrait, TestTrait, TestScoping {
    /// It reaches the suites inside the suite it is applied to.
    public var isRecursive: Bool { true }

    /// A scope for each test case (each run of a test function), none for a suite itself.
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? { testCase == nil ? nil : self }

    /// Runs the test case with `TestThreads.shared` as its task executor.
    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(TestThreads.shared) { try await function() }
    }
}

extension Trait where Self == OnTestThreads {
    /// Runs the suite's tests on `TestThreads.shared` (see `OnTestThreads`).
    public static var onTestThreads: Self { OnTestThreads() }
}

/// A task executor with as many threads as the jobs it is given need: a job never waits for a
/// thread while another job blocks one. Threads that have nothing to do wait for the next job;
/// there are never more than `limit`.
public final class TestThreads: TaskExecutor, @unchecked Sendable {
    /// The executor the tests share.
    public static let shared = TestThreads()

    /// Guards every field below; idle threads wait on it.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var idle = 0
    private var threads = 0
    private let limit: Int

    /// An executor that starts at most `limit` threads.
    public init(limit: Int = 256) { self.limit = limit }

    /// Queues `job`, and starts a thread when there are more queued jobs than idle threads.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        let start = jobs.count > idle && threads < limit
        if start { threads += 1 }
        condition.signal()
        condition.unlock()
        if start {
            let thread = Thread { [self] in work() }
            thread.name = "test-thread"
            thread.start()
        }
    }

    /// A thread's life: run queued jobs, wait when there are none.
    private func work() {
        condition.lock()
        while true {
            if jobs.isEmpty {
                idle += 1
                condition.wait()
                idle -= 1
                continue
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
            condition.lock()
        }
    }
}
