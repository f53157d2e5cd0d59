import Foundation
import ModelKit
import TestSupport
import Testing

@testable import ModelFactory

/// The binary encoding of `predict` (docs/worker-protocol.md "Binary predict"), checked against
/// CPython's own pickle module both ways.
@Suite(.onTestThreads) struct PickleTests {
    /// Runs `script` with python3, `input` on its stdin; its stdout.
    func python(_ script: String, input: [UInt8] = []) throws -> [UInt8] {
        let folder = TemporaryDirectory("pickle")
        try folder.write("script.py", script)
        try Data(input).write(to: URL(fileURLWithPath: folder.appending("input.bin")))
        let result = try runProcess("/bin/sh", ["-c", "python3 script.py < input.bin > output.bin"], in: folder.path)
        try #require(result.status == 0, "python3 failed: \(result.stderr)")
        return Array(try Data(contentsOf: URL(fileURLWithPath: folder.appending("output.bin"))))
    }

    let instances: JSONValue = [
        ["tenure": 12, "contract": "monthly", "monthly_charges": 70.5, "note": .null, "vip": true],
        ["tenure": -3, "contract": "yearly ✓", "monthly_charges": 1e300, "note": "x", "vip": false],
        ["tenure": 4_000_000_000, "contract": "", "monthly_charges": -0.25, "tags": ["a", 1, [2.5]], "nested": ["k": ["deep": 7]]],
        ["tenure": -9_000_000_000_000, "contract": .string(String(repeating: "long ", count: 80)), "monthly_charges": 0.1],
    ]

    /// Python reads what Swift writes as the JSON path's values: whole numbers are ints, others floats.
    @Test func pythonReadsTheInstancesAsJSONWouldGiveThem() throws {
        let script = """
            import json, pickle, sys
            value = pickle.loads(sys.stdin.buffer.read())
            sys.stdout.write(json.dumps({"value": value, "types": [{k: type(v).__name__ for k, v in row.items()} for row in value]}))
            """
        let answer = try JSONValue(json: Data(try python(script, input: Pickle.encode(instances))))
        #expect(answer["value"] == instances)
        #expect(answer["types"]?.arrayValue?[0] == ["tenure": "int", "contract": "str", "monthly_charges": "float", "note": "NoneType", "vip": "bool"])
        #expect(answer["types"]?.arrayValue?[2]["tenure"] == "int")
        #expect(answer["types"]?.arrayValue?[3]["tenure"] == "int")
    }

    /// Swift reads what CPython's pickler writes, at every protocol, shared objects included.
    @Test func swiftReadsWhatPythonWrites() throws {
        for proto in 2...5 {
            let script = """
                import pickle, sys
                shared = {"churn_probability": 0.25, "churn": 0}
                rows = [shared, shared, {"churn_probability": 1e-300, "churn": 1, "why": ("tenure", 3, 2**40, -2**40, -1, 300, 70000)}]
                rows += [{"n": n, "label": "a" * 300, "ok": n % 2 == 0, "none": None} for n in range(1200)]
                sys.stdout.buffer.write(pickle.dumps(rows, protocol=\(proto)))
                """
            let value = try Pickle.decode(try python(script))
            let rows = try #require(value.arrayValue)
            #expect(rows.count == 1203)
            #expect(rows[0] == ["churn_probability": 0.25, "churn": 0])
            #expect(rows[1] == rows[0])
            #expect(rows[2] == ["churn_probability": 1e-300, "churn": 1, "why": ["tenure", 3, 1_099_511_627_776, -1_099_511_627_776, -1, 300, 70000]])
            #expect(rows[1202] == ["n": 1199, "label": .string(String(repeating: "a", count: 300)), "ok": false, "none": .null])
        }
    }

