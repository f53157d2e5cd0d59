internal import Foundation
public import GitKit
internal import Yams

/// How a repository names its lines and tags.
///
/// Read from `.mf/flow.yaml` in the repository, else from git-flow's own git configuration
/// (`gitflow.branch.master`, `gitflow.prefix.feature`, ...), else detected from the branches
/// that exist. Each field falls back on its own, so a `flow.yaml` may name only what differs.
///
/// ```yaml
/// # .mf/flow.yaml
/// production: main
/// development: develop
/// prefixes: { feature: feature/, hotfix: hotfix/, release: release/, versiontag: v }
/// ```
public struct FlowConfiguration: Sendable, Equatable {
    /// Where a configuration came from.
    public enum Source: String, Sendable, Codable {
        case file = "flow.yaml"
        case gitConfig = "git config"
        case detected
    }

    /// The production line's branch name (`master`), nil when none exists.
    public var production: String?
    /// The development line's branch name (`development`), nil when none exists.
    public var development: String?
    /// The start of a feature branch's name (`feature/`): a branch named so is a feature.
    public var featurePrefix: String = "feature/"
    /// The start of a hotfix branch's name (`hotfix/`): a branch named so is a hotfix.
    public var hotfixPrefix: String = "hotfix/"
    /// The start of a release branch's name (`release/`): a branch named so is a release candidate.
    public var releasePrefix: String = "release/"
    /// The version tag prefix; nil accepts `v` or none.
    public var versionTagPrefix: String?
    /// Where the names came from (the highest source that gave any).
    public var source: Source = .detected

    /// A configuration from explicit names; anything not given takes git-flow's default prefixes, and the source is `detected`.
    public init(
        production: String? = nil, development: String? = nil, featurePrefix: String = "feature/",
        hotfixPrefix: String = "hotfix/", releasePrefix: String = "release/", versionTagPrefix: String? = nil,
        source: Source = .detected
    ) {
        self.production = production
        self.development = development
        self.featurePrefix = featurePrefix
        self.hotfixPrefix = hotfixPrefix
        self.releasePrefix = releasePrefix
        self.versionTagPrefix = versionTagPrefix
        self.source = source
    }

    /// The path of the flow file inside a repository.
    public static let filePath = ".mf/flow.yaml"

    /// Reads the configuration of `repository`, whose references are `references`.
    ///
    /// `.mf/flow.yaml` is read from HEAD's commit, or, when HEAD has none, from the first of
    /// `master`, `main`, `development`, `develop` that exists.
    public static func load(
        repository: Repository, references: [Reference], head: Head?
    ) throws(FlowError) -> FlowConfiguration {
        var configuration = FlowConfiguration()
        let branches = Set(references.filter { $0.kind == .branch }.map(\.shortName))

        // Defaults from what exists.
        configuration.production = ["master", "main"].first(where: branches.contains)
        configuration.development = ["development", "develop"].first(where: branches.contains)
        if configuration.production == nil || configuration.development == nil {
            let remote = Set(
                references.filter { $0.kind == .remoteBranch && $0.shortName.hasPrefix("origin/") }
                    .map { String($0.shortName.dropFirst("origin/".count)) })
            configuration.production = configuration.production ?? ["master", "main"].first(where: remote.contains)
            configuration.development = configuration.development ?? ["development", "develop"].first(where: remote.contains)
        }

        // git-flow's keys.
        let gitflow: [String: String]
        do { gitflow = try repository.configValues(withPrefix: "gitflow.") } catch { throw .git(error) }
        if !gitflow.isEmpty {
            configuration.source = .gitConfig
            if let value = gitflow["gitflow.branch.master"], !value.isEmpty { configuration.production = value }
            if let value = gitflow["gitflow.branch.develop"], !value.isEmpty { configuration.development = value }
            if let value = gitflow["gitflow.prefix.feature"] { configuration.featurePrefix = value }
            if let value = gitflow["gitflow.prefix.hotfix"] { configuration.hotfixPrefix = value }
            if let value = gitflow["gitflow.prefix.release"] { configuration.releasePrefix = value }
            if let value = gitflow["gitflow.prefix.versiontag"], !value.isEmpty { configuration.versionTagPrefix = value }
        }

        // .mf/flow.yaml, from the commit HEAD names.
        var candidates: [ObjectID] = []
        if let commit = head?.commit { candidates.append(commit) }
        for name in ["master", "main", "development", "develop"] {
            if let commit = references.first(where: { $0.kind == .branch && $0.shortName == name })?.commit {
                candidates.append(commit)
            }
        }
        for commit in candidates {
            let data: Data
            do {
                data = try repository.file(at: filePath, in: commit)
            } catch  where error.code == .notFound {
                continue
            } catch {
                throw .git(error)
            }
            try configuration.apply(file: data, commit: commit)
            break
        }
        return configuration
    }

    /// Applies the fields of a `flow.yaml` on top of this configuration.
    mutating func apply(file data: Data, commit: ObjectID) throws(FlowError) {
        func invalid(_ field: String, _ problem: String) -> FlowError {
            .invalidConfiguration(file: FlowConfiguration.filePath, commit: commit.hex, field: field, problem: problem)
        }
        guard let text = String(data: data, encoding: .utf8) else { throw invalid("", "the file is not UTF-8 text") }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch { throw invalid("", "not valid YAML: \(error)") }
        guard let node else { return }
        guard let mapping = node.mapping else { throw invalid("", "expected a mapping of keys to values") }
        func string(_ value: Node, _ field: String) throws(FlowError) -> String {
            guard let scalar = value.scalar else { throw invalid(field, "expected a string") }
            return scalar.string
        }
        source = .file
        for (key, value) in mapping {
            let name = key.scalar?.string ?? "?"
            switch name {
            case "production":
                let branch = try string(value, name)
                guard !branch.isEmpty else { throw invalid(name, "expected a branch name") }
                production = branch
            case "development":
                let branch = try string(value, name)
                guard !branch.isEmpty else { throw invalid(name, "expected a branch name") }
                development = branch
            case "prefixes":
                guard let prefixes = value.mapping else {
                    throw invalid(name, "expected a mapping with feature, hotfix, release, versiontag")
                }
                for (prefixKey, prefixValue) in prefixes {
                    let field = "prefixes.\(prefixKey.scalar?.string ?? "?")"
                    let prefix = try string(prefixValue, field)
                    switch prefixKey.scalar?.string {
                    case "feature": featurePrefix = prefix
                    case "hotfix": hotfixPrefix = prefix
                    case "release": releasePrefix = prefix
                    case "versiontag": versionTagPrefix = ["", "~", "null"].contains(prefix) ? nil : prefix
                    default:
                        throw invalid(field, "unknown key; expected one of feature, hotfix, release, versiontag")
                    }
                }
            default:
                throw invalid(name, "unknown key; expected one of production, development, prefixes")
            }
        }
        for (field, prefix) in [("prefixes.feature", featurePrefix), ("prefixes.hotfix", hotfixPrefix), ("prefixes.release", releasePrefix)]
        where prefix.isEmpty {
            throw invalid(field, "expected a non-empty prefix such as '\(field.dropFirst("prefixes.".count))/'")
        }
        if production != nil, production == development {
            throw invalid("development", "the development line must differ from the production line '\(production!)'")
        }
    }
}
