import ArgumentParser
import Dashboard
import Foundation
import ModelFactory
import ModelServer
import ServiceLifecycle
import Store

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve bundles over HTTP: the Open Inference Protocol v2, a v1 predict API, metrics.",
        discussion: """
            Every BUNDLE (a folder or .tar.gz made by mf bundle) is verified, gets a pool of \
            --workers workers speaking the standard interface, and is warmed on its examples \
            before the server answers. Requests to one model are grouped into worker calls (up to \
            --max-batch instances, waiting up to --batch-wait-ms for more).

            Endpoints: GET /v2/health/live, /v2/health/ready, /v2, /v2/models/M[/versions/V][/ready]; \
            POST /v2/models/M[/versions/V]/infer (JSON, and the binary tensor data extension); \
            POST /v1/models/M:predict with {"instances": [...]} answering {"predictions": [...]}; \
            GET /v1/models, /v1/models/M; GET /metrics (Prometheus). Every answer names the version \
            that served it in X-Model-Version. Inputs are checked against the schema first (422 on \
            v1, 400 on v2, naming every bad field); bodies over --max-body-bytes get 413.

            Drift: each served version compares the last --drift-window answered instances with \
            its bundle's training profile (profile.json): PSI per input field, missing and \
            out-of-schema shares, in GET /v2/models/M[/versions/V]/stats and the gauges \
            mf_input_drift_psi and mf_input_missing_share; a field whose PSI passes model.yaml's \
            monitor.psi (default 0.2) over at least 100 instances logs a warning once. Every \
            --drift-sample-seconds the figures of each window holding at least 100 instances (and \
            seeing new ones) are recorded in the store, for the dashboard's drift charts.

            Traffic: --ab churn=1.0.0:90,1.1.0:10 splits by weight (sticky on --sticky-header), \
            --shadow churn=1.1.0 copies every request to a candidate whose answers are only \
            compared (mf_shadow_comparisons_total). With --admin-token (or $MF_ADMIN_TOKEN) the \
            admin API under /admin changes the policy and loads, promotes and unloads bundles.

            --follow ENV serves what the environment (production or staging) of --repo names in \
            the store, and swaps to each new version as mf reconcile moves it: the new bundle is \
            started and warmed before traffic moves, and the old one drains. It also applies the \
            policy .mf/traffic.yaml declares at the head of the production line (per model: \
            weights, sticky_header, shadow), loading the versions it names from their bundles; a \
            commit that changes or removes the file changes or ends the policy once mf reconcile \
            records it. It reads the store only: --repo is a repository on this host (its identity \
            is followed) or the identity the store knows it by (its origin URL, else its path), \
            which need not exist here. A bundle whose folder is not on this host is fetched from \
            the store (its archive's blob, every chunk and the whole checked against SHA-256) into \
            --home's bundles/ and verified first.

            The production loop: every predicted instance gets an id (v1 answers carry "ids" \
            beside "predictions", v2 answers "prediction_ids" in their parameters, and \
            X-Prediction-Id holds the first; a model.yaml monitor.key names an input whose value is \
            the id instead). A sample (--log-sample) of the predictions is logged to the store of \
            --home in batches every --log-flush-ms, waiting in memory up to --log-max-bytes (oldest \
            dropped first) while the store is busy: a server killed with kill -9 loses at most the \
            last flush interval. POST /v1/models/M/feedback with {"feedback": [{"id", "label", \
            "time"?}]} keeps labels (see mf feedback); when model.yaml names monitor.label, live \
            metrics (the model's own evaluate on the labelled rows, a session with trigger live) \
            are computed every --live-every labels or --live-interval seconds (mf metrics --live).

            Rollout: when the file gives a model a rollout block (steps, step: {requests: N} or \
            {seconds: T}, gates: error_rate, p99_ms, shadow_agreement, live.METRIC, psi), a new \
            release of that model is not swapped in: it is loaded beside the one in service, gets \
            each step's share of the traffic, is compared with the one in service over the step, \
            and is advanced, promoted after the 100% step, or rolled back; a request it fails is \
            retried once on the release in service. One server drives a rollout (a lease in the \
            store), the others follow it. Each decision is an event (mf history), logged, and \
            posted to every --notify URL (with a link to the model's dashboard page when --ui-url \
            or $MF_UI_URL names the dashboard). A rolled-back release stays out until another \
            release is tagged or the rollout block changes.

            The server prints "listening on http://HOST:PORT" when it accepts requests (--port 0 \
            picks a free port), and stops gracefully on SIGTERM or SIGINT.
            """
    )

    @Argument(help: ArgumentHelp("Bundles to serve: folders or .tar.gz archives.", valueName: "bundle"), completion: .file())
    var bundles: [String] = []

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0: a free one).")
    var port = 8080

    @Option(help: "Workers per bundle.")
    var workers = 2

    @Option(help: "The most instances one worker call carries.")
    var maxBatch = 64

    @Option(help: "How long a worker with a request waits for more before calling, in milliseconds.")
    var batchWaitMs = 0

    @Option(help: "Seconds a worker call may take before the request answers 504 and the worker is replaced.")
    var timeout: Double = 30

    @Option(help: "The largest request body, in bytes.")
    var maxBodyBytes = 10 << 20

    @Option(help: ArgumentHelp("The admin API's bearer token (default: $MF_ADMIN_TOKEN; none: the admin API is off).", valueName: "token"))
    var adminToken: String?

    @Flag(help: "Also serve the dashboard (the pages of mf ui) under /ui.")
    var ui = false

    @Option(
        help: ArgumentHelp(
            "The dashboard's token (default: $MF_UI_TOKEN); required when --host is not a loopback address.", valueName: "token"))
    var uiToken: String?

    @Option(
        help: ArgumentHelp(
            "Python packages: 'lock' (an environment from the bundle's requirements.lock) or 'system' (python3 as it is, as in the container).",
            valueName: "lock|system"), completion: .list(["lock", "system"]))
    var python = "lock"

    @Option(name: .customLong("ab"), help: ArgumentHelp("A/B weights for a model: MODEL=VERSION:WEIGHT,VERSION:WEIGHT.", valueName: "spec"))
    var abTests: [String] = []

    @Option(name: .customLong("shadow"), help: ArgumentHelp("A shadow candidate: MODEL=VERSION.", valueName: "spec"))
    var shadows: [String] = []

    @Option(help: ArgumentHelp("The request header that keeps a client on one A/B version.", valueName: "name"))
    var stickyHeader: String?

    @Option(
        help: ArgumentHelp("Serve what this environment names, and follow it: production or staging.", valueName: "env"),
        completion: .list(["production", "staging"]))
    var follow: String?

    @Option(
        help: ArgumentHelp(
            "Live instances per served version whose inputs are compared with the training profile (PSI per field, GET /v2/models/M/stats); 0 turns drift off.",
            valueName: "n"))
    var driftWindow = 1000

    @Option(
        help: ArgumentHelp(
            "How often each served version's drift (PSI, missing and out-of-schema shares per field) is recorded in the store, in seconds; 0 records none.",
            valueName: "seconds"))
    var driftSampleSeconds: Double = 60

    @Option(help: ArgumentHelp("The share of predicted instances kept in the prediction log, 0 to 1.", valueName: "share"))
    var logSample = 1.0

    @Option(
        help: ArgumentHelp(
            "The most bytes of predictions waiting in memory for the store; past it the oldest are dropped (counted in mf_prediction_log_dropped_total).",
            valueName: "bytes"))
    var logMaxBytes = 64 << 20

    @Option(
        help: ArgumentHelp(
            "How often the prediction log is written to the store, in milliseconds: a server killed with kill -9 loses at most this much.",
            valueName: "ms"))
    var logFlushMs = 1000

    @Option(help: ArgumentHelp("Compute live metrics again after this many new labels of a model (0: not by count).", valueName: "n"))
    var liveEvery = 100

    @Option(help: ArgumentHelp("Compute live metrics again after this many seconds, when the labelled rows changed (0: not by time).", valueName: "seconds"))
    var liveInterval: Double = 60

    @Option(
        name: .customLong("notify"),
        help: ArgumentHelp("An incoming-webhook URL to post rollout decisions to (repeatable; with --follow).", valueName: "url"))
    var notify: [String] = []

    @Option(
        name: .customLong("ui-url"),
        help: ArgumentHelp(
            "The dashboard's address (default: $MF_UI_URL), e.g. https://factory.example/ui: each notification links to its model's page.",
            valueName: "url"))
    var uiURL: String?

    @OptionGroup var repository: RepositoryOptions

    func validate() throws {
        guard !bundles.isEmpty || follow != nil else { throw ValidationError("name at least one bundle, or --follow an environment") }
        guard workers >= 1, maxBatch >= 1, batchWaitMs >= 0, timeout > 0, maxBodyBytes > 0 else {
            throw ValidationError("--workers, --max-batch, --timeout and --max-body-bytes must be positive, --batch-wait-ms not negative")
        }
        guard python == "lock" || python == "system" else { throw ValidationError("--python takes 'lock' or 'system'") }
        guard (0...1_000_000).contains(driftWindow) else {
            throw ValidationError("--drift-window takes a number of instances from 1 to 1,000,000, or 0 to turn drift off")
        }
        guard driftSampleSeconds >= 0, driftSampleSeconds <= 86_400 else {
            throw ValidationError("--drift-sample-seconds takes a number of seconds up to 86,400, or 0 to record no drift history")
        }
        guard (0...1).contains(logSample), logMaxBytes > 0, logFlushMs > 0, liveEvery >= 0, liveInterval >= 0 else {
            throw ValidationError(
                "--log-sample must be between 0 and 1, --log-max-bytes and --log-flush-ms positive, --live-every and --live-interval not negative")
        }
        for url in notify {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? "") else {
                throw ValidationError("--notify \(url): expected an http or https URL")
            }
        }
        try DashboardAddress.validate(uiURL)
    }

    func run() async throws {
        var options = ServeOptions(home: repository.homeURL)
        options.host = host
        options.port = port
        options.pool.workers = workers
        options.pool.maxBatch = maxBatch
        options.pool.batchWait = .milliseconds(batchWaitMs)
        options.pool.callTimeout = timeout
        options.maxBodyBytes = maxBodyBytes
        options.adminToken = adminToken ?? ProcessInfo.processInfo.environment["MF_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        options.python = python == "system" ? .system : .lock
        options.driftWindow = driftWindow
        options.driftSampleInterval = .milliseconds(Int64(driftSampleSeconds * 1000))
        options.loop.sample = logSample
        options.loop.maxBytes = logMaxBytes
        options.loop.flushInterval = .milliseconds(logFlushMs)
        options.loop.liveEvery = liveEvery
        options.loop.liveInterval = .milliseconds(Int64(liveInterval * 1000))
        // The loop needs the store; a server that cannot open it (a read-only container) still serves.
        do { options.store = try repository.openStore() } catch {
            if follow != nil { try reportingErrors { () throws -> Void in throw error } }
            FileHandle.standardError.write(
                Data("mf: warning: serving without the prediction log and feedback: the store in \(repository.homeURL.path) cannot be opened: \(error)\n".utf8))
        }
        try await reportingErrors {
            let notifier = notify.isEmpty ? nil : Notifier(urls: notify.compactMap(URL.init(string:)), dashboard: DashboardAddress.resolve(uiURL))
            // Following an environment: its store and repository, where decisions and alerts are events.
            var followed: (store: any FactoryStore, location: String)?
            if let follow {
                let store = try options.store ?? repository.openStore()
                let location = try FollowedRepository.identity(repository, store: store)
                followed = (store, location)
                options.events = EventLog(store: store, repository: location, environment: follow)
            }
            if ui {
                let token = uiToken ?? ProcessInfo.processInfo.environment["MF_UI_TOKEN"]
                try Dashboard.check(host: host, token: token)
                options.dashboard = Dashboard(
                    store: try options.store ?? repository.openStore(), options: .init(home: repository.homeURL, token: token))
            }
            let drift = DriftAlertSink(events: options.events, notifier: notifier, repository: followed?.location ?? "")
            options.onDriftAlert = { drift.receive($0) }
            let registry = ModelRegistry(options: options)
            for bundle in bundles { try await registry.load(URL(fileURLWithPath: bundle)) }
            var services: [any Service] = []
            if let follow, let (store, location) = followed {
                let rollouts = RolloutDriver(
                    registry: registry, store: store, repository: location, environment: follow,
                    signals: LoopRolloutSignals(registry: registry, store: store), notifier: notifier)
                let follower = EnvironmentFollower(
                    registry: registry, store: store, repository: location, environment: follow, rollouts: rollouts)
                try await follower.catchUp()
                guard !registry.models().isEmpty else {
                    throw ServeError(.notFound, "the environment '\(follow)' names no bundle yet; run mf reconcile first")
                }
                services.append(follower)
            }
            for spec in abTests {
                let (model, versions) = try Self.parse(spec, flag: "--ab")
                var weights: [String: Int] = [:]
                for part in versions.split(separator: ",") {
                    let pieces = part.split(separator: ":")
                    guard pieces.count == 2, let weight = Int(pieces[1]) else { throw ValidationError("--ab \(spec): expected VERSION:WEIGHT pairs") }
                    weights[String(pieces[0])] = weight
                }
                var policy = registry.policy(for: model) ?? TrafficPolicy()
                policy.weights = weights
                policy.stickyHeader = stickyHeader
                try registry.setPolicy(policy, for: model)
            }
            for spec in shadows {
                let (model, version) = try Self.parse(spec, flag: "--shadow")
                var policy = registry.policy(for: model) ?? TrafficPolicy()
                policy.shadow = version
                try registry.setPolicy(policy, for: model)
            }
            let host = self.host
            let application = buildApplication(registry: registry, options: options, services: services) { port in
                let served = registry.models().map { "\($0.name) \($0.current ?? "?")" }.joined(separator: ", ")
                FileHandle.standardOutput.write(Data("listening on http://\(host):\(port) serving \(served)\n".utf8))
            }
            try await runUntilSignalled(application, shutdownGrace: options.shutdownGrace)
        }
    }

    static func parse(_ spec: String, flag: String) throws -> (String, String) {
        let parts = spec.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw ValidationError("\(flag) \(spec): expected MODEL=…") }
        return (String(parts[0]), String(parts[1]))
    }
}
