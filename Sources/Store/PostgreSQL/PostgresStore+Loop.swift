public import Foundation
internal import PostgresNIO
public import Store

// MARK: Production loop

extension PostgresStore {
    /// Appends predictions to the prediction log, in one transaction (one statement: the rows go
    /// as arrays).
    public func record(predictions: [LoggedPrediction]) throws(StoreError) {
        guard !predictions.isEmpty else { return }
        try transaction("log \(predictions.count) predictions") { db in
            try db.execute(
                """
                INSERT INTO predictions (model, version, id, repository, time, inputs, outputs)
                SELECT model, version, id, CASE WHEN known THEN repository END, time, inputs, outputs
                FROM unnest(\(predictions.map(\.model)), \(predictions.map(\.version)), \(predictions.map(\.id)), \(predictions.map { $0.repository ?? "" }),
                \(predictions.map { $0.repository != nil }), \(predictions.map(\.time.stored)), \(predictions.map(\.inputs)), \(predictions.map(\.outputs)))
                WITH ORDINALITY AS rows (model, version, id, repository, known, time, inputs, outputs, position) ORDER BY position
                """)
        }
    }

    static func prediction(_ row: Columns) throws -> LoggedPrediction {
        LoggedPrediction(
            id: try row("id"), model: try row("model"), version: try row("version"), repository: try row("repository"), time: try row.date("time"),
            inputs: try row("inputs"), outputs: try row("outputs"))
    }

    /// Logged predictions of `model` (and `version`) made at or after `since`, oldest first.
    public func predictions(model: String, version: String?, since: Date?, limit: Int) throws(StoreError) -> [LoggedPrediction] {
        try transaction("read the prediction log of \(model)") { db in
            try db.all(
                """
                SELECT * FROM predictions WHERE model = \(model) AND (\(version)::text IS NULL OR version = \(version))
                AND (\(since.stored)::float8 IS NULL OR time >= \(since.stored)) ORDER BY time, seq LIMIT \(rowLimit(limit))
                """, Self.prediction)
        }
    }

    /// Keeps `labels` and counts how many join a logged prediction now.
    public func record(labels: [FeedbackLabel], unknownLimit: Int) throws(StoreError) -> FeedbackCounts {
        try transaction("record \(labels.count) labels") { db in
            var counts = FeedbackCounts(received: labels.count, joined: 0, unknown: 0, unknownIDs: [])
            for label in labels {
                let time = label.time.stored
                try db.execute("INSERT INTO labels (model, id, label, time) VALUES (\(label.model), \(label.id), \(label.label), \(time))")
                if try db.value("SELECT 1 FROM predictions WHERE model = \(label.model) AND id = \(label.id) AND time <= \(time) LIMIT 1", as: Int.self)
                    != nil
                {
                    counts.joined += 1
                } else {
                    counts.unknown += 1
                    if counts.unknownIDs.count < unknownLimit { counts.unknownIDs.append(label.id) }
                }
            }
            return counts
        }
    }

    /// How many labels `model` has received.
    public func labelCount(model: String) throws(StoreError) -> Int {
        try transaction("count the labels of \(model)") { db in try db.value("SELECT COUNT(*) FROM labels WHERE model = \(model)", as: Int.self) ?? 0 }
    }

    /// The logged predictions of `model` at `version` a label joins, each with its newest label.
    public func labelledPredictions(model: String, version: String) throws(StoreError) -> [LabelledPrediction] {
        try transaction("read the labelled predictions of \(model) \(version)") { db in
            // Each label joins the newest prediction of its model and id at or before its time; a
            // prediction several labels join keeps the newest.
            try db.all(
                """
                WITH joined AS (
                    SELECT labels.label AS label, labels.time AS labelTime, labels.seq AS labelSeq, (
                        SELECT predictions.seq FROM predictions
                        WHERE predictions.model = labels.model AND predictions.id = labels.id AND predictions.time <= labels.time
                        ORDER BY predictions.time DESC, predictions.seq DESC LIMIT 1) AS prediction
                    FROM labels WHERE labels.model = \(model)
                ), newest AS (
                    SELECT DISTINCT ON (prediction) prediction, label FROM joined WHERE prediction IS NOT NULL
                    ORDER BY prediction, labelTime DESC, labelSeq DESC
                )
                SELECT predictions.*, newest.label AS joinedLabel FROM newest JOIN predictions ON predictions.seq = newest.prediction
                WHERE predictions.version = \(version) ORDER BY predictions.time, predictions.seq
                """
            ) { row in LabelledPrediction(prediction: try Self.prediction(row), label: try row("joinedLabel")) }
        }
    }

