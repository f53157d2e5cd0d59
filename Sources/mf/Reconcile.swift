import ArgumentParser
import Foundation
import ModelFactory
import Store

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
            repository wait for each other. In a repository of several models (models/NAME/model.yaml) \
            each model is reconciled on its own: one that fails is reported for itself and holds up \
            none of the others. A failed session (a feature head's, a tag's) is not run again; each \
            run reports it, and `mf build --force REF` runs it again.

            --json prints {actions: [{kind, target, outcome, detail, model, version, ref}], \
            environments: [{repository, model, name, version, tag, commit, bundle, updatedAt}]}: \
            a missing model, version, ref or tag is null (a staging environment has no tag), and \
            updatedAt is ISO 8601.
            Exit status: 0 converged (even when a release failed its gates), 2 an error.
            """
    )

    @OptionGroup var options: RepositoryOptions

    func run() async throws {
        let report = try await reportingErrors {
            let reconciler = Reconciler(pipeline: Pipeline(store: try options.openStore(), home: options.homeURL, modelKit: Installation.modelKit))
            return try await reconciler.reconcile(try options.openRepository(), cache: options.cacheURL)
        }
        if options.json {
            try printJSON(report)
            return
        }
        if report.actions.isEmpty { print("Nothing to do: the factory matches the repository.") }
        for action in report.actions { print("\(action.kind) \(action.target): \(action.outcome) \(action.detail)") }
        for environment in report.environments {
            print("\(environment.name): \(environment.model) \(environment.version)" + (environment.tag.map { " (\($0))" } ?? ""))
        }
    }
}
