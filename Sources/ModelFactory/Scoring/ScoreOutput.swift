internal import Foundation
internal import ModelKit

/// A file written only at its end, whose length is known at every moment: the output and
/// reject files of a scoring run. Opened again for a resume, it is cut back to the length the
/// store recorded (a torn last line, and the rows of a batch whose position did not reach the
/// store, go), so every row is in it once. It is held under an exclusive `flock` while open,
/// taken before anything is cut: a second `mf score` on the same file (a second `--resume` of a
/// run, or a new run onto a running one's output) stops before it touches it.
final class AppendedFile {
    let path: String
    private let descriptor: Int32
    /// Its length in bytes.
    private(set) var length: Int64

    /// Opens `path`: a new, empty file (replacing one there) when `length` is nil, else the
    /// file there cut back to `length` bytes.
    init(path: String, length: Int64?) throws(ScoreError) {
        self.path = path
        if let length {
            descriptor = open(path, O_WRONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw .output(path: path, reason: InputReader.reason(errno)) }
            try Self.lock(descriptor, path: path)
            var info = stat()
            guard fstat(descriptor, &info) == 0, Int64(info.st_size) >= length else {
                throw .output(path: path, reason: "it is shorter than the \(length) bytes the run wrote to it; it was changed since")
            }
            guard ftruncate(descriptor, off_t(length)) == 0, lseek(descriptor, 0, SEEK_END) == off_t(length) else {
                throw .output(path: path, reason: InputReader.reason(errno))
            }
            self.length = length
        } else {
            // Emptied only once it is held (O_TRUNC would cut a file another run is writing).
            descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw .output(path: path, reason: InputReader.reason(errno)) }
            try Self.lock(descriptor, path: path)
            guard ftruncate(descriptor, 0) == 0 else {
                close(descriptor)
                throw .output(path: path, reason: InputReader.reason(errno))
            }
            self.length = 0
        }
    }

    deinit { close(descriptor) }  // and with it the lock

    /// Takes the file's exclusive lock; closes `descriptor` and throws when another process (or
    /// another open of it here) holds it. It is tried for up to a second: a process being
    /// started by this one (or a test beside it) holds every open file for the moment between
    /// its fork and its exec, the lock of a file just closed too.
    private static func lock(_ descriptor: Int32, path: String) throws(ScoreError) {
        var tries = 0
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            if errno == EWOULDBLOCK, tries < 100 {
                tries += 1
                usleep(10_000)
                continue
            }
            let reason = errno == EWOULDBLOCK ? "another mf score is writing it" : InputReader.reason(errno)
            close(descriptor)
            throw .output(path: path, reason: reason)
        }
    }

    /// Appends `bytes` (all of them, or an error).
    func append(_ bytes: [UInt8]) throws(ScoreError) {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { raw in write(descriptor, raw.baseAddress! + written, bytes.count - written) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw .output(path: path, reason: InputReader.reason(errno)) }
            written += count
        }
        length += Int64(bytes.count)
    }
}

/// How scored and rejected rows are written: a CSV or JSON Lines row per scored input (its key,
/// then one column per schema output), a JSON object per score kept in the store, and a CSV
/// row per reject (`row,reason,record`).
struct ScoreRows {
    /// The output's first column: the key column's name, else `row`.
    let keyName: String
    /// Whether the key is the row number (written as a number in JSON).
    let keyIsRow: Bool
    /// The schema's outputs, in order.
    let outputs: [String]

    /// Each output's name as JSON text and a colon (`"label":`), made once.
    private let outputNames: [[UInt8]]
    /// The key's name as JSON text and a colon.
    private let keyNameJSON: [UInt8]

    init(key: String?, outputs: [String]) {
        keyName = key ?? "row"
        keyIsRow = key == nil
        self.outputs = outputs
        outputNames = outputs.map { Array(JSONValue.string($0).jsonData()) + [0x3A] }
        keyNameJSON = Array(JSONValue.string(key ?? "row").jsonData()) + [0x3A]
    }

    /// The header line of a CSV output (nothing for JSON Lines).
    func header(_ format: ScoreFormat) -> [UInt8] {
        guard format == .csv else { return [] }
        return Array(([keyName] + outputs).map(Self.csvField).joined(separator: ",").utf8) + [0x0A]
    }

    /// The reject file's header line.
    static let rejectsHeader = Array("row,reason,record\n".utf8)

    /// One scored row as a line of `format`; `values` are the schema outputs, in order.
    func line(key: String, outputs values: ArraySlice<JSONValue>, format: ScoreFormat, into out: inout [UInt8]) {
        switch format {
        case .csv:
            out.append(contentsOf: Self.csvField(key).utf8)
            for value in values {
                out.append(0x2C)
                switch value {
                case .null: break
                case .number, .bool: value.appendJSON(to: &out)  // never needs quotes
                default: out.append(contentsOf: Self.csvValue(value).utf8)
                }
            }
        case .jsonl:
            out.append(0x7B)
            out.append(contentsOf: keyNameJSON)
            if keyIsRow { out.append(contentsOf: key.utf8) } else { JSONValue.string(key).appendJSON(to: &out) }
            appendOutputs(values, into: &out, leadingComma: true)
            out.append(0x7D)
        }
        out.append(0x0A)
    }

    /// The schema outputs (`values`, in order) as a JSON object's text, for the store.
    func outputsJSON(_ values: ArraySlice<JSONValue>) -> String {
        var out: [UInt8] = [0x7B]
        appendOutputs(values, into: &out, leadingComma: false)
        out.append(0x7D)
        return String(decoding: out, as: UTF8.self)
    }

    private func appendOutputs(_ values: ArraySlice<JSONValue>, into out: inout [UInt8], leadingComma: Bool) {
        for (index, value) in values.enumerated() {
            if leadingComma || index > 0 { out.append(0x2C) }
            out.append(contentsOf: outputNames[index])
            value.appendJSON(to: &out)
        }
    }

    /// One rejected row as a line of the reject file.
    static func reject(row: Int, reason: String, record: [UInt8], into out: inout [UInt8]) {
        out.append(contentsOf: "\(row),\(csvField(reason)),\(csvField(String(decoding: record, as: UTF8.self)))\n".utf8)
    }

    /// A JSON value as a CSV cell: text as it is, numbers and booleans as JSON writes them,
    /// null or missing as an empty cell, arrays and objects as JSON.
    static func csvValue(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: ""
        case .string(let text)?: csvField(text)
        case let other?: csvField(String(decoding: other.jsonData(), as: UTF8.self))
        }
    }

    /// `text` as a CSV field: quoted (quotes doubled) when it holds a comma, a quote or a line end.
    static func csvField(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
