internal import Crypto
public import Foundation
internal import GitKit
internal import Store
internal import SystemKit

/// The forges whose push events the webhook understands.
public enum Forge: String, Sendable, Encodable, CaseIterable {
    case github, gitlab, gitea
}

/// A push, as a forge's webhook describes it.
public struct PushEvent: Sendable, Equatable {
    /// The forge that sent the delivery, known by its event header.
    public var forge: Forge
    /// The forge's id of this delivery (the same on a redelivery), when it sends one.
    public var delivery: String?
    /// The repository's name on the forge (`team/churn`).
    public var repository: String
    /// Where to fetch it from, as the forge says.
    public var cloneURL: String?
    /// The refs the push moved (`refs/heads/development`, `refs/tags/v1.2.0`): one per delivery, the payload's `ref`.
    public var refs: [String]
}

/// Why a webhook delivery is refused.
public enum WebhookError: Error, CustomStringConvertible, Equatable {
    /// No or a wrong signature or token: 401.
    case unauthorized(String)
    /// Not JSON, or not the shape the forge documents: 400.
    case malformed(String)
    /// The repository is not one this endpoint serves: 404.
    case unknownRepository(String)
    /// The repository could not be fetched: 502 (the forge may redeliver).
    case fetchFailed(String)

    /// Why the delivery was refused, as the forge's delivery log shows it.
    public var description: String {
        switch self {
        case .unauthorized(let why): why
        case .malformed(let why): "the payload is not a push event: \(why)"
        case .unknownRepository(let name): "'\(name)' is not a repository this webhook serves"
        case .fetchFailed(let why): "the repository could not be fetched: \(why)"
        }
    }

    /// The HTTP status the endpoint answers with for this refusal.
    public var status: Int {
        switch self {
        case .unauthorized: 401
        case .malformed: 400
        case .unknownRepository: 404
        case .fetchFailed: 502
        }
    }
}

/// Checks a delivery against the shared secret and reads the push it carries:
/// - GitHub: `X-Hub-Signature-256: sha256=HEX`, the HMAC-SHA256 of the body; `X-GitHub-Event`,
///   `X-GitHub-Delivery`.
/// - GitLab: `X-Gitlab-Token: SECRET`; `X-Gitlab-Event` (`Push Hook`, `Tag Push Hook`);
///   `Idempotency-Key` (kept across retries) or `X-Gitlab-Event-UUID`.
/// - Gitea: `X-Gitea-Signature: HEX`, the HMAC-SHA256 of the body; `X-Gitea-Event`,
///   `X-Gitea-Delivery`. (Gitea also sends GitHub's headers; its own are read first.)
/// Every comparison with the secret takes the same time whatever the bytes.
public struct WebhookVerifier: Sendable {
    let secret: [UInt8]

    /// A verifier of deliveries signed with, or carrying, `secret`: the webhook secret set on the forge.
    public init(secret: String) { self.secret = Array(secret.utf8) }

    /// The push in a delivery; nil for an event that is not a push (a ping), which needs nothing
    /// done. `headers` are matched without regard to case.
    public func push(headers: [String: String], body: Data) throws(WebhookError) -> PushEvent? {
        var lowered: [String: String] = [:]
        for (name, value) in headers { lowered[name.lowercased()] = value }
        let forge: Forge
        let event: String
        let delivery: String?
        if let name = lowered["x-gitea-event"] {
            forge = .gitea
            event = name
            delivery = lowered["x-gitea-delivery"]
            try checkHMAC(lowered["x-gitea-signature"], prefix: "", body: body, header: "X-Gitea-Signature")
        } else if let name = lowered["x-gitlab-event"] {
            forge = .gitlab
            event = name
            delivery = lowered["idempotency-key"] ?? lowered["x-gitlab-event-uuid"]
            guard let token = lowered["x-gitlab-token"] else { throw .unauthorized("X-Gitlab-Token is missing") }
            // Digests compared, so not even the secret's length shows in the time taken.
            guard constantTimeEqual(Array(SHA256.hash(data: Data(token.utf8))), Array(SHA256.hash(data: secret))) else {
                throw .unauthorized("X-Gitlab-Token does not match the secret")
            }
        } else if let name = lowered["x-github-event"] {
            forge = .github
            event = name
            delivery = lowered["x-github-delivery"]
            try checkHMAC(lowered["x-hub-signature-256"], prefix: "sha256=", body: body, header: "X-Hub-Signature-256")
        } else {
            throw .unauthorized("no X-GitHub-Event, X-Gitlab-Event or X-Gitea-Event header: not a webhook delivery from a known forge")
        }
        let pushes = forge == .gitlab ? ["Push Hook", "Tag Push Hook"] : ["push"]
        guard pushes.contains(event) else { return nil }
        return try Self.parse(body, forge: forge, delivery: delivery)
    }

