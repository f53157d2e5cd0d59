public import Foundation

/// A CSV file as columns and rows of text: the shape every model's data arrives in.
///
/// Reads RFC 4180 CSV: a header row, commas, double-quoted fields with `""` for a quote, and
/// `\n` or `\r\n` line ends.
public struct Table: Sendable, Equatable {
    /// The column names, from the header row, in file order.
    public var columns: [String]
    /// The data rows after the header (blank lines skipped), each the fields' text in column order, without their quotes.
    public var rows: [[String]]

    /// A table from its parts as they are; rows are not checked against the columns.
    public init(columns: [String], rows: [[String]]) {
        self.columns = columns
        self.rows = rows
    }

    /// Parses CSV text; throws naming the line of any row whose width differs from the header.
    public init(csv text: String) throws {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let scalar = pending {
                pending = nil
                return scalar
            }
            return iterator.next()
        }
        while let scalar = next() {
            if quoted {
                if scalar == "\"" {
                    if let following = next() {
                        if following == "\"" {
                            field.unicodeScalars.append("\"")
                        } else {
                            quoted = false
                            pending = following
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where field.isEmpty: quoted = true
            case ",":
                record.append(field)
                field = ""
            case "\r": continue
            case "\n":
                record.append(field)
                records.append(record)
                record = []
                field = ""
            default: field.unicodeScalars.append(scalar)
            }
        }
        if !field.isEmpty || !record.isEmpty {
            record.append(field)
            records.append(record)
        }
        records.removeAll { $0 == [""] }
        guard let header = records.first else { throw ModelError("the CSV has no header row") }
        for (index, row) in records.enumerated() where row.count != header.count {
            throw ModelError("CSV row \(index + 1) has \(counted(row.count, "field")); the header has \(header.count)")
        }
        columns = header
        rows = Array(records.dropFirst())
    }

    /// Reads a CSV file.
    public init(contentsOf url: URL) throws {
        let data = try Data(contentsOf: url)
        try self.init(csv: String(decoding: data, as: UTF8.self))
    }

    /// The text of one column.
    public func column(_ name: String) throws -> [String] {
        guard let index = columns.firstIndex(of: name) else {
            throw ModelError("no column '\(name)'; the columns are \(columns.joined(separator: ", "))")
        }
        return rows.map { $0[index] }
    }

    /// One column as numbers; throws naming the first row that is not one.
    public func numbers(_ name: String) throws -> [Double] {
        try column(name).enumerated().map { row, text in
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)) else {
                throw ModelError("column '\(name)', row \(row + 1): '\(text)' is not a number")
            }
            return value
        }
    }

    /// The rows shuffled with `seed` and cut in two: `testFraction` of them (rounded) for testing.
    /// The same seed gives the same split here and in the Python runner.
    public func split(testFraction: Double, seed: UInt64) -> (train: Table, test: Table) {
        var order = Array(rows.indices)
        var generator = SeededGenerator(seed: seed)
        generator.shuffle(&order)
        let testCount = Int((Double(rows.count) * min(max(testFraction, 0), 1)).rounded())
        let test = order.prefix(testCount).map { rows[$0] }
        let train = order.dropFirst(testCount).map { rows[$0] }
        return (Table(columns: columns, rows: train), Table(columns: columns, rows: test))
    }
}

/// SplitMix64: a small, fast generator that gives the same numbers for the same seed on every
/// platform and in every language the factory supports.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator started at `seed`; equal seeds give equal sequences.
    public init(seed: UInt64) { state = seed }

    /// The next number of the SplitMix64 sequence.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    /// Fisher–Yates from the end, with `next() % (i + 1)`: spelled out so other languages can
    /// repeat it exactly.
    public mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for index in stride(from: items.count - 1, to: 0, by: -1) {
            let other = Int(next() % UInt64(index + 1))
            items.swapAt(index, other)
        }
    }

    /// A number in [0, 1) from the top 53 bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
