import ArgumentParser
import Foundation
import GitKit
import ModelFactory
import ModelKit
import Store

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Walk a model through its whole life: scaffold, feature, release, hotfix, reconcile, bundles, serving.",
        discussion: """
            In a new folder (--path, default a temporary one) with its own factory home \
            (--home, default PATH/home): scaffolds a repository from the python-model template, \
            works on a feature branch and merges it into development, releases v1.0.0 on master, \
            fixes it on a hotfix branch released as v1.0.1 and merged back, starts another \
            feature, then runs mf reconcile and shows the bundles, the environments and a \
            verified bundle. Then it serves production (mf serve --follow production on a free \
            loopback port), asks it for one v1 prediction and one v2 inference (shown as curl \
            lines to copy), releases v1.1.0 through the flow, reconciles while a client keeps \
            sending requests, shows the server swapping to 1.1.0 with none failed, and stops the \
            server (also on an error or ^C). Between the two releases it shows the production loop: \
            the rows of data/test.csv sent to production, their true churned labels posted back as \
            feedback, and the live metrics mf serve computes from them (--live-every 50) beside the \
            offline ones (mf metrics --compare, mf metrics --live); the same rows with \
            monthly_charges ×4, the drift of every input field (GET /v2/models/churn/stats) and the \
            alert mf status shows; and, as the rollout block the story committed in \
            .mf/traffic.yaml on development before the open feature declares, v1.1.0 serving 10%, \
            50%, then 100% of the traffic before it is promoted (mf history production). Every git step goes through libgit2; the commands a \
            person would type are printed beside each. The first run installs scikit-learn from \
            PyPI into the factory's shared environment (about 30 s).

            --flow-only makes only the small sample repository of the branch flow (no build) at \
            --path and shows mf versions and mf status for it.

            --json prints {workspace, repository, home, steps, reconcile, bundles, environments, \
            serve: {url, v1, v2, swap: {requests, failed, versions}, loop: {feedback: {received, \
            joined, unknown}, live: {session, time, version, rows, status, failure, metrics}, \
            drift: the /stats answer {model, version, threshold, window, fields: [{name, psi, \
            missing_share, out_of_schema_share, alert}], …}, rollout: [{id, time, model, kind, from, \
            to, reason, cause, details}] (oldest first)}}}; reconcile is the first run's.
            """
    )

    @Option(help: ArgumentHelp("Where to work (must not exist); default: a new temporary folder.", valueName: "path"), completion: .directory)
    var path: String?

    @Option(help: ArgumentHelp("The factory's home for the demo; default: a home folder inside --path.", valueName: "dir"), completion: .directory)
    var home: String?

    @Option(
        name: .long, help: ArgumentHelp("The folder of built-in templates (default: $MF_TEMPLATES, else this installation's).", valueName: "dir"),
        completion: .directory)
    var templates: String?

    @Flag(help: "Only make the sample repository of the branch flow and show it (no build).")
    var flowOnly = false

    @Flag(help: "Print JSON (see above).")
    var json = false

    func run() async throws {
        let target =
            path.map { URL(fileURLWithPath: $0).standardizedFileURL }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("mf-demo-\(UUID().uuidString.prefix(8))")
        if flowOnly { return try showFlow(at: target.path) }
        let home = home.map { URL(fileURLWithPath: $0).standardizedFileURL } ?? target.appendingPathComponent("home")
        try await reportingErrors {
            if let templates { try InputFile.folder(templates, option: "--templates") }
            let story = DemoStory(workspace: target, home: home, templates: BuiltInTemplates.find(override: templates))
            let transcript = Transcript(quiet: json)
            let repository = try await story.walk(narrate: transcript.narrate)
            let store = try openStore(home: home)
            let reconciler = Reconciler(pipeline: Pipeline(store: store, home: home, modelKit: Installation.modelKit))
            let cache = home.appendingPathComponent("cache")
            let shown = "--repo \(repository.location) --home \(home.path)"
            let reconcile = { (title: String) async throws -> ReconcileReport in
                transcript.begin(DemoStory.Step(title: title, commands: ["mf reconcile \(shown)"], commit: nil))
                let report = try await reconciler.reconcile(repository, cache: cache, observer: json ? nil : StepPrinter(indent: "   "))
                if !json { for action in report.actions { print("   \(action.kind) \(action.target): \(action.outcome) \(action.detail)") } }
                return report
            }
            let report = try await reconcile("Let the factory converge on what git says")
            let flow = try Flow.read(repository, checkingRules: false, cache: cache)
            let environments = try Reconciler.environments(flow: flow, repository: repository, store: store)
            let bundles = try Bundles.rows(store)
            if !json { print() }
            transcript.begin(DemoStory.Step(title: "What the factory made", commands: ["mf bundles --home \(home.path)"], commit: nil))
            if !json {
                print(Bundles.render(bundles).split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))
                print("\n   $ mf status \(shown)")
                print(Status.render(environments).split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))
            }
            guard let production = environments.first(where: { $0.name == "production" }),
                let bundle = bundles.first(where: { $0.version == production.current })
            else {
                throw DemoError.serverDidNotStart(log: "-", why: "the production environment names no bundle after mf reconcile")
            }
            if !json {
                let (manifest, differences) = try BundleVerifier.verify(URL(fileURLWithPath: bundle.archive))
                print("\n   $ mf verify \(bundle.archive)")
                print("   \(manifest.model) \(manifest.version): \(differences.isEmpty ? "intact" : "DIFFERS") (\(counted(manifest.files.count, "file")))\n")
            }
            let served = try await serve(
                story: story, repository: repository, home: home, bundle: URL(fileURLWithPath: bundle.path), version: bundle.version, store: store,
                transcript: transcript, reconcile: reconcile)
            if json {
                try printJSON(
                    Report(
                        workspace: target.path, repository: repository.location, home: home.path, steps: transcript.steps, reconcile: report,
                        bundles: bundles, environments: environments, serve: served))
                return
            }
            print(
                "\nEverything is kept in \(target.path): try `mf sessions \(shown)`, `mf metrics --compare 1.0.1 1.1.0 \(shown)`, `mf serve --follow production \(shown)`, or the dashboard: `mf ui --home \(home.path)` (http://127.0.0.1:8090/ui)."
            )
        }
    }

    /// The served part of the story: production served and asked on both APIs; its answers
    /// labelled (live metrics), its inputs shifted (a drift alert); the next release rolled out
    /// step by step under a client that never pauses and promoted; then the server stopped.
    func serve(
        story: DemoStory, repository: Repository, home: URL, bundle: URL, version: String, store: any FactoryStore, transcript: Transcript,
        reconcile: (String) async throws -> ReconcileReport
    ) async throws -> Served {
        let executable = Bundle.main.executableURL?.path ?? CommandLine.arguments[0]
        let log = URL(fileURLWithPath: repository.location).deletingLastPathComponent().appendingPathComponent("serve.log")
        // Live metrics soon after labels arrive (every 50 labels, or each second the labelled rows
        // changed); drift recorded every second, for the dashboard's charts.
        let server = try await DemoServer.start(
            mf: executable, repository: repository.location, home: home,
            options: ["--live-every", "50", "--live-interval", "1", "--drift-sample-seconds", "1"],
            log: log)
        // Whatever happens from here (an error, ^C), the server is stopped before the demo ends.
        let interrupts = StopOnSignals { server.beginStopping() }
        defer {
            server.beginStopping()  // on an error; the normal end waits for it below
            interrupts.cancel()
        }
        let title = "Serve production, as a user would, and ask it for predictions"
        let requests = try DemoRequests(bundle: bundle)
        let v1 = try await server.post(requests.v1Path, json: requests.v1)
        let v2 = try await server.post(requests.v2Path, json: requests.v2)
        guard v1.status == 200, v2.status == 200 else {
            throw DemoError.serverDidNotStart(log: log.path, why: "it answered \(v1.status) and \(v2.status): \(v1.body) \(v2.body)")
        }
        let curl = { (path: String, body: Data) in
            "curl -s \(server.url.absoluteString)\(path) -H 'Content-Type: application/json' -d '\(String(decoding: body, as: UTF8.self))'"
        }
        transcript.begin(DemoStory.Step(title: title, commands: [server.command.joined(separator: " ") + " &"], commit: nil))
        transcript.record(commands: [curl(requests.v1Path, requests.v1), curl(requests.v2Path, requests.v2)])
        if !json {
            print("   listening on \(server.url.absoluteString) (log: \(log.path))\n")
            print("   $ \(curl(requests.v1Path, requests.v1))")
            print("   \(v1.body)   (X-Model-Version: \(v1.version ?? "?"))\n")
            print("   $ \(curl(requests.v2Path, requests.v2))")
            print("   \(v2.body)\n")
        }
        if !json { print() }

        // The loop: labelled feedback and live metrics, then drifted inputs.
        let manifest = try Manifest.parse(
            String(contentsOf: bundle.appendingPathComponent("model.yaml"), encoding: .utf8), file: bundle.appendingPathComponent("model.yaml").path)
        let traffic = try DemoTraffic(manifest: manifest, data: URL(fileURLWithPath: repository.location).appendingPathComponent(manifest.evaluate.data))
        let (model, before, next) = (manifest.name, version, "1.1.0")
        let identity = try RepositoryIdentity(repository).name
        let shown = "--repo \(repository.location) --home \(home.path)"
        let (feedback, live) = try await showFeedback(
            traffic, server: server, model: model, version: before, previous: "1.0.0", data: manifest.evaluate.data, repository: identity,
            store: store, shown: shown, home: home, transcript: transcript)
        let drift = try await showDrift(
            traffic, field: "monthly_charges", factor: 4, server: server, model: model, version: before, repository: identity, store: store,
            shown: shown, transcript: transcript)

        // The next release, rolled out as .mf/traffic.yaml (on development since the story began
        // the feature) declares, once the release carries it to master: the reconcile records
        // the declaration in the store before it moves production, and the server reads both.
        try story.releaseNext(repository, narrate: transcript.narrate)
        let bodies = try traffic.instances.map { try DemoTraffic.predictBody([$0]) }
        var decisions: [Event] = []
        let promoted = { () throws -> Bool in
            decisions = try Self.rollout(of: model, to: next, repository: identity, store: store, log: log.path) ?? []
            return !decisions.isEmpty
        }
        let swap = try await server.watchSwap(to: next, path: requests.v1Path, bodies: bodies, until: promoted) {
            _ = try await reconcile("Reconcile while a client keeps asking: production rolls \(next) out step by step and promotes it, no request failed")
        }
        if !json {
            let counts = swap.versions.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
            print("   client: \(counted(swap.requests, "request")) while production moved \(before) -> \(next), \(swap.failed) failed (answered by \(counts))")
            if let failure = swap.firstFailure { print("   first failure: \(failure)") }
            let events = try store.events(repository: identity, environment: "production", model: model, before: nil, limit: 50)
            print("\n   $ mf history production --model \(model) \(shown)")
            print(indented(History.render(events)))
        }
        transcript.record(commands: ["mf history production --model \(model) \(shown)"])
        await server.stop()
        if !json { print("\n   server stopped (SIGTERM: it finished what it had in hand)") }
        guard swap.failed == 0 else {
            throw DemoError.noSwap(version: "\(next) without failures (\(swap.failed) of \(swap.requests) failed: \(swap.firstFailure ?? "")", log: log.path)
        }
        return Served(
            url: server.url.absoluteString, v1: try? JSONValue(json: Data(v1.body.utf8)), v2: try? JSONValue(json: Data(v2.body.utf8)),
            swap: swap, loop: Loop(feedback: feedback, live: LiveRow(live), drift: drift, rollout: decisions.map(EventSummary.init)))
    }

    /// The story's steps as they are told: numbered, with their commands, on stdout unless quiet.
    final class Transcript {
        private(set) var steps: [DemoStory.Step] = []
        let quiet: Bool

        init(quiet: Bool) { self.quiet = quiet }

        /// A whole step, done: title, commands, and the commit it made.
        func narrate(_ step: DemoStory.Step) {
            begin(step)
            if let commit = step.commit, !quiet { print("   -> \(commit.count == 40 ? String(commit.prefix(8)) : commit)") }
            if !quiet { print() }
        }

        /// A step whose output follows.
        func begin(_ step: DemoStory.Step) {
            steps.append(step)
            guard !quiet else { return }
            print("== \(steps.count). \(step.title)")
            for command in step.commands { print("   $ \(command)") }
        }

        /// Commands of the current step that were shown with their output.
        func record(commands: [String]) {
            guard let last = steps.indices.last else { return }
            steps[last] = DemoStory.Step(title: steps[last].title, commands: steps[last].commands + commands, commit: steps[last].commit)
        }

        /// A command of the current step, printed with its output below it.
        func show(_ command: String, output: String) {
            record(commands: [command])
            guard !quiet else { return }
            print("   $ \(command)")
            print(indented(output) + "\n")
        }
    }

    struct Served: Encodable {
        let url: String
        let v1: JSONValue?
        let v2: JSONValue?
        let swap: DemoServer.Swap
        let loop: Loop
    }

    struct Report: Encodable {
        let workspace, repository, home: String
        let steps: [DemoStory.Step]
        let reconcile: ReconcileReport
        let bundles: [Bundles.Row]
        let environments: [EnvironmentStatus]
        let serve: Served
    }

    func showFlow(at target: String) throws {
        try reportingErrors {
            let repository = try DemoRepository.create(at: target)
            let flow = try Flow.read(repository)
            if json {
                try printJSON(flow)
                return
            }
            print("Created a sample model repository at \(repository.location)\n")
            print("$ mf versions --repo \(repository.location)")
            print(Versions.render(flow.releases))
            print("\n$ mf status --repo \(repository.location)")
            print(Status.render(flow))
        }
    }
}

/// Runs `stop` on SIGINT or SIGTERM, then exits as the signal asks (130 or 143), so a child the
/// command started does not outlive it; `cancel()` gives the signals back.
final class StopOnSignals: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []

    init(_ stop: @escaping @Sendable () -> Void) {
        for signal in [SIGINT, SIGTERM] {
            Foundation.signal(signal, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler {
                stop()
                exit(128 + signal)
            }
            source.resume()
            sources.append(source)
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
        sources = []
        Foundation.signal(SIGINT, SIG_DFL)
        Foundation.signal(SIGTERM, SIG_DFL)
    }
}
