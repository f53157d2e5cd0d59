import ArgumentParser
import Foundation
import GitKit
import ModelFactory
import ModelServer
import Store
import SystemKit

struct Webhook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook",
        abstract: "Serve an HTTP endpoint for push events from GitHub, GitLab and Gitea.",
        discussion: """
            POST /webhook (or /) takes a delivery. It is checked against the secret, in constant \
            time: GitHub's X-Hub-Signature-256 and Gitea's X-Gitea-Signature (HMAC-SHA256 of the \
            body), GitLab's X-Gitlab-Token. A bad or missing signature is 401 and nothing is \
            queued. A push is then fetched through libgit2 into a bare mirror, \
            $MF_HOME/mirrors/NAME.git, and a reconcile of the repository is queued for mf worker: 202 \
            {outcome: queued|merged, job, repository}, where repository is its identity, the URL \
            it is fetched from without credentials (a worker on any host finds it by that). A delivery id seen before (X-GitHub-Delivery, \
            X-Gitea-Delivery, GitLab's Idempotency-Key or X-Gitlab-Event-UUID) does nothing: 200 \
            {outcome: duplicate}. Events that are not pushes (a ping) are 200 {outcome: ignored}. A \
            fetch that fails is 502, so the forge shows it and can redeliver. The answer comes \
            after the fetch (an existing mirror fetches only what is new).

            With --repository NAME=URL (repeatable) only those repositories are served, fetched \
            from URL (any URL or path git takes) into mirrors/NAME.git; without, the network \
            clone URL of the verified payload (http, https, ssh, git) is fetched into \
            mirrors/FORGE/NAME.git. The secret comes from --secret-file or $MF_WEBHOOK_SECRET. \
            The server prints "listening on http://HOST:PORT/webhook" once it accepts deliveries; \
            SIGTERM stops it.
            """
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port (0 picks a free one).")
    var port = 8090

    @Option(
        name: .customLong("secret-file"), help: ArgumentHelp("A file holding the shared secret (else $MF_WEBHOOK_SECRET).", valueName: "path"),
        completion: .file())
    var secretFile: String?

    @Option(name: .customLong("repository"), help: ArgumentHelp("A repository served, as its forge name and fetch URL (repeatable).", valueName: "name=url"))
    var repositories: [String] = []

    @Option(name: .long, help: ArgumentHelp("The factory's home folder (default: $MF_HOME, else ~/.mf).", valueName: "path"), completion: .directory)
    var home: String?

    @Option(name: .long, help: ArgumentHelp(storeHelp, valueName: "url"))
    var store: String?

    func run() async throws {
        try await reportingErrors {
            let secret = try Self.secret(file: secretFile)
            var remotes: [String: String] = [:]
            for spec in repositories {
                let parts = spec.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw ValidationError("--repository \(spec): expected NAME=URL") }
                remotes[String(parts[0])] = String(parts[1])
            }
            let homeURL = Home.url(home)
            let receiver = WebhookReceiver(
                verifier: WebhookVerifier(secret: secret), queue: JobQueue(store: try Home.store(homeURL, store)), mirrors: Mirrors(home: homeURL),
                remotes: remotes)
            let host = self.host
            try await WebhookServer(receiver: receiver, host: host, port: port).run { port in
                FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)/webhook\n".utf8))
            }
        }
    }

    static func secret(file: String?) throws -> String {
        if let file {
            let data = try InputFile.read(file, option: "--secret-file")
            let secret = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !secret.isEmpty else { throw ValidationError("--secret-file \(file) is empty") }
            return secret
        }
        guard let secret = ProcessInfo.processInfo.environment["MF_WEBHOOK_SECRET"], !secret.isEmpty else {
            throw ValidationError("no secret: give --secret-file or set MF_WEBHOOK_SECRET (a webhook without one would take any request)")
        }
        return secret
    }
}

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Poll a remote repository and queue a reconcile whenever its refs change.",
        discussion: """
            For teams without webhooks: every --interval seconds the remote is fetched through \
            libgit2 into a bare mirror ($MF_HOME/mirrors/NAME.git, NAME from --name or the URL), \
            and when any branch or tag moved since what was last queued, a reconcile of the \
            repository (named by the remote's URL without credentials) is queued for mf worker, as \
            a webhook would. What was queued is kept beside the mirror \
            (NAME.git.watched), so a run stopped between fetching and queueing queues the change \
            next time. --once fetches and queues once, then exits. SIGTERM stops it.

            --json prints one line per look: {repository, changed, job, outcome}.
            """
    )

    @Argument(help: ArgumentHelp("The remote: a URL or a path.", valueName: "remote"))
    var remote: String

    @Option(help: "The mirror's name (default: from the URL).")
    var name: String?

    @Option(help: ArgumentHelp("Seconds between fetches.", valueName: "seconds"))
    var interval: Double = 60

    @Flag(help: "Fetch once, queue if anything changed, and exit.")
    var once = false

    @Option(name: .long, help: ArgumentHelp("The factory's home folder (default: $MF_HOME, else ~/.mf).", valueName: "path"), completion: .directory)
    var home: String?

    @Option(name: .long, help: ArgumentHelp(storeHelp, valueName: "url"))
    var store: String?

    @Flag(help: "Print JSON lines for scripts instead of text.")
    var json = false

    struct Look: Encodable {
        let repository: String
        let changed: [String]
        let job: Int64?
        let outcome: String?
    }

    func validate() throws {
        guard interval >= 1 else { throw ValidationError("--interval must be at least 1 second") }
    }

    func run() async throws {
        let homeURL = Home.url(home)
        let mirrors = Mirrors(home: homeURL)
        let mirrorName = name ?? Self.name(of: remote)
        let path = mirrors.path(for: mirrorName)
        let queue = try reportingErrors { JobQueue(store: try Home.store(homeURL, store)) }
        let watched = URL(fileURLWithPath: path + ".watched")
        while true {
            do {
                let known = (try? JSONDecoder().decode([String: String].self, from: FileContents.read(atPath: watched.path))) ?? [:]
                let mirror = try await mirrors.update(path, from: remote)
                let changed = Set(mirror.refs.keys).union(known.keys).filter { mirror.refs[$0] != known[$0] }.sorted()
                var look = Look(repository: mirror.identity, changed: changed, job: nil, outcome: nil)
                if !changed.isEmpty {
                    try queue.store.registerRepository(identity: mirror.identity, location: mirror.location)
                    let enqueued = try queue.enqueue(repository: mirror.identity, refs: changed, trigger: .watch)
                    look = Look(repository: mirror.identity, changed: changed, job: enqueued.job, outcome: enqueued.outcome.rawValue)
                    // Only once the job is queued: a run stopped before then sees the change again.
                    try JSONEncoder().encode(mirror.refs).write(to: watched, options: .atomic)
                }
                if json {
                    print(jsonLine(look))
                } else if changed.isEmpty {
                    if once { print("\(mirrorName): no change") }
                } else {
                    print(
                        "\(mirrorName): \(counted(changed.count, "ref")) moved (\(changed.joined(separator: ", "))); job \(look.job ?? 0) \(look.outcome ?? "")"
                    )
                }
            } catch {
                if once {
                    printError(error)
                    throw ExitCode(2)
                }
                printWarning("\(mirrorName): \(error)")
            }
            if once { return }
            try await Task.sleep(for: .seconds(interval))
        }
    }

    /// `team/churn` from `https://forge/team/churn.git`, `git@forge:team/churn.git` or a path.
    static func name(of remote: String) -> String {
        var text = remote
        if let scheme = text.range(of: "://") {
            text = String(text[scheme.upperBound...])
            text = text.split(separator: "/", maxSplits: 1).dropFirst().first.map(String.init) ?? text
        } else if let colon = text.firstIndex(of: ":"), !text.hasPrefix("/") {
            text = String(text[text.index(after: colon)...])
        }
        let parts = text.split(separator: "/").suffix(2).map { $0.hasSuffix(".git") ? String($0.dropLast(4)) : String($0) }
        return parts.joined(separator: "/")
    }
}
