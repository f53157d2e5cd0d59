internal import Foundation
internal import ModelKit
public import Store

/// How a scoring run goes: the rows a worker call carries and the workers that score.
public struct ScoreOptions: Sendable {
    /// Input records per batch: one worker call (less the rejected ones).
    public var batchSize = 1000
    /// Workers started from the bundle; each has three batches in flight (`lanesPerWorker`), so
    /// it predicts one while the next ones are read and sent.
    public var workers = 1
    /// How long one worker call may take, in seconds.
    public var callTimeout: Double = 600
    /// How long a worker may take to start and load its artifacts, in seconds.
    public var startTimeout: Double = 120

    /// How many batches a worker has in flight: one it predicts, the next waiting in its pipe,
    /// and one more being read and checked or decoded and handed on, so a fast model does not
    /// wait on mf between batches.
    static let lanesPerWorker = 3

    /// The defaults (see each option).
    public init() {}
}

/// Where a scoring run is, after each batch reaches the store.
public struct ScoreProgress: Sendable {
    /// The run as the store has it now.
    public var run: ScoreRun
    /// Seconds since this invocation began (a resume counts from its own start).
    public var seconds: Double
    /// Rows read by this invocation.
    public var rows: Int
    /// Input bytes read by this invocation.
    public var bytes: Int64

    /// Rows per second in this invocation.
    public var rowsPerSecond: Double { seconds > 0 ? Double(rows) / seconds : 0 }

    /// Seconds left at this invocation's pace, from the input's byte position against its size.
    public var secondsLeft: Double? {
        guard bytes > 0, seconds > 0 else { return nil }
        return Double(max(0, run.inputSize - run.inputOffset)) * seconds / Double(bytes)
    }

    /// The share of the input behind the position, 0 to 1.
    public var fraction: Double { run.inputSize > 0 ? min(1, Double(run.inputOffset) / Double(run.inputSize)) : 1 }
}

/// What a scoring run did (`mf score --json`).
public struct ScoreSummary: Sendable, Encodable, Equatable {
    /// The run's id.
    public var run: String
    /// The model.
    public var model: String
    /// The bundle's version.
    public var version: String
    /// `done`, or `failed`.
    public var status: String
    /// The input file.
    public var input: String
    /// The output file; null when the scores went to the store.
    public var output: String?
    /// Whether the scores went to the store (`scores` table).
    public var store: Bool
    /// The reject file.
    public var rejects: String
    /// Rows scored by the whole run (a resumed run's earlier part too).
    public var rowsScored: Int
    /// Rows rejected by the whole run.
    public var rowsRejected: Int
    /// Seconds this invocation took.
    public var seconds: Double
    /// Rows (scored or rejected) per second in this invocation.
    public var rowsPerSecond: Double
    /// Whether this invocation resumed an earlier one.
    public var resumed: Bool

    enum CodingKeys: String, CodingKey {
        case run, model, version, status, input, output, store, rejects, rowsScored, rowsRejected, seconds, rowsPerSecond, resumed
    }

    /// Writes every key, `output` as null when there is none.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(run, forKey: .run)
        try container.encode(model, forKey: .model)
        try container.encode(version, forKey: .version)
        try container.encode(status, forKey: .status)
        try container.encode(input, forKey: .input)
        try container.encode(output, forKey: .output)
        try container.encode(store, forKey: .store)
        try container.encode(rejects, forKey: .rejects)
        try container.encode(rowsScored, forKey: .rowsScored)
        try container.encode(rowsRejected, forKey: .rowsRejected)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(rowsPerSecond, forKey: .rowsPerSecond)
        try container.encode(resumed, forKey: .resumed)
    }
}

