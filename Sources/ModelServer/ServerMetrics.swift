internal import Foundation
internal import Prometheus
internal import Synchronization

/// The server's Prometheus metrics (`GET /metrics`), all under `mf_`: requests, errors and
/// latency per model, version and API; worker restarts; input-check failures per field; batch
/// sizes; shadow agreement and latency.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    /// The handles of one model, version, API and status: the registry checks names, labels and
    /// help text on every `make…`, so each set is made once and kept.
    private struct RequestKey: Hashable {
        let model: String, version: String, api: String, status: Int
    }

    private struct RequestHandles {
        let requests: Counter
        let errors: Counter?
        let duration: DurationHistogram
    }

    private struct VersionKey: Hashable {
        let model: String, version: String
    }

    private let requestHandles = Mutex<[RequestKey: RequestHandles]>([:])
    private let batchHandles = Mutex<[VersionKey: ValueHistogram]>([:])

    private static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
    ]

    private func descriptor(_ name: String, _ unit: String = "", _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "mf", metricName: name, unitName: unit, helpText: help)
    }

    /// One answered request. (Model, version and status come from the server's own routing,
    /// never from a client's text, so the handles stay few.) A request its client abandoned
    /// is status 499 and no error: it was never answered, and alerts on errors or 5xx stay the
    /// server's.
    func request(model: String, version: String, api: String, status: Int, duration: Duration) {
        let key = RequestKey(model: model, version: version, api: api, status: status)
        let handles = requestHandles.withLock { cache in
            if let known = cache[key] { return known }
            let made = RequestHandles(
                requests: registry.makeCounter(
                    descriptor: descriptor("requests", "total", "Requests answered, by model, version, API and HTTP status."),
                    labels: [("model", model), ("version", version), ("api", api), ("status", String(status))]),
                errors: status < 400 || status == 499
                    ? nil
                    : registry.makeCounter(
                        descriptor: descriptor(
                            "request_errors", "total", "Requests answered with an error status (4xx or 5xx; not 499, a client that hung up)."),
                        labels: [("model", model), ("version", version), ("api", api)]),
                duration: registry.makeDurationHistogram(
                    descriptor: descriptor("request_duration", "seconds", "Time from a request's arrival to its answer."),
                    labels: [("model", model), ("version", version)], buckets: Self.latencyBuckets))
            cache[key] = made
            return made
        }
        handles.requests.increment()
        handles.errors?.increment()
        handles.duration.record(duration)
    }

    /// The gauge of requests routed to a version and not answered yet (what unloading it waits
    /// for), one per version.
    func requestsInFlight(model: String, version: String) -> Gauge {
        registry.makeGauge(
            descriptor: descriptor("requests_in_flight", "", "Requests routed to a version and not answered yet (unloading the version waits for them)."),
            labels: [("model", model), ("version", version)])
    }

    func workerRestart(model: String, version: String) {
        registry.makeCounter(
            descriptor: descriptor("worker_restarts", "total", "Workers replaced after they died, hung or failed to start."),
            labels: [("model", model), ("version", version)]
        ).increment()
    }

    /// The `field` label of input-check failures for fields the schema does not have.
    static let unknownField = "_unknown"

    /// An input-check failure of `field` in a request to `version`; names a client made up
    /// share one label, so they cannot grow the metrics without end.
    func inputCheckFailure(_ version: ModelVersion, field: String) {
        let known = version.bundle.model.schema.inputs.contains { $0.name == field }
        inputCheckFailure(model: version.name, field: known ? field : Self.unknownField)
    }

    func inputCheckFailure(model: String, field: String) {
        registry.makeCounter(
            descriptor: descriptor("input_check_failures", "total", "Instances refused by the schema check, by field."),
            labels: [("model", model), ("field", field)]
        ).increment()
    }

    func batch(model: String, version: String, size: Int) {
        let key = VersionKey(model: model, version: version)
        let histogram = batchHandles.withLock { cache in
            if let known = cache[key] { return known }
            let made = registry.makeValueHistogram(
                descriptor: descriptor("batch_size", "", "Instances per worker call."),
                labels: [("model", model), ("version", version)], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256])
            cache[key] = made
            return made
        }
        histogram.record(Double(size))
    }

    func shadow(model: String, primary: String, candidate: String, agreed: Bool, duration: Duration) {
        registry.makeCounter(
            descriptor: descriptor("shadow_comparisons", "total", "Shadow requests to a candidate version, by whether it agreed with the served answer."),
            labels: [("model", model), ("primary", primary), ("candidate", candidate), ("agreed", agreed ? "true" : "false")]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: descriptor("shadow_duration", "seconds", "Time the candidate took to answer a shadow request."),
            labels: [("model", model), ("candidate", candidate)], buckets: Self.latencyBuckets
        ).record(duration)
    }

    func shadowDropped(model: String, candidate: String) {
        registry.makeCounter(
            descriptor: descriptor("shadow_dropped", "total", "Shadow copies not sent because too many were waiting for the candidate."),
            labels: [("model", model), ("candidate", candidate)]
        ).increment()
    }

    /// The text exposition format.
    func render() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }
}
