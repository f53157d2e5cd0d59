import GitKit
import ModelFactory
import TestSupport
import Testing

@Suite(.onTestThreads) struct VersionTests {
    @Test(arguments: [
        ("1", 1, 0, 0, 1, [String]()), ("2.1", 2, 1, 0, 2, []), ("2.1.3", 2, 1, 3, 3, []),
        ("1.0.0-rc.1", 1, 0, 0, 3, ["rc", "1"]), ("3.2-beta", 3, 2, 0, 2, ["beta"]),
        ("1.2.3+build.5", 1, 2, 3, 3, []), ("0.0.1", 0, 0, 1, 3, []),
    ])
    func parses(text: String, major: Int, minor: Int, patch: Int, parts: Int, prerelease: [String]) throws {
        let version = try #require(Version(text))
        #expect(version.major == major && version.minor == minor && version.patch == patch)
        #expect(version.parts == parts && version.prerelease == prerelease)
        #expect(version.description == text)
    }

    @Test(arguments: [
        "", "1.", ".1", "1..2", "1.2.3.4", "01", "1.02", "1.2.x", "a.b", "1.0-", "1.0-rc..1", "1.0-01",
        "1.0+", "99999999999999999999", "1.0.0-ü", "1 .0", "-1",
    ])
    func rejects(text: String) {
        #expect(Version(text) == nil)
    }

    @Test func ordersAsSemanticVersionsWithMissingPartsAsZero() {
        let ordered = [
            "0.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
            "1.0.0-beta.11", "1.0.0-rc.1", "1", "1.0.1", "1.1", "1.10", "2",
        ].map { Version($0)! }
        for (lower, higher) in zip(ordered, ordered.dropFirst()) {
            #expect(lower < higher, "\(lower) < \(higher)")
            #expect(!(higher < lower))
        }
        #expect(Version("2")! == Version("2.0.0")!)
        #expect(Version("2.0")!.hashValue == Version("2.0.0")!.hashValue)
        #expect(Version("1.0.0+a")! == Version("1.0.0+b")!)
        #expect(Version("1.0.0-rc.1")! != Version("1.0.0")!)
    }

    @Test(arguments: [
        ("2.1.1", "2.1.0", true), ("2.1.5", "2.1.0", true), ("2.2.0", "2.1.0", false), ("3.0.0", "2.9.9", false),
        ("2.1", "2", true), ("2.2", "2", true), ("2.1.1", "2", true), ("3", "2", false), ("3.1", "2", false),
        ("0.2.1", "0.2", true), ("0.2", "0.1", false), ("0.3", "0.2", false), ("2.1", "2.0", false),
        ("2.1.1-rc.1", "2.1.0", false), ("2.1.0", "2.1.0", false), ("2.0.1", "2.1.0", false),
        ("1.0.1", "1.0.0-rc.1", false),
    ])
    func hotfixAgreesWithItsBaseAndWritesMoreParts(version: String, base: String, expected: Bool) {
        #expect(Version(version)!.isHotfix(of: Version(base)!) == expected)
    }
}

