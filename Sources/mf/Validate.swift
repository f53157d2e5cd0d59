import ArgumentParser
import Foundation
import ModelFactory
import SystemKit

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a data file against a model's expect: rules, without training.",
        discussion: """
            Reads MODEL's model.yaml and checks FILE (a .csv with a header row, or a .jsonl of \
            one JSON object per line) against its expect: rules for --dataset: row count, key \
            uniqueness, each column's presence, type, range, allowed values and missing share, \
            and (with --profile) its PSI against a training profile. The file is read as a \
            stream, so a file of any size is checked in little memory. The session's validate \
            step runs the same check before train and evaluate.

            --json prints {dataset, path, rows, passed, rules: [{rule, column, name, status, \
            measured, offendingRows, examples: [{row, value}], note}]}.

            Exit status: 0 every rule held, 1 a rule failed (each failed rule is printed with \
            its first offending rows and their values), 2 the model.yaml or the file cannot be read.
            """
    )

    @Argument(help: "The model's folder, holding model.yaml.", completion: .directory)
    var model: String = "."

    @Option(help: ArgumentHelp("The data file to check (default: the file model.yaml names for --dataset).", valueName: "file"))
    var data: String?

    @Option(
        name: .customLong("dataset"), help: ArgumentHelp("Which data's rules apply: train, evaluate or score.", valueName: "dataset"),
        transform: { text in
            guard let dataset = Manifest.Expectations.Dataset(rawValue: text) else {
                throw ValidationError("--dataset must be train, evaluate or score, not '\(text)'")
            }
            return dataset
        })
    var dataset: Manifest.Expectations.Dataset = .train

    @Option(
        help: ArgumentHelp(
            "A training profile for psi rules: a bundle's folder or its profile.json (without one, psi rules are skipped).", valueName: "path"))
    var profile: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() throws {
        let report = try reportingErrors { () throws -> DataCheckReport in
            let folder = URL(fileURLWithPath: model)
            let manifestPath = folder.appendingPathComponent("model.yaml").path
            let text = try InputFile.read(manifestPath, option: "MODEL")
            let manifest = try Manifest.parse(String(decoding: text, as: UTF8.self), file: manifestPath)
            let rules = manifest.expect.rules(for: dataset)
            guard !rules.isEmpty else {
                throw ValidationError("\(manifestPath) declares no expect: rules for the \(dataset.rawValue) data")
            }
            let named: String
            let path: String
            if let data {
                (named, path) = (data, data)
            } else {
                guard dataset != .score else { throw ValidationError("model.yaml names no scoring data: give --data FILE") }
                named = dataset == .train ? manifest.train.data : manifest.evaluate.data
                path = folder.appendingPathComponent(named).path
            }
            return try DataChecker(rules: rules, baseline: try baseline()).check(path: path, named: named, dataset: dataset)
        }
        if json {
            try printJSON(report)
        } else if report.passed {
            print(report.summary)
            for rule in report.rules where rule.status == .skipped { print("  skip \(rule.name): \(rule.note ?? "")") }
        } else {
            print("\(report.path): \(report.rows) rows, \(report.failed.count) of \(report.rules.count) rules failed")
            for rule in report.rules where rule.status != .passed {
                print(rule.status == .failed ? "  FAIL \(rule.description)" : "  skip \(rule.name): \(rule.note ?? "")")
            }
        }
        if !report.passed { throw ExitCode(1) }
    }

    /// The profile `--profile` names (a bundle's folder or the file), else none.
    func baseline() throws -> DataBaseline {
        guard let profile else { return .none(reason: "no --profile given") }
        var isFolder: ObjCBool = false
        let file =
            FileManager.default.fileExists(atPath: profile, isDirectory: &isFolder) && isFolder.boolValue
            ? URL(fileURLWithPath: profile).appendingPathComponent(TrainingProfile.fileName).path : profile
        let bytes = try InputFile.read(file, option: "--profile")
        do {
            return .profile(try JSONDecoder().decode(TrainingProfile.self, from: bytes), source: file)
        } catch {
            throw InputFileError(option: "--profile", path: file, reason: "it is not a training profile (\(error))", action: "use")
        }
    }
}
