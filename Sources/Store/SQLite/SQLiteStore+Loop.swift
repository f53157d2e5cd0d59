public import Foundation
internal import GRDB
public import Store

// MARK: Production loop

extension Session {
    /// Live sessions (trigger `live`) and a schedule's (trigger `schedule`: candidates and
    /// evaluations) left out, as SQL over `sessions`: no gate, reuse, release or version lookup
    /// ever picks one.
    static let notLiveSQL = "sessions.\"trigger\" NOT IN ('\(Trigger.live.rawValue)', '\(Trigger.schedule.rawValue)')"

    /// `notLiveSQL` for GRDB's query interface.
    static var notLive: SQLExpression { ![Trigger.live.rawValue, Trigger.schedule.rawValue].contains(Column("trigger")) }
}

extension SQLiteStore {
    /// Appends predictions to the prediction log, in one transaction.
    public func record(predictions: [LoggedPrediction]) throws(StoreError) {
        guard !predictions.isEmpty else { return }
        try write("log \(predictions.count) predictions") { db in
            let statement = try db.cachedStatement(
                sql: "INSERT INTO predictions (model, version, id, repository, time, inputs, outputs) VALUES (?, ?, ?, ?, ?, ?, ?)")
            for prediction in predictions {
                try statement.execute(arguments: [
                    prediction.model, prediction.version, prediction.id, prediction.repository, StoredTime.text(prediction.time), prediction.inputs,
                    prediction.outputs,
                ])
            }
        }
    }

    /// Logged predictions of `model` (and `version`) made at or after `since`, oldest first.
    public func predictions(model: String, version: String?, since: Date?, limit: Int) throws(StoreError) -> [LoggedPrediction] {
        try read("read the prediction log of \(model)") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM predictions WHERE model = ? AND (? IS NULL OR version = ?) AND (? IS NULL OR time >= ?)
                    ORDER BY time, rowid LIMIT ?
                    """, arguments: [model, version, version, since, since, limit]
            ).map(Self.prediction)
        }
    }

    /// Keeps `labels` and counts how many join a logged prediction now.
    public func record(labels: [FeedbackLabel], unknownLimit: Int) throws(StoreError) -> FeedbackCounts {
        try write("record \(labels.count) labels") { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO labels (model, id, label, time) VALUES (?, ?, ?, ?)")
            let known = try db.cachedStatement(sql: "SELECT 1 FROM predictions WHERE model = ? AND id = ? AND time <= ? LIMIT 1")
            var counts = FeedbackCounts(received: labels.count, joined: 0, unknown: 0, unknownIDs: [])
            for label in labels {
                let time = StoredTime.text(label.time)
                try insert.execute(arguments: [label.model, label.id, label.label, time])
                if try Bool.fetchOne(known, arguments: [label.model, label.id, time]) != nil {
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
        try read("count the labels of \(model)") { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM labels WHERE model = ?", arguments: [model]) ?? 0
        }
    }

    /// The logged predictions of `model` at `version` a label joins, each with its newest label.
    public func labelledPredictions(model: String, version: String) throws(StoreError) -> [LabelledPrediction] {
        try read("read the labelled predictions of \(model) \(version)") { db in
            // Each label joins the newest prediction of its model and id at or before its time;
            // a prediction several labels join keeps the newest (SQLite takes the bare `label`
            // from the row of MAX(labelTime)).
            try Row.fetchAll(
                db,
                sql: """
                    WITH joined AS (
                        SELECT labels.label AS label, labels.time AS labelTime, (
                            SELECT predictions.rowid FROM predictions
                            WHERE predictions.model = labels.model AND predictions.id = labels.id AND predictions.time <= labels.time
                            ORDER BY predictions.time DESC, predictions.rowid DESC LIMIT 1) AS prediction
                        FROM labels WHERE labels.model = ?
                    ), newest AS (
                        SELECT prediction, label, MAX(labelTime) FROM joined WHERE prediction IS NOT NULL GROUP BY prediction
                    )
                    SELECT predictions.*, newest.label AS joinedLabel FROM newest JOIN predictions ON predictions.rowid = newest.prediction
                    WHERE predictions.version = ? ORDER BY predictions.time, predictions.rowid
                    """, arguments: [model, version]
            ).map { LabelledPrediction(prediction: Self.prediction($0), label: $0["joinedLabel"]) }
        }
    }

    /// Records a live evaluation: its session, its link and its metrics, in one transaction.
    public func record(live: LiveEvaluation) throws(StoreError) {
        try write("record live session \(live.session.id)") { db in
            try live.session.insert(db)
            try db.execute(
                sql: "INSERT INTO liveSessions (sessionId, model, liveOf, rows) VALUES (?, ?, ?, ?)",
                arguments: [live.session.id, live.model, live.liveOf, live.rows])
            for metric in live.metrics { try metric.upsert(db) }
        }
    }

    /// Live evaluations of `model` (of `version` when given), newest first.
    public func liveEvaluations(model: String, version: String?, limit: Int) throws(StoreError) -> [LiveEvaluation] {
        try read("read the live sessions of \(model)") { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT sessions.*, liveSessions.model AS liveModel, liveSessions.liveOf, liveSessions.rows AS liveRows
                    FROM liveSessions JOIN sessions ON sessions.id = liveSessions.sessionId
                    WHERE liveSessions.model = ? AND (? IS NULL OR sessions.version = ?)
                    ORDER BY sessions.startedAt DESC, sessions.rowid DESC LIMIT ?
                    """, arguments: [model, version, version, limit])
            return try rows.map { row in
                let session = try Session(row: row)
                let metrics = try Metric.filter(Column("sessionId") == session.id).order(Column("name")).fetchAll(db)
                return LiveEvaluation(session: session, model: row["liveModel"], liveOf: row["liveOf"], rows: row["liveRows"], metrics: metrics)
            }
        }
    }

    /// Records drift samples, in one transaction.
    public func record(drift samples: [DriftSample]) throws(StoreError) {
        if samples.isEmpty { return }
        try write("record \(samples.count) drift samples") { db in
            for sample in samples {
                try db.execute(
                    sql: """
                        INSERT INTO driftSamples (time, model, version, field, psi, missingShare, outOfSchemaShare, count)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        StoredTime.text(sample.time), sample.model, sample.version, sample.field, sample.psi, sample.missingShare,
                        sample.outOfSchemaShare, sample.count,
                    ])
            }
        }
    }

    /// Drift samples of `model` (of `version` when given) at or after `since`, oldest first.
    public func driftSamples(model: String, version: String?, since: Date?, limit: Int) throws(StoreError) -> [DriftSample] {
        try read("read the drift samples of \(model)") { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM (
                        SELECT * FROM driftSamples WHERE model = ? AND (? IS NULL OR version = ?) AND (? IS NULL OR time >= ?)
                        ORDER BY time DESC, id DESC LIMIT ?
                    ) ORDER BY time, id
                    """, arguments: [model, version, version, since.map(StoredTime.text), since.map(StoredTime.text), limit])
            return rows.map { row in
                DriftSample(
                    time: row["time"], model: row["model"], version: row["version"], field: row["field"], psi: row["psi"],
                    missingShare: row["missingShare"], outOfSchemaShare: row["outOfSchemaShare"], count: row["count"])
            }
        }
    }

    private static func prediction(_ row: Row) -> LoggedPrediction {
        LoggedPrediction(
            id: row["id"], model: row["model"], version: row["version"], repository: row["repository"], time: row["time"], inputs: row["inputs"],
            outputs: row["outputs"])
    }
}

