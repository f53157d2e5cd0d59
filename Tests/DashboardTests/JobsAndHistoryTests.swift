import Foundation
import HTTPTypes
import Store
import TestSupport
import Testing

@testable import Dashboard

/// `/ui/jobs`, `/ui/history` and each environment's audit trail.
@Suite(.onTestThreads) struct JobsAndHistoryTests {
    @Test func theQueueShowsWorkToDoFirstWithStateBadges() async throws {
        let factory = try DashboardRoutes()
        let repository = factory.home.appending("repos/churn<i>")
        _ = try factory.store.modelID(repository: repository, name: "churn")
        let now = Date()
        let first = try factory.store.enqueue(
            repository: repository, refs: ["refs/heads/main"], trigger: .hook, delivery: nil, maxAttempts: 3, now: now.addingTimeInterval(-60))
        let claim = try factory.store.claimJob(worker: "w<1>", lease: 60, busy: [], maxAttempts: 3, now: now.addingTimeInterval(-50))
        #expect(claim.job?.id == first.job)
        _ = try factory.store.finishJob(first.job, worker: "w<1>", end: JobEnd(error: "boom <script>alert(1)</script>", retry: false), maxAttempts: 3, now: now)
        let second = try factory.store.enqueue(
            repository: repository, refs: ["refs/tags/v1.0.0"], trigger: .webhook, delivery: nil, maxAttempts: 3, now: now)
        try await factory.withClient { client in
            let page = try await client.get("/ui/jobs")
            #expect(page.status == .ok)
            #expect(page.text.contains("<span class=\"badge bad\" title=\"boom &lt;script&gt;alert(1)&lt;/script&gt;\">failed</span>"), "\(page.text)")
            #expect(page.text.contains("<span class=\"badge info\" title=\"waiting for a worker\">queued</span>"))
            #expect(!page.text.contains("<script") && !page.text.contains("<i>"))
            // The repository by its short name, its path on hover.
            #expect(page.text.contains("<td title=\"\(factory.home.appending("repos/churn&lt;i&gt;"))\">churn-i-</td>"), "\(page.text)")

            let json = try await client.get("/ui/jobs", json: true)
            #expect(json.status == .ok)
            let jobs = try #require((try json.object()["data"] as? [String: Any])?["jobs"] as? [[String: Any]])
            // Work still to do first.
            #expect(jobs.map { ($0["id"] as? NSNumber)?.int64Value } == [second.job, first.job])
            #expect(jobs.map { ($0["state"] as? [String: Any])?["text"] as? String } == ["queued", "failed"])
            #expect(jobs[1]["attempts"] as? String == "1/3" && jobs[1]["error"] as? String == "boom <script>alert(1)</script>")
            #expect(jobs[0]["refs"] as? [String] == ["refs/tags/v1.0.0"] && jobs[0]["trigger"] as? String == "webhook")
        }
    }

    /// A home with churn in production (promoted, then a rollout rolled back) and a drift alert.
    static func history() throws -> DashboardRoutes {
        let factory = try DashboardRoutes()
        let repository = factory.home.appending("repos/churn")
        _ = try factory.store.modelID(repository: repository, name: "churn")
        _ = try factory.store.modelID(repository: repository, name: "fraud")
        try factory.store.record(
            EnvironmentRecord(
                repository: repository, model: "churn", name: "production", version: "1.0.0", tag: "v1.0.0", commit: "c", bundle: "b",
                updatedAt: Date(timeIntervalSince1970: 1000)))
        let events: [(Double, String, String?, String?, Event.Kind, String)] = [
            (1000, "churn", nil, "1.0.0", .environment, "v1.0.0 is the newest release"),
            (2000, "churn", "1.0.0", "1.1.0", .rolloutStarted, "canary 10%"),
            (3000, "churn", "1.0.0", "1.1.0", .rolledBack, "error rate <script>alert(1)</script>"),
            (4000, "fraud", nil, "2.0.0", .promoted, "all traffic"),
            (5000, "churn", nil, nil, .driftAlert, "age drifted"),
        ]
        for (time, model, from, to, kind, reason) in events {
            try factory.store.record(
                Event(
                    time: Date(timeIntervalSince1970: time), repository: repository, environment: "production", model: model, fromVersion: from,
                    toVersion: to, kind: kind, reason: reason, cause: "mf reconcile"))
        }
        return factory
    }

    @Test func historyListsEnvironmentsWithTheirNewestEvents() async throws {
        let factory = try Self.history()
        try await factory.withClient { client in
            let page = try await client.get("/ui/history")
            #expect(page.status == .ok)
            #expect(page.text.contains("<a href=\"/ui/repositories/churn/environments/production\">production</a>"), "\(page.text)")
            #expect(page.text.contains("<ol class=\"timeline\">") && page.text.contains("<li class=\"bad\">"))
            #expect(page.text.contains("error rate &lt;script&gt;alert(1)&lt;/script&gt;") && !page.text.contains("<script"))
            let json = try await client.get("/ui/history?format=json")
            let repositories = try #require((try json.object()["data"] as? [String: Any])?["repositories"] as? [[String: Any]])
            let environments = try #require(repositories.first?["environments"] as? [[String: Any]])
            #expect(repositories.map { $0["name"] as? String } == ["churn"] && environments.map { $0["name"] as? String } == ["production"])
            // The newest five events, newest first.
            let events = try #require(environments[0]["events"] as? [[String: Any]])
            #expect(events.map { ($0["kind"] as? [String: Any])?["tone"] as? String } == ["bad", "good", "bad", "warning", "good"])
        }
    }

    @Test func anEnvironmentsTrailFiltersByModelAndLimit() async throws {
        let factory = try Self.history()
        try await factory.withClient { client in
            let page = try await client.get("/ui/repositories/churn/environments/production")
            #expect(page.status == .ok && page.text.contains("<ol class=\"timeline\">"))
            #expect(page.text.contains("<span class=\"badge warning\" title=\"canary 10%\">rollout started</span>"), "\(page.text)")
            #expect(page.text.contains("href=\"/ui/repositories/churn/environments/production?model=fraud\""))
            func kinds(_ uri: String) async throws -> [String?] {
                let answer = try await client.get(uri, json: true)
                #expect(answer.status == .ok, "\(uri): \(answer.text)")
                let events = (try answer.object()["data"] as? [String: Any])?["events"] as? [[String: Any]] ?? []
                return events.map { ($0["kind"] as? [String: Any])?["text"] as? String }
            }
            #expect(
                try await kinds("/ui/repositories/churn/environments/production") == [
                    "drift alert", "promoted", "rolled back", "rollout started", "environment",
                ])
            #expect(try await kinds("/ui/repositories/churn/environments/production?model=fraud") == ["promoted"])
            #expect(try await kinds("/ui/repositories/churn/environments/production?model=churn&limit=2") == ["drift alert", "rolled back"])
            for (query, parameter) in [("limit=abc", "limit"), ("limit=0", "limit"), ("limit=1001", "limit")] {
                let refused = try await client.get("/ui/repositories/churn/environments/production?\(query)", json: true)
                let message = (try refused.object()["data"] as? [String: Any])?["message"] as? String ?? ""
                #expect(refused.status == .badRequest && message.hasPrefix("\(parameter) must be"), "\(query): \(message)")
            }
            #expect(try await client.get("/ui/repositories/churn/environments/qa").status == .notFound)
            #expect(try await client.get("/ui/repositories/nosuch/environments/production").status == .notFound)
        }
    }
}
