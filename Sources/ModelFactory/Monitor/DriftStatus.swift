public import Foundation
internal import ModelKit
public import Store

/// An input drift alert still open in an environment (`mf status`): the newest drift event of a
/// model's version and field is a raised alert, not its clearing.
public struct DriftStatus: Encodable, Sendable {
    /// The environment (`production`, `staging`).
    public var environment: String
    /// The model.
    public var model: String
    /// The version it concerns.
    public var version: String
    /// The schema input that drifted.
    public var field: String
    /// Its population stability index when the alert was raised.
    public var psi: Double?
    /// model.yaml's `monitor.psi`.
    public var threshold: Double?
    /// When the alert was raised.
    public var since: Date

    /// The open alerts of the repository's environments, among their newest `limit` events each.
    public static func open(repository: String, store: any FactoryStore, limit: Int = 1000) throws -> [DriftStatus] {
        var found: [DriftStatus] = []
        for environment in Set(try store.environments(repository: repository).map(\.name)).sorted() {
            var newest: [String: (event: Event, field: String, details: JSONValue)] = [:]
            for event in try store.events(repository: repository, environment: environment, model: nil, before: nil, limit: limit)
            where event.kind == .driftAlert || event.kind == .driftCleared {
                guard let details = event.details.flatMap({ try? JSONValue(json: Data($0.utf8)) }), let field = details["field"]?.stringValue else {
                    continue
                }
                let key = "\(event.model)\u{0}\(event.fromVersion ?? "")\u{0}\(field)"
                if newest[key] == nil { newest[key] = (event, field, details) }  // events come newest first
            }
            for (event, field, details) in newest.values where event.kind == .driftAlert {
                found.append(
                    DriftStatus(
                        environment: environment, model: event.model, version: event.fromVersion ?? "?", field: field, psi: details["psi"]?.numberValue,
                        threshold: details["threshold"]?.numberValue, since: event.time))
            }
        }
        return found.sorted { ($0.environment, $0.model, $0.field) < ($1.environment, $1.model, $1.field) }
    }

    /// One line: `Drift in production (churn 1.0.1): monthly_charges PSI 0.412 > 0.2 since 2026-12-07T10:02:11Z`.
    public var line: String {
        let psi = self.psi.map { String(format: "%.3f", $0) } ?? "?"
        let threshold = self.threshold.map { "\($0)" } ?? "?"
        return "Drift in \(environment) (\(model) \(version)): \(field) PSI \(psi) > \(threshold) since \(since.formatted(.iso8601))"
    }
}
