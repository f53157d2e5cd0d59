public import Foundation
public import ModelFactory
public import ModelKit

/// The Open Inference Protocol v2 (KServe, Triton) mapped onto a bundle's schema: a batch of N
/// instances is one tensor of shape [N] per input field (strings as BYTES, numbers as FP64 or
/// INT64, booleans as BOOL), and the answer one tensor per output field. Also the binary tensor
/// data extension: after the JSON header (`Inference-Header-Content-Length` bytes) each input
/// with `binary_data_size` has its elements little-endian, BYTES as 4-byte lengths and bytes.
public enum OpenInference {
    /// One named tensor: a field of every instance of a batch.
    public struct Tensor: Sendable {
        /// The schema field it carries.
        public var name: String
        /// `FP64`, `INT64`, `BOOL` or `BYTES`.
        public var datatype: String
        /// Its shape: `[N]` for N instances.
        public var shape: [Int]
        /// The elements in row-major order.
        public var values: [JSONValue]
    }

    /// An `infer` request, decoded from its JSON header and any binary tensor data.
    public struct Request: Sendable {
        /// The client's request id, echoed in the answer.
        public var id: String?
        /// One tensor per schema input.
        public var inputs: [Tensor]
        /// The outputs asked for (all when nil), each with whether it should come back binary.
        public var outputs: [(name: String, binary: Bool)]?
        /// `binary_data_output`: the default for outputs not named.
        public var binaryOutput: Bool
    }

    /// The datatype the protocol gives a schema type.
    public static func datatype(of type: Manifest.Field.Kind) -> String {
        switch type {
        case .double: "FP64"
        case .int: "INT64"
        case .string: "BYTES"
        case .bool: "BOOL"
        }
    }

    static let integerTypes: Set<String> = ["INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"]
    static let floatTypes: Set<String> = ["FP16", "FP32", "FP64", "BF16"]
    /// The most elements one input tensor may have.
    static let maxElements = 1_000_000

    // MARK: Requests

    /// The binary tensor data extension's header: the length of the JSON before the binary data.
    public static let headerLengthField = "Inference-Header-Content-Length"

    /// The value of an `Inference-Header-Content-Length` header: nil without one; a number of
    /// bytes, or a 400 that names the header and what it said.
    public static func headerLength(_ text: String?) throws(ServeError) -> Int? {
        guard let text else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let length = Int(trimmed) else {
            let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
            throw ServeError(.badRequest, "\(headerLengthField) is '\(shown)'; expected the JSON header's length in bytes (a whole number, not negative)")
        }
        return length
    }

