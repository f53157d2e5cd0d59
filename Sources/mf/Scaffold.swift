import ArgumentParser
import Foundation
import Jinja
import ModelFactory

struct Scaffold: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scaffold",
        abstract: "Create a model repository from a template (cookiecutter's format).",
        discussion: """
            TEMPLATE is a built-in template (see --list), a folder holding cookiecutter.json, or a \
            git URL (https://, ssh://, file://, git@host:..., gh:owner/repo), fetched through the \
            git layer into $MF_HOME/templates. Templates render as cookiecutter 2 renders them: the \
            same template and answers give the same bytes.

            On a terminal each variable is asked with its default in brackets (Enter keeps it); \
            --no-input takes every default, --set KEY=VALUE answers one (a choice must be one of \
            its options, a yes/no takes yes/no/true/false/1/0). The answers are recorded in \
            $MF_HOME/replay/TEMPLATE.json for --replay, and in the new repository's \
            .mf/scaffold.json for --replay-file, with where the template came from (the \
            template, --checkout, the commit rendered, --directory): `mf scaffold --replay-file \
            PROJECT/.mf/scaffold.json -o DIR` renders the project again from that same template \
            revision (a TEMPLATE, --checkout or --directory given instead wins).

            --overwrite-if-exists renders into an existing project folder; its first commit holds \
            only what the template (and its hooks) wrote, and .mf/; other files there stay \
            untracked.

            The result is a git repository: one commit on the production line (master) and the \
            development line (development), HEAD on development, and .mf/flow.yaml naming them. \
            Start work with a feature/* branch from development.

            --json prints {project, template, templateCommit, source: {template, checkout, \
            commit, directory}, files, answers, ignoredKeys, repository: {production, \
            development, head, commit}}. With shell completion installed (see mf --help), \
            TEMPLATE completes to the built-in templates.
            """
    )

    @Argument(
        help: ArgumentHelp("A built-in template name, a template folder, or a git URL (with --replay-file: the one it records).", valueName: "template"),
        completion: .custom(Scaffold.completeTemplate))
    var template: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("The folder to create the project in.", valueName: "dir"), completion: .directory)
    var output: String = "."

    @Flag(name: .long, help: "Ask nothing: every variable takes its default (or its --set value).")
    var noInput = false

    @Option(name: .customLong("set"), help: ArgumentHelp("Answer a variable (repeatable), like cookiecutter's extra context.", valueName: "key=value"))
    var set: [String] = []

    @Flag(name: .long, help: "Answer with the answers last given to this template.")
    var replay = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Answer from a replay file (cookiecutter's, or a project's .mf/scaffold.json, which also names the template revision).", valueName: "file"),
        completion: .file(extensions: ["json"]))
    var replayFile: String?

    @Option(name: .long, help: ArgumentHelp("For a git template: the branch, tag or commit to use.", valueName: "ref"))
    var checkout: String?

    @Option(name: .long, help: ArgumentHelp("The template's folder inside the repository or folder.", valueName: "subdir"))
    var directory: String?

    @Flag(name: .long, help: "Render into an existing project folder, replacing the files the template writes (never deleting others).")
    var overwriteIfExists = false

    @Option(
        name: .long, help: ArgumentHelp("Run the template's hooks: yes (default), no, or ask.", valueName: "yes|no|ask"),
        completion: .list(["yes", "no", "ask"]))
    var acceptHooks: String = "yes"

    @Flag(name: .long, help: "Leave the result a plain folder, not a git repository.")
    var noGit = false

    @Flag(name: .long, help: "List the built-in templates and exit.")
    var list = false

    @Option(
        name: .long,
        help: ArgumentHelp("The folder of built-in templates (default: $MF_TEMPLATES, else the templates/ folder of this installation).", valueName: "dir"),
        completion: .directory)
    var templates: String?

    @Flag(name: .long, help: "Print JSON for scripts instead of text.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("The factory's home folder (default: $MF_HOME, else ~/.mf).", valueName: "path"), completion: .directory)
    var home: String?

    func validate() throws {
        if !list, template == nil, replayFile == nil { throw ValidationError("Missing expected argument '<template>' (or pass --list, or --replay-file).") }
        if (replay || replayFile != nil) && !set.isEmpty { throw ValidationError("--replay cannot be combined with --set.") }
        if !["yes", "no", "ask"].contains(acceptHooks) { throw ValidationError("--accept-hooks takes yes, no or ask.") }
        for pair in set where !pair.contains("=") { throw ValidationError("--set takes key=value, not '\(pair)'.") }
    }

    func run() async throws {
        try await reportingErrors {
            if let templates { try InputFile.folder(templates, option: "--templates") }
            let scaffolder = Scaffolder(builtInTemplates: builtInTemplates(), home: homeURL, hooks: HookRunner(output: json ? 2 : 1))
            if list {
                let builtIns = scaffolder.builtIns()
                if json {
                    try printJSON(builtIns)
                } else {
                    for template in builtIns { print(template.name.padding(toLength: 16, withPad: " ", startingAt: 0) + template.description) }
                }
                return
            }
            let outputDirectory = URL(fileURLWithPath: output)
            var request =
                if let template {
                    ScaffoldRequest(template: template, outputDirectory: outputDirectory)
                } else {
                    ScaffoldRequest(replaying: URL(fileURLWithPath: replayFile!), outputDirectory: outputDirectory)
                }
            request.checkout = checkout
            request.directory = directory
            request.extraContext = set.map { pair in
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (String(parts[0]), String(parts[1]))
            }
            if let replayFile {
                _ = try InputFile.read(replayFile, option: "--replay-file")  // missing, a folder, unreadable: said as such
                request.replay = .file(URL(fileURLWithPath: replayFile))
            } else if replay {
                request.replay = .last
            }
            request.overwriteIfExists = overwriteIfExists
            request.prompter = noInput ? nil : TerminalPrompter()
            request.makeRepository = !noGit
            switch acceptHooks {
            case "no": request.acceptHooks = false
            case "ask": request.acceptHooks = TerminalPrompter.confirm("Run the template's hooks?", default: true)
            default: request.acceptHooks = true
            }
            let result = try await scaffolder.scaffold(request)
            for key in result.ignoredKeys { printWarning("the template has no variable '\(key)'; --set \(key)=… was ignored") }
            // A Swift package on ModelKit builds by hand at once: ModelKit's mirror is set up.
            let project = URL(fileURLWithPath: result.project)
            var modelKitMirror: URL?
            if ModelKitPackage.isDependency(of: project) {
                guard let modelKit = Installation.modelKit else { throw ModelKitError.notInstalled }
                modelKitMirror = try modelKit.configureMirror(for: project, home: homeURL)
            }
            if json {
                try printJSON(result)
            } else {
                let revision = result.templateCommit.map { " at \($0.prefix(8))" } ?? ""
                print("Created \(result.project) from \(result.template)\(revision) (\(counted(result.files.count, "file"))).")
                if let repository = result.repository {
                    print(
                        "A git repository: \(repository.production) and \(repository.development) at \(repository.commit.prefix(8)), HEAD on \(repository.head)."
                    )
                    print("Next: cd \(result.project) && git switch -c feature/first-change && mf build")
                }
                if let modelKitMirror { print("ModelKit resolves offline from \(modelKitMirror.path) (.swiftpm/configuration/mirrors.json).") }
            }
        }
    }

    var homeURL: URL { Home.url(home) }

    func builtInTemplates() -> URL? { BuiltInTemplates.find(override: templates) }

    /// Shell completion of TEMPLATE: the built-in templates, as `mf scaffold --list` lists them
    /// (from the --templates folder when the command line names one).
    @Sendable static func completeTemplate(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        let folder = words.firstIndex(of: "--templates").flatMap { words.indices.contains($0 + 1) ? words[$0 + 1] : nil }
        let scaffolder = Scaffolder(builtInTemplates: BuiltInTemplates.find(override: folder), home: Home.url(nil))
        return scaffolder.builtIns().map(\.name).filter { $0.hasPrefix(prefix) }
    }
}

