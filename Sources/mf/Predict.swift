import ArgumentParser
import Foundation
import ModelFactory

struct Predict: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Try a model by hand: predict JSON instances with the model at a revision.",
        discussion: """
            Builds and trains the model at REF first unless a session of that tree passed \
            already, checks each instance against the schema (naming every bad field), and prints \
            the predictions as JSON.

              echo '[{"tenure": 12, "contract": "monthly"}]' | mf predict v1.0.0 --input -
            """
    )

    @Argument(help: "The revision whose model predicts.")
    var ref: String = "HEAD"

    @Option(help: ArgumentHelp("A JSON file of instances (an array of objects, or {\"instances\": [...]}); - for stdin.", valueName: "file"))
    var input: String

    @Option(help: "The model, in a repository of several.")
    var model: String?

    @OptionGroup var options: RepositoryOptions

    func run() async throws {
        let predictions = try await reportingErrors {
            let data = input == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: input))
            let instances = try Pipeline.instances(fromJSON: data)
            let pipeline = Pipeline(store: try options.openStore(), home: options.homeURL)
            return try await pipeline.predict(options.openRepository(), revision: ref, model: model, instances: instances)
        }
        try printJSON(["predictions": predictions])
    }
}
