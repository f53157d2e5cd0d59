internal import Foundation
internal import GitKit
internal import ModelKit
internal import Store
internal import SystemKit

/// A step failed: which and why. Ends the session as failed.
struct StepFailure: Error, CustomStringConvertible {
    var step: String
    var message: String
    /// The worker's error, when the worker failed the step.
    var cause: WorkerError?
    var description: String { "\(step): \(message)" }
}

/// One model's session: each step timed, recorded, and shown to the observer.
struct SessionRun {
    let pipeline: Pipeline
    let repository: Repository
    let commit: ObjectID
    let tree: ObjectID
    /// The model's folder in the tree ("" at the root).
    let folder: String
    let request: BuildRequest
    /// Versions tagged at the commit, by model name (nil: a tag without a model).
    let versions: [String?: String]
    let observer: (any BuildObserver)?

    var session: Session!
    var modelName = ""
    var steps: [Step] = []
    var gates: [GateResult] = []
    /// The data files the `validate` steps checked, in order.
    var dataChecks: [DataCheckReport] = []

    init(
        pipeline: Pipeline, repository: Repository, commit: ObjectID, tree: ObjectID, folder: String,
        request: BuildRequest, versions: [String?: String], observer: (any BuildObserver)?
    ) {
        self.pipeline = pipeline
        self.repository = repository
        self.commit = commit
        self.tree = tree
        self.folder = folder
        self.request = request
        self.versions = versions
        self.observer = observer
    }

    var store: any FactoryStore { pipeline.store }

    mutating func execute() async throws -> SessionReport {
        // The manifest decides the model's name; a broken one still gets a session, under the
        // folder's (or repository's) name, so the failure is on record.
        let manifestPath = folder.isEmpty ? "model.yaml" : folder + "/model.yaml"
        var manifest: Manifest?
        var manifestProblem: String?
        do {
            let data = try repository.file(at: manifestPath, in: commit)
            manifest = try Manifest.parse(String(decoding: data, as: UTF8.self), file: "\(manifestPath) at \(commit.short)")
        } catch let error as GitError where error.code == .notFound {
            manifestProblem = "there is no \(manifestPath) at \(commit.short)"
        } catch {
            manifestProblem = String(describing: error)
        }
        modelName = manifest?.name ?? Pipeline.fallbackName(folder: folder, repository: repository)
        let recipe = pipeline.recipe(manifest, folder: folder)
        let modelID = try store.modelID(repository: RepositoryIdentity(repository).name, name: modelName)
        let version = versions[modelName] ?? versions[nil] ?? nil
        session = Session(
            id: "", modelId: modelID, commit: commit.hex, tree: tree.hex, recipe: recipe,
            ref: request.ref, version: version, trigger: request.trigger, status: .running, startedAt: Date())
        if request.trigger == .schedule {
            // A schedule's session is not one of the numbered sessions of this commit and recipe
            // (those give a release its session id in every home): it gets an id of its own.
            session.id = UUID().uuidString.lowercased()
            try store.insert(session)
        } else {
            try store.insertNumbered(&session, model: modelName)
        }

        do {
            guard let manifest else { throw StepFailure(step: "manifest", message: manifestProblem ?? "unreadable") }
            if !request.force, let earlier = try store.reusableSession(modelID: modelID, tree: tree.hex, recipe: recipe) {
                try reuse(earlier, manifest: manifest)
            } else {
                try await run(manifest, recipe: recipe)
            }
            session.status = gates.allSatisfy(\.passed) ? .passed : .failed
            if session.status == .failed {
                session.failure = "gates: " + gates.filter { !$0.passed }.map(\.detail).joined(separator: "; ")
            }
        } catch {
            session.status = .failed
            session.failure = String(describing: error)
        }
        session.endedAt = Date()
        try store.update(session)
        return SessionReport(
            session: session, model: modelName, steps: steps, metrics: try store.metrics(session: session.id), gates: gates,
            dataChecks: dataChecks)
    }

    /// The model as progress names it: with what is built when the request says
    /// (`churn v1.0.0`, `churn feature/x`), so a reconcile's steps say what they belong to.
    var shownName: String { request.label.map { "\(modelName) \($0)" } ?? modelName }

