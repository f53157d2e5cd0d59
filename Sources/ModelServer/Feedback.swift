public import Foundation
internal import HTTPTypes
internal import Hummingbird
internal import ModelKit
public import Store

/// Feedback: outcomes of logged predictions, as labels (DESIGN.md "Production loop").
public enum Feedback {
    /// The unknown ids an answer names at most.
    public static let unknownIDsShown = 10

    /// The labels of a `{"feedback": [{"id": …, "label": …, "time": …}, …]}` body for `model`:
    /// `id` a string or number (compared as a string), `label` any JSON scalar, `time` RFC 3339
    /// (default `now`). A `ServeError` (400) names the first field that is wrong
    /// (`feedback[3].id`).
    public static func labels(_ body: Data, model: String, now: Date) throws(ServeError) -> [FeedbackLabel] {
        let value: JSONValue
        do { value = try JSONValue(json: body) } catch {
            throw ServeError(.badRequest, "the request body is not valid JSON: \(error)")
        }
        guard let items = value["feedback"]?.arrayValue else {
            throw bad("feedback", "expected {\"feedback\": [{\"id\": …, \"label\": …}, …]}")
        }
        var labels: [FeedbackLabel] = []
        labels.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            let place = "feedback[\(index)]"
            guard case .object(let fields) = item else { throw bad(place, "expected an object with id and label") }
            guard let id = fields["id"].flatMap(PredictionIDs.text), !id.isEmpty else {
                throw bad(place + ".id", "expected the prediction's id (a string or a number)")
            }
            let label: String
            switch fields["label"] {
            case .some(let value) where value.isScalarLabel: label = String(decoding: value.jsonData(), as: UTF8.self)
            default: throw bad(place + ".label", "expected a label: a string, a number or a bool")
            }
            var time = now
            if let given = fields["time"] {
                guard case .string(let text) = given, let parsed = parseTime(text) else {
                    throw bad(place + ".time", "expected an RFC 3339 time such as 2026-01-31T12:00:00Z")
                }
                time = parsed
            }
            labels.append(FeedbackLabel(model: model, id: id, label: label, time: time))
        }
        return labels
    }

    /// An RFC 3339 time, with or without fractional seconds.
    public static func parseTime(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    static func bad(_ field: String, _ problem: String) -> ServeError {
        ServeError(.badRequest, "\(field): \(problem)", problems: [.init(field: field, problem: problem)])
    }
}

extension ModelServer {
    /// `POST /v1/models/{m}/feedback`: keeps the labels in the store and answers how many joined
    /// a logged prediction (`{"received", "joined", "unknown", "unknown_ids"}`). Unknown ids are
    /// counted, never an error; a label whose prediction is not logged yet joins it once it is.
    func feedbackRoutes(_ router: Router<BasicRequestContext>) {
        let store = options.store
        let limit = options.maxBodyBytes
        router.post("/v1/models/{model}/feedback") { request, context in
            let model = try context.parameters.require("model")
            guard let store else { throw ServeError(.serviceUnavailable, "this server has no store, so it cannot keep feedback") }
            let body = try await ModelServer.body(request, limit: limit)
            let labels = try Feedback.labels(body, model: model, now: Date())
            // SQLite blocks: on the store's thread, not the pool's.
            let counts: FeedbackCounts
            do {
                counts = try await StoreThread.run { () throws(StoreError) in try store.record(labels: labels, unknownLimit: Feedback.unknownIDsShown) }
            } catch {
                throw ServeError(.serviceUnavailable, "the feedback was not kept: \(error)")
            }
            // Compact, keys in a fixed order: {"received":4,"joined":2,"unknown":2,"unknown_ids":[…]}.
            var answer = Data(#"{"received":\#(counts.received),"joined":\#(counts.joined),"unknown":\#(counts.unknown),"unknown_ids":"#.utf8)
            answer.append(JSONValue.array(counts.unknownIDs.map(JSONValue.string)).jsonData())
            answer.append(0x7D)
            return jsonResponse(.ok, data: answer)
        }
    }
}

extension JSONValue {
    /// A string, a number or a bool: what a label may be.
    fileprivate var isScalarLabel: Bool {
        switch self {
        case .string, .number, .bool: true
        default: false
        }
    }
}
