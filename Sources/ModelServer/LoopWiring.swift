internal import Foundation
public import Logging
public import ModelFactory
internal import ModelKit
public import Store

/// What a rollout's `live.METRIC` and `psi` gates read (`RolloutSignals`), from the parts of
/// the production loop that measure them: the newest live evaluation in the store (the model's
/// own `evaluate` on labelled live rows) and the server's own drift windows.
public struct LoopRolloutSignals: RolloutSignals {
    let registry: ModelRegistry
    let store: any FactoryStore

    /// Signals read from `store`'s live evaluations and `registry`'s drift monitors.
    public init(registry: ModelRegistry, store: any FactoryStore) {
        self.registry = registry
        self.store = store
    }

    /// The metric of the newest live evaluation of the version; nil before labels arrive (or
    /// when the store cannot be read: the gate then waits, as for no data).
    public func liveMetric(_ metric: String, model: String, version: String) -> Double? {
        guard let newest = try? store.liveEvaluations(model: model, version: version, limit: 1).first else { return nil }
        return newest.metrics.first { $0.name == metric && $0.split == "live" }?.value
    }

    /// The largest PSI of the version's input fields over its drift window; nil when drift is
    /// off, the bundle has no profile, or no instance has been seen.
    public func psi(model: String, version: String) -> Double? {
        guard let drift = registry.version(model, version)?.drift else { return nil }
        return drift.stats().fields.compactMap(\.psi).max()
    }
}

extension EventLog {
    /// Records a drift alert (raised or cleared) as an event of the audit trail, so `mf history`
    /// lists it and `mf status` shows the alerts still open; its numbers go in the details.
    public func drift(_ alert: DriftAlert) {
        let details: JSONValue = .object([
            "field": .string(alert.field), "psi": .number(alert.psi), "threshold": .number(alert.threshold), "window": .number(Double(alert.window)),
        ])
        record(
            alert.change == .raised ? .driftAlert : .driftCleared, time: alert.date, model: alert.model, from: alert.version, to: alert.version,
            reason: alert.description, cause: "drift", details: String(decoding: details.jsonData(), as: UTF8.self), what: "\(alert)")
    }
}

extension DriftAlert {
    /// The alert as a notification to the team's channel (`mf serve --notify`).
    public func notification(repository: String) -> ModelFactory.Notification {
        ModelFactory.Notification(
            kind: .drift, repository: repository, text: (change == .raised ? "📈 " : "✅ ") + description, page: ModelFactory.Notification.modelPage(model))
    }
}

/// Where drift alerts go besides the server's log: the audit trail (when the server follows an
/// environment) and the notification URLs. Sending never delays the request path.
public struct DriftAlertSink: Sendable {
    let events: EventLog?
    let notifier: Notifier?
    let repository: String
    let logger: Logger

    /// A sink recording into `events` and posting through `notifier`, either of them optional.
    public init(events: EventLog?, notifier: Notifier?, repository: String, logger: Logger = Logger(label: "mf.serve.drift")) {
        self.events = events
        self.notifier = notifier
        self.repository = repository
        self.logger = logger
    }

    /// Records and notifies one alert.
    public func receive(_ alert: DriftAlert) {
        events?.drift(alert)
        let logger = self.logger
        notifier?.post(alert.notification(repository: repository)) { logger.warning("\($0)") }
    }
}
