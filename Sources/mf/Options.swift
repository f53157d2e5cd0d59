import ArgumentParser
import Foundation
import GitKit
import ModelFactory
import Store

/// Options every repository command takes.
struct RepositoryOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The model repository: a work tree, a folder inside one, a .git folder or a bare repository (default: the current folder; commands that read the whole home, such as sessions and metrics, look only at this repository when it is given).",
            valueName: "path"), completion: .directory)
    var repo: String?

    @Flag(name: .long, help: "Print JSON for scripts instead of text.")
    var json = false

    @Option(
        name: .long, help: ArgumentHelp("The factory's home folder, for its store and caches (default: $MF_HOME, else ~/.mf).", valueName: "path"),
        completion: .directory)
    var home: String?

    @Option(name: .long, help: ArgumentHelp(storeHelp, valueName: "url"))
    var store: String?

    func openRepository() throws -> Repository {
        try Repository.open(at: repo ?? ".")
    }

    /// The repository as the store names it (its identity), when --repo was given; nil: every
    /// repository of the home.
    func repositoryFilter() throws -> String? {
        guard repo != nil else { return nil }
        return try RepositoryIdentity(openRepository()).name
    }

    /// The home folder: --home, else $MF_HOME, else ~/.mf.
    var homeURL: URL { Home.url(home) }

    /// Opens the factory's store: --store, else $MF_STORE, else SQLite in the home folder.
    func openStore() throws -> any FactoryStore { try Home.store(homeURL, store) }

    /// Whether there is a store to read (commands that never create one look first).
    var hasStore: Bool { Home.hasStore(homeURL, store) }

    /// Where commit graphs are kept between runs.
    var cacheURL: URL { homeURL.appendingPathComponent("cache") }

    /// Reads the flow of the repository, with the graph cache of the home folder.
    func readFlow(checkingRules: Bool = true) throws -> Flow {
        try Flow.read(openRepository(), checkingRules: checkingRules, cache: cacheURL)
    }
}

/// Options of commands that work on the factory's home rather than one repository.
struct HomeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The factory's home folder (default: $MF_HOME, else ~/.mf).", valueName: "path"), completion: .directory)
    var home: String?

    @Option(name: .long, help: ArgumentHelp(storeHelp, valueName: "url"))
    var store: String?

    @Flag(name: .long, help: "Print JSON for scripts instead of text.")
    var json = false

    var homeURL: URL { Home.url(home) }

    func openStore() throws -> any FactoryStore { try Home.store(homeURL, store) }

    /// Whether there is a store to read (commands that never create one look first).
    var hasStore: Bool { Home.hasStore(homeURL, store) }
}

/// The help of every command's --store.
let storeHelp = "The factory's store: postgres://user@host/db or sqlite:PATH (default: $MF_STORE, else SQLite in the home)."

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

func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        printError(error)
        throw ExitCode(2)
    }
}

func printError(_ error: any Error) {
    printError(String(describing: error))
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data("mf: error: \(text)\n".utf8))
}

func printWarning(_ text: String) {
    FileHandle.standardError.write(Data("mf: warning: \(text)\n".utf8))
}

/// Writes `value` as JSON on stdout (keys in the order the type gives them).
func printJSON(_ value: some Encodable) throws {
    FileHandle.standardOutput.write(Data(try JSONText.encodeBytes(value)))
}

/// `value` as one line of JSON (for commands that print a stream of JSON objects).
func jsonLine(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
}