/// Scores a CSV or JSON Lines file with a bundle (DESIGN.md "Data checks, batch scoring,
/// schedules"): the input is read a batch at a time, each row checked against the schema (a
/// bad row goes to the reject file with its number and the reason, and the run goes on), and
/// the good rows are predicted by the bundle's workers over the standard interface, several
/// batches in flight. Batches are written in input order: to the output file, or as rows of
/// the store's `scores` table; each batch's scores and the run's new position are one store
/// transaction, so a run killed at any moment resumes (`resume`) after the last batch the store
/// has and scores no row twice.
///
/// ```swift
/// let scorer = BatchScorer(store: store, bundle: try await RunnableBundle.open(folder, home: home))
/// let run = try scorer.begin(input: "customers.csv", output: "scores.csv", key: "customer_id")
/// let summary = try await scorer.score(run) { progress in print(progress.run.rowsRead) }
/// ```
public struct BatchScorer: Sendable {
    /// Where runs and (without an output file) scores are kept.
    public let store: any FactoryStore
    /// The model that scores: its name, version, schema, and how a worker starts and loads.
    let bundle: Model
    /// Batch size and workers.
    public var options: ScoreOptions
    /// The clock of the run's dates.
    var now: @Sendable () -> Date = { Date() }

    /// What the scorer needs of a bundle.
    struct Model: Sendable {
        var name: String
        var version: String
        var schema: Manifest.Schema
        /// The command that starts one worker, run in `directory`.
        var command: [String]
        var directory: URL
        /// The trained artifacts, for the worker's `load`.
        var artifacts: URL
        /// The model's `expect:` rules (those for scoring data are checked before a run begins).
        var expect = Manifest.Expectations()
        /// The bundle's training profile, what scoring data's `psi` rules compare with.
        var profile: TrainingProfile?
    }

    /// A scorer of `bundle`'s model that records in `store`.
    public init(store: any FactoryStore, bundle: RunnableBundle, options: ScoreOptions = ScoreOptions()) {
        self.init(
            store: store,
            model: Model(
                name: bundle.name, version: bundle.version, schema: bundle.model.schema, command: bundle.command, directory: bundle.directory,
                artifacts: bundle.artifacts, expect: bundle.model.expect, profile: try? TrainingProfile.load(bundle: bundle.folder)), options: options)
    }

    /// A scorer of `model` (tests start a plugin's worker without a bundle).
    init(store: any FactoryStore, model: Model, options: ScoreOptions) {
        self.store = store
        self.bundle = model
        self.options = options
    }

    /// Starts a run: checks the input (its format, the schema's columns, the key column) and the
    /// output's format, writes the output's and the reject file's headers, and records the run.
    /// `output` nil: the scores go to the store. `rejects` nil: `NAME.rejects.csv` beside the
    /// output, or beside the input when there is no output. Paths are relative to the current folder.
    public func begin(input: String, output: String? = nil, rejects: String? = nil, key: String? = nil) throws -> ScoreRun {
        let inputURL = URL(fileURLWithPath: input).standardizedFileURL
        let inputPath = inputURL.path
        guard let format = ScoreFormat.of(inputPath) else {
            throw ScoreError.input(path: input, reason: "its extension must be .csv or .jsonl")
        }
        let (size, modified) = try Self.identity(of: inputPath, named: input)
        let outputURL = output.map { URL(fileURLWithPath: $0).standardizedFileURL }
        if let outputURL {
            guard ScoreFormat.of(outputURL.path) != nil else { throw ScoreError.outputFormat(path: output ?? "") }
            guard outputURL.path != inputPath else { throw ScoreError.output(path: outputURL.path, reason: "it is the input") }
        }
        let beside = outputURL ?? inputURL
        let rejectsURL =
            rejects.map { URL(fileURLWithPath: $0).standardizedFileURL }
            ?? beside.deletingLastPathComponent().appendingPathComponent(beside.deletingPathExtension().lastPathComponent + ".rejects.csv")
        guard rejectsURL.path != inputPath, rejectsURL.path != outputURL?.path else {
            throw ScoreError.output(path: rejectsURL.path, reason: "the reject file cannot be the input or the output")
        }
        try validate(input: inputPath, named: input)
        let reader = try InputReader(path: inputPath, format: format)
        _ = try RowCheck(schema: bundle.schema, header: reader.header, format: format, key: key, input: input)
        if format == .jsonl, let key, let first = try reader.next(), case .object(let object) = first.values, object[key] == nil {
            throw ScoreError.unknownKey(key, input: input, columns: object.keys.sorted())
        }
        let rows = ScoreRows(key: key, outputs: bundle.schema.outputs.map(\.name))
        var outputLength: Int64 = 0
        if let outputURL, let outputFormat = ScoreFormat.of(outputURL.path) {
            let file = try AppendedFile(path: outputURL.path, length: nil)
            try file.append(rows.header(outputFormat))
            outputLength = file.length
        }
        let rejectsFile = try AppendedFile(path: rejectsURL.path, length: nil)
        try rejectsFile.append(ScoreRows.rejectsHeader)
        let run = ScoreRun(
            id: UUID().uuidString.lowercased(), model: bundle.name, version: bundle.version, input: inputPath, inputSize: size,
            inputModifiedAt: modified, output: outputURL?.path, rejects: rejectsURL.path, key: key, batchSize: options.batchSize, status: .running,
            startedAt: now(), outputOffset: outputLength, rejectsOffset: rejectsFile.length)
        try store.insert(run)
        return run
    }

