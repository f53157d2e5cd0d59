internal import Foundation
internal import ModelKit
internal import Store

/// What a `psi` rule compares the data with: a training profile (the previous release's, or the
/// scored bundle's own), or nothing, and why.
public enum DataBaseline: Sendable {
    /// The training profile of `source` (`release 1.2.0`).
    case profile(TrainingProfile, source: String)
    /// None: every `psi` rule is skipped, saying `reason` (`there is no previous release`).
    case none(reason: String)
}

/// Checks a data file against `expect:` rules in one streamed pass (DESIGN.md "Data checks,
/// batch scoring, schedules"): the file is read a chunk at a time (`DataReader`), each column's
/// rules counted as rows go by, and a key (`unique`) kept in memory up to a million keys and
/// past that in spill files by hash (`KeySet`), so a file of any size is checked in the same
/// little memory.
///
/// ```swift
/// let checker = DataChecker(rules: manifest.expect.rules(for: .train))
/// let report = try checker.check(path: folder + "/data/train.csv", named: "data/train.csv", dataset: .train)
/// if !report.passed { print(report.summary) }
/// ```
public struct DataChecker: Sendable {
    /// How many offending rows a failed rule names (all are counted).
    public static let shownRows = 10

    /// The rules to check.
    public var rules: Manifest.Expectations.Rules
    /// What `psi` rules compare with.
    public var baseline: DataBaseline

    /// A checker of `rules`, with `psi` rules against `baseline`.
    public init(rules: Manifest.Expectations.Rules, baseline: DataBaseline = .none(reason: "there is no training profile to compare with")) {
        self.rules = rules
        self.baseline = baseline
    }

    /// Checks the file at `path` (`named` as the report shows it, the path itself when nil).
    /// Throws only when the file cannot be read at all; a malformed row fails the `format` rule.
    public func check(path: String, named: String? = nil, dataset: Manifest.Expectations.Dataset) throws(DataError) -> DataCheckReport {
        let shown = named ?? path
        let reader: DataReader
        do { reader = try DataReader(path: path) } catch { throw Self.renamed(error, shown) }
        var columns = rules.columns.map { ColumnTally(rules: $0, index: reader.index(of: $0.name), baseline: baseline) }
        var format = Offences()
        var unique = Offences()
        let keyColumns = rules.unique ?? []
        var keyIndexes = keyColumns.map { reader.index(of: $0) }
        let keys = keyColumns.isEmpty ? nil : KeySet(shown: Self.shownRows)
        while true {
            let row: DataRow
            do {
                guard let next = try reader.next() else { break }
                row = next
            } catch {
                guard case .malformed(_, let number, _, let reason) = error else { throw Self.renamed(error, shown) }
                format.add(number, reason)
                continue
            }
            for index in columns.indices {
                if columns[index].index == nil, reader.format == .jsonl { columns[index].index = reader.index(of: columns[index].rules.name) }
                columns[index].count(row[columns[index].index ?? Int.max], row: row.number)
            }
            if keys != nil {
                var key = ""
                for (position, column) in keyIndexes.enumerated() {
                    var index = column
                    if index == nil, reader.format == .jsonl {
                        index = reader.index(of: keyColumns[position])
                        keyIndexes[position] = index
                    }
                    if position > 0 { key += Self.keySeparator }
                    key += row[index ?? Int.max]?.description ?? ""
                }
                try keys?.add(key, row: row.number)
            }
        }
        if let keys {
            let duplicates = try keys.finish()
            unique.count = duplicates.count
            unique.examples = duplicates.earliest.map { duplicate in
                .init(row: duplicate.row, value: "\(duplicate.key.replacingOccurrences(of: Self.keySeparator, with: ", ")) as row \(duplicate.first)")
            }
        }

        let rows = reader.rowsRead
        var results: [DataRuleResult] = []
        if let condition = rules.rows {
            results.append(
                DataRuleResult(
                    rule: "rows", column: nil, name: "rows \(Self.text(condition))", status: condition.isMet(by: Double(rows)) ? .passed : .failed,
                    measured: Double(rows), offendingRows: 0, examples: [], note: nil))
        }
        if !keyColumns.isEmpty {
            let absent = keyColumns.filter { reader.index(of: $0) == nil }
            let name = keyColumns.joined(separator: ", ")
            if absent.isEmpty {
                results.append(unique.result(rule: "unique", column: name, name: "\(name) unique"))
            } else {
                results.append(
                    DataRuleResult(
                        rule: "unique", column: name, name: "\(name) unique", status: .failed, measured: nil, offendingRows: 0, examples: [],
                        note: "no column \(absent.joined(separator: ", ")); the columns are \(reader.columns.joined(separator: ", "))"))
            }
        }
        if format.count > 0 { results.append(format.result(rule: "format", column: nil, name: "well-formed rows")) }
        for column in columns {
            results += column.results(rows: rows - format.count, known: reader.columns)
        }
        return DataCheckReport(
            dataset: dataset.rawValue, path: shown, rows: rows, passed: !results.contains { $0.status == .failed }, rules: results)
    }

