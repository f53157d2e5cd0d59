/// A model plugin's `model.yaml`: what the model is called, how to build it and start a
/// worker, where its data is, its input and output schema, its gates and its examples.
///
/// ```yaml
/// name: churn
/// runtime: swift            # swift | python | command
/// run: [".build/release/churn"]   # build: left out, so the factory's reproducible release build
/// train:    { data: data/train.csv, seed: 42 }
/// evaluate: { data: data/test.csv }
/// schema:
///   inputs:  [{ name: tenure, type: double, min: 0 }, { name: contract, type: string, values: [monthly, yearly] }]
///   outputs: [{ name: churn_probability, type: double }]
/// gates: { auc: ">= 0.75", max_regression: 0.02 }
/// examples: [{ tenure: 12, contract: monthly }]
/// system_packages: [libgomp1]      # Debian packages the worker needs at run time
/// monitor: { key: customer_id, label: churned, psi: 0.2 }   # the production loop
/// expect: { rows: ">= 500", unique: [customer_id], columns: { tenure: { type: int, min: 0 } } }
/// ```
public struct Manifest: Sendable, Equatable {
    /// How a plugin is built and run.
    public enum Runtime: String, Sendable, CaseIterable, Codable {
        case swift, python, command
    }

    /// The model's name: letters, digits, `-`, `_`, `.`.
    public var name: String
    /// How the plugin is built and run: a Swift package, a Python runner (`mf_runner.py` unless `run` says otherwise), or any command.
    public var runtime: Runtime
    /// Shell commands that build the plugin, run in order in its folder. Left out for a Swift
    /// plugin, it is `Manifest.swiftReleaseBuild`.
    public var build: [String]
    /// The command (program and arguments) that starts one worker.
    public var run: [String]
    /// The training data and seed (`train:`).
    public var train: Training
    /// The evaluation data (`evaluate:`).
    public var evaluate: Evaluation
    /// The input and output fields of a prediction (`schema:`), against which instances are checked.
    public var schema: Schema
    /// The conditions on the metrics a build must meet (`gates:`); none when the key is left out.
    public var gates: Gates
    /// Instances every build predicts, to prove the worker answers.
    public var examples: [[String: Value]]
    /// The Debian packages the model needs at run time (`nodejs`), which the bundle's
    /// Dockerfile installs; names as Debian allows them.
    public var systemPackages: [String] = []
    /// How the served model is watched in production (`monitor:`): its business key, its label
    /// column and its drift threshold; all defaults when the key is left out.
    public var monitor = Monitor()
    /// What the training, evaluation and scoring data must look like (`expect:`), checked by
    /// the session's `validate` step and before scoring; no rules when the key is left out.
    public var expect = Expectations()

    /// The build of a Swift plugin that gives the same executable from the same commit in any
    /// folder (DESIGN.md "Bundles"): a release build with the Swift runtime linked in statically,
    /// source paths mapped to `/mf/plugin` (`#filePath`, C sources), no debug information (its
    /// clang module cache folder and module signatures derive from the absolute build path,
    /// which prefix maps do not reach), and no incremental LLVM code generation (its
    /// `.swift_modhash` section hashes bitcode that names the absolute source file).
    public static let swiftReleaseBuild = """
        swift build -c release --static-swift-stdlib \
        -Xswiftc -file-prefix-map -Xswiftc "$PWD=/mf/plugin" -Xswiftc -debug-prefix-map -Xswiftc "$PWD=/mf/plugin" \
        -Xcc -ffile-prefix-map="$PWD=/mf/plugin" -Xswiftc -gnone -Xswiftc -Xfrontend -Xswiftc -disable-incremental-llvm-codegen
        """

    /// What `train` is given.
    public struct Training: Sendable, Equatable {
        /// The training data, relative to the plugin's folder.
        public var data: String
        /// The seed for every random choice in training (`train.seed`); nil when not written, and then training gets 0.
        public var seed: Int?

        /// Training on `data` (a path relative to the plugin's folder), with `seed` when the manifest gives one.
        public init(data: String, seed: Int? = nil) {
            self.data = data
            self.seed = seed
        }
    }

