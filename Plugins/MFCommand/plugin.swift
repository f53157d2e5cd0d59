import Foundation
import PackagePlugin

/// `swift package mf COMMAND …`: runs Model Factory's `mf` on this package, so a Swift model
/// package works with the factory without installing it. `mf` is built from the Model Factory
/// package this package depends on (for ModelKit), runs in the package's folder, and gets
/// `--repo <package folder>` unless the arguments name one:
///
///     swift package mf build          # build, train, evaluate and gate this model
///     swift package mf sessions       # the recorded sessions
///     swift package mf metrics v1.0.0 --compare v1.1.0
@main
struct MFCommand: CommandPlugin {
    /// The commands that read a repository and so take `--repo`.
    static let repositoryCommands: Set<String> = ["versions", "status", "check", "build", "sessions", "metrics", "predict"]

    func performCommand(context: PluginContext, arguments: [String]) async throws {
        let tool = try context.tool(named: "mf")
        let folder = context.package.directoryURL
        var arguments = arguments
        if let command = arguments.first, Self.repositoryCommands.contains(command),
           !arguments.contains(where: { $0 == "--repo" || $0.hasPrefix("--repo=") }) {
            arguments.insert(contentsOf: ["--repo", folder.path], at: 1)
        }
        let process = Process()
        process.executableURL = tool.url
        process.arguments = arguments
        process.currentDirectoryURL = folder
        try process.run()
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw MFFailed(status: process.terminationStatus)
        }
    }
}

struct MFFailed: Error, CustomStringConvertible {
    let status: Int32
    var description: String { "mf exited with status \(status)" }
}
