internal import Foundation

/// One `expect:` rule checked on one data file: whether it held, what was measured, and the
/// rows that broke it (how many, and the first `DataChecker.shownRows` with their values).
public struct DataRuleResult: Codable, Sendable, Equatable, CustomStringConvertible {
    /// Whether a rule held.
    public enum Status: String, Codable, Sendable {
        /// It held.
        case passed
        /// It did not.
        case failed
        /// It could not be checked (a PSI rule with no previous release; a column that is absent): `note` says why.
        case skipped
    }

    /// A row that broke a rule, with the value it has there.
    public struct Offence: Codable, Sendable, Equatable {
        /// The row's number among the data rows (1 for the first; the header is not counted).
        public var row: Int
        /// Its value as the file has it (empty for a missing value; the reason for a malformed row).
        public var value: String
    }

    /// The kind of rule: `rows`, `unique`, `format`, `present`, `type`, `min`, `max`,
    /// `values`, `missing` or `psi`.
    public var rule: String
    /// The column (the key's columns joined with ", " for `unique`); nil for `rows` and `format`.
    public var column: String?
    /// The rule as a person reads it (`tenure min 0`, `rows >= 500`).
    public var name: String
    /// Whether it held.
    public var status: Status
    /// What was measured, for the rules that measure (the rows, a missing share, a PSI).
    public var measured: Double?
    /// How many rows broke it.
    public var offendingRows: Int
    /// The first rows that broke it, in file order, with their values.
    public var examples: [Offence]
    /// Why it was skipped, or what it was measured against.
    public var note: String?

    /// The rule with its outcome: `tenure min 0: rows 4, 17 (-1, -3)`, `rows >= 500: 120`.
    public var description: String {
        var parts: [String] = []
        if let measured, rule != "format" { parts.append(Self.number(measured)) }
        if offendingRows > 0, rule != "rows", rule != "psi" {
            let rows = examples.map { String($0.row) }.joined(separator: ", ")
            let values = examples.map(\.value)
            let more = offendingRows > examples.count
            var text = more ? "\(offendingRows) rows, the first \(rows), …" : "row\(offendingRows == 1 ? "" : "s") \(rows)"
            if rule != "missing", values.contains(where: { !$0.isEmpty }) {
                text += " (" + values.map { $0.isEmpty ? "missing" : $0 }.joined(separator: ", ") + (more ? ", …)" : ")")
            }
            parts.append(rule == "missing" ? "(\(text))" : text)
        }
        if let note, status != .passed { parts.append(status == .skipped ? "skipped: \(note)" : note) }
        return parts.isEmpty ? name : "\(name): " + parts.joined(separator: " ")
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.4g", value)
    }
}

/// The check of one data file against its `expect:` rules: every rule with its outcome.
public struct DataCheckReport: Codable, Sendable, Equatable {
    /// Which data it was: `train`, `evaluate` or `score`.
    public var dataset: String
    /// The file as model.yaml (or the command line) names it.
    public var path: String
    /// The data rows read.
    public var rows: Int
    /// Whether every rule held (a skipped rule does not fail).
    public var passed: Bool
    /// Every rule, in the order checked: `rows`, `unique`, `format` (only when a row is
    /// malformed), then each column's.
    public var rules: [DataRuleResult]

    /// The rules that failed.
    public var failed: [DataRuleResult] { rules.filter { $0.status == .failed } }

    /// One line: `3 rules failed on data/train.csv: tenure min 0: rows 4, 17 (-1, -3); …`, or
    /// `data/train.csv: 1000 rows, 7 rules passed` (with the skipped ones).
    public var summary: String {
        let failed = self.failed
        if failed.isEmpty {
            let skipped = rules.filter { $0.status == .skipped }.count
            let passed = rules.count - skipped
            return "\(path): \(counted(rows, "row")), \(counted(passed, "rule")) passed" + (skipped > 0 ? ", \(skipped) skipped" : "")
        }
        return "\(counted(failed.count, "rule")) failed on \(path): " + failed.map(\.description).joined(separator: "; ")
    }
}