    /// The `validate` step of scoring: the input against the model's `expect:` rules for
    /// scoring data (`psi` against the bundle's own training profile), before anything is
    /// written; a failed rule stops the run before it begins.
    func validate(input path: String, named name: String) throws {
        let rules = bundle.expect.rules(for: .score)
        guard !rules.isEmpty else { return }
        let baseline =
            bundle.profile.map { DataBaseline.profile($0, source: "\(bundle.name) \(bundle.version)") } ?? .none(reason: "the bundle has no training profile")
        let report = try DataChecker(rules: rules, baseline: baseline).check(path: path, named: name, dataset: .score)
        guard report.passed else { throw ScoreError.dataChecks(input: name, summary: report.summary) }
    }

    /// Checks that `run` can go on from where the store has it: not done, of this bundle, its
    /// input unchanged since it began. Its batch size stays the run's own.
    public func resumable(_ run: ScoreRun) throws -> ScoreRun {
        guard run.status != .done else { throw ScoreError.cannotResume(run: run.id, reason: "it is done (\(counted(run.rowsScored, "row")) scored)") }
        guard run.model == bundle.name, run.version == bundle.version else {
            throw ScoreError.cannotResume(run: run.id, reason: "it scores with \(run.model) \(run.version), not \(bundle.name) \(bundle.version)")
        }
        let (size, modified) = try Self.identity(of: run.input, named: run.input)
        guard size == run.inputSize, abs(modified.timeIntervalSince(run.inputModifiedAt)) < 0.002 else {
            throw ScoreError.cannotResume(run: run.id, reason: "its input \(run.input) changed since the run began (size or modification time)")
        }
        var resumed = run
        resumed.status = .running
        resumed.endedAt = nil
        resumed.failure = nil
        return resumed
    }

