import ArgumentParser
import ModelFactory

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the repository against the flow rules.",
        discussion: """
            Rules: a release tag is reachable from the production line; versions grow along \
            it; a hotfix branch forks from a release on the production line; a feature branch \
            forks from the development line; no two tags name one version of one model; version \
            tags are well formed, tag commits (not trees, blobs or other tags), and every \
            reference resolves.

            Exit status: 0 no violations, 1 violations (one per line, or --json: an array of \
            {rule, message, refs, commits}), 2 the repository could not be read.
            """
    )

    @OptionGroup var options: RepositoryOptions

    func run() throws {
        var flow = try reportingErrors { try options.readFlow() }
        flow.violations += flow.scheduleViolations(try reportingErrors { try options.openRepository() })
        if options.json {
            try printJSON(flow.violations)
        } else if flow.violations.isEmpty {
            print("No violations.")
        } else {
            for violation in flow.violations { print(violation.description) }
        }
        if !flow.violations.isEmpty { throw ExitCode(1) }
    }
}