/// Asks a template's questions on the terminal (prompts on stderr, answers from stdin); at the
/// end of input every remaining question takes its default.
struct TerminalPrompter: ScaffoldPrompter {
    static func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    static func confirm(_ question: String, default: Bool) -> Bool {
        write("\(question) [\(`default` ? "Y/n" : "y/N")]: ")
        guard let line = readLine(), !line.isEmpty else { return `default` }
        return Answers.yesNo(line) ?? `default`
    }

    func ask(_ question: ScaffoldQuestion, position: Int, of count: Int) throws -> Value {
        let prefix = "  [\(position)/\(count)] "
        while true {
            switch question {
            case .text(_, let prompt, let defaultValue):
                Self.write("\(prefix)\(prompt) (\(defaultValue)): ")
                guard let line = readLine(), !line.isEmpty else { return .string(defaultValue) }
                return .string(line)
            case .choice(_, let prompt, let options, let labels):
                var text = "\(prefix)Select \(prompt)\n"
                for (index, label) in labels.enumerated() { text += "    \(index + 1) - \(label)\n" }
                Self.write(text + "    Choose from [\((1 ... options.count).map(String.init).joined(separator: "/"))] (1): ")
                guard let line = readLine(), !line.isEmpty else { return .string(options[0]) }
                if let number = Int(line), (1...options.count).contains(number) { return .string(options[number - 1]) }
                if options.contains(line) { return .string(line) }
                Self.write("    Please select one of the numbers.\n")
            case .yesNo(_, let prompt, let defaultValue):
                Self.write("\(prefix)\(prompt) (y/n) [\(defaultValue ? "y" : "n")]: ")
                guard let line = readLine(), !line.isEmpty else { return .bool(defaultValue) }
                if let flag = Answers.yesNo(line) { return .bool(flag) }
                Self.write("    Please answer yes or no.\n")
            case .dict(_, let prompt, let defaultValue):
                let shown = (try? JSON.dumps(defaultValue, indent: nil)) ?? "{}"
                Self.write("\(prefix)\(prompt) (JSON, Enter keeps \(shown)): ")
                guard let line = readLine(), !line.isEmpty else { return defaultValue }
                if case .dict? = try? JSON.parse(line) { return try JSON.parse(line) }
                Self.write("    Please enter a JSON object.\n")
            }
        }
    }
}

