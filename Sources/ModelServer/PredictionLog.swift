internal import Foundation
internal import HTTPTypes
internal import Logging
internal import ModelKit
internal import NIOCore
internal import Prometheus
internal import ServiceLifecycle
internal import Store
internal import Synchronization

/// How `mf serve` keeps its production loop (DESIGN.md "Production loop"): the prediction log,
/// and live metrics from feedback.
public struct LoopOptions: Sendable {
    /// The share of predicted instances logged (0 to 1).
    public var sample = 1.0
    /// The most bytes of predictions waiting in memory for the store; past it the oldest are
    /// dropped (and counted in `mf_prediction_log_dropped_total`).
    public var maxBytes = 64 << 20
    /// How often the waiting predictions are written to the store, in one transaction per batch.
    /// A server killed with `kill -9` loses what it answered since the last write: at most this
    /// long (longer only while the store is unavailable, when the log waits in memory).
    public var flushInterval: Duration = .seconds(1)
    /// Live metrics are computed again after this many new labels of a model (0: not by count).
    public var liveEvery = 100
    /// …or after this long, when the labelled rows changed (0: not by time).
    public var liveInterval: Duration = .seconds(60)

    /// The defaults (see each option).
    public init() {}
}

/// Prediction ids (DESIGN.md "Production loop"): the value of the model's business key when it
/// names one and the instance has it, else a new time-ordered random id.
enum PredictionIDs {
    static func make(for instances: [JSONValue], key: String?) -> [String] {
        instances.map { instance in key.flatMap { instance[$0] }.flatMap(text) ?? newID() }
    }

    /// A business key's value as a string (keys are compared as strings): a string as it is,
    /// a number or a bool as JSON writes it; nil for null or a composite.
    static func text(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): text
        case .number, .bool: String(decoding: value.jsonData(), as: UTF8.self)
        default: nil
        }
    }

    /// This process's random part of every id: drawn once, so an id costs no system call.
    private static let seed: (UInt64, UInt16) = {
        var generator = SystemRandomNumberGenerator()
        return (generator.next(), generator.next())
    }()
    /// How many ids this process made.
    private static let made = Atomic<UInt64>(0)

    /// UUID-shaped: 48 bits of milliseconds since 1970 (so ids sort by time), then 80 bits that
    /// look random: SplitMix64 of this process's count of ids plus a random seed (a bijection, so
    /// no two ids of one process are alike), and 16 random bits of the process. Two servers'
    /// ids of the same millisecond differ unless their 80-bit parts collide (one in 2^64 for a pair).
    static func newID() -> String {
        let millis = UInt64(Date().timeIntervalSince1970 * 1000)
        var mixed = made.wrappingAdd(1, ordering: .relaxed).newValue &+ seed.0
        mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
        let random = mixed ^ (mixed >> 31)
        let more = seed.1
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for shift in stride(from: 40, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: millis >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: random >> UInt64(shift))) }
        bytes.append(UInt8(truncatingIfNeeded: more >> 8))
        bytes.append(UInt8(truncatingIfNeeded: more))
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { text.append(0x2D) }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// Answered predictions waiting for the store: the request path only appends (sampled) to this
/// bounded buffer; `ProductionLoopService` writes it to the store in batches. While the store is
/// busy or unavailable the buffer keeps growing up to `LoopOptions.maxBytes`, then drops its
/// oldest entries; a request never waits for the store and never fails because of it.
final class PredictionLog: Sendable {
    let store: any FactoryStore
    let options: LoopOptions
    private let state = Mutex(State())
    private let dropped: Counter
    private let written: Counter

    private struct State {
        var entries = CircularBuffer<Entry>()
        var bytes = 0
    }

    /// A prediction as the request answered it: its instance and prediction are written as JSON
    /// text only when it is taken for the store, off the request path.
    struct Entry: Sendable {
        var id: String
        var model: String
        var version: String
        var time: Date
        var instance: JSONValue
        var prediction: JSONValue
        /// What the entry is counted for against `LoopOptions.maxBytes`: about its JSON text,
        /// and a little for the rest.
        var size: Int

        init(id: String, model: String, version: String, time: Date, instance: JSONValue, prediction: JSONValue) {
            (self.id, self.model, self.version, self.time, self.instance, self.prediction) = (id, model, version, time, instance, prediction)
            size =
                PredictionLog.approximateSize(instance) + PredictionLog.approximateSize(prediction) + id.utf8.count + model.utf8.count + version.utf8.count
                + 64
        }

        /// The entry as the store keeps it.
        var logged: LoggedPrediction {
            LoggedPrediction(
                id: id, model: model, version: version, time: time, inputs: String(decoding: instance.jsonData(), as: UTF8.self),
                outputs: String(decoding: prediction.jsonData(), as: UTF8.self))
        }
    }

    /// The most predictions one transaction writes.
    static let batchSize = 5000

