import Foundation
import ModelKit
import TestSupport
import Testing

@testable import ModelFactory
@testable import ModelServer

let schema = Manifest.Schema(
    inputs: [
        .init(name: "tenure", type: .int, min: 0, max: 120),
        .init(name: "contract", type: .string, values: ["monthly", "yearly"]),
        .init(name: "charges", type: .double, min: 0),
        .init(name: "promo", type: .bool),
    ],
    outputs: [.init(name: "p", type: .double), .init(name: "label", type: .string)])

func body(_ object: Any) -> Data { try! JSONSerialization.data(withJSONObject: object) }

/// The ServeError `work` throws, or nil.
func serveError(_ work: () throws -> Void) -> ServeError? {
    do { try work() } catch let error as ServeError { return error } catch { return nil }
    return nil
}

func tensor(_ name: String, _ datatype: String, _ data: Any, shape: [Int]? = nil) -> [String: Any] {
    ["name": name, "datatype": datatype, "shape": shape ?? [(data as? [Any])?.count ?? 1], "data": data]
}

@Suite(.onTestThreads) struct OpenInferenceTests {
    @Test func tensorsBecomeInstances() throws {
        let request = try OpenInference.parse(
            body([
                "id": "r1",
                "inputs": [
                    tensor("tenure", "INT64", [2, 60]), tensor("contract", "BYTES", ["monthly", "yearly"]),
                    tensor("charges", "FP32", [[95.5], [35]], shape: [2, 1]), tensor("promo", "BOOL", [true, false]),
                ],
            ]), headerLength: nil)
        #expect(request.id == "r1")
        let instances = try OpenInference.instances(request, schema: schema)
        #expect(
            instances == [
                ["tenure": 2, "contract": "monthly", "charges": 95.5, "promo": true],
                ["tenure": 60, "contract": "yearly", "charges": 35, "promo": false],
            ])
    }

    /// Every problem is named at once: unknown, missing, wrong datatype, wrong shape, counts.
    @Test func everyBadInputIsNamed() throws {
        let request = try OpenInference.parse(
            body([
                "inputs": [
                    tensor("tenure", "FP64", [2.5, 3]), tensor("contract", "INT64", [1, 2]), tensor("color", "BYTES", ["red", "blue"]),
                    tensor("promo", "BOOL", [true]),
                ]
            ]), headerLength: nil)
        let error = serveError { _ = try OpenInference.instances(request, schema: schema) }
        let fields = Set((error?.problems ?? []).map { $0.field })
        #expect(fields == ["tenure", "contract", "color", "charges", "inputs"], "\(error?.problems ?? [])")
        #expect(error?.status == .badRequest)
    }

    @Test(arguments: [
        ("{", "not valid JSON"),
        ("[1]", "must be a JSON object"),
        ("{\"inputs\": []}", "no 'inputs'"),
        ("{\"inputs\": [{\"name\": \"tenure\", \"datatype\": \"INT64\", \"shape\": [3], \"data\": [1, 2]}]}", "shape [3] (3 elements) but 2 values"),
        ("{\"inputs\": [{\"name\": \"tenure\", \"datatype\": \"INT64\", \"shape\": [2], \"data\": [1]}]}", "shape [2] (2 elements) but 1 value"),
        ("{\"inputs\": [{\"name\": \"tenure\", \"datatype\": \"INT64\", \"shape\": [-1], \"data\": [1]}]}", "no valid shape"),
        ("{\"inputs\": [{\"name\": \"tenure\", \"datatype\": \"INT64\", \"shape\": [1000000000000], \"data\": [1]}]}", "no valid shape"),
        ("{\"inputs\": [{\"name\": \"tenure\", \"shape\": [1], \"data\": [1]}]}", "has no datatype"),
        ("{\"inputs\": [{\"datatype\": \"INT64\", \"shape\": [1], \"data\": [1]}]}", "has no name"),
        // Dimensions each under 1e9 whose product overflows Int.
        (
            "{\"inputs\": [{\"name\": \"tenure\", \"datatype\": \"INT64\", \"shape\": [999999999, 999999999, 999999999], \"data\": [1]}]}",
            "more than 1000000 elements"
        ),
        (
            "{\"inputs\": [{\"name\": \"tenure\", \"datatype\": \"INT64\", \"shape\": [1], \"parameters\": {\"binary_data_size\": 1e300}}]}",
            "binary_data_size"
        ),
        ("{\"inputs\": [{\"name\": \"tenure\", \"datatype\": \"INT64\", \"shape\": [1], \"data\": [1e400]}]}", "not valid JSON"),
    ])
    func malformedRequestsAreRefused(body text: String, expected: String) {
        let error = serveError { _ = try OpenInference.parse(Data(text.utf8), headerLength: nil) }
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "no error")")
    }

    /// The binary tensor data extension as tritonclient sends it: JSON header, then each
    /// input's little-endian elements; BYTES with 4-byte lengths.
    @Test func binaryInputs() throws {
        var binary = Data()
        for value in [Int64(2), 60] { withUnsafeBytes(of: value.littleEndian) { binary.append(contentsOf: $0) } }
        let tenureSize = binary.count
        for text in ["monthly", "yearly"] {
            withUnsafeBytes(of: UInt32(text.utf8.count).littleEndian) { binary.append(contentsOf: $0) }
            binary.append(contentsOf: text.utf8)
        }
        let contractSize = binary.count - tenureSize
        for value in [Float(95.5), 35] { withUnsafeBytes(of: value.bitPattern.littleEndian) { binary.append(contentsOf: $0) } }
        binary.append(contentsOf: [1, 0])
        let header = body([
            "inputs": [
                ["name": "tenure", "datatype": "INT64", "shape": [2], "parameters": ["binary_data_size": tenureSize]],
                ["name": "contract", "datatype": "BYTES", "shape": [2], "parameters": ["binary_data_size": contractSize]],
                ["name": "charges", "datatype": "FP32", "shape": [2], "parameters": ["binary_data_size": 8]],
                ["name": "promo", "datatype": "BOOL", "shape": [2], "parameters": ["binary_data_size": 2]],
            ], "parameters": ["binary_data_output": true],
        ])
        let request = try OpenInference.parse(header + binary, headerLength: header.count)
        #expect(request.binaryOutput)
        #expect(
            try OpenInference.instances(request, schema: schema) == [
                ["tenure": 2, "contract": "monthly", "charges": 95.5, "promo": true],
                ["tenure": 60, "contract": "yearly", "charges": 35, "promo": false],
            ])
        // Cut short or left over: refused, never read past the end.
        #expect(throws: ServeError.self) { try OpenInference.parse(header + binary.dropLast(), headerLength: header.count) }
        #expect(throws: ServeError.self) { try OpenInference.parse(header + binary + Data([0]), headerLength: header.count) }
        #expect(throws: ServeError.self) { try OpenInference.parse(header + binary, headerLength: header.count + binary.count + 1) }
    }

    @Test func answersAsJSONOrBinary() throws {
        let predictions: [JSONValue] = [["p": 0.25, "label": "stay"], ["p": 0.75, "label": "leave"]]
        let json = try OpenInference.parse(body(["id": "7", "inputs": [tensor("tenure", "INT64", [1, 2])]]), headerLength: nil)
        let plain = try OpenInference.answer(model: "churn", version: "1.0.0", request: json, predictions: predictions, schema: schema)
        #expect(plain.headerLength == nil)
        let answer = try JSONSerialization.jsonObject(with: plain.body) as! [String: Any]
        #expect(answer["model_name"] as? String == "churn" && answer["model_version"] as? String == "1.0.0" && answer["id"] as? String == "7")
        let outputs = answer["outputs"] as! [[String: Any]]
        #expect(outputs.map { $0["name"] as! String } == ["p", "label"])
        #expect(outputs[0]["datatype"] as? String == "FP64" && outputs[0]["data"] as? [Double] == [0.25, 0.75] && outputs[0]["shape"] as? [Int] == [2])
        #expect(outputs[1]["datatype"] as? String == "BYTES" && outputs[1]["data"] as? [String] == ["stay", "leave"])

        let asked = try OpenInference.parse(
            body([
                "inputs": [tensor("tenure", "INT64", [1, 2])],
                "outputs": [["name": "p", "parameters": ["binary_data": true]]],
            ]), headerLength: nil)
        let binary = try OpenInference.answer(model: "churn", version: "1.0.0", request: asked, predictions: predictions, schema: schema)
        let length = try #require(binary.headerLength)
        let head = try JSONSerialization.jsonObject(with: binary.body.prefix(length)) as! [String: Any]
        let output = (head["outputs"] as! [[String: Any]])[0]
        #expect((output["parameters"] as? [String: Int])?["binary_data_size"] == 16 && output["data"] == nil)
        let tail = [UInt8](binary.body.dropFirst(length))
        #expect(tail.count == 16)
        var first: UInt64 = 0
        for (index, byte) in tail[0..<8].enumerated() { first |= UInt64(byte) << (8 * UInt64(index)) }
        #expect(Double(bitPattern: first) == 0.25)

        let unknown = try OpenInference.parse(body(["inputs": [tensor("tenure", "INT64", [1])], "outputs": [["name": "nope"]]]), headerLength: nil)
        #expect(throws: ServeError.self) { try OpenInference.answer(model: "m", version: "1", request: unknown, predictions: [["p": 1]], schema: schema) }
    }

    @Test func stickyKeysSpreadByWeightAndStay() {
        // FNV-1a is stable across processes; the same key always lands in the same bucket.
        #expect(ModelRegistry.fnv1a("customer-42") == ModelRegistry.fnv1a("customer-42"))
        #expect(ModelRegistry.fnv1a("") == 0xcbf2_9ce4_8422_2325)
        let buckets = (0..<10_000).map { Int(ModelRegistry.fnv1a("customer-\($0)") % 100) }
        let share = Double(buckets.filter { $0 < 10 }.count) / 10_000
        #expect(share > 0.08 && share < 0.12, "\(share)")
    }

    @Test func answersAgreeWithinTolerance() {
        #expect(ModelServer.agree([["p": 0.5]], [["p": 0.5000000001]]))
        #expect(!ModelServer.agree([["p": 0.5]], [["p": 0.6]]))
        #expect(!ModelServer.agree([["p": 0.5]], [["q": 0.5]]))
        #expect(!ModelServer.agree([["p": 0.5]], []))
    }

    /// A huge numeric id is echoed as a number's text instead of trapping in Int().
    @Test func hugeNumericIDs() throws {
        let request = try OpenInference.parse(body(["id": 1e300, "inputs": [tensor("tenure", "INT64", [1])]]), headerLength: nil)
        #expect(request.id == String(1e300))
        #expect(try OpenInference.parse(body(["id": 42, "inputs": [tensor("tenure", "INT64", [1])]]), headerLength: nil).id == "42")
    }

    /// NaN (which a binary FP64 tensor can carry) passes no range check: it is refused by name.
    @Test func notANumberIsRefused() throws {
        var nan = Data()
        withUnsafeBytes(of: Double.nan.bitPattern.littleEndian) { nan.append(contentsOf: $0) }
        let header = body([
            "inputs": [
                ["name": "charges", "datatype": "FP64", "shape": [1], "parameters": ["binary_data_size": 8]],
                tensor("tenure", "INT64", [1]), tensor("contract", "BYTES", ["monthly"]), tensor("promo", "BOOL", [true]),
            ]
        ])
        let request = try OpenInference.parse(header + nan, headerLength: header.count)
        let instances = try OpenInference.instances(request, schema: schema)
        let problems = schema.check(instances[0].objectValue ?? [:])
        #expect(problems.map(\.path) == ["charges"] && problems.first?.message.contains("not a finite number") == true, "\(problems)")
    }

    /// "an int", never "a int", in every message that names the type.
    @Test func messagesSayAnInt() throws {
        var problems = schema.check(["tenure": 2.5, "contract": "monthly", "charges": 1, "promo": true] as [String: JSONValue])
        #expect(problems.map(\.message) == ["expected an int"], "\(problems)")
        problems = schema.check(["contract": "monthly", "charges": 1, "promo": true] as [String: JSONValue])
        #expect(problems.map(\.message) == ["missing; expected an int"], "\(problems)")
        let request = try OpenInference.parse(body(["inputs": [tensor("tenure", "FP64", [1.5])]]), headerLength: nil)
        let error = serveError { _ = try OpenInference.instances(request, schema: schema) }
        let byField = Dictionary((error?.problems ?? []).map { ($0.field, $0.problem) }, uniquingKeysWith: { one, _ in one })
        #expect(byField["tenure"] == "datatype FP64 does not fit an int; send INT64", "\(byField)")
        #expect(byField["charges"] == "missing input; expected an FP64 tensor of shape [N]", "\(byField)")
        #expect(byField["contract"] == "missing input; expected a BYTES tensor of shape [N]", "\(byField)")
        #expect(!(error?.message.contains("a int") ?? true), "\(error?.message ?? "")")
    }

    /// A whole number an Int64 cannot hold is out of range, not the wrong type; one it can hold
    /// is an int, however large.
    @Test func numbersPastInt64AreOutOfRange() throws {
        let wide = Manifest.Schema(inputs: [.init(name: "tenure", type: .int)], outputs: [])
        let request = try OpenInference.parse(
            Data(#"{"inputs": [{"name": "tenure", "datatype": "INT64", "shape": [4], "data": [9223372036854775808, -9223372036854777856, 1e20, 2.5]}]}"#.utf8),
            headerLength: nil)
        let messages = try OpenInference.instances(request, schema: wide).map { wide.check($0.objectValue ?? [:]).map(\.message) }
        #expect(
            messages == [
                ["9223372036854775808 is out of range for int"], ["-9223372036854777856 is out of range for int"],
                ["100000000000000000000 is out of range for int"], ["expected an int"],
            ], "\(messages)")
        for inRange: JSONValue in [4_000_000_000_000_000, -9_223_372_036_854_775_807, 1e18] {
            #expect(wide.check(["tenure": inRange]).isEmpty, "\(inRange)")
        }
    }

    /// An empty body is named as one (no header said anything about raw binary requests), and a
    /// header length that is not a number is named with what it said.
    @Test func emptyBodiesAndBadHeaderLengths() throws {
        let empty = serveError { _ = try OpenInference.parse(Data(), headerLength: nil) }
        #expect(empty?.status == .badRequest && empty?.message.contains("the request body is empty") == true, "\(empty?.message ?? "no error")")
        #expect(empty?.message.contains("Inference-Header-Content-Length") == false)
        #expect(try OpenInference.headerLength(nil) == nil)
        #expect(try OpenInference.headerLength("42") == 42)
        #expect(try OpenInference.headerLength(" 0 ") == 0)
        for bad in ["abc", "-5", "1.5", "+7", "", "99999999999999999999999", "0x10"] {
            let error = serveError { _ = try OpenInference.headerLength(bad) }
            #expect(
                error?.status == .badRequest && error?.message.hasPrefix("Inference-Header-Content-Length is '\(bad)'") == true,
                "\(bad): \(error?.message ?? "taken")")
        }
        // Said 0 with a body: the one case that is a raw binary request.
        let raw = serveError { _ = try OpenInference.parse(Data([1, 2, 3]), headerLength: 0) }
        #expect(raw?.message.contains("raw binary requests") == true)
    }

    /// An array or object where a declared field's value belongs is the wrong type; under a name
    /// the schema does not have, it is an unknown field.
    @Test func compoundValuesAreWrongTypesNotMissing() {
        let problems = schema.check(["tenure": .array([1]), "contract": .object([:]), "charges": 1, "promo": true, "extra": .array([])])
        let byPath = Dictionary(problems.map { ($0.path, $0.message) }, uniquingKeysWith: { one, _ in one })
        #expect(byPath["tenure"] == "expected an int, got an array", "\(problems)")
        #expect(byPath["contract"] == "expected a string, got an object", "\(problems)")
        #expect(byPath["extra"]?.hasPrefix("unknown field") == true, "\(problems)")
        #expect(problems.count == 3)
    }
}
