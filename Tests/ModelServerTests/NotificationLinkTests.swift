import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import TestSupport
import Testing

@testable import ModelFactory
@testable import ModelServer

/// Notifications link to the dashboard page they are about when the notifier knows where the
/// dashboard is (`--ui-url`): the posted JSON carries the address in `mf.url` and at the end of
/// its text; without it nothing changes.
@Suite(.onTestThreads) struct NotificationLinkTests {
    static let alert = DriftAlert(
        model: "churn", version: "1.0.0", field: "x", psi: 0.5, threshold: 0.2, window: 150, change: .raised, date: Date(timeIntervalSince1970: 0))

    /// Posts `notifications` through a notifier linking to `dashboard`, to a listener on a free
    /// port; returns what the listener received, each body as JSON.
    static func posted(_ notifications: [ModelFactory.Notification], dashboard: String?) async throws -> [[String: Any]] {
        let bodies = Mutex<[Data]>([])
        let router = Router()
        router.post("/hook") { request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            bodies.withLock { $0.append(Data(body.readableBytesView)) }
            return Response(status: .ok)
        }
        let listener = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await listener.test(.live) { client in
            let port = try #require(client.port)
            // What is posted is under test, not how fast: a loaded test run may keep the listener
            // from answering within the default 5 s.
            let notifier = Notifier(urls: [URL(string: "http://127.0.0.1:\(port)/hook")!], timeout: 120, dashboard: dashboard)
            let warnings = await notifier.send(notifications)
            #expect(warnings.isEmpty, "\(warnings)")
        }
        return try bodies.withLock { $0 }.map { try #require(try JSONSerialization.jsonObject(with: $0) as? [String: Any]) }
    }

    @Test(.timeLimit(.minutes(5)))
    func eachNotificationLinksToItsPage() async throws {
        let notifications = [
            Self.alert.notification(repository: "/src/team/churn"),
            ModelFactory.Notification(
                kind: .sessionFailed, repository: "/src/team/churn", text: "❌ failed", page: ModelFactory.Notification.sessionPage("s 1/2")),
            ModelFactory.Notification(
                kind: .releaseBundled, repository: "/src/team/churn", text: "📦 bundled",
                page: ModelFactory.Notification.modelPage("a model", version: "1.0.0+b")),
            ModelFactory.Notification(kind: .jobFailed, repository: "/src/team/churn", text: "❌ gave up", page: "jobs"),
        ]
        let received = try await Self.posted(notifications, dashboard: "https://factory.example/ui/")
        let urls = received.map { ($0["mf"] as? [String: Any])?["url"] as? String }
        #expect(
            urls == [
                "https://factory.example/ui/models/churn", "https://factory.example/ui/sessions/s%201%2F2",
                "https://factory.example/ui/models/a%20model/versions/1.0.0+b", "https://factory.example/ui/jobs",
            ], "\(received)")
        for (body, url) in zip(received, urls) {
            #expect((body["text"] as? String)?.hasSuffix(" \(url ?? "?")") == true, "\(body)")
            #expect((body["mf"] as? [String: Any])?["page"] == nil, "the page is the notifier's business, not the channel's")
        }
        #expect((received.first?["mf"] as? [String: Any])?["kind"] as? String == "drift")
    }

    @Test(.timeLimit(.minutes(5)))
    func withoutTheDashboardsAddressNothingIsLinked() async throws {
        let notification = Self.alert.notification(repository: "/src/team/churn")
        let received = try await Self.posted([notification], dashboard: nil)
        #expect(received.count == 1 && (received.first?["mf"] as? [String: Any])?["url"] == nil, "\(received)")
        #expect(received.first?["text"] as? String == notification.text)
        #expect(Notifier(urls: [], dashboard: "").dashboard == nil)
    }
}