    private func checkHMAC(_ value: String?, prefix: String, body: Data, header: String) throws(WebhookError) {
        guard let value else { throw .unauthorized("\(header) is missing") }
        let hex = value.hasPrefix(prefix) ? value.dropFirst(prefix.count) : ""
        guard let given = Self.bytes(hex: hex) else { throw .unauthorized("\(header) is not \(prefix)<64 hex digits>") }
        let key = SymmetricKey(data: secret)
        guard HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: body, using: key) else {
            throw .unauthorized("\(header) does not match the body signed with the secret")
        }
    }

    /// The body's HMAC-SHA256 with `secret`, in hex (what a forge puts in its signature header).
    public static func signature(_ body: Data, secret: String) -> String {
        HexDigest.hex(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8))))
    }

    /// The headers `forge` sends with a push delivery, signed with `secret`: for trying an
    /// endpoint by hand, benchmarks and tests.
    public static func signedHeaders(_ forge: Forge, body: Data, secret: String, delivery: String) -> [String: String] {
        switch forge {
        case .github:
            [
                "X-GitHub-Event": "push", "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": "sha256=" + signature(body, secret: secret),
                "Content-Type": "application/json",
            ]
        case .gitlab:
            ["X-Gitlab-Event": "Tag Push Hook", "X-Gitlab-Token": secret, "Idempotency-Key": delivery, "Content-Type": "application/json"]
        case .gitea:
            // Gitea sends GitHub's event headers too; its own come first.
            [
                "X-Gitea-Event": "push", "X-Gitea-Delivery": delivery, "X-Gitea-Signature": signature(body, secret: secret),
                "X-GitHub-Event": "push", "X-GitHub-Delivery": delivery, "Content-Type": "application/json",
            ]
        }
    }

    static func bytes(hex: Substring) -> [UInt8]? {
        guard hex.count == 64 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }

    static func parse(_ body: Data, forge: Forge, delivery: String?) throws(WebhookError) -> PushEvent {
        guard let object = try? JSONSerialization.jsonObject(with: body), let payload = object as? [String: Any] else {
            throw .malformed("the body is not a JSON object")
        }
        guard let ref = payload["ref"] as? String, ref.hasPrefix("refs/") else { throw .malformed("it has no \"ref\"") }
        let name: String?
        let url: String?
        switch forge {
        case .github, .gitea:
            let repository = payload["repository"] as? [String: Any]
            name = repository?["full_name"] as? String
            url = repository?["clone_url"] as? String
        case .gitlab:
            let project = payload["project"] as? [String: Any]
            let repository = payload["repository"] as? [String: Any]
            name = project?["path_with_namespace"] as? String
            url = (project?["git_http_url"] as? String) ?? (repository?["git_http_url"] as? String)
        }
        guard let name, !name.isEmpty else { throw .malformed("it names no repository") }
        return PushEvent(forge: forge, delivery: delivery, repository: name, cloneURL: url, refs: [ref])
    }
}

/// Local bare mirrors of remote repositories under `$MF_HOME/mirrors/`, fetched through the git
/// layer: what the factory reconciles when the repository lives on a forge.
public struct Mirrors: Sendable {
    /// The folder the mirrors are kept in, `$MF_HOME/mirrors`.
    public let folder: URL

    /// The mirrors of the factory whose home folder is `home`.
    public init(home: URL) { folder = home.appendingPathComponent("mirrors") }