/// The hotfix rule over whole release histories: each case lists tags in the order they arrived
/// (`~` marks a tag off the production line) and the tags that are hotfixes.
@Suite(.onTestThreads) struct HotfixRuleTests {
    @Test(arguments: [
        // git-flow's own numbering: only the three-part tags patch a release.
        ("0.1 0.2 0.2.1 0.3 0.4 0.4.1", "0.2.1 0.4.1"),
        ("v1.0.0 v1.0.1 v1.0.2 v1.1.0 v1.1.1 v2.0.0", "v1.0.1 v1.0.2 v1.1.1"),
        // KPN's branching scheme (background 001): V2 is a release, V2.1 and V2.2 patch it.
        ("V2 V2.1 V2.2 V3 V3.1", "V2.1 V2.2 V3.1"),
        ("v2 v2.1 v2.1.1 v3", "v2.1 v2.1.1"),
        // Two-part after two-part with the same major is a release, not a hotfix.
        ("v2.0 v2.1 v2.2", ""),
        // Out of order: 1.0.1 tagged after 1.1.0 still patches 1.0.0; order of arrival is irrelevant.
        ("v1.0.0 v1.1.0 v1.0.1", "v1.0.1"),
        ("0.2.1 0.4.1 0.1 0.4 0.2 0.3", "0.2.1 0.4.1"),
        // Pre-releases are never a base and never a hotfix.
        ("v1.0.0 v1.1.0-rc.1 v1.1.0-rc.2 v1.0.1", "v1.0.1"),
        ("v2.0.0-rc.1 v2.0.1", ""),
        // Off the production line: neither a base nor a hotfix.
        ("v1.0.0 ~v1.1.0 v1.0.1 ~v1.0.2", "v1.0.1"),
        ("~v1.0.0 v1.0.1", ""),
        // Monorepo tags: each model has its own history.
        ("churn@v1.2.0 fraud@v1.2.0 churn@v1.2.1 fraud@v1.3.0 churn@v1.3.0 fraud@v1.3.1", "churn@v1.2.1 fraud@v1.3.1"),
        ("churn@0.1 upsell@0.1.1 churn@0.1.1", "churn@0.1.1"),
        // Two tags of one version: the second is not a hotfix of the first.
        ("v2 v2.0.0 v2.0.1", "v2.0.1"),
    ])
    func marksHotfixes(tags: String, hotfixes: String) throws {
        let commit = try #require(ObjectID(hex: String(repeating: "a", count: 40)))
        var releases = try tags.split(separator: " ").map { word -> Release in
            let name = String(word.drop { $0 == "~" })
            guard case .version(let model, let version) = VersionTag.parse(name, prefix: name.hasPrefix("V") ? "V" : nil)
            else { throw VersionTagError(name: name) }
            return Release(
                tag: name, version: version, model: model, commit: commit, productionLine: !word.hasPrefix("~"),
                annotated: false)
        }
        Release.markHotfixes(&releases)
        #expect(releases.filter(\.hotfix).map(\.tag).sorted() == hotfixes.split(separator: " ").map(String.init).sorted())
    }

    private struct VersionTagError: Error { var name: String }
}

@Suite(.onTestThreads) struct VersionTagTests {
    @Test(arguments: [
        ("v1.2.0", nil as String?, nil as String?, "1.2.0"), ("1.2", nil, nil, "1.2"), ("v2", nil, nil, "2"),
        ("churn@v1.2.0", nil, "churn", "1.2.0"), ("churn@3", nil, "churn", "3"),
        ("models/churn-eu@v1.0.0-rc.1", nil, "models/churn-eu", "1.0.0-rc.1"),
        ("release-1.4", "release-", nil, "1.4"), ("churn@release-2", "release-", "churn", "2"),
    ])
    func readsVersionTags(name: String, prefix: String?, model: String?, version: String) {
        #expect(VersionTag.parse(name, prefix: prefix) == .version(model: model, version: Version(version)!))
    }

    @Test(arguments: [("nightly", nil as String?), ("vendor-drop", nil), ("before-refactor", nil), ("v", nil), ("@v1", nil), ("v1.0", "release-")])
    func leavesOtherTagsAlone(name: String, prefix: String?) {
        #expect(VersionTag.parse(name, prefix: prefix) == .notAVersion)
    }

    @Test(arguments: [("v1.2.x", nil as String?), ("v01.2", nil), ("1.2.3.4", nil), ("churn@latest", nil), ("bad name@v1", nil), ("1.4", "release-")])
    func reportsMalformedVersionTags(name: String, prefix: String?) {
        guard case .malformed(let why) = VersionTag.parse(name, prefix: prefix) else {
            Issue.record("\(name) should be malformed")
            return
        }
        #expect(!why.isEmpty)
    }
}