    /// Scores `run` from its position to the end of the input; `progress` hears of every batch
    /// that reaches the store. A run that stops (a worker fails, the store fails) is recorded as
    /// failed at its last position and throws `ScoreError.stopped`.
    public func score(_ run: ScoreRun, progress: @escaping @Sendable (ScoreProgress) -> Void = { _ in }) async throws -> ScoreSummary {
        let started = ContinuousClock.now
        let resumed = run.rowsRead > 0 || run.status != .running
        guard let format = ScoreFormat.of(run.input) else { throw ScoreError.input(path: run.input, reason: "its extension must be .csv or .jsonl") }
        let reader = try InputReader(path: run.input, format: format, offset: run.inputOffset, row: run.rowsRead)
        let check = try RowCheck(schema: bundle.schema, header: reader.header, format: format, key: run.key, input: run.input)
        let output = try run.output.map { path throws(ScoreError) in
            guard FileManager.default.fileExists(atPath: path) else { throw ScoreError.output(path: path, reason: "the run's output file is gone") }
            return try AppendedFile(path: path, length: run.outputOffset)
        }
        guard FileManager.default.fileExists(atPath: run.rejects) else { throw ScoreError.output(path: run.rejects, reason: "the run's reject file is gone") }
        let rejects = try AppendedFile(path: run.rejects, length: run.rejectsOffset)
        var current = run
        current.status = .running
        try store.advance(current, scores: [])
        let feed = Feed(reader: reader, check: check, batchSize: max(1, run.batchSize))
        let committer = Committer(
            run: current, store: store, rows: ScoreRows(key: run.key, outputs: bundle.schema.outputs.map(\.name)),
            format: run.output.flatMap(ScoreFormat.of), output: output, rejects: rejects, started: started, progress: progress)
        var workers: [Lane] = []
        do {
            workers = try await startWorkers()
            committer.start(backlog: workers.count * 4)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for lane in 0..<(workers.count * ScoreOptions.lanesPerWorker) {
                    let worker = workers[lane % workers.count]
                    group.addTask {
                        while let batch = try feed.next() {
                            let outcomes = try await self.predict(batch.instances[...], on: worker)
                            try await committer.complete(batch, outcomes)
                        }
                    }
                }
                do { try await group.waitForAll() } catch {
                    // The other lanes end: no batch is taken, none waits for room to be written.
                    feed.stop()
                    committer.release()
                    throw error
                }
            }
            try await committer.finish(batches: feed.batches)
        } catch {
            feed.stop()
            // Every lane has ended: what they predicted is written up to the first gap, and the
            // run is recorded as failed once the writing thread is done with it.
            committer.stop()
            committer.waitUntilEnded()
            for worker in workers { await worker.client.shutdown(grace: 0.5) }
            var failed = committer.committed
            failed.status = .failed
            failed.endedAt = now()
            failed.failure = "\(error)"
            try? store.advance(failed, scores: [])
            throw ScoreError.stopped(run: run.id, row: failed.rowsRead, reason: "\(error)")
        }
        for worker in workers { await worker.client.shutdown() }
        var done = committer.committed
        done.status = .done
        done.endedAt = now()
        try store.advance(done, scores: [])
        let seconds = Self.seconds(since: started)
        let rows = done.rowsRead - run.rowsRead
        return ScoreSummary(
            run: done.id, model: done.model, version: done.version, status: done.status.rawValue, input: done.input, output: done.output,
            store: done.output == nil, rejects: done.rejects, rowsScored: done.rowsScored, rowsRejected: done.rowsRejected, seconds: seconds,
            rowsPerSecond: seconds > 0 ? Double(rows) / seconds : 0, resumed: resumed)
    }

    // MARK: Workers

    /// A started worker, and whether it takes `predict` as a pickle (it said so in its `load` answer).
    struct Lane: Sendable {
        var client: WorkerClient
        var binary: Bool
    }

    /// Starts `options.workers` workers, each loaded with the bundle's artifacts.
    private func startWorkers() async throws -> [Lane] {
        let bundle = self.bundle
        let timeout = options.startTimeout
        return try await withThrowingTaskGroup(of: Lane.self) { group in
            for _ in 0..<max(1, options.workers) {
                group.addTask {
                    let client = try WorkerClient(command: bundle.command, directory: bundle.directory.path)
                    do {
                        let answer = try await client.call("load", ["artifacts": .string(bundle.artifacts.path)], timeout: timeout)
                        return Lane(client: client, binary: WorkerAnswer.takesPickle(answer))
                    } catch {
                        await client.shutdown(grace: 0.5)
                        throw WorkerStartFailure(model: bundle.name, version: bundle.version, error: error)
                    }
                }
            }
            var started: [Lane] = []
            do {
                for try await lane in group { started.append(lane) }
            } catch {
                for lane in started { await lane.client.shutdown(grace: 0.5) }
                throw error
            }
            return started
        }
    }

    /// How each instance fared: its prediction's schema outputs (in the schema's order, null
    /// where it has none), or why the model failed on it.
    enum Outcome {
        case scored(ArraySlice<JSONValue>)
        case failed(String)
    }

    /// Predictions for `instances` in one call; when the model raises, the batch is halved until
    /// the instances it fails on are alone (they are rejected with its message, the others scored).
    func predict(_ instances: ArraySlice<Instance>, on lane: Lane) async throws -> [Outcome] {
        guard !instances.isEmpty else { return [] }
        do {
            let names = bundle.schema.inputs.map(\.name)
            let outputs = bundle.schema.outputs.map(\.name)
            let params: JSONValue
            if lane.binary {
                var writer = Pickle.Writer(capacity: instances.count * 64)
                writer.start()
                let slots = writer.memoize(names)
                writer.beginList()
                for instance in instances { instance.pickle(slots: slots, into: &writer) }
                writer.endList()
                writer.finish()
                params = ["pickle": .string(Data(writer.bytes).base64EncodedString())]
            } else {
                params = ["instances": .array(instances.map { $0.json(names: names) })]
            }
            let answer = try await lane.client.call("predict", params, timeout: options.callTimeout)
            // A pickled list of dictionaries is read straight into the outputs; any other answer
            // goes through the standard check, which says what is wrong with it.
            if case .string(let packed)? = answer["pickle"], let bytes = Data(base64Encoded: packed),
                let records = try? Pickle.records([UInt8](bytes), fields: outputs), records.count == instances.count
            {
                let width = outputs.count
                return (0..<records.count).map { .scored(records.values[($0 * width)..<($0 * width + width)]) }
            }
            return try WorkerAnswer.predictions(answer, count: instances.count).map { prediction in
                .scored(ArraySlice(outputs.map { prediction[$0] ?? .null }))
            }
        } catch {
            guard case .remote(_, _, let message) = error else { throw error }
            if instances.count == 1 { return [.failed("the model failed on it: \(message)")] }
            let middle = instances.startIndex + instances.count / 2
            return try await predict(instances[..<middle], on: lane) + predict(instances[middle...], on: lane)
        }
    }

    // MARK: Helpers

    /// The size and modification time of the input at `path`.
    static func identity(of path: String, named name: String) throws(ScoreError) -> (size: Int64, modified: Date) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw .input(path: name, reason: "there is no such file") }
        guard !isFolder.boolValue else { throw .input(path: name, reason: "it is a folder, not a file") }
        var info = stat()
        guard stat(path, &info) == 0 else { throw .input(path: name, reason: InputReader.reason(errno)) }
        let modified = Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
        // As the store keeps dates: to the millisecond.
        return (Int64(info.st_size), Date(timeIntervalSince1970: (modified.timeIntervalSince1970 * 1000).rounded() / 1000))
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

