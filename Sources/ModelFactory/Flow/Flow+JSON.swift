internal import GitKit

// The JSON shapes of `mf versions --json`, `mf status --json` and `mf check --json`. Absent
// values are written as `null`, never left out, so scripts can rely on every key.

extension BranchHead: Encodable {
    private enum Keys: String, CodingKey { case branch, commit }

    /// `{"branch": ..., "commit": ...}`, the commit as its full id or null when the branch is broken.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(branch, forKey: .branch)
        try container.encode(commit?.hex, forKey: .commit)
    }
}

extension Release: Encodable {
    private enum Keys: String, CodingKey {
        case tag, version, model, commit, productionLine, hotfix, prerelease, annotated
    }

    /// One release as `mf versions --json` writes it; a missing model is null and `prerelease` comes from the version.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(tag, forKey: .tag)
        try container.encode(version.description, forKey: .version)
        try container.encode(model, forKey: .model)
        try container.encode(commit.hex, forKey: .commit)
        try container.encode(productionLine, forKey: .productionLine)
        try container.encode(hotfix, forKey: .hotfix)
        try container.encode(version.isPrerelease, forKey: .prerelease)
        try container.encode(annotated, forKey: .annotated)
    }
}

extension Release {
    /// `mf versions --json`: the text `JSONText.encodeBytes(releases)` gives, byte for byte,
    /// written directly (thousands of releases through `Encodable` cost more than reading them).
    public static func jsonBytes(_ releases: [Release]) -> [UInt8] {
        guard !releases.isEmpty else { return Array("[]\n".utf8) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(releases.count * 220 + 4)
        func key(_ name: StaticString) {
            bytes.append(contentsOf: repeatElement(0x20, count: 4))
            name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        }
        func flag(_ value: Bool) {
            let text: StaticString = value ? "true" : "false"
            text.withUTF8Buffer { bytes.append(contentsOf: $0) }
        }
        bytes.append(contentsOf: "[\n".utf8)
        for (offset, release) in releases.enumerated() {
            bytes.append(contentsOf: "  {\n".utf8)
            key("\"tag\": ")
            JSONText.writeString(release.tag, into: &bytes)
            bytes.append(contentsOf: ",\n".utf8)
            key("\"version\": ")
            JSONText.writeString(release.version.description, into: &bytes)
            bytes.append(contentsOf: ",\n".utf8)
            key("\"model\": ")
            if let model = release.model { JSONText.writeString(model, into: &bytes) } else { bytes.append(contentsOf: "null".utf8) }
            bytes.append(contentsOf: ",\n".utf8)
            key("\"commit\": \"")
            release.commit.appendHex(to: &bytes)
            bytes.append(contentsOf: "\",\n".utf8)
            key("\"productionLine\": ")
            flag(release.productionLine)
            bytes.append(contentsOf: ",\n".utf8)
            key("\"hotfix\": ")
            flag(release.hotfix)
            bytes.append(contentsOf: ",\n".utf8)
            key("\"prerelease\": ")
            flag(release.version.isPrerelease)
            bytes.append(contentsOf: ",\n".utf8)
            key("\"annotated\": ")
            flag(release.annotated)
            bytes.append(contentsOf: "\n  }".utf8)
            bytes.append(contentsOf: offset < releases.count - 1 ? ",\n".utf8 : "\n".utf8)
        }
        bytes.append(contentsOf: "]\n".utf8)
        return bytes
    }
}

extension Violation: Encodable {
    private enum Keys: String, CodingKey { case rule, message, refs, commits }

    /// `{"rule", "message", "refs", "commits"}` as `mf check --json` writes it, the commits as full ids.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(rule, forKey: .rule)
        try container.encode(message, forKey: .message)
        try container.encode(refs, forKey: .refs)
        try container.encode(commits.map(\.hex), forKey: .commits)
    }
}

extension FlowConfiguration: Encodable {
    private enum Keys: String, CodingKey { case production, development, prefixes, source }
    private enum PrefixKeys: String, CodingKey { case feature, hotfix, release, versiontag }

    /// The configuration in `mf status --json`: the two lines, the four prefixes under `prefixes`, and `source`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(production, forKey: .production)
        try container.encode(development, forKey: .development)
        var prefixes = container.nestedContainer(keyedBy: PrefixKeys.self, forKey: .prefixes)
        try prefixes.encode(featurePrefix, forKey: .feature)
        try prefixes.encode(hotfixPrefix, forKey: .hotfix)
        try prefixes.encode(releasePrefix, forKey: .release)
        try prefixes.encode(versionTagPrefix, forKey: .versiontag)
        try container.encode(source, forKey: .source)
    }
}

extension Flow: Encodable {
    private enum Keys: String, CodingKey {
        case head, configuration, production, development, features, hotfixes, releases, other
        case latestRelease, latestReleases, ignoredTags, violations
    }

    private enum HeadKeys: String, CodingKey { case branch, commit, detached, unborn }

    /// The `mf status --json` object. `releases` are the `release/*` branches, as the other
    /// roles; the version tags are `mf versions`' business.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        var headContainer = container.nestedContainer(keyedBy: HeadKeys.self, forKey: .head)
        try headContainer.encode(head.branch.map(Reference.shortName(of:)), forKey: .branch)
        try headContainer.encode(head.commit?.hex, forKey: .commit)
        try headContainer.encode(head.branch == nil, forKey: .detached)
        try headContainer.encode(head.branch != nil && head.commit == nil, forKey: .unborn)
        try container.encode(configuration, forKey: .configuration)
        try container.encode(production, forKey: .production)
        try container.encode(development, forKey: .development)
        try container.encode(features, forKey: .features)
        try container.encode(hotfixes, forKey: .hotfixes)
        try container.encode(releaseBranches, forKey: .releases)
        try container.encode(other, forKey: .other)
        try container.encode(latestRelease, forKey: .latestRelease)
        try container.encode(latestReleases, forKey: .latestReleases)
        try container.encode(ignoredTags, forKey: .ignoredTags)
        try container.encode(violations, forKey: .violations)
    }
}
