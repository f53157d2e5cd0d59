import Foundation
import GitKit
import SQLiteStore
import Store
import TestSupport
import Testing

@testable import ModelFactory

/// `FactoryWorker` and schedules, with an injected clock: it fires what is due in every
/// repository the store knows, and knows when to wake for the next fire.
@Suite struct WorkerScheduleTests {
    @Test func theWorkerFiresDueEntriesAndWakesForTheNext() async throws {
        let folder = TemporaryDirectory("worker-schedule")
        let repository = try pluginRepository(
            thresholdYAML,
            extra: [
                ".mf/schedule.yaml": """
                every-ten:
                  cron: "*/10 * * * *"
                  timezone: UTC
                  catch_up: once
                  evaluate: { data: /data/holdout.csv }
                """
            ], at: folder)
        let store = try SQLiteStore.inMemory()
        try store.registerRepository(identity: try RepositoryIdentity(repository).name, location: repository.location)
        let since = try repository.commit(try repository.resolveCommit("master")).committer.time
        let clock = TestClock(since.addingTimeInterval(3 * 3600))
        var options = FactoryWorker.Options()
        options.scheduleClock = clock
        options.scheduleRefresh = 3600
        let worker = FactoryWorker(
            pipeline: Pipeline(store: store, home: URL(fileURLWithPath: folder.appending("home"))), queue: JobQueue(store: store), options: options)
        #expect(worker.nextScheduleLook() == 0, "a worker looks at once")

        await worker.fireSchedules()
        let fired = try store.scheduleFires(repository: nil, entry: "every-ten", model: nil, limit: 10)
        #expect(fired.count == 1 && fired.first?.state == .queued && fired.first?.model == "threshold" && (fired.first?.missed ?? 0) >= 17)
        let first = try #require(fired.first)
        let next = first.scheduledAt.addingTimeInterval(600)
        #expect(worker.nextScheduleLook() == next.timeIntervalSince(clock.now), "it wakes for the next fire, before the hour's refresh")

        await worker.fireSchedules()
        #expect(try store.scheduleFires(repository: nil, entry: "every-ten", model: nil, limit: 10).count == 1, "nothing is due before then")
        await clock.sleep(until: next)
        await worker.fireSchedules()
        let later = try store.scheduleFires(repository: nil, entry: "every-ten", model: nil, limit: 10)
        #expect(later.map(\.scheduledAt) == [next, first.scheduledAt] && later.first?.missed == 0)
        #expect(try store.jobs(limit: 10).filter { $0.trigger == .schedule }.count == 2)
    }
}
