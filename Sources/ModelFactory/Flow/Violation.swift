public import GitKit

/// One way a repository departs from the flow's rules, naming the refs and commits involved.
public struct Violation: Sendable, Hashable, CustomStringConvertible {
    /// Which rule is broken.
    public enum Rule: String, Sendable, Hashable, Codable, CaseIterable {
        /// There is no production line to release from.
        case noProductionLine = "no-production-line"
        /// A release tag is not reachable from the production line.
        case releaseNotOnProductionLine = "release-not-on-production-line"
        /// A release comes after a higher version along the production line.
        case versionOrder = "version-order"
        /// Two tags name one version of one model.
        case duplicateVersion = "duplicate-version"
        /// A hotfix branch does not fork from a release on the production line.
        case hotfixBase = "hotfix-base"
        /// A feature branch does not fork from the development line.
        case featureBase = "feature-base"
        /// A tag looks like a version but is not one.
        case notAVersion = "not-a-version"
        /// A version tag tags another tag.
        case nestedTag = "nested-tag"
        /// A reference is dangling, unreadable, badly named, or leads to a tree or blob.
        case brokenReference = "broken-reference"
        /// `.mf/schedule.yaml` on the production line cannot be used (a field, a zone, a model).
        case brokenSchedule = "broken-schedule"
    }

    /// The rule broken, which scripts match on (its raw value is the kebab-case name printed).
    public var rule: Rule
    /// The sentence a user reads.
    public var message: String
    /// The references involved, full names.
    public var refs: [String]
    /// The commits involved.
    public var commits: [ObjectID]

    /// "rule-name: message", as `mf check` prints it.
    public var description: String { "\(rule.rawValue): \(message)" }

    static func brokenReference(_ reference: Reference) -> Violation {
        let what = reference.kind == .tag ? "tag" : reference.kind == .branch ? "branch" : "reference"
        return Violation(
            rule: .brokenReference, message: "\(what) '\(reference.shortName)' \(reference.problem?.description ?? "is broken")",
            refs: [reference.name], commits: [])
    }

    static func notAVersion(_ reference: Reference, why: String) -> Violation {
        Violation(
            rule: .notAVersion, message: "tag '\(reference.shortName)' looks like a version tag but \(why)",
            refs: [reference.name], commits: reference.commit.map { [$0] } ?? [])
    }

    static func nestedTag(_ reference: Reference, inner: String?) -> Violation {
        let target = inner.map { "tag '\($0)'" } ?? "another tag"
        return Violation(
            rule: .nestedTag,
            message: "tag '\(reference.shortName)' tags \(target) instead of a commit; tag the commit itself",
            refs: [reference.name], commits: reference.commit.map { [$0] } ?? [])
    }
}