    /// What `evaluate` is given.
    public struct Evaluation: Sendable, Equatable {
        /// The evaluation data, relative to the plugin's folder.
        public var data: String
    }

    /// The fields a prediction takes and gives.
    public struct Schema: Sendable, Equatable {
        /// The fields of each instance a prediction takes, in the manifest's order.
        public var inputs: [Field]
        /// The fields of each prediction the model gives, in the manifest's order.
        public var outputs: [Field]
    }

    /// One named field of the schema.
    public struct Field: Sendable, Equatable {
        /// The type of a field's value: a number (`double`), a whole number (`int`), a `string` or a `bool`.
        public enum Kind: String, Sendable, CaseIterable, Codable {
            case double, int, string, bool
        }

        /// The field's key in an instance or a prediction, unique within its list.
        public var name: String
        /// The type a value of the field must have.
        public var type: Kind
        /// The smallest value allowed (inclusive), for `double` and `int` fields only; nil for no lower bound.
        public var min: Double?
        /// The largest value allowed (inclusive), for `double` and `int` fields only; nil for no upper bound.
        public var max: Double?
        /// The values a string field may take; nil for any.
        public var values: [String]?

        /// A field of `name` and `type`, with optional bounds (numbers) or allowed values (strings).
        public init(name: String, type: Kind, min: Double? = nil, max: Double? = nil, values: [String]? = nil) {
            self.name = name
            self.type = type
            self.min = min
            self.max = max
            self.values = values
        }
    }

    /// The conditions a build must meet to pass.
    public struct Gates: Sendable, Equatable {
        /// Absolute conditions on metrics (`auc >= 0.75`).
        public var thresholds: [Threshold]
        /// How much worse than the previous release any metric may be; nil for no limit.
        public var maxRegression: Double?
    }

    /// One condition on a metric.
    public struct Threshold: Sendable, Equatable, CustomStringConvertible {
        /// How the measured value must compare with the threshold: `>=`, `>`, `<=`, `<` or `==`, as written in `gates:`.
        public enum Comparison: String, Sendable, CaseIterable {
            case atLeast = ">="
            case above = ">"
            case atMost = "<="
            case below = "<"
            case equal = "=="
        }

        /// The metric's name, as the model reports it (`auc`).
        public var metric: String
        /// How the metric must compare with `value`.
        public var comparison: Comparison
        /// The number the metric is compared with.
        public var value: Double

        /// The condition `metric comparison value`, such as `auc >= 0.75`.
        public init(metric: String, comparison: Comparison, value: Double) {
            self.metric = metric
            self.comparison = comparison
            self.value = value
        }

        /// True when `measured` meets the condition.
        public func isMet(by measured: Double) -> Bool {
            switch comparison {
            case .atLeast: measured >= value
            case .above: measured > value
            case .atMost: measured <= value
            case .below: measured < value
            case .equal: measured == value
            }
        }

        /// "metric comparison value", as in `auc >= 0.75`.
        public var description: String { "\(metric) \(comparison.rawValue) \(value)" }
    }

    /// The production loop's settings (DESIGN.md "Production loop").
    public struct Monitor: Sendable, Equatable {
        /// The PSI past which a field's drift is an alert when `monitor.psi` is left out.
        public static let defaultPSI = 0.2

        /// The input field whose value is a prediction's id (compared as a string), instead of
        /// an id the server makes; nil for the server's ids.
        public var key: String?
        /// The column of the training and evaluation data that holds the label: the name
        /// feedback's labels take in the live data table handed to `evaluate`; nil when the
        /// model names none (then live metrics are not computed).
        public var label: String?
        /// The population stability index past which an input field's drift is an alert.
        public var psi: Double = Monitor.defaultPSI

        /// Settings with the given key, label column and PSI threshold.
        public init(key: String? = nil, label: String? = nil, psi: Double = Monitor.defaultPSI) {
            self.key = key
            self.label = label
            self.psi = psi
        }
    }

    /// A JSON-like scalar in an example instance.
    public enum Value: Sendable, Equatable, Hashable {
        case null
        case bool(Bool)
        case int(Int)
        case double(Double)
        case string(String)
    }
}
