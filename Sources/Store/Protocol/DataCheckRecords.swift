internal import Foundation

/// One data file a session checked against its model's `expect:` rules (the `validate` step):
/// which data, how many rows, whether every rule held, and the whole result as JSON text (every
/// rule with its outcome, offending row numbers and values), which the store keeps as it is.
public struct DataCheckRecord: Sendable, Equatable, Codable {
    /// The session that checked the data.
    public var sessionId: String
    /// The order the session checked its data in (0 for the first file).
    public var position: Int
    /// Which data it was: `train`, `evaluate` or `score`.
    public var dataset: String
    /// The file as model.yaml names it (`data/train.csv`).
    public var path: String
    /// The data rows read.
    public var rows: Int
    /// Whether every rule held.
    public var passed: Bool
    /// The whole result as JSON text (ModelFactory's `DataCheckReport`).
    public var result: String

    /// A checked file with every field given.
    public init(sessionId: String, position: Int, dataset: String, path: String, rows: Int, passed: Bool, result: String) {
        self.sessionId = sessionId
        self.position = position
        self.dataset = dataset
        self.path = path
        self.rows = rows
        self.passed = passed
        self.result = result
    }
}
