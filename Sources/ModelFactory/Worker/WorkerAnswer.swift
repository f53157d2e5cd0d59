internal import Foundation
public import ModelKit

/// The results the standard interface asks of a worker (docs/worker-protocol.md), read where the
/// factory uses them: an answer in another shape is a `WorkerError.unexpectedAnswer` that names
/// the method, what is wrong and the shape expected, never a session that passes with nothing
/// recorded.
///
/// ```swift
/// let metrics = try WorkerAnswer.metrics(try await worker.call("evaluate", …), method: "evaluate")
/// let predictions = try WorkerAnswer.predictions(try await worker.call("predict", …), count: 2)
/// ```
public enum WorkerAnswer {
    /// What `train` and `evaluate` answer.
    public static let metricsShape = #"{"metrics": {"NAME": number or null, …}}"#

    /// What `predict` answers.
    public static let predictionsShape = #"{"predictions": [one object per instance, in order]}"#

    /// The metrics of a `train` or `evaluate` answer, by name: numbers, or nil where the model
    /// sent null (a metric it could not compute, such as an AUC with one class).
    public static func metrics(_ answer: JSONValue, method: String) throws(WorkerError) -> [String: Double?] {
        guard let metrics = answer["metrics"] else {
            throw .unexpectedAnswer(method: method, problem: "has no \"metrics\" (it answered \(excerpt(answer)))", expected: metricsShape)
        }
        guard let object = metrics.objectValue else {
            throw .unexpectedAnswer(method: method, problem: "has \"metrics\": \(excerpt(metrics)), not an object", expected: metricsShape)
        }
        var result: [String: Double?] = [:]
        for name in object.keys.sorted() {
            switch object[name]! {
            case .number(let value): result[name] = value
            case .null: result[name] = .some(nil)
            case let other:
                throw .unexpectedAnswer(
                    method: method, problem: "has the metric \"\(name)\": \(excerpt(other)), which is not a number", expected: metricsShape)
            }
        }
        return result
    }

    /// Whether a `load` answer says the worker takes `predict` as a pickle (`"encodings":
    /// ["pickle"]`, docs/worker-protocol.md "Binary predict").
    public static func takesPickle(_ answer: JSONValue) -> Bool {
        answer["encodings"]?.arrayValue?.contains(.string("pickle")) ?? false
    }

    /// The predictions of a `predict` answer for `count` instances: exactly that many objects,
    /// as a list (`predictions`) or a pickled list (`pickle`, base64, from a worker sent a pickle).
    public static func predictions(_ answer: JSONValue, count: Int) throws(WorkerError) -> [JSONValue] {
        let expected = "\(predictionsShape) for \(count) \(count == 1 ? "instance" : "instances")"
        var unpickled: JSONValue?
        if case .string(let packed)? = answer["pickle"] {
            guard let bytes = Data(base64Encoded: packed) else {
                throw .unexpectedAnswer(method: "predict", problem: "has \"pickle\" that is not base64", expected: expected)
            }
            do { unpickled = try Pickle.decode([UInt8](bytes)) } catch {
                throw .unexpectedAnswer(method: "predict", problem: "has \"pickle\" that is \(error)", expected: expected)
            }
        }
        guard let predictions = unpickled ?? answer["predictions"] else {
            throw .unexpectedAnswer(method: "predict", problem: "has no \"predictions\" (it answered \(excerpt(answer)))", expected: expected)
        }
        guard let list = predictions.arrayValue else {
            throw .unexpectedAnswer(method: "predict", problem: "has \"predictions\": \(excerpt(predictions)), not a list", expected: expected)
        }
        guard list.count == count else {
            throw .unexpectedAnswer(
                method: "predict",
                problem: "has \(list.count) \(list.count == 1 ? "prediction" : "predictions") for \(count) \(count == 1 ? "instance" : "instances")",
                expected: expected)
        }
        if let index = list.firstIndex(where: { $0.objectValue == nil }) {
            throw .unexpectedAnswer(
                method: "predict", problem: "has predictions[\(index)]: \(excerpt(list[index])), not an object", expected: expected)
        }
        return list
    }

    /// A value as compact JSON, cut to 120 characters, for a message.
    static func excerpt(_ value: JSONValue) -> String {
        let text = String(decoding: value.jsonData(), as: UTF8.self)
        return text.count <= 120 ? text : String(text.prefix(117)) + "…"
    }
}
