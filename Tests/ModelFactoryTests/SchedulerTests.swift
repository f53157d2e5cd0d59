import Foundation
import GitKit
import ModelFactory
import SQLiteStore
import Store
import Synchronization
import TestSupport
import Testing

/// A clock the test moves: `sleep(until:)` moves it there at once.
final class TestClock: ScheduleClock {
    private let instant: Mutex<Date>

    init(_ start: Date) { instant = Mutex(start) }

    var now: Date { instant.withLock { $0 } }

    func sleep(until target: Date) async { instant.withLock { $0 = max($0, target) } }

    func move(to target: Date) { instant.withLock { $0 = target } }
}

/// `.mf/schedule.yaml` as read, and `Scheduler` firing it with an injected clock: on time,
/// after a missed stretch (`catch_up: skip` and `once`), and once per instant across workers.
@Suite(.onTestThreads) struct SchedulerTests {
    /// An instant written in UTC: `2026-03-29 01:00`.
    func at(_ text: String) -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.date(from: text)!
    }

    func source(_ yaml: String, models: [String] = ["churn"], since: String = "2026-03-28 12:00") throws -> ScheduleSource {
        ScheduleSource(
            repository: "/r", commit: ObjectID(hex: String(repeating: "a", count: 40))!, since: at(since), declaration: try ScheduleDeclaration.parse(yaml),
            models: models)
    }

    func nightly(_ catchUp: String) -> String {
        """
        nightly:
          cron: "0 2 * * *"
          timezone: Europe/Berlin
          catch_up: \(catchUp)
          train: { data: /data/churn.csv }
        """
    }

    @Test func parsesEveryActionAndItsSettings() async throws {
        let declaration = try ScheduleDeclaration.parse(
            """
            nightly:
              cron: "0 2 * * *"
              timezone: Europe/Berlin
              catch_up: once
              model: churn
              train: { data: /data/churn/latest.csv }
            fetched:
              cron: "@daily"
              timezone: UTC
              train: { command: [sh, -c, "cp /src.csv $MF_DATA_FILE"] }
            morning-scores:
              cron: "30 6 * * MON-FRI"
              timezone: America/New_York
              score: { input: /data/in.csv, output: /data/out.csv }
            weekly-check:
              cron: "0 8 * * SUN"
              timezone: UTC
              evaluate: { data: /data/holdout.csv }
            """)
        #expect(declaration.entries.map(\.name) == ["fetched", "morning-scores", "nightly", "weekly-check"])
        let nightly = try #require(declaration.entries.first { $0.name == "nightly" })
        #expect(nightly.catchUp == .once && nightly.model == "churn" && nightly.timeZone.identifier == "Europe/Berlin")
        #expect(nightly.action == .init(kind: .train, data: "/data/churn/latest.csv"))
        #expect(declaration.entries[0].action.command == ["sh", "-c", "cp /src.csv $MF_DATA_FILE"] && declaration.entries[0].catchUp == .skip)
        #expect(declaration.entries[1].action == .init(kind: .score, input: "/data/in.csv", output: "/data/out.csv"))
        #expect(declaration.entries[3].action == .init(kind: .evaluate, data: "/data/holdout.csv"))
        #expect(ScheduleDeclaration.Action(json: nightly.action.json) == nightly.action)
        #expect(try ScheduleDeclaration.parse("") == ScheduleDeclaration())
    }

    @Test func namesTheFileEntryAndFieldOfEveryProblem() async throws {
        let error = #expect(throws: ManifestError.self) {
            try ScheduleDeclaration.parse(
                """
                no-zone:
                  cron: "0 2 * * *"
                  train: { data: /d.csv }
                bad-zone:
                  cron: "0 2 * * *"
                  timezone: Mars/Olympus
                  evaluate: { data: /d.csv }
                relative:
                  cron: "0 2 * * *"
                  timezone: UTC
                  evaluate: { data: data/test.csv }
                two:
                  cron: "0 2 * * *"
                  timezone: UTC
                  evaluate: { data: /d.csv }
                  score: { input: /a.csv, output: /b.csv }
                cron:
                  cron: "0 25 * * *"
                  timezone: UTC
                  catch_up: always
                  evaluate: { data: /d.csv }
                """)
        }
        let problems = Set(error?.problems.map(\.path) ?? [])
        #expect(problems == ["no-zone.timezone", "bad-zone.timezone", "relative.evaluate.data", "two", "cron.cron", "cron.catch_up"], "\(problems)")
        #expect(error?.file == ScheduleDeclaration.path)
        #expect(String(describing: error!).contains("Mars/Olympus") && String(describing: error!).contains("the hour field"))
    }

    /// A due instant fires once (a time in the spring gap at the gap's end), the next is named,
    /// and a second look, by this worker or another, fires nothing more.
    @Test func aDueInstantFiresOnceAcrossWorkers() async throws {
        let store = try SQLiteStore.inMemory()
        let clock = TestClock(at("2026-03-29 00:50"))
        let schedule = try source(
            """
            gap:
              cron: "30 2 * * *"
              timezone: Europe/Berlin
              train: { data: /data/churn.csv }
            """)
        let first = Scheduler(store: store, worker: "a", clock: clock)
        let other = Scheduler(store: store, worker: "b", clock: clock)
        #expect(try first.fireDue(schedule).fired.isEmpty)
        let next = try #require(try first.fireDue(schedule).next)
        #expect(next == at("2026-03-29 01:00"), "02:30 does not exist: the gap ends at 03:00 CEST")
        await clock.sleep(until: next)
        let round = try first.fireDue(schedule)
        #expect(round.fired.count == 1 && round.fired[0].scheduledAt == next && round.fired[0].missed == 0 && round.fired[0].jobId != nil)
        #expect(round.next == at("2026-03-30 00:30"))
        #expect(try other.fireDue(schedule).fired.isEmpty && first.fireDue(schedule).fired.isEmpty)
        #expect(try store.jobs(limit: 10).count == 1)
    }

    /// Instants missed while no worker ran: `skip` fires none and records them as skipped; the
    /// next on-time instant fires.
    @Test func skipRecordsMissedInstantsAndFiresNone() async throws {
        let store = try SQLiteStore.inMemory()
        let clock = TestClock(at("2026-04-01 06:00"))
        let scheduler = Scheduler(store: store, worker: "a", clock: clock)
        let schedule = try source(nightly("skip"))
        let round = try scheduler.fireDue(schedule)
        #expect(round.fired.isEmpty && round.skipped.count == 1)
        // Since 28 March 12:00 UTC: 29 March (03:00 CEST, the gap), 30 and 31 March, 1 April 02:00 CEST.
        #expect(round.skipped[0].scheduledAt == at("2026-04-01 00:00") && round.skipped[0].missed == 3 && round.skipped[0].state == .skipped)
        #expect(try store.jobs(limit: 10).isEmpty)
        await clock.sleep(until: try #require(round.next))
        let onTime = try scheduler.fireDue(schedule)
        #expect(onTime.fired.map(\.scheduledAt) == [at("2026-04-02 00:00")] && onTime.fired[0].missed == 0)
        let status = try ScheduleEntryStatus.read(schedule, store: store, now: clock.now)
        #expect(status.first?.skipped == 4 && status.first?.last?.scheduledAt == at("2026-04-02 00:00"))
    }

    /// `once` fires the newest missed instant, once; the older ones count as skipped.
    @Test func onceFiresTheNewestMissedInstantOnce() async throws {
        let store = try SQLiteStore.inMemory()
        let clock = TestClock(at("2026-04-01 06:00"))
        let schedule = try source(nightly("once"))
        let round = try Scheduler(store: store, worker: "a", clock: clock).fireDue(schedule)
        #expect(round.fired.count == 1 && round.skipped.isEmpty)
        #expect(round.fired[0].scheduledAt == at("2026-04-01 00:00") && round.fired[0].missed == 3)
        clock.move(to: at("2026-04-01 07:00"))
        #expect(try Scheduler(store: store, worker: "b", clock: clock).fireDue(schedule).fired.isEmpty)
        #expect(try store.jobs(limit: 10).count == 1)
    }

    /// A late look within the grace is on time: `skip` still fires it.
    @Test func aSlightlyLateLookIsOnTime() async throws {
        let store = try SQLiteStore.inMemory()
        let clock = TestClock(at("2026-04-01 00:03"))
        let round = try Scheduler(store: store, worker: "a", clock: clock).fireDue(try source(nightly("skip"), since: "2026-03-31 12:00"))
        #expect(round.fired.map(\.scheduledAt) == [at("2026-04-01 00:00")])
    }

    /// In a repository of several models an entry names its model; one that does not is a
    /// problem, and fires nothing.
    @Test func anEntryOfAMonorepoNamesItsModel() async throws {
        let store = try SQLiteStore.inMemory()
        let clock = TestClock(at("2026-04-01 00:01"))
        let round = try Scheduler(store: store, worker: "a", clock: clock).fireDue(
            try source(nightly("skip"), models: ["churn", "fraud"], since: "2026-03-31 12:00"))
        #expect(round.fired.isEmpty && round.problems.count == 1)
        #expect(round.problems.first?.contains("nightly.model: missing; the repository holds 2 models (churn, fraud)") == true)
    }
}
