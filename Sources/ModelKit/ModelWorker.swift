internal import Foundation

/// The worker loop: reads JSON-RPC 2.0 requests, one per line, from stdin and answers each on
/// stdout. Anything the model prints goes to stderr (the worker's log), so it cannot corrupt the
/// protocol.
public enum ModelWorker {
    /// Serves `type` until `shutdown` or the end of stdin. Never returns an error: a failing call
    /// becomes a JSON-RPC error answer.
    public static func run<M: Model>(_ type: M.Type) {
        // Keep the real stdout for answers; point fd 1 at stderr for everything else.
        let answers = FileHandle(fileDescriptor: dup(1), closeOnDealloc: true)
        dup2(2, 1)
        var model = M()
        while let line = readLine(strippingNewline: true) {
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            let (answer, stop) = handle(line, model: &model)
            var data = answer.jsonData()
            data.append(0x0A)
            answers.write(data)
            if stop { break }
        }
    }

    /// Answers one request line; `stop` is true after `shutdown`.
    static func handle<M: Model>(_ line: String, model: inout M) -> (answer: JSONValue, stop: Bool) {
        guard let request = try? JSONValue(json: Data(line.utf8)),
            case .string(let method)? = request["method"]
        else {
            return (error(id: .null, code: -32700, message: "not a JSON-RPC request"), false)
        }
        let id = request["id"] ?? .null
        let params = request["params"] ?? .object([:])
        do {
            let result: JSONValue
            switch method {
            case "describe":
                result = .object(model.describe())
            case "health":
                result = ["status": "ok"]
            case "train":
                let request = TrainingRequest(
                    data: try path(params, "data"), artifacts: try path(params, "artifacts"),
                    seed: UInt64(params["seed"]?.numberValue ?? 0))
                result = ["metrics": metrics(try model.train(request))]
            case "load":
                try model.load(artifacts: try path(params, "artifacts"))
                result = ["loaded": true]
            case "evaluate":
                result = ["metrics": metrics(try model.evaluate(data: try path(params, "data")))]
            case "predict":
                guard let instances = params["instances"]?.arrayValue else {
                    throw ModelError("predict needs params.instances, a list of objects")
                }
                let objects = try instances.enumerated().map { index, instance in
                    guard let object = instance.objectValue else { throw ModelError("instances[\(index)] is not an object") }
                    return object
                }
                let predictions = try model.predict(objects)
                guard predictions.count == objects.count else {
                    throw ModelError("the model gave \(counted(predictions.count, "prediction")) for \(counted(objects.count, "instance"))")
                }
                result = ["predictions": .array(predictions.map { .object($0) })]
            case "shutdown":
                return (["jsonrpc": "2.0", "id": id, "result": .null], true)
            default:
                return (error(id: id, code: -32601, message: "unknown method '\(method)'"), false)
            }
            return (["jsonrpc": "2.0", "id": id, "result": result], false)
        } catch {
            return (self.error(id: id, code: -32000, message: String(describing: error)), false)
        }
    }

    private static func path(_ params: JSONValue, _ key: String) throws -> URL {
        guard let text = params[key]?.stringValue, !text.isEmpty else { throw ModelError("missing params.\(key), a path") }
        return URL(fileURLWithPath: text)
    }

    private static func metrics(_ metrics: Metrics) -> JSONValue {
        .object(metrics.mapValues { $0.isFinite ? .number($0) : .null })
    }

    private static func error(id: JSONValue, code: Int, message: String) -> JSONValue {
        ["jsonrpc": "2.0", "id": id, "error": ["code": .number(Double(code)), "message": .string(message)]]
    }
}
