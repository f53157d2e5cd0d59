import ArgumentParser
import Foundation
import ModelFactory
import ModelServer
import Store

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Send logged production inputs to a candidate version and compare its answers with what was served.",
        discussion: """
            Reads the prediction log of the store (what mf serve logged) for --model, oldest first \
            (from --since, at most --limit), and sends each logged instance to the candidate, one \
            request at a time: to the server at --url (POST /v1/models/M:predict; it must serve the \
            candidate as current), else to the candidate's bundle (made by mf bundle, found in the \
            store) loaded here with one worker. Reports how many answers agree with what was \
            served, per output (numbers within 1e-6 relative, as the shadow compares), the p50 and \
            p99 latency, and errors.

              mf replay --to 1.1.0 --model churn --since 2026-01-31T00:00:00Z --limit 1000

            --json prints {model, version, requests, errors, agreed, outputs: {NAME: share}, \
            p50_ms, p99_ms, first_errors}.
            """
    )

    @Option(help: ArgumentHelp("The candidate version.", valueName: "version"))
    var to: String

    @Option(help: "The model (default: the only model with a bundle of that version).")
    var model: String?

    @Option(help: ArgumentHelp("Replay predictions logged at or after this time (RFC 3339).", valueName: "time"))
    var since: String?

    @Option(help: "The most logged predictions to replay.")
    var limit = 1000

    @Option(help: ArgumentHelp("A server that serves the candidate (default: load its bundle here).", valueName: "url"))
    var url: String?

    @OptionGroup var options: HomeOptions

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be positive") }
        if let since, Feedback.parseTime(since) == nil { throw ValidationError("--since \(since) is not an RFC 3339 time such as 2026-01-31T12:00:00Z") }
        if let url, URL(string: url)?.scheme == nil { throw ValidationError("--url \(url) is not a URL such as http://127.0.0.1:8080") }
    }

    func run() async throws {
        try await reportingErrors {
            let store = try options.openStore()
            let version = to.hasPrefix("v") ? String(to.dropFirst()) : to
            let bundles = try store.bundles().filter { $0.bundle.version == version && (model == nil || $0.model == model) }
            guard let model = model ?? (Set(bundles.map(\.model)).count == 1 ? bundles.first?.model : nil) else {
                throw ReplayError(
                    message: "name the model with --model: \(bundles.isEmpty ? "no bundle has version \(version)" : "several models have version \(version)")")
            }
            let logged = try store.predictions(model: model, version: nil, since: since.flatMap(Feedback.parseTime), limit: limit)
            guard !logged.isEmpty else { throw ReplayError(message: "the prediction log has no predictions of \(model) to replay") }
            let report: ReplayReport
            if let url, let address = URL(string: url) {
                report = await Replay.run(logged, model: model, version: version, predict: Replay.remote(address, model: model))
            } else {
                guard let bundle = bundles.first(where: { $0.model == model }) else {
                    throw ReplayError(message: "no bundle of \(model) \(version) in the store; run mf bundle, or give --url of a server that serves it")
                }
                var serving = ServeOptions(home: options.homeURL)
                serving.pool.workers = 1
                let registry = ModelRegistry(options: serving)
                let candidate = try await registry.load(URL(fileURLWithPath: bundle.bundle.path))
                report = await Replay.run(logged, model: model, version: version) { instance in
                    guard let answer = try await candidate.predict([instance]).first else { throw ReplayError(message: "no prediction") }
                    return answer
                }
                try await registry.unload(model, candidate.version)
            }
            if options.json { return try printJSON(report) }
            print("replayed \(report.requests) logged predictions of \(model) on \(version): \(report.agreed) agreed, \(report.errors) errors")
            var rows = [["OUTPUT", "AGREEMENT"]]
            for name in report.outputs.keys.sorted() { rows.append([name, String(format: "%.4f", report.outputs[name]!)]) }
            print(formatTable(rows))
            print(String(format: "latency p50 %.2f ms, p99 %.2f ms", report.p50Ms, report.p99Ms))
            for error in report.firstErrors { print("error: \(error)") }
        }
    }
}

/// Why a replay could not run, as the one sentence a user reads.
struct ReplayError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
