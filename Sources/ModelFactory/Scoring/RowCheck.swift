internal import Foundation
internal import ModelKit

/// An instance to predict: the schema's inputs in the schema's order (a CSV record that passed
/// as written), or an object (any other record that passed).
enum Instance: Sendable {
    case inputs([JSONValue])
    case object([String: JSONValue])

    /// The instance as the JSON object a worker is sent.
    func json(names: [String]) -> JSONValue {
        switch self {
        case .inputs(let values): .object(Dictionary(uniqueKeysWithValues: zip(names, values)))
        case .object(let members): .object(members)
        }
    }

    /// Writes the instance as a pickled dictionary; `slots` are the memo slots of the
    /// schema's input names (`Pickle.Writer.memoize`).
    func pickle(slots: [UInt32], into writer: inout Pickle.Writer) {
        switch self {
        case .inputs(let values):
            writer.beginDict()
            for (slot, value) in zip(slots, values) {
                writer.key(at: slot)
                writer.write(value)
            }
            writer.endDict()
        case .object(let members): writer.write(.object(members))
        }
    }
}

/// Turns input records into the instances a worker predicts: the schema's inputs only (other
/// columns, the key among them, are not sent), each value typed as the schema says (a CSV
/// cell is text), checked as the server checks a request (`Manifest.Schema.check`). A record
/// that does not fit is a reject with its reason; it never stops the run.
struct RowCheck {
    let schema: Manifest.Schema
    /// The key column, nil: the row number keys each row.
    let key: String?
    /// For a CSV input: each schema input's column in the header.
    private let columns: [Int]
    /// For a CSV input: the key's column.
    private let keyColumn: Int?
    /// For a CSV input: how many fields every record has.
    private let width: Int

    /// A check of records of a CSV input with `header` (empty for JSON Lines). Throws when the
    /// header lacks a schema input or the key column.
    init(schema: Manifest.Schema, header: [String], format: ScoreFormat, key: String?, input: String) throws(ScoreError) {
        self.schema = schema
        self.key = key
        width = header.count
        guard format == .csv else {
            columns = []
            keyColumn = nil
            return
        }
        let missing = schema.inputs.map(\.name).filter { !header.contains($0) }
        guard missing.isEmpty else {
            throw .input(
                path: input,
                reason: "its header has no column \(missing.joined(separator: ", ")), which the schema needs (it has \(header.joined(separator: ", ")))")
        }
        columns = schema.inputs.map { field in header.firstIndex(of: field.name)! }
        if let key {
            guard let index = header.firstIndex(of: key) else { throw .unknownKey(key, input: input, columns: header) }
            keyColumn = index
        } else {
            keyColumn = nil
        }
    }

    /// The outcome for one record: its key and instance, or why it is rejected.
    enum Outcome {
        case instance(key: String, Instance)
        case rejected(String)
    }

    /// Checks `record`.
    func check(_ record: InputRecord) -> Outcome {
        switch record.values {
        case .unreadable(let reason): return .rejected(reason)
        case .fields(let fields): return check(fields: fields, row: record.row)
        case .object(let object): return check(object: object, row: record.row)
        }
    }

    private func check(fields: [String], row: Int) -> Outcome {
        guard fields.count == width else { return .rejected("it has \(counted(fields.count, "field")); the header has \(width)") }
        if let inputs = passing(fields) {
            guard let keyColumn else { return .instance(key: String(row), .inputs(inputs)) }
            if !fields[keyColumn].isEmpty { return .instance(key: fields[keyColumn], .inputs(inputs)) }
        }
        var instance: [String: JSONValue] = [:]
        var problems: [String] = []
        var unread: Set<String> = []
        for (field, column) in zip(schema.inputs, columns) {
            let text = fields[column]
            guard !text.isEmpty else { continue }  // missing: the schema check names it
            switch Self.value(text, as: field.type) {
            case .value(let value): instance[field.name] = value
            case .problem(let problem):
                problems.append("\(field.name): \(problem)")
                unread.insert(field.name)
            }
        }
        let key = keyColumn.map { fields[$0] } ?? String(row)
        if let keyColumn, fields[keyColumn].isEmpty { problems.append("\(self.key ?? ""): the key is empty") }
        return outcome(instance, key: key, problems: problems, unread: unread)
    }

