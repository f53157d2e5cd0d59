import ModelFactory
import TestSupport
import Testing

@Suite(.onTestThreads) struct ManifestTests {
    let full = """
        name: churn
        runtime: swift
        build: ["swift build -c release --product churn"]
        run: [".build/release/churn", "--worker"]
        train:    { data: data/train.csv, seed: 42 }
        evaluate: { data: data/test.csv }
        schema:
          inputs:  [{ name: tenure, type: double, min: 0 }, { name: contract, type: string, values: [monthly, yearly] }, { name: seats, type: int, max: 10 }, { name: promo, type: bool }]
          outputs: [{ name: churn_probability, type: double }]
        gates: { auc: ">= 0.75", log_loss: "< 0.6", accuracy: 0.7, max_regression: 0.02 }
        examples: [{ tenure: 12, contract: monthly, seats: 2, promo: false }, { tenure: 3.5, contract: yearly, seats: 1, promo: true }]
        """

    /// A Swift plugin without a build line gets the factory's reproducible release build; an
    /// explicit one (even empty) is kept.
    @Test func swiftPluginsDefaultToTheReproducibleBuild() throws {
        let withoutBuild = full.replacingOccurrences(of: "build: [\"swift build -c release --product churn\"]\n", with: "")
        #expect(try Manifest.parse(withoutBuild).build == [Manifest.swiftReleaseBuild])
        #expect(Manifest.swiftReleaseBuild.contains("--static-swift-stdlib") && Manifest.swiftReleaseBuild.contains("-file-prefix-map"))
        let emptyBuild = full.replacingOccurrences(of: "build: [\"swift build -c release --product churn\"]", with: "build: []")
        #expect(try Manifest.parse(emptyBuild).build == [])
        let python = withoutBuild.replacingOccurrences(of: "runtime: swift", with: "runtime: python")
        #expect(try Manifest.parse(python).build == [])
    }

