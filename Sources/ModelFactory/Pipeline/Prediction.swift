public import Foundation
public import GitKit
public import ModelKit
internal import Store

/// Why a prediction by hand cannot be made.
public enum PredictionError: Error, CustomStringConvertible, Equatable {
    /// The model's session at that revision failed, so there is nothing to predict with.
    case sessionFailed(model: String, session: String, failure: String)
    /// The revision holds no model of that name.
    case noSuchModel(String, available: [String])
    /// Instances that do not fit the schema: each problem with its instance and field.
    case invalidInput([String])
    /// The input is not a JSON array of objects (or `{"instances": [...]}`).
    case unreadableInput(String)

    /// The sentence a user reads: why no prediction was made, with the problems or the models there are.
    public var description: String {
        switch self {
        case .sessionFailed(let model, let session, let failure):
            "cannot predict with \(model): its session \(session) failed (\(failure))"
        case .noSuchModel(let name, let available):
            "no model '\(name)' at that revision; there is \(available.joined(separator: ", "))"
        case .invalidInput(let problems):
            "the input does not fit the schema: \(problems.joined(separator: "; "))"
        case .unreadableInput(let why):
            "cannot read the input: \(why)"
        }
    }
}

extension Pipeline {
    /// Reads instances from JSON: an array of objects, or `{"instances": [...]}`.
    public static func instances(fromJSON data: Data) throws -> [JSONValue] {
        let value: JSONValue
        do { value = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw PredictionError.unreadableInput("it is not JSON")
        }
        guard let list = value.arrayValue ?? value["instances"]?.arrayValue, list.allSatisfy({ $0.objectValue != nil }) else {
            throw PredictionError.unreadableInput("expected an array of objects, or {\"instances\": [...]}")
        }
        return list
    }

    /// Predicts `instances` with the model at `revision`: builds and trains it first unless a
    /// session of that tree and recipe passed already (then nothing new is recorded), checks
    /// every instance against the schema, then asks a worker loaded with that session's
    /// artifacts.
    public func predict(
        _ repository: Repository, revision: String, model name: String? = nil, instances: [JSONValue],
        callTimeLimit: Double = 600
    ) async throws -> [JSONValue] {
        let commit = try repository.resolveCommit(revision)
        let trained: (session: Session, model: String)
        if let passed = try passedSession(repository, commit: commit, model: name) {
            trained = passed
        } else {
            let reports = try await build(repository, BuildRequest(revision: revision, callTimeLimit: callTimeLimit))
            guard let report = name.map({ wanted in reports.first { $0.model == wanted } }) ?? reports.first else {
                throw PredictionError.noSuchModel(name ?? "", available: reports.map(\.model))
            }
            guard report.session.status == .passed else {
                throw PredictionError.sessionFailed(model: report.model, session: report.session.id, failure: report.session.failure ?? "?")
            }
            trained = (report.session, report.model)
        }
        let folder =
            try Self.modelFolders(repository, commit: commit).first { folder in
                let path = folder.isEmpty ? "model.yaml" : folder + "/model.yaml"
                return (try? Manifest.parse(String(decoding: repository.file(at: path, in: commit), as: UTF8.self)).name) == trained.model
            } ?? ""
        let manifestPath = folder.isEmpty ? "model.yaml" : folder + "/model.yaml"
        let manifest = try Manifest.parse(String(decoding: repository.file(at: manifestPath, in: commit), as: UTF8.self), file: manifestPath)

        var problems: [String] = []
        for (index, instance) in instances.enumerated() {
            problems += manifest.schema.check(instance.objectValue ?? [:]).map { "instances[\(index)].\($0.path): \($0.message)" }
        }
        guard problems.isEmpty else { throw PredictionError.invalidInput(problems) }

        let artifacts = sessionsFolder.appendingPathComponent(trained.session.reusedFrom ?? trained.session.id).appendingPathComponent("artifacts")
        let built = buildFolder(tree: trained.session.tree, recipe: trained.session.recipe)
        let modelFolder = folder.isEmpty ? built : built.appendingPathComponent(folder)
        let worker = try WorkerClient(command: Pipeline.workerCommand(manifest, in: modelFolder), directory: modelFolder.path)
        do {
            _ = try await worker.call("load", ["artifacts": .string(artifacts.path)], timeout: callTimeLimit)
            let answer = try await worker.call("predict", ["instances": .array(instances)], timeout: callTimeLimit)
            await worker.shutdown()
            return try WorkerAnswer.predictions(answer, count: instances.count)
        } catch {
            await worker.shutdown(grace: 0.5)
            throw error
        }
    }

    /// The session that trained the model (`name`, else the first) at `commit`, when one of its
    /// tree and recipe passed and its build is still there: predicting with it records nothing.
    func passedSession(_ repository: Repository, commit: ObjectID, model name: String?) throws -> (session: Session, model: String)? {
        let tree = try repository.treeID(of: commit)
        for folder in try Self.modelFolders(repository, commit: commit) {
            let path = folder.isEmpty ? "model.yaml" : folder + "/model.yaml"
            let manifest = (try? repository.file(at: path, in: commit)).flatMap { try? Manifest.parse(String(decoding: $0, as: UTF8.self)) }
            if let name, manifest?.name != name { continue }
            // Without a name it is the first model, as a build reports it; a broken one is built
            // (and fails) as before.
            guard let manifest else { return nil }
            let recipe = recipe(manifest, folder: folder)
            let modelID = try store.modelID(repository: RepositoryIdentity(repository).name, name: manifest.name)
            guard let session = try store.reusableSession(modelID: modelID, tree: tree.hex, recipe: recipe),
                FileManager.default.fileExists(atPath: buildFolder(tree: tree.hex, recipe: recipe).appendingPathComponent(".mf-build-complete").path)
            else { return nil }
            return (session, manifest.name)
        }
        return nil
    }
}

extension Manifest.Value {
    /// A JSON scalar as a manifest value (whole numbers as ints); arrays and objects are null.
    public init(_ value: JSONValue) {
        switch value {
        case .null, .array, .object: self = .null
        case .bool(let flag): self = .bool(flag)
        // Whole numbers an Int holds are ints (2^63 is a double: past Int64, and named so by the check).
        case .number(let number): self = number == number.rounded() && number >= -0x1p63 && number < 0x1p63 ? .int(Int(number)) : .double(number)
        case .string(let text): self = .string(text)
        }
    }
}

extension Manifest.Schema {
    /// The problems of one JSON instance against the inputs, as `check` on its values finds
    /// them, except that an array or object where a field's value belongs is named as the wrong
    /// type (a manifest value has no such case, so it would read as missing).
    public func check(_ instance: [String: JSONValue]) -> [ManifestError.Problem] {
        let problems = check(instance.mapValues(Manifest.Value.init))
        return problems.map { problem in
            guard let field = inputs.first(where: { $0.name == problem.path }) else { return problem }  // unknown stays unknown
            switch instance[problem.path] {
            case .array?: return .init(path: problem.path, message: "expected \(field.type.withArticle), got an array")
            case .object?: return .init(path: problem.path, message: "expected \(field.type.withArticle), got an object")
            default: return problem
            }
        }
    }
}

extension JSONValue {
    /// A manifest value as JSON.
    public init(_ value: Manifest.Value) {
        switch value {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .int(let number): self = .number(Double(number))
        case .double(let number): self = .number(number)
        case .string(let text): self = .string(text)
        }
    }
}
