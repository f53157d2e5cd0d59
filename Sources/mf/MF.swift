import ArgumentParser
import GitKit
import ModelFactory

@main
struct MF: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mf",
        abstract: "Model Factory: turn model git repositories into deployable services.",
        discussion: """
            Git is the source of truth: branches say where a model is in its life (feature, \
            development, production, hotfix), version tags say what is released. Every command \
            reads the repository through libgit2 and never changes it unless it says so.

            Exit status: 0 success; 1 the thing checked failed (rule violations); 2 an error \
            (not a repository, unreadable objects, bad configuration); 64 bad usage.

            Shell completion (subcommands, options, their values, built-in templates): \
            mf --generate-completion-script bash|zsh|fish > FILE, installed where your shell \
            loads completions (see the README).
            """,
        version: factoryVersion,
        subcommands: [
            Scaffold.self, Versions.self, Status.self, Check.self, Build.self, Sessions.self, Metrics.self, Predict.self, BundleCommand.self, Bundles.self,
            Verify.self, Reconcile.self, Serve.self, FeedbackCommand.self, ReplayCommand.self, WorkerCommand.self, Jobs.self, Enqueue.self, Hook.self,
            Webhook.self, Watch.self, Report.self,
            ModelKitCommand.self, Demo.self, History.self, UI.self,
            StoreCommand.self,
            ScheduleCommand.self,
            Score.self,
            Validate.self,
        ]
    )

    /// libgit2 starts on another thread while the arguments are parsed.
    static func main() async {
        prepareLibgit2InBackground()
        await main(nil)
    }
}
