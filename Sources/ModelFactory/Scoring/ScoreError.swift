/// Why `mf score` cannot score, or stopped: each case is the one sentence a user reads.
public enum ScoreError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The input cannot be read or used: where, and why.
    case input(path: String, reason: String)
    /// An output or reject file cannot be written: which, and why.
    case output(path: String, reason: String)
    /// `--output` names a file whose extension is neither `.csv` nor `.jsonl`.
    case outputFormat(path: String)
    /// `--key` names a column the input does not have.
    case unknownKey(String, input: String, columns: [String])
    /// No bundle of that model (or version, or environment) in the store: what was asked, and
    /// what there is.
    case noBundle(String, reason: String)
    /// No scoring run with that id.
    case noRun(String)
    /// `--resume` of a run that cannot go on: why.
    case cannotResume(run: String, reason: String)
    /// The run stopped (a worker failed, the store failed): its id and position, so it can be resumed.
    case stopped(run: String, row: Int, reason: String)
    /// The input fails the model's `expect:` rules for scoring data (the `validate` step's summary).
    case dataChecks(input: String, summary: String)

    /// The sentence a user reads.
    public var description: String {
        switch self {
        case .input(let path, let reason): "cannot score the input \(path): \(reason)"
        case .output(let path, let reason): "cannot write \(path): \(reason)"
        case .outputFormat(let path): "cannot write the scores to \(path): the output's extension must be .csv or .jsonl"
        case .unknownKey(let key, let input, let columns):
            "--key \(key): the input \(input) has no such column (it has \(columns.joined(separator: ", ")))"
        case .noBundle(let name, let reason): "no bundle to score with for \(name): \(reason)"
        case .noRun(let id): "no scoring run '\(id)' in the store"
        case .cannotResume(let run, let reason): "cannot resume scoring run \(run): \(reason)"
        case .stopped(let run, let row, let reason):
            "scoring run \(run) stopped after row \(row): \(reason); continue it with mf score --resume \(run)"
        case .dataChecks(let input, let summary): "cannot score the input \(input): it fails the model's expect: rules (\(summary))"
        }
    }
}
