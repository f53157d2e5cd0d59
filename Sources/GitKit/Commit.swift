/// A commit as read from the repository.
public struct Commit: Sendable, Hashable {
    public var id: ObjectID
    /// Parent ids, first parent first; empty for a root commit.
    public var parents: [ObjectID]
    /// The id of the commit's tree.
    public var tree: ObjectID
    public var author: Signature
    public var committer: Signature
    /// The whole message, as written.
    public var message: String

    /// The first line of the message.
    public var summary: String {
        String(message.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }
}
