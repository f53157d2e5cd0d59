import Foundation
import ModelFactory
import SQLiteStore
import Store
import SystemKit
import TestSupport
import Testing

/// `.mf/schedule.yaml` end to end: `mf worker` fires entries (its clock moved with
/// `MF_CLOCK_OFFSET`, never waited for), a scheduled retrain becomes a gated, bundled and
/// proposed candidate that production does not serve, and an entry fires once across workers on
/// both stores. The repositories' commits are dated 1 January 2026, so every entry has missed
/// instants since then: `catch_up: once` fires the newest of them.
@Suite(.serialized, .onTestThreads) struct ScheduleCommandTests {
    /// The trigger model, its gates with the no-regression gate, `.mf/schedule.yaml` as given, tagged v1.0.0.
    func repository(_ name: String, schedule: String) throws -> GitFixture {
        try triggerRepository(
            name,
            files: [
                ".mf/schedule.yaml": schedule,
                "model.yaml": """
                name: churn
                runtime: python
                train: { data: data.csv }
                evaluate: { data: data.csv }
                schema:
                  inputs: [{ name: x, type: double }]
                  outputs: [{ name: label, type: int }]
                gates: { auc: ">= 0.8", max_regression: 0.05 }
                examples: [{ x: 1 }]
                """,
            ])
    }

