public import Foundation

/// One predicted instance as the prediction log keeps it (DESIGN.md "Production loop"): keyed by
/// the model's name, the version text and the prediction's id, so a server may log predictions of
/// bundles whose repository the store does not know.
public struct LoggedPrediction: Codable, Sendable, Equatable {
    /// The prediction's id: the server's own, or the value of the model's business key
    /// (`monitor: {key: …}`) as a string.
    public var id: String
    /// The model's name.
    public var model: String
    /// The version that answered.
    public var version: String
    /// The repository the model's release came from, when the server knows it.
    public var repository: String?
    /// When it was answered.
    public var time: Date
    /// The instance, as JSON text.
    public var inputs: String
    /// The prediction, as JSON text.
    public var outputs: String

    /// A logged prediction with every field given.
    public init(id: String, model: String, version: String, repository: String? = nil, time: Date, inputs: String, outputs: String) {
        self.id = id
        self.model = model
        self.version = version
        self.repository = repository
        self.time = time
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// One outcome a client reported for a prediction (`POST /v1/models/M/feedback`, `mf feedback`).
/// Labels are kept as they arrive and joined with the log when read: each joins the newest
/// logged prediction of its model with its id made at or before the label's time, so a label
/// that arrives before its prediction is flushed, a late label and a repeated label need nothing
/// special (a prediction labelled twice takes its newest label).
public struct FeedbackLabel: Codable, Sendable, Equatable {
    /// The model's name.
    public var model: String
    /// The prediction's id (or business key), compared as a string.
    public var id: String
    /// The label, as the JSON text of a scalar (`1`, `"churned"`, `true`).
    public var label: String
    /// When the outcome was known (default: when it was received).
    public var time: Date

    /// A label with every field given.
    public init(model: String, id: String, label: String, time: Date) {
        self.model = model
        self.id = id
        self.label = label
        self.time = time
    }
}

/// What a batch of labels found in the prediction log when it was received.
public struct FeedbackCounts: Codable, Sendable, Equatable {
    /// Labels received (all are kept).
    public var received: Int
    /// Labels that joined a logged prediction.
    public var joined: Int
    /// Labels whose id has no logged prediction (yet) at or before the label's time.
    public var unknown: Int
    /// The first few unknown ids.
    public var unknownIDs: [String]

    /// Counts with every field given.
    public init(received: Int, joined: Int, unknown: Int, unknownIDs: [String]) {
        self.received = received
        self.joined = joined
        self.unknown = unknown
        self.unknownIDs = unknownIDs
    }

    enum CodingKeys: String, CodingKey {
        case received, joined, unknown
        case unknownIDs = "unknown_ids"
    }
}

/// A logged prediction with the label that joined it.
public struct LabelledPrediction: Sendable, Equatable {
    /// The prediction.
    public var prediction: LoggedPrediction
    /// The newest label that joined it, as JSON text.
    public var label: String

    /// A labelled prediction.
    public init(prediction: LoggedPrediction, label: String) {
        self.prediction = prediction
        self.label = label
    }
}

/// One live evaluation: a session with trigger `live` that ran the model's own `evaluate` on the
/// labelled live rows of one served version, linked to the release session it watches. Its
/// metrics have split `live`.
public struct LiveEvaluation: Sendable, Equatable {
    /// The live session (trigger `live`).
    public var session: Session
    /// The model's name.
    public var model: String
    /// The release session the served bundle packages.
    public var liveOf: String
    /// The labelled rows it evaluated.
    public var rows: Int
    /// What `evaluate` measured, split `live`.
    public var metrics: [Metric]

    /// A live evaluation with every field given.
    public init(session: Session, model: String, liveOf: String, rows: Int, metrics: [Metric]) {
        self.session = session
        self.model = model
        self.liveOf = liveOf
        self.rows = rows
        self.metrics = metrics
    }
}

/// One field's drift at one moment, as `mf serve` measured it on its window of live inputs
/// against the bundle's training profile (DESIGN.md "Production loop"): the history the
/// dashboard charts per field.
public struct DriftSample: Codable, Sendable, Equatable {
    /// When it was measured.
    public var time: Date
    /// The model.
    public var model: String
    /// The version served.
    public var version: String
    /// The schema input.
    public var field: String
    /// Population stability index against the training profile; nil when the field has no bins.
    public var psi: Double?
    /// The share of instances missing the field.
    public var missingShare: Double
    /// The share of instances whose value the schema does not allow.
    public var outOfSchemaShare: Double
    /// The instances in the window.
    public var count: Int

    /// A sample with every field.
    public init(
        time: Date, model: String, version: String, field: String, psi: Double?, missingShare: Double, outOfSchemaShare: Double, count: Int
    ) {
        self.time = time
        self.model = model
        self.version = version
        self.field = field
        self.psi = psi
        self.missingShare = missingShare
        self.outOfSchemaShare = outOfSchemaShare
        self.count = count
    }
}
