import ArgumentParser
import Foundation
import GitKit
import ModelFactory
import Store

struct Build: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a model at a revision, train and evaluate it, and record the session.",
        discussion: """
            Exports the tree at REF (never the work tree) into the home folder's build cache, runs \
            model.yaml's build, starts a worker, and calls describe, train, evaluate and predict \
            (the examples); then applies the gates. With expect: rules in model.yaml, a validate step \
            checks the training data before train and the evaluation data before evaluate (as mf \
            validate does), and a failed rule fails the session naming its rows and values. A tree and recipe that passed before are not \
            built or trained again (the session says which it reused) unless --force; their metrics \
            are gated again all the same, max_regression against the release before this one. What a \
            worker is asked and must answer: docs/worker-protocol.md; a step the worker fails \
            names the worker's log and quotes its last lines.

            Exit status: 0 every model passed, 1 a step or gate failed (the reason is printed and \
            stored), 2 an error before a session could start.
            """
    )

    @Argument(help: "The revision to build: a branch, tag or commit.")
    var ref: String = "HEAD"

    @OptionGroup var options: RepositoryOptions

    @Flag(help: "Build, train and evaluate again even when this tree and recipe passed before.")
    var force = false

    @Option(help: ArgumentHelp("The longest a build command may run, in seconds.", valueName: "seconds"))
    var buildTimeout: Double = 1800

    @Option(help: ArgumentHelp("The longest one worker call may take, in seconds.", valueName: "seconds"))
    var callTimeout: Double = 600

    func run() async throws {
        let reports = try await reportingErrors {
            let repository = try options.openRepository()
            let pipeline = Pipeline(store: try options.openStore(), home: options.homeURL, modelKit: Installation.modelKit)
            try RepositoryIdentity.register(repository, in: pipeline.store)
            let request = BuildRequest(
                revision: ref, force: force, buildTimeLimit: buildTimeout, callTimeLimit: callTimeout, label: ref == "HEAD" ? nil : ref)
            return try await pipeline.build(repository, request, observer: options.json ? nil : StepPrinter())
        }
        if options.json {
            try printJSON(reports)
        } else {
            for report in reports {
                let outcome = report.session.status == .passed ? "passed" : "FAILED: \(report.session.failure ?? "?")"
                let reused = report.session.reusedFrom.map { " (reused session \($0))" } ?? ""
                print("\(report.model): \(outcome)\(reused)")
                let metrics = report.metrics.filter { $0.split == "evaluate" }
                if !metrics.isEmpty {
                    print("  metrics: " + metrics.map { "\($0.name) \($0.value.map { String(format: "%.4g", $0) } ?? "-")" }.joined(separator: ", "))
                }
                for gate in report.gates { print("  \(gate.passed ? "ok  " : "FAIL") \(gate.detail)") }
                for check in report.dataChecks where !check.passed {
                    print("  data \(check.path) (\(check.dataset), \(check.rows) rows): \(check.failed.count) of \(check.rules.count) rules failed")
                    for rule in check.failed { print("  FAIL \(rule.description)") }
                }
                print("  session \(report.session.id)")
            }
        }
        if reports.contains(where: { $0.session.status != .passed }) { throw ExitCode(1) }
    }
}

/// Prints each step with its time, and progress lines on stderr.
struct StepPrinter: BuildObserver {
    /// Put before every line (the demo indents its transcript).
    var indent = ""

    func started(step: String, model: String) {}

    func finished(_ step: Step, model: String) {
        let time = String(format: "%6.2f s", step.seconds)
        let status = step.status == .passed ? "" : "  FAILED: \(step.message ?? "")"
        print("\(indent)\(model): \(step.name.padding(toLength: 9, withPad: " ", startingAt: 0)) \(time)\(status)")
    }

    func progress(_ line: String, model: String) {
        FileHandle.standardError.write(Data("\(indent)\(model): \(line)\n".utf8))
    }
}
