import ArgumentParser
import Foundation
import ModelFactory

struct Reconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Make the factory's state match the repository: sessions, bundles, environments.",
        discussion: """
            From the refs: a session for each feature and hotfix head that has none, a bundle for \
            each release tag whose session passes its gates (a tag that fails gets none, and the \
            reason is reported), a staging bundle of the development head (version: the next minor \
            after the newest release, marked dev and the commit, as 1.1.0-dev.g0eeac3d), the \
            production environment on the newest bundled release of the production line, and \
            staging on the development head's bundle. Only what is missing is done; runs on one \
            repository wait for each other.

            --json prints {actions: [{kind, target, outcome, detail}], environments: [...]}.
            Exit status: 0 converged (even when a release failed its gates), 2 an error.
            """
    )

    @OptionGroup var options: RepositoryOptions

    func run() async throws {
        let report = try await reportingErrors {
            let reconciler = Reconciler(pipeline: Pipeline(store: try options.openStore(), home: options.homeURL))
            return try await reconciler.reconcile(try options.openRepository(), cache: options.cacheURL)
        }
        if options.json { try printJSON(report); return }
        if report.actions.isEmpty { print("Nothing to do: the factory matches the repository.") }
        for action in report.actions { print("\(action.kind) \(action.target): \(action.outcome) \(action.detail)") }
        for environment in report.environments {
            print("\(environment.name): \(environment.model) \(environment.version)" + (environment.tag.isEmpty ? "" : " (\(environment.tag))"))
        }
    }
}
