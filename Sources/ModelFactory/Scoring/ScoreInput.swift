internal import Foundation
internal import ModelKit

/// The two file formats `mf score` reads and writes, named by the file's extension.
public enum ScoreFormat: String, Sendable, CaseIterable {
    /// Comma-separated values with a header row (RFC 4180 quoting).
    case csv
    /// JSON Lines: one JSON object per line.
    case jsonl

    /// The format of `path` by its extension (`.csv`, `.jsonl`; `.ndjson` is JSON Lines too);
    /// nil for any other.
    public static func of(_ path: String) -> ScoreFormat? {
        switch (path as NSString).pathExtension.lowercased() {
        case "csv": .csv
        case "jsonl", "ndjson": .jsonl
        default: nil
        }
    }
}

/// One record of the input: its 1-based row number (data rows only: the header and blank lines
/// are not counted), where it ends in the file, its text, and its values.
struct InputRecord {
    /// The 1-based row number.
    var row: Int
    /// The byte offset just after the record (and its line end).
    var end: Int64
    /// The record's bytes as written, without the line end.
    var raw: [UInt8]
    /// The values: a CSV record's fields, or a JSON line's object.
    var values: Values

    enum Values {
        case fields([String])
        case object([String: JSONValue])
        /// A record that cannot be read (a JSON line that is not an object): why.
        case unreadable(String)
    }
}

/// Reads a CSV or JSON Lines file a record at a time, from any record boundary, holding only a
/// buffer of it in memory. A CSV file's header is read first, also when reading starts later.
final class InputReader {
    let path: String
    let format: ScoreFormat
    /// The CSV header's columns (empty for JSON Lines).
    private(set) var header: [String] = []
    /// The byte offset just after the last record returned (or the start).
    private(set) var offset: Int64
    private(set) var row: Int
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    /// Where the unread part of `buffer` begins.
    private var start = 0
    private var finished = false
    /// What one read fills; kept, so a read does not allocate and clear a megabyte.
    private var chunk = [UInt8](repeating: 0, count: 1 << 20)

    /// Opens `path`; reading continues after `offset` (a record boundary another reader
    /// reported), whose records up to it were rows `1...row`.
    init(path: String, format: ScoreFormat, offset: Int64 = 0, row: Int = 0) throws(ScoreError) {
        self.path = path
        self.format = format
        self.offset = 0
        self.row = row
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .input(path: path, reason: InputReader.reason(errno)) }
        if format == .csv {
            guard let first = try nextLine(csv: true) else {
                throw .input(path: path, reason: "it is empty; a CSV input starts with a header row")
            }
            header = Self.fields(first)
            if header.contains(where: \.isEmpty) { throw .input(path: path, reason: "its header row has an empty column name") }
            // A header line alone: the first row begins after it.
            if offset > self.offset { try seek(to: offset) }
        } else if offset > 0 {
            try seek(to: offset)
        }
    }

    deinit { close(descriptor) }

    /// The next record, or nil at the end of the file.
    func next() throws(ScoreError) -> InputRecord? {
        while let line = try nextLine(csv: format == .csv) {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            row += 1
            switch format {
            case .csv:
                return InputRecord(row: row, end: offset, raw: line, values: .fields(Self.fields(line)))
            case .jsonl:
                let values: InputRecord.Values
                do {
                    let value = try JSONValue(json: Data(line))
                    if let object = value.objectValue { values = .object(object) } else { values = .unreadable("the line is not a JSON object") }
                } catch {
                    values = .unreadable("the line is not JSON (\(error.problem) at byte \(error.offset + 1))")
                }
                return InputRecord(row: row, end: offset, raw: line, values: values)
            }
        }
        return nil
    }

    /// Moves to `target`, a record boundary (every record before it has been counted by the caller).
    private func seek(to target: Int64) throws(ScoreError) {
        guard lseek(descriptor, off_t(target), SEEK_SET) == off_t(target) else { throw .input(path: path, reason: Self.reason(errno)) }
        buffer.removeAll(keepingCapacity: true)
        start = 0
        finished = false
        offset = target
    }

    /// The next line (a CSV record may hold line ends inside quotes), without its line end;
    /// nil at the end.
    private func nextLine(csv: Bool) throws(ScoreError) -> [UInt8]? {
        var scanned = start
        var quoted = false
        while true {
            // The scan runs over the buffer's memory: no bounds or exclusivity check a byte.
            let newline: Int? = buffer.withUnsafeBufferPointer { bytes in
                var index = scanned
                defer { scanned = index }
                while index < bytes.count {
                    let byte = bytes[index]
                    if byte == 0x0A, !quoted { return index }
                    if csv, byte == 0x22 { quoted.toggle() }
                    index += 1
                }
                return nil
            }
            if let newline {
                var end = newline
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                let line = Array(buffer[start..<end])
                offset += Int64(newline + 1 - start)
                start = newline + 1
                return line
            }
            if finished {
                guard start < buffer.count else { return nil }
                var end = buffer.count
                if buffer[end - 1] == 0x0D { end -= 1 }
                let line = Array(buffer[start..<end])
                offset += Int64(buffer.count - start)
                start = buffer.count
                return line
            }
            // Keep the unread part, read more after it.
            if start > 0 {
                buffer.removeSubrange(0..<start)
                scanned -= start
                start = 0
            }
            let count = chunk.withUnsafeMutableBytes { raw in read(descriptor, raw.baseAddress, raw.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .input(path: path, reason: Self.reason(errno))
            }
            buffer.append(contentsOf: chunk[0..<count])
            if count == 0 { finished = true }
        }
    }

    /// A CSV record's fields: quotes around a field are taken off, a doubled quote inside is one.
    static func fields(_ line: [UInt8]) -> [String] {
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var index = 0
        while index < line.count {
            let byte = line[index]
            if quoted {
                if byte == 0x22 {
                    if index + 1 < line.count, line[index + 1] == 0x22 {
                        field.append(0x22)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(byte)
                }
            } else if byte == 0x22 {
                quoted = true
            } else if byte == 0x2C {
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
            } else {
                field.append(byte)
            }
            index += 1
        }
        fields.append(String(decoding: field, as: UTF8.self))
        return fields
    }

    /// The system's reason in the sentence's case ("permission denied").
    static func reason(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}