    /// Between the values of a key's columns (a control character no CSV or JSON value holds unescaped).
    static let keySeparator = "\u{1F}"

    /// `error` naming the file as the report does.
    static func renamed(_ error: DataError, _ shown: String) -> DataError {
        switch error {
        case .unreadable(_, let reason): .unreadable(path: shown, reason: reason)
        case .unknownFormat: .unknownFormat(path: shown)
        case .noHeader: .noHeader(path: shown)
        case .malformed(_, let row, let line, let reason): .malformed(path: shown, row: row, line: line, reason: reason)
        }
    }

    /// A condition as model.yaml writes it: `>= 500`, `<= 0.01`.
    static func text(_ condition: Manifest.Threshold) -> String {
        "\(condition.comparison.rawValue) \(Manifest.Schema.numberText(condition.value))"
    }
}

/// The rows that broke one rule: all counted, the first few kept with their values.
struct Offences {
    var count = 0
    var examples: [DataRuleResult.Offence] = []

    mutating func add(_ row: Int, _ value: String) {
        count += 1
        if examples.count < DataChecker.shownRows { examples.append(.init(row: row, value: value)) }
    }

    func result(rule: String, column: String?, name: String, measured: Double? = nil) -> DataRuleResult {
        DataRuleResult(
            rule: rule, column: column, name: name, status: count == 0 ? .passed : .failed, measured: measured, offendingRows: count,
            examples: examples, note: nil)
    }
}

/// One column's rules, counted as the rows go by.
struct ColumnTally {
    let rules: Manifest.Expectations.Column
    /// Its index in the rows; nil while the file has no such column.
    var index: Int?
    var type = Offences()
    var below = Offences()
    var above = Offences()
    var outside = Offences()
    var missing = Offences()
    let allowed: Set<String>?
    /// The PSI's bins and their counts, when the baseline profiles this column.
    let bins: ProfileBins?
    var counts: [Int]
    /// Why the PSI rule is skipped, when it is.
    let psiSkipped: String?
    let psiSource: String

    init(rules: Manifest.Expectations.Column, index: Int?, baseline: DataBaseline) {
        self.rules = rules
        self.index = index
        allowed = rules.values.map(Set.init)
        var bins: ProfileBins?
        var skipped: String?
        var source = ""
        if rules.psi != nil {
            switch baseline {
            case .none(let reason): skipped = reason
            case .profile(let profile, let from):
                source = from
                if let field = profile.fields.first(where: { $0.name == rules.name }) {
                    bins = ProfileBins(field)
                    if bins == nil { skipped = "the training data of \(from) had no values for \(rules.name)" }
                } else {
                    skipped = "the training profile of \(from) has no field \(rules.name) (a profile covers the schema's inputs)"
                }
            }
        }
        self.bins = bins
        counts = [Int](repeating: 0, count: bins?.expected.count ?? 0)
        psiSkipped = skipped
        psiSource = source
    }

