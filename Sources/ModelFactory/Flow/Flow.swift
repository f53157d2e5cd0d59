public import Foundation
public import GitKit

/// A branch and the commit at its head.
public struct BranchHead: Sendable, Hashable {
    /// The branch's short name (`feature/x`); a remote-tracking branch keeps its remote (`origin/develop`).
    public var branch: String
    /// The head commit, nil when the branch is broken (see the violations).
    public var commit: ObjectID?

    /// A branch head from the branch's short name and its commit (nil when the branch is broken).
    public init(branch: String, commit: ObjectID?) {
        self.branch = branch
        self.commit = commit
    }
}

/// A version tag and what the flow says about it.
public struct Release: Sendable, Hashable {
    /// The tag's short name (`v1.2.0`, `churn@v1.2.0`).
    public var tag: String
    /// The version the tag names, without its prefix or model.
    public var version: Version
    /// The model a `model@version` tag names; nil in a repository of one model.
    public var model: String?
    /// The tagged commit.
    public var commit: ObjectID
    /// True when the commit is reachable from the production line.
    public var productionLine: Bool
    /// True when this release patches the newest earlier non-hotfix release of its model on the
    /// production line (see `Release.markHotfixes`).
    public var hotfix: Bool
    /// True for an annotated tag.
    public var annotated: Bool

    /// A release from its tag's parts and what the flow found; `hotfix` stays false unless given (`Release.markHotfixes` sets it).
    public init(
        tag: String, version: Version, model: String?, commit: ObjectID, productionLine: Bool, hotfix: Bool = false,
        annotated: Bool
    ) {
        self.tag = tag
        self.version = version
        self.model = model
        self.commit = commit
        self.productionLine = productionLine
        self.hotfix = hotfix
        self.annotated = annotated
    }
}

/// The branch flow of a repository as git says it is now: lines by role, releases, and every way
/// the repository departs from the rules.
///
/// ```swift
/// let flow = try Flow.read(Repository.open(at: "."))
/// print(flow.latestRelease?.tag ?? "no release", flow.violations.count)
/// ```
public struct Flow: Sendable {
    /// Where HEAD is.
    public var head: Head
    /// The names the flow was read with.
    public var configuration: FlowConfiguration
    /// The production line's branch, or origin's when only that exists; nil when the repository has none.
    public var production: BranchHead?
    /// The development line's branch, or origin's when only that exists; nil when the repository has none.
    public var development: BranchHead?
    /// The local branches whose names start with the feature prefix.
    public var features: [BranchHead] = []
    /// The local branches whose names start with the hotfix prefix.
    public var hotfixes: [BranchHead] = []
    /// `release/*` branches (release candidates on their way to the production line).
    public var releaseBranches: [BranchHead] = []
    /// The local branches with no role in the flow (neither a line nor a feature, hotfix or release branch).
    public var other: [BranchHead] = []
    /// Every version tag, oldest first: by model, then version, then tag name.
    public var releases: [Release] = []
    /// Tags that are not version tags, which the flow leaves alone.
    public var ignoredTags: [String] = []
    /// How the repository departs from the rules; empty when it follows them.
    public var violations: [Violation] = []

    /// The newest release on the production line of each model (pre-releases excluded).
    public var latestReleases: [Release] {
        var newest: [String: Release] = [:]
        for release in releases where release.productionLine && !release.version.isPrerelease {
            let key = release.model ?? ""
            if let current = newest[key], current.version >= release.version { continue }
            newest[key] = release
        }
        return newest.values.sorted { ($0.model ?? "") < ($1.model ?? "") }
    }

    /// The pre-release version of a development-line commit for `model` (DESIGN.md "GitOps"):
    /// the next minor version after the model's newest release, marked `dev` and the commit, so
    /// `1.0.1` and commit `0eeac3d…` give `1.1.0-dev.g0eeac3d` (the `g` keeps a hex id that is all
    /// digits a valid identifier); `0.1.0-dev.g…` before any release.
    public func stagingVersion(model: String?, commit: ObjectID) -> Version {
        let newest = releases.filter { !$0.version.isPrerelease && ($0.model == nil || $0.model == model) }.map(\.version).max()
        let next = newest.map { Version(major: $0.major, minor: $0.minor + 1) } ?? Version(major: 0, minor: 1)
        return Version(major: next.major, minor: next.minor, patch: 0, prerelease: ["dev", "g" + commit.short])
    }

