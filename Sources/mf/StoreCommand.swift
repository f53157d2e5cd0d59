import ArgumentParser
import Foundation
import ModelFactory
import Store

struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Work on the factory's store as a whole.",
        subcommands: [StoreCopyCommand.self]
    )
}

struct StoreCopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy every record and bundle of one store into another, empty store.",
        discussion: """
            Moves an existing home to another store (mf store copy --from sqlite:~/.mf/factory.sqlite \\
            --to postgres://mf@db/factory): every table's rows with their ids, every blob chunk by chunk \\
            (each chunk checked against its SHA-256), and the archive of each bundle published before \\
            the store kept bundles, read from this host's disk, so hosts without the old home's folders \\
            serve them from the new store. The destination must be empty.

            --json prints {tables: [{name, rows}], blobs, bytes, uploaded: ["model version"], missing: ["model version"]}; \\
            missing bundles have neither a blob nor an archive on this host.
            Exit status: 0 copied, 2 an error (nothing is copied into a store that is not empty).
            """
    )

    @Option(name: .long, help: ArgumentHelp("The store to copy: sqlite:PATH or postgres://user@host/db.", valueName: "url"))
    var from: String

    @Option(name: .long, help: ArgumentHelp("The empty store to copy into: sqlite:PATH or postgres://user@host/db.", valueName: "url"))
    var to: String

    @Flag(name: .long, help: "Print JSON for scripts instead of text.")
    var json = false

    func run() throws {
        let report = try reportingErrors {
            let home = Home.url(nil)
            // Opening a SQLite store creates it: a mistyped source would copy nothing, quietly.
            if from.hasPrefix("sqlite:"), !FileManager.default.fileExists(atPath: String(from.dropFirst("sqlite:".count))) {
                throw StoreCopyError.noStore(from)
            }
            return try StoreCopy.copy(from: try openStore(home: home, store: from), to: try openStore(home: home, store: to), named: to)
        }
        if json {
            try printJSON(report)
            return
        }
        print("Copied \(from) into \(to):")
        let rows = report.tables.filter { $0.rows > 0 }
        print("  " + (rows.isEmpty ? "no rows" : rows.map { "\($0.name) \($0.rows)" }.joined(separator: ", ")))
        print("  \(counted(report.blobs, "blob")) (\(ByteCountFormatter.string(fromByteCount: report.bytes, countStyle: .file)))")
        if !report.uploaded.isEmpty { print("  archives put from this host's disk: " + report.uploaded.joined(separator: ", ")) }
        if !report.missing.isEmpty {
            printWarning("no blob and no archive on this host, so only their records were copied: " + report.missing.joined(separator: ", "))
        }
    }
}