    /// `monitor:` names the business key (an input), the label column (not an input) and the
    /// drift threshold; left out, there is no key, no label and the default PSI.
    @Test func monitorSettings() throws {
        #expect(try Manifest.parse(full).monitor == Manifest.Monitor())
        let monitored = try Manifest.parse(full + "\nmonitor: { key: contract, label: churned, psi: 0.25 }")
        #expect(monitored.monitor == .init(key: "contract", label: "churned", psi: 0.25))
        let bad = #expect(throws: ManifestError.self) {
            try Manifest.parse(full + "\nmonitor: { key: customer, label: tenure, psi: 0, alert: 1 }")
        }
        let paths = bad?.problems.map(\.path) ?? []
        #expect(paths.contains("monitor.key") && paths.contains("monitor.label") && paths.contains("monitor.psi") && paths.contains("monitor"))
    }

    @Test func parsesTheDesignExample() throws {
        let manifest = try Manifest.parse(full)
        #expect(manifest.name == "churn" && manifest.runtime == .swift)
        #expect(manifest.build == ["swift build -c release --product churn"])
        #expect(manifest.run == [".build/release/churn", "--worker"])
        #expect(manifest.train == .init(data: "data/train.csv", seed: 42))
        #expect(manifest.evaluate.data == "data/test.csv")
        #expect(manifest.schema.inputs.map(\.name) == ["tenure", "contract", "seats", "promo"])
        #expect(manifest.schema.inputs[0].min == 0 && manifest.schema.inputs[1].values == ["monthly", "yearly"])
        #expect(manifest.schema.outputs == [.init(name: "churn_probability", type: .double)])
        #expect(Set(manifest.gates.thresholds.map(\.description)) == ["auc >= 0.75", "log_loss < 0.6", "accuracy >= 0.7"])
        #expect(manifest.gates.maxRegression == 0.02)
        #expect(manifest.examples[0] == ["tenure": .int(12), "contract": .string("monthly"), "seats": .int(2), "promo": .bool(false)])
        #expect(manifest.examples[1]["tenure"] == .double(3.5))
    }

    @Test func pythonRunsTheRunnerByDefault() throws {
        let manifest = try Manifest.parse(
            """
            name: fraud
            runtime: python
            train: { data: train.csv }
            evaluate: { data: test.csv }
            schema: { inputs: [{ name: amount, type: double }], outputs: [{ name: fraud, type: bool }] }
            """)
        #expect(manifest.run == ["python3", "-u", "mf_runner.py"])
        #expect(manifest.build == [] && manifest.gates.thresholds == [] && manifest.train.seed == nil)
    }

    @Test(arguments: [
        ("runtime: java", "runtime: expected one of swift, python, command, got 'java'"),
        (
            "schema: { inputs: [{ name: a, type: double }, { name: b, type: float }], outputs: [{ name: y, type: double }] }",
            "schema.inputs[1].type: expected one of double, int, string, bool, got 'float'"
        ),
        ("colour: blue", "invalid model.yaml: unknown key 'colour'; expected one of name, runtime"),
        ("train: { data: x.csv, seed: lots }", "train.seed: expected a whole number"),
        ("gates: { auc: \"about 0.7\" }", "gates.auc: expected a condition such as \">= 0.75\""),
        ("gates: { max_regression: -1 }", "gates.max_regression: expected a number of at least 0"),
        ("examples: [{ tenure: -1 }]", "examples[0].tenure: -1 is below the minimum 0"),
        ("examples: [{ tenure: -0.5 }]", "examples[0].tenure: -0.5 is below the minimum 0"),
        ("examples: [{ tenure: 1, extra: 2 }]", "examples[0].extra: unknown field; expected one of tenure"),
        ("examples: [{ tenure: high }]", "examples[0].tenure: expected a double"),
        ("examples: [{}]", "examples[0].tenure: missing; expected a double"),
        ("name: \"my model\"", "name: expected letters, digits"),
        (
            "schema: { inputs: [{ name: a, type: string, min: 1 }], outputs: [{ name: y, type: double }] }",
            "schema.inputs[0].min: only double and int fields take bounds"
        ),
        (
            "schema: { inputs: [{ name: a, type: double }, { name: a, type: int }], outputs: [{ name: y, type: double }] }",
            "schema.inputs[1].name: 'a' is named twice"
        ),
    ])
    func reportsEachProblemWithItsPath(override: String, expected: String) {
        let base: [String: String] = [
            "name": "name: churn", "runtime": "runtime: command", "run": "run: [./worker]",
            "train": "train: { data: train.csv }", "evaluate": "evaluate: { data: test.csv }",
            "schema": "schema: { inputs: [{ name: tenure, type: double, min: 0 }], outputs: [{ name: y, type: double }] }",
        ]
        let key = String(override.prefix { $0 != ":" })
        var lines = base
        lines[key] = override
        let text = lines.sorted { $0.key < $1.key }.map(\.value).joined(separator: "\n")
        let error = #expect(throws: ManifestError.self) { try Manifest.parse(text, file: "model.yaml") }
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "no error")")
        #expect(error?.description.hasPrefix("invalid model.yaml") == true)
    }

    /// The manifest the tests below change one thing of.
    static let valid = """
        name: churn
        runtime: command
        run: [./worker]
        train: { data: train.csv, seed: 4 }
        evaluate: { data: test.csv }
        schema: { inputs: [{ name: seats, type: int, min: 1, max: 10 }], outputs: [{ name: y, type: double }] }
        """

    /// A misspelt key is named with the key it resembles, and what follows from the typo (the
    /// real key missing) is not reported besides.
    @Test(arguments: [
        ("evaluate: { data: test.csv }", "evalute: { data: test.csv }", "unknown key 'evalute'; did you mean 'evaluate'?"),
        ("runtime: command", "runtme: command", "unknown key 'runtme'; did you mean 'runtime'?"),
        ("runtime: command", "Runtime: command", "unknown key 'Runtime'; did you mean 'runtime'?"),
        ("seed: 4", "sede: 4", "train: unknown key 'sede'; did you mean 'seed'?"),
        ("{ name: seats,", "{ nmae: seats,", "schema.inputs[0]: unknown key 'nmae'; did you mean 'name'?"),
        ("schema: { inputs:", "schema: { input:", "schema: unknown key 'input'; did you mean 'inputs'?"),
        ("schema: {", "shcema: {", "unknown key 'shcema'; did you mean 'schema'?"),
    ])
    func aTypoSuggestsTheKeyAndOnlyThat(original: String, typo: String, expected: String) {
        let text = Self.valid.replacingOccurrences(of: original, with: typo)
        #expect(text != Self.valid)
        let error = #expect(throws: ManifestError.self) { try Manifest.parse(text) }
        #expect(error?.description == "invalid model.yaml: " + expected)
    }

    /// A key that resembles nothing, or only a key that is there already, lists what is allowed.
    @Test func aKeyLikeNoneAbsentListsTheKeys() {
        let error = #expect(throws: ManifestError.self) { try Manifest.parse(Self.valid + "\nnames: other\n") }
        #expect(
            error?.description.hasPrefix("invalid model.yaml: unknown key 'names'; expected one of name, runtime, build") == true, "\(error?.description ?? "")"
        )
    }

    /// Bounds are shown as they are written: an int field's minimum is 1, not 1.0.
    @Test(arguments: [
        ("examples: [{ seats: 0 }]", "examples[0].seats: 0 is below the minimum 1"),
        ("examples: [{ seats: 11 }]", "examples[0].seats: 11 is above the maximum 10"),
        ("examples: [{ seats: 2.5 }]", "examples[0].seats: expected an int"),
    ])
    func boundsReadAsWritten(line: String, expected: String) {
        let error = #expect(throws: ManifestError.self) { try Manifest.parse(Self.valid + "\n" + line + "\n") }
        #expect(error?.description == "invalid model.yaml: " + expected)
        let swapped = Self.valid.replacingOccurrences(of: "min: 1, max: 10", with: "min: 5, max: 2")
        let bounds = #expect(throws: ManifestError.self) { try Manifest.parse(swapped) }
        #expect(bounds?.description == "invalid model.yaml: schema.inputs[0].max: must not be below min (5)")
    }

    @Test func systemPackagesAreDebianNames() throws {
        #expect(try Manifest.parse(Self.valid).systemPackages == [])
        let manifest = try Manifest.parse(Self.valid + "\nsystem_packages: [nodejs, libgomp1, g++, python3.11-venv]\n")
        #expect(manifest.systemPackages == ["nodejs", "libgomp1", "g++", "python3.11-venv"])
        #expect(try Manifest.parse(Self.valid + "\nsystem_packages: nodejs\n").systemPackages == ["nodejs"])
    }

    @Test(arguments: [
        ("[NodeJS]", "system_packages[0]: 'NodeJS' is not a Debian package name"),
        ("[n]", "system_packages[0]: 'n' is not a Debian package name"),
        ("[nodejs, -x]", "system_packages[1]: '-x' is not a Debian package name"),
        ("[\"node js\"]", "system_packages[0]: 'node js' is not a Debian package name"),
        ("[\"nodejs; rm -rf /\"]", "system_packages[0]: 'nodejs; rm -rf /' is not a Debian package name"),
        ("[nodejs, nodejs]", "system_packages[1]: 'nodejs' is named twice"),
        ("{ nodejs: 20 }", "system_packages: expected a list of strings"),
    ])
    func badSystemPackagesAreNamed(value: String, expected: String) {
        let error = #expect(throws: ManifestError.self) { try Manifest.parse(Self.valid + "\nsystem_packages: \(value)\n") }
        #expect(error?.description.hasPrefix("invalid model.yaml: " + expected) == true, "\(error?.description ?? "")")
    }

    @Test func collectsEveryProblemAtOnce() {
        let error = #expect(throws: ManifestError.self) {
            try Manifest.parse("name: x\nruntime: cobol\nschema: { inputs: [], outputs: [{ name: y, type: tensor }] }\n")
        }
        let paths = error?.problems.map(\.path) ?? []
        #expect(paths.contains("runtime") && paths.contains("train") && paths.contains("evaluate"))
        #expect(paths.contains("schema.inputs") && paths.contains("schema.outputs[0].type") && paths.contains("run"))
        #expect(error?.description.contains("problems)") == true)
    }

    @Test(arguments: ["", "just a string", "[1, 2]", "name: [unclosed"])
    func refusesWhatIsNotAManifest(text: String) {
        #expect(throws: ManifestError.self) { try Manifest.parse(text) }
    }

    @Test func thresholds() {
        let gate = Manifest.Threshold(metric: "auc", comparison: .atLeast, value: 0.75)
        #expect(gate.isMet(by: 0.75) && !gate.isMet(by: 0.74))
        #expect(Manifest.Threshold(metric: "rmse", comparison: .below, value: 2).isMet(by: 1.9))
    }
}
