internal import Foundation
internal import Yams

extension Manifest {
    /// `expect:`: what the data a model is trained, evaluated and scored on must look like
    /// (DESIGN.md "Data checks, batch scoring, schedules").
    ///
    /// The rules at the top apply to all three; a `train:`, `evaluate:` or `score:` section
    /// changes them for that data alone: its `rows` and `unique` replace the shared ones, and
    /// each column it names replaces that column's shared rules.
    ///
    /// ```yaml
    /// expect:
    ///   rows: ">= 500"
    ///   unique: [customer_id]
    ///   columns:
    ///     tenure:          { type: int, min: 0, max: 120, missing: "<= 0.01" }
    ///     contract:        { values: [monthly, yearly] }
    ///     monthly_charges: { type: double, min: 0, psi: "<= 0.2" }
    ///   evaluate: { rows: ">= 100" }
    /// ```
    public struct Expectations: Sendable, Equatable {
        /// Which data a set of rules is for.
        public enum Dataset: String, Sendable, CaseIterable, Codable {
            case train, evaluate, score
        }

        /// The rules for one data file.
        public struct Rules: Sendable, Equatable {
            /// How many data rows there must be (`rows >= 500`); nil for any number.
            public var rows: Threshold?
            /// Columns whose values together must differ from row to row; nil for no key.
            public var unique: [String]?
            /// The rules of each column, in the manifest's order.
            public var columns: [Column]

            /// Rules with every field given.
            public init(rows: Threshold? = nil, unique: [String]? = nil, columns: [Column] = []) {
                self.rows = rows
                self.unique = unique
                self.columns = columns
            }

            /// True when there is nothing to check.
            public var isEmpty: Bool { rows == nil && unique == nil && columns.isEmpty }
        }

        /// The rules of one column. A missing value (an empty CSV cell, a JSON null or absent
        /// key) is counted by `missing` and checked by no other rule.
        public struct Column: Sendable, Equatable {
            /// The column's name in the data's header (CSV) or keys (JSON Lines).
            public var name: String
            /// The type every value must have; nil for any.
            public var type: Field.Kind?
            /// The smallest number allowed (inclusive); nil for no lower bound.
            public var min: Double?
            /// The largest number allowed (inclusive); nil for no upper bound.
            public var max: Double?
            /// The values allowed; nil for any.
            public var values: [String]?
            /// The share of rows whose value may be missing (`missing <= 0.01`); nil for any.
            public var missing: Threshold?
            /// The largest population stability index against the previous release's training
            /// data (`psi <= 0.2`); nil for no check.
            public var psi: Threshold?
            /// Whether the column must be there at all (true unless `required: false`).
            public var required: Bool

            /// A column's rules; every rule left out is not checked.
            public init(
                name: String, type: Field.Kind? = nil, min: Double? = nil, max: Double? = nil, values: [String]? = nil, missing: Threshold? = nil,
                psi: Threshold? = nil, required: Bool = true
            ) {
                self.name = name
                self.type = type
                self.min = min
                self.max = max
                self.values = values
                self.missing = missing
                self.psi = psi
                self.required = required
            }
        }

        /// The rules for all data.
        public var shared: Rules
        /// The changes for one dataset (`expect.train`, `expect.evaluate`, `expect.score`).
        public var overrides: [Dataset: Rules]

        /// Expectations with the shared rules and the changes per dataset.
        public init(shared: Rules = Rules(), overrides: [Dataset: Rules] = [:]) {
            self.shared = shared
            self.overrides = overrides
        }

        /// The rules that hold for `dataset`: the shared ones with its section's changes.
        public func rules(for dataset: Dataset) -> Rules {
            guard let override = overrides[dataset] else { return shared }
            var rules = shared
            if let rows = override.rows { rules.rows = rows }
            if let unique = override.unique { rules.unique = unique }
            for column in override.columns {
                if let index = rules.columns.firstIndex(where: { $0.name == column.name }) {
                    rules.columns[index] = column
                } else {
                    rules.columns.append(column)
                }
            }
            return rules
        }
    }
}

extension Reader {
    /// `expect:` (see `Manifest.Expectations`).
    mutating func expectations(_ node: Node?) -> Manifest.Expectations {
        guard let node else { return Manifest.Expectations() }
        let sections = Manifest.Expectations.Dataset.allCases.map(\.rawValue)
        guard let fields = mapping(node, "expect", allowed: ["rows", "unique", "columns"] + sections) else { return Manifest.Expectations() }
        var expectations = Manifest.Expectations(shared: expectationRules(fields, "expect"))
        for dataset in Manifest.Expectations.Dataset.allCases {
            guard let section = fields[dataset.rawValue] else { continue }
            let path = "expect." + dataset.rawValue
            guard let inner = mapping(section, path, allowed: ["rows", "unique", "columns"]) else { continue }
            expectations.overrides[dataset] = expectationRules(inner, path)
        }
        return expectations
    }

