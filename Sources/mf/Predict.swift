import ArgumentParser
import Foundation
import ModelFactory
import Store

struct Predict: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Try a model by hand: predict JSON instances with the model at a revision.",
        discussion: """
            Builds and trains the model at REF first unless a session of that tree and recipe \
            passed already (then it records nothing new), checks each instance against the schema \
            (naming every bad field), loads a worker with that session's artifacts, and prints \
            the predictions as JSON. The worker protocol: docs/worker-protocol.md.

              echo '[{"tenure": 12, "contract": "monthly"}]' | mf predict v1.0.0 --input -
            """
    )

    @Argument(help: "The revision whose model predicts.")
    var ref: String = "HEAD"

    @Option(
        help: ArgumentHelp("A JSON file of instances (an array of objects, or {\"instances\": [...]}); - for stdin.", valueName: "file"),
        completion: .file(extensions: ["json"]))
    var input: String

    @Option(help: "The model, in a repository of several.")
    var model: String?

    @OptionGroup var options: RepositoryOptions

    func run() async throws {
        let predictions = try await reportingErrors {
            let data = try InputFile.read(input, option: "--input", stdin: true)
            let instances = try Pipeline.instances(fromJSON: data)
            let pipeline = Pipeline(store: try options.openStore(), home: options.homeURL, modelKit: Installation.modelKit)
            return try await pipeline.predict(options.openRepository(), revision: ref, model: model, instances: instances)
        }
        try printJSON(["predictions": predictions])
    }
}
