import ArgumentParser
import Foundation
import ModelFactory

/// `mf modelkit`: makes a Swift model package resolve ModelKit offline, for `swift build` by hand.
struct ModelKitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "modelkit",
        abstract: "Make a Swift model package resolve ModelKit offline, from this mf's own copy.",
        discussion: """
            A Swift model's Package.swift names ModelKit by its URL, \
            https://github.com/model-factory/modelkit.git, which is never fetched: this command \
            makes a git repository of the ModelKit this mf ships in $MF_HOME/packages/modelkit \
            (tagged \(ModelKitPackage.version); the same sources give the same commit everywhere) \
            and points the package's SwiftPM mirror at it, in .swiftpm/configuration/mirrors.json \
            (the file `swift package config set-mirror` writes; other mirrors in it are kept). \
            Then `swift build` and `swift test` work in that folder with no network. `mf scaffold` \
            runs it for the packages it makes; `mf build` does the same in its own builds, so \
            run this once in a fresh clone, for work by hand.

            --json prints {package, url, version, mirror, digest}.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The Swift package's folder.", valueName: "path"), completion: .directory)
    var package: String = "."

    @Option(
        name: .long, help: ArgumentHelp("The factory's home folder, where ModelKit is kept (default: $MF_HOME, else ~/.mf).", valueName: "path"),
        completion: .directory)
    var home: String?

    @Flag(name: .long, help: "Print JSON for scripts instead of text.")
    var json = false

    struct Report: Encodable {
        let package: String
        let url: String
        let version: String
        let mirror: String
        let digest: String
    }

    func run() throws {
        try reportingErrors {
            let folder = URL(fileURLWithPath: package).standardizedFileURL
            guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) else {
                throw ValidationError("\(folder.path) has no Package.swift; give a Swift package's folder with --package")
            }
            guard let modelKit = Installation.modelKit else { throw ModelKitError.notInstalled }
            let mirror = try modelKit.configureMirror(for: folder, home: Home.url(home))
            let report = Report(
                package: folder.path, url: ModelKitPackage.url, version: ModelKitPackage.version, mirror: mirror.path,
                digest: try modelKit.digest())
            if json {
                try printJSON(report)
            } else {
                if !ModelKitPackage.isDependency(of: folder) {
                    printWarning("\(folder.path)/Package.swift does not name \(ModelKitPackage.url); the mirror is set up anyway")
                }
                print("ModelKit \(report.version) for \(report.package): \(report.url) -> \(report.mirror)")
            }
        }
    }
}
