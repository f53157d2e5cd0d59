import ModelFactory
import Testing

@Suite struct VersionTests {
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
        ("2.1.1", "2.1.0", true), ("2.1.5", "2.1.1", true), ("2.2.0", "2.1.9", false), ("3.0.0", "2.9.9", false),
        ("2.1", "2", true), ("2.1", "2.0", true), ("3.1", "2.9", false), ("2", "1", false),
        ("2.1.1-rc.1", "2.1.0", false), ("2.1.0", "2.1.0", false), ("2.0.1", "2.1.0", false),
    ])
    func hotfixIsAPatchOfTheEarlierRelease(version: String, earlier: String, expected: Bool) {
        #expect(Version(version)!.isPatch(of: Version(earlier)!) == expected)
    }
}

@Suite struct VersionTagTests {
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