    /// Records a live evaluation: its session, its link and its metrics, in one transaction.
    public func record(live: LiveEvaluation) throws(StoreError) {
        try transaction("record live session \(live.session.id)") { db in
            try Self.insert(live.session, db)
            try db.execute(
                "INSERT INTO liveSessions (sessionId, model, liveOf, rows) VALUES (\(live.session.id), \(live.model), \(live.liveOf), \(live.rows))")
            for metric in live.metrics { try Self.upsert(metric, db) }
        }
    }

    /// Live evaluations of `model` (of `version` when given), newest first.
    public func liveEvaluations(model: String, version: String?, limit: Int) throws(StoreError) -> [LiveEvaluation] {
        try transaction("read the live sessions of \(model)") { db in
            let rows = try db.all(
                """
                SELECT sessions.*, liveSessions.model AS liveModel, liveSessions.liveOf, liveSessions.rows AS liveRows
                FROM liveSessions JOIN sessions ON sessions.id = liveSessions.sessionId
                WHERE liveSessions.model = \(model) AND (\(version)::text IS NULL OR sessions.version = \(version))
                ORDER BY sessions.startedAt DESC, sessions.seq DESC LIMIT \(rowLimit(limit))
                """
            ) { row in
                (
                    session: try Session(row), model: try row("liveModel", as: String.self), liveOf: try row("liveOf", as: String.self),
                    rows: try row("liveRows", as: Int.self)
                )
            }
            return try rows.map { row in
                let metrics = try db.all("SELECT * FROM metrics WHERE sessionId = \(row.session.id) ORDER BY name COLLATE \"C\"", Self.metric)
                return LiveEvaluation(session: row.session, model: row.model, liveOf: row.liveOf, rows: row.rows, metrics: metrics)
            }
        }
    }

    /// Records drift samples, in one transaction.
    public func record(drift samples: [DriftSample]) throws(StoreError) {
        if samples.isEmpty { return }
        try transaction("record \(samples.count) drift samples") { db in
            for sample in samples {
                try db.execute(
                    """
                    INSERT INTO driftSamples (time, model, version, field, psi, missingShare, outOfSchemaShare, count)
                    VALUES (\(sample.time.stored), \(sample.model), \(sample.version), \(sample.field), \(sample.psi), \(sample.missingShare),
                    \(sample.outOfSchemaShare), \(sample.count))
                    """)
            }
        }
    }

    /// Drift samples of `model` (of `version` when given) at or after `since`, oldest first.
    public func driftSamples(model: String, version: String?, since: Date?, limit: Int) throws(StoreError) -> [DriftSample] {
        try transaction("read the drift samples of \(model)") { db in
            try db.all(
                """
                SELECT * FROM (
                    SELECT * FROM driftSamples WHERE model = \(model) AND (\(version)::text IS NULL OR version = \(version))
                    AND (\(since.stored)::float8 IS NULL OR time >= \(since.stored)) ORDER BY time DESC, id DESC LIMIT \(rowLimit(limit))
                ) AS newest ORDER BY time, id
                """
            ) { row in
                DriftSample(
                    time: try row.date("time"), model: try row("model"), version: try row("version"), field: try row("field"), psi: try row("psi"),
                    missingShare: try row("missingShare"), outOfSchemaShare: try row("outOfSchemaShare"), count: try row("count"))
            }
        }
    }
}
