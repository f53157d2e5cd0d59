internal import Foundation
internal import Logging
internal import ServiceLifecycle
internal import Store

/// Records the drift of every loaded version in the store (`mf serve --drift-sample-seconds`),
/// so the dashboard charts each input field's PSI, missing and out-of-schema shares over time:
/// every `interval`, one `DriftSample` per field of each version whose window holds enough
/// instances to alert on (`DriftMonitor.alertFrom`) and saw new ones since its last sample (an
/// idle window says nothing new). Written through the server's store thread, never on the
/// request path; a store that is busy or down loses that round's samples, with one warning.
struct DriftHistoryService: Service {
    let registry: ModelRegistry
    let store: any FactoryStore
    let interval: Duration
    let logger: Logger

    /// The service when the server has a store, drift on and an interval; none otherwise.
    static func services(registry: ModelRegistry, options: ServeOptions, logger: Logger) -> [any Service] {
        guard let store = options.store, options.driftWindow > 0, options.driftSampleInterval > .zero else { return [] }
        return [DriftHistoryService(registry: registry, store: store, interval: options.driftSampleInterval, logger: logger)]
    }

    func run() async throws {
        let (registry, store, interval, logger) = (self.registry, self.store, self.interval, self.logger)
        await cancelWhenGracefulShutdown {
            var last: [String: Int] = [:]
            var failing = false
            while (try? await Task.sleep(for: interval)) != nil {
                let samples = Self.take(registry, after: &last, at: Date())
                guard !samples.isEmpty else { continue }
                do {
                    try await StoreThread.run { () throws(StoreError) in try store.record(drift: samples) }
                    if failing { logger.info("drift samples reach the store again") }
                    failing = false
                } catch {
                    if !failing { logger.warning("drift samples could not be recorded: \(error)") }
                    failing = true
                }
            }
        }
    }

    /// The samples of every loaded version whose window saw instances since the count `last`
    /// holds for it (by model and version), which it then holds.
    static func take(_ registry: ModelRegistry, after last: inout [String: Int], at time: Date) -> [DriftSample] {
        var samples: [DriftSample] = []
        var seen: [String: Int] = [:]
        for model in registry.models() {
            for version in model.versions {
                guard let drift = version.drift else { continue }
                let key = "\(model.name)\u{0}\(version.version)"
                let observed = drift.observed
                if let previous = last[key] { seen[key] = previous }
                guard observed != last[key] else { continue }
                let taken = drift.samples(at: time)
                guard !taken.isEmpty else { continue }
                samples += taken
                seen[key] = observed
            }
        }
        last = seen
        return samples
    }
}
