import Foundation
import ModelFactory
import ModelKit
import TestSupport
import Testing

/// `DataReader`: CSV as RFC 4180 writes it and JSON Lines, a row at a time, with row numbers.
@Suite(.onTestThreads) struct DataReaderTests {
    /// Every row of `text` written to a file named `name`, with the malformed ones as their errors.
    func read(_ name: String, _ text: String) throws -> (columns: [String], rows: [DataRow], errors: [DataError]) {
        let (columns, rows, errors, _) = try readWithPath(name, text)
        return (columns, rows, errors)
    }

    func readWithPath(_ name: String, _ text: String) throws -> (columns: [String], rows: [DataRow], errors: [DataError], path: String) {
        let folder = TemporaryDirectory("data")
        try folder.write(name, text)
        let reader = try DataReader(path: folder.appending(name))
        var rows: [DataRow] = []
        var errors: [DataError] = []
        while true {
            do {
                guard let row = try reader.next() else { break }
                rows.append(row)
            } catch {
                errors.append(error)
            }
        }
        return (reader.columns, rows, errors, reader.path)
    }

    @Test func quotingCRLFAndEmptyCells() throws {
        let text = "id,name,note\r\n1,\"Smith, J\",\"said \"\"hi\"\"\"\r\n2,,\"two\nlines\"\r\n\r\n3,\"\",x\r\n"
        let (columns, rows, errors) = try read("a.csv", text)
        #expect(columns == ["id", "name", "note"])
        #expect(errors.isEmpty)
        #expect(rows.map(\.number) == [1, 2, 3])
        #expect(rows.map(\.line) == [2, 3, 6])
        #expect(rows[0]["name"] == .text("Smith, J") && rows[0]["note"] == .text("said \"hi\""))
        #expect(rows[1]["name"] == nil && rows[1]["note"] == .text("two\nlines"))
        #expect(rows[2]["name"] == nil && rows[2].values == ["id": .text("3"), "note": .text("x")])
    }

    /// A row of another width is an error naming its row and line; reading goes on after it.
    @Test func badCSVRowsAreNamedAndSkipped() throws {
        let (_, rows, errors, path) = try readWithPath("b.csv", "a,b\n1,2\n3\n4,5,6\n7,8\n\"9,10\n")
        #expect(rows.map(\.number) == [1, 4])
        #expect(
            errors == [
                .malformed(path: path, row: 2, line: 3, reason: "it has 1 field; the header has 2"),
                .malformed(path: path, row: 3, line: 4, reason: "it has 3 fields; the header has 2"),
                .malformed(path: path, row: 5, line: 6, reason: "a quoted field is not closed before the end of the file"),
            ])
        #expect(errors[0].description == "\(path), row 2 (line 3): it has 1 field; the header has 2")
    }

    @Test func jsonLines() throws {
        let text = "{\"id\": 1, \"name\": \"a\"}\n\n{\"id\": 2, \"name\": null, \"extra\": [1]}\r\nnot json\n[1]\n{\"id\": 3}"
        let (columns, rows, errors) = try read("c.jsonl", text)
        #expect(columns == ["id", "name", "extra"])
        #expect(rows.map(\.number) == [1, 2, 5] && rows.map(\.line) == [1, 3, 6])
        #expect(rows[0]["id"] == .json(.number(1)) && rows[0]["name"]?.description == "a")
        #expect(rows[1]["name"] == nil && rows[1]["extra"]?.description == "[1]")
        #expect(rows[2]["name"] == nil && rows[2]["extra"] == nil)
        #expect(errors.count == 2)
        guard case .malformed(_, 3, 4, let reason) = errors[0], case .malformed(_, 4, 5, let other) = errors[1] else {
            Issue.record("unexpected errors \(errors)")
            return
        }
        #expect(reason.hasPrefix("not valid JSON") && other == "expected a JSON object, got an array")
    }

    /// Rows longer than a chunk, and files of many chunks, read whole.
    @Test func rowsAcrossChunks() throws {
        let long = String(repeating: "x", count: DataReader.chunkSize + 10)
        var text = "a,b\n"
        for index in 0..<3 { text += "\(index),\"\(long)\"\n" }
        let (_, rows, errors) = try read("d.csv", text)
        #expect(errors.isEmpty && rows.count == 3 && rows.allSatisfy { $0["b"]?.description.count == long.count })
        let (_, jsonRows, _) = try read("e.jsonl", (0..<3).map { "{\"a\": \($0), \"b\": \"\(long)\"}" }.joined(separator: "\n") + "\n")
        #expect(jsonRows.map { $0["a"] } == [.json(0), .json(1), .json(2)])
    }

    @Test func typedValues() {
        #expect(DataValue.text("12").typed(as: .int) == .number(12) && DataValue.text("1.5").typed(as: .int) == nil)
        #expect(DataValue.text("1.5").typed(as: .double) == .number(1.5) && DataValue.text("x").typed(as: .double) == nil)
        #expect(DataValue.text("Yes").typed(as: .bool) == .bool(true) && DataValue.json(.string("true")).typed(as: .bool) == nil)
        #expect(DataValue.json(.number(3)).typed(as: .string) == nil && DataValue.text("3").typed(as: .string) == .string("3"))
    }

    @Test func unreadableFiles() throws {
        let folder = TemporaryDirectory("data")
        #expect(throws: DataError.unreadable(path: folder.appending("none.csv"), reason: "no such file or directory")) {
            try DataReader(path: folder.appending("none.csv"))
        }
        #expect(throws: DataError.unknownFormat(path: "x.parquet")) { try DataReader(path: "x.parquet") }
        try folder.write("empty.csv", "\n\n")
        #expect(throws: DataError.noHeader(path: folder.appending("empty.csv"))) { try DataReader(path: folder.appending("empty.csv")) }
    }
}
