internal import Foundation
internal import ModelKit

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
        case instance(key: String, JSONValue)
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
