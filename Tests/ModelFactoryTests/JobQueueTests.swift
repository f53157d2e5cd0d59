import Foundation
import GitKit
import SQLiteStore
import Store
import TestSupport
import Testing

@testable import ModelFactory

@Suite(.onTestThreads) struct JobQueueTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aWaitingJobTakesLaterPushesAndADeliveryCountsOnce() throws {
        let queue = JobQueue(store: try SQLiteStore.inMemory())
        let first = try queue.enqueue(repository: "/r", refs: ["refs/heads/feature/a"], trigger: .hook, delivery: "github:1", now: start)
        #expect(first.outcome == .queued)
        let second = try queue.enqueue(repository: "/r", refs: ["refs/tags/v1.0.0"], trigger: .hook, delivery: "github:2", now: start)
        #expect(second == Enqueued(job: first.job, outcome: .merged))
        let again = try queue.enqueue(repository: "/r", refs: ["refs/heads/other"], trigger: .hook, delivery: "github:1", now: start)
        #expect(again == Enqueued(job: first.job, outcome: .duplicate))
        let jobs = try queue.jobs()
        #expect(jobs.count == 1)
        #expect(jobs[0].refList == ["refs/heads/feature/a", "refs/tags/v1.0.0"])
        #expect(try queue.seen(delivery: "github:2") && !queue.seen(delivery: "github:3"))
    }

    @Test func oneRepositoryAtATimeOthersInParallel() throws {
        let queue = JobQueue(store: try SQLiteStore.inMemory())
        try queue.enqueue(repository: "/a", refs: [], trigger: .hook, now: start)
        let a = try #require(try queue.claim(worker: "w1", lease: 30, now: start).job)
        // A push while /a is being reconciled queues a new job (the running one may have read the refs already)…
        #expect(try queue.enqueue(repository: "/a", refs: ["refs/heads/x"], trigger: .hook, now: start).outcome == .queued)
        // …which waits for the first to end, while another repository's job goes ahead.
        #expect(try queue.claim(worker: "w2", lease: 30, now: start).job == nil)
        try queue.enqueue(repository: "/b", refs: [], trigger: .hook, now: start)
        #expect(try queue.claim(worker: "w2", lease: 30, now: start).job?.repository == "/b")
        #expect(try queue.finish(a.id!, worker: "w1", now: start)?.state == .done)
        #expect(try queue.claim(worker: "w2", lease: 30, now: start).job?.repository == "/a")
    }

    @Test func aDeadWorkersLeaseRunsOutAndTheJobIsTakenAgain() throws {
        let queue = JobQueue(store: try SQLiteStore.inMemory(), maxAttempts: 2)
        try queue.enqueue(repository: "/a", refs: [], trigger: .hook, now: start)
        let taken = try #require(try queue.claim(worker: "w1", lease: 10, now: start).job)
        #expect(try queue.renew(taken.id!, worker: "w1", lease: 10, now: start.addingTimeInterval(5)))
        #expect(try queue.claim(worker: "w2", lease: 10, now: start.addingTimeInterval(12)).job == nil, "the renewed lease still holds")
        let again = try #require(try queue.claim(worker: "w2", lease: 10, now: start.addingTimeInterval(16)).job)
        #expect(again.id == taken.id && again.attempts == 2 && again.lastError?.contains("lease of w1 ran out") == true)
        // The first worker, back from the dead, can neither renew nor finish it.
        #expect(try !queue.renew(taken.id!, worker: "w1", lease: 10, now: start.addingTimeInterval(17)))
        #expect(try queue.finish(taken.id!, worker: "w1", now: start.addingTimeInterval(17)) == nil)
        // A job that kills every worker that takes it is given up after its attempts.
        let given = try queue.claim(worker: "w3", lease: 10, now: start.addingTimeInterval(40))
        #expect(given.job == nil && given.givenUp.map(\.id) == [taken.id])
        let failed = try #require(try queue.job(taken.id!))
        #expect(failed.state == .failed && failed.lastError?.contains("stopped 2 times") == true)
    }

    @Test func failuresThatMayPassAreRetriedWithBackoffOthersFailAtOnce() throws {
        let queue = JobQueue(store: try SQLiteStore.inMemory(), maxAttempts: 3)
        try queue.enqueue(repository: "/a", refs: [], trigger: .hook, now: start)
        var now = start
        for attempt in 1...3 {
            let job = try #require(try queue.claim(worker: "w", lease: 30, now: now).job, "attempt \(attempt)")
            #expect(job.attempts == attempt)
            let ended = try #require(try queue.finish(job.id!, worker: "w", error: "database is locked", now: now))
            if attempt < 3 {
                #expect(ended.state == .queued && ended.notBefore == now.addingTimeInterval(JobQueue.backoff(attempt: attempt)))
                #expect(try queue.claim(worker: "w", lease: 30, now: now.addingTimeInterval(1)).job == nil, "not before the backoff")
                now = ended.notBefore
            } else {
                #expect(ended.state == .failed && ended.lastError == "database is locked")
            }
        }
        #expect(JobQueue.backoff(attempt: 1) == 2 && JobQueue.backoff(attempt: 3) == 8 && JobQueue.backoff(attempt: 20) == 300)

        try queue.enqueue(repository: "/gone", refs: [], trigger: .hook, now: start)
        let job = try #require(try queue.claim(worker: "w", lease: 30, now: start).job)
        #expect(try queue.finish(job.id!, worker: "w", error: "not a repository", retry: false, now: start)?.state == .failed)
        #expect(try !queue.hasPendingWork())
    }

    /// A job queued with the default attempts follows the policy of the worker that takes it.
    @Test func theWorkersAttemptsWin() throws {
        let store = try SQLiteStore.inMemory()
        try JobQueue(store: store, maxAttempts: 5).enqueue(repository: "/a", refs: [], trigger: .hook, now: start)
        let worker = JobQueue(store: store, maxAttempts: 1)
        let job = try #require(try worker.claim(worker: "w", lease: 30, now: start).job)
        #expect(job.maxAttempts == 1)
        #expect(try worker.finish(job.id!, worker: "w", error: "database is locked", now: start)?.state == .failed)
    }

    @Test func postReceiveInputNamesTheRefs() {
        let input = """
            0000000000000000000000000000000000000000 1111111111111111111111111111111111111111 refs/heads/feature/a
            2222222222222222222222222222222222222222 3333333333333333333333333333333333333333 refs/tags/v1.0.0

            """
        #expect(PushedRefs.parse(input) == ["refs/heads/feature/a", "refs/tags/v1.0.0"])
    }
}

