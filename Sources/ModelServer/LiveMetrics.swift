internal import Foundation
internal import Logging
internal import ModelFactory
internal import ModelKit
internal import Store
internal import Synchronization

/// Live metrics (DESIGN.md "Production loop"): the model's own `evaluate` on the labelled
/// production rows of each served version whose model names its label column
/// (`monitor: {label: …}`). A version is evaluated again when its model has `liveEvery` new
/// labels, or every `liveInterval` when its labelled rows changed (a label may join a
/// prediction logged after it). Each evaluation is a session with trigger `live`, linked to the
/// release session its bundle packages, its metrics under split `live`; a bundle whose release
/// session the store does not know is not evaluated (warned once).
///
/// The rows are written as a CSV in the training data's format (the schema's inputs, then the
/// label column) and evaluated by a worker started for it from the version's bundle, so a long
/// evaluation never holds up the predictions of the serving workers.
final class LiveMetrics: Sendable {
    let registry: ModelRegistry
    let store: any FactoryStore
    let options: LoopOptions
    let logger: Logger
    private let marks = Mutex<[String: Mark]>([:])

    /// Where a version stood at its last look.
    struct Mark {
        var labels = 0
        var rows = 0
        var at = ContinuousClock.now
        var warned = false
    }

    init(registry: ModelRegistry, store: any FactoryStore, options: LoopOptions, logger: Logger) {
        self.registry = registry
        self.store = store
        self.options = options
        self.logger = logger
    }

    /// Looks at every served version once, evaluating those that are due.
    func tick() async {
        for model in registry.models() {
            for version in model.versions where version.bundle.model.monitor.label != nil {
                await look(at: version)
            }
        }
    }

    private func look(at version: ModelVersion) async {
        let key = version.name + "\n" + version.version
        let mark = marks.withLock { $0[key] } ?? Mark()
        let store = self.store
        let name = version.name
        guard !mark.warned, let labels = try? await StoreThread.run({ () throws(StoreError) in try store.labelCount(model: name) }) else { return }
        let byCount = options.liveEvery > 0 && labels - mark.labels >= options.liveEvery
        let byTime = options.liveInterval > .zero && mark.at.duration(to: .now) >= options.liveInterval
        guard byCount || byTime else { return }
        var next = mark
        next.at = .now
        next.labels = labels
        defer { marks.withLock { $0[key] = next } }
        let number = version.version
        guard let rows = try? await StoreThread.run({ () throws(StoreError) in try store.labelledPredictions(model: name, version: number) }), !rows.isEmpty
        else { return }
        guard byCount || rows.count != mark.rows || labels != mark.labels else { return }
        next.rows = rows.count
        guard let release = try? store.session(id: version.bundle.manifest.session) else {
            logger.warning(
                "\(version.name) \(version.version): no live metrics: the store does not know its release session \(version.bundle.manifest.session)"
            )
            next.warned = true
            return
        }
        await evaluate(version, rows: rows, release: release)
    }

    /// Runs `evaluate` on `rows` and records the live session, failed with the reason when the
    /// model could not evaluate them.
    func evaluate(_ version: ModelVersion, rows: [LabelledPrediction], release: Session) async {
        let started = Date()
        var session = Session(
            id: UUID().uuidString.lowercased(), modelId: release.modelId, commit: release.commit, tree: release.tree, recipe: release.recipe,
            ref: release.ref, version: version.version, trigger: .live, status: .passed, startedAt: started)
        var metrics: [Metric] = []
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mf-live-\(session.id)")
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let data = folder.appendingPathComponent("live.csv")
            try Self.table(rows, schema: version.bundle.model.schema, label: version.bundle.model.monitor.label ?? "label").write(to: data)
            let measured = try await Self.evaluate(version.bundle, data: data, timeout: registry.options.startTimeout)
            metrics = measured.keys.sorted().map {
                Metric(sessionId: session.id, modelId: release.modelId, name: $0, split: "live", value: measured[$0]!)
            }
        } catch {
            session.status = .failed
            session.failure = "live: \(error)"
            logger.warning("\(version.name) \(version.version): live metrics failed: \(error)")
        }
        session.endedAt = Date()
        do {
            let store = self.store
            let live = LiveEvaluation(session: session, model: version.name, liveOf: release.id, rows: rows.count, metrics: metrics)
            try await StoreThread.run { () throws(StoreError) in try store.record(live: live) }
        } catch {
            logger.warning("\(version.name) \(version.version): the live session could not be recorded: \(error)")
        }
    }

    /// `evaluate` on `data` by a worker of `bundle` started for it (loaded, asked, stopped).
    static func evaluate(_ bundle: RunnableBundle, data: URL, timeout: Double) async throws -> [String: Double?] {
        let worker = try WorkerClient(command: bundle.command, directory: bundle.directory.path)
        do {
            _ = try await worker.call("load", ["artifacts": .string(bundle.artifacts.path)], timeout: timeout)
            let answer = try await worker.call("evaluate", ["data": .string(data.path)], timeout: timeout)
            await worker.shutdown(grace: 1)
            return try WorkerAnswer.metrics(answer, method: "evaluate")
        } catch {
            await worker.shutdown(grace: 0.5)
            throw error
        }
    }

    /// The labelled rows as a CSV in the training data's format: one column per schema input
    /// (in the schema's order), then the label column.
    static func table(_ rows: [LabelledPrediction], schema: Manifest.Schema, label: String) -> Data {
        var text = (schema.inputs.map(\.name) + [label]).map(cell).joined(separator: ",") + "\n"
        for row in rows {
            let inputs = (try? JSONValue(json: Data(row.prediction.inputs.utf8))) ?? .object([:])
            let labelValue = (try? JSONValue(json: Data(row.label.utf8))) ?? .null
            text += (schema.inputs.map { cell(inputs[$0.name] ?? .null) } + [cell(labelValue)]).joined(separator: ",") + "\n"
        }
        return Data(text.utf8)
    }

    /// A scalar as a CSV cell: numbers and bools as JSON writes them, null as nothing.
    static func cell(_ value: JSONValue) -> String {
        switch value {
        case .null: ""
        case .string(let text): cell(text)
        case .number, .bool: String(decoding: value.jsonData(), as: UTF8.self)
        default: cell(String(decoding: value.jsonData(), as: UTF8.self))
        }
    }

    /// Text as a CSV cell, quoted when it holds a comma, a quote or a line break.
    static func cell(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