    /// The mirror of the repository a forge calls `name` (`team/churn` → `mirrors/team/churn.git`).
    public func path(for name: String) -> String {
        let parts = name.split(separator: "/").map { part in
            String(part.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" }).replacingOccurrences(of: "..", with: "__")
        }.filter { !$0.isEmpty && $0 != "." }
        let relative = (parts.isEmpty ? ["repository"] : parts).joined(separator: "/")
        return folder.appendingPathComponent(relative.hasSuffix(".git") ? relative : relative + ".git").path
    }

    /// What a fetch into a mirror left: where it is, the repository's identity (the URL it
    /// mirrors, without credentials: its `origin`), and its refs (name → target).
    public typealias Updated = (location: String, identity: String, refs: [String: String])

    /// Fetches every branch and tag of `url` into the mirror at `path` (made when new, with `url`
    /// as its `origin`), under a lock so two deliveries never fetch into one mirror at once.
    /// Returns the mirror's location, its identity (as the store names repositories) and its refs
    /// after the fetch. Runs on a thread of its own: a fetch blocks.
    public func update(_ path: String, from url: String) async throws(WebhookError) -> Updated {
        let folder = self.folder
        let result: Result<Updated, WebhookError> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: Result { () throws(WebhookError) in try Self.fetch(path, from: url, within: folder.path) })
            }
        }
        return try result.get()
    }

    /// A failed first fetch leaves nothing behind: the repository (removed by the git layer),
    /// its lock file and the folders made for it up to `root` go; a mirror that was there
    /// before stays as it was.
    static func fetch(_ path: String, from url: String, within root: String) throws(WebhookError) -> Updated {
        let manager = FileManager.default
        // The folders this fetch makes, innermost first, to take away again if it fails.
        var made: [String] = []
        var folder = (path as NSString).deletingLastPathComponent
        while folder == root || folder.hasPrefix(root + "/"), !manager.fileExists(atPath: folder) {
            made.append(folder)
            folder = (folder as NSString).deletingLastPathComponent
        }
        let lockPath = path + ".lock"
        let lock = try Self.lock(lockPath)
        defer { lock.unlock() }
        let existed = manager.fileExists(atPath: path)
        do {
            let repository = try Repository.mirror(from: url, to: path)
            // The mirror is the repository at `url` on every host: its origin says so.
            if try repository.remoteURL(named: "origin") != url { try repository.setConfigValue("remote.origin.url", url) }
            var refs: [String: String] = [:]
            for reference in try repository.references(readingTagObjects: false) {
                if let target = reference.target { refs[reference.name] = target.hex }
            }
            return (repository.location, try RepositoryIdentity(repository).name, refs)
        } catch {
            if !existed {
                // Unlinked while held: a delivery waiting for it sees the file is gone and takes a new one.
                unlink(lockPath)
                for folder in made { rmdir(folder) }  // only while empty: another mirror may have come
            }
            throw .fetchFailed("\(url): \(error)")
        }
    }

    /// Opens and locks the file at `path` (made with its folders when missing), so two deliveries
    /// never fetch into one mirror at once. A lock file removed while this waited for it (a first
    /// fetch that failed) is given up for the one now at `path`.
    static func lock(_ path: String) throws(WebhookError) -> FileLock {
        for _ in 0..<100 {
            let lock: FileLock
            do { lock = try FileLock.acquire(path: path) } catch {
                // Its folder was taken away by a failed fetch since it was made: make it again.
                if !FileManager.default.fileExists(atPath: (path as NSString).deletingLastPathComponent) { continue }
                throw .fetchFailed("\(error)")
            }
            if lock.isStillAtPath { return lock }
        }
        throw .fetchFailed("\(path): the lock file kept being replaced")
    }
}

/// What the webhook endpoint answers: an HTTP status and a JSON body.
public struct WebhookAnswer: Sendable, Encodable {
    /// The HTTP status: 200 (ignored or duplicate), 202 (queued or merged), 4xx or 5xx (refused).
    public var status: Int
    /// `queued`, `merged`, `duplicate`, `ignored`, or `refused`.
    public var outcome: String
    /// The job that does the work (new, merged into, or queued by the first delivery of a duplicate); nil when none is known (ignored, refused, a duplicate seen before fetching).
    public var job: Int64?
    /// The repository: its identity as the store names it once fetched (the URL it is fetched from, without credentials), the forge's name for a duplicate; nil when unknown.
    public var repository: String?
    /// Why the delivery was refused, as a user reads it; nil when it was not.
    public var error: String?