    /// A dictionary memoized while empty and filled afterwards is read filled wherever it is referred to.
    @Test func aContainerFilledAfterItIsMemoizedIsReadFilled() throws {
        let script = """
            import pickle, sys
            inner = {}
            inner["a"] = [1, 2]
            sys.stdout.buffer.write(pickle.dumps([inner, {"again": inner}], protocol=2))
            """
        #expect(try Pickle.decode(try python(script)) == [["a": [1, 2]], ["again": ["a": [1, 2]]]])
    }

    /// Nothing but plain values is read: a class, a reduce or truncated bytes are errors that say where.
    @Test func onlyPlainValuesAreRead() throws {
        let script = """
            import pickle, sys, fractions
            sys.stdout.buffer.write(pickle.dumps([{"p": fractions.Fraction(1, 3)}], protocol=4))
            """
        let error = #expect(throws: Pickle.DecodeError.self) { try Pickle.decode(try python(script)) }
        #expect(error?.description.contains("is not one of a plain value") == true)
        var truncated = Pickle.encode(instances)
        truncated.removeLast(5)
        #expect(throws: Pickle.DecodeError.self) { try Pickle.decode(truncated) }
        #expect(throws: Pickle.DecodeError.self) { try Pickle.decode([]) }
        // A GET of a memo slot never put, and a key that is not a string.
        #expect(throws: Pickle.DecodeError.self) { try Pickle.decode([0x80, 4, 0x68, 9, 0x2E]) }
        #expect(throws: Pickle.DecodeError.self) { try Pickle.decode([0x80, 4, 0x7D, 0x4B, 1, 0x4B, 2, 0x73, 0x2E]) }
    }

    /// Predictions are read straight into their outputs: in the fields' order, null where a
    /// dictionary lacks one, a shared dictionary read wherever it is referred to; anything but a
    /// list of dictionaries is left to `decode`, which says what it is.
    @Test func predictionsAreReadIntoTheirOutputs() throws {
        let script = """
            import pickle, sys
            shared = {"score": 0.5, "label": 1}
            sys.stdout.buffer.write(pickle.dumps([shared, {"label": 0, "extra": "x"}, shared, {"score": [1, 2], "label": None}], protocol=4))
            """
        let records = try #require(try Pickle.records(try python(script), fields: ["label", "score"]))
        #expect(records.count == 4)
        #expect(records.values == [1, 0.5, 0, .null, 1, 0.5, .null, [1, 2]])
        #expect(try Pickle.records(Pickle.encode(["a": 1]), fields: ["a"]) == nil)
        #expect(try Pickle.records(Pickle.encode([["a": 1], 2]), fields: ["a"]) == nil)
        // The memoized names of a request: written once, referred to by slot, popped off the stack.
        var writer = Pickle.Writer()
        writer.start()
        let slots = writer.memoize(["x", "c"])
        writer.beginList()
        for row in 0..<3 {
            writer.beginDict()
            writer.key(at: slots[0])
            writer.number(Double(row))
            writer.key(at: slots[1])
            writer.string("a")
            writer.endDict()
        }
        writer.endList()
        writer.finish()
        #expect(try Pickle.decode(writer.bytes) == [["x": 0, "c": "a"], ["x": 1, "c": "a"], ["x": 2, "c": "a"]])
        let read = try JSONValue(
            json: Data(try python("import json, pickle, sys\nsys.stdout.write(json.dumps(pickle.loads(sys.stdin.buffer.read())))", input: writer.bytes)))
        #expect(read == [["x": 0, "c": "a"], ["x": 1, "c": "a"], ["x": 2, "c": "a"]])
    }

    @Test func swiftReadsWhatSwiftWrites() throws {
        #expect(try Pickle.decode(Pickle.encode(instances)) == instances)
        #expect(try Pickle.decode(Pickle.encode([])) == [])
        #expect(try Pickle.decode(Pickle.encode("é")) == "é")
        // A number that is not finite is None, as JSON writes it null.
        #expect(try Pickle.decode(Pickle.encode([.number(.nan), .number(-.infinity), 2.5, 3])) == [.null, .null, 2.5, 3])
    }
}
