public import Foundation
public import Store

/// The one place a schedule's `score` fire reaches batch scoring (`mf score`'s library,
/// `BatchScorer`; DESIGN.md "Data checks, batch scoring, schedules").
public enum ScheduledScore {
    /// Scores `input` into `output` with `bundle` (`record` in the store), the version of `model`
    /// in production, for the schedule entry `entry`; returns what came of it in one line.
    public static func run(
        entry: String, bundle: RunnableBundle, record: BundleRecord, model: String, input: String, output: String, home: URL, store: any FactoryStore
    ) async throws -> String {
        let scorer = BatchScorer(store: store, bundle: bundle)
        let summary = try await scorer.score(try scorer.begin(input: input, output: output))
        var line = "\(model) \(bundle.version) scored \(summary.rowsScored) rows of \(input) into \(output)"
        if summary.rowsRejected > 0 { line += ", \(summary.rowsRejected) rejected (\(summary.rejects))" }
        return line + "; run \(summary.run)"
    }
}
