internal import Foundation
public import ModelKit

/// How a data file is written, known from its name.
public enum DataFormat: String, Sendable, CaseIterable, Codable {
    /// RFC 4180 CSV with a header row.
    case csv
    /// JSON Lines: one JSON object per line.
    case jsonl

    /// The format a file's extension names (`.csv`; `.jsonl` or `.ndjson`); nil for another.
    public init?(path: String) {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "csv": self = .csv
        case "jsonl", "ndjson": self = .jsonl
        default: return nil
        }
    }
}

/// One value of a data row as the file has it: a CSV cell's text, or a JSON Lines value.
/// A missing value (an empty cell, a JSON null or absent key) is no `DataValue` (nil).
public enum DataValue: Sendable, Equatable, CustomStringConvertible {
    /// A CSV cell's text, without its quotes; never empty.
    case text(String)
    /// A JSON Lines value other than null.
    case json(JSONValue)

    /// The value as a number: a CSV cell that reads as a finite number, a JSON number; else nil.
    public var number: Double? {
        switch self {
        case .text(let text):
            // Most cells are numbers as written; only the others are trimmed (which is slow) and read again.
            if let number = Double(text) { return number.isFinite ? number : nil }
            guard let number = Double(text.trimmingCharacters(in: .whitespaces)), number.isFinite else { return nil }
            return number
        case .json(let value):
            guard case .number(let number) = value, number.isFinite else { return nil }
            return number
        }
    }

    /// The value as the JSON a worker is sent for a field of `kind`, or nil when it is not of
    /// that kind: an `int` is a whole number, a `double` any finite number, a `bool` `true` or
    /// `false` (in a CSV also `1`/`0`, `yes`/`no`, any case), a `string` any text (a JSON string).
    public func typed(as kind: Manifest.Field.Kind) -> JSONValue? {
        switch kind {
        case .double:
            return number.map(JSONValue.number)
        case .int:
            guard let number, number == number.rounded(), abs(number) < 9.2e18 else { return nil }
            if case .text(let text) = self, text.utf8.contains(where: { $0 == 0x2E || $0 == 0x65 || $0 == 0x45 }) { return nil }
            return .number(number)
        case .bool:
            switch self {
            case .text(let text): return TrainingProfile.boolText(text).map { .bool($0 == "true") }
            case .json(let value): return value.boolValue.map(JSONValue.bool)
            }
        case .string:
            switch self {
            case .text(let text): return .string(text)
            case .json(let value): return value.stringValue.map(JSONValue.string)
            }
        }
    }

    /// The value as a person reads it: a cell's text, a JSON string without quotes, other JSON as JSON.
    public var description: String {
        switch self {
        case .text(let text): return text
        case .json(.string(let text)): return text
        case .json(let value): return String(decoding: value.jsonData(), as: UTF8.self)
        }
    }
}

/// One data row: its 1-based number among the data rows (the header and blank lines are not
/// counted), the line it starts on, and its values by column.
public struct DataRow: Sendable {
    /// The row's number: 1 for the first data row.
    public let number: Int
    /// The file's line the row starts on (1-based; a CSV header is line 1).
    public let line: Int
    /// The columns known when the row was read (a JSON Lines file adds a column when a row
    /// first has its key).
    public let columns: [String]
    /// The row's values, by the index of their column in `columns` (nil for missing); it may be
    /// shorter than `columns` (the rest are missing).
    public let cells: [DataValue?]

    /// The value of the column at `index`; nil when missing.
    public subscript(index: Int) -> DataValue? { index < cells.count ? cells[index] : nil }

    /// The value of the column `name`; nil when missing or there is no such column.
    public subscript(name: String) -> DataValue? { columns.firstIndex(of: name).flatMap { self[$0] } }

    /// The values by column name, missing values left out.
    public var values: [String: DataValue] {
        var values: [String: DataValue] = [:]
        for (index, cell) in cells.enumerated() { if let cell { values[columns[index]] = cell } }
        return values
    }
}

