public import Foundation
internal import SystemKit
internal import Yams

/// A model's `rollout:` block of `.mf/traffic.yaml`: how `mf serve --follow production` moves
/// traffic to a new release step by step instead of swapping at once, and the gates each step
/// must pass, the new release compared with the one in service over that step.
///
/// ```yaml
/// churn:
///   rollout:
///     steps: [5, 25, 50, 100]
///     step: { requests: 500 }          # or { seconds: 300 }
///     gates:
///       error_rate: "<= 0.01"
///       p99_ms: "<= 50"
///       shadow_agreement: ">= 0.95"
///       live.auc: ">= served - 0.02"
///       psi: "<= 0.2"
/// ```
public struct RolloutPlan: Sendable, Equatable {
    /// How long a step lasts.
    public enum StepLength: Sendable, Equatable {
        /// Until the new release has answered this many requests in the step.
        case requests(Int)
        /// This many seconds.
        case seconds(Double)
    }

    /// The new release's share of the traffic at each step, in percent: increasing, ending at 100.
    public var steps: [Int]
    /// How long each step lasts.
    public var step: StepLength
    /// The gates every step must pass, by name.
    public var gates: [RolloutGate]

    /// A plan with its steps, step length and gates.
    public init(steps: [Int], step: StepLength, gates: [RolloutGate]) {
        self.steps = steps
        self.step = step
        self.gates = gates.sorted { $0.name < $1.name }
    }

    /// The gate of `measure`, if declared.
    public func gate(_ measure: RolloutGate.Measure) -> RolloutGate? { gates.first { $0.measure == measure } }

    /// The plan in one line, as decisions and the digest use it:
    /// `steps 5,25,50,100; step 500 requests; error_rate <= 0.01, p99_ms <= 50`.
    public var summary: String {
        let length =
            switch step {
            case .requests(let count): "\(count) requests"
            case .seconds(let seconds): "\(RolloutGate.text(seconds)) s"
            }
        return "steps \(steps.map(String.init).joined(separator: ",")); step \(length)"
            + (gates.isEmpty ? "" : "; " + gates.map { "\($0.name) \($0.condition)" }.joined(separator: ", "))
    }

    /// The digest of the plan (not of its YAML's spelling): a rollback holds until it changes.
    public var digest: String { HexDigest.sha256(summary) }

    /// Reads a `rollout:` block of model `model`; every problem is named by its key
    /// (`churn.rollout.gates.latency`).
    static func parse(_ node: Node, model: String) -> (plan: RolloutPlan?, problems: [ManifestError.Problem]) {
        let path = "\(model).rollout"
        var problems: [ManifestError.Problem] = []
        guard let fields = node.mapping else { return (nil, [.init(path: path, message: "expected a mapping with steps, step and gates")]) }
        var steps: [Int]?
        var length: StepLength?
        var gates: [RolloutGate] = []
        for (key, value) in fields {
            let name = key.string ?? "?"
            switch name {
            case "steps":
                let numbers = value.sequence?.compactMap(\.int) ?? []
                guard let list = value.sequence, !list.isEmpty, numbers.count == list.count else {
                    problems.append(.init(path: "\(path).steps", message: "expected a list of whole percentages, such as [5, 25, 50, 100]"))
                    continue
                }
                if numbers.contains(where: { !(1...100).contains($0) }) {
                    problems.append(.init(path: "\(path).steps", message: "a step is a percentage from 1 to 100"))
                } else if zip(numbers, numbers.dropFirst()).contains(where: { $0 >= $1 }) {
                    problems.append(.init(path: "\(path).steps", message: "the steps must increase"))
                } else if numbers.last != 100 {
                    problems.append(.init(path: "\(path).steps", message: "the last step must be 100"))
                } else {
                    steps = numbers
                }
            case "step":
                guard let entries = value.mapping, entries.count == 1, let entry = entries.first else {
                    problems.append(.init(path: "\(path).step", message: "expected { requests: N } or { seconds: T }"))
                    continue
                }
                let (unit, amount) = (entry.key.string, entry.value)
                switch unit {
                case "requests":
                    if let count = amount.int, count > 0 {
                        length = .requests(count)
                    } else {
                        problems.append(.init(path: "\(path).step.requests", message: "expected a whole number of requests above 0"))
                    }
                case "seconds":
                    if let seconds = amount.float ?? amount.int.map(Double.init), seconds > 0, seconds.isFinite {
                        length = .seconds(seconds)
                    } else {
                        problems.append(.init(path: "\(path).step.seconds", message: "expected a number of seconds above 0"))
                    }
                default:
                    problems.append(.init(path: "\(path).step.\(unit ?? "?")", message: "unknown unit; expected requests or seconds"))
                }
            case "gates":
                guard let entries = value.mapping else {
                    problems.append(.init(path: "\(path).gates", message: "expected gate: condition, such as error_rate: \"<= 0.01\""))
                    continue
                }
                for (gateKey, condition) in entries {
                    let gateName = gateKey.string ?? "?"
                    let gatePath = "\(path).gates.\(gateName)"
                    guard let measure = RolloutGate.Measure(gateName) else {
                        problems.append(.init(path: gatePath, message: "unknown gate; expected error_rate, p99_ms, shadow_agreement, psi or live.METRIC"))
                        continue
                    }
                    guard let text = condition.string, let gate = RolloutGate(name: gateName, measure: measure, condition: text) else {
                        problems.append(
                            .init(
                                path: gatePath,
                                message: "expected a condition such as \"<= 0.01\" or \">= served - 0.02\" (<=, >=, < or > a number, or served ± a number)"))
                        continue
                    }
                    gates.append(gate)
                }
            default:
                problems.append(.init(path: "\(path).\(name)", message: "unknown setting; expected steps, step or gates"))
            }
        }
        let keys = fields.map { $0.key.string }
        if steps == nil, !keys.contains("steps") {
            problems.append(.init(path: "\(path).steps", message: "missing; expected a list of percentages ending at 100"))
        }
        if length == nil, !keys.contains("step") {
            problems.append(.init(path: "\(path).step", message: "missing; expected { requests: N } or { seconds: T }"))
        }
        guard problems.isEmpty, let steps, let length else { return (nil, problems) }
        return (RolloutPlan(steps: steps, step: length, gates: gates), [])
    }
}

