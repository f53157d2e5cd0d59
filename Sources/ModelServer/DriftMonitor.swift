public import Foundation
internal import Logging
internal import ModelFactory
internal import ModelKit
internal import Prometheus
internal import Store
internal import Synchronization

/// A field's input drift crossing model.yaml's threshold (`monitor: {psi: 0.2}`), up or down:
/// what `ServeOptions.onDriftAlert` hears, once per crossing.
public struct DriftAlert: Sendable, Equatable, CustomStringConvertible {
    /// Which way the PSI crossed the threshold.
    public enum Change: String, Sendable {
        /// Past the threshold, with at least the minimum window of live instances.
        case raised
        /// Back at or below it after an alert.
        case cleared
    }

    /// The model's name.
    public var model: String
    /// The version whose live inputs drifted.
    public var version: String
    /// The schema input that drifted.
    public var field: String
    /// The field's PSI over the window when it crossed.
    public var psi: Double
    /// model.yaml's `monitor.psi`.
    public var threshold: Double
    /// The live instances the PSI was computed over.
    public var window: Int
    /// Raised or cleared.
    public var change: Change
    /// When the server saw it cross.
    public var date: Date

    /// The alert as a log line reads it: model, version, field, PSI, threshold and window.
    public var description: String {
        let psi = (psi * 1e4).rounded() / 1e4
        return switch change {
        case .raised: "input drift on \(model) \(version) field \(field): PSI \(psi) is past the threshold \(threshold) over \(window) instances"
        case .cleared:
            "input drift on \(model) \(version) field \(field) is over: PSI \(psi) is back within the threshold \(threshold) over \(window) instances"
        }
    }
}

/// Compares one loaded version's live inputs with its bundle's training profile
/// (`profile.json`) over a sliding window of the last `capacity` instances (DESIGN.md
/// "Production loop").
///
/// The request path only sorts each instance's fields into their PSI bins (a dictionary look-up
/// and a binary search per field) and appends the bins to a ring under a mutex, which keeps
/// running counts per bin; every `every` instances a detached task computes the PSI per field
/// from those counts, sets the Prometheus gauges and raises or clears alerts. `/stats` computes
/// the same on demand.
final class DriftMonitor: Sendable {
    /// What the server's options say about drift.
    struct Settings: Sendable {
        /// Live instances per window; 0 turns drift off.
        var window: Int
        /// Hears every alert raised or cleared.
        var onAlert: @Sendable (DriftAlert) -> Void

        init(_ options: ServeOptions) {
            window = options.driftWindow
            onAlert = options.onDriftAlert
        }
    }

    /// One field's drift over the window.
    struct FieldStats: Sendable, Equatable {
        var name: String
        /// nil when the window is empty or the training data had no values for the field.
        var psi: Double?
        /// nil when the window is empty.
        var missingShare: Double?
        /// nil when the window is empty.
        var outOfSchemaShare: Double?
        /// The field is past the threshold (and was with at least `minimumWindow` instances).
        var alert: Bool
    }

    /// The drift of every field over the window as it is now.
    struct Stats: Sendable, Equatable {
        /// The live instances in the window.
        var window: Int
        var fields: [FieldStats]
    }

    /// Fewer live instances than this say too little to alert on.
    static let minimumWindow = 100
    /// Most instances between two computations of the PSI off the request path.
    static let maxEvery = 100

    let model: String
    let version: String
    /// The most live instances the window holds.
    let capacity: Int
    /// model.yaml's `monitor.psi`.
    let threshold: Double
    /// The bundle's profile; nil for a bundle made before profiles (drift is unavailable).
    let profile: TrainingProfile?
    /// The fewest instances an alert is raised on: `minimumWindow`, or the whole window when smaller.
    var alertFrom: Int { Swift.min(Self.minimumWindow, capacity) }

    private let fields: [Watched]
    private let every: Int
    private let window: Mutex<Window>
    private let alerts: Mutex<AlertState>
    private let evaluating = Atomic(false)
    private let metrics: ServerMetrics
    private let logger: Logger
    private let onAlert: @Sendable (DriftAlert) -> Void

    /// A schema input and how its live values are binned.
    private struct Watched: Sendable {
        let name: String
        /// nil when the training data had no values for the field: only missing values are counted.
        let bins: ProfileBins?
        var binCount: Int { bins?.expected.count ?? 2 }
        var missingBin: Int { bins?.missingBin ?? 1 }

