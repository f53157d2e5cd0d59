internal import Foundation

/// The standard metrics, defined once so every model computes them the same way (the Python
/// runner implements the same definitions). Binary classification takes labels 0 and 1, with
/// 1 the positive class.
public enum Score {
    /// The share of labels predicted right.
    public static func accuracy(truth: [Int], predicted: [Int]) -> Double {
        guard !truth.isEmpty, truth.count == predicted.count else { return .nan }
        return Double(zip(truth, predicted).filter { $0 == $1 }.count) / Double(truth.count)
    }

    /// Of the predicted positives, the share that are positive; 0 when nothing is predicted positive.
    public static func precision(truth: [Int], predicted: [Int]) -> Double {
        let counts = confusion(truth, predicted)
        let predictedPositive = counts.truePositive + counts.falsePositive
        return predictedPositive == 0 ? 0 : Double(counts.truePositive) / Double(predictedPositive)
    }

    /// Of the positives, the share predicted positive; 0 when there are none.
    public static func recall(truth: [Int], predicted: [Int]) -> Double {
        let counts = confusion(truth, predicted)
        let positive = counts.truePositive + counts.falseNegative
        return positive == 0 ? 0 : Double(counts.truePositive) / Double(positive)
    }

    /// The harmonic mean of precision and recall; 0 when both are 0.
    public static func f1(truth: [Int], predicted: [Int]) -> Double {
        let p = precision(truth: truth, predicted: predicted)
        let r = recall(truth: truth, predicted: predicted)
        return p + r == 0 ? 0 : 2 * p * r / (p + r)
    }

    /// The area under the ROC curve: the chance a random positive scores above a random negative,
    /// ties counting half (Mann–Whitney U with average ranks). NaN with only one class.
    public static func rocAUC(truth: [Int], scores: [Double]) -> Double {
        guard truth.count == scores.count else { return .nan }
        let positives = truth.filter { $0 == 1 }.count
        let negatives = truth.count - positives
        guard positives > 0, negatives > 0 else { return .nan }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var ranks = [Double](repeating: 0, count: scores.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && scores[order[end + 1]] == scores[order[start]] { end += 1 }
            let rank = Double(start + end) / 2 + 1
            for position in start...end { ranks[order[position]] = rank }
            start = end + 1
        }
        let positiveRanks = truth.indices.filter { truth[$0] == 1 }.map { ranks[$0] }.reduce(0, +)
        let u = positiveRanks - Double(positives * (positives + 1)) / 2
        return u / Double(positives * negatives)
    }

    /// The mean negative log-likelihood of the labels, probabilities clipped to [1e-15, 1 - 1e-15].
    public static func logLoss(truth: [Int], probabilities: [Double]) -> Double {
        guard !truth.isEmpty, truth.count == probabilities.count else { return .nan }
        let epsilon = 1e-15
        let total = zip(truth, probabilities).reduce(0.0) { sum, pair in
            let p = min(max(pair.1, epsilon), 1 - epsilon)
            return sum - (pair.0 == 1 ? log(p) : log(1 - p))
        }
        return total / Double(truth.count)
    }

    /// The root of the mean squared error.
    public static func rmse(truth: [Double], predicted: [Double]) -> Double {
        guard !truth.isEmpty, truth.count == predicted.count else { return .nan }
        return (zip(truth, predicted).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(truth.count)).squareRoot()
    }

    /// The mean absolute error.
    public static func mae(truth: [Double], predicted: [Double]) -> Double {
        guard !truth.isEmpty, truth.count == predicted.count else { return .nan }
        return zip(truth, predicted).reduce(0.0) { $0 + abs($1.0 - $1.1) } / Double(truth.count)
    }

    /// The coefficient of determination: 1 − residual / total sum of squares. With constant
    /// truth: 1 for a perfect prediction, else 0.
    public static func r2(truth: [Double], predicted: [Double]) -> Double {
        guard !truth.isEmpty, truth.count == predicted.count else { return .nan }
        let mean = truth.reduce(0, +) / Double(truth.count)
        let residual = zip(truth, predicted).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let total = truth.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) }
        guard total > 0 else { return residual == 0 ? 1 : 0 }
        return 1 - residual / total
    }

    private static func confusion(_ truth: [Int], _ predicted: [Int]) -> (truePositive: Int, falsePositive: Int, falseNegative: Int) {
        var counts = (truePositive: 0, falsePositive: 0, falseNegative: 0)
        for (actual, guess) in zip(truth, predicted) {
            switch (actual, guess) {
            case (1, 1): counts.truePositive += 1
            case (_, 1): counts.falsePositive += 1
            case (1, _): counts.falseNegative += 1
            default: break
            }
        }
        return counts
    }
}