    mutating func count(_ value: DataValue?, row: Int) {
        guard let value else {
            missing.add(row, "")
            if let bins { counts[bins.missingBin] += 1 }
            return
        }
        if let bins {
            let typed = value.typed(as: bins.field.type) ?? .string(value.description)
            counts[bins.place(typed).bin] += 1
        }
        var number: Double?
        if let kind = rules.type {
            guard let typed = value.typed(as: kind) else {
                type.add(row, value.description)
                return
            }
            if case .number(let typedNumber) = typed { number = typedNumber }
        }
        if rules.min != nil || rules.max != nil, let number = number ?? value.number {
            if let minimum = rules.min, number < minimum { below.add(row, value.description) }
            if let maximum = rules.max, number > maximum { above.add(row, value.description) }
        }
        if let allowed, !allowed.contains(value.description) { outside.add(row, value.description) }
    }

    /// The column's rules with their outcomes; `rows` are the well-formed rows, `known` the file's columns.
    func results(rows: Int, known: [String]) -> [DataRuleResult] {
        let name = rules.name
        var declared: [(rule: String, name: String)] = []
        if let kind = rules.type { declared.append(("type", "\(name) type \(kind.rawValue)")) }
        if let minimum = rules.min { declared.append(("min", "\(name) min \(Manifest.Schema.numberText(minimum))")) }
        if let maximum = rules.max { declared.append(("max", "\(name) max \(Manifest.Schema.numberText(maximum))")) }
        if let values = rules.values { declared.append(("values", "\(name) one of \(values.joined(separator: ", "))")) }
        if let condition = rules.missing { declared.append(("missing", "\(name) missing \(DataChecker.text(condition))")) }
        if let condition = rules.psi { declared.append(("psi", "\(name) psi \(DataChecker.text(condition))")) }
        guard index != nil else {
            let absent = "no column \(name); the columns are \(known.joined(separator: ", "))"
            var results: [DataRuleResult] = []
            if rules.required {
                results.append(
                    DataRuleResult(
                        rule: "present", column: name, name: "\(name) present", status: .failed, measured: nil, offendingRows: 0, examples: [],
                        note: absent))
            }
            let reason = rules.required ? "the column is absent" : "the column is absent (not required)"
            return results
                + declared.map {
                    DataRuleResult(rule: $0.rule, column: name, name: $0.name, status: .skipped, measured: nil, offendingRows: 0, examples: [], note: reason)
                }
        }
        var results: [DataRuleResult] = []
        if rules.required {
            results.append(
                DataRuleResult(
                    rule: "present", column: name, name: "\(name) present", status: .passed, measured: nil, offendingRows: 0, examples: [], note: nil))
        }
        for (rule, shown) in declared {
            switch rule {
            case "type": results.append(type.result(rule: rule, column: name, name: shown))
            case "min": results.append(below.result(rule: rule, column: name, name: shown))
            case "max": results.append(above.result(rule: rule, column: name, name: shown))
            case "values": results.append(outside.result(rule: rule, column: name, name: shown))
            case "missing":
                let share = rows > 0 ? Double(missing.count) / Double(rows) : 0
                var result = missing.result(rule: rule, column: name, name: shown, measured: share)
                result.status = rules.missing!.isMet(by: share) ? .passed : .failed
                results.append(result)
            default:
                results.append(psiResult(name: shown))
            }
        }
        return results
    }

    func psiResult(name: String) -> DataRuleResult {
        var result = DataRuleResult(rule: "psi", column: rules.name, name: name, status: .skipped, measured: nil, offendingRows: 0, examples: [], note: nil)
        guard let bins, let condition = rules.psi else {
            result.note = psiSkipped
            return result
        }
        guard let psi = PopulationStability.index(expected: bins.expected, counts: counts) else {
            result.note = "the data has no rows"
            return result
        }
        result.measured = psi
        result.status = condition.isMet(by: psi) ? .passed : .failed
        result.note = "against the training data of \(psiSource)"
        return result
    }
}
