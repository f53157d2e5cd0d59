import ArgumentParser
import Foundation
import ModelFactory

struct Reconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make the factory's state match the repository: sessions, bundles, environments.",
        discussion: """
            From the refs: a session for each feature and hotfix head that has none, a bundle for \
            each release tag whose session passes its gates (a tag that fails gets none, and the \
            reason is reported), and the production environment on the newest bundled release of \
            the production line. Only what is missing is done; runs on one repository wait for \
            each other.

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
        for environment in report.environments { print("\(environment.name): \(environment.model) \(environment.version) (\(environment.tag))") }
    }
}