    /// An answer of each part; `job`, `repository` and `error` are nil where they do not apply.
    public init(status: Int, outcome: String, job: Int64? = nil, repository: String? = nil, error: String? = nil) {
        self.status = status
        self.outcome = outcome
        self.job = job
        self.repository = repository
        self.error = error
    }
}

/// The webhook endpoint's logic, without HTTP: verify, skip what was seen, fetch the mirror,
/// enqueue.
public struct WebhookReceiver: Sendable {
    /// Checks each delivery's signature or token and reads the push it carries.
    public let verifier: WebhookVerifier
    /// The queue the pushes are added to, as jobs for the worker; it also remembers deliveries seen.
    public let queue: JobQueue
    /// The local mirrors a pushed repository is fetched into before its job is queued.
    public let mirrors: Mirrors
    /// The repositories served, by forge name → fetch URL (any URL or path git takes). Empty: any
    /// repository a verified delivery names, fetched from the network URL the forge gives into
    /// `mirrors/FORGE/NAME.git`.
    public let remotes: [String: String]

    /// A receiver of deliveries checked by `verifier`, fetched into `mirrors` and queued on `queue`; `remotes` limits it to those repositories.
    public init(verifier: WebhookVerifier, queue: JobQueue, mirrors: Mirrors, remotes: [String: String] = [:]) {
        self.verifier = verifier
        self.queue = queue
        self.mirrors = mirrors
        self.remotes = remotes
    }

    static func isNetworkURL(_ url: String) -> Bool {
        let lowered = url.lowercased()
        return ["https://", "http://", "ssh://", "git://"].contains { lowered.hasPrefix($0) }
            || (lowered.range(of: #"^[a-z0-9._-]+@[a-z0-9.-]+:"#, options: .regularExpression) != nil)
    }

    /// Answers one delivery: verifies it, skips a redelivery, fetches the mirror, and queues a job for the pushed refs. Never throws: a refusal is an answer with its status.
    public func receive(headers: [String: String], body: Data) async -> WebhookAnswer {
        do throws(WebhookError) {
            guard let push = try verifier.push(headers: headers, body: body) else {
                return WebhookAnswer(status: 200, outcome: "ignored")
            }
            // Without an id (GitLab before 17.4), the body stands for the delivery: a retry
            // sends the same bytes, and two pushes never do (their commits differ).
            let delivery = "\(push.forge.rawValue):" + (push.delivery ?? "sha256-" + HexDigest.sha256(body))
            if (try? queue.seen(delivery: delivery)) == true {
                return WebhookAnswer(status: 200, outcome: Enqueued.Outcome.duplicate.rawValue, repository: push.repository)
            }
            let url: String
            let path: String
            if remotes.isEmpty {
                // The forge's own URL: only a network one (never a path or file:// on this
                // machine), and the mirror is the forge's, so two forges never share one.
                guard let given = push.cloneURL, Self.isNetworkURL(given) else {
                    throw WebhookError.malformed("its clone URL is not an http(s), ssh or git URL: \(push.cloneURL ?? "none")")
                }
                url = given
                path = mirrors.path(for: "\(push.forge.rawValue)/\(push.repository)")
            } else {
                guard let mapped = remotes[push.repository] else { throw WebhookError.unknownRepository(push.repository) }
                url = mapped
                path = mirrors.path(for: push.repository)
            }
            let mirror = try await mirrors.update(path, from: url)
            do {
                // The job names the repository's identity, so a worker on any host can find it.
                try queue.store.registerRepository(identity: mirror.identity, location: mirror.location)
                let enqueued = try queue.enqueue(repository: mirror.identity, refs: push.refs, trigger: .webhook, delivery: delivery)
                return WebhookAnswer(
                    status: enqueued.outcome == .duplicate ? 200 : 202, outcome: enqueued.outcome.rawValue, job: enqueued.job, repository: mirror.identity)
            } catch {
                return WebhookAnswer(status: 503, outcome: "refused", error: "the job could not be queued: \(error)")
            }
        } catch {
            return WebhookAnswer(status: error.status, outcome: "refused", error: error.description)
        }
    }
}
