import ArgumentParser
import Foundation
import GitKit
import ModelFactory
import Store

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the branches by role, the newest release and what breaks the rules.",
        discussion: """
            Roles: the production line (master or main), the development line (development or \
            develop), feature/*, hotfix/*, release/* and other branches. Names come from \
            .mf/flow.yaml, else git-flow's git config (gitflow.branch.*, gitflow.prefix.*), else \
            from the branches that exist.

            --json prints {head, configuration, production, development, features, hotfixes, \
            releases, other, latestRelease, latestReleases, ignoredTags, violations}; the branch \
            entries are {branch, commit}, `releases` are the release/* branches, and \
            latestRelease is an object as in `mf versions --json`, or null; rollouts are \
            {environment, model, from, to, state, percent, serving, reason} for each release the \
            environment wants that mf serve --follow is rolling out or rolled back (state running or \
            rolled_back; serving is the release that serves the model there now); drift lists \
            {environment, model, version, field, psi, threshold, since} for each input drift alert \
            mf serve --follow raised and has not cleared (model.yaml's monitor.psi); environments are \
            {name, model, desired, ref, current, reason}: the release each environment should run, \
            the one `mf reconcile` last set, and why they differ (in a repository of several models, \
            one per model, each with that model's own reason: its failed session or its broken \
            model.yaml); candidates lists {model, version, entry, dataSha256, session, releaseTag, \
            firedAt} for each scheduled retrain (.mf/schedule.yaml) that passed its gates and is \
            proposed, never served until releaseTag is pushed; unbundled lists {tag, version, model, session, reason} for every release \
            tag whose session failed (it gets no bundle).
            """
    )

    @OptionGroup var options: RepositoryOptions

    func run() throws {
        try reportingErrors {
            let flow = try options.readFlow()
            // The store is read only when it exists: status never creates one.
            var environments: [EnvironmentStatus] = []
            var unbundled: [UnbundledRelease] = []
            var rollouts: [RolloutStatus] = []
            var drift: [DriftStatus] = []
            var candidates: [ProposedCandidate] = []
            if options.hasStore {
                let repository = try options.openRepository()
                let store = try options.openStore()
                environments = try Reconciler.environments(flow: flow, repository: repository, store: store)
                unbundled = try Reconciler.unbundled(flow: flow, repository: repository, store: store)
                let identity = try RepositoryIdentity(repository).name
                rollouts = try RolloutStatus.explaining(repository: identity, store: store)
                drift = try DriftStatus.open(repository: identity, store: store)
                candidates = try ProposedCandidate.read(store: store, repository: identity, flow: flow)
            }
            if options.json {
                try printJSON(
                    Report(flow: flow, environments: environments, unbundled: unbundled, rollouts: rollouts, drift: drift, candidates: candidates))
            } else {
                print(Status.render(flow))
                if !environments.isEmpty { print(Status.render(environments)) }
                for release in unbundled { print("Release \(release.tag) has no bundle: \(release.reason)") }
                for rollout in rollouts { print(rollout.line) }
                for alert in drift { print(alert.line) }
                for candidate in candidates { print("Model \(candidate.model): \(candidate.summary)") }
            }
        }
    }

    /// The flow's JSON with the environments beside it.
    struct Report: Encodable {
        let flow: Flow
        let environments: [EnvironmentStatus]
        let unbundled: [UnbundledRelease]
        let rollouts: [RolloutStatus]
        let drift: [DriftStatus]
        let candidates: [ProposedCandidate]
        enum Keys: String, CodingKey { case environments, unbundled, rollouts, drift, candidates }
        func encode(to encoder: any Encoder) throws {
            try flow.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(environments, forKey: .environments)
            try container.encode(unbundled, forKey: .unbundled)
            try container.encode(rollouts, forKey: .rollouts)
            try container.encode(drift, forKey: .drift)
            try container.encode(candidates, forKey: .candidates)
        }
    }

    static func render(_ environments: [EnvironmentStatus]) -> String {
        environments.map { environment in
            let model = environment.model.map { " (\($0))" } ?? ""
            return "Environment \(environment.name)\(model): desired \(environment.desired) (\(environment.ref)), current \(environment.current ?? "none")"
                + (environment.reason.map { " — \($0)" } ?? "")
        }.joined(separator: "\n")
    }

    /// Where the branch names came from, as a sentence.
    static func namesLine(_ source: FlowConfiguration.Source) -> String {
        switch source {
        case .file: "Flow names from \(FlowConfiguration.filePath)."
        case .gitConfig: "Flow names from git config (gitflow.branch.*, gitflow.prefix.*)."
        case .detected: "Flow names detected from the branches."
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
        lines.append(namesLine(flow.configuration.source))
        if flow.violations.isEmpty {
            lines.append("The repository follows the flow rules.")
        } else {
            lines.append("Rule violations (\(flow.violations.count)):")
            lines += flow.violations.map { "  - \($0.description)" }
        }
        return lines.joined(separator: "\n")
    }
}
