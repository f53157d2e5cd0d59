public import Foundation
public import ModelKit

/// The production traffic of the demo's loop, made from the model's own evaluation data: its
/// rows as v1 instances (the schema's inputs, typed by the schema) with each row's true outcome
/// (the `monitor.label` column) kept aside to be posted as feedback, and the same rows with one
/// input shifted, as drifted inputs.
public struct DemoTraffic: Sendable {
    /// The rows' inputs, one object per row.
    public let instances: [JSONValue]
    /// Each row's outcome as a JSON scalar (`1`, `true`, `"yes"`).
    public let labels: [JSONValue]

    /// The rows of `data` (a CSV file with a header) for a model whose manifest names its label
    /// column in `monitor.label`; throws `DemoError.badData` when the file cannot be read or has
    /// no such column.
    public init(manifest: Manifest, data: URL) throws(DemoError) {
        let table: Table
        do { table = try Table(contentsOf: data) } catch { throw DemoError.badData(data: data.path, why: "\(error)") }
        guard let label = manifest.monitor.label else {
            throw DemoError.badData(data: data.path, why: "\(manifest.name)'s model.yaml names no monitor.label column")
        }
        guard let labelColumn = table.columns.firstIndex(of: label) else {
            throw DemoError.badData(data: data.path, why: "it has no column \(label), the label model.yaml's monitor.label names")
        }
        let fields = manifest.schema.inputs.compactMap { field in table.columns.firstIndex(of: field.name).map { (field, $0) } }
        var instances: [JSONValue] = []
        var labels: [JSONValue] = []
        for row in table.rows {
            var instance: [String: JSONValue] = [:]
            for (field, column) in fields {
                if let value = Self.value(row[column], as: field.type) { instance[field.name] = value }
            }
            instances.append(.object(instance))
            labels.append(Self.scalar(row[labelColumn]))
        }
        self.instances = instances
        self.labels = labels
    }

    /// The same instances with `field` multiplied by `factor` (where it is a number).
    public func shifted(_ field: String, by factor: Double) -> [JSONValue] {
        instances.map { instance in
            guard var object = instance.objectValue, let number = object[field]?.numberValue else { return instance }
            object[field] = .number((number * factor * 100).rounded() / 100)
            return .object(object)
        }
    }

    /// A v1 predict body, `{"instances": [...]}`, keys sorted so it reads the same every run.
    public static func predictBody(_ instances: some Sequence<JSONValue>) throws -> Data {
        try encoded(.object(["instances": .array(Array(instances))]))
    }

    /// A feedback body, `{"feedback": [{"id", "label"}, ...]}`, pairing ids with labels in order.
    public static func feedbackBody(ids: [String], labels: [JSONValue]) throws -> Data {
        try encoded(.object(["feedback": .array(zip(ids, labels).map { .object(["id": .string($0), "label": $1]) })]))
    }

    /// JSON text with sorted keys and slashes as they are.
    public static func encoded(_ value: JSONValue) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    /// A CSV cell as the schema types the field; nil when empty or not of that type.
    static func value(_ text: String, as kind: Manifest.Field.Kind) -> JSONValue? {
        switch kind {
        case .int: Int(text).map { .number(Double($0)) }
        case .double: Double(text).map { .number($0) }
        case .string: text.isEmpty ? nil : .string(text)
        case .bool: text == "true" ? .bool(true) : text == "false" ? .bool(false) : nil
        }
    }

    /// A label cell: a number or a bool when it reads as one, else the text.
    static func scalar(_ text: String) -> JSONValue {
        if let number = Double(text) { return .number(number) }
        if text == "true" || text == "false" { return .bool(text == "true") }
        return .string(text)
    }
}