/// A date as GRDB stores one (`yyyy-MM-dd HH:mm:ss.SSS`, UTC, to the nearest millisecond), written
/// directly: GRDB formats each `Date` argument with a `DateFormatter`, which costs more than the
/// rest of logging a prediction, and the prediction log writes thousands a second. Rows written
/// either way read back, compare and sort alike.
enum StoredTime {
    static func text(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = time_t(milliseconds.quotient(dividingBy: 1000))
        let millis = Int(milliseconds - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var bytes = [UInt8](repeating: 0, count: 23)
        func put(_ value: Int, at start: Int, digits: Int) {
            var value = value
            for index in stride(from: start + digits - 1, through: start, by: -1) {
                bytes[index] = UInt8(48 + value % 10)
                value /= 10
            }
        }
        put(Int(parts.tm_year) + 1900, at: 0, digits: 4)
        bytes[4] = 0x2D
        put(Int(parts.tm_mon) + 1, at: 5, digits: 2)
        bytes[7] = 0x2D
        put(Int(parts.tm_mday), at: 8, digits: 2)
        bytes[10] = 0x20
        put(Int(parts.tm_hour), at: 11, digits: 2)
        bytes[13] = 0x3A
        put(Int(parts.tm_min), at: 14, digits: 2)
        bytes[16] = 0x3A
        put(Int(parts.tm_sec), at: 17, digits: 2)
        bytes[19] = 0x2E
        put(millis, at: 20, digits: 3)
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Int64 {
    /// Division rounded towards minus infinity (so a date before 1970 keeps a positive millisecond part).
    fileprivate func quotient(dividingBy divisor: Int64) -> Int64 {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
    }
}
