import Foundation
import GitKit
import SQLiteStore
import Store
import TestSupport
import Testing

/// `mf history` and `mf status` over an audit trail and a rollout recorded in the store, as the
/// reconciler and `mf serve --follow` record them.
@Suite(.onTestThreads) struct HistoryTests {
    let start = Date(timeIntervalSince1970: 1_796_000_000)  // 2026-11-30T00:53:20Z

    func time(_ seconds: Double) -> String { ISO8601DateFormatter().string(from: start.addingTimeInterval(seconds)) }

    @Test func historyListsTheTrailAndAnswersWhatServedAtATime() async throws {
        let fixture = try GitFixture("history")
        try fixture.commit("initial")
        let home = TemporaryDirectory("history-home")
        let location = try Repository.open(at: fixture.path).location
        let store = try SQLiteStore(path: home.appending("factory.sqlite"))
        func event(_ seconds: Double, _ kind: Event.Kind, from: String?, to: String?, cause: String, details: String? = nil) throws {
            try store.record(
                Event(
                    time: start.addingTimeInterval(seconds), repository: location, environment: "production", model: "churn", fromVersion: from,
                    toVersion: to, kind: kind, reason: "\(kind) \(to ?? "")", cause: cause, details: details))
        }
        let reason = "1.1.0 rolled back at step 25%: error rate 0.051 > 0.01 over 1,200 requests"
        try event(0, .environment, from: nil, to: "1.0.0", cause: "hook")
        try event(100, .environment, from: "1.0.0", to: "1.1.0", cause: "webhook")
        try event(101, .rolloutStarted, from: "1.0.0", to: "1.1.0", cause: "rollout", details: #"{"percent": 5}"#)
        try event(200, .rolloutStep, from: "1.0.0", to: "1.1.0", cause: "rollout", details: #"{"percent": 25}"#)
        try event(300, .rolledBack, from: "1.0.0", to: "1.1.0", cause: "rollout", details: #"{"percent": 25, "candidate": {"requests": 1200}}"#)
        try store.record(
            EnvironmentRecord(
                repository: location, model: "churn", name: "production", version: "1.1.0", tag: "v1.1.0", commit: try fixture.id("HEAD"), bundle: "/b",
                updatedAt: start.addingTimeInterval(100)))
        var rollout = try store.begin(
            Rollout(
                repository: location, environment: "production", model: "churn", fromVersion: "1.0.0", toVersion: "1.1.0", bundle: "/b", planDigest: "d",
                percent: 5, now: start.addingTimeInterval(101)), owner: "server", lease: 30, now: start.addingTimeInterval(101)
        ).rollout
        rollout.state = .rolledBack
        rollout.step = 1
        rollout.percent = 0
        rollout.reason = reason
        #expect(try store.update(rollout, owner: "server", now: start.addingTimeInterval(110)))

        let arguments = ["--repo", fixture.path, "--home", home.path]
        let listed = try await mf(["history", "production", "--json"] + arguments)
        #expect(listed.status == 0, "\(listed.stderr)")
        let events = try #require(try json(listed) as? [[String: Any]])
        #expect(events.map { $0["kind"] as? String } == ["rolled_back", "rollout_step", "rollout_started", "environment", "environment"])
        #expect(events.first?["from"] as? String == "1.0.0" && events.first?["to"] as? String == "1.1.0" && events.first?["cause"] as? String == "rollout")
        #expect(((events.first?["details"] as? [String: Any])?["candidate"] as? [String: Any])?["requests"] as? Int == 1200)
        #expect(events.first?["time"] as? String == time(300))
        let limited = try await mf(["history", "production", "--limit", "2"] + arguments)
        #expect(limited.status == 0 && limited.stdout.contains("rolled_back") && limited.stdout.contains("rollout_step"))
        #expect(!limited.stdout.contains("rollout_started"))

        func served(at seconds: Double) async throws -> [[String: Any]] {
            let result = try await mf(["history", "production", "--at", time(seconds), "--json"] + arguments)
            #expect(result.status == 0, "\(result.stderr)")
            return try #require(try json(result) as? [[String: Any]])
        }
        #expect(try await served(at: -1).isEmpty)
        #expect(try await served(at: 50).first?["version"] as? String == "1.0.0")
        let during = try #require(try await served(at: 250).first)
        #expect(during["version"] as? String == "1.0.0" && during["candidate"] as? String == "1.1.0" && during["percent"] as? Int == 25)
        #expect(during["since"] as? String == time(200) && during["kind"] as? String == "rollout_step")
        let after = try #require(try await served(at: 400).first)
        #expect(after["version"] as? String == "1.0.0" && after["candidate"] is NSNull && after["kind"] as? String == "rolled_back")
        let text = try await mf(["history", "production", "--at", time(250)] + arguments)
        #expect(text.stdout.contains("production churn: 1.0.0 (1.1.0 at 25% beside it)"), "\(text.stdout)")
        let bad = try await mf(["history", "production", "--at", "yesterday"] + arguments)
        #expect(bad.status == 64 && bad.stderr.contains("RFC 3339"), "\(bad.stderr)")

        let status = try await mf(["status"] + arguments)
        #expect(status.stdout.contains("Rollout in production (churn): \(reason); 1.0.0 serves"), "\(status.stdout)")
        let statusJSON = try #require(try json(try await mf(["status", "--json"] + arguments)) as? [String: Any])
        let rollouts = try #require(statusJSON["rollouts"] as? [[String: Any]])
        #expect(rollouts.first?["state"] as? String == "rolled_back" && rollouts.first?["serving"] as? String == "1.0.0")
        #expect(rollouts.first?["reason"] as? String == reason)
    }

    /// Drift alerts `mf serve --follow` recorded: `mf status` shows each one not cleared since,
    /// and `mf history --at` is not misled by them (they change no version).
    @Test func statusShowsTheOpenDriftAlerts() async throws {
        let fixture = try GitFixture("drift-status")
        try fixture.commit("initial")
        let home = TemporaryDirectory("drift-status-home")
        let location = try Repository.open(at: fixture.path).location
        let store = try SQLiteStore(path: home.appending("factory.sqlite"))
        try store.record(
            EnvironmentRecord(
                repository: location, model: "churn", name: "production", version: "1.0.1", tag: "v1.0.1", commit: try fixture.id("HEAD"), bundle: "/b",
                updatedAt: start))
        func event(_ seconds: Double, _ kind: Event.Kind, field: String? = nil, psi: Double = 0, cause: String = "drift") throws {
            try store.record(
                Event(
                    time: start.addingTimeInterval(seconds), repository: location, environment: "production", model: "churn", fromVersion: "1.0.1",
                    toVersion: "1.0.1", kind: kind, reason: "\(kind)", cause: cause,
                    details: field.map { #"{"field": "\#($0)", "psi": \#(psi), "threshold": 0.2, "window": 1000}"# }))
        }
        try event(0, .environment, cause: "hook")
        try event(100, .driftAlert, field: "tenure", psi: 0.31)
        try event(200, .driftAlert, field: "monthly_charges", psi: 0.52)
        try event(300, .driftCleared, field: "tenure", psi: 0.12)
        let arguments = ["--repo", fixture.path, "--home", home.path]
        let status = try await mf(["status"] + arguments)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("Drift in production (churn 1.0.1): monthly_charges PSI 0.520 > 0.2 since \(time(200))"), "\(status.stdout)")
        #expect(!status.stdout.contains("tenure PSI"), "\(status.stdout)")
        let statusJSON = try #require(try json(try await mf(["status", "--json"] + arguments)) as? [String: Any])
        let drift = try #require(statusJSON["drift"] as? [[String: Any]])
        #expect(drift.count == 1 && drift.first?["field"] as? String == "monthly_charges" && drift.first?["psi"] as? Double == 0.52, "\(drift)")
        let history = try await mf(["history", "production", "--at", time(250), "--json"] + arguments)
        let served = try #require(try json(history) as? [[String: Any]])
        #expect(served.first?["version"] as? String == "1.0.1" && served.first?["kind"] as? String == "environment", "\(history.stdout)")
    }
}
