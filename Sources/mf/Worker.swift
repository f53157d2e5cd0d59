import ArgumentParser
import Dashboard
import Foundation
import GitKit
import ModelFactory
import Store

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Take jobs from the factory's queue and reconcile their repositories.",
        discussion: """
            Jobs come from pushes (mf hook install), webhooks (mf webhook), mf watch and mf enqueue. \
            Up to --concurrency repositories are reconciled at once, one job per repository at a time. \
            A job is held under a lease the worker renews; a worker that dies (kill -9) loses its \
            lease, and the next worker takes the job up again after at most --lease seconds. A \
            failure that may pass (a busy store, an unreadable object, a build that could not \
            start) is retried with a growing wait (2, 4, 8 s …) up to --max-attempts (this \
            worker's policy, whatever the job was queued with); one that will not (the \
            repository is gone) fails at once.

            After each job the worker writes an HTML report of every session it ran to \
            $MF_HOME/reports/SESSION.html and posts notifications (failed sessions, new release \
            bundles, environment changes, a job given up) to each --notify URL as \
            {"text": ...}, the shape Slack and Teams incoming webhooks take. With --ui-url (or \
            $MF_UI_URL), the dashboard's address, each one links to its page (a session, a model, \
            the jobs) in its text and in "mf": {"url": ...}. A notification that cannot be sent \
            is a warning, never a failed job.

            Schedules: the worker fires the entries of .mf/schedule.yaml on the production line of \
            every repository the store knows (see mf schedule --help), each instant exactly once \
            across workers; it wakes for the next due entry, and looks at the files again every \
            60 s and after each job. --no-schedules fires none. MF_CLOCK_OFFSET=SECONDS (a test \
            and operations aid) makes the worker's schedule clock that many seconds ahead.

            SIGTERM or SIGINT: no new job is taken; the jobs in hand are finished, then it exits 0.
            --json prints one JSON object per line: {event: took|finished|scheduled|warning, job, ...} \
            (scheduled: {entry, repository, scheduledAt, state: queued|skipped, job}); a first attempt's took says how long the job waited in the queue (waited, seconds).
            """
    )

    @Option(name: .long, help: ArgumentHelp("The factory's home folder (default: $MF_HOME, else ~/.mf).", valueName: "path"), completion: .directory)
    var home: String?

    @Option(name: .long, help: ArgumentHelp(storeHelp, valueName: "url"))
    var store: String?

    @Option(help: "How many repositories to reconcile at once.")
    var concurrency = 2

    @Option(help: ArgumentHelp("Seconds a job is held without renewal before another worker may take it.", valueName: "seconds"))
    var lease: Double = 60

    @Option(help: ArgumentHelp("Seconds between looks at an empty queue.", valueName: "seconds"))
    var poll: Double = 1

    @Option(name: .customLong("max-attempts"), help: "Attempts before a job that keeps failing is given up.")
    var maxAttempts = 5

    @Option(name: .customLong("notify"), help: ArgumentHelp("An incoming-webhook URL to post notifications to (repeatable).", valueName: "url"))
    var notify: [String] = []

    @Option(
        name: .customLong("ui-url"),
        help: ArgumentHelp(
            "The dashboard's address (default: $MF_UI_URL), e.g. https://factory.example/ui: each notification links to its page.", valueName: "url"))
    var uiURL: String?

    @Flag(name: .customLong("until-idle"), help: "Exit once no job is queued or running (for cron and tests).")
    var untilIdle = false

    @Flag(help: "Print one JSON object per line instead of text.")
    var json = false

    @Flag(name: .customLong("no-schedules"), help: "Fire no .mf/schedule.yaml entries (take queued jobs only).")
    var noSchedules = false

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard lease >= 1 else { throw ValidationError("--lease must be at least 1 second") }
        guard poll > 0 else { throw ValidationError("--poll must be above 0") }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1") }
        for url in notify {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? "") else {
                throw ValidationError("--notify \(url): expected an http or https URL")
            }
        }
        try DashboardAddress.validate(uiURL)
    }

    func run() async throws {
        let homeURL = Home.url(home)
        let store = try reportingErrors { try Home.store(homeURL, self.store) }
        var options = FactoryWorker.Options()
        options.concurrency = concurrency
        options.lease = lease
        options.poll = poll
        options.untilIdle = untilIdle
        if !noSchedules { options.scheduleClock = try reportingErrors { try ClockOption.clock() } }
        options.notifier = notify.isEmpty ? nil : Notifier(urls: notify.compactMap(URL.init(string:)), dashboard: DashboardAddress.resolve(uiURL))
        let reports = SessionReports(store: store, home: homeURL)
        options.writeReport = { session in try reports.write(session: session, to: SessionReports.path(home: homeURL, session: session)) }
        let worker = FactoryWorker(
            pipeline: Pipeline(store: store, home: homeURL, modelKit: Installation.modelKit), queue: JobQueue(store: store, maxAttempts: maxAttempts),
            options: options,
            observer: WorkerPrinter(json: json))
        let signals = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { worker.stop() }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        WorkerPrinter(json: json).line(["event": "started", "worker": worker.identity], text: "worker \(worker.identity) started")
        try await reportingErrors { try await worker.run() }
        WorkerPrinter(json: json).line(["event": "stopped", "worker": worker.identity], text: "worker \(worker.identity) stopped")
    }
}

