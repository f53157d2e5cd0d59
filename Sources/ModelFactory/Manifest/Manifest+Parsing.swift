internal import Foundation
internal import Yams

extension Manifest {
    /// Parses and validates the text of a `model.yaml`. `file` names it in errors.
    ///
    /// Every problem is collected, not only the first, so one run shows all that needs fixing.
    public static func parse(_ text: String, file: String = "model.yaml") throws(ManifestError) -> Manifest {
        var reader = Reader()
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ManifestError(file: file, problems: [.init(path: "", message: "not valid YAML: \(error)")])
        }
        guard let node, let manifest = reader.manifest(node) else {
            if node == nil { reader.problem("", "the file is empty; expected name, runtime, train, evaluate and schema") }
            throw ManifestError(file: file, problems: reader.problems)
        }
        guard reader.problems.isEmpty else { throw ManifestError(file: file, problems: reader.problems) }
        return manifest
    }
}

/// Walks the YAML tree, keeping the path of where it is for each problem it finds.
struct Reader {
    var problems: [ManifestError.Problem] = []
    /// Keys a misspelt key was taken for: what is wrong there (it is missing) is the typo's
    /// consequence, already reported with the typo, so it is not reported again.
    var misspelt: Set<String> = []

    mutating func problem(_ path: String, _ message: String) {
        guard !misspelt.contains(where: { path == $0 || path.hasPrefix($0 + ".") || path.hasPrefix($0 + "[") }) else { return }
        problems.append(.init(path: path, message: message))
    }

    func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// The mapping at `path`, with unknown keys reported (with the key each resembles, if one
    /// that is absent does).
    mutating func mapping(_ node: Node, _ path: String, allowed: [String]) -> [String: Node]? {
        guard let mapping = node.mapping else {
            problem(path, "expected a mapping with keys \(allowed.joined(separator: ", "))")
            return nil
        }
        var result: [String: Node] = [:]
        var unknown: [String] = []
        for (key, value) in mapping {
            let name = key.scalar?.string ?? "?"
            if allowed.contains(name) { result[name] = value } else { unknown.append(name) }
        }
        for name in unknown {
            if let meant = Self.resembled(name, among: allowed.filter { result[$0] == nil }) {
                problem(path, "unknown key '\(name)'; did you mean '\(meant)'?")
                misspelt.insert(join(path, meant))
            } else {
                problem(path, "unknown key '\(name)'; expected one of \(allowed.joined(separator: ", "))")
            }
        }
        return result
    }

