/// What a tag name says about a release: `v1.2.0`, `1.2`, `churn@v1.2.0`.
public enum VersionTag: Sendable, Equatable {
    /// A version tag, with the model it names in a repository of several models.
    case version(model: String?, version: Version)
    /// The tag looks like a version (a digit follows the prefix) but is not one: why.
    case malformed(String)
    /// Not a version tag at all (`nightly`, `before-refactor`).
    case notAVersion

    /// Reads a tag's short name. `prefix` is the configured version-tag prefix; nil accepts
    /// `v` or no prefix.
    public static func parse(_ name: String, prefix: String?) -> VersionTag {
        var model: String?
        var rest = Substring(name)
        if let at = name.lastIndex(of: "@") {
            let candidate = name[..<at]
            guard !candidate.isEmpty else { return .notAVersion }
            guard candidate.utf8.allSatisfy(isModelNameByte) else {
                return .malformed("'\(candidate)' is not a model name (letters, digits, '.', '_', '-', '/')")
            }
            model = String(candidate)
            rest = name[name.index(after: at)...]
        }
        let startsWithDigit = { (text: Substring) in text.utf8.first.map { (0x30...0x39).contains($0) } ?? false }
        if let prefix, !prefix.isEmpty {
            guard rest.hasPrefix(prefix) else {
                return startsWithDigit(rest) ? .malformed("it lacks the version tag prefix '\(prefix)'") : .notAVersion
            }
            rest = rest.dropFirst(prefix.count)
        } else if rest.hasPrefix("v") {
            rest = rest.dropFirst()
        }
        guard startsWithDigit(rest) else {
            return model == nil ? .notAVersion : .malformed("'\(rest)' after '@' is not a version")
        }
        guard let version = Version(String(rest)) else {
            return .malformed("'\(rest)' is not a version (MAJOR[.MINOR[.PATCH]][-PRERELEASE], no leading zeros)")
        }
        return .version(model: model, version: version)
    }

    private static func isModelNameByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x2F
    }
}