        /// The bin of `value` in the low 7 bits, with the high bit set when it is out of schema.
        func code(_ value: JSONValue?) -> UInt8 {
            guard let bins else { return value == nil || value == .null ? 1 : 0 }
            let placement = bins.place(value)
            return UInt8(placement.bin) | (placement.outOfSchema ? 0x80 : 0)
        }
    }

    /// The ring of the last `capacity` instances' codes (one per field) and running counts.
    private struct Window {
        var codes: [UInt8]
        var start = 0
        var count = 0
        var counts: [[Int]]
        var outOfSchema: [Int]
        var sinceEvaluation = 0
        /// Every instance appended since the version was loaded (`count` stops at the capacity).
        var observed = 0

        /// Adds the codes of whole instances, each `width` codes, dropping the oldest past
        /// `capacity`; true when `every` instances came since the last computation.
        mutating func append(_ new: [UInt8], width: Int, capacity: Int, every: Int) -> Bool {
            var offset = 0
            while offset < new.count {
                let slot: Int
                if count == capacity {
                    slot = start
                    start = (start + 1) % capacity
                    for field in 0..<width { forget(codes[slot * width + field], field: field) }
                } else {
                    slot = (start + count) % capacity
                    count += 1
                }
                for field in 0..<width {
                    let code = new[offset + field]
                    codes[slot * width + field] = code
                    counts[field][Int(code & 0x7F)] += 1
                    if code & 0x80 != 0 { outOfSchema[field] += 1 }
                }
                offset += width
            }
            sinceEvaluation += new.count / width
            observed += new.count / width
            guard sinceEvaluation >= every else { return false }
            sinceEvaluation = 0
            return true
        }

        private mutating func forget(_ code: UInt8, field: Int) {
            counts[field][Int(code & 0x7F)] -= 1
            if code & 0x80 != 0 { outOfSchema[field] -= 1 }
        }
    }

    private struct AlertState {
        var raised: Set<String> = []
        /// The version left the server: its gauges are gone and are not made again.
        var closed = false
        /// Each field's gauges (PSI, missing share, out-of-schema share), made on the first computation over live instances.
        var gauges: [(psi: Gauge?, missing: Gauge, outOfSchema: Gauge)]?
    }

    /// The monitor of `bundle` when drift is on (`settings.window` > 0); nil when it is off.
    static func make(_ bundle: RunnableBundle, settings: Settings, metrics: ServerMetrics, logger: Logger) -> DriftMonitor? {
        guard settings.window > 0 else { return nil }
        let profile: TrainingProfile?
        do { profile = try TrainingProfile.load(bundle: bundle.folder) } catch {
            logger.warning("\(bundle.name) \(bundle.version): its \(TrainingProfile.fileName) cannot be read, so drift is unavailable: \(error)")
            profile = nil
        }
        return DriftMonitor(
            model: bundle.name, version: bundle.version, profile: profile, schema: bundle.model.schema, threshold: bundle.model.monitor.psi,
            capacity: settings.window, metrics: metrics, logger: logger, onAlert: settings.onAlert)
    }

