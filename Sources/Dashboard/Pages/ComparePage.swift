internal import Foundation
internal import ModelFactory
internal import Store

/// Two versions of a model side by side, as `mf metrics --compare` shows them: their train,
/// evaluate and newest live metrics with the difference, how the schema changed from one to the
/// other (from each bundle's model.yaml), and each one's gates.
struct ComparePage: DashboardPage {
    static let template = "compare"
    var title: String { "\(name) \(a.version) ↔ \(b.version)" }

    /// One of the two versions.
    struct Side: Encodable, Sendable {
        var version: String
        var versionHref: String
        var commit: String
        var created: String
        var session: Badge
        var gatesOutcome: Badge
        var gates: [ModelHistory.GateRow]
        /// Why its schema cannot be read; nil when it can.
        var schemaProblem: String?
    }

    /// One metric of one split in both versions.
    struct Row: Encodable, Sendable {
        var metric: String
        var split: String
        var shownA: String
        var shownB: String
        var shownDifference: String
        var valueA: Double?
        var valueB: Double?
        var difference: Double?
        /// `up` or `down` (the style colours them by `improved`), or `same`.
        var direction: String
        /// Whether b is better than a (lower for a loss or an error); nil when equal or unknown.
        var improved: Bool?
        /// The classes of the difference's cell.
        var classes: String
    }

    /// How one field of the schema changed from a to b.
    struct SchemaChange: Encodable, Sendable, Equatable {
        /// `input` or `output`.
        var part: String
        var field: String
        /// `added`, `removed` or `type changed`.
        var change: String
        /// The type in a, in b (nil where the field is absent).
        var typeA: String?
        var typeB: String?
        /// The change in words.
        var line: String
    }

    var repository: String
    var name: String
    var modelHref: String
    var a: Side
    var b: Side
    var metrics: [Row]
    /// Whether both schemas could be read, so `schemaChanges` says everything that changed.
    var schemaKnown: Bool
    var schemaChanges: [SchemaChange]

    static func build(_ catalog: Catalog, repository: String, name: String, a: String?, b: String?) throws -> ComparePage {
        let history = try ModelHistory(catalog: catalog, repository: repository, name: name)
        let store = catalog.store
        let (first, second) = try pair(history, a: a, b: b)
        let comparison = MetricComparison(
            a: first.session, b: second.session, left: try MetricComparison.metrics(of: first.session, model: history.model.name, store: store),
            right: try MetricComparison.metrics(of: second.session, model: history.model.name, store: store))
        let schemaA = first.bundle.flatMap(history.manifest(of:))?.schema
        let schemaB = second.bundle.flatMap(history.manifest(of:))?.schema
        let changes = schemaA.flatMap { a in schemaB.map { b in schemaChanges(from: a, to: b) } } ?? []
        return ComparePage(
            repository: repository, name: history.model.name, modelHref: catalog.links.model(repository: repository, name: history.model.name),
            a: try side(first, schema: schemaA, history), b: try side(second, schema: schemaB, history),
            metrics: comparison.rows.sorted { ModelHistory.splitOrder($0.split, $1.split) || ($0.split == $1.split && $0.name < $1.name) }.map(row),
            schemaKnown: schemaA != nil && schemaB != nil, schemaChanges: changes)
    }

    /// The two versions asked for: both named; one named (a alone: against the newest release;
    /// b alone: against the release before it); or neither: the two newest releases.
    static func pair(_ history: ModelHistory, a: String?, b: String?) throws -> (ModelHistory.Found, ModelHistory.Found) {
        let a = a.flatMap { $0.isEmpty ? nil : $0 }
        let b = b.flatMap { $0.isEmpty ? nil : $0 }
        let newest = history.releases.last?.version
        guard let second = try (b ?? newest).map(history.version) else {
            throw DashboardError(.notFound, "model \(history.model.name) has no release to compare yet")
        }
        if let a { return (try history.version(a), second) }
        guard let previous = history.previousRelease(second) else {
            throw DashboardError(.notFound, "model \(history.model.name) has no release before \(second.version) to compare it with")
        }
        return (try history.version(previous.version), second)
    }

    static func side(_ found: ModelHistory.Found, schema: Manifest.Schema?, _ history: ModelHistory) throws -> Side {
        let gates = try history.gates(of: found.session)
        let problem: String? =
            if schema != nil {
                nil
            } else if let bundle = found.bundle {
                "schema unknown: the bundle folder \(bundle.path) is gone and the store has no intact copy, or its model.yaml cannot be read"
            } else {
                "schema unknown: \(found.version) has no bundle"
            }
        return Side(
            version: found.version, versionHref: history.href(found.version), commit: String((found.bundle?.commit ?? found.session.commit).prefix(8)),
            created: Format.time(found.bundle?.createdAt ?? found.session.startedAt), session: ModelsPage.sessionBadge(found.session, links: history.links),
            gatesOutcome: ModelHistory.gatesBadge(gates), gates: gates.map(ModelHistory.GateRow.init), schemaProblem: problem)
    }

    static func row(_ row: MetricComparison.Row) -> Row {
        let direction =
            switch row.difference {
            case .some(let difference) where difference > 0: "up"
            case .some(let difference) where difference < 0: "down"
            case .some: "same"
            case .none: ""
            }
        let quality =
            switch row.improved {
            case .some(true): " better"
            case .some(false): " worse"
            case .none: ""
            }
        return Row(
            metric: row.name, split: row.split, shownA: Format.number(row.a), shownB: Format.number(row.b),
            shownDifference: row.difference.map { $0 == 0 ? "0" : String(format: "%+.4g", $0) } ?? "—", valueA: row.a, valueB: row.b,
            difference: row.difference, direction: direction, improved: row.improved, classes: "number \(direction)\(quality)")
    }

    /// The fields added, removed or given another type from `a` to `b`, inputs then outputs.
    static func schemaChanges(from a: Manifest.Schema, to b: Manifest.Schema) -> [SchemaChange] {
        var changes: [SchemaChange] = []
        for (part, old, new) in [("input", a.inputs, b.inputs), ("output", a.outputs, b.outputs)] {
            for field in old {
                guard let now = new.first(where: { $0.name == field.name }) else {
                    changes.append(
                        SchemaChange(
                            part: part, field: field.name, change: "removed", typeA: field.type.rawValue, typeB: nil,
                            line: "\(part) \(field.name) (\(field.type.rawValue)) removed"))
                    continue
                }
                if now.type != field.type {
                    changes.append(
                        SchemaChange(
                            part: part, field: field.name, change: "type changed", typeA: field.type.rawValue, typeB: now.type.rawValue,
                            line: "\(part) \(field.name): \(field.type.rawValue) → \(now.type.rawValue)"))
                }
            }
            for field in new where !old.contains(where: { $0.name == field.name }) {
                changes.append(
                    SchemaChange(
                        part: part, field: field.name, change: "added", typeA: nil, typeB: field.type.rawValue,
                        line: "\(part) \(field.name) (\(field.type.rawValue)) added"))
            }
        }
        return changes
    }
}