    /// Times `body` as the step `name` and records it, failed or not.
    mutating func step<T>(_ name: String, log: URL? = nil, _ body: (inout SessionRun) async throws -> T) async throws -> T {
        observer?.started(step: name, model: shownName)
        let start = Date()
        var record = Step(
            id: nil, sessionId: session.id, name: name, status: .passed, startedAt: start, seconds: 0, logPath: log?.path)
        do {
            let value = try await body(&self)
            record.seconds = Date().timeIntervalSince(start)
            finish(record)
            return value
        } catch {
            record.seconds = Date().timeIntervalSince(start)
            record.status = .failed
            let message = (error as? StepFailure)?.message ?? String(describing: error)
            record.message = message
            finish(record)
            throw StepFailure(step: name, message: message, cause: error as? WorkerError)
        }
    }

    private mutating func finish(_ record: Step) {
        try? store.record(record)
        steps.append(record)
        observer?.finished(record, model: shownName)
    }

    /// The earlier session's build, artifacts and metrics stand for this one, and its gates are
    /// checked again for this one: the same thresholds, but `max_regression` against the release
    /// before this session's version, which the earlier session (a feature's, built before that
    /// release existed) may never have been compared with.
    mutating func reuse(_ earlier: Session, manifest: Manifest) throws {
        session.reusedFrom = earlier.id
        let metrics = try store.metrics(session: earlier.id).map {
            Metric(sessionId: session.id, modelId: $0.modelId, name: $0.name, split: $0.split, value: $0.value)
        }
        try store.record(metrics)
        let artifacts = try store.artifacts(session: earlier.id).map {
            Artifact(sessionId: session.id, path: $0.path, size: $0.size, sha256: $0.sha256)
        }
        try store.record(artifacts)
        let record = Step(
            id: nil, sessionId: session.id, name: "reuse", status: .passed, startedAt: Date(), seconds: 0,
            message: "tree \(tree.short) with this recipe passed in session \(earlier.id): nothing built or trained")
        finish(record)
        try checkGates(manifest)
    }

    /// Checks the manifest's gates on this session's evaluation metrics, records them, and adds
    /// the `gates` step.
    mutating func checkGates(_ manifest: Manifest) throws {
        let measured = Dictionary(
            try store.metrics(session: session.id).filter { $0.split == "evaluate" }.compactMap { metric in metric.value.map { (metric.name, $0) } },
            uniquingKeysWith: { $1 })
        gates = try Gatekeeper(manifest: manifest, store: store).check(measured, modelID: session.modelId, version: session.version)
        try store.record(gates: gates, session: session.id)
        let failedGates = gates.filter { !$0.passed }
        let record = Step(
            id: nil, sessionId: session.id, name: "gates", status: failedGates.isEmpty ? .passed : .failed, startedAt: Date(),
            seconds: 0, message: gates.map(\.detail).joined(separator: "; "))  // for people: the gates themselves are rows
        finish(record)
    }

