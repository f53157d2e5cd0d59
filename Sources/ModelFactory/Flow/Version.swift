/// A release version: `MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]`.
///
/// Versions order as semantic versions with missing parts read as 0, so `2`, `2.0` and `2.0.0`
/// are the same version (and two tags for them are a conflict). `parts` remembers how many
/// numbers were written, which decides what a hotfix of the version looks like.
///
/// ```swift
/// Version("2.1")! < Version("2.1.1-rc.1")!   // true
/// Version("2.1-rc.1")! < Version("2.1")!      // true: a pre-release comes before its release
/// ```
public struct Version: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The first number (`2` in `2.1.0`).
    public var major: Int
    /// The second number, 0 when not written.
    public var minor: Int
    /// The third number, 0 when not written.
    public var patch: Int
    /// How many numbers were written: 1 (`v2`), 2 (`v2.1`) or 3 (`v2.1.0`).
    public var parts: Int
    /// The dot-separated pre-release identifiers (`rc`, `1` for `-rc.1`); empty for a release.
    public var prerelease: [String]
    /// Build metadata after `+`, which never affects ordering.
    public var build: String?

    /// True when the version has pre-release identifiers (`2.1.0-rc.1`), which make it come before its release.
    public var isPrerelease: Bool { !prerelease.isEmpty }

    /// Parses a version without any tag prefix; nil when `text` is not one.
    public init?(_ text: String) {
        if let plain = Version.plain(text) {
            self = plain
            return
        }
        var rest = Substring(text)
        if let plus = rest.firstIndex(of: "+") {
            let metadata = rest[rest.index(after: plus)...]
            guard Version.validIdentifiers(metadata, numericRule: false) else { return nil }
            build = String(metadata)
            rest = rest[..<plus]
        } else {
            build = nil
        }
        if let dash = rest.firstIndex(of: "-") {
            let identifiers = rest[rest.index(after: dash)...]
            guard Version.validIdentifiers(identifiers, numericRule: true) else { return nil }
            prerelease = identifiers.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            rest = rest[..<dash]
        } else {
            prerelease = []
        }
        let numbers = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(numbers.count) else { return nil }
        var values: [Int] = []
        for number in numbers {
            guard !number.isEmpty, number.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                number == "0" || !number.hasPrefix("0"), let value = Int(number)
            else { return nil }
            values.append(value)
        }
        parts = values.count
        major = values[0]
        minor = values.count > 1 ? values[1] : 0
        patch = values.count > 2 ? values[2] : 0
    }

    /// `MAJOR[.MINOR[.PATCH]]` alone, read byte by byte (what nearly every tag is); nil for
    /// anything else, which the full parser then decides.
    private static func plain(_ text: String) -> Version? {
        var numbers = (0, 0, 0)
        var count = 0
        var digits = 0
        var leadingZero = false
        for byte in text.utf8 {
            switch byte {
            case 0x30...0x39:
                if digits == 0 { leadingZero = byte == 0x30 } else if leadingZero { return nil }
                digits += 1
                guard digits < 19 else { return nil }
                let value = Int(byte &- 0x30)
                switch count {
                case 0: numbers.0 = numbers.0 * 10 + value
                case 1: numbers.1 = numbers.1 * 10 + value
                default: numbers.2 = numbers.2 * 10 + value
                }
            case 0x2E:
                guard digits > 0, count < 2 else { return nil }
                count += 1
                digits = 0
            default:
                return nil
            }
        }
        guard digits > 0 else { return nil }
        return Version(major: numbers.0, minor: numbers.1, patch: numbers.2, parts: count + 1)
    }

    /// A version from its numbers; `parts` says how many of them count as written (3 unless given).
    public init(major: Int, minor: Int = 0, patch: Int = 0, parts: Int = 3, prerelease: [String] = [], build: String? = nil) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.parts = parts
        self.prerelease = prerelease
        self.build = build
    }

    private static func validIdentifiers(_ text: Substring, numericRule: Bool) -> Bool {
        let identifiers = text.split(separator: ".", omittingEmptySubsequences: false)
        return !identifiers.isEmpty
            && identifiers.allSatisfy { identifier in
                guard !identifier.isEmpty else { return false }
                let allowed = identifier.utf8.allSatisfy {
                    (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x2D
                }
                guard allowed else { return false }
                // SemVer: numeric pre-release identifiers carry no leading zero.
                if numericRule, identifier.count > 1, identifier.hasPrefix("0"),
                    identifier.utf8.allSatisfy({ (0x30...0x39).contains($0) })
                {
                    return false
                }
                return true
            }
    }

    /// The version as written, without prefix: `2.1`, `2.1.0-rc.1`.
    public var description: String {
        var text = String(major)
        if parts > 1 { text += "." + String(minor) }
        if parts > 2 { text += "." + String(patch) }
        if !prerelease.isEmpty { text += "-" + prerelease.joined(separator: ".") }
        if let build { text += "+" + build }
        return text
    }

    /// True when `self` would be a hotfix of `base`, the newest earlier release that is not a
    /// hotfix itself: it agrees with `base` on base's first k = min(parts written in base, 2)
    /// numbers and writes more than k. So `1.0.0 → 1.0.1`, `0.2 → 0.2.1`, `2 → 2.1` are
    /// hotfixes, and `0.1 → 0.2`, `1.0.0 → 1.1.0`, `2 → 3` are not. Pre-releases never are.
    public func isHotfix(of base: Version) -> Bool {
        guard !isPrerelease, !base.isPrerelease, base < self else { return false }
        let shared = min(base.parts, 2)
        let numbers = [major, minor, patch]
        let baseNumbers = [base.major, base.minor, base.patch]
        return parts > shared && numbers.prefix(shared) == baseNumbers.prefix(shared)
    }

    /// Equal when the numbers and pre-release identifiers match: `2`, `2.0` and `2.0.0` are equal, and build metadata is ignored.
    public static func == (lhs: Version, rhs: Version) -> Bool {
        lhs.major == rhs.major && lhs.minor == rhs.minor && lhs.patch == rhs.patch && lhs.prerelease == rhs.prerelease
    }

    /// Hashes what equality compares: the three numbers and the pre-release identifiers.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(major)
        hasher.combine(minor)
        hasher.combine(patch)
        hasher.combine(prerelease)
    }

    /// SemVer's order: by the numbers, then a pre-release before its release, then identifier by identifier (numbers numerically, before words).
    public static func < (lhs: Version, rhs: Version) -> Bool {
        if lhs.major != rhs.major { return lhs.major < rhs.major }
        if lhs.minor != rhs.minor { return lhs.minor < rhs.minor }
        if lhs.patch != rhs.patch { return lhs.patch < rhs.patch }
        // A pre-release comes before the release it leads to.
        if lhs.prerelease.isEmpty || rhs.prerelease.isEmpty {
            return !lhs.prerelease.isEmpty && rhs.prerelease.isEmpty
        }
        for (left, right) in zip(lhs.prerelease, rhs.prerelease) where left != right {
            switch (Int(left), Int(right)) {
            case (let l?, let r?): return l < r
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return left.utf8.lexicographicallyPrecedes(right.utf8)
            }
        }
        return lhs.prerelease.count < rhs.prerelease.count
    }
}