/// Prints what the worker does, as text or JSON lines.
struct WorkerPrinter: FactoryWorkerObserver {
    let json: Bool

    func took(_ job: Job) {
        var fields = ["event": "took", "job": job.id.map(String.init) ?? "", "repository": job.repository, "attempt": String(job.attempts)]
        // How long a first attempt waited in the queue, from its enqueue to this claim (both the store's times).
        if job.attempts == 1, let started = job.startedAt {
            fields["waited"] = String(format: "%.3f", started.timeIntervalSince(job.createdAt))
        }
        let work = job.trigger == .schedule ? "\(job.refList.joined(separator: ", ")) of" : "reconciling"
        line(fields, text: "job \(job.id ?? 0): \(work) \(job.repository) (attempt \(job.attempts))")
    }

    func finished(_ job: Job, report: ReconcileReport?, error: String?) {
        let actions = report?.actions.map { "\($0.kind) \($0.target): \($0.outcome)" } ?? []
        line(
            [
                "event": "finished", "job": job.id.map(String.init) ?? "", "repository": job.repository, "state": job.state.rawValue,
                "summary": job.summary ?? "", "error": error ?? "",
            ],
            text: "job \(job.id ?? 0): \(job.state.rawValue)" + (error.map { " — \($0)" } ?? "")
                + (actions.isEmpty ? "" : "\n  " + actions.joined(separator: "\n  ")))
    }

    func scheduled(_ fire: ScheduleFire) {
        let when = ISO8601DateFormatter().string(from: fire.scheduledAt)
        line(
            [
                "event": "scheduled", "entry": fire.entry, "repository": fire.repository, "scheduledAt": when, "state": fire.state.rawValue,
                "job": fire.jobId.map(String.init) ?? "",
            ],
            text: fire.state == .skipped
                ? "schedule \(fire.entry) at \(when): skipped (\(fire.result ?? "missed"))"
                : "schedule \(fire.entry) at \(when): fired as job \(fire.jobId ?? 0)" + (fire.missed > 0 ? " (\(fire.missed) missed before it)" : ""))
    }

    func warning(_ text: String) {
        if json { line(["event": "warning", "message": text], text: "") } else { printWarning(text) }
    }

    func line(_ fields: [String: String], text: String) {
        let output = json ? jsonLine(fields.filter { !$0.value.isEmpty }) : text
        FileHandle.standardOutput.write(Data((output + "\n").utf8))
    }
}

/// The home folder and store for commands that take no repository.
enum Home {
    /// --home, else $MF_HOME, else ~/.mf, where ~ is $HOME as the shell has it (Foundation's
    /// `homeDirectoryForCurrentUser` reads the password database on Linux and ignores $HOME).
    static func url(_ option: String?) -> URL {
        if let option { return URL(fileURLWithPath: option) }
        let environment = ProcessInfo.processInfo.environment
        if let home = environment["MF_HOME"], !home.isEmpty { return URL(fileURLWithPath: home) }
        if let user = environment["HOME"], !user.isEmpty { return URL(fileURLWithPath: user).appendingPathComponent(".mf") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".mf")
    }

    static func store(_ home: URL, _ store: String? = nil) throws -> any FactoryStore { try openStore(home: home, store: store) }

    /// Whether there is a store to read: one is named (--store, $MF_STORE), or the home holds factory.sqlite.
    static func hasStore(_ home: URL, _ store: String?) -> Bool {
        let named = store ?? ProcessInfo.processInfo.environment["MF_STORE"].flatMap { $0.isEmpty ? nil : $0 }
        return named != nil || FileManager.default.fileExists(atPath: home.appendingPathComponent("factory.sqlite").path)
    }
}