/// Reads a CSV or JSON Lines file a row at a time, a chunk of `chunkSize` bytes at a time, so a
/// file of any size is read in the same little memory.
///
/// CSV as RFC 4180 writes it (and `Table` reads it): a header row, commas, double-quoted fields
/// with `""` for a quote and line ends inside, `\n` or `\r\n` line ends, blank lines skipped, a
/// UTF-8 byte order mark ignored. JSON Lines: one JSON object per line, blank lines skipped; the
/// columns are the keys in the order first seen. A row that is not well formed throws
/// `DataError.malformed` naming it; calling `next()` again goes on with the row after it.
///
/// ```swift
/// let reader = try DataReader(path: "data/train.csv")
/// while let row = try reader.next() { print(row.number, row["tenure"] ?? "missing") }
/// ```
public final class DataReader {
    /// The file, as it was given.
    public let path: String
    /// How it is written.
    public let format: DataFormat
    /// The columns: a CSV's header; the keys of a JSON Lines file seen so far.
    public private(set) var columns: [String] = []
    /// The data rows read so far, malformed ones included.
    public private(set) var rowsRead = 0
    /// The bytes read from the file so far.
    public private(set) var bytesRead = 0

    /// The bytes read from the file at once.
    public static let chunkSize = 1 << 20

    private let descriptor: Int32
    private let buffer: UnsafeMutablePointer<UInt8>
    private var position = 0
    private var filled = 0
    private var ended = false
    /// The line the next row starts on.
    private var line = 1
    private var field: [UInt8] = []
    private var indexes: [String: Int] = [:]

