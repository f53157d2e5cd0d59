import Foundation
import GitKit
import SQLiteStore
import Store
import TestSupport
import Testing

@testable import ModelFactory

/// `FactoryWorker` and schedules, with an injected clock: it fires what is due in every
/// repository the store knows, and knows when to wake for the next fire.
@Suite(.onTestThreads) struct WorkerScheduleTests {
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

    /// Fresh data from a file or from a command writing `$MF_DATA_FILE` is kept under its
    /// SHA-256, so the same bytes name the same candidate; a failing command says why.
    @Test func freshDataIsKeptUnderItsDigest() async throws {
        let folder = TemporaryDirectory("fresh-data")
        let store = try SQLiteStore.inMemory()
        let pipeline = Pipeline(store: store, home: URL(fileURLWithPath: folder.appending("home")))
        let fire = ScheduleFire(
            repository: "/r", entry: "nightly", model: "churn", action: "{}", scheduledAt: Date(), firedAt: Date(), worker: "w", state: .queued)
        let run = ScheduledRun(pipeline: pipeline, fire: fire)
        let source = folder.appending("latest.csv")
        try Data("x,y\n1,0\n4,1\n".utf8).write(to: URL(fileURLWithPath: source))
        let fromFile = try await run.freshData(.init(kind: .train, data: source), extension: "csv")
        let fromCommand = try await run.freshData(.init(kind: .train, command: ["sh", "-c", "cp \(source) \"$MF_DATA_FILE\""]), extension: "csv")
        #expect(fromFile.digest == "8d5c9d7b772eeefa5c6612029db95263b7e050e54240ef273af3ddff663b48e1")
        #expect(fromCommand == fromFile && fromFile.path.hasSuffix("/schedule-data/\(fromFile.digest).csv"))
        #expect(FileManager.default.fileExists(atPath: fromFile.path))
        await #expect {
            _ = try await run.freshData(.init(kind: .train, command: ["sh", "-c", "echo no source here >&2; exit 3"]), extension: "csv")
        } throws: { error in
            let failure = error as? ScheduleError
            return failure?.retry == true && failure?.description.contains("no source here") == true
        }
        await #expect(throws: ScheduleError.self) { _ = try await run.freshData(.init(kind: .train, data: folder.appending("missing.csv")), extension: "csv") }
    }
}