    private func check(object: [String: JSONValue], row: Int) -> Outcome {
        var instance: [String: JSONValue] = [:]
        for field in schema.inputs { if let value = object[field.name] { instance[field.name] = value } }
        var problems: [String] = []
        var keyText = String(row)
        if let key {
            switch object[key] {
            case .string(let text)?: keyText = text
            case .number?, .bool?: keyText = String(decoding: object[key]!.jsonData(), as: UTF8.self)
            default: problems.append("\(key): the key is missing or not a string, number or bool")
            }
        }
        return outcome(instance, key: keyText, problems: problems)
    }

    /// The record's outcome; the schema check does not name again as missing a field whose
    /// text could not be read (`unread`).
    private func outcome(_ instance: [String: JSONValue], key: String, problems: [String], unread: Set<String> = []) -> Outcome {
        let found = problems + schema.check(instance).filter { !unread.contains($0.path) }.map(\.description)
        guard found.isEmpty else { return .rejected(found.joined(separator: "; ")) }
        return .instance(key: key, .object(instance))
    }

    /// The schema's inputs of a CSV record, in order, when every one is there and passes the
    /// schema as it is written (the common case, checked without a dictionary a row); nil when
    /// any is missing or fails, or is text the full check reads in a way of its own (an int
    /// written as `12.0`, a number with spaces around it): the full check then decides, and
    /// names why. Never lets a record through that the full check rejects.
    private func passing(_ fields: [String]) -> [JSONValue]? {
        var values: [JSONValue] = []
        values.reserveCapacity(columns.count)
        for (field, column) in zip(schema.inputs, columns) {
            let text = fields[column]
            guard !text.isEmpty else { return nil }
            switch field.type {
            case .string:
                if let allowed = field.values, !allowed.contains(text) { return nil }
                values.append(.string(text))
            case .int, .double:
                let number: Double
                if let whole = Int(text), whole.magnitude < 1 << 53 {
                    number = Double(whole)
                } else if field.type == .double, let real = Double(text), real.isFinite {
                    number = real
                } else {
                    return nil
                }
                if let minimum = field.min, number < minimum { return nil }
                if let maximum = field.max, number > maximum { return nil }
                values.append(.number(number))
            case .bool:
                switch text {
                case "true": values.append(.bool(true))
                case "false": values.append(.bool(false))
                default: return nil
                }
            }
        }
        return values
    }

    /// A CSV cell read as a schema field's type.
    enum Cell {
        case value(JSONValue)
        /// The text is no value of the type: why.
        case problem(String)
    }

    /// A CSV cell's text as a value of `kind`; text that is no such value is a problem.
    static func value(_ text: String, as kind: Manifest.Field.Kind) -> Cell {
        switch kind {
        case .string: return .value(.string(text))
        case .int, .double:
            // The text as it is first (the common case); spaces around it are allowed.
            if let whole = Int(text) { return .value(.number(Double(whole))) }
            // A fraction for an int is named by the schema check ("expected an int").
            if let number = Double(text) { return .value(.number(number)) }
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if let whole = Int(trimmed) { return .value(.number(Double(whole))) }
            if let number = Double(trimmed) { return .value(.number(number)) }
            return .problem("'\(text)' is not a number")
        case .bool:
            switch text.trimmingCharacters(in: .whitespaces).lowercased() {
            case "true": return .value(.bool(true))
            case "false": return .value(.bool(false))
            default: return .problem("'\(text)' is not true or false")
            }
        }
    }
}