    /// The candidate `key` is most likely a misspelling of: the nearest by edit distance
    /// (a swap of two neighbours counts as one edit), within a third of its length, at most 2.
    static func resembled(_ key: String, among candidates: [String]) -> String? {
        let typed = Array(key.lowercased())
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let limit = min(2, max(1, candidate.count / 3))
            let distance = editDistance(typed, Array(candidate))
            if distance <= limit, distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        return best?.name
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
    /// neighbours.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1) }
            }
        }
        return table[a.count][b.count]
    }

    mutating func string(_ node: Node?, _ path: String, required: Bool = true) -> String? {
        guard let node else {
            if required { problem(path, "missing; expected a string") }
            return nil
        }
        guard let scalar = node.scalar, !scalar.string.isEmpty else {
            problem(path, "expected a non-empty string")
            return nil
        }
        return scalar.string
    }

    mutating func number(_ node: Node?, _ path: String) -> Double? {
        guard let node else { return nil }
        guard let value = node.float ?? node.int.map(Double.init), value.isFinite else {
            problem(path, "expected a number")
            return nil
        }
        return value
    }

    mutating func strings(_ node: Node?, _ path: String, required: Bool) -> [String]? {
        guard let node else {
            if required { problem(path, "missing; expected a list of strings") }
            return nil
        }
        if let scalar = node.scalar, !scalar.string.isEmpty { return [scalar.string] }
        guard let sequence = node.sequence else {
            problem(path, "expected a list of strings")
            return nil
        }
        var values: [String] = []
        for (index, item) in sequence.enumerated() {
            if let value = string(item, "\(path)[\(index)]") { values.append(value) }
        }
        return values
    }

    mutating func manifest(_ node: Node) -> Manifest? {
        let keys = ["name", "runtime", "build", "run", "train", "evaluate", "schema", "gates", "examples", "system_packages", "monitor", "expect"]
        guard let fields = mapping(node, "", allowed: keys) else { return nil }
        let name = string(fields["name"], "name")
        if let name, !name.utf8.allSatisfy({ isNameByte($0) }) {
            problem("name", "expected letters, digits, '-', '_' or '.', got '\(name)'")
        }
        var runtime: Manifest.Runtime?
        if let text = string(fields["runtime"], "runtime") {
            runtime = Manifest.Runtime(rawValue: text)
            if runtime == nil {
                problem("runtime", "expected one of \(Manifest.Runtime.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
            }
        }
        var build = strings(fields["build"], "build", required: false) ?? []
        if fields["build"] == nil, runtime == .swift { build = [Manifest.swiftReleaseBuild] }
        // Required unless the runtime is python (or its key is misspelt: what it meant is unknown).
        var run = strings(fields["run"], "run", required: runtime != .python && !misspelt.contains("runtime"))
        if run == nil, runtime == .python { run = ["python3", "-u", "mf_runner.py"] }
        let train = training(fields["train"])
        let evaluate = evaluation(fields["evaluate"])
        let schema = self.schema(fields["schema"])
        let gates = self.gates(fields["gates"])
        let examples = self.examples(fields["examples"], schema: schema)
        let systemPackages = self.systemPackages(fields["system_packages"])
        let monitor = self.monitor(fields["monitor"], schema: schema)
        let expect = expectations(fields["expect"])
        guard let name, let runtime, let run, let train, let evaluate, let schema, let gates else { return nil }
        return Manifest(
            name: name, runtime: runtime, build: build, run: run, train: train, evaluate: evaluate,
            schema: schema, gates: gates, examples: examples, systemPackages: systemPackages, monitor: monitor, expect: expect)
    }

    /// `monitor: {key, label, psi}`: the key must be an input of the schema; the label must not
    /// be one (it is what the model predicts, not what it is given); the PSI is above 0.
    mutating func monitor(_ node: Node?, schema: Manifest.Schema?) -> Manifest.Monitor {
        var monitor = Manifest.Monitor()
        guard let node, let fields = mapping(node, "monitor", allowed: ["key", "label", "psi"]) else { return monitor }
        monitor.key = string(fields["key"], "monitor.key", required: false)
        monitor.label = string(fields["label"], "monitor.label", required: false)
        if let psi = number(fields["psi"], "monitor.psi") {
            if psi > 0 { monitor.psi = psi } else { problem("monitor.psi", "expected a number above 0, got \(Manifest.Schema.numberText(psi))") }
        }
        if let key = monitor.key, let schema, !schema.inputs.contains(where: { $0.name == key }) {
            problem("monitor.key", "'\(key)' is not an input of the schema; expected one of \(schema.inputs.map(\.name).joined(separator: ", "))")
        }
        if let label = monitor.label, let schema, schema.inputs.contains(where: { $0.name == label }) {
            problem("monitor.label", "'\(label)' is an input of the schema; the label column is what the model learns to predict")
        }
        return monitor
    }

    /// Debian package names (Debian Policy 5.6.1): lower-case letters, digits, `+`, `-` and `.`,
    /// at least two characters, starting with a letter or digit; each once.
    mutating func systemPackages(_ node: Node?) -> [String] {
        guard let names = strings(node, "system_packages", required: false) else { return [] }
        var result: [String] = []
        for (index, name) in names.enumerated() {
            let bytes = Array(name.utf8)
            let valid =
                bytes.count >= 2 && (isLowerAlphanumeric(bytes[0]))
                && bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E }
            if !valid {
                problem(
                    "system_packages[\(index)]",
                    "'\(name)' is not a Debian package name (lower-case letters, digits, '+', '-' and '.', at least two, starting with a letter or digit)")
            } else if result.contains(name) {
                problem("system_packages[\(index)]", "'\(name)' is named twice")
            } else {
                result.append(name)
            }
        }
        return result
    }

    func isLowerAlphanumeric(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) || (0x61...0x7A).contains(byte) }

    func isNameByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            || byte == 0x2D || byte == 0x2E || byte == 0x5F
    }

    mutating func training(_ node: Node?) -> Manifest.Training? {
        guard let node else {
            problem("train", "missing; expected a mapping with data (and seed)")
            return nil
        }
        guard let fields = mapping(node, "train", allowed: ["data", "seed"]) else { return nil }
        let data = string(fields["data"], "train.data")
        var seed: Int?
        if let node = fields["seed"] {
            seed = node.int
            if seed == nil { problem("train.seed", "expected a whole number") }
        }
        return data.map { Manifest.Training(data: $0, seed: seed) }
    }

    mutating func evaluation(_ node: Node?) -> Manifest.Evaluation? {
        guard let node else {
            problem("evaluate", "missing; expected a mapping with data")
            return nil
        }
        guard let fields = mapping(node, "evaluate", allowed: ["data"]) else { return nil }
        return string(fields["data"], "evaluate.data").map { Manifest.Evaluation(data: $0) }
    }

    mutating func schema(_ node: Node?) -> Manifest.Schema? {
        guard let node else {
            problem("schema", "missing; expected a mapping with inputs and outputs")
            return nil
        }
        guard let fields = mapping(node, "schema", allowed: ["inputs", "outputs"]) else { return nil }
        let inputs = self.fields(fields["inputs"], "schema.inputs")
        let outputs = self.fields(fields["outputs"], "schema.outputs")
        guard let inputs, let outputs else { return nil }
        return Manifest.Schema(inputs: inputs, outputs: outputs)
    }

    mutating func fields(_ node: Node?, _ path: String) -> [Manifest.Field]? {
        guard let sequence = node?.sequence, !sequence.isEmpty else {
            problem(path, node == nil ? "missing; expected a list of fields" : "expected a non-empty list of fields")
            return nil
        }
        var result: [Manifest.Field] = []
        var seen = Set<String>()
        for (index, item) in sequence.enumerated() {
            let itemPath = "\(path)[\(index)]"
            guard let fields = mapping(item, itemPath, allowed: ["name", "type", "min", "max", "values"]) else { continue }
            let name = string(fields["name"], itemPath + ".name")
            if let name, !seen.insert(name).inserted { problem(itemPath + ".name", "'\(name)' is named twice") }
            var kind: Manifest.Field.Kind?
            let kinds = Manifest.Field.Kind.allCases.map(\.rawValue).joined(separator: ", ")
            if let text = fields["type"]?.scalar?.string {
                kind = Manifest.Field.Kind(rawValue: text)
                if kind == nil { problem(itemPath + ".type", "expected one of \(kinds), got '\(text)'") }
            } else {
                problem(itemPath + ".type", "missing; expected one of \(kinds)")
            }
            let minimum = number(fields["min"], itemPath + ".min")
            let maximum = number(fields["max"], itemPath + ".max")
            if let minimum, let maximum, minimum > maximum {
                problem(itemPath + ".max", "must not be below min (\(Manifest.Schema.numberText(minimum)))")
            }
            if minimum != nil || maximum != nil, let kind, kind != .double, kind != .int {
                problem(itemPath + (minimum != nil ? ".min" : ".max"), "only double and int fields take bounds")
            }
            let values = strings(fields["values"], itemPath + ".values", required: false)
            if values != nil, let kind, kind != .string {
                problem(itemPath + ".values", "only string fields take a list of values")
            }
            if let name, let kind {
                result.append(Manifest.Field(name: name, type: kind, min: minimum, max: maximum, values: values))
            }
        }
        return result
    }

    mutating func gates(_ node: Node?) -> Manifest.Gates? {
        guard let node else { return Manifest.Gates(thresholds: [], maxRegression: nil) }
        guard let mapping = node.mapping else {
            problem("gates", "expected a mapping of metric names to conditions such as \">= 0.75\"")
            return nil
        }
        var gates = Manifest.Gates(thresholds: [], maxRegression: nil)
        for (key, value) in mapping {
            let metric = key.scalar?.string ?? "?"
            let path = "gates." + metric
            if metric == "max_regression" {
                if let limit = number(value, path) {
                    if limit < 0 { problem(path, "expected a number of at least 0") } else { gates.maxRegression = limit }
                }
                continue
            }
            guard let text = value.scalar?.string else {
                problem(path, "expected a condition such as \">= 0.75\"")
                continue
            }
            if let threshold = Self.threshold(metric: metric, text) {
                gates.thresholds.append(threshold)
            } else {
                problem(path, "expected a condition such as \">= 0.75\" (>=, >, <=, <, == and a number), got '\(text)'")
            }
        }
        return gates
    }

    static func threshold(metric: String, _ text: String) -> Manifest.Threshold? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        // A bare number means "at least".
        if let value = Double(trimmed), value.isFinite { return .init(metric: metric, comparison: .atLeast, value: value) }
        for comparison in Manifest.Threshold.Comparison.allCases.sorted(by: { $0.rawValue.count > $1.rawValue.count })
        where trimmed.hasPrefix(comparison.rawValue) {
            let rest = trimmed.dropFirst(comparison.rawValue.count).trimmingCharacters(in: .whitespaces)
            guard let value = Double(rest), value.isFinite else { return nil }
            return .init(metric: metric, comparison: comparison, value: value)
        }
        return nil
    }

    mutating func examples(_ node: Node?, schema: Manifest.Schema?) -> [[String: Manifest.Value]] {
        guard let node else { return [] }
        guard let sequence = node.sequence else {
            problem("examples", "expected a list of instances")
            return []
        }
        var result: [[String: Manifest.Value]] = []
        for (index, item) in sequence.enumerated() {
            let path = "examples[\(index)]"
            guard let mapping = item.mapping else {
                problem(path, "expected a mapping of input names to values")
                continue
            }
            var instance: [String: Manifest.Value] = [:]
            for (key, value) in mapping {
                let name = key.scalar?.string ?? "?"
                instance[name] = Self.value(value)
            }
            if let schema {
                for problem in schema.check(instance) { self.problem("\(path).\(problem.path)", problem.message) }
            }
            result.append(instance)
        }
        return result
    }

    static func value(_ node: Node) -> Manifest.Value {
        guard let scalar = node.scalar else { return .null }
        if node.null != nil { return .null }
        if let flag = node.bool { return .bool(flag) }
        if let number = node.int { return .int(number) }
        if let number = node.float { return .double(number) }
        return .string(scalar.string)
    }
}