    init(
        model: String, version: String, profile: TrainingProfile?, schema: Manifest.Schema, threshold: Double, capacity: Int, metrics: ServerMetrics,
        logger: Logger, onAlert: @escaping @Sendable (DriftAlert) -> Void
    ) {
        self.model = model
        self.version = version
        self.profile = profile
        self.threshold = threshold
        self.capacity = capacity
        self.metrics = metrics
        self.logger = logger
        self.onAlert = onAlert
        every = Swift.max(1, Swift.min(Self.maxEvery, capacity / 10))
        // The fields come from the schema (never from a client), so the gauges' labels stay few.
        let profiled = Dictionary((profile?.fields ?? []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let watched =
            profile == nil
            ? []
            : schema.inputs.compactMap { input in
                profiled[input.name].map { Watched(name: input.name, bins: ProfileBins($0, schema: input)) }
            }
        fields = watched
        window = Mutex(
            Window(
                codes: [UInt8](repeating: 0, count: capacity * watched.count), counts: watched.map { [Int](repeating: 0, count: $0.binCount) },
                outOfSchema: [Int](repeating: 0, count: watched.count)))
        alerts = Mutex(AlertState())
    }

    /// Adds answered instances to the window. Cheap: the PSI is computed off the request path.
    func observe(_ instances: [JSONValue]) {
        guard !fields.isEmpty else { return }
        var codes: [UInt8] = []
        codes.reserveCapacity(instances.count * fields.count)
        for instance in instances {
            let object = instance.objectValue
            for field in fields { codes.append(field.code(object?[field.name])) }
        }
        let due = window.withLock { $0.append(codes, width: fields.count, capacity: capacity, every: every) }
        guard due, !evaluating.exchange(true, ordering: .acquiring) else { return }
        Task.detached { [self] in
            defer { evaluating.store(false, ordering: .releasing) }
            _ = stats()
        }
    }

    /// The drift of every field now: PSI, missing and out-of-schema shares over the window.
    /// Sets the gauges, and raises (or clears) an alert for each field that crossed the threshold
    /// since the last computation.
    func stats() -> Stats {
        let (stats, changes) = alerts.withLock { state -> (Stats, [DriftAlert]) in
            let (count, counts, outOfSchema) = window.withLock { ($0.count, $0.counts, $0.outOfSchema) }
            var changes: [DriftAlert] = []
            var fieldStats: [FieldStats] = []
            for (index, field) in fields.enumerated() {
                let psi = field.bins.flatMap { PopulationStability.index(expected: $0.expected, counts: counts[index]) }
                let past = psi.map { $0 > threshold } ?? false
                let raised = state.raised.contains(field.name)
                if let psi, past, !raised, count >= alertFrom {
                    state.raised.insert(field.name)
                    changes.append(alert(field.name, psi: psi, window: count, .raised))
                } else if let psi, raised, !past {
                    state.raised.remove(field.name)
                    changes.append(alert(field.name, psi: psi, window: count, .cleared))
                }
                let share = { (part: Int) -> Double? in count == 0 ? nil : Double(part) / Double(count) }
                fieldStats.append(
                    FieldStats(
                        name: field.name, psi: psi, missingShare: share(counts[index][field.missingBin]), outOfSchemaShare: share(outOfSchema[index]),
                        alert: state.raised.contains(field.name)))
            }
            if count > 0, !state.closed {
                let gauges = state.gauges ?? fields.map { metrics.driftGauges(model: model, version: version, field: $0.name, psi: $0.bins != nil) }
                state.gauges = gauges
                for (gauge, field) in zip(gauges, fieldStats) {
                    if let psi = field.psi { gauge.psi?.set(to: psi) }
                    gauge.missing.set(to: field.missingShare ?? 0)
                    gauge.outOfSchema.set(to: field.outOfSchemaShare ?? 0)
                }
            }
            return (Stats(window: count, fields: fieldStats), changes)
        }
        for change in changes {
            switch change.change {
            case .raised: logger.warning("\(change.description)")
            case .cleared: logger.info("\(change.description)")
            }
            onAlert(change)
        }
        return stats
    }

    /// The instances seen since the version was loaded.
    var observed: Int { window.withLock { $0.observed } }

    /// The window as it is now, as one sample per field for the store's drift history (taken at
    /// `time`); none while it holds fewer instances than an alert needs.
    func samples(at time: Date) -> [DriftSample] {
        let stats = stats()
        guard stats.window >= alertFrom else { return [] }
        return stats.fields.map {
            DriftSample(
                time: time, model: model, version: version, field: $0.name, psi: $0.psi, missingShare: $0.missingShare ?? 0,
                outOfSchemaShare: $0.outOfSchemaShare ?? 0, count: stats.window)
        }
    }

    /// Takes the version's gauges out of `/metrics` (it was unloaded); its window stays readable.
    func close() {
        alerts.withLock { state in
            state.closed = true
            for gauge in state.gauges ?? [] {
                if let psi = gauge.psi { metrics.registry.unregisterGauge(psi) }
                metrics.registry.unregisterGauge(gauge.missing)
                metrics.registry.unregisterGauge(gauge.outOfSchema)
            }
            state.gauges = nil
        }
    }

    private func alert(_ field: String, psi: Double, window: Int, _ change: DriftAlert.Change) -> DriftAlert {
        DriftAlert(model: model, version: version, field: field, psi: psi, threshold: threshold, window: window, change: change, date: Date())
    }
}

extension ServerMetrics {
    /// The drift gauges of one schema input of a version: PSI (only when the profile has values
    /// for it), missing share and out-of-schema share over the window.
    func driftGauges(model: String, version: String, field: String, psi: Bool) -> (psi: Gauge?, missing: Gauge, outOfSchema: Gauge) {
        let labels = [("model", model), ("version", version), ("field", field)]
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "mf", metricName: name, unitName: "", helpText: help), labels: labels)
        }
        return (
            psi ? gauge("input_drift_psi", "Population stability index of an input field's live window against the training profile.") : nil,
            gauge("input_missing_share", "Share of an input field's live window without a value."),
            gauge("input_out_of_schema_share", "Share of an input field's live window outside the schema or of a category training never had.")
        )
    }
}
