import ArgumentParser
import Foundation
import GitKit
import ModelFactory

struct Hook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract: "Install or remove the post-receive hook that queues pushes for the factory.",
        subcommands: [Install.self, Uninstall.self]
    )

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "install",
            abstract: "Install mf's post-receive hook in a (bare) repository.",
            discussion: """
                The hook passes the pushed refs to `mf enqueue` and returns at once: a push never \
                waits for a build; `mf worker` does the work. A post-receive hook already there is \
                kept as post-receive.before-mf and run first, with the same input; its exit status \
                stays the hook's. Installing again rewrites mf's hook (a new mf path or home) and \
                keeps the chained one. The hook queues into the home given here.

                --json prints {hook, chained, action: installed|updated}.
                """
        )

        @OptionGroup var options: RepositoryOptions

        @Option(
            name: .customLong("mf"),
            help: ArgumentHelp("The mf executable the hook runs (default: this one); it must exist and be executable.", valueName: "path"), completion: .file())
        var executable: String?

        func run() throws {
            let outcome = try reportingErrors {
                // A hook that runs a program that is not there would fail every push, unseen.
                if let executable { try InputFile.executable(executable, option: "--mf") }
                return try PostReceiveHook(repository: try options.openRepository(), executable: executable ?? Self.currentExecutable(), home: options.homeURL)
                    .install()
            }
            if options.json {
                try printJSON(outcome)
                return
            }
            print("\(outcome.action) \(outcome.hook)" + (outcome.chained.map { "; it runs \($0) first" } ?? ""))
        }

        static func currentExecutable() -> String {
            if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
            return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        }
    }

    struct Uninstall: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "uninstall",
            abstract: "Remove mf's post-receive hook, putting back the hook it chained to.",
            discussion: "A post-receive hook mf did not install is left alone (exit 2). --json prints {hook, chained, action}."
        )

        @OptionGroup var options: RepositoryOptions

        func run() throws {
            let outcome = try reportingErrors {
                try PostReceiveHook(repository: try options.openRepository(), executable: "", home: options.homeURL).uninstall()
            }
            if options.json {
                try printJSON(outcome)
                return
            }
            print("removed mf's hook from \(outcome.hook)" + (outcome.chained != nil ? "; the hook that was there is back" : ""))
        }
    }
}
