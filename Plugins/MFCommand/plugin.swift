import Foundation
import PackagePlugin

/// `swift package mf COMMAND …`: runs Model Factory's `mf` on this package. The plugin comes with
/// ModelKit (the one dependency of a Swift model), so it cannot build `mf` itself: it runs the
/// `mf` on `PATH` (`scripts/install` puts one there), in the package's folder, and passes
/// `--repo <package folder>` unless the arguments name one:
///
///     swift package mf build          # build, train, evaluate and gate this model
///     swift package mf sessions       # the recorded sessions
///     swift package mf metrics --compare v1.0.0 v1.1.0
@main
struct MFCommand: CommandPlugin {
    /// The commands that read a repository and so take `--repo`.
    static let repositoryCommands: Set<String> = [
        "versions", "status", "check", "build", "sessions", "metrics", "predict", "bundle", "reconcile",
    ]

    func performCommand(context: PluginContext, arguments: [String]) async throws {
        guard let tool = Self.mfOnPath() else { throw MFNotFound() }
        let folder = context.package.directoryURL
        var arguments = arguments
        if let command = arguments.first, Self.repositoryCommands.contains(command),
            !arguments.contains(where: { $0 == "--repo" || $0.hasPrefix("--repo=") })
        {
            arguments.insert(contentsOf: ["--repo", folder.path], at: 1)
        }
        let process = Process()
        process.executableURL = tool
        process.arguments = arguments
        process.currentDirectoryURL = folder
        try process.run()
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw MFFailed(status: process.terminationStatus)
        }
    }

    /// `$MF` when set, else the first executable `mf` on `PATH`.
    static func mfOnPath() -> URL? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["MF"], !path.isEmpty { return URL(fileURLWithPath: path) }
        for folder in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent("mf")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}

struct MFNotFound: Error, CustomStringConvertible {
    var description: String {
        "mf is not on PATH: install it with scripts/install PREFIX from a Model Factory checkout, or set MF to its path"
    }
}

struct MFFailed: Error, CustomStringConvertible {
    let status: Int32
    var description: String { "mf exited with status \(status)" }
}
