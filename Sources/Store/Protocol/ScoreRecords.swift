public import Foundation

/// One batch-scoring run (`mf score`, DESIGN.md "Data checks, batch scoring, schedules"): which
/// bundle scored which input into where, and how far it got. Its position moves in the same
/// transaction as the scores of the rows it passes (`FactoryStore.advance(_:scores:)`), so a
/// run killed at any moment resumes after the last row the store has, and scores no row twice.
public struct ScoreRun: Codable, Sendable, Equatable {
    /// Whether a run is under way, finished, or stopped by an error (it may be resumed).
    public enum Status: String, Codable, Sendable { case running, done, failed }

    /// The run's id (UUID text), which `mf score --resume` takes.
    public var id: String
    /// The model's name.
    public var model: String
    /// The version of the bundle that scores.
    public var version: String
    /// The input file's absolute path.
    public var input: String
    /// The input's size in bytes when the run began: a resume refuses an input that changed.
    public var inputSize: Int64
    /// The input's modification time when the run began.
    public var inputModifiedAt: Date
    /// The output file's absolute path; nil when the scores go to the store (`scores`).
    public var output: String?
    /// The reject file's absolute path.
    public var rejects: String
    /// The input column whose value keys each row; nil: the row number.
    public var key: String?
    /// The instances a worker call carries.
    public var batchSize: Int
    /// How it stands.
    public var status: Status
    /// When it began.
    public var startedAt: Date
    /// When it ended (done or failed).
    public var endedAt: Date?
    /// Why it failed.
    public var failure: String?
    /// Input rows behind the position: scored or rejected, in the store or the files.
    public var rowsRead: Int
    /// Rows scored so far.
    public var rowsScored: Int
    /// Rows rejected so far (in the reject file).
    public var rowsRejected: Int
    /// The input's byte offset just after the last row behind the position.
    public var inputOffset: Int64
    /// The output file's length at the position (0 when the scores go to the store).
    public var outputOffset: Int64
    /// The reject file's length at the position.
    public var rejectsOffset: Int64

    /// A run with every field given (the position's fields default to the start).
    public init(
        id: String, model: String, version: String, input: String, inputSize: Int64, inputModifiedAt: Date, output: String?, rejects: String,
        key: String?, batchSize: Int, status: Status, startedAt: Date, endedAt: Date? = nil, failure: String? = nil, rowsRead: Int = 0,
        rowsScored: Int = 0, rowsRejected: Int = 0, inputOffset: Int64 = 0, outputOffset: Int64 = 0, rejectsOffset: Int64 = 0
    ) {
        self.id = id
        self.model = model
        self.version = version
        self.input = input
        self.inputSize = inputSize
        self.inputModifiedAt = inputModifiedAt
        self.output = output
        self.rejects = rejects
        self.key = key
        self.batchSize = batchSize
        self.status = status
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.failure = failure
        self.rowsRead = rowsRead
        self.rowsScored = rowsScored
        self.rowsRejected = rowsRejected
        self.inputOffset = inputOffset
        self.outputOffset = outputOffset
        self.rejectsOffset = rejectsOffset
    }
}

/// One scored row of a run kept in the store: unique per run and key.
public struct ScoredRow: Codable, Sendable, Equatable {
    /// The run (`ScoreRun.id`).
    public var runId: String
    /// The row's key: the key column's value, else its row number as text.
    public var key: String
    /// The row's 1-based number in the input (its data rows, the header not counted).
    public var row: Int
    /// The prediction's schema outputs, as a JSON object's text.
    public var outputs: String

    /// A scored row with every field given.
    public init(runId: String, key: String, row: Int, outputs: String) {
        self.runId = runId
        self.key = key
        self.row = row
        self.outputs = outputs
    }
}