    init(store: any FactoryStore, options: LoopOptions, metrics: ServerMetrics) {
        self.store = store
        self.options = options
        dropped = metrics.registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "mf", metricName: "prediction_log_dropped", unitName: "total",
                helpText: "Predictions dropped from the log's buffer (oldest first) because it was full (--log-max-bytes)."))
        written = metrics.registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "mf", metricName: "prediction_log_written", unitName: "total", helpText: "Predictions written to the store's log."))
    }

    /// About the bytes `value` takes as JSON text, without writing it: strings and keys by
    /// their UTF-8 length (plus quotes), numbers at 12, punctuation at one per item.
    static func approximateSize(_ value: JSONValue) -> Int {
        switch value {
        case .null: 4
        case .bool: 5
        case .number: 12
        case .string(let text): text.utf8.count + 2
        case .array(let items): items.reduce(2) { $0 + approximateSize($1) + 1 }
        case .object(let fields): fields.reduce(2) { $0 + $1.key.utf8.count + 4 + approximateSize($1.value) }
        }
    }

    /// Entries waiting for the store.
    var count: Int { state.withLock { $0.entries.count } }

    /// Appends a sample (`LoopOptions.sample`) of a request's instances with their ids and
    /// predictions, as answered by `version` of `model`.
    func append(model: String, version: String, ids: [String], instances: [JSONValue], predictions: [JSONValue]) {
        let sample = options.sample
        guard sample > 0, ids.count == instances.count, predictions.count == instances.count else { return }
        let now = Date()
        var batch: [Entry] = []
        batch.reserveCapacity(instances.count)
        for index in instances.indices where sample >= 1 || Double.random(in: 0..<1) < sample {
            batch.append(Entry(id: ids[index], model: model, version: version, time: now, instance: instances[index], prediction: predictions[index]))
        }
        add(batch, atFront: false)
    }

    /// Adds entries at the end (new ones) or the front (a batch the store refused, to be tried
    /// again first), then drops the oldest while the buffer is over its bound.
    func add(_ entries: [Entry], atFront: Bool) {
        guard !entries.isEmpty else { return }
        let limit = options.maxBytes
        let drops: Int = state.withLock { state in
            if atFront {
                for entry in entries.reversed() { state.entries.prepend(entry) }
            } else {
                state.entries.append(contentsOf: entries)
            }
            state.bytes += entries.reduce(0) { $0 + $1.size }
            var drops = 0
            while state.bytes > limit, let oldest = state.entries.popFirst() {
                state.bytes -= oldest.size
                drops += 1
            }
            return drops
        }
        if drops > 0 { dropped.increment(by: Int64(drops)) }
    }

    /// Takes at most `limit` of the oldest entries.
    func take(_ limit: Int) -> [Entry] {
        state.withLock { state in
            let taken = Array(state.entries.prefix(limit))
            state.entries.removeFirst(taken.count)
            state.bytes -= taken.reduce(0) { $0 + $1.size }
            return taken
        }
    }

    /// Writes everything waiting, one transaction per batch. On a store error the batch goes
    /// back to the front of the buffer (the next flush tries again) and the error is thrown.
    func flush() throws(StoreError) {
        while true {
            let batch = take(Self.batchSize)
            if batch.isEmpty { return }
            do { try store.record(predictions: batch.map(\.logged)) } catch {
                add(batch, atFront: true)
                throw error
            }
            written.increment(by: Int64(batch.count))
        }
    }
}

/// Writes the prediction log to the store every `LoopOptions.flushInterval` and, beside it,
/// computes live metrics (`LiveMetrics`). On graceful shutdown it writes what is left (the
/// HTTP server has stopped accepting by then). A `kill -9` loses the predictions answered since
/// the last write: at most one flush interval (1 s by default) while the store is available.
struct ProductionLoopService: Service {
    let log: PredictionLog
    let live: LiveMetrics?
    let logger: Logger

    /// The service for `registry`'s log, if it keeps one.
    static func services(registry: ModelRegistry, logger: Logger) -> [any Service] {
        guard let log = registry.predictionLog else { return [] }
        let options = log.options
        let live =
            options.liveEvery > 0 || options.liveInterval > .zero
            ? LiveMetrics(registry: registry, store: log.store, options: options, logger: logger) : nil
        return [ProductionLoopService(log: log, live: live, logger: logger)]
    }

    func run() async throws {
        let (log, live, logger) = (self.log, self.live, self.logger)
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    var failing = false
                    while (try? await Task.sleep(for: log.options.flushInterval)) != nil {
                        do {
                            try await StoreThread.run { () throws(StoreError) in try log.flush() }
                            if failing { logger.info("the prediction log reaches the store again") }
                            failing = false
                        } catch {
                            if !failing { logger.warning("the prediction log waits in memory: \(error)") }
                            failing = true
                        }
                    }
                }
                if let live {
                    group.addTask {
                        while (try? await Task.sleep(for: .seconds(1))) != nil { await live.tick() }
                    }
                }
            }
        }
        do { try await StoreThread.run { () throws(StoreError) in try log.flush() } } catch {
            logger.error("the last predictions could not be logged: \(error)")
        }
    }
}

extension ModelServer {
    /// The header that holds the id of a request's first predicted instance.
    static let predictionIDHeader = HTTPField.Name("X-Prediction-Id")!
}
