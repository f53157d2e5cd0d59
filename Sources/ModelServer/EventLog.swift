internal import Foundation
public import Logging
public import Store

/// Where `mf serve` records the traffic changes its admin API makes, as events of the audit
/// trail (`mf history`): the store, and the repository and environment the server follows.
public struct EventLog: Sendable {
    let store: any FactoryStore
    let repository: String
    let environment: String
    let logger: Logger

    /// A log into `store` for `environment` of the repository `repository`.
    public init(store: any FactoryStore, repository: String, environment: String, logger: Logger = Logger(label: "mf.serve.events")) {
        self.store = store
        self.repository = repository
        self.environment = environment
        self.logger = logger
    }

    /// Records an admin API change of `model`; a store that fails is logged, and the change
    /// (already made) stands.
    func admin(_ kind: Event.Kind, model: String, from: String?, to: String?, reason: String) {
        record(kind, model: model, from: from, to: to, reason: reason, cause: "admin", what: "the admin API's \(kind) of \(model)")
    }

    /// Records an event of this environment; a store that fails is logged naming `what`, and
    /// whatever the event tells (already done) stands.
    func record(
        _ kind: Event.Kind, time: Date = Date(), model: String, from: String?, to: String?, reason: String, cause: String, details: String? = nil,
        what: @autoclosure () -> String
    ) {
        do {
            try store.record(
                Event(
                    time: time, repository: repository, environment: environment, model: model, fromVersion: from, toVersion: to, kind: kind,
                    reason: reason, cause: cause, details: details))
        } catch {
            logger.error("could not record \(what()): \(error)")
        }
    }
}
