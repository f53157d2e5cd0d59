/// Why the store cannot answer: what was asked, and what stood in the way.
public enum StoreError: Error, CustomStringConvertible, Equatable, Sendable {
    /// No session or version by that name.
    case notFound(String)
    /// A name that matches several sessions (or models): the candidates.
    case ambiguous(String, [String])
    /// `churn@v1.2.0` with `--model` naming another model.
    case otherModel(String, String)
    /// The database was busy (another writer held it past the store's wait) while doing
    /// `operation`; trying again later may pass.
    case busy(operation: String)
    /// The database failed while doing `operation` (I/O, a full disk, a damaged file, a
    /// constraint): the engine's own description.
    case database(operation: String, reason: String)
    /// A blob (`BlobStore`) cannot be put or read: it is missing, a chunk is damaged, or a file
    /// beside it cannot be read or written.
    case blob(digest: String, reason: String)

    /// The sentence a user reads.
    public var description: String {
        switch self {
        case .notFound(let name): "no session or version '\(name)' in the store"
        case .otherModel(let name, let model): "'\(name)' names another model than --model \(model)"
        case .ambiguous(let name, let options): "'\(name)' names more than one session: \(options.joined(separator: ", "))"
        case .busy(let operation): "the store is busy (another process holds it) and cannot \(operation) now; try again"
        case .database(let operation, let reason): "the store cannot \(operation): \(reason)"
        case .blob(let digest, let reason): "blob \(digest.prefix(16)) in the store: \(reason)"
        }
    }
}
