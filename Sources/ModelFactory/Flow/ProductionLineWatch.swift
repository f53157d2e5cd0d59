public import GitKit

/// Watches the head of a repository's production line for a process that looks often
/// (`mf serve --follow` looks every second): one reference is resolved per look, and the
/// references and the flow configuration are read again only when that head moved or its
/// branch is gone (a move may change `.mf/flow.yaml`, and with it which branch is production).
/// No look reads the history.
///
/// ```swift
/// var watch = ProductionLineWatch()
/// let look = try watch.look(at: repository)
/// if look.moved, let head = look.head { … read .mf/traffic.yaml at head … }
/// ```
public struct ProductionLineWatch: Sendable {
    /// The production branch's full reference name (`refs/heads/master`) as last read.
    private var reference: String?
    private var head: ObjectID?
    private var looked = false

    /// A watch that has not looked yet: its first look reports a move.
    public init() {}

    /// The production line's head now (nil when the repository has none), and whether it moved
    /// since the previous look (always true on the first).
    public mutating func look(at repository: Repository) throws(FlowError) -> (head: ObjectID?, moved: Bool) {
        if looked, let reference, let commit = try? repository.reference(named: reference).commit, commit == head {
            return (commit, false)
        }
        let production = try Flow.productionLine(of: repository)
        defer { looked = true }
        let moved = !looked || production?.head != head
        reference = production?.reference
        head = production?.head
        return (head, moved)
    }
}

extension Flow {
    /// The production line's branch (its full reference name) and head, from the references and
    /// the flow configuration alone; nil when the repository has no production line.
    public static func productionLine(of repository: Repository) throws(FlowError) -> (reference: String, head: ObjectID?)? {
        let (flow, references) = try readLines(repository, readingTagObjects: false)
        guard let production = flow.production else { return nil }
        let reference = references.first { ($0.kind == .branch || $0.kind == .remoteBranch) && $0.shortName == production.branch }
        return reference.map { ($0.name, production.commit) }
    }
}
