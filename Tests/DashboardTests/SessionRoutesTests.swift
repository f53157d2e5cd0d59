import Foundation
import HTTPTypes
import Store
import TestSupport
import Testing

@testable import Dashboard

/// `/ui/sessions/ID` and its logs.
@Suite(.onTestThreads) struct SessionRoutesTests {
    static let id = "5e55a0aa-0000-4000-8000-000000000001"

    /// A home with one failed release session whose train step logged a hostile line, a step whose
    /// log is outside the home, and one whose log is gone.
    static func factory() throws -> DashboardRoutes {
        let factory = try DashboardRoutes()
        let sessions = try ReleaseSessions(store: factory.store, repository: factory.home.appending("repos/churn"))
        try sessions("5e55b0bb-0000-4000-8000-000000000000", version: "1.0.0", auc: 0.81, at: 1000)
        try sessions(id, version: "1.1.0", auc: 0.7, failure: "gates: auc >= 0.8: 0.7, which fails", at: 2000)
        let log = "sessions/\(id)/train.log"
        try factory.home.write(log, "epoch 1\n<script>alert(1)</script>\n")
        let outside = TemporaryDirectory("outside")
        try outside.write("secret.log", "not the factory's\n")
        let steps: [(String, Session.Status, String?)] = [
            ("train", .failed, factory.home.appending(log)),
            ("outside", .passed, outside.appending("secret.log")),
            ("escape", .passed, factory.home.appending("sessions/../../../etc/passwd")),
            ("gone", .passed, factory.home.appending("sessions/\(id)/gone.log")),
        ]
        for (name, status, path) in steps {
            try factory.store.record(
                Step(id: nil, sessionId: id, name: name, status: status, startedAt: Date(timeIntervalSince1970: 2000), seconds: 0.5, logPath: path))
        }
        withExtendedLifetime(outside) {}
        return factory
    }

    @Test func aSessionPageInHTMLAndJSON() async throws {
        let factory = try Self.factory()
        try await factory.withClient { client in
            let page = try await client.get("/ui/sessions/\(Self.id)")
            #expect(page.status == .ok && page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            // The log's end is on the page, escaped, open because its step failed, with the whole log a link away.
            #expect(page.text.contains("epoch 1\n&lt;script&gt;alert(1)&lt;/script&gt;") && !page.text.contains("<script"), "\(page.text)")
            #expect(page.text.contains("<details open><summary>train"))
            #expect(page.text.contains("<a href=\"/ui/sessions/\(Self.id)/logs/train\">the whole log</a>"))
            // Logs it may not read are named, not shown, and not linked.
            #expect(!page.text.contains("not the factory's") && !page.text.contains("/logs/outside") && !page.text.contains("/logs/gone"))
            #expect(page.text.contains("<title>v1.1.0: 0.7 (this session, failed)</title>"))
            // Linked to the dashboard, with its stylesheet.
            #expect(page.text.contains("href=\"/ui/style.css\"") && page.text.contains("href=\"/ui/jobs\"") && !page.text.contains("<style>"))

            let json = try await client.get("/ui/sessions/\(Self.id)", json: true)
            #expect(json.status == .ok && json.headers[.contentType] == "application/json; charset=utf-8")
            let data = try #require(try json.object()["data"] as? [String: Any])
            #expect(data["id"] as? String == Self.id && data["model"] as? String == "churn" && data["version"] as? String == "1.1.0")
            #expect((data["outcome"] as? [String: Any])?["tone"] as? String == "bad")
            let logs = try #require(data["logs"] as? [[String: Any]])
            #expect(logs.map { $0["step"] as? String } == ["train", "outside", "escape", "gone"])
            #expect(logs[0]["text"] as? String == "epoch 1\n<script>alert(1)</script>\n" && logs[0]["open"] as? Bool == true)
            #expect(logs[1]["href"] == nil && logs[3]["href"] == nil)
        }
    }

    @Test func theWholeLogIsPlainTextAndOnlyFromTheHome() async throws {
        let factory = try Self.factory()
        try await factory.withClient { client in
            let log = try await client.get("/ui/sessions/\(Self.id)/logs/train")
            #expect(log.status == .ok && log.text == "epoch 1\n<script>alert(1)</script>\n")
            #expect(log.headers[.contentType] == "text/plain; charset=utf-8" && log.headers[.xContentTypeOptions] == "nosniff")
            #expect(log.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            for step in ["outside", "escape", "gone", "nosuch", "%2e%2e"] {
                let refused = try await client.get("/ui/sessions/\(Self.id)/logs/\(step)")
                #expect(refused.status == .notFound, "\(step): \(refused.status)")
                #expect(!refused.text.contains("not the factory's") && !refused.text.contains("root:"))
            }
            let unknown = try await client.get("/ui/sessions/nosuch-session/logs/train", json: true)
            let message = try unknown.object()["data"] as? [String: Any]
            #expect(unknown.status == .notFound && message?["message"] as? String == "there is no session nosuch-session in this factory's store")
        }
    }

    /// A path that is not percent-encoded text is a bad request, not a crash.
    @Test func aBadlyEncodedIdIsABadRequest() async throws {
        let factory = try Self.factory()
        try await factory.withClient { client in
            let bad = try await client.get("/ui/sessions/%ZZ")
            #expect(bad.status == .badRequest)
            let badStep = try await client.get("/ui/sessions/\(Self.id)/logs/%FF%FE")
            #expect(badStep.status == .badRequest)
        }
    }

    /// With a token, a log is read only by who presents it.
    @Test func theLogNeedsTheToken() async throws {
        let factory = try Self.factory()
        try await factory.withClient(token: "sesame") { client in
            let refused = try await client.get("/ui/sessions/\(Self.id)/logs/train")
            #expect(refused.status != .ok && !refused.text.contains("epoch 1"))
            let log = try await client.get("/ui/sessions/\(Self.id)/logs/train", headers: [.authorization: "Bearer sesame"])
            #expect(log.status == .ok && log.text.hasPrefix("epoch 1"))
        }
    }

    @Test func aUniquePrefixLeadsToTheSession() async throws {
        let factory = try Self.factory()
        try await factory.withClient { client in
            let found = try await client.get("/ui/sessions/5e55a0")
            #expect(found.status == .found && found.headers[.location] == "/ui/sessions/\(Self.id)")
            let json = try await client.get("/ui/sessions/5E55A0?format=json")
            #expect(json.status == .found && json.headers[.location] == "/ui/sessions/\(Self.id)?format=json")
            // Two sessions begin with 5e55; three characters are too few; an unknown id is not found.
            let ambiguous = try await client.get("/ui/sessions/5e55", json: true)
            let message = try ambiguous.object()["data"] as? [String: Any]
            #expect(ambiguous.status == .notFound && message?["message"] as? String == "2 sessions begin with 5e55: give more of the id")
            #expect(try await client.get("/ui/sessions/5e5").status == .notFound)
            let unknown = try await client.get("/ui/sessions/ffffffff")
            #expect(unknown.status == .notFound && unknown.text.contains("there is no session ffffffff"))
        }
    }
}
