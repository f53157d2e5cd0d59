public import Store

/// Two sessions' metrics side by side, matched by name and split (`mf metrics --compare`, the
/// dashboard's compare page): one implementation, so both show the same rows.
///
/// ```swift
/// let comparison = MetricComparison(a: old, b: new, left: oldMetrics, right: newMetrics)
/// for row in comparison.rows { print(row.name, row.split, row.difference ?? .nan) }
/// ```
public struct MetricComparison: Encodable, Sendable {
    /// One metric of one split in both sessions.
    public struct Row: Encodable, Sendable, Equatable {
        /// The metric's name (`auc`).
        public var name: String
        /// `train`, `evaluate` or `live`.
        public var split: String
        /// Its value in the first session; nil when it has none.
        public var a: Double?
        /// Its value in the second session; nil when it has none.
        public var b: Double?

        /// `b - a`, when both have a value.
        public var difference: Double? { if let a, let b { b - a } else { nil } }

        /// Whether the second value is the better one (lower for a loss or an error, higher
        /// otherwise, as the gates judge regressions); nil when they are equal or one is missing.
        public var improved: Bool? {
            guard let difference, difference != 0 else { return nil }
            return Gatekeeper.lowerIsBetter.contains(name.lowercased()) ? difference < 0 : difference > 0
        }

        /// A row with both values.
        public init(name: String, split: String, a: Double?, b: Double?) {
            self.name = name
            self.split = split
            self.a = a
            self.b = b
        }

        enum Keys: String, CodingKey { case name, split, a, b, difference }

        /// `{name, split, a, b, difference}`, nulls written out.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(name, forKey: .name)
            try container.encode(split, forKey: .split)
            try container.encode(a, forKey: .a)
            try container.encode(b, forKey: .b)
            try container.encode(difference, forKey: .difference)
        }
    }

    /// The first session.
    public var a: Session
    /// The second session.
    public var b: Session
    /// Every metric either has, by split and name.
    public var rows: [Row]

    /// Matches `left` (the metrics of `a`) and `right` (those of `b`) by name and split.
    public init(a: Session, b: Session, left: [Metric], right: [Metric]) {
        self.a = a
        self.b = b
        var keys: [String: (String, String)] = [:]
        for metric in left + right { keys[metric.split + "/" + metric.name] = (metric.name, metric.split) }
        rows = keys.values.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.map { name, split in
            Row(
                name: name, split: split,
                a: left.first { $0.name == name && $0.split == split }?.value ?? nil,
                b: right.first { $0.name == name && $0.split == split }?.value ?? nil)
        }
    }

    enum Keys: String, CodingKey { case a, b, metrics }

    /// `{a, b, metrics}`: the two session ids and the rows.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(a.id, forKey: .a)
        try container.encode(b.id, forKey: .b)
        try container.encode(rows, forKey: .metrics)
    }
}

extension MetricComparison {
    /// The metrics to compare of `session`: its own (train, evaluate) and, when it ran a
    /// version, the newest live evaluation's of that version (split `live`).
    public static func metrics(of session: Session, model: String, store: any FactoryStore) throws(StoreError) -> [Metric] {
        var metrics = try store.metrics(session: session.id)
        if let version = session.version {
            metrics += try store.liveEvaluations(model: model, version: version, limit: 1).first?.metrics ?? []
        }
        return metrics
    }
}
