internal import GitKit

extension Flow {
    /// Checks the rules of DESIGN.md "Flow" that need history: where releases sit on the
    /// production line, in what order, and where hotfix and feature branches fork.
    mutating func checkRules(
        _ repository: Repository, graph: CommitGraph, productionLine: CommitGraph.Ancestry?
    ) throws(GitError) {
        guard let production, let productionHead = production.commit, let productionLine else {
            if production == nil {
                let name =
                    configuration.production.map { "'\($0)' (named by \(configuration.source.rawValue)) does not exist" }
                    ?? "there is no branch named master or main"
                violations.append(
                    Violation(
                        rule: .noProductionLine, message: "the repository has no production line: \(name)", refs: [], commits: []))
            }
            return
        }
        checkDuplicates()
        for release in releases where !release.productionLine {
            violations.append(
                Violation(
                    rule: .releaseNotOnProductionLine,
                    message:
                        "tag '\(release.tag)' (\(release.commit.short)) is not reachable from the production line '\(production.branch)' (\(productionHead.short))",
                    refs: ["refs/tags/" + release.tag, "refs/heads/" + production.branch], commits: [release.commit, productionHead]))
        }
        checkVersionOrder(graph, head: productionHead)
        try checkHotfixes(repository, graph: graph, productionLine: productionLine)
        checkFeatures(graph)
    }

    private mutating func checkDuplicates() {
        let groups = Dictionary(grouping: releases) { VersionKey(model: $0.model, version: $0.version) }
        for (key, tags) in groups.sorted(by: { $0.value[0].tag < $1.value[0].tag }) where tags.count > 1 {
            let names = tags.map { "'\($0.tag)' (\($0.commit.short))" }.joined(separator: ", ")
            let model = key.model.map { " of model \($0)" } ?? ""
            violations.append(
                Violation(
                    rule: .duplicateVersion, message: "tags \(names) all name version \(key.version)\(model); keep one",
                    refs: tags.map { "refs/tags/" + $0.tag }, commits: tags.map(\.commit)))
        }
    }

    /// Versions must grow along the production line. Each release is placed where it joined the
    /// first-parent history of the production line (a release-branch tip tagged before its
    /// `--no-ff` merge joins at the merge), and must not be lower than any release placed before.
    private mutating func checkVersionOrder(_ graph: CommitGraph, head: ObjectID) {
        let onLine = releases.filter(\.productionLine)
        guard onLine.count > 1 else { return }
        let joined = graph.joinPositions(along: head)
        let byModel = Dictionary(grouping: onLine) { $0.model ?? "" }
        for (_, models) in byModel.sorted(by: { $0.key < $1.key }) {
            let ordered = models.sorted { (left: Release, right: Release) in
                let l = joined[left.commit] ?? 0
                let r = joined[right.commit] ?? 0
                if l != r { return l < r }
                // Joined at the same point: the older commit first, else the lower version.
                if left.commit != right.commit {
                    if graph.isAncestor(left.commit, of: right.commit) { return true }
                    if graph.isAncestor(right.commit, of: left.commit) { return false }
                }
                return left.version < right.version
            }
            var highest: Release?
            for release in ordered {
                if let top = highest, release.version < top.version {
                    violations.append(
                        Violation(
                            rule: .versionOrder,
                            message:
                                "tag '\(release.tag)' (\(release.commit.short)) comes after '\(top.tag)' (\(top.commit.short)) on the production line but names a lower version",
                            refs: ["refs/tags/" + top.tag, "refs/tags/" + release.tag], commits: [top.commit, release.commit]))
                } else if highest == nil || release.version > highest!.version {
                    highest = release
                }
            }
        }
    }

