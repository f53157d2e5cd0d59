public import Foundation
public import Store

/// The one place a schedule's `score` fire reaches batch scoring (`mf score`'s library entry
/// point, DESIGN.md "Data checks, batch scoring, schedules"). This build has no batch scoring
/// library, so a `score` fire's job fails with a sentence that says so; where it lands, this
/// function calls it with the served bundle, the input and the output, and returns its summary.
public enum ScheduledScore {
    /// Scores `input` into `output` with `bundle` (`record` in the store), the version of `model`
    /// in production, for the schedule entry `entry`; returns what came of it in one line.
    /// Throws `ScheduleError`.
    public static func run(
        entry: String, bundle: RunnableBundle, record: BundleRecord, model: String, input: String, output: String, home: URL, store: any FactoryStore
    ) async throws -> String {
        throw ScheduleError(
            entry: entry, reason: "scoring is not available in this build (no batch scoring library: mf score); \(input) was not scored", retry: false)
    }
}
