public import Foundation

/// One instant of a `.mf/schedule.yaml` entry as the store keeps it (DESIGN.md "Data checks,
/// batch scoring, schedules"): fired (its work queued as a job with trigger `schedule`) or
/// skipped by the entry's catch-up policy. The repository, entry and instant are unique: the
/// worker whose insert makes the row fires it, and every other worker's insert does nothing, so
/// an instant is fired once across every worker that shares the store.
public struct ScheduleFire: Codable, Sendable, Equatable {
    /// Where a fire is in its life.
    public enum State: String, Codable, Sendable {
        /// Passed over by the catch-up policy (`skip`, or an older instant under `once`): no work.
        case skipped
        /// Its job is queued or running.
        case queued
        /// Its job did its work (a scheduled retrain's candidate may still have failed its gates: see `proposed`).
        case done
        /// Its job failed for good.
        case failed
    }

    /// Given by the store when the fire is recorded.
    public var id: Int64?
    /// The repository's identity, as every other record names it.
    public var repository: String
    /// The entry's name in `.mf/schedule.yaml`.
    public var entry: String
    /// The model the entry acts on.
    public var model: String
    /// The entry's action when it fired, as JSON text (`{"train":{"data":"/data/x.csv"}}`), so
    /// the job does what the schedule said at that instant.
    public var action: String
    /// The instant the cron expression named (UTC).
    public var scheduledAt: Date
    /// When the worker recorded it.
    public var firedAt: Date
    /// The worker that recorded it.
    public var worker: String
    /// How many earlier instants since the last recorded one this record stands for and that
    /// were not fired (a worker was down): the catch-up policy passed over them.
    public var missed: Int
    /// Where it is in its life.
    public var state: State
    /// The job that does its work; nil for a skipped instant.
    public var jobId: Int64?
    /// The session its work ran, when it ran one.
    public var session: String?
    /// A scheduled retrain's candidate version (`1.2.1-data.ab12cd34`).
    public var candidate: String?
    /// The SHA-256 of the data a scheduled retrain trained on.
    public var dataSha256: String?
    /// Whether the candidate passed its gates, and so is proposed for release.
    public var proposed: Bool
    /// What came of it, one line a person reads.
    public var result: String?
    /// When its job ended.
    public var endedAt: Date?

    /// A fire of `entry` at `scheduledAt`, recorded at `firedAt` by `worker`, queued (or skipped)
    /// and not yet ended.
    public init(
        repository: String, entry: String, model: String, action: String, scheduledAt: Date, firedAt: Date, worker: String, missed: Int = 0,
        state: State
    ) {
        self.repository = repository
        self.entry = entry
        self.model = model
        self.action = action
        self.scheduledAt = scheduledAt
        self.firedAt = firedAt
        self.worker = worker
        self.missed = missed
        self.state = state
        proposed = false
    }

    /// The job's refs: what people reading the queue see of a fire (`schedule:nightly`).
    public var jobRefs: [String] { ["schedule:\(entry)"] }
}
