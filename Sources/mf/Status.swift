import ArgumentParser
import GitKit
import ModelFactory

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the branches by role, the newest release and what breaks the rules.",
        discussion: """
            Roles: the production line (master or main), the development line (development or \
            develop), feature/*, hotfix/*, release/* and other branches. Names come from \
            .mf/flow.yaml, else git-flow's git config (gitflow.branch.*, gitflow.prefix.*), else \
            from the branches that exist.

            --json prints {head, configuration, production, development, features, hotfixes, \
            releases, other, latestRelease, latestReleases, ignoredTags, violations}; the branch \
            entries are {branch, commit}, `releases` are the release/* branches, and \
            latestRelease is an object as in `mf versions --json`, or null.
            """
    )

    @OptionGroup var options: RepositoryOptions

    func run() throws {
        try reportingErrors {
            let flow = try options.readFlow()
            if options.json {
                try printJSON(flow)
            } else {
                print(Status.render(flow))
            }
        }
    }

    static func render(_ flow: Flow) -> String {
        func line(_ head: BranchHead?, missing: String) -> String {
            guard let head else { return missing }
            return "\(head.branch) \(head.commit?.short ?? "(broken)")"
        }
        var lines: [String] = []
        let headText: String
        switch (flow.head.branch, flow.head.commit) {
        case (let branch?, nil): headText = "\(Reference.shortName(of: branch)) (no commits yet)"
        case (let branch?, let commit?): headText = "\(Reference.shortName(of: branch)) \(commit.short)"
        case (nil, let commit): headText = "detached at \(commit?.short ?? "?")"
        }
        lines.append("HEAD:        \(headText)")
        lines.append("Production:  \(line(flow.production, missing: "none"))")
        lines.append("Development: \(line(flow.development, missing: "none"))")
        for (title, heads) in [("Features", flow.features), ("Hotfixes", flow.hotfixes), ("Releases", flow.releaseBranches), ("Other", flow.other)]
        where !heads.isEmpty {
            lines.append("\(title):")
            lines += heads.map { "  \($0.branch) \($0.commit?.short ?? "(broken)")" }
        }
        let latest = flow.latestReleases
        if latest.isEmpty {
            lines.append("Latest release: none")
        } else {
            for release in latest {
                let model = release.model.map { " (\($0))" } ?? ""
                lines.append("Latest release\(model): \(release.tag) \(release.commit.short)\(release.hotfix ? " (hotfix)" : "")")
            }
        }
        lines.append("Flow names from \(flow.configuration.source.rawValue).")
        if flow.violations.isEmpty {
            lines.append("The repository follows the flow rules.")
        } else {
            lines.append("Rule violations (\(flow.violations.count)):")
            lines += flow.violations.map { "  - \($0.description)" }
        }
        return lines.joined(separator: "\n")
    }
}
