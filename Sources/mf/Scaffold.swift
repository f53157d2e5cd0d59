import ArgumentParser
import Foundation
import Jinja
import ModelFactory

struct Scaffold: ParsableCommand {
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
            .mf/scaffold.json for --replay-file.

            The result is a git repository: one commit on the production line (master) and the \
            development line (development), HEAD on development, and .mf/flow.yaml naming them. \
            Start work with a feature/* branch from development.

            --json prints {project, template, templateCommit, files, answers, ignoredKeys, \
            repository: {production, development, head, commit}}.
            """
    )

    @Argument(help: ArgumentHelp("A built-in template name, a template folder, or a git URL.", valueName: "template"))
    var template: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("The folder to create the project in.", valueName: "dir"))
    var output: String = "."

    @Flag(name: .long, help: "Ask nothing: every variable takes its default (or its --set value).")
    var noInput = false

    @Option(name: .customLong("set"), help: ArgumentHelp("Answer a variable (repeatable), like cookiecutter's extra context.", valueName: "key=value"))
    var set: [String] = []

    @Flag(name: .long, help: "Answer with the answers last given to this template.")
    var replay = false

    @Option(name: .long, help: ArgumentHelp("Answer from a replay file (cookiecutter's, or a project's .mf/scaffold.json).", valueName: "file"))
    var replayFile: String?

    @Option(name: .long, help: ArgumentHelp("For a git template: the branch, tag or commit to use.", valueName: "ref"))
    var checkout: String?

    @Option(name: .long, help: ArgumentHelp("The template's folder inside the repository or folder.", valueName: "subdir"))
    var directory: String?

    @Flag(name: .long, help: "Render into an existing project folder, replacing the files the template writes (never deleting others).")
    var overwriteIfExists = false

    @Option(name: .long, help: ArgumentHelp("Run the template's hooks: yes (default), no, or ask.", valueName: "yes|no|ask"))
    var acceptHooks: String = "yes"

    @Flag(name: .long, help: "Leave the result a plain folder, not a git repository.")
    var noGit = false

    @Flag(name: .long, help: "List the built-in templates and exit.")
    var list = false

    @Option(name: .long, help: ArgumentHelp("The folder of built-in templates (default: $MF_TEMPLATES, else the templates/ folder of this installation).", valueName: "dir"))
    var templates: String?

    @Flag(name: .long, help: "Print JSON for scripts instead of text.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("The factory's home folder (default: $MF_HOME, else ~/.mf).", valueName: "path"))
    var home: String?

    func validate() throws {
        if !list, template == nil { throw ValidationError("Missing expected argument '<template>' (or pass --list).") }
        if (replay || replayFile != nil) && !set.isEmpty { throw ValidationError("--replay cannot be combined with --set.") }
        if !["yes", "no", "ask"].contains(acceptHooks) { throw ValidationError("--accept-hooks takes yes, no or ask.") }
        for pair in set where !pair.contains("=") { throw ValidationError("--set takes key=value, not '\(pair)'.") }
    }

    func run() throws {
        try reportingErrors {
            let scaffolder = Scaffolder(builtInTemplates: builtInTemplates(), home: homeURL, hooks: HookRunner(output: json ? 2 : 1))
            if list {
                let builtIns = scaffolder.builtIns()
                if json { try printJSON(builtIns) } else {
                    for template in builtIns { print(template.name.padding(toLength: 16, withPad: " ", startingAt: 0) + template.description) }
                }
                return
            }
            var request = ScaffoldRequest(template: template!, outputDirectory: URL(fileURLWithPath: output))
            request.checkout = checkout
            request.directory = directory
            request.extraContext = set.map { pair in
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (String(parts[0]), String(parts[1]))
            }
            if let replayFile { request.replay = .file(URL(fileURLWithPath: replayFile)) } else if replay { request.replay = .last }
            request.overwriteIfExists = overwriteIfExists
            request.prompter = noInput ? nil : TerminalPrompter()
            request.makeRepository = !noGit
            switch acceptHooks {
            case "no": request.acceptHooks = false
            case "ask": request.acceptHooks = TerminalPrompter.confirm("Run the template's hooks?", default: true)
            default: request.acceptHooks = true
            }
            let result = try scaffolder.scaffold(request)
            for key in result.ignoredKeys { printWarning("the template has no variable '\(key)'; --set \(key)=… was ignored") }
            if json {
                try printJSON(result)
            } else {
                print("Created \(result.project) from \(result.template) (\(result.files.count) files).")
                if let repository = result.repository {
                    print("A git repository: \(repository.production) and \(repository.development) at \(repository.commit.prefix(8)), HEAD on \(repository.head).")
                    print("Next: cd \(result.project) && git switch -c feature/first-change && mf build")
                }
            }
        }
    }

    var homeURL: URL {
        if let home { return URL(fileURLWithPath: home) }
        if let home = ProcessInfo.processInfo.environment["MF_HOME"], !home.isEmpty { return URL(fileURLWithPath: home) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".mf")
    }

    func builtInTemplates() -> URL? { BuiltInTemplates.find(override: templates) }
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
                if let number = Int(line), (1 ... options.count).contains(number) { return .string(options[number - 1]) }
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

/// Where the built-in templates are.
enum BuiltInTemplates {
    /// --templates, else $MF_TEMPLATES, else a `templates/` folder beside (or above) the mf
    /// executable: a checkout's `.build/debug/mf` finds the checkout's templates, an
    /// installation's `bin/mf` finds `share/model-factory/templates`.
    static func find(override templates: String?) -> URL? {
        if let templates { return URL(fileURLWithPath: templates) }
        if let path = ProcessInfo.processInfo.environment["MF_TEMPLATES"], !path.isEmpty { return URL(fileURLWithPath: path) }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        if !CommandLine.arguments[0].contains("/"), let resolved = Self.onPath(CommandLine.arguments[0]) {
            folder = resolved.resolvingSymlinksInPath().deletingLastPathComponent()
        }
        for _ in 0 ..< 6 {
            for candidate in ["templates", "share/model-factory/templates"] {
                let url = folder.appendingPathComponent(candidate)
                if FileManager.default.fileExists(atPath: url.appendingPathComponent("python-model/cookiecutter.json").path) { return url }
            }
            folder.deleteLastPathComponent()
        }
        return nil
    }

    static func onPath(_ name: String) -> URL? {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let url = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }
}