@Suite(.onTestThreads) struct WebhookVerifierTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/webhooks")

    func payload(_ forge: Forge) throws -> Data { try Data(contentsOf: Self.fixtures.appendingPathComponent("\(forge.rawValue)-push.json")) }

    /// GitHub's documented example ("Validating webhook deliveries").
    @Test func signsAsGitHubDocuments() {
        #expect(
            WebhookVerifier.signature(Data("Hello, World!".utf8), secret: "It's a Secret to Everybody")
                == "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
    }

    @Test(arguments: Forge.allCases)
    func acceptsAGoodDeliveryAndReadsThePush(forge: Forge) throws {
        let body = try payload(forge)
        let verifier = WebhookVerifier(secret: "s3cret")
        let push = try #require(try verifier.push(headers: WebhookVerifier.signedHeaders(forge, body: body, secret: "s3cret", delivery: "d-1"), body: body))
        #expect(push.forge == forge && push.delivery == "d-1" && push.repository == "team/churn" && push.refs == ["refs/tags/v1.0.0"])
        #expect(push.cloneURL?.hasSuffix("team/churn.git") == true)
    }

    @Test(arguments: Forge.allCases)
    func refusesABadOrMissingSignature(forge: Forge) throws {
        let body = try payload(forge)
        let verifier = WebhookVerifier(secret: "s3cret")
        var wrong = WebhookVerifier.signedHeaders(forge, body: body, secret: "guess", delivery: "d-1")
        #expect(throws: WebhookError.self) { try verifier.push(headers: wrong, body: body) }
        // A signature of other bytes.
        wrong = WebhookVerifier.signedHeaders(forge, body: Data("{}".utf8), secret: "s3cret", delivery: "d-1")
        if forge != .gitlab { #expect(throws: WebhookError.self) { try verifier.push(headers: wrong, body: body) } }
        var missing = WebhookVerifier.signedHeaders(forge, body: body, secret: "s3cret", delivery: "d-1")
        missing = missing.filter { !["x-hub-signature-256", "x-gitea-signature", "x-gitlab-token"].contains($0.key.lowercased()) }
        do {
            _ = try verifier.push(headers: missing, body: body)
            Issue.record("a delivery without a signature was accepted")
        } catch {
            #expect(error.status == 401 && error.description.contains("missing"))
        }
    }

    @Test func aPingIsNotAPushAndGarbageIsRefused() throws {
        let verifier = WebhookVerifier(secret: "s3cret")
        let ping = Data(#"{"zen": "Keep it logically awesome.", "hook_id": 1}"#.utf8)
        var headers = WebhookVerifier.signedHeaders(.github, body: ping, secret: "s3cret", delivery: "p")
        headers["X-GitHub-Event"] = "ping"
        #expect(try verifier.push(headers: headers, body: ping) == nil)
        let garbage = Data("not json".utf8)
        #expect(throws: WebhookError.malformed("the body is not a JSON object")) {
            try verifier.push(headers: WebhookVerifier.signedHeaders(.github, body: garbage, secret: "s3cret", delivery: "g"), body: garbage)
        }
        #expect(throws: WebhookError.self) { try verifier.push(headers: ["Content-Type": "application/json"], body: garbage) }
    }

    /// Headers written out as each forge's documentation shows them (not built by
    /// `signedHeaders`), for a branch push: GitLab's `Push Hook` with its token, GitHub's
    /// `sha256=` HMAC, Gitea's bare HMAC.
    @Test func headersAsTheForgesDocumentThem() throws {
        let secret = "It's a Secret to Everybody"
        let verifier = WebhookVerifier(secret: secret)
        let gitlab = Data(
            #"{"object_kind":"push","ref":"refs/heads/feature/x","project":{"path_with_namespace":"team/churn","git_http_url":"https://gitlab.example.com/team/churn.git"}}"#
                .utf8)
        let fromGitLab = try #require(
            try verifier.push(headers: ["X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": secret, "X-Gitlab-Event-UUID": "u-1"], body: gitlab))
        #expect(fromGitLab.refs == ["refs/heads/feature/x"] && fromGitLab.delivery == "u-1" && fromGitLab.repository == "team/churn")
        // GitHub's documented pair: "Hello, World!" signed with this secret.
        let hello = Data("Hello, World!".utf8)
        let documented = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        #expect(throws: WebhookError.malformed("the body is not a JSON object")) {
            try verifier.push(headers: ["X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + documented], body: hello)
        }
        #expect(throws: WebhookError.malformed("the body is not a JSON object")) {
            try verifier.push(headers: ["X-Gitea-Event": "push", "X-Gitea-Signature": documented], body: hello)
        }
        // The same signatures over other bytes are refused before the body is read.
        let other = Data("Hello, World?".utf8)
        for headers in [
            ["X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + documented], ["X-Gitea-Event": "push", "X-Gitea-Signature": documented],
            ["X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": secret + "!"],
        ] {
            do {
                _ = try verifier.push(headers: headers, body: other)
                Issue.record("\(headers) was accepted for other bytes")
            } catch {
                #expect(error.status == 401, "\(error)")
            }
        }
    }

    /// Hostile or broken deliveries: each refused with its reason, none crashes.
    @Test func hostileDeliveriesAreRefused() throws {
        let verifier = WebhookVerifier(secret: "s3cret")
        let body = try payload(.github)
        let good = WebhookVerifier.signature(body, secret: "s3cret")
        for signature in [
            "sha1=" + good.prefix(40), "sha256=" + good.dropLast(), "sha256=" + good + "0", "sha256=" + String(repeating: "zz", count: 32),
            "sha256=" + String(repeating: "é", count: 64), "sha256=", good,
        ] {
            do {
                _ = try verifier.push(headers: ["X-GitHub-Event": "push", "X-Hub-Signature-256": signature], body: body)
                Issue.record("\(signature) was accepted")
            } catch {
                #expect(error.status == 401, "\(signature): \(error)")
            }
        }
        for text in [
            "[1, 2]", "{}", #"{"ref": 3}"#, #"{"ref": "main", "repository": {"full_name": "a/b"}}"#, #"{"ref": "refs/heads/x"}"#,
            #"{"ref": "refs/heads/x", "repository": {"full_name": ""}}"#, String(repeating: "[", count: 100_000),
        ] {
            let data = Data(text.utf8)
            do {
                _ = try verifier.push(headers: WebhookVerifier.signedHeaders(.github, body: data, secret: "s3cret", delivery: "h"), body: data)
                Issue.record("\(text.prefix(40)) was accepted")
            } catch {
                #expect(error.status == 400, "\(text.prefix(40)): \(error)")
            }
        }
    }

    /// A delivery without an id (GitLab before 17.4) is known again by its body.
    @Test func aRedeliveryWithoutAnIDIsKnownByItsBody() async throws {
        let origin = try GitFixture("gitlab-origin")
        try origin.directory.write("repo/README", "x\n")
        try origin.git(["add", "-A"])
        try origin.git(["commit", "-q", "-m", "first"])
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("mf-receiver-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let queue = JobQueue(store: try SQLiteStore.inMemory())
        let receiver = WebhookReceiver(verifier: WebhookVerifier(secret: "s"), queue: queue, mirrors: Mirrors(home: home), remotes: ["team/churn": origin.path])
        let body = Data(#"{"ref":"refs/heads/master","project":{"path_with_namespace":"team/churn"}}"#.utf8)
        let headers = ["X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "s"]
        let first = await receiver.receive(headers: headers, body: body)
        #expect(first.status == 202, "\(first)")
        let again = await receiver.receive(headers: headers, body: body)
        #expect(again.status == 200 && again.outcome == "duplicate", "\(again)")
        #expect(try queue.jobs().count == 1)
    }

    /// Without a list of repositories, only a network clone URL is fetched, into the forge's mirror.
    @Test func theForgesURLMustBeANetworkOne() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("mf-receiver-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let queue = JobQueue(store: try SQLiteStore.inMemory())
        let receiver = WebhookReceiver(verifier: WebhookVerifier(secret: "s"), queue: queue, mirrors: Mirrors(home: home))
        for url in ["/srv/git/churn.git", "file:///srv/git/churn.git", "../churn"] {
            var payload = try JSONSerialization.jsonObject(with: payload(.github)) as! [String: Any]
            payload["repository"] = ["full_name": "team/churn", "clone_url": url]
            let body = try JSONSerialization.data(withJSONObject: payload)
            let answer = await receiver.receive(headers: WebhookVerifier.signedHeaders(.github, body: body, secret: "s", delivery: url), body: body)
            #expect(answer.status == 400 && answer.error?.contains("not an http(s), ssh or git URL") == true, "\(url): \(answer)")
        }
        #expect(try queue.jobs().isEmpty)
        #expect(WebhookReceiver.isNetworkURL("https://github.com/team/churn.git") && WebhookReceiver.isNetworkURL("git@github.com:team/churn.git"))
    }

    /// A delivery whose fetch fails leaves nothing in the mirrors folder (no empty repository, no
    /// lock file, no folder made for it); a mirror that was there before stays as it was.
    @Test func aFailedFetchLeavesNoMirrorBehind() async throws {
        let origin = try GitFixture("origin")
        let first = try origin.commit("first")
        let home = TemporaryDirectory("receiver")
        let mirrors = Mirrors(home: URL(fileURLWithPath: home.path))
        let queue = JobQueue(store: try SQLiteStore.inMemory())
        let moved = home.appending("moved-origin")
        let receiver = WebhookReceiver(
            verifier: WebhookVerifier(secret: "s"), queue: queue, mirrors: mirrors,
            remotes: ["team/gone": "/nonexistent/gone.git", "team/churn": origin.path, "team/moved": moved])
        func deliver(_ name: String, _ delivery: String) async -> WebhookAnswer {
            let body = Data(#"{"ref":"refs/heads/master","project":{"path_with_namespace":"\#(name)"}}"#.utf8)
            return await receiver.receive(headers: ["X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "s", "Idempotency-Key": delivery], body: body)
        }
        let gone = await deliver("team/gone", "1")
        #expect(gone.status == 502, "\(gone)")
        #expect(
            !FileManager.default.fileExists(atPath: mirrors.folder.path), "\((try? FileManager.default.subpathsOfDirectory(atPath: mirrors.folder.path)) ?? [])"
        )

        #expect(await deliver("team/churn", "2").status == 202)
        try FileManager.default.moveItem(atPath: origin.path, toPath: moved)
        let broken = await deliver("team/churn", "3")
        #expect(broken.status == 502, "\(broken)")
        #expect(try Repository.open(at: mirrors.path(for: "team/churn")).reference(named: "master").commit?.hex == first)
        #expect(await deliver("team/gone", "4").status == 502)
        let left = try FileManager.default.contentsOfDirectory(atPath: mirrors.folder.appendingPathComponent("team").path).sorted()
        #expect(left == ["churn.git", "churn.git.lock"], "\(left)")
        // The same repository again, from where it went: fetched as if nothing had failed.
        #expect(await deliver("team/moved", "5").status == 202)
        #expect(try Repository.open(at: mirrors.path(for: "team/moved")).reference(named: "master").commit?.hex == first)
        #expect(try queue.jobs().count == 2)
    }

    @Test func mirrorNamesStayInsideTheMirrorsFolder() {
        let mirrors = Mirrors(home: URL(fileURLWithPath: "/home/mf"))
        #expect(mirrors.path(for: "team/churn") == "/home/mf/mirrors/team/churn.git")
        #expect(mirrors.path(for: "../../etc/passwd") == "/home/mf/mirrors/__/__/etc/passwd.git")
        #expect(mirrors.path(for: "a/./b") == "/home/mf/mirrors/a/b.git")
    }
}