    /// The versions tagged at each commit, by the model a tag names (nil for a plain tag); where
    /// several tags name one model at a commit, the first by tag name: what a session at that
    /// commit records as its version. One pass over the releases, for every commit at once.
    public func taggedVersions() -> [ObjectID: [String?: String]] {
        var versions: [ObjectID: [String?: String]] = [:]
        for release in releases.sorted(by: { $0.tag < $1.tag }) where versions[release.commit]?[release.model] == nil {
            versions[release.commit, default: [:]][release.model] = release.version.description
        }
        return versions
    }

    /// The newest production release of a repository that holds one model; nil otherwise or
    /// when there is none.
    public var latestRelease: Release? {
        latestReleases.first { $0.model == nil }
    }

    /// Reads the flow of `repository`. With `checkingRules`, also checks the rules that need
    /// more history than the releases themselves (version order, branch fork points).
    ///
    /// `cache` is a folder where the commit graph of the repository is kept between calls
    /// (see `CommitGraph`); without it every call reads the history afresh.
    public static func read(_ repository: Repository, checkingRules: Bool = true, cache: URL? = nil) throws(FlowError) -> Flow {
        guard !repository.isShallow else { throw .shallow(repository: repository.location) }
        // What the graph needs no tips for (the cache, git's commit-graph, or on a first look the
        // commits in the packs) is read on another thread while the references are read here.
        let pending = repository.startCommitGraph(cache: cache)
        defer { pending.cancel() }  // when the graph is not needed, or after it is read
        // Listing releases needs no tag object; checking the rules does (tags of tags).
        let lines = try readLines(repository, readingTagObjects: checkingRules)
        var flow = lines.flow
        let references = lines.references
        do {
            let versionTags = flow.versionTags(references)
            // One graph answers every ancestry question; `mf versions` needs only the production line's.
            var tips = [flow.production?.commit]
            if checkingRules { tips += [flow.development?.commit] + (flow.features + flow.hotfixes).map(\.commit) }
            let needed = tips.compactMap { $0 }
            let graph: CommitGraph
            if needed.isEmpty || (!checkingRules && versionTags.isEmpty) {
                graph = CommitGraph()
            } else {
                graph = try pending.graph(from: needed)
            }
            let productionLine = flow.production?.commit.map { graph.ancestry(of: [$0]) }
            flow.readReleases(versionTags, productionLine: productionLine)
            if checkingRules { try flow.checkRules(repository, graph: graph, productionLine: productionLine) }
        } catch {
            throw .git(error)
        }
        return flow
    }

    /// The lines by role (no releases, no history), and the references they were read from.
    static func readLines(_ repository: Repository, readingTagObjects: Bool) throws(FlowError) -> (flow: Flow, references: [Reference]) {
        let references: [Reference]
        let head: Head
        do {
            references = try repository.references(readingTagObjects: readingTagObjects)
            head = try repository.head()
        } catch {
            throw .git(error)
        }
        let configuration = try FlowConfiguration.load(repository: repository, references: references, head: head)
        var flow = Flow(head: head, configuration: configuration)
        flow.assignRoles(references)
        return (flow, references)
    }