    /// Reads an infer request: JSON, or JSON followed by binary tensors when
    /// `headerLength` (the `Inference-Header-Content-Length` header) is given.
    public static func parse(_ body: Data, headerLength: Int?) throws(ServeError) -> Request {
        guard !body.isEmpty else {
            throw ServeError(.badRequest, "the request body is empty; expected a JSON object with 'inputs' (the Open Inference Protocol's infer request)")
        }
        let headerSize = headerLength ?? body.count
        guard headerSize >= 0, headerSize <= body.count else {
            throw ServeError(.badRequest, "Inference-Header-Content-Length is \(headerSize), but the body has \(counted(body.count, "byte"))")
        }
        guard headerSize > 0 else { throw ServeError(.badRequest, "raw binary requests (Inference-Header-Content-Length: 0) are not supported") }
        let header: JSONValue
        do { header = try JSONValue(json: body.prefix(headerSize)) } catch {
            throw ServeError(.badRequest, "the request body is not valid JSON")
        }
        guard case .object(let fields) = header else { throw ServeError(.badRequest, "the request must be a JSON object") }
        guard let inputs = fields["inputs"]?.arrayValue, !inputs.isEmpty else {
            throw ServeError(.badRequest, "the request has no 'inputs' array")
        }
        var binary = body.dropFirst(headerSize)
        var tensors: [Tensor] = []
        for (index, input) in inputs.enumerated() {
            guard case .object(let tensor) = input, let name = tensor["name"]?.stringValue else {
                throw ServeError(.badRequest, "inputs[\(index)] has no name")
            }
            guard let datatype = tensor["datatype"]?.stringValue else { throw ServeError(.badRequest, "input '\(name)' has no datatype") }
            guard let shapeList = tensor["shape"]?.arrayValue,
                let shape = Optional(shapeList.compactMap { $0.numberValue.flatMap { $0 >= 0 && $0 == $0.rounded() && $0 < 1e9 ? Int($0) : nil } }),
                shape.count == shapeList.count, !shape.isEmpty
            else {
                throw ServeError(.badRequest, "input '\(name)' has no valid shape (a list of non-negative integers)")
            }
            // Multiplied with a check: three dimensions under 1e9 each overflow Int.
            var count = 1
            for dimension in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard !overflow, product <= maxElements else {
                    throw ServeError(.badRequest, "input '\(name)' has shape \(shape), more than \(maxElements) elements")
                }
                count = product
            }
            let values: [JSONValue]
            if let size = tensor["parameters"]?["binary_data_size"]?.numberValue {
                guard tensor["data"] == nil else { throw ServeError(.badRequest, "input '\(name)' has both data and binary_data_size") }
                guard size >= 0, size == size.rounded(), size <= Double(binary.count) else {
                    throw ServeError(
                        .badRequest,
                        "input '\(name)' says binary_data_size \(size), but \(counted(binary.count, "byte")) of binary data \(binary.count == 1 ? "is" : "are") left"
                    )
                }
                values = try decodeBinary(Data(binary.prefix(Int(size))), datatype: datatype, count: count, name: name)
                binary = binary.dropFirst(Int(size))
            } else {
                guard let data = tensor["data"] else { throw ServeError(.badRequest, "input '\(name)' has no data") }
                values = flatten(data)
                guard values.count == count else {
                    throw ServeError(.badRequest, "input '\(name)' has shape \(shape) (\(counted(count, "element"))) but \(counted(values.count, "value"))")
                }
            }
            tensors.append(Tensor(name: name, datatype: datatype, shape: shape, values: values))
        }
        guard binary.isEmpty else {
            throw ServeError(.badRequest, "\(counted(binary.count, "byte")) of binary data \(binary.count == 1 ? "is" : "are") left over after the inputs")
        }
        let binaryOutput = fields["parameters"]?["binary_data_output"]?.boolValue ?? false
        var outputs: [(name: String, binary: Bool)]?
        if let requested = fields["outputs"]?.arrayValue {
            outputs = try requested.enumerated().map { index, output throws(ServeError) in
                guard let name = output["name"]?.stringValue else { throw ServeError(.badRequest, "outputs[\(index)] has no name") }
                return (name, output["parameters"]?["binary_data"]?.boolValue ?? binaryOutput)
            }
        }
        let id: String? =
            switch fields["id"] {
            case .string(let text)?: text
            case .number(let number)?: number == number.rounded() && abs(number) < 9e15 ? String(Int(number)) : String(number)
            default: nil
            }
        return Request(id: id, inputs: tensors, outputs: outputs, binaryOutput: binaryOutput)
    }

    static func flatten(_ value: JSONValue) -> [JSONValue] {
        if case .array(let items) = value { return items.flatMap(flatten) }
        return [value]
    }

    static func decodeBinary(_ data: Data, datatype: String, count: Int, name: String) throws(ServeError) -> [JSONValue] {
        let bytes = [UInt8](data)
        func fixed(_ width: Int) throws(ServeError) {
            guard bytes.count == width * count else {
                throw ServeError(.badRequest, "input '\(name)': \(count) \(datatype) elements need \(width * count) bytes, got \(bytes.count)")
            }
        }
        func word(_ index: Int, _ width: Int) -> UInt64 {
            var value: UInt64 = 0
            for byte in 0..<width { value |= UInt64(bytes[index * width + byte]) << (8 * UInt64(byte)) }
            return value
        }
        switch datatype {
        case "BOOL":
            try fixed(1)
            return bytes.map { .bool($0 != 0) }
        case "UINT8", "UINT16", "UINT32", "UINT64":
            let width = Int(datatype.dropFirst(4))! / 8
            try fixed(width)
            return (0..<count).map { .number(Double(word($0, width))) }
        case "INT8", "INT16", "INT32", "INT64":
            let width = Int(datatype.dropFirst(3))! / 8
            try fixed(width)
            return (0..<count).map { index in
                let raw = word(index, width)
                let shift = UInt64(64 - 8 * width)
                return .number(Double(Int64(bitPattern: raw << shift) >> Int64(shift)))
            }
        case "FP32":
            try fixed(4)
            return (0..<count).map { .number(Double(Float(bitPattern: UInt32(word($0, 4))))) }
        case "FP64":
            try fixed(8)
            return (0..<count).map { .number(Double(bitPattern: word($0, 8))) }
        case "BYTES":
            var values: [JSONValue] = []
            var offset = 0
            while offset < bytes.count {
                guard offset + 4 <= bytes.count else { throw ServeError(.badRequest, "input '\(name)': a BYTES element's length is cut off") }
                let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
                offset += 4
                guard offset + length <= bytes.count else { throw ServeError(.badRequest, "input '\(name)': a BYTES element is cut off") }
                guard let text = String(validating: bytes[offset..<offset + length], as: UTF8.self) else {
                    throw ServeError(.badRequest, "input '\(name)': a BYTES element is not UTF-8 text")
                }
                values.append(.string(text))
                offset += length
            }
            guard values.count == count else {
                throw ServeError(
                    .badRequest, "input '\(name)' has shape for \(counted(count, "element")) but \(values.count) \(values.count == 1 ? "was" : "were") sent")
            }
            return values
        default:
            throw ServeError(.badRequest, "input '\(name)': the datatype \(datatype) is not supported in binary form")
        }
    }

    /// The request's tensors as instances of `schema`: every input field once, all with the same
    /// number of elements, each datatype fitting the field. Every problem is named.
    public static func instances(_ request: Request, schema: Manifest.Schema) throws(ServeError) -> [JSONValue] {
        var problems: [ServeError.Problem] = []
        let fields = Dictionary(schema.inputs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var byName: [String: Tensor] = [:]
        for tensor in request.inputs {
            guard let field = fields[tensor.name] else {
                problems.append(.init(field: tensor.name, problem: "unknown input; expected \(schema.inputs.map(\.name).joined(separator: ", "))"))
                continue
            }
            guard byName[tensor.name] == nil else {
                problems.append(.init(field: tensor.name, problem: "given twice"))
                continue
            }
            let fits =
                switch field.type {
                case .double: floatTypes.contains(tensor.datatype) || integerTypes.contains(tensor.datatype)
                case .int: integerTypes.contains(tensor.datatype)
                case .string: tensor.datatype == "BYTES"
                case .bool: tensor.datatype == "BOOL"
                }
            if !fits {
                problems.append(
                    .init(field: tensor.name, problem: "datatype \(tensor.datatype) does not fit \(field.type.withArticle); send \(datatype(of: field.type))"))
            }
            if tensor.shape.count > 2 || (tensor.shape.count == 2 && tensor.shape[1] != 1) {
                problems.append(.init(field: tensor.name, problem: "shape \(tensor.shape); expected [N] (or [N, 1]): one element per instance"))
            }
            byName[tensor.name] = tensor
        }
        for field in schema.inputs where byName[field.name] == nil {
            problems.append(
                .init(
                    field: field.name,
                    problem:
                        "missing input; expected \(field.type == .int || field.type == .double ? "an" : "a") \(datatype(of: field.type)) tensor of shape [N]"))
        }
        let counts = Set(byName.values.map(\.values.count))
        if counts.count > 1 {
            problems.append(
                .init(
                    field: "inputs",
                    problem:
                        "the inputs have different numbers of elements: \(byName.keys.sorted().map { "\($0) \(byName[$0]!.values.count)" }.joined(separator: ", "))"
                ))
        }
        guard problems.isEmpty else { throw ServeError(.badRequest, summary(problems), problems: problems) }
        let count = counts.first ?? 0
        var instances: [JSONValue] = []
        instances.reserveCapacity(count)
        for index in 0..<count {
            var instance: [String: JSONValue] = [:]
            for (name, tensor) in byName {
                var value = tensor.values[index]
                // BOOL sent as numbers (some clients), ints sent for booleans: leave to the check.
                if fields[name]?.type == .bool, case .number(let number) = value, number == 0 || number == 1 { value = .bool(number == 1) }
                instance[name] = value
            }
            instances.append(.object(instance))
        }
        return instances
    }

    static func summary(_ problems: [ServeError.Problem]) -> String {
        "the request does not fit the model's inputs: " + problems.map { "\($0.field): \($0.problem)" }.joined(separator: "; ")
    }

    // MARK: Answers

    /// The infer answer for `predictions` (one object per instance): JSON, plus binary tensors
    /// after it for outputs asked for in binary (then `headerLength` is the JSON's length).
    public static func answer(
        model: String, version: String, request: Request, predictions: [JSONValue], schema: Manifest.Schema, ids: [String] = []
    ) throws(ServeError) -> (body: Data, headerLength: Int?) {
        let wanted: [(name: String, binary: Bool)] = request.outputs ?? schema.outputs.map { ($0.name, request.binaryOutput) }
        let known = Dictionary(schema.outputs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var outputs: [JSONValue] = []
        var binary = Data()
        for (name, asBinary) in wanted {
            guard let field = known[name] else {
                throw ServeError(.badRequest, "unknown output '\(name)'; the model has \(schema.outputs.map(\.name).joined(separator: ", "))")
            }
            var values: [JSONValue] = []
            values.reserveCapacity(predictions.count)
            for prediction in predictions {
                guard let value = prediction[name] else {
                    throw ServeError(.internalServerError, "the model's prediction has no output '\(name)'")
                }
                values.append(value)
            }
            let type = datatype(of: field.type)
            var tensor: [String: JSONValue] = ["name": .string(name), "datatype": .string(type), "shape": [.number(Double(values.count))]]
            if asBinary {
                let bytes = try encodeBinary(values, datatype: type, name: name)
                tensor["parameters"] = ["binary_data_size": .number(Double(bytes.count))]
                binary.append(bytes)
            } else {
                tensor["data"] = .array(values)
            }
            outputs.append(.object(tensor))
        }
        var answer: [String: JSONValue] = ["model_name": .string(model), "model_version": .string(version), "outputs": .array(outputs)]
        if let id = request.id { answer["id"] = .string(id) }
        // Each instance's prediction id (DESIGN.md "Production loop"), in the response's parameters.
        if !ids.isEmpty { answer["parameters"] = ["prediction_ids": .array(ids.map(JSONValue.string))] }
        var body = JSONValue.object(answer).jsonData()
        guard !binary.isEmpty || wanted.contains(where: \.binary) else { return (body, nil) }
        let headerLength = body.count
        body.append(binary)
        return (body, headerLength)
    }

    static func encodeBinary(_ values: [JSONValue], datatype: String, name: String) throws(ServeError) -> Data {
        var data = Data()
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        for value in values {
            switch (datatype, value) {
            case ("FP64", .number(let number)): append(number.bitPattern)
            case ("INT64", .number(let number)) where number == number.rounded() && abs(number) < 9.2e18: append(Int64(number))
            case ("BOOL", .bool(let flag)): data.append(flag ? 1 : 0)
            case ("BYTES", .string(let text)):
                append(UInt32(text.utf8.count))
                data.append(contentsOf: text.utf8)
            default:
                throw ServeError(.internalServerError, "the model's output '\(name)' has a value that is not \(datatype): \(value)")
            }
        }
        return data
    }

    /// Model metadata: name, versions, platform, and one [-1] tensor per schema field.
    public static func metadata(model: String, versions: [String], runtime: String, schema: Manifest.Schema) -> JSONValue {
        func tensors(_ fields: [Manifest.Field]) -> JSONValue {
            .array(fields.map { ["name": .string($0.name), "datatype": .string(datatype(of: $0.type)), "shape": [-1]] })
        }
        return [
            "name": .string(model), "versions": .array(versions.map(JSONValue.string)), "platform": .string("model-factory/\(runtime)"),
            "inputs": tensors(schema.inputs), "outputs": tensors(schema.outputs),
        ]
    }
}
