import ArgumentParser
import Foundation
import ModelFactory
import Store
import Synchronization

struct Score: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score a CSV or JSON Lines file in batches with a bundle, into a file or the store.",
        discussion: """
            MODEL names the bundle: MODEL@VERSION (1.2.0 or v1.2.0) that version, MODEL@ENV (an \
            environment such as production) the version the environment serves, plain MODEL the \
            newest release. The input is read in streamed batches of --batch rows; each row is \
            checked against the schema (types, min/max, values; a CSV cell is read as the field's \
            type), and a bad row goes to the reject file (row,reason,record: its 1-based row \
            number, the header and blank lines not counted) without stopping the run. Good rows \
            are predicted by --workers workers of the bundle (the standard interface's predict, \
            three batches in flight a worker); a row the model raises on is rejected with its \
            message, the rest of its batch scored.

            --output x.csv or x.jsonl writes one row per scored input: the --key column (else \
            row, the row number) and one column per schema output. Without --output the scores \
            go to the store's scores table (run, key, row, outputs as JSON), one per key: a key \
            seen again in the run is rejected. The reject file defaults to NAME.rejects.csv \
            beside the output (or beside the input without one).

            Every batch is written in input order and the run's position (input offset, rows, \
            the output's and reject file's lengths) moves in the same store transaction as the \
            batch's scores. A run killed at any moment (kill -9 too) continues with mf score \
            --resume RUN: the output and reject files are cut back to the recorded lengths (a \
            torn last line goes with the rows after the position) and scoring goes on after the \
            last recorded row, so every row is scored and written once. The input must be \
            unchanged (size and modification time).

            Progress goes to stderr: a bar redrawn in place on a terminal (rows, rows/s, time \
            left from the input's byte position), else a line every few seconds. At the end a \
            summary; --json prints {run, model, version, status, input, output, store, rejects, \
            rowsScored, rowsRejected, seconds, rowsPerSecond, resumed} (output null when the \
            scores went to the store; the counts are the whole run's, the rate this invocation's).

              mf score churn@1.2.0 --input customers.csv --output scores.csv --key customer_id
              mf score churn@production --input customers.jsonl --workers 2
              mf score --resume 3f0c9a52-…
            """
    )

    @Argument(help: ArgumentHelp("The bundle: MODEL, MODEL@VERSION or MODEL@ENV.", valueName: "model"))
    var model: String?

    @Option(
        help: ArgumentHelp("The rows to score: a .csv (with a header row) or .jsonl file.", valueName: "file"), completion: .file(extensions: ["csv", "jsonl"]))
    var input: String?

    @Option(help: ArgumentHelp("Where the scores go: a .csv or .jsonl file (default: the store's scores table).", valueName: "file"), completion: .file())
    var output: String?

    @Option(help: ArgumentHelp("The input column that keys each row (default: the row number, as column row).", valueName: "column"))
    var key: String?

    @Option(help: ArgumentHelp("The reject file (default: NAME.rejects.csv beside the output, or beside the input).", valueName: "file"), completion: .file())
    var rejects: String?

    @Option(help: ArgumentHelp("Input rows per worker call.", valueName: "n"))
    var batch = 1000

    @Option(help: ArgumentHelp("Workers of the bundle that score in parallel (as mf serve starts two by default).", valueName: "n"))
    var workers = 2

    @Option(help: ArgumentHelp("Continue the scoring run with this id from where the store has it.", valueName: "run"))
    var resume: String?

    @Option(
        help: ArgumentHelp(
            "Python packages: 'lock' (an environment from the bundle's requirements.lock) or 'system' (python3 as it is).", valueName: "lock|system"),
        completion: .list(["lock", "system"]))
    var python = "lock"

    @OptionGroup var options: RepositoryOptions

    func validate() throws {
        if resume != nil {
            guard model == nil, input == nil, output == nil, key == nil, rejects == nil else {
                throw ValidationError("--resume continues a run as it began: give no MODEL, --input, --output, --key or --rejects with it")
            }
        } else {
            guard model != nil else { throw ValidationError("name the MODEL to score with (or --resume a run)") }
            guard input != nil else { throw ValidationError("name the --input file to score") }
        }
        guard batch >= 1, workers >= 1 else { throw ValidationError("--batch and --workers must be at least 1") }
        guard python == "lock" || python == "system" else { throw ValidationError("--python takes 'lock' or 'system'") }
    }

    func run() async throws {
        let summary = try await reportingErrors { () async throws -> ScoreSummary in
            let store = try options.openStore()
            var scoreOptions = ScoreOptions()
            scoreOptions.batchSize = batch
            scoreOptions.workers = workers
            let run: ScoreRun
            let scorer: BatchScorer
            if let resume {
                guard let found = try store.scoreRun(id: resume) else { throw ScoreError.noRun(resume) }
                guard let record = try store.bundles().first(where: { $0.model == found.model && $0.bundle.version == found.version }) else {
                    throw ScoreError.cannotResume(run: resume, reason: "the store has no bundle of \(found.model) \(found.version) any more")
                }
                scorer = BatchScorer(store: store, bundle: try await open(record.bundle, model: record.model, store: store), options: scoreOptions)
                run = try scorer.resumable(found)
            } else {
                // The input is looked at before the bundle is opened: a missing file is said at once.
                _ = try BatchScorerInput.check(input ?? "")
                let (record, name) = try store.scoringBundle(model ?? "", repository: try options.repositoryFilter())
                scorer = BatchScorer(store: store, bundle: try await open(record, model: name, store: store), options: scoreOptions)
                run = try scorer.begin(input: input ?? "", output: output, rejects: rejects, key: key)
            }
            let display = ProgressDisplay(terminal: isatty(2) != 0)
            display.started(run)
            defer { display.finish() }
            return try await scorer.score(run) { display.show($0) }
        }
        if options.json {
            try printJSON(summary)
        } else {
            let place = summary.output ?? "the store"
            var line = "\(summary.model) \(summary.version): \(counted(summary.rowsScored, "row")) scored into \(place)"
            if summary.rowsRejected > 0 { line += ", \(counted(summary.rowsRejected, "row")) rejected (\(summary.rejects))" }
            line += String(format: " in %.1f s, %.0f rows/s", summary.seconds, summary.rowsPerSecond) + "; run \(summary.run)"
            print(line)
        }
    }

    /// The bundle of `record` ready to run workers: this host's copy, else the store's.
    func open(_ record: BundleRecord, model: String, store: any FactoryStore) async throws -> RunnableBundle {
        let folder = try BundleCache(store: store, home: options.homeURL).folder(for: record, model: model).folder
        return try await RunnableBundle.open(folder, home: options.homeURL, python: python == "system" ? .system : .lock)
    }
}

/// The checks of `--input` made before anything else.
enum BatchScorerInput {
    /// Throws the one-sentence error of a missing or unreadable input, or one of another format.
    static func check(_ path: String) throws -> ScoreFormat {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw InputFileError(option: "--input", path: path, reason: "there is no such file")
        }
        guard !isFolder.boolValue else { throw InputFileError(option: "--input", path: path, reason: "it is a folder, not a file") }
        guard let format = ScoreFormat.of(path) else {
            throw InputFileError(option: "--input", path: path, reason: "its extension must be .csv or .jsonl", action: "score")
        }
        return format
    }
}

/// Progress on stderr: a bar redrawn in place on a terminal, else a plain line every few seconds.
final class ProgressDisplay: Sendable {
    let terminal: Bool
    private let state = Mutex<(last: ContinuousClock.Instant?, drawn: Bool)>((nil, false))

    init(terminal: Bool) { self.terminal = terminal }

    func started(_ run: ScoreRun) {
        let from = run.rowsRead > 0 ? " from row \(run.rowsRead + 1)" : ""
        write("mf: scoring \(run.input) with \(run.model) \(run.version)\(from) (run \(run.id))\n")
    }

    func show(_ progress: ScoreProgress) {
        let now = ContinuousClock.now
        let due: Bool = state.withLock { state in
            let interval: Duration = terminal ? .milliseconds(100) : .seconds(5)
            if let last = state.last, now - last < interval { return false }
            state.last = now
            state.drawn = true
            return true
        }
        guard due else { return }
        let run = progress.run
        let left = progress.secondsLeft.map { Self.duration($0) } ?? "?"
        let rate = String(format: "%.0f rows/s", progress.rowsPerSecond)
        if terminal {
            let width = 24
            let filled = Int(progress.fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            write("\r\u{1B}[K[\(bar)] \(Int(progress.fraction * 100))% \(run.rowsRead) rows, \(rate), \(left) left, \(run.rowsRejected) rejected")
        } else {
            write(
                "mf: score \(run.id.prefix(8)): \(run.rowsRead) rows (\(Int(progress.fraction * 100))%), \(run.rowsRejected) rejected, \(rate), \(left) left\n")
        }
    }

    func finish() {
        if terminal, state.withLock({ $0.drawn }) { write("\r\u{1B}[K") }
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m\(String(format: "%02d", whole % 60))s" }
        return "\(whole / 3600)h\(String(format: "%02d", whole / 60 % 60))m"
    }
}