/// A worker that could not start or load the bundle's artifacts.
struct WorkerStartFailure: Error, CustomStringConvertible {
    let model: String
    let version: String
    let error: any Error
    var description: String { "a worker of \(model) \(version) failed to start: \(error)" }
}

/// One batch of input records: the good rows to predict and the rejected ones, in row order.
struct Batch: Sendable {
    /// Its place in the input: batches are written in this order.
    var sequence: Int
    /// The rows to predict: row number, key, and the record as written (for a reject).
    var rows: [(row: Int, key: String, record: [UInt8])]
    /// Their instances, in the same order.
    var instances: [Instance]
    /// Rows rejected before any worker saw them.
    var rejects: [Reject]
    /// The last row number in the batch.
    var lastRow: Int
    /// The input's byte offset after the batch.
    var end: Int64

    struct Reject: Sendable {
        var row: Int
        var reason: String
        var record: [UInt8]
    }
}

/// The input, read a batch at a time by whichever lane needs one.
final class Feed: @unchecked Sendable {
    private let lock = NSLock()
    private let reader: InputReader
    private let check: RowCheck
    private let batchSize: Int
    private var sequence = 0
    private var stopped = false

    init(reader: InputReader, check: RowCheck, batchSize: Int) {
        self.reader = reader
        self.check = check
        self.batchSize = batchSize
    }

    /// The next batch, or nil at the end of the input (or once stopped).
    func next() throws -> Batch? {
        try lock.withLock { () throws -> Batch? in
            guard !stopped, !Task.isCancelled else { return nil }
            var batch = Batch(sequence: sequence, rows: [], instances: [], rejects: [], lastRow: reader.row, end: reader.offset)
            batch.instances.reserveCapacity(batchSize)
            for _ in 0..<batchSize {
                guard let record = try reader.next() else { break }
                switch check.check(record) {
                case .instance(let key, let instance):
                    batch.rows.append((record.row, key, record.raw))
                    batch.instances.append(instance)
                case .rejected(let reason):
                    batch.rejects.append(.init(row: record.row, reason: reason, record: record.raw))
                }
                batch.lastRow = record.row
                batch.end = record.end
            }
            guard !(batch.rows.isEmpty && batch.rejects.isEmpty) else { return nil }
            sequence += 1
            return batch
        }
    }

