public import Foundation
public import ModelKit
public import Store
internal import SystemKit

/// How a candidate answered logged production inputs (`mf replay`): agreement with what was
/// served, per output (the shadow's tolerance, `ModelServer.agree`), latency and errors.
public struct ReplayReport: Encodable, Sendable {
    /// The model.
    public var model: String
    /// The candidate version.
    public var version: String
    /// Logged predictions sent.
    public var requests = 0
    /// Requests the candidate failed.
    public var errors = 0
    /// Answers equal to what was served in every output.
    public var agreed = 0
    /// Per output: the share of answered requests whose value agreed with what was served.
    public var outputs: [String: Double] = [:]
    /// The median latency of one request, in milliseconds.
    public var p50Ms = 0.0
    /// The 99th percentile latency, in milliseconds.
    public var p99Ms = 0.0
    /// The first few errors, as their messages.
    public var firstErrors: [String] = []

    enum CodingKeys: String, CodingKey {
        case model, version, requests, errors, agreed, outputs
        case p50Ms = "p50_ms"
        case p99Ms = "p99_ms"
        case firstErrors = "first_errors"
    }
}

/// Sends logged production inputs to a candidate and compares (DESIGN.md "Production loop").
public enum Replay {
    /// One instance in, one prediction out.
    public typealias Predict = @Sendable (JSONValue) async throws -> JSONValue

    /// Replays `logged` one request at a time through `predict` (the candidate `version` of
    /// `model`), comparing each answer with what was served.
    public static func run(_ logged: [LoggedPrediction], model: String, version: String, predict: Predict) async -> ReplayReport {
        var report = ReplayReport(model: model, version: version)
        var latencies: [Double] = []
        var agreedPerOutput: [String: Int] = [:]
        for entry in logged {
            report.requests += 1
            guard let instance = try? JSONValue(json: Data(entry.inputs.utf8)), let served = try? JSONValue(json: Data(entry.outputs.utf8)) else {
                report.errors += 1
                if report.firstErrors.count < 5 { report.firstErrors.append("\(entry.id): the logged prediction is not JSON") }
                continue
            }
            let started = ContinuousClock.now
            do {
                let theirs = try await predict(instance)
                let elapsed = started.duration(to: .now)
                latencies.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
                if ModelServer.agree([served], [theirs]) { report.agreed += 1 }
                for (name, value) in served.objectValue ?? [:] {
                    let same = theirs[name].map { ModelServer.agree([value], [$0]) } ?? false
                    agreedPerOutput[name, default: 0] += same ? 1 : 0
                }
            } catch {
                report.errors += 1
                if report.firstErrors.count < 5 { report.firstErrors.append("\(entry.id): \(error)") }
            }
        }
        let answered = max(1, report.requests - report.errors)
        report.outputs = agreedPerOutput.mapValues { Double($0) / Double(answered) }
        latencies.sort()
        func percentile(_ share: Double) -> Double {
            latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int((share * Double(latencies.count)).rounded(.up)) - 1)]
        }
        report.p50Ms = percentile(0.5)
        report.p99Ms = percentile(0.99)
        return report
    }

    /// A candidate served at `url` (its current version of `model` answers `POST
    /// /v1/models/M:predict`).
    public static func remote(_ url: URL, model: String, timeout: TimeInterval = 30) -> Predict {
        let endpoint = url.appendingPathComponent("v1/models/\(model):predict")
        return { instance in
            let body = JSONValue.object(["instances": .array([instance])]).jsonData()
            let answer = try await HTTPExchange.send(HTTPExchange.Request(method: "POST", url: endpoint, json: body, timeout: timeout))
            guard (200..<300).contains(answer.status) else {
                throw ServeError(
                    .badGateway, "\(endpoint.absoluteString) answered \(answer.status): \(String(decoding: answer.body.prefix(200), as: UTF8.self))")
            }
            guard let prediction = (try? JSONValue(json: answer.body))?["predictions"]?.arrayValue?.first else {
                throw ServeError(.badGateway, "\(endpoint.absoluteString) answered without predictions")
            }
            return prediction
        }
    }
}