    mutating func run(_ manifest: Manifest, recipe: String) async throws {
        let sessionFolder = pipeline.sessionsFolder.appendingPathComponent(session.id)
        let artifacts = sessionFolder.appendingPathComponent("artifacts")
        // A folder already at this id is a killed run's that could not be moved aside with its
        // session: nothing of it may reach this session's artifacts.
        try? FileManager.default.removeItem(at: sessionFolder)
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let buildLog = sessionFolder.appendingPathComponent("build.log")
        let workerLog = sessionFolder.appendingPathComponent("worker.log")

        let buildFolder = try await step("build", log: buildLog) { run in try await run.prepareBuild(manifest, recipe: recipe, log: buildLog) }
        let modelFolder = folder.isEmpty ? buildFolder : buildFolder.appendingPathComponent(folder)
        // A scheduled retrain checks the fresh data it trains on (an absolute path), not the committed file.
        try await validate(manifest, .train, data: request.trainingData ?? manifest.train.data, in: modelFolder)
        let worker = try await step("start", log: workerLog) { run in
            try WorkerClient(
                command: Pipeline.workerCommand(manifest, in: modelFolder), directory: modelFolder.path, environment: run.workerEnvironment(), log: workerLog)
        }
        let limit = request.callTimeLimit
        do {
            _ = try await step("describe") { _ in try await worker.call("describe", timeout: limit) }
            let dataPath = request.trainingData ?? modelFolder.appendingPathComponent(manifest.train.data).path
            let trained = try await step("train") { _ in
                let answer = try await worker.call(
                    "train", ["data": .string(dataPath), "artifacts": .string(artifacts.path), "seed": .number(Double(manifest.train.seed ?? 0))],
                    timeout: limit)
                return try WorkerAnswer.metrics(answer, method: "train")
            }
            try record(trained, split: "train")
            try await validate(manifest, .evaluate, data: manifest.evaluate.data, in: modelFolder)
            let evaluated = try await step("evaluate") { _ in
                let answer = try await worker.call(
                    "evaluate", ["data": .string(modelFolder.appendingPathComponent(manifest.evaluate.data).path)], timeout: limit)
                return try WorkerAnswer.metrics(answer, method: "evaluate")
            }
            try record(evaluated, split: "evaluate")
            if !manifest.examples.isEmpty {
                try await step("predict") { _ in
                    let instances = JSONValue.array(manifest.examples.map { .object($0.mapValues(JSONValue.init)) })
                    let answer = try await worker.call("predict", ["instances": instances], timeout: limit)
                    let predictions = try WorkerAnswer.predictions(answer, count: manifest.examples.count)
                    let outputs = Set(manifest.schema.outputs.map(\.name))
                    for (index, prediction) in predictions.enumerated() {
                        let keys = Set(prediction.objectValue?.keys.map { $0 } ?? [])
                        guard keys.isSuperset(of: outputs) else {
                            throw StepFailure(
                                step: "predict", message: "prediction \(index) lacks \(outputs.subtracting(keys).sorted().joined(separator: ", "))")
                        }
                    }
                }
            }
            await worker.shutdown()
        } catch {
            // Stopped first, so its log is whole: the failure ends with the log's last lines.
            await worker.shutdown(grace: 0.5)
            worker.waitForLog()
            throw Self.naming(workerLog, in: error)
        }
        try await step("artifacts") { run in try run.recordArtifacts(in: artifacts) }
        try checkGates(manifest)
    }

