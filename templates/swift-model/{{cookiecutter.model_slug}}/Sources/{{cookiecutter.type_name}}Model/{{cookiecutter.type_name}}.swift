import Foundation
import ModelKit

/// {{ cookiecutter.model_name }}: {{ cookiecutter.description }}
///
/// Logistic regression on standardised tenure, contract and monthly charges, fitted by
/// full-batch gradient descent from a seeded start, so the same data and seed give the same
/// model. Model Factory drives it through `ModelWorker` (see `main.swift`).
public struct {{ cookiecutter.type_name }}: Model {
    public static let name = "{{ cookiecutter.model_slug }}"
    public static let featureNames = ["tenure", "monthly", "monthly_charges"]
    public static let target = "churned"
    public static let output = "churn_probability"
    public static let epochs = {{ cookiecutter.epochs | int }}
    public static let learningRate = {{ cookiecutter.learning_rate | float }}

    public var means: [Double] = []
    public var scales: [Double] = []
    public var weights: [Double] = []
    public var bias = 0.0

    public init() {}

    public func describe() -> [String: JSONValue] {
        [
            "model": .string(Self.name), "algorithm": "logistic regression (gradient descent)",
            "features": .array(Self.featureNames.map { .string($0) }), "target": .string(Self.target),
        ]
    }

    /// One instance as the feature vector: tenure, whether the contract is monthly, charges.
    public static func features(tenure: Double, contract: String, charges: Double) -> [Double] {
        [tenure, contract == "monthly" ? 1 : 0, charges]
    }

    /// The CSV at `url` as feature vectors and labels.
    public static func load(_ url: URL) throws -> (x: [[Double]], y: [Int]) {
        let table = try Table(contentsOf: url)
        let tenure = try table.numbers("tenure"), contract = try table.column("contract")
        let charges = try table.numbers("monthly_charges"), labels = try table.numbers(target)
        guard !labels.isEmpty else { throw ModelError("\(url.lastPathComponent) has no rows") }
        let x = tenure.indices.map { features(tenure: tenure[$0], contract: contract[$0], charges: charges[$0]) }
        return (x, labels.map { Int($0) })
    }

    /// The probability of the positive class for one feature vector.
    public func probability(_ row: [Double]) -> Double {
        var z = bias
        for (index, value) in row.enumerated() { z += weights[index] * (value - means[index]) / scales[index] }
        return 1 / (1 + exp(-z))
    }

    public mutating func train(_ request: TrainingRequest) throws -> Metrics {
        let (x, y) = try Self.load(request.data)
        let columns = x[0].count, count = Double(x.count)
        means = (0..<columns).map { column in x.map { $0[column] }.reduce(0, +) / count }
        scales = (0..<columns).map { column in
            let variance = x.map { ($0[column] - means[column]) * ($0[column] - means[column]) }.reduce(0, +) / count
            return max(variance.squareRoot(), 1e-9)
        }
        var generator = SeededGenerator(seed: request.seed)
        weights = (0..<columns).map { _ in (generator.nextUnit() - 0.5) * 0.01 }
        bias = 0
        for _ in 0..<Self.epochs {
            var gradient = [Double](repeating: 0, count: columns), gradientBias = 0.0
            for (row, label) in zip(x, y) {
                let error = probability(row) - Double(label)
                for column in 0..<columns { gradient[column] += error * (row[column] - means[column]) / scales[column] }
                gradientBias += error
            }
            for column in 0..<columns { weights[column] -= Self.learningRate * gradient[column] / count }
            bias -= Self.learningRate * gradientBias / count
        }
        let parameters: [String: [Double]] = ["means": means, "scales": scales, "weights": weights, "bias": [bias]]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(parameters).write(to: request.artifacts.appendingPathComponent("model.json"))
        return metrics(x, y)
    }

    public mutating func load(artifacts: URL) throws {
        let data = try Data(contentsOf: artifacts.appendingPathComponent("model.json"))
        let parameters = try JSONDecoder().decode([String: [Double]].self, from: data)
        guard let means = parameters["means"], let scales = parameters["scales"], let weights = parameters["weights"],
            let bias = parameters["bias"]?.first, means.count == weights.count, scales.count == weights.count
        else { throw ModelError("model.json is not this model's parameters") }
        (self.means, self.scales, self.weights, self.bias) = (means, scales, weights, bias)
    }

    public func evaluate(data: URL) throws -> Metrics {
        let (x, y) = try Self.load(data)
        return metrics(x, y)
    }

    public func predict(_ instances: [[String: JSONValue]]) throws -> [[String: JSONValue]] {
        guard !weights.isEmpty else { throw ModelError("the model is neither trained nor loaded") }
        return try instances.enumerated().map { index, instance in
            guard let tenure = instance["tenure"]?.numberValue, let contract = instance["contract"]?.stringValue,
                let charges = instance["monthly_charges"]?.numberValue
            else { throw ModelError("instances[\(index)] needs tenure, contract and monthly_charges") }
            let row = Self.features(tenure: tenure, contract: contract, charges: charges)
            return [Self.output: .number(probability(row))]
        }
    }

    /// The metrics Model Factory records, with the same definitions in every runtime.
    public func metrics(_ x: [[Double]], _ y: [Int]) -> Metrics {
        let scores = x.map(probability)
        let labels = scores.map { $0 >= 0.5 ? 1 : 0 }
        return [
            "auc": Score.rocAUC(truth: y, scores: scores), "log_loss": Score.logLoss(truth: y, probabilities: scores),
            "accuracy": Score.accuracy(truth: y, predicted: labels), "precision": Score.precision(truth: y, predicted: labels),
            "recall": Score.recall(truth: y, predicted: labels), "f1": Score.f1(truth: y, predicted: labels),
        ]
    }
}