    /// How many batches it has given.
    var batches: Int { lock.withLock { sequence } }

    /// No more batches (a lane failed).
    func stop() { lock.withLock { stopped = true } }
}

/// Writes finished batches in input order: the output (or the store's scores) and the reject
/// file, then the run's new position with the batch's scores in one store transaction. It writes
/// on a thread of its own, so the lanes send their next batches while a batch is written (a
/// store transaction of a thousand scores takes milliseconds, and blocks its thread); a lane
/// waits only when `backlog` predicted batches are waiting to be written.
final class Committer: @unchecked Sendable {
    private let condition = NSCondition()
    private var finished: [Int: (Batch, [BatchScorer.Outcome])] = [:]
    private var next = 0
    /// How many batches there are, once the lanes have ended.
    private var total: Int?
    /// Why writing ended early: a batch could not be written, or `stop()`.
    private var failure: (any Error)?
    /// `stop()` was called: what is ready is written, then writing ends.
    private var stopping = false
    /// `release()` was called: lanes do not wait for room.
    private var released = false
    private var backlog = 8
    /// Whether the writing thread runs; `ended` is signalled when it returns.
    private var running = false
    private let ended = DispatchSemaphore(value: 0)
    /// Lanes waiting for the backlog to shrink, and the caller waiting for the last batch.
    private var waitingLanes: [CheckedContinuation<Void, any Error>] = []
    private var waitingForEnd: CheckedContinuation<Void, any Error>?
    private var state: ScoreRun
    private let store: any FactoryStore
    private let rows: ScoreRows
    private let format: ScoreFormat?
    private let output: AppendedFile?
    private let rejects: AppendedFile
    private let started: ContinuousClock.Instant
    private let startRow: Int
    private let startOffset: Int64
    private let progress: @Sendable (ScoreProgress) -> Void

    init(
        run: ScoreRun, store: any FactoryStore, rows: ScoreRows, format: ScoreFormat?, output: AppendedFile?, rejects: AppendedFile,
        started: ContinuousClock.Instant, progress: @escaping @Sendable (ScoreProgress) -> Void
    ) {
        state = run
        self.store = store
        self.rows = rows
        self.format = format
        self.output = output
        self.rejects = rejects
        self.started = started
        startRow = run.rowsRead
        startOffset = run.inputOffset
        self.progress = progress
    }

    /// The run as the store has it.
    var committed: ScoreRun { condition.withLock { state } }

    /// Starts the writing thread; a lane waits when `backlog` batches wait to be written.
    func start(backlog: Int) {
        condition.withLock {
            self.backlog = max(1, backlog)
            running = true
        }
        let thread = Thread { [self] in write() }
        thread.name = "mf-score-commit"
        thread.start()
    }

    /// Takes a predicted batch, to be written in its turn; waits while the backlog is full.
    func complete(_ batch: Batch, _ outcomes: [BatchScorer.Outcome]) async throws {
        try condition.withLock {
            if let failure { throw failure }
            finished[batch.sequence] = (batch, outcomes)
            condition.broadcast()
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            condition.withLock {
                if let failure { return continuation.resume(throwing: failure) }
                if released { return continuation.resume(throwing: CancellationError()) }
                // Batches before this one are still to come: it is never made to wait for itself.
                guard finished.count >= backlog, batch.sequence > next else { return continuation.resume() }
                waitingLanes.append(continuation)
            }
        }
    }