/// Where this mf's own files are: the built-in templates, the Python runtime and ModelKit's
/// sources. A checkout's `.build/debug/mf` finds the checkout; an installation's `bin/mf`
/// (`scripts/install PREFIX`) finds `PREFIX/share/model-factory`, which has the same layout.
enum Installation {
    /// The folder holding `templates/`, `runtimes/` and `Sources/ModelKit`, found beside (or
    /// above) the mf executable.
    static let root: URL? = {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        if !CommandLine.arguments[0].contains("/"), let resolved = BuiltInTemplates.onPath(CommandLine.arguments[0]) {
            folder = resolved.resolvingSymlinksInPath().deletingLastPathComponent()
        }
        for _ in 0..<6 {
            for candidate in ["", "share/model-factory"] {
                let url = candidate.isEmpty ? folder : folder.appendingPathComponent(candidate)
                if FileManager.default.fileExists(atPath: url.appendingPathComponent("templates/python-model/cookiecutter.json").path) {
                    return url
                }
            }
            folder.deleteLastPathComponent()
        }
        return nil
    }()

    /// ModelKit as this mf ships it, for Swift models (nil when the installation lacks it).
    static var modelKit: ModelKitPackage? {
        guard let root else { return nil }
        let sources = root.appendingPathComponent("Sources/ModelKit")
        guard FileManager.default.fileExists(atPath: sources.path) else { return nil }
        let plugin = root.appendingPathComponent("Plugins/MFCommand")
        return ModelKitPackage(
            sources: sources, commandPlugin: FileManager.default.fileExists(atPath: plugin.appendingPathComponent("plugin.swift").path) ? plugin : nil)
    }
}

/// Where the built-in templates are.
enum BuiltInTemplates {
    /// --templates, else $MF_TEMPLATES, else the `templates/` folder of this installation.
    static func find(override templates: String?) -> URL? {
        if let templates { return URL(fileURLWithPath: templates) }
        if let path = ProcessInfo.processInfo.environment["MF_TEMPLATES"], !path.isEmpty { return URL(fileURLWithPath: path) }
        return Installation.root?.appendingPathComponent("templates")
    }

    static func onPath(_ name: String) -> URL? {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let url = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }
}
