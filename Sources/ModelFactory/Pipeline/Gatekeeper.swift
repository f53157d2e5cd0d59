internal import Foundation
internal import Store

/// Applies a manifest's gates to measured metrics: absolute thresholds, and no metric worse
/// than the previous release's by more than `max_regression`.
struct Gatekeeper {
    let manifest: Manifest
    let store: any FactoryStore

    /// Metrics where lower is better; every other metric is better higher.
    static let lowerIsBetter: Set<String> = ["rmse", "mae", "log_loss", "logloss", "mse", "loss", "error"]

    func check(_ measured: [String: Double], modelID: Int64, version: String?) throws -> [GateResult] {
        var results: [GateResult] = []
        for threshold in manifest.gates.thresholds.sorted(by: { $0.metric < $1.metric }) {
            guard let value = measured[threshold.metric] else {
                results.append(
                    GateResult(
                        gate: threshold.description, passed: false, detail: "\(threshold.description): the model reported no \(threshold.metric)",
                        metric: threshold.metric, limit: threshold.value))
                continue
            }
            let passed = threshold.isMet(by: value)
            results.append(
                GateResult(
                    gate: threshold.description, passed: passed,
                    detail: "\(threshold.description): \(Self.format(value))\(passed ? "" : ", which fails")",
                    metric: threshold.metric, value: value, limit: threshold.value))
        }
        guard let limit = manifest.gates.maxRegression, let previous = try previousRelease(modelID: modelID, before: version) else {
            return results
        }
        let earlier = Dictionary(
            try store.metrics(session: previous.id).filter { $0.split == "evaluate" }.compactMap { metric in metric.value.map { (metric.name, $0) } },
            uniquingKeysWith: { $1 })
        for (name, value) in measured.sorted(by: { $0.key < $1.key }) {
            guard let before = earlier[name] else { continue }
            let lower =
                Self.lowerIsBetter.contains(name.lowercased())
                || manifest.gates.thresholds.contains { $0.metric == name && ($0.comparison == .atMost || $0.comparison == .below) }
            let worse = lower ? value - before : before - value
            let gate = "\(name) within \(Self.format(limit)) of \(previous.version ?? "the previous release")"
            let passed = worse <= limit + 1e-12
            results.append(
                GateResult(
                    gate: gate, passed: passed,
                    detail: "\(gate): \(Self.format(value)) against \(Self.format(before))\(passed ? "" : ", a regression of \(Self.format(worse))")",
                    metric: name, value: value, limit: lower ? before + limit : before - limit))
        }
        return results
    }

    /// The passed release session with the highest version below `version` (any, when nil).
    func previousRelease(modelID: Int64, before version: String?) throws -> Session? {
        let current = version.flatMap(Version.init)
        return try store.releaseSessions(modelID: modelID)
            .compactMap { session in session.version.flatMap(Version.init).map { (session, $0) } }
            .filter { current == nil || $0.1 < current! }
            .max { $0.1 < $1.1 }?.0
    }

    static func format(_ value: Double) -> String {
        String(format: "%.4g", value)
    }
}
