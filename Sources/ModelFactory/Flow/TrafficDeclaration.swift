internal import Foundation
internal import Yams

/// The traffic policy declared in git: `.mf/traffic.yaml` on the production line, so starting or
/// ending an A/B test or a shadow is a reviewed commit that `mf serve --follow` applies.
///
/// ```yaml
/// churn:
///   weights: { "1.0.0": 90, "1.1.0": 10 }
///   sticky_header: X-Customer
///   shadow: "1.2.0"
///   rollout: { steps: [5, 25, 50, 100], step: { requests: 500 }, gates: { error_rate: "<= 0.01" } }
/// ```
public struct TrafficDeclaration: Sendable, Equatable {
    /// One model's policy (also what `mf serve`'s admin API reads and writes as JSON).
    public struct Model: Sendable, Equatable, Codable {
        /// The largest weight (so the weights of any number of versions add up without overflow).
        public static let maxWeight = 1_000_000
        /// Weighted A/B: version → weight; empty sends everything to the current version.
        public var weights: [String: Int] = [:]
        /// The version that gets a copy of every request, its answer compared and recorded but never returned; nil for no shadow.
        public var shadow: String?
        /// The request header whose value pins a caller to one weighted version (equal values, equal version); nil to choose at random.
        public var stickyHeader: String?

        /// A policy; by default no split, no shadow and no sticky header, so everything goes to the current version.
        public init(weights: [String: Int] = [:], shadow: String? = nil, stickyHeader: String? = nil) {
            self.weights = weights
            self.shadow = shadow
            self.stickyHeader = stickyHeader
        }
    }

    /// A declaration naming no model, as when the production line has no `.mf/traffic.yaml`.
    public init() {}

    /// The file's path inside the repository, read from the production line's head.
    public static let path = ".mf/traffic.yaml"
    /// The environment whose head's declaration the reconciler records in the store
    /// (`FactoryStore.record(traffic:)`), for the servers that follow it.
    public static let environment = "production"

    /// By model name.
    public var models: [String: Model] = [:]

    /// The `rollout:` blocks, by model name: a new production release of these models is rolled
    /// out step by step (`RolloutPlan`) instead of swapped in at once.
    public var rollouts: [String: RolloutPlan] = [:]

    /// Parses the file; throws `ManifestError` naming each problem.
    public static func parse(_ text: String) throws -> TrafficDeclaration {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw ManifestError(file: path, problems: [.init(path: "", message: "not valid YAML: \(error)")])
        }
        guard let node else { return TrafficDeclaration() }
        guard let mapping = node.mapping else {
            throw ManifestError(file: path, problems: [.init(path: "", message: "expected a mapping of model names")])
        }
        var declaration = TrafficDeclaration()
        var problems: [ManifestError.Problem] = []
        for (key, value) in mapping {
            guard let name = key.string, let fields = value.mapping else {
                problems.append(.init(path: key.string ?? "?", message: "expected a mapping with weights, shadow, sticky_header, rollout"))
                continue
            }
            var model = Model()
            for (field, setting) in fields {
                switch field.string {
                case "weights":
                    guard let weights = setting.mapping else {
                        problems.append(.init(path: "\(name).weights", message: "expected version: weight"))
                        continue
                    }
                    for (version, weight) in weights {
                        guard let version = version.string, let value = weight.int, (0...Model.maxWeight).contains(value) else {
                            problems.append(.init(path: "\(name).weights", message: "expected version: a whole weight from 0 to \(Model.maxWeight)"))
                            continue
                        }
                        model.weights[version] = value
                    }
                case "shadow":
                    guard let version = setting.string else {
                        problems.append(.init(path: "\(name).shadow", message: "expected a version"))
                        continue
                    }
                    model.shadow = version
                case "sticky_header":
                    guard let header = setting.string, !header.isEmpty else {
                        problems.append(.init(path: "\(name).sticky_header", message: "expected a header name"))
                        continue
                    }
                    model.stickyHeader = header
                case "rollout":
                    let (plan, found) = RolloutPlan.parse(setting, model: name)
                    problems += found
                    declaration.rollouts[name] = plan
                default:
                    problems.append(
                        .init(path: "\(name).\(field.string ?? "?")", message: "unknown setting; expected weights, shadow, sticky_header or rollout"))
                }
            }
            if !model.weights.isEmpty, model.weights.values.reduce(0, +) == 0 {
                problems.append(.init(path: "\(name).weights", message: "the weights are all zero"))
            }
            declaration.models[name] = model
        }
        guard problems.isEmpty else { throw ManifestError(file: path, problems: problems) }
        return declaration
    }
}

extension TrafficDeclaration.Model: CustomStringConvertible {
    /// The policy as a log line shows it, in YAML's flow style and versions in order:
    /// `weights {1.0.0: 90, 1.1.0: 10}, sticky header X-Customer, shadow none`.
    public var description: String {
        let ordered = weights.sorted { left, right in
            if let one = Version(left.key), let other = Version(right.key), one != other { return one < other }
            return left.key < right.key
        }
        var text = "weights " + (ordered.isEmpty ? "none" : "{" + ordered.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}")
        if let stickyHeader { text += ", sticky header \(stickyHeader)" }
        return text + ", shadow \(shadow ?? "none")"
    }
}
