/// A commit as read from the repository.
public struct Commit: Sendable, Hashable {
    /// The commit's id.
    public var id: ObjectID
    /// Parent ids, first parent first; empty for a root commit.
    public var parents: [ObjectID]
    /// The id of the commit's tree.
    public var tree: ObjectID
    /// Who wrote the change, and when.
    public var author: Signature
    /// Who made the commit, and when (differs from the author after a rebase or a cherry-pick).
    public var committer: Signature
    /// The whole message, as written.
    public var message: String

    /// The first line of the message.
    public var summary: String {
        String(message.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }
}
