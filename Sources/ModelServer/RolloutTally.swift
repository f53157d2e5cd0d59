internal import Foundation
internal import Synchronization

/// What the request path measures for a model under rollout, per version, over the current
/// step: prediction requests, failed ones (5xx, worker errors), their latencies, and the shadow
/// copies the new release answered and how many agreed. The rollout driver reads it and starts
/// each step afresh; the request path only adds to it (one lock, no I/O).
final class RolloutTally: Sendable {
    /// One version's figures over a step.
    struct Figures: Sendable, Equatable {
        /// Prediction requests answered or failed.
        var requests = 0
        /// Of those, the ones that failed (5xx, worker errors).
        var errors = 0
        /// The latency of each, in milliseconds (at most `maxSamples`; later ones are not kept).
        var milliseconds: [Double] = []
        /// Shadow copies the new release answered.
        var shadowCompared = 0
        /// Of those, the ones whose answer agreed with the release in service.
        var shadowAgreed = 0

        /// Failed requests per request (0 without requests).
        var errorRate: Double { requests == 0 ? 0 : Double(errors) / Double(requests) }
        /// The 99th percentile of the latency (nearest rank); nil without requests.
        var p99: Double? {
            guard !milliseconds.isEmpty else { return nil }
            let sorted = milliseconds.sorted()
            return sorted[min(sorted.count - 1, Int((0.99 * Double(sorted.count)).rounded(.up)) - 1)]
        }
        /// The share of shadow copies that agreed; nil without any.
        var shadowAgreement: Double? { shadowCompared == 0 ? nil : Double(shadowAgreed) / Double(shadowCompared) }
    }

    /// The latencies kept per version and step: enough for a p99 of any request-count step a
    /// plan sensibly declares, bounded for long time-based steps.
    static let maxSamples = 100_000

    struct Watch {
        var served: String
        var candidate: String
        /// The failures of the new release the step allows; nil for no early end.
        var errorBudget: Int?
        /// Set once the budget is spent: the driver rolls back.
        var budgetSpent = false
        var figures: [String: Figures] = [:]
    }

    private let watches = Mutex<[String: Watch]>([:])

    /// Starts (or starts afresh, for a new step) measuring `model`: `candidate` under rollout
    /// beside `served`, allowed `errorBudget` failures in the step.
    func watch(_ model: String, served: String, candidate: String, errorBudget: Int?) {
        watches.withLock { $0[model] = Watch(served: served, candidate: candidate, errorBudget: errorBudget) }
    }

    /// Whether `model` is under rollout (its requests are counted).
    func isWatching(_ model: String) -> Bool { watches.withLock { $0[model] != nil } }

    /// Stops measuring `model`.
    func stop(_ model: String) { _ = watches.withLock { $0.removeValue(forKey: model) } }

    /// The release in service to retry on when `version` of `model` is the new release under rollout.
    func fallback(_ model: String, for version: String) -> String? {
        watches.withLock { watches in watches[model].flatMap { $0.candidate == version ? $0.served : nil } }
    }

    /// Counts one prediction request of `version`; true when this failure spends the new
    /// release's error budget (once: later failures return false).
    func record(_ model: String, version: String, failed: Bool, milliseconds: Double) -> Bool {
        watches.withLock { watches in
            guard var watch = watches[model], version == watch.served || version == watch.candidate else { return false }
            var figures = watch.figures[version, default: Figures()]
            figures.requests += 1
            if failed { figures.errors += 1 }
            if figures.milliseconds.count < Self.maxSamples { figures.milliseconds.append(milliseconds) }
            watch.figures[version] = figures
            var spent = false
            if version == watch.candidate, let budget = watch.errorBudget, figures.errors > budget, !watch.budgetSpent {
                watch.budgetSpent = true
                spent = true
            }
            watches[model] = watch
            return spent
        }
    }

    /// Counts one shadow copy answered by `candidate`.
    func recordShadow(_ model: String, candidate: String, agreed: Bool) {
        watches.withLock { watches in
            guard var watch = watches[model], watch.candidate == candidate else { return }
            watch.figures[candidate, default: Figures()].shadowCompared += 1
            if agreed { watch.figures[candidate, default: Figures()].shadowAgreed += 1 }
            watches[model] = watch
        }
    }

    /// The step's figures of both versions so far, and whether the error budget is spent.
    func figures(_ model: String) -> (served: Figures, candidate: Figures, budgetSpent: Bool)? {
        watches.withLock { watches in
            watches[model].map { ($0.figures[$0.served] ?? Figures(), $0.figures[$0.candidate] ?? Figures(), $0.budgetSpent) }
        }
    }
}
