import Foundation
import Store
import TestSupport
import Testing

/// The audit trail (`events`) and rollouts with their lease.
@Suite(.onTestThreads) struct AuditStoreTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func event(_ minute: Int, model: String = "churn", kind: Event.Kind, from: String?, to: String?, environment: String = "production") -> Event {
        Event(
            time: start.addingTimeInterval(Double(minute) * 60), repository: "/r", environment: environment, model: model, fromVersion: from,
            toVersion: to, kind: kind, reason: "\(kind) at \(minute)", cause: "test", details: #"{"percent": 25}"#)
    }

    @Test(arguments: Engine.allCases) func eventsAreListedNewestFirstByEnvironmentModelAndTime(engine: Engine) throws {
        let store = try engine.store()
        let first = try store.record(event(0, kind: .environment, from: nil, to: "1.0.0"))
        #expect(first.id != nil)
        try store.record(event(1, model: "fraud", kind: .environment, from: nil, to: "2.0.0"))
        try store.record(event(2, kind: .rolloutStarted, from: "1.0.0", to: "1.1.0"))
        try store.record(event(3, kind: .rolledBack, from: "1.0.0", to: "1.1.0"))
        try store.record(event(4, kind: .environment, from: nil, to: "0.1.0-dev", environment: "staging"))
        let all = try store.events(repository: "/r", environment: "production", model: nil, before: nil, limit: 10)
        #expect(all.map(\.reason) == ["rolled_back at 3", "rollout_started at 2", "environment at 1", "environment at 0"])
        #expect(all.first?.details == #"{"percent": 25}"# && all.first?.cause == "test")
        #expect(
            try store.events(repository: "/r", environment: "production", model: "churn", before: nil, limit: 2).map(\.kind) == [.rolledBack, .rolloutStarted])
        let then = try store.events(repository: "/r", environment: "production", model: "churn", before: start.addingTimeInterval(150), limit: 10)
        #expect(then.map(\.kind) == [.rolloutStarted, .environment])
        #expect(then.first?.serving?.version == "1.0.0" && then.first?.serving?.candidate == "1.1.0" && then.first?.serving?.percent == 25)
        #expect(all.first?.serving?.version == "1.0.0" && all.first?.serving?.candidate == nil)
        #expect(try store.events(repository: "/other", environment: "production", model: nil, before: nil, limit: 10).isEmpty)
    }

    /// One server drives a rollout under a lease; another joins the same rollout instead of
    /// beginning its own, takes the lease only when it runs out, and cannot write while it does
    /// not hold it. A new release supersedes a running rollout.
    @Test(arguments: Engine.allCases) func aRolloutIsDrivenUnderALease(engine: Engine) throws {
        let store = try engine.store()
        let planned = Rollout(
            repository: "/r", environment: "production", model: "churn", fromVersion: "1.0.0", toVersion: "1.1.0", bundle: "/b/1.1.0", planDigest: "d1",
            percent: 5, now: start)
        let (rollout, began) = try store.begin(planned, owner: "a", lease: 30, now: start)
        #expect(began && rollout.id != nil && rollout.leaseOwner == "a" && rollout.state == .running)
        let (joined, beganAgain) = try store.begin(planned, owner: "b", lease: 30, now: start.addingTimeInterval(1))
        #expect(!beganAgain && joined.id == rollout.id && joined.leaseOwner == "a")
        #expect(try !store.leaseRollout(rollout.id!, owner: "b", lease: 30, now: start.addingTimeInterval(10)))
        #expect(try store.leaseRollout(rollout.id!, owner: "a", lease: 30, now: start.addingTimeInterval(20)), "renewed until 50")
        var next = rollout
        next.step = 1
        next.percent = 25
        #expect(try !store.update(next, owner: "b", now: start.addingTimeInterval(21)))
        #expect(try store.update(next, owner: "a", now: start.addingTimeInterval(21)))
        #expect(try store.latestRollout(repository: "/r", environment: "production", model: "churn")?.percent == 25)
        #expect(try !store.leaseRollout(rollout.id!, owner: "b", lease: 30, now: start.addingTimeInterval(49)))
        #expect(try store.leaseRollout(rollout.id!, owner: "b", lease: 30, now: start.addingTimeInterval(51)), "a's lease ran out")
        #expect(try !store.update(next, owner: "a", now: start.addingTimeInterval(52)))
        var other = planned
        other.toVersion = "1.2.0"
        let (superseding, _) = try store.begin(other, owner: "b", lease: 30, now: start.addingTimeInterval(60))
        let latest = try store.latestRollouts(repository: "/r", environment: "production")
        #expect(latest.map(\.id) == [superseding.id])
        var ended = superseding
        ended.state = .rolledBack
        ended.reason = "1.2.0 rolled back at step 5%: error rate 0.25 > 0.01 over 12 requests"
        #expect(try store.update(ended, owner: "b", now: start.addingTimeInterval(61)))
        let stored = try #require(try store.latestRollout(repository: "/r", environment: "production", model: "churn"))
        #expect(stored.state == .rolledBack && stored.leaseOwner == nil && stored.reason == ended.reason)
        #expect(try !store.leaseRollout(stored.id!, owner: "a", lease: 30, now: start.addingTimeInterval(200)), "an ended rollout has no lease")
    }
}