/// One gate of a rollout step: a measure of the new release over the step, compared with a
/// number or with the same measure of the release in service (`served - 0.02`).
public struct RolloutGate: Sendable, Equatable {
    /// What a gate measures.
    public enum Measure: Sendable, Equatable, Hashable {
        /// Failed predictions (5xx, worker errors) per prediction request.
        case errorRate
        /// The 99th percentile of the prediction latency, in milliseconds.
        case p99Milliseconds
        /// The share of shadow copies whose answers agree with the release in service.
        case shadowAgreement
        /// The largest PSI of an input field (see `RolloutSignals`).
        case psi
        /// The newest live metric of that name (split `live`, once labels arrive).
        case live(String)

        /// The measure a gate's name declares: `error_rate`, `p99_ms`, `shadow_agreement`, `psi`, `live.METRIC`.
        public init?(_ name: String) {
            switch name {
            case "error_rate": self = .errorRate
            case "p99_ms": self = .p99Milliseconds
            case "shadow_agreement": self = .shadowAgreement
            case "psi": self = .psi
            default:
                guard name.hasPrefix("live."), name.count > 5 else { return nil }
                self = .live(String(name.dropFirst(5)))
            }
        }
    }

    /// How a value is compared with the bound.
    public enum Comparison: String, Sendable, Equatable, CaseIterable {
        case atMost = "<="
        case atLeast = ">="
        case below = "<"
        case above = ">"
    }

    /// The gate's name as declared (`error_rate`, `live.auc`).
    public var name: String
    /// What it measures.
    public var measure: Measure
    /// How the new release's value is compared.
    public var comparison: Comparison
    /// The bound, or the offset from the served release's value when `relative`.
    public var bound: Double
    /// Whether the bound is the served release's value plus `bound`.
    public var relative: Bool

    /// Parses a condition: `<= 0.01`, `> 3`, `>= served - 0.02`, `<= served`; nil when it is none.
    public init?(name: String, measure: Measure, condition: String) {
        self.name = name
        self.measure = measure
        var rest = Substring(condition.trimmingCharacters(in: .whitespaces))
        guard let comparison = Comparison.allCases.sorted(by: { $0.rawValue.count > $1.rawValue.count }).first(where: { rest.hasPrefix($0.rawValue) })
        else { return nil }
        self.comparison = comparison
        rest = rest.dropFirst(comparison.rawValue.count).drop { $0 == " " }
        if rest.hasPrefix("served") {
            relative = true
            let offset = rest.dropFirst(6).filter { $0 != " " }
            if offset.isEmpty {
                bound = 0
            } else {
                guard let sign = offset.first, sign == "+" || sign == "-", let number = Double(offset.dropFirst()), number.isFinite else { return nil }
                bound = sign == "-" ? -number : number
            }
        } else {
            relative = false
            guard let number = Double(rest), number.isFinite else { return nil }
            bound = number
        }
    }

    /// The condition as declared, normalised: `<= 0.01`, `>= served - 0.02`.
    public var condition: String {
        let number = Self.text
        guard relative else { return "\(comparison.rawValue) \(number(bound))" }
        if bound == 0 { return "\(comparison.rawValue) served" }
        return "\(comparison.rawValue) served \(bound < 0 ? "-" : "+") \(number(abs(bound)))"
    }

    /// The number `value` is compared with: the bound, or the served release's value plus the
    /// bound (nil when that value is unknown).
    public func limit(served: Double?) -> Double? {
        guard relative else { return bound }
        return served.map { $0 + bound }
    }

    /// Whether `value` passes against `limit`.
    public func passes(_ value: Double, limit: Double) -> Bool {
        switch comparison {
        case .atMost: value <= limit
        case .atLeast: value >= limit
        case .below: value < limit
        case .above: value > limit
        }
    }

    /// A number as a sentence shows it: `50`, `0.01`.
    public static func text(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// The comparison that fails it, for a sentence: `>` for `<=`.
    public var failing: String {
        switch comparison {
        case .atMost: ">"
        case .atLeast: "<"
        case .below: ">="
        case .above: "<="
        }
    }
}
