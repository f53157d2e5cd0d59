public import Foundation

/// A model, as the factory drives it: train, load, evaluate, predict.
///
/// Conform a type and call `ModelWorker.run(MyModel.self)` from `main`: the worker loop speaks
/// the factory's JSON-RPC interface on stdin/stdout.
///
/// ```swift
/// struct Churn: Model {
///     var weights: [Double] = []
///     mutating func train(_ request: TrainingRequest) throws -> Metrics { … }
///     mutating func load(artifacts: URL) throws { … }
///     func evaluate(data: URL) throws -> Metrics { … }
///     func predict(_ instances: [[String: JSONValue]]) throws -> [[String: JSONValue]] { … }
/// }
/// ModelWorker.run(Churn.self)
/// ```
public protocol Model {
    init()
    /// What the model says of itself (`describe`); the default names the type.
    func describe() -> [String: JSONValue]
    /// Trains on `request.data`, writes what `load` needs into `request.artifacts`, and returns
    /// metrics on the training data (may be empty).
    mutating func train(_ request: TrainingRequest) throws -> Metrics
    /// Reads what `train` wrote.
    mutating func load(artifacts: URL) throws
    /// Metrics on the data at `data`.
    func evaluate(data: URL) throws -> Metrics
    /// One prediction (an object of the schema's outputs) per instance, in order.
    func predict(_ instances: [[String: JSONValue]]) throws -> [[String: JSONValue]]
}

extension Model {
    /// The default description: `["model": "<type name>"]`.
    public func describe() -> [String: JSONValue] { ["model": .string(String(describing: Self.self))] }
}

/// What `train` is given.
public struct TrainingRequest: Sendable {
    /// The training data file.
    public var data: URL
    /// The folder to write artifacts into (it exists and is empty).
    public var artifacts: URL
    /// The seed for every random choice, so a run can be repeated.
    public var seed: UInt64

    /// A request to train on the file `data`, writing into the folder `artifacts`, with `seed` for every random choice.
    public init(data: URL, artifacts: URL, seed: UInt64) {
        self.data = data
        self.artifacts = artifacts
        self.seed = seed
    }
}

/// Named metric values (`auc`, `rmse`, ...).
public typealias Metrics = [String: Double]

/// An error a model throws to fail a call with a message the factory shows.
public struct ModelError: Error, CustomStringConvertible, Sendable {
    /// The message the factory shows for the failed call.
    public var description: String
    /// A model error whose message is `description`.
    public init(_ description: String) { self.description = description }
}

/// A count with its noun in the right number: "1 field", "2 fields".
func counted(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }
