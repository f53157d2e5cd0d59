import Foundation
import ModelKit

/// Churn as logistic regression on standardised tenure, contract and monthly charges, fitted by
/// gradient descent; the same features and metrics as the Python example.
struct Churn: Model {
    var means: [Double] = []
    var scales: [Double] = []
    var weights: [Double] = []
    var bias = 0.0

    func describe() -> [String: JSONValue] {
        ["model": "churn", "algorithm": "logistic regression (gradient descent)", "features": ["tenure", "monthly", "monthly_charges"]]
    }

    static func features(_ tenure: Double, _ contract: String, _ charges: Double) -> [Double] {
        [tenure, contract == "monthly" ? 1 : 0, charges]
    }

    static func load(_ url: URL) throws -> (x: [[Double]], y: [Int]) {
        let table = try Table(contentsOf: url)
        let tenure = try table.numbers("tenure"), contract = try table.column("contract")
        let charges = try table.numbers("monthly_charges"), churned = try table.numbers("churned")
        let x = tenure.indices.map { features(tenure[$0], contract[$0], charges[$0]) }
        return (x, churned.map { Int($0) })
    }

    func probability(_ row: [Double]) -> Double {
        var z = bias
        for (index, value) in row.enumerated() { z += weights[index] * (value - means[index]) / scales[index] }
        return 1 / (1 + exp(-z))
    }

    mutating func train(_ request: TrainingRequest) throws -> Metrics {
        let (x, y) = try Self.load(request.data)
        let columns = x[0].count
        means = (0..<columns).map { column in x.map { $0[column] }.reduce(0, +) / Double(x.count) }
        scales = (0..<columns).map { column in
            let variance = x.map { ($0[column] - means[column]) * ($0[column] - means[column]) }.reduce(0, +) / Double(x.count)
            return max(variance.squareRoot(), 1e-9)
        }
        var generator = SeededGenerator(seed: request.seed)
        weights = (0..<columns).map { _ in (generator.nextUnit() - 0.5) * 0.01 }
        bias = 0
        for _ in 0..<2000 {
            var gradient = [Double](repeating: 0, count: columns), gradientBias = 0.0
            for (row, label) in zip(x, y) {
                let error = probability(row) - Double(label)
                for column in 0..<columns { gradient[column] += error * (row[column] - means[column]) / scales[column] }
                gradientBias += error
            }
            for column in 0..<columns { weights[column] -= 0.5 * gradient[column] / Double(x.count) }
            bias -= 0.5 * gradientBias / Double(x.count)
        }
        let parameters: [String: [Double]] = ["means": means, "scales": scales, "weights": weights, "bias": [bias]]
        // Sorted keys: the same training writes the same bytes (bundles are reproducible).
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(parameters).write(to: request.artifacts.appendingPathComponent("model.json"))
        return metrics(x, y)
    }

    mutating func load(artifacts: URL) throws {
        let parameters = try JSONDecoder().decode([String: [Double]].self, from: Data(contentsOf: artifacts.appendingPathComponent("model.json")))
        means = parameters["means"] ?? []
        scales = parameters["scales"] ?? []
        weights = parameters["weights"] ?? []
        bias = parameters["bias"]?.first ?? 0
    }

    func evaluate(data: URL) throws -> Metrics {
        let (x, y) = try Self.load(data)
        return metrics(x, y)
    }

    func predict(_ instances: [[String: JSONValue]]) throws -> [[String: JSONValue]] {
        try instances.map { instance in
            guard let tenure = instance["tenure"]?.numberValue, let contract = instance["contract"]?.stringValue,
                let charges = instance["monthly_charges"]?.numberValue
            else { throw ModelError("an instance needs tenure, contract and monthly_charges") }
            return ["churn_probability": .number(probability(Self.features(tenure, contract, charges)))]
        }
    }

    func metrics(_ x: [[Double]], _ y: [Int]) -> Metrics {
        let scores = x.map(probability)
        let labels = scores.map { $0 >= 0.5 ? 1 : 0 }
        return [
            "auc": Score.rocAUC(truth: y, scores: scores), "log_loss": Score.logLoss(truth: y, probabilities: scores),
            "accuracy": Score.accuracy(truth: y, predicted: labels), "precision": Score.precision(truth: y, predicted: labels),
            "recall": Score.recall(truth: y, predicted: labels), "f1": Score.f1(truth: y, predicted: labels),
        ]
    }
}