    /// Waits until the `batches` batches the lanes took are written (or the writing fails).
    func finish(batches: Int) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            condition.withLock {
                total = batches
                condition.broadcast()
                if let failure { return continuation.resume(throwing: failure) }
                if next >= batches { return continuation.resume() }
                waitingForEnd = continuation
            }
        }
    }

    /// A lane failed: lanes waiting for room go on at once (and end), and none waits from now
    /// on; the batches they finish are still taken and written in turn.
    func release() {
        let lanes: [CheckedContinuation<Void, any Error>] = condition.withLock {
            released = true
            defer { waitingLanes = [] }
            return waitingLanes
        }
        for lane in lanes { lane.resume(throwing: CancellationError()) }
    }

    /// Ends writing once the lanes have ended: the batches predicted so far are written up to
    /// the first one missing (no finished work is lost), then the writing thread ends.
    func stop() {
        release()
        condition.withLock {
            stopping = true
            condition.broadcast()
        }
    }

    /// Waits until the writing thread (if it started) has ended: after `stop()`, at most the
    /// length of one batch's write.
    func waitUntilEnded() {
        guard condition.withLock({ running }) else { return }
        ended.wait()
        ended.signal()
    }

    /// The writing thread: each batch in turn, until all are written, one fails, or `stop()`.
    private func write() {
        defer {
            condition.withLock { running = false }
            ended.signal()
        }
        while true {
            condition.lock()
            while finished[next] == nil, failure == nil, !stopping, total.map({ next < $0 }) ?? true { condition.wait() }
            guard failure == nil, let (batch, outcomes) = finished.removeValue(forKey: next) else {
                // All written, stopped, or failed: whoever waits hears it, and writing ends.
                if stopping, failure == nil { failure = CancellationError() }
                let end = waitingForEnd
                waitingForEnd = nil
                let lanes = waitingLanes
                waitingLanes = []
                let failure = self.failure
                condition.unlock()
                for lane in lanes { if let failure { lane.resume(throwing: failure) } else { lane.resume() } }
                if let failure { end?.resume(throwing: failure) } else { end?.resume() }
                return
            }
            condition.unlock()
            var written: (any Error)?
            do { try write(batch, outcomes) } catch { written = error }
            condition.lock()
            next += 1
            if let written { failure = written }
            // Room in the backlog (or a failure): the waiting lanes go on.
            let lanes = failure != nil || finished.count < backlog ? waitingLanes : []
            if !lanes.isEmpty { waitingLanes = [] }
            let failure = self.failure
            condition.unlock()
            for lane in lanes { if let failure { lane.resume(throwing: failure) } else { lane.resume() } }
        }
    }

    /// Writes one batch and moves the position past it (only the writing thread calls it).
    private func write(_ batch: Batch, _ outcomes: [BatchScorer.Outcome]) throws {
        var run = condition.withLock { state }
        var rejected = batch.rejects
        var lines: [UInt8] = []
        var scores: [ScoredRow] = []
        var scored = 0
        var records: [Int: [UInt8]] = [:]
        for ((row, key, record), outcome) in zip(batch.rows, outcomes) {
            switch outcome {
            case .failed(let reason): rejected.append(.init(row: row, reason: reason, record: record))
            case .scored(let prediction):
                if let format {
                    rows.line(key: key, outputs: prediction, format: format, into: &lines)
                    scored += 1
                } else {
                    scores.append(ScoredRow(runId: run.id, key: key, row: row, outputs: rows.outputsJSON(prediction)))
                    records[row] = record
                }
            }
        }
        if format == nil, !scores.isEmpty {
            // A key the run has scored already (here or in an earlier batch) is a reject: the store keeps one score a key.
            var seen = try store.scoredKeys(run: run.id, among: scores.map(\.key))
            scores = scores.filter { score in
                guard seen.insert(score.key).inserted else {
                    rejected.append(
                        .init(row: score.row, reason: "\(rows.keyName): the key '\(score.key)' was scored before in this run", record: records[score.row] ?? [])
                    )
                    return false
                }
                return true
            }
            scored = scores.count
        }
        if !rejected.isEmpty {
            var text: [UInt8] = []
            for reject in rejected.sorted(by: { $0.row < $1.row }) {
                ScoreRows.reject(row: reject.row, reason: reject.reason, record: reject.record, into: &text)
            }
            try rejects.append(text)
        }
        if let output, !lines.isEmpty { try output.append(lines) }
        run.rowsRead = batch.lastRow
        run.inputOffset = batch.end
        run.rowsScored += scored
        run.rowsRejected += rejected.count
        run.outputOffset = output?.length ?? 0
        run.rejectsOffset = rejects.length
        try store.advance(run, scores: scores)
        condition.withLock { state = run }
        progress(
            ScoreProgress(
                run: run, seconds: BatchScorer.seconds(since: started), rows: run.rowsRead - startRow, bytes: run.inputOffset - startOffset))
    }
}
