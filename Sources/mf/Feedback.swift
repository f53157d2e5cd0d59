import ArgumentParser
import Foundation
import ModelKit
import ModelServer
import Store

struct FeedbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feedback",
        abstract: "Record outcomes (labels) of logged predictions from a CSV file, straight into the store.",
        discussion: """
            The file has a header with the columns id and label, and optionally time (RFC 3339; \
            default: now). Each label joins the newest prediction of --model with that id logged \
            at or before the label's time (the id mf serve answered, or the model's business key, \
            compared as a string). Labels are kept even when no prediction is known yet: they join \
            it once it is logged, so late and early labels both count. A label that reads as a \
            number or true/false is kept as one, else as text. The same as POST \
            /v1/models/M/feedback on a server; no server is needed.

              mf feedback --model churn --input labels.csv

            Prints how many labels were received, joined and unknown (with the first unknown ids); \
            --json prints {"received", "joined", "unknown", "unknown_ids"}.
            """
    )

    @Option(help: "The model the predictions were made by.")
    var model: String

    @Option(help: ArgumentHelp("The CSV file of labels (columns id, label, and optionally time); - reads stdin.", valueName: "file"), completion: .file())
    var input: String

    @OptionGroup var options: HomeOptions

    func run() throws {
        try reportingErrors {
            let data = try InputFile.read(input, option: "--input", stdin: true)
            let labels = try Self.labels(data, model: model, file: input, now: Date())
            let counts = try options.openStore().record(labels: labels, unknownLimit: Feedback.unknownIDsShown)
            if options.json { return try printJSON(counts) }
            var line = "\(model): received \(counts.received) labels: \(counts.joined) joined a logged prediction, \(counts.unknown) unknown"
            if !counts.unknownIDs.isEmpty { line += " (\(counts.unknownIDs.joined(separator: ", "))\(counts.unknown > counts.unknownIDs.count ? ", …" : ""))" }
            print(line)
        }
    }

    /// The labels of a CSV file; a `FeedbackFileError` names the line and column that is wrong.
    static func labels(_ data: Data, model: String, file: String, now: Date) throws -> [FeedbackLabel] {
        let table: Table
        do { table = try Table(csv: String(decoding: data, as: UTF8.self)) } catch {
            throw FeedbackFileError(file: file, problem: "\(error)")
        }
        guard let id = table.columns.firstIndex(of: "id"), let label = table.columns.firstIndex(of: "label") else {
            throw FeedbackFileError(file: file, problem: "its header must name the columns id and label (it has \(table.columns.joined(separator: ",")))")
        }
        let time = table.columns.firstIndex(of: "time")
        var labels: [FeedbackLabel] = []
        labels.reserveCapacity(table.rows.count)
        for (index, row) in table.rows.enumerated() {
            let line = index + 2
            guard row.count > max(id, label), !row[id].isEmpty else { throw FeedbackFileError(file: file, problem: "line \(line) has no id") }
            var when = now
            if let time, time < row.count, !row[time].isEmpty {
                guard let parsed = Feedback.parseTime(row[time]) else {
                    throw FeedbackFileError(file: file, problem: "line \(line): time '\(row[time])' is not an RFC 3339 time such as 2026-01-31T12:00:00Z")
                }
                when = parsed
            }
            labels.append(FeedbackLabel(model: model, id: row[id], label: jsonText(row[label]), time: when))
        }
        return labels
    }

    /// A CSV cell as the JSON text of a scalar: a number, true or false as such, else a string.
    static func jsonText(_ cell: String) -> String {
        if cell == "true" || cell == "false" { return cell }
        if let number = Double(cell), number.isFinite { return String(decoding: JSONValue.number(number).jsonData(), as: UTF8.self) }
        return String(decoding: JSONValue.string(cell).jsonData(), as: UTF8.self)
    }
}

/// A labels file that cannot be read as labels: which file, and what is wrong (line and column).
struct FeedbackFileError: Error, CustomStringConvertible {
    var file: String
    var problem: String

    var description: String { "cannot read the labels in \(file): \(problem)" }
}