    func workerEnvironment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["MF_SESSION"] = session.id
        environment["MF_MODEL"] = modelName
        environment["PYTHONUNBUFFERED"] = "1"
        return environment
    }

    func record(_ metrics: [String: Double?], split: String) throws {
        try store.record(
            metrics.keys.sorted().map { name in
                Metric(sessionId: session.id, modelId: session.modelId, name: name, split: split, value: metrics[name]!)
            })
    }

    /// A step the worker failed, with where the worker's log is and how it ends (unless the
    /// error says how already: a worker that exited).
    static func naming(_ log: URL, in error: any Error) -> any Error {
        guard var failure = error as? StepFailure, let cause = failure.cause else { return error }
        if case .exited = cause {
            failure.message += " (worker log: \(log.path))"
            return failure
        }
        let tail = WorkerError.lastLines(of: FileContents.text(atPath: log.path))
        failure.message += tail.isEmpty ? " (worker log: \(log.path), empty)" : "; the worker's log \(log.path) ends: \(tail)"
        return failure
    }

    func recordArtifacts(in folder: URL) throws {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else { return }
        var records: [Artifact] = []
        for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            let (digest, size) = try HexDigest.sha256(fileAtPath: url.path)
            let relative = String(url.standardizedFileURL.path.dropFirst(folder.standardizedFileURL.path.count + 1))
            records.append(Artifact(sessionId: session.id, path: relative, size: size, sha256: digest))
        }
        try store.record(records)
    }

    /// The build folder for this tree and recipe: reused when complete, else exported and built
    /// aside and renamed into place, so a half build is never mistaken for a whole one.
    mutating func prepareBuild(_ manifest: Manifest, recipe: String, log: URL) async throws -> URL {
        let final = pipeline.buildFolder(tree: tree.hex, recipe: recipe)
        let marker = final.appendingPathComponent(".mf-build-complete")
        if FileManager.default.fileExists(atPath: marker.path) {
            try Data("reused build \(final.path)\n".utf8).write(to: log)
            observer?.progress("reusing the build of tree \(tree.short)", model: shownName)
            return final
        }
        let lock = try AsideFolders.enter(pipeline.buildsFolder)
        let aside = pipeline.buildsFolder.appendingPathComponent("\(final.lastPathComponent).building-\(UUID().uuidString.prefix(8))")
        defer {
            try? FileManager.default.removeItem(at: aside)
            lock.unlock()
        }
        try repository.export(commit: commit, to: aside.path)
        let workFolder = folder.isEmpty ? aside : aside.appendingPathComponent(folder)
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        // A Python plugin with requirements runs in a virtual environment shared by every build
        // with the same requirements and Python; one without runs on the system's python3.
        if manifest.runtime == .python, let requirements = try? FileContents.read(atPath: workFolder.appendingPathComponent("requirements.txt").path) {
            let environment = try await pythonEnvironment(requirements: requirements, workFolder: workFolder, log: log)
            try FileManager.default.createSymbolicLink(at: workFolder.appendingPathComponent(".venv"), withDestinationURL: environment)
        }
        // A Swift model names ModelKit by its URL; this mf's own copy answers it, offline.
        if manifest.runtime == .swift, ModelKitPackage.isDependency(of: workFolder) {
            guard let modelKit = pipeline.modelKit else { throw ModelKitError.notInstalled }
            let mirror = try modelKit.configureMirror(for: workFolder, home: pipeline.home)
            try Data("ModelKit \(ModelKitPackage.version) from \(mirror.path)\n".utf8).append(to: log)
        }
        try await run(manifest.build, in: workFolder, log: log)
        // What built it, read now so bundling later spawns nothing.
        let toolchain = await Toolchain.versions(runtime: manifest.runtime, folder: workFolder)
        try Data(try JSONText.encodeBytes(SortedMap(toolchain)))
            .write(to: workFolder.appendingPathComponent(Toolchain.fileName))
        _ = FileManager.default.createFile(atPath: aside.appendingPathComponent(".mf-build-complete").path, contents: Data(recipe.utf8))
        do {
            try FileManager.default.moveItem(at: aside, to: final)
        } catch  where FileManager.default.fileExists(atPath: marker.path) {
            // Another build of the same tree finished first: use it.
        }
        return final
    }
}

extension SessionRun {
    /// Runs build commands in `folder` with `sh -c`, their output appended to `log`; the first
    /// that fails or passes the time limit fails the build.
    func run(_ commands: [String], in folder: URL, log: URL) async throws {
        for command in commands {
            observer?.progress("$ \(command)", model: shownName)
            try Data("$ \(command)\n".utf8).append(to: log)
            let build = ChildProcess(["/bin/sh", "-c", command], directory: folder.path, output: .appending(toFile: log.path), error: .sameAsOutput)
            let observer = observer
            let model = shownName
            // Every 5 s it says that the build still runs (a build may take minutes).
            let heartbeat = ChildProcess.Heartbeat(every: .seconds(5)) { elapsed in
                observer?.progress("still building after \(elapsed.components.seconds) s: \(command)", model: model)
            }
            let completion = try await build.run(timeLimit: .seconds(request.buildTimeLimit), grace: .seconds(2), heartbeat: heartbeat)
            guard !completion.ranPastLimit else {
                throw StepFailure(step: "build", message: "'\(command)' ran past its limit of \(Int(request.buildTimeLimit)) s (log: \(log.path))")
            }
            guard completion.termination.isSuccess else {
                throw StepFailure(step: "build", message: "'\(command)' \(completion.termination) (log: \(log.path))")
            }
        }
    }

    /// The shared virtual environment for the plugin's requirements.txt (see `PythonEnvironments`).
    func pythonEnvironment(requirements: Data, workFolder: URL, log: URL) async throws -> URL {
        let observer = observer
        let model = shownName
        return try await PythonEnvironments(home: pipeline.home).environment(
            requirements: requirements, file: "requirements.txt", in: workFolder, log: log,
            reused: { key in observer?.progress("reusing the Python environment \(key.prefix(8)) for requirements.txt", model: model) },
            run: { commands in try await run(commands, in: workFolder, log: log) })
    }
}

extension Data {
    func append(to file: URL) throws {
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: self)
    }
}
