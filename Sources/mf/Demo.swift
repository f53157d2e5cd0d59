import ArgumentParser
import Foundation
import GitKit
import ModelFactory

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a sample model repository that has walked the branch flow, and show it.",
        discussion: """
            Creates a repository (through libgit2, no git command) with a feature merged into \
            development, release v1.0.0 on master, hotfix v1.0.1, and an open feature branch; \
            then prints `mf versions` and `mf status` for it. The repository is kept, so you can \
            run other commands on it with --repo.
            """
    )

    @Option(help: ArgumentHelp("Where to create the repository (must not exist); default: a new temporary folder.", valueName: "path"))
    var path: String?

    func run() throws {
        try reportingErrors {
            let target = path ?? FileManager.default.temporaryDirectory
                .appendingPathComponent("mf-demo-\(UUID().uuidString.prefix(8))").path
            let repository = try DemoRepository.create(at: target)
            print("Created a sample model repository at \(repository.location)\n")
            let flow = try Flow.read(repository)
            print("$ mf versions --repo \(repository.location)")
            print(Versions.render(flow.releases))
            print("\n$ mf status --repo \(repository.location)")
            print(Status.render(flow))
        }
    }
}