    @Test(.timeLimit(.minutes(5)))
    func aScheduledRetrainIsAGatedBundledCandidateThatIsNeverServed() async throws {
        let data = TemporaryDirectory("fresh-data")
        let fresh = data.appending("churn.csv")
        try Data("x,y\n1,0\n2,0\n4,1\n5,1\n".utf8).write(to: URL(fileURLWithPath: fresh))
        let digest = HexDigest.sha256(Data("x,y\n1,0\n2,0\n4,1\n5,1\n".utf8))
        let fixture = try repository(
            "scheduled-train",
            schedule: """
                nightly:
                  cron: "0 3 * * *"
                  timezone: Europe/Berlin
                  catch_up: once
                  train: { data: \(fresh) }
                """)
        let home = TemporaryDirectory("home")
        let reconciled = try await mf(["reconcile", "--repo", fixture.path, "--home", home.path])
        #expect(reconciled.status == 0, "\(reconciled.stderr)")

        let listed = try await mf(["schedule", "--repo", fixture.path, "--home", home.path, "--json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let before = try #require((try json(listed) as? [String: Any])?["entries"] as? [[String: Any]])
        #expect(before.first?["name"] as? String == "nightly" && before.first?["status"] as? String == "never fired")
        #expect((before.first?["next"] as? [String: Any])?["local"] as? String != nil)

        let listener = try Listener(directory: data)
        let worker = try await mf(["worker", "--home", home.path, "--until-idle", "--json", "--notify", "http://127.0.0.1:\(listener.port)/"])
        #expect(worker.status == 0, "\(worker.stdout)\n\(worker.stderr)")
        #expect(worker.stdout.contains("\"event\":\"scheduled\""), "\(worker.stdout)")

        let candidate = "1.0.1-data.\(digest.prefix(8))"
        let store = try SQLiteStore(path: home.appending("factory.sqlite"))
        let fires = try store.scheduleFires(repository: nil, entry: "nightly", model: nil, limit: 10)
        let fire = try #require(fires.first)
        #expect(fires.count == 1 && fire.state == .done && fire.proposed && fire.candidate == candidate && fire.dataSha256 == digest, "\(fires)")
        #expect(fire.missed > 0, "the instants since the commit were missed; the newest fired")
        let sessionID = try #require(fire.session)
        let session = try #require(try store.session(id: sessionID))
        #expect(session.trigger == .schedule && session.version == candidate && session.status == .passed)
        let gates = try store.gates(session: session.id).map(\.gate)
        #expect(gates.contains("auc within 0.05 of 1.0.0"), "gated against the version in service: \(gates)")
        #expect(FileManager.default.fileExists(atPath: home.appending("bundles/churn/\(candidate)/bundle.json")))

        let status = try await mf(["status", "--repo", fixture.path, "--home", home.path])
        #expect(
            status.stdout.contains("candidate \(candidate) (from schedule nightly, data sha256 \(digest.prefix(12))…): gates passed — tag v1.0.1 to release"),
            "\(status.stdout)")
        let proposed = listener.received.compactMap { $0["mf"] as? [String: Any] }.filter { $0["kind"] as? String == "candidate-proposed" }
        #expect(proposed.count == 1 && (proposed.first?["text"] as? String)?.contains("candidate \(candidate)") == true, "\(listener.received)")
        let report = try #require(try json(try await mf(["status", "--repo", fixture.path, "--home", home.path, "--json"])) as? [String: Any])
        #expect((report["candidates"] as? [[String: Any]])?.first?["version"] as? String == candidate)
        // Production still serves the release: environments follow git, and a reconcile changes nothing.
        let environments = try #require(report["environments"] as? [[String: Any]])
        #expect(environments.first { $0["name"] as? String == "production" }?["current"] as? String == "1.0.0", "\(environments)")
        #expect(try await mf(["reconcile", "--repo", fixture.path, "--home", home.path]).status == 0)
        #expect(try store.environments(repository: fire.repository).first { $0.name == "production" }?.version == "1.0.0")

        // Two days on, the entry fires again on the same data: the candidate exists, nothing is trained.
        let again = try await mf(["worker", "--home", home.path, "--until-idle"], environment: ["MF_CLOCK_OFFSET": "172800"])
        #expect(again.status == 0, "\(again.stderr)")
        let later = try store.scheduleFires(repository: nil, entry: "nightly", model: nil, limit: 10)
        #expect(later.count == 2 && later.first?.state == .done && later.first?.session == fire.session, "\(later)")
        #expect(later.first?.result?.contains("made from the same data") == true)
        #expect(try store.sessions(model: "churn", repository: nil).filter { $0.session.trigger == .schedule }.count == 1)
    }

    /// Two workers started together on one SQLite home fire the entry once, and its evaluation runs once.
    @Test(.timeLimit(.minutes(5)))
    func twoWorkersFireAnEntryOnce() async throws {
        let fixture = try repository(
            "two-workers",
            schedule: """
                weekly-check:
                  cron: "0 8 * * SUN"
                  timezone: America/New_York
                  catch_up: once
                  evaluate: { data: \(FileManager.default.temporaryDirectory.path)/never-read.csv }
                """)
        let data = fixture.path + "/data.csv"
        try fixture.directory.write(
            "repo/.mf/schedule.yaml",
            """
            weekly-check:
              cron: "0 8 * * SUN"
              timezone: America/New_York
              catch_up: once
              evaluate: { data: \(data) }
            """)
        try fixture.git(["commit", "-q", "-am", "evaluate the work tree's data"])
        let home = TemporaryDirectory("home")
        #expect(try await mf(["reconcile", "--repo", fixture.path, "--home", home.path]).status == 0)
        async let first = mf(["worker", "--home", home.path, "--until-idle", "--json"])
        async let second = mf(["worker", "--home", home.path, "--until-idle", "--json"])
        let results = try await [first, second]
        for result in results { #expect(result.status == 0, "\(result.stderr)") }
        let store = try SQLiteStore(path: home.appending("factory.sqlite"))
        let fires = try store.scheduleFires(repository: nil, entry: "weekly-check", model: nil, limit: 10)
        #expect(fires.count == 1 && fires.first?.state == .done, "\(fires)")
        #expect(results.map { $0.stdout.components(separatedBy: "\"event\":\"scheduled\"").count - 1 }.reduce(0, +) == 1)
        #expect(try store.jobs(limit: 20).filter { $0.trigger == .schedule }.count == 1)
        let sessionID = try #require(fires.first?.session)
        let session = try #require(try store.session(id: sessionID))
        #expect(session.trigger == .schedule && session.version == "1.0.0" && session.status == .passed)
        #expect(try store.metrics(session: session.id).map(\.name) == ["auc"])
    }

    /// A `score` entry scores its input through the production bundle into its output, as
    /// `mf score` does, and the fire records the run.
    @Test(.timeLimit(.minutes(5)))
    func aScoreEntryScoresItsInputWithTheVersionInService() async throws {
        let fixture = try repository(
            "score-entry",
            schedule: """
                nightly-score:
                  cron: "30 2 * * *"
                  timezone: Europe/Berlin
                  evaluate: { data: \(FileManager.default.temporaryDirectory.path)/never-read.csv }
                """)
        let output = fixture.directory.appending("scores.csv")
        try fixture.directory.write(
            "repo/.mf/schedule.yaml",
            """
            nightly-score:
              cron: "30 2 * * *"
              timezone: Europe/Berlin
              catch_up: once
              score: { input: \(fixture.path)/data.csv, output: \(output) }
            """)
        try fixture.git(["commit", "-q", "-am", "score nightly"])
        let home = TemporaryDirectory("home")
        #expect(try await mf(["reconcile", "--repo", fixture.path, "--home", home.path]).status == 0)
        let worker = try await mf(["worker", "--home", home.path, "--until-idle", "--json"])
        #expect(worker.status == 0, "\(worker.stderr)")
        let store = try SQLiteStore(path: home.appending("factory.sqlite"))
        let fires = try store.scheduleFires(repository: nil, entry: "nightly-score", model: nil, limit: 10)
        #expect(fires.count == 1 && fires.first?.state == .done, "\(fires)")
        #expect(fires.first?.result?.contains("scored 2 rows") == true, "\(fires)")
        let scored = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
        #expect(scored.first == "row,label" && scored.count == 3, "\(scored)")
        #expect(try store.scoreRuns(model: "churn", limit: 5).first?.status == .done)
    }

    /// The same on PostgreSQL: two workers on two homes (two hosts) sharing one store.
    @Test(.timeLimit(.minutes(5)))
    func twoWorkersOnPostgreSQLFireAnEntryOnce() async throws {
        let url = try TestPostgres.freshDatabase("schedule")
        let fixture = try repository("postgres-schedule", schedule: "")
        try fixture.directory.write(
            "repo/.mf/schedule.yaml",
            """
            weekly-check:
              cron: "0 8 * * SUN"
              timezone: America/New_York
              catch_up: once
              evaluate: { data: \(fixture.path)/data.csv }
            """)
        try fixture.git(["commit", "-q", "-am", "schedule"])
        let homes = [TemporaryDirectory("host-a"), TemporaryDirectory("host-b")]
        #expect(try await mf(["reconcile", "--repo", fixture.path, "--home", homes[0].path, "--store", url]).status == 0)
        async let first = mf(["worker", "--home", homes[0].path, "--store", url, "--until-idle", "--json"])
        async let second = mf(["worker", "--home", homes[1].path, "--store", url, "--until-idle", "--json"])
        let results = try await [first, second]
        for result in results { #expect(result.status == 0, "\(result.stderr)") }
        let listed = try #require(
            try json(try await mf(["schedule", "--repo", fixture.path, "--home", homes[1].path, "--store", url, "--json"])) as? [String: Any])
        let entry = try #require((listed["entries"] as? [[String: Any]])?.first)
        let last = try #require(entry["last"] as? [String: Any])
        #expect(last["state"] as? String == "done" && (last["result"] as? String)?.hasPrefix("evaluated churn 1.0.0") == true, "\(entry)")
        #expect(results.map { $0.stdout.components(separatedBy: "\"event\":\"scheduled\"").count - 1 }.reduce(0, +) == 1)
    }

    /// A broken schedule is a rule violation naming the entry and field, and `mf schedule` fails with one sentence.
    @Test func aBrokenScheduleIsReported() async throws {
        let fixture = try repository(
            "broken-schedule",
            schedule: """
                nightly:
                  cron: "0 3 * * *"
                  train: { data: data.csv }
                """)
        let checked = try await mf(["check", "--repo", fixture.path])
        #expect(checked.status == 1)
        #expect(checked.stdout.contains("broken-schedule: .mf/schedule.yaml at"), "\(checked.stdout)")
        #expect(checked.stdout.contains("nightly.timezone: missing") && checked.stdout.contains("nightly.train.data: expected an absolute path"))
        expectOneLineError(try await mf(["schedule", "--repo", fixture.path]), containing: "nightly.timezone")
    }
}
