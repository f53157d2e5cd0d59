/// Why a data file cannot be read, or a row of it: which file, which row (and line), and why.
public enum DataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file cannot be opened or read (`there is no such file`).
    case unreadable(path: String, reason: String)
    /// The file's name says neither CSV nor JSON Lines.
    case unknownFormat(path: String)
    /// The file has no header row (CSV) or no row at all to take columns from.
    case noHeader(path: String)
    /// One row is not well formed (a CSV row of another width than the header, a JSON Lines
    /// line that is not one JSON object); reading may go on with the next row.
    case malformed(path: String, row: Int, line: Int, reason: String)

    /// The sentence a user reads: what failed, why, where.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .unknownFormat(let path): "cannot read \(path): its name should end in .csv or .jsonl (CSV or JSON Lines)"
        case .noHeader(let path): "cannot read \(path): it has no header row"
        case .malformed(let path, let row, let line, let reason): "\(path), row \(row) (line \(line)): \(reason)"
        }
    }
}