    /// Opens `path`, in the format its name says unless `format` is given, and reads a CSV's header.
    public init(path: String, format: DataFormat? = nil) throws(DataError) {
        guard let format = format ?? DataFormat(path: path) else { throw .unknownFormat(path: path) }
        self.path = path
        self.format = format
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw .unreadable(path: path, reason: "it is a folder, not a file")
        }
        descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw .unreadable(path: path, reason: Self.reason(errno)) }
        buffer = .allocate(capacity: Self.chunkSize)
        if try refill(), filled >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { position = 3 }
        if format == .csv {
            while let record = try csvRecord() {
                if record.blank { continue }
                columns = record.cells.map { $0?.description ?? "" }
                break
            }
            guard !columns.isEmpty else { throw .noHeader(path: path) }
        }
        for (index, column) in columns.enumerated() where indexes[column] == nil { indexes[column] = index }
    }

    deinit {
        close(descriptor)
        buffer.deallocate()
    }

    /// The index of `column` in `columns` (and in a row's `cells`); nil when it is not (yet) there.
    public func index(of column: String) -> Int? { indexes[column] }

    /// The next data row, or nil at the end of the file. Throws `DataError.malformed` for a
    /// row that is not well formed (reading may go on), `.unreadable` when the file cannot be read.
    public func next() throws(DataError) -> DataRow? {
        switch format {
        case .csv: try nextCSV()
        case .jsonl: try nextJSON()
        }
    }

    // MARK: CSV

    private func nextCSV() throws(DataError) -> DataRow? {
        while let record = try csvRecord() {
            if record.blank { continue }
            rowsRead += 1
            if record.unclosed {
                throw .malformed(path: path, row: rowsRead, line: record.line, reason: "a quoted field is not closed before the end of the file")
            }
            guard record.cells.count == columns.count else {
                throw .malformed(
                    path: path, row: rowsRead, line: record.line,
                    reason: "it has \(counted(record.cells.count, "field")); the header has \(columns.count)")
            }
            return DataRow(number: rowsRead, line: record.line, columns: columns, cells: record.cells)
        }
        return nil
    }

    /// The next record's cells and the line it starts on; nil at the end of the file.
    /// `unclosed`: the file ended inside a quoted field; `blank`: the line is empty (no row).
    private func csvRecord() throws(DataError) -> (cells: [DataValue?], line: Int, unclosed: Bool, blank: Bool)? {
        let quote: UInt8 = 0x22
        let comma: UInt8 = 0x2C
        let newline: UInt8 = 0x0A
        let carriageReturn: UInt8 = 0x0D
        var cells: [DataValue?] = []
        cells.reserveCapacity(columns.count)
        var field: [UInt8] = []
        swap(&field, &self.field)
        defer { swap(&field, &self.field) }
        field.removeAll(keepingCapacity: true)
        var inQuotes = false
        var afterQuote = false
        var quoted = false
        let startLine = line
        while true {
            if position == filled, try !refill() {
                if cells.isEmpty, field.isEmpty, !quoted { return nil }
                cells.append(Self.cell(field))
                return (cells, startLine, inQuotes, false)
            }
            var index = position
            let end = filled
            while index < end {
                let byte = buffer[index]
                index += 1
                if inQuotes {
                    if byte == quote {
                        inQuotes = false
                        afterQuote = true
                    } else {
                        if byte == newline { line += 1 }
                        field.append(byte)
                    }
                    continue
                }
                if afterQuote {
                    afterQuote = false
                    if byte == quote {
                        inQuotes = true
                        field.append(quote)
                        continue
                    }
                }
                switch byte {
                case comma:
                    cells.append(Self.cell(field))
                    field.removeAll(keepingCapacity: true)
                    quoted = false
                case newline:
                    line += 1
                    let blank = cells.isEmpty && field.isEmpty && !quoted
                    cells.append(Self.cell(field))
                    position = index
                    return (cells, startLine, false, blank)
                case carriageReturn:
                    continue
                case quote where field.isEmpty && !quoted:
                    inQuotes = true
                    quoted = true
                default:
                    field.append(byte)
                }
            }
            position = index
        }
    }

    static func cell(_ field: [UInt8]) -> DataValue? { field.isEmpty ? nil : .text(String(decoding: field, as: UTF8.self)) }

    // MARK: JSON Lines

    private func nextJSON() throws(DataError) -> DataRow? {
        while true {
            var bytes: [UInt8] = []
            swap(&bytes, &field)
            defer { swap(&bytes, &field) }
            guard try jsonLine(into: &bytes) else { return nil }
            let lineNumber = line
            line += 1
            guard bytes.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { continue }
            rowsRead += 1
            let value: JSONValue
            do { value = try JSONValue(json: Data(bytes)) } catch {
                throw .malformed(path: path, row: rowsRead, line: lineNumber, reason: "not valid JSON: \(error.problem) at byte \(error.offset)")
            }
            guard case .object(let object) = value else {
                throw .malformed(path: path, row: rowsRead, line: lineNumber, reason: "expected a JSON object, got \(Self.kind(value))")
            }
            var cells = [DataValue?](repeating: nil, count: columns.count)
            // Keys in the order the line has them are not kept by the parser: a new key joins
            // the columns in name order within its row, so the same file gives the same columns.
            for key in object.keys.sorted() {
                let value = object[key]!
                let index: Int
                if let known = indexes[key] {
                    index = known
                } else {
                    index = columns.count
                    columns.append(key)
                    indexes[key] = index
                    cells.append(nil)
                }
                if value != .null { cells[index] = .json(value) }
            }
            return DataRow(number: rowsRead, line: lineNumber, columns: columns, cells: cells)
        }
    }

    /// Reads the next line (without its `\n`) into `bytes`; false at the end of the file.
    private func jsonLine(into bytes: inout [UInt8]) throws(DataError) -> Bool {
        bytes.removeAll(keepingCapacity: true)
        var any = false
        while true {
            if position == filled, try !refill() { return any }
            any = true
            let start = buffer + position
            let available = filled - position
            if let found = memchr(start, 0x0A, available) {
                let length = UnsafeRawPointer(found) - UnsafeRawPointer(start)
                bytes.append(contentsOf: UnsafeBufferPointer(start: start, count: length))
                position += length + 1
                return true
            }
            bytes.append(contentsOf: UnsafeBufferPointer(start: start, count: available))
            position = filled
        }
    }

    static func kind(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a bool"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    // MARK: The file

    /// Reads the next chunk; false at the end of the file.
    private func refill() throws(DataError) -> Bool {
        if ended { return false }
        while true {
            let count = read(descriptor, buffer, Self.chunkSize)
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: Self.reason(errno))
            }
            position = 0
            filled = count
            bytesRead += count
            if count == 0 { ended = true }
            return count > 0
        }
    }

    /// The system's reason in the sentence's case ("no such file or directory").
    static func reason(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}