extension Manifest.Schema {
    /// The problems of one instance against the inputs: unknown, missing, mistyped or
    /// out-of-range fields, each with the field's name as its path.
    public func check(_ instance: [String: Manifest.Value]) -> [ManifestError.Problem] {
        var problems: [ManifestError.Problem] = []
        let known = Set(inputs.map(\.name))
        for name in instance.keys.sorted() where !known.contains(name) {
            problems.append(.init(path: name, message: "unknown field; expected one of \(inputs.map(\.name).joined(separator: ", "))"))
        }
        for field in inputs {
            guard let value = instance[field.name], value != .null else {
                problems.append(.init(path: field.name, message: "missing; expected \(field.type.withArticle)"))
                continue
            }
            switch field.type {
            case .double, .int:
                let number: Double? =
                    switch value {
                    case .int(let whole): Double(whole)
                    case .double(let real) where field.type == .double: real
                    default: nil
                    }
                guard let number else {
                    if case .double(let real) = value, real.isFinite, real == real.rounded() {
                        // Whole, but past what an int (64 bits) holds.
                        problems.append(.init(path: field.name, message: "\(Self.wholeText(real)) is out of range for int"))
                    } else {
                        problems.append(.init(path: field.name, message: "expected \(field.type.withArticle)"))
                    }
                    continue
                }
                guard number.isFinite else {
                    // NaN passes every comparison below; a binary FP tensor can carry one.
                    problems.append(.init(path: field.name, message: "\(number) is not a finite number"))
                    continue
                }
                if let minimum = field.min, number < minimum {
                    problems.append(.init(path: field.name, message: "\(Self.numberText(number)) is below the minimum \(Self.numberText(minimum))"))
                }
                if let maximum = field.max, number > maximum {
                    problems.append(.init(path: field.name, message: "\(Self.numberText(number)) is above the maximum \(Self.numberText(maximum))"))
                }
            case .string:
                guard case .string(let text) = value else {
                    problems.append(.init(path: field.name, message: "expected a string"))
                    continue
                }
                if let values = field.values, !values.contains(text) {
                    problems.append(.init(path: field.name, message: "'\(text)' is not one of \(values.joined(separator: ", "))"))
                }
            case .bool:
                guard case .bool = value else {
                    problems.append(.init(path: field.name, message: "expected a bool"))
                    continue
                }
            }
        }
        return problems
    }

    /// A number as a person writes it: whole numbers without a fraction (`0`, `-1`, not `0.0`),
    /// others as Swift prints them (`0.5`).
    static func numberText(_ number: Double) -> String {
        number.isFinite && number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : "\(number)"
    }

    /// A whole number as its digits (`9223372036854775808`, not `9.223372036854776e+18`).
    static func wholeText(_ number: Double) -> String {
        abs(number) < 1e21 ? String(format: "%.0f", number) : "\(number)"
    }
}

extension Manifest.Field.Kind {
    /// The type with its article, as a sentence says it: "an int", "a double".
    public var withArticle: String { self == .int ? "an int" : "a \(rawValue)" }
}