    private mutating func assignRoles(_ references: [Reference]) {
        for reference in references where reference.problem != nil {
            violations.append(.brokenReference(reference))
        }
        let branches = references.filter { $0.kind == .branch }
        for reference in branches {
            let name = reference.shortName
            let head = BranchHead(branch: name, commit: reference.commit)
            if name == configuration.production {
                production = head
            } else if name == configuration.development {
                development = head
            } else if name.hasPrefix(configuration.featurePrefix) {
                features.append(head)
            } else if name.hasPrefix(configuration.hotfixPrefix) {
                hotfixes.append(head)
            } else if name.hasPrefix(configuration.releasePrefix) {
                releaseBranches.append(head)
            } else {
                other.append(head)
            }
        }
        // A fresh clone has only its default branch locally: use origin's for the other line.
        func remote(_ name: String?) -> BranchHead? {
            guard let name else { return nil }
            return references.first { $0.kind == .remoteBranch && $0.shortName == "origin/" + name }
                .map { BranchHead(branch: $0.shortName, commit: $0.commit) }
        }
        if production == nil { production = remote(configuration.production) }
        if development == nil { development = remote(configuration.development) }
    }

    private typealias VersionTagged = (reference: Reference, commit: ObjectID, model: String?, version: Version)

    /// The version tags among `references`; other tags are set aside and malformed or nested
    /// ones reported.
    private mutating func versionTags(_ references: [Reference]) -> [VersionTagged] {
        var candidates: [VersionTagged] = []
        // A tag with a problem is reported as a broken reference already.
        for reference in references where reference.kind == .tag && reference.problem == nil {
            switch VersionTag.parse(reference.shortName, prefix: configuration.versionTagPrefix) {
            case .notAVersion:
                ignoredTags.append(reference.shortName)
            case .malformed(let why):
                violations.append(.notAVersion(reference, why: why))
            case .version(let model, let version):
                if let annotation = reference.annotation, annotation.targetKind == .tag {
                    violations.append(.nestedTag(reference, inner: annotation.targetTagName))
                }
                guard let commit = reference.commit else { continue }
                candidates.append((reference, commit, model, version))
            }
        }
        return candidates
    }

    private mutating func readReleases(_ candidates: [VersionTagged], productionLine: CommitGraph.Ancestry?) {
        releases = candidates.map { candidate in
            Release(
                tag: candidate.reference.shortName, version: candidate.version, model: candidate.model,
                commit: candidate.commit, productionLine: productionLine?.contains(candidate.commit) ?? false,
                hotfix: false, annotated: candidate.reference.annotation != nil)
        }
        // Sorted as positions by small keys (model, then the version's numbers), so thousands of
        // releases are neither moved nor copied to be compared; the full comparison decides ties.
        let keys = releases.map { (model: $0.model ?? "", major: $0.version.major, minor: $0.version.minor, patch: $0.version.patch) }
        let order = releases.indices.sorted { one, other in
            let left = keys[one]
            let right = keys[other]
            if left.model != right.model { return left.model < right.model }
            if left.major != right.major { return left.major < right.major }
            if left.minor != right.minor { return left.minor < right.minor }
            if left.patch != right.patch { return left.patch < right.patch }
            let leftVersion = releases[one].version
            let rightVersion = releases[other].version
            if leftVersion != rightVersion { return leftVersion < rightVersion }
            return releases[one].tag < releases[other].tag
        }
        releases = order.map { releases[$0] }
        Release.markHotfixes(&releases)
    }
}

extension Release {
    /// Sets `hotfix` on every release that patches the newest earlier non-hotfix release of the
    /// same model on the production line (see `Version.isHotfix(of:)`). "Earlier" and "newest"
    /// are in version order, whatever order the tags arrived in; releases off the production
    /// line and pre-releases are never a base and never a hotfix.
    public static func markHotfixes(_ releases: inout [Release]) {
        // Flow.read passes them sorted already; then the order is the one they are in.
        let sorted = zip(releases, releases.dropFirst()).allSatisfy { !($1.version < $0.version) }
        let order = sorted ? Array(releases.indices) : releases.indices.sorted { (releases[$0].version, $0) < (releases[$1].version, $1) }
        var base: [String: Version] = [:]
        for index in order {
            releases[index].hotfix = false
            guard releases[index].productionLine, !releases[index].version.isPrerelease else { continue }
            let model = releases[index].model ?? ""
            let version = releases[index].version
            if let earlier = base[model], version.isHotfix(of: earlier) {
                releases[index].hotfix = true
            } else if base[model].map({ $0 < version }) ?? true {
                base[model] = version
            }
        }
    }
}
