import ArgumentParser
import Foundation
import GitKit
import ModelFactory

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Walk a model through its whole life: scaffold, feature, release, hotfix, reconcile, bundles.",
        discussion: """
            In a new folder (--path, default a temporary one) with its own factory home \
            (--home, default PATH/home): scaffolds a repository from the python-model template, \
            works on a feature branch and merges it into development, releases v1.0.0 on master, \
            fixes it on a hotfix branch released as v1.0.1 and merged back, starts another \
            feature, then runs mf reconcile and shows the bundles, the environments and a \
            verified bundle. Every git step goes through libgit2; the commands a person would \
            type are printed beside each. The first run installs scikit-learn from PyPI into the \
            factory's shared environment (about 30 s).

            --flow-only makes only the small sample repository of the branch flow (no build) at \
            --path and shows mf versions and mf status for it.

            --json prints {workspace, repository, home, steps, reconcile, bundles, environments}.
            """
    )

    @Option(help: ArgumentHelp("Where to work (must not exist); default: a new temporary folder.", valueName: "path"))
    var path: String?

    @Option(help: ArgumentHelp("The factory's home for the demo; default: a home folder inside --path.", valueName: "dir"))
    var home: String?

    @Option(name: .long, help: ArgumentHelp("The folder of built-in templates (default: $MF_TEMPLATES, else this installation's).", valueName: "dir"))
    var templates: String?

    @Flag(help: "Only make the sample repository of the branch flow and show it (no build).")
    var flowOnly = false

    @Flag(help: "Print JSON (see above).")
    var json = false

    func run() async throws {
        let target = path.map { URL(fileURLWithPath: $0).standardizedFileURL }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("mf-demo-\(UUID().uuidString.prefix(8))")
        if flowOnly { return try showFlow(at: target.path) }
        let home = home.map { URL(fileURLWithPath: $0).standardizedFileURL } ?? target.appendingPathComponent("home")
        try await reportingErrors {
            let story = DemoStory(workspace: target, home: home, templates: BuiltInTemplates.find(override: templates))
            var steps: [DemoStory.Step] = []
            let repository = try story.walk { step in
                steps.append(step)
                guard !json else { return }
                print("== \(steps.count). \(step.title)")
                for command in step.commands { print("   $ \(command)") }
                if let commit = step.commit { print("   -> \(commit.count == 40 ? String(commit.prefix(8)) : commit)") }
                print()
            }
            let store = try Store(path: home.appendingPathComponent("factory.sqlite").path)
            let reconciler = Reconciler(pipeline: Pipeline(store: store, home: home))
            let shown = "--repo \(repository.location) --home \(home.path)"
            if !json { print("== \(steps.count + 1). Let the factory converge on what git says\n   $ mf reconcile \(shown)") }
            let report = try await reconciler.reconcile(repository, cache: home.appendingPathComponent("cache"), observer: json ? nil : StepPrinter(indent: "   "))
            let flow = try Flow.read(repository, checkingRules: false, cache: home.appendingPathComponent("cache"))
            let environments = try Reconciler.environments(flow: flow, repository: repository, store: store)
            let bundles = try Bundles.rows(store)
            if json {
                try printJSON(Report(
                    workspace: target.path, repository: repository.location, home: home.path, steps: steps, reconcile: report,
                    bundles: bundles, environments: environments))
                return
            }
            for action in report.actions { print("   \(action.kind) \(action.target): \(action.outcome) \(action.detail)") }
            print("\n== \(steps.count + 2). What the factory made\n   $ mf bundles --home \(home.path)")
            print(Bundles.render(bundles).split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))
            print("\n   $ mf status \(shown)")
            print(Status.render(environments).split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))
            if let production = environments.first(where: { $0.name == "production" }),
               let bundle = bundles.first(where: { $0.version == production.current }) {
                let (manifest, differences) = try BundleVerifier.verify(URL(fileURLWithPath: bundle.archive))
                print("\n   $ mf verify \(bundle.archive)")
                print("   \(manifest.model) \(manifest.version): \(differences.isEmpty ? "intact" : "DIFFERS") (\(manifest.files.count) files)")
            }
            print("\nEverything is kept in \(target.path): try `mf sessions \(shown)` or `mf metrics --compare 1.0.0 1.0.1 \(shown)`.")
        }
    }

    struct Report: Encodable {
        let workspace, repository, home: String
        let steps: [DemoStory.Step]
        let reconcile: ReconcileReport
        let bundles: [Bundles.Row]
        let environments: [EnvironmentStatus]
    }

    func showFlow(at target: String) throws {
        try reportingErrors {
            let repository = try DemoRepository.create(at: target)
            let flow = try Flow.read(repository)
            if json { try printJSON(flow); return }
            print("Created a sample model repository at \(repository.location)\n")
            print("$ mf versions --repo \(repository.location)")
            print(Versions.render(flow.releases))
            print("\n$ mf status --repo \(repository.location)")
            print(Status.render(flow))
        }
    }
}
