public import Foundation
public import Store
internal import SystemKit

/// Something a team wants to hear about after a job.
public struct Notification: Sendable, Equatable, Encodable {
    /// What happened; the raw value is the name a program listening on the webhook sees.
    public enum Kind: String, Sendable, Encodable {
        case sessionFailed = "session-failed"
        case releaseBundled = "release-bundled"
        case environmentChanged = "environment-changed"
        case jobFailed = "job-failed"
        /// A rollout began or passed a step (`mf serve --follow`).
        case rolloutStep = "rollout-step"
        /// A rollout promoted its new release.
        case promoted
        /// A rollout rolled its new release back.
        case rolledBack = "rolled-back"
        /// A served version's inputs drifted past model.yaml's `monitor.psi`, or came back.
        case drift
        /// A schedule's retrain made a candidate that passed its gates: proposed for release.
        case candidate = "candidate-proposed"
    }

    /// What happened: a failed session, a release bundled, an environment changed, or a job given up.
    public var kind: Kind
    /// The path of the repository the work was done on, as the job names it.
    public var repository: String
    /// One line a person reads in the channel.
    public var text: String
    /// The dashboard page it is about, as a path under the dashboard (`sessions/ID`,
    /// `models/MODEL`, `models/MODEL/versions/VERSION`, `jobs`), its segments percent-encoded;
    /// nil when there is none.
    public var page: String?
    /// The page's address, when the notifier knows where the dashboard is (`--ui-url`).
    public var url: String?

    /// A notification of `kind` about `repository`, saying `text`, about the dashboard's `page`
    /// (`mf serve --follow` tells its rollout decisions this way).
    public init(kind: Kind, repository: String, text: String, page: String? = nil) {
        self.kind = kind
        self.repository = repository
        self.text = text
        self.page = page
    }

    enum CodingKeys: String, CodingKey {
        case kind, repository, text, url
    }

    /// The dashboard page of session `id`.
    public static func sessionPage(_ id: String) -> String { "sessions/\(segment(id))" }

    /// The dashboard page of `model`, or of its `version`.
    public static func modelPage(_ model: String, version: String? = nil) -> String {
        "models/\(segment(model))" + (version.map { "/versions/\(segment($0))" } ?? "")
    }

    /// `text` as one path segment.
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/;?#%"))) ?? text
    }

    /// The same notification with the address of its page under `dashboard` (the dashboard's
    /// own address, `…/ui`), which the text ends with too so that a person can follow it.
    public func linked(to dashboard: String?) -> Notification {
        guard let dashboard, let page else { return self }
        var linked = self
        let base = dashboard.hasSuffix("/") ? String(dashboard.dropLast()) : dashboard
        linked.url = "\(base)/\(page)"
        linked.text += " \(base)/\(page)"
        return linked
    }

    /// What a team hears about the work done on `repository` since `date` (when the job was
    /// first taken, so the work of an attempt whose worker was killed is told too): each failed
    /// session (not one cut short by a killed run), each new release bundle, each environment
    /// that moved. Read from the store, not from one attempt's report.
    public static func since(_ date: Date, repository: String, store: any FactoryStore) throws -> [Notification] {
        let name = RepositoryIdentity(name: repository).shortName
        var notifications: [Notification] = []
        for (session, model) in try store.sessions(repository: repository, since: date)
        where session.failedForGood {
            let what = session.version.map { "\(model) \($0)" } ?? "\(model) at \(session.ref ?? String(session.commit.prefix(8)))"
            notifications.append(
                Notification(
                    kind: .sessionFailed, repository: repository,
                    text: "❌ \(name): the session of \(what) failed — \(session.failure ?? "failed") (session \(session.id.prefix(8)))",
                    page: sessionPage(session.id)))
        }
        for (bundle, model) in try store.bundles(repository: repository, since: date) {
            guard let tag = bundle.tag else { continue }
            notifications.append(
                Notification(
                    kind: .releaseBundled, repository: repository,
                    text: "📦 \(name): \(model) \(bundle.version) is bundled from \(tag) (\(bundle.commit.prefix(8))) — \(bundle.archive)",
                    page: modelPage(model, version: bundle.version)))
        }
        for environment in try store.environments(repository: repository) where environment.updatedAt >= date {
            notifications.append(
                Notification(
                    kind: .environmentChanged, repository: repository,
                    text: "🚀 \(name): \(environment.name) now runs \(environment.model) \(environment.version)"
                        + (environment.tag.map { " (\($0))" } ?? ""), page: modelPage(environment.model)))
        }
        return notifications
    }
}

/// Sends notifications as incoming-webhook JSON (`{"text": …}`, the shape Slack and Microsoft
/// Teams incoming webhooks accept) to every configured URL. Sending never throws: a channel that
/// is down must not fail the factory's work; failures come back as warnings.
public struct Notifier: Sendable {
    /// The incoming-webhook URLs every notification is posted to.
    public var urls: [URL]
    /// How long one delivery may take, in seconds.
    public var timeout: TimeInterval
    /// The dashboard's address (`--ui-url`, `$MF_UI_URL`: `https://factory.example/ui`): each
    /// notification then carries the address of the page it is about; nil for none.
    public var dashboard: String?

    /// A notifier posting to `urls`, each delivery given `timeout` seconds (5 by default),
    /// linking to pages of the dashboard at `dashboard` when given.
    public init(urls: [URL], timeout: TimeInterval = 5, dashboard: String? = nil) {
        self.urls = urls
        self.timeout = timeout
        self.dashboard = dashboard.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Posts each notification to each URL; returns one warning per delivery that failed.
    public func send(_ notifications: [Notification]) async -> [String] {
        var warnings: [String] = []
        for notification in notifications.map({ $0.linked(to: dashboard) }) {
            for url in urls {
                if let problem = await post(notification, to: url) { warnings.append("notification to \(url.host ?? url.absoluteString) failed: \(problem)") }
            }
        }
        return warnings
    }

    /// Posts `notification` off the caller's path (a detached task), handing each failed
    /// delivery's warning to `warn`: for a server, whose decisions must never wait on a channel.
    public func post(_ notification: Notification, warn: @escaping @Sendable (String) -> Void) {
        Task.detached {
            for warning in await send([notification]) { warn(warning) }
        }
    }

    struct Payload: Encodable {
        var text: String
        /// What a program listening on the webhook (not a chat) can use.
        var mf: Notification
    }

    private func post(_ notification: Notification, to url: URL) async -> String? {
        do {
            let body = try JSONEncoder().encode(Payload(text: notification.text, mf: notification))
            let answer = try await HTTPExchange.send(HTTPExchange.Request(method: "POST", url: url, json: body, timeout: timeout))
            return (200..<300).contains(answer.status) ? nil : "HTTP \(answer.status)"
        } catch let error as SystemError {
            guard case .httpFailed(_, let reason) = error else { return error.description }
            return reason
        } catch {
            return String(describing: error)
        }
    }
}
