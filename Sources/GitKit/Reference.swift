/// A reference as read from the repository, with what it leads to.
///
/// Reading never fails because one reference is bad: a dangling branch or a tag of a tree is
/// returned with `commit == nil` and a `problem` saying why, so the caller can report it.
public struct Reference: Sendable, Hashable {
    /// What a reference is, from its namespace.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// `refs/heads/*`
        case branch
        /// `refs/remotes/*`
        case remoteBranch
        /// `refs/tags/*`
        case tag
        /// anything else (`refs/notes/*`, `refs/stash`, ...)
        case other
    }

    /// Why a reference does not lead to a commit.
    public enum Problem: Sendable, Hashable, CustomStringConvertible {
        /// The reference (or a symbolic reference's target) names an object or ref that is missing.
        case dangling(target: String)
        /// The reference, peeled through its tags, ends at a tree or a blob.
        case notACommit(ObjectKind)
        /// The object could not be read (damaged, or libgit2 failed): libgit2's message.
        case unreadable(String)
        /// The name is not one git accepts (spaces, control characters, `..`, ...).
        case invalidName

        /// The reason as the end of a sentence about the reference ("points at ..., which does not exist").
        public var description: String {
            switch self {
            case .dangling(let target): "points at \(target), which does not exist"
            case .notACommit(let kind): "points at a \(kind.rawValue), not a commit"
            case .unreadable(let message): "cannot be read: \(message)"
            case .invalidName: "has a name git does not accept"
            }
        }
    }

    /// The full name, such as `refs/heads/feature/x` or `refs/tags/v1.2.0`.
    public var name: String
    /// What kind of reference this is.
    public var kind: Kind
    /// The full name of the reference a symbolic reference points at.
    public var symbolicTarget: String?
    /// The object a direct reference points at (a commit, or a tag object for annotated tags).
    public var target: ObjectID?
    /// The commit this reference leads to after resolving and peeling, nil when it leads nowhere.
    public var commit: ObjectID?
    /// For an annotated tag: the tag object.
    public var annotation: Annotation?
    /// Why `commit` is nil.
    public var problem: Problem?

    /// A reference known only by its name and kind; what it leads to (`target`, `commit`, `problem`) is filled in as it is read.
    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }

    /// The name without its namespace: `feature/x`, `v1.2.0`, `origin/master`.
    public var shortName: String { Reference.shortName(of: name) }

    /// The short form of a full reference name: `refs/heads/`, `refs/tags/` or `refs/remotes/` removed, any other name unchanged.
    public static func shortName(of name: String) -> String {
        // Compared as bytes: this runs for every one of thousands of references.
        let utf8 = name.utf8
        guard utf8.starts(with: "refs/".utf8) else { return name }
        let rest = utf8.dropFirst(5)
        for prefix in ["heads/", "tags/", "remotes/"] as [StaticString] {
            let matches = prefix.withUTF8Buffer { rest.starts(with: $0) }
            if matches { return String(Substring(rest.dropFirst(prefix.utf8CodeUnitCount))) }
        }
        return name
    }

    static func kind(of name: String) -> Kind {
        if name.hasPrefix("refs/heads/") { return .branch }
        if name.hasPrefix("refs/tags/") { return .tag }
        if name.hasPrefix("refs/remotes/") { return .remoteBranch }
        return .other
    }
}

/// The kind of a git object.
public enum ObjectKind: String, Sendable, Hashable, Codable {
    case commit, tree, blob, tag, unknown
}

/// An annotated tag object.
public struct Annotation: Sendable, Hashable {
    /// The tag object's id.
    public var id: ObjectID
    /// The kind of object the tag points at directly; `.tag` for a tag of a tag; `.unknown` when
    /// the tag object was not read (see `Repository.references(readingTagObjects:)`).
    public var targetKind: ObjectKind
    /// The name of the tag this tag points at, for a tag of a tag.
    public var targetTagName: String?
    /// The tag's message, nil when the tag has none.
    public var message: String?
    /// Who made the tag, nil when the tag has no tagger.
    public var tagger: Signature?

    /// A tag object as read; the target's name, the message and the tagger are nil when the tag has none or they were not read.
    public init(id: ObjectID, targetKind: ObjectKind, targetTagName: String? = nil, message: String? = nil, tagger: Signature? = nil) {
        self.id = id
        self.targetKind = targetKind
        self.targetTagName = targetTagName
        self.message = message
        self.tagger = tagger
    }
}