struct Enqueue: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Queue a reconcile of a repository for mf worker.",
        discussion: """
            What the post-receive hook runs; also for scripts. With --stdin it reads a hook's input \
            (one "OLD NEW REF" line per pushed ref). A repository that already has a job waiting \
            gets the refs added to that job instead of a second one; with --delivery KEY, a KEY \
            seen before queues nothing (a redelivered push).

            --json prints {job, outcome: queued|merged|duplicate, repository}.
            """
    )

    @OptionGroup var options: RepositoryOptions

    @Option(name: .customLong("ref"), help: ArgumentHelp("A ref the push updated (repeatable).", valueName: "ref"))
    var refs: [String] = []

    @Flag(help: "Read the pushed refs as post-receive gets them, from standard input.")
    var stdin = false

    @Option(
        help: "What asked for the job (recorded on its sessions): enqueue, hook, webhook or watch.", completion: .list(["enqueue", "hook", "webhook", "watch"]))
    var trigger = "enqueue"

    @Option(help: ArgumentHelp("An id of this delivery; one seen before queues nothing.", valueName: "key"))
    var delivery: String?

    func validate() throws {
        guard let trigger = Trigger(rawValue: trigger), Trigger.queueing.contains(trigger) else {
            throw ValidationError("--trigger takes enqueue, hook, webhook or watch")
        }
    }

    struct Output: Encodable {
        let job: Int64
        let outcome: Enqueued.Outcome
        let repository: String
    }

    func run() throws {
        var pushed = refs
        if stdin {
            pushed += PushedRefs.parse(String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self))
        }
        let output = try reportingErrors {
            let store = try options.openStore()
            // The job names the repository's identity: clones of one remote share one job.
            let identity = try RepositoryIdentity.register(try options.openRepository(), in: store).name
            let enqueued = try JobQueue(store: store).enqueue(
                repository: identity, refs: pushed, trigger: Trigger(rawValue: trigger) ?? .enqueue, delivery: delivery)
            return Output(job: enqueued.job, outcome: enqueued.outcome, repository: identity)
        }
        if options.json { try printJSON(output) } else { print("job \(output.job): \(output.outcome.rawValue) for \(output.repository)") }
    }
}

struct Jobs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List the factory's jobs, newest first.",
        discussion: """
            --json prints an array of {id, repository, trigger, refs, state, attempts, maxAttempts, notBefore, \
            leaseOwner, leaseExpiresAt, createdAt, startedAt, endedAt, lastError, summary}.
            """
    )

    @OptionGroup var options: HomeOptions

    @Option(help: "How many jobs to show.")
    var limit = 50

    func run() throws {
        let jobs = try reportingErrors { try JobQueue(store: try options.openStore()).jobs(limit: limit) }
        if options.json {
            FileHandle.standardOutput.write(Data(try JSONText.encodeBytes(jobs.map(JobRow.init))))
            return
        }
        if jobs.isEmpty {
            print("No jobs.")
            return
        }
        for job in jobs {
            print(
                "\(job.id ?? 0)  \(job.state.rawValue)  attempt \(job.attempts)/\(job.maxAttempts)  \(job.trigger.rawValue)  \(job.repository)"
                    + (job.lastError.map { "  — \($0)" } ?? "") + (job.summary.map { "  (\($0))" } ?? ""))
        }
    }
}

/// A job as `mf jobs --json` shows it (refs as an array, dates in ISO 8601).
struct JobRow: Encodable {
    let id: Int64
    let repository, trigger: String
    let refs: [String]
    let state: String
    let attempts, maxAttempts: Int
    let notBefore: String
    let leaseOwner, leaseExpiresAt: String?
    let createdAt: String
    let startedAt, endedAt, lastError, summary: String?

    init(_ job: Job) {
        let format = ISO8601DateFormatter()
        id = job.id ?? 0
        repository = job.repository
        trigger = job.trigger.rawValue
        refs = job.refList
        state = job.state.rawValue
        attempts = job.attempts
        maxAttempts = job.maxAttempts
        notBefore = format.string(from: job.notBefore)
        leaseOwner = job.leaseOwner
        leaseExpiresAt = job.leaseExpiresAt.map(format.string)
        createdAt = format.string(from: job.createdAt)
        startedAt = job.startedAt.map(format.string)
        endedAt = job.endedAt.map(format.string)
        lastError = job.lastError
        summary = job.summary
    }
}
