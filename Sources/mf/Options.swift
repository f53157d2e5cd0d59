import ArgumentParser
import Foundation
import GitKit
import ModelFactory

/// Options every repository command takes.
struct RepositoryOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The model repository: a work tree, a folder inside one, a .git folder or a bare repository.", valueName: "path"))
    var repo: String = "."

    @Flag(name: .long, help: "Print JSON for scripts instead of text.")
    var json = false

    func openRepository() throws -> Repository {
        try Repository.open(at: repo)
    }
}

/// Runs a command body; any error is printed as one sentence on stderr and exits with 2.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        printError(error)
        throw ExitCode(2)
    }
}

func printError(_ error: any Error) {
    let text = String(describing: error)
    FileHandle.standardError.write(Data("mf: error: \(text)\n".utf8))
}

func printWarning(_ text: String) {
    FileHandle.standardError.write(Data("mf: warning: \(text)\n".utf8))
}

/// Writes `value` as pretty, key-sorted JSON on stdout.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    var data = try encoder.encode(value)
    data.append(0x0A)
    FileHandle.standardOutput.write(data)
}