    /// A hotfix branch must fork from a release on the production line: its merge base with the
    /// production line is a release commit, or a commit of the production line's own
    /// (first-parent) history with a release's tree, as a `--no-ff` merge of a tagged release
    /// branch makes; and it contains nothing of the development line that the production line
    /// lacks. A commit the production line has only through a merge (a development commit that
    /// a release merged) is not a release, even when its tree is the release's.
    private mutating func checkHotfixes(
        _ repository: Repository, graph: CommitGraph, productionLine: CommitGraph.Ancestry
    ) throws(GitError) {
        guard let production, let head = production.commit, !hotfixes.isEmpty else { return }
        let developmentLine = development?.commit.map { graph.ancestry(of: [$0]) }
        let released = releases.filter(\.productionLine)
        let releaseCommits = Set(released.map(\.commit))
        var releaseTrees: Set<ObjectID>?
        var firstParents: Set<ObjectID>?
        for hotfix in hotfixes {
            guard let tip = hotfix.commit else { continue }
            let refs = ["refs/heads/" + hotfix.branch, "refs/heads/" + production.branch]
            guard let base = graph.mergeBase(tip, with: productionLine) else {
                violations.append(
                    Violation(
                        rule: .hotfixBase,
                        message: "hotfix branch '\(hotfix.branch)' (\(tip.short)) shares no history with the production line '\(production.branch)'",
                        refs: refs, commits: [tip, head]))
                continue
            }
            if base == tip { continue }  // merged into the production line already
            if let developmentLine, let fork = graph.mergeBase(tip, with: developmentLine), !productionLine.contains(fork) {
                violations.append(
                    Violation(
                        rule: .hotfixBase,
                        message:
                            "hotfix branch '\(hotfix.branch)' (\(tip.short)) contains development commit \(fork.short), which is not released; start hotfixes from a release tag",
                        refs: refs, commits: [tip, fork]))
                continue
            }
            if releaseCommits.contains(base) { continue }
            if firstParents == nil { firstParents = Set(graph.firstParentHistory(from: head)) }
            guard firstParents!.contains(base) else {
                violations.append(
                    Violation(
                        rule: .hotfixBase,
                        message:
                            "hotfix branch '\(hotfix.branch)' (\(tip.short)) forks from \(base.short), which is not a release and reached the production line '\(production.branch)' only through a merge; start hotfixes from a release tag",
                        refs: refs, commits: [tip, base]))
                continue
            }
            if releaseTrees == nil {
                var trees: Set<ObjectID> = []
                for release in released { trees.insert(try repository.treeID(of: release.commit)) }
                releaseTrees = trees
            }
            if releaseTrees!.contains(try repository.treeID(of: base)) { continue }
            violations.append(
                Violation(
                    rule: .hotfixBase,
                    message:
                        "hotfix branch '\(hotfix.branch)' (\(tip.short)) forks from \(base.short) on the production line, which is not a release; start hotfixes from a release tag",
                    refs: refs, commits: [tip, base]))
        }
    }

    /// A feature branch must fork from the development line: where it meets the development
    /// line is on that line's own (first-parent) history, not on a branch merged into it.
    private mutating func checkFeatures(_ graph: CommitGraph) {
        let tips = features.compactMap { feature in feature.commit.map { (feature.branch, $0) } }
        guard !tips.isEmpty else { return }
        guard let development, let line = development.commit else {
            for (branch, tip) in tips {
                violations.append(
                    Violation(
                        rule: .featureBase,
                        message: "feature branch '\(branch)' (\(tip.short)) has no development line to fork from",
                        refs: ["refs/heads/" + branch], commits: [tip]))
            }
            return
        }
        let developmentLine = graph.ancestry(of: [line])
        var firstParents: Set<ObjectID>?
        for (branch, tip) in tips {
            let refs = ["refs/heads/" + branch, "refs/heads/" + development.branch]
            if developmentLine.contains(tip) { continue }  // merged already
            guard let base = graph.mergeBase(tip, with: developmentLine) else {
                violations.append(
                    Violation(
                        rule: .featureBase,
                        message: "feature branch '\(branch)' (\(tip.short)) shares no history with the development line '\(development.branch)'",
                        refs: refs, commits: [tip, line]))
                continue
            }
            if firstParents == nil { firstParents = Set(graph.firstParentHistory(from: line)) }
            if firstParents!.contains(base) { continue }
            violations.append(
                Violation(
                    rule: .featureBase,
                    message:
                        "feature branch '\(branch)' (\(tip.short)) forks from \(base.short), which is not on the development line '\(development.branch)'; start features from '\(development.branch)'",
                    refs: refs, commits: [tip, base]))
        }
    }
}

private struct VersionKey: Hashable {
    var model: String?
    var version: Version
}