    mutating func expectationRules(_ fields: [String: Node], _ path: String) -> Manifest.Expectations.Rules {
        var rules = Manifest.Expectations.Rules()
        if let node = fields["rows"] {
            rules.rows = condition(node, join(path, "rows"), name: "rows", bare: .atLeast, example: ">= 500")
            if let rows = rules.rows, rows.value < 0 { problem(join(path, "rows"), "expected a number of rows of at least 0") }
        }
        if let node = fields["unique"] {
            rules.unique = strings(node, join(path, "unique"), required: true)
            if rules.unique?.isEmpty == true { problem(join(path, "unique"), "expected at least one column") }
        }
        if let node = fields["columns"] {
            let columnsPath = join(path, "columns")
            if let mapping = node.mapping {
                for (key, value) in mapping {
                    guard let name = key.scalar?.string, !name.isEmpty else {
                        problem(columnsPath, "expected column names as keys")
                        continue
                    }
                    if let column = expectedColumn(name, value, join(columnsPath, name)) { rules.columns.append(column) }
                }
            } else {
                problem(columnsPath, "expected a mapping of column names to their rules, such as tenure: { type: int, min: 0 }")
            }
        }
        return rules
    }

    mutating func expectedColumn(_ name: String, _ node: Node, _ path: String) -> Manifest.Expectations.Column? {
        guard let fields = mapping(node, path, allowed: ["type", "min", "max", "values", "missing", "psi", "required"]) else { return nil }
        var column = Manifest.Expectations.Column(name: name)
        if let node = fields["type"] {
            let kinds = Manifest.Field.Kind.allCases.map(\.rawValue).joined(separator: ", ")
            let text = node.scalar?.string ?? ""
            column.type = Manifest.Field.Kind(rawValue: text)
            if column.type == nil { problem(join(path, "type"), "expected one of \(kinds), got '\(text)'") }
        }
        column.min = exactNumber(fields["min"], join(path, "min"))
        column.max = exactNumber(fields["max"], join(path, "max"))
        if let minimum = column.min, let maximum = column.max, minimum > maximum {
            problem(join(path, "max"), "must not be below min (\(Manifest.Schema.numberText(minimum)))")
        }
        if column.min != nil || column.max != nil, let type = column.type, type != .int, type != .double {
            problem(join(path, column.min != nil ? "min" : "max"), "only int and double columns take bounds")
        }
        if let node = fields["values"] {
            column.values = strings(node, join(path, "values"), required: true)
            if let type = column.type, type == .bool || type == .int || type == .double, column.values != nil {
                problem(join(path, "values"), "only string columns (or columns of no type) take a list of values")
            }
        }
        if let node = fields["missing"] {
            column.missing = condition(node, join(path, "missing"), name: "missing", bare: .atMost, example: "<= 0.01")
            if let missing = column.missing, !(0...1).contains(missing.value) {
                problem(join(path, "missing"), "expected a share between 0 and 1, got \(Manifest.Schema.numberText(missing.value))")
            }
        }
        if let node = fields["psi"] {
            column.psi = condition(node, join(path, "psi"), name: "psi", bare: .atMost, example: "<= 0.2")
            if let psi = column.psi, psi.value < 0 { problem(join(path, "psi"), "expected a PSI of at least 0") }
        }
        if let node = fields["required"] {
            if let flag = node.bool {
                column.required = flag
            } else {
                problem(join(path, "required"), "expected true or false, got '\(node.scalar?.string ?? "")'")
            }
        }
        return column
    }

    /// A number, or a problem naming what was written instead.
    mutating func exactNumber(_ node: Node?, _ path: String) -> Double? {
        guard let node else { return nil }
        guard let value = node.float ?? node.int.map(Double.init), value.isFinite else {
            problem(path, "expected a number, got '\(node.scalar?.string ?? "a \(node.mapping != nil ? "mapping" : "list")")'")
            return nil
        }
        return value
    }

    /// A condition such as `">= 500"`; a bare number compares as `bare`.
    mutating func condition(_ node: Node, _ path: String, name: String, bare: Manifest.Threshold.Comparison, example: String) -> Manifest.Threshold? {
        let text = node.scalar?.string ?? ""
        if let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite {
            return Manifest.Threshold(metric: name, comparison: bare, value: value)
        }
        guard let threshold = Self.threshold(metric: name, text) else {
            problem(path, "expected a condition such as \"\(example)\" (>=, >, <=, <, == and a number), got '\(text)'")
            return nil
        }
        return threshold
    }
}
