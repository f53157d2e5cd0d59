public import Foundation
internal import GitKit
internal import Jinja
internal import Yams

/// What `mf scaffold` asks for.
public struct ScaffoldRequest: Sendable {
    /// Where earlier answers come from.
    public enum Replay: Sendable {
        case none
        /// The answers last given to this template (`$MF_HOME/replay/<template>.json`).
        case last
        /// A replay file: cookiecutter's format, or a scaffolded project's `.mf/scaffold.json`.
        case file(URL)
    }

    /// A built-in template's name, a local folder, or a git URL.
    public var template: String
    /// For a git template: the branch, tag or commit to render.
    public var checkout: String?
    /// The template's folder inside the repository or folder.
    public var directory: String?
    public var outputDirectory: URL
    /// `--set key=value`, in order.
    public var extraContext: [(String, String)] = []
    public var replay: Replay = .none
    public var overwriteIfExists = false
    public var acceptHooks = true
    /// Who answers the questions; nil answers every one with its default (`--no-input`).
    public var prompter: (any ScaffoldPrompter)?
    /// Make the result a git repository on the branch flow.
    public var makeRepository = true
    /// The clock for `{% now %}` and the first commits.
    public var now: @Sendable () -> Date = { Date() }

    public init(template: String, outputDirectory: URL) {
        self.template = template
        self.outputDirectory = outputDirectory
    }
}

/// What a scaffold made.
public struct ScaffoldResult: Sendable, Encodable {
    public struct Repository: Sendable, Encodable {
        public let production: String
        public let development: String
        public let head: String
        public let commit: String
    }

    public let project: String
    public let template: String
    /// The template repository's commit, for a git template.
    public let templateCommit: String?
    public let files: [String]
    public let answers: [String: String]
    /// `--set` keys the template does not have (ignored, as cookiecutter ignores them).
    public let ignoredKeys: [String]
    public let repository: Repository?
}

/// A built-in template, for `mf scaffold --list`.
public struct BuiltInTemplate: Sendable, Encodable {
    public let name: String
    public let description: String
    public let path: String
}

/// `mf scaffold`: finds the template, answers its variables, renders it, and makes the result a
/// git repository with the branch flow set up (a first commit on the production and the
/// development line, HEAD on development, `.mf/flow.yaml` naming them, the answers recorded).
public struct Scaffolder: Sendable {
    /// The folder of built-in templates (the repository's `templates/`).
    public let builtInTemplates: URL?
    /// `$MF_HOME`: replay files and the cache of git templates live there.
    public let home: URL
    public let hooks: HookRunner

    /// Where a scaffolded project records its answers (cookiecutter's replay format).
    public static let answersPath = ".mf/scaffold.json"

    public init(builtInTemplates: URL?, home: URL, hooks: HookRunner = HookRunner()) {
        self.builtInTemplates = builtInTemplates
        self.home = home
        self.hooks = hooks
    }

    public func builtIns() -> [BuiltInTemplate] {
        guard let builtInTemplates else { return [] }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: builtInTemplates.path)) ?? []).sorted()
        return names.compactMap { name in
            let folder = builtInTemplates.appendingPathComponent(name)
            guard let template = try? CookiecutterTemplate.load(at: folder) else { return nil }
            let description = (try? template.variables["_description"]?.text()) ?? ""
            return BuiltInTemplate(name: name, description: description, path: folder.path)
        }
    }

    /// Where the template is: its folder, the `_repo_dir` cookiecutter would report, and for a
    /// git template the exported checkout to remove afterwards and the commit.
    struct Source {
        let folder: URL
        let repoDirectory: String
        let temporary: URL?
        let commit: String?
    }

    static func isRepositoryURL(_ text: String) -> Bool {
        text.range(of: #"^((((git|hg)\+)?(git|ssh|file|https?):(//)?)|(\w+@[\w\.]+))"#, options: .regularExpression) != nil
            || text.hasPrefix("gh:") || text.hasPrefix("gl:") || text.hasPrefix("bb:")
    }

    static func expandAbbreviation(_ text: String) -> String {
        for (prefix, base) in [("gh:", "https://github.com/"), ("gl:", "https://gitlab.com/"), ("bb:", "https://bitbucket.org/")] where text.hasPrefix(prefix) {
            return base + text.dropFirst(prefix.count) + ".git"
        }
        return text
    }

    func locate(_ request: ScaffoldRequest) throws(ScaffoldError) -> Source {
        let manager = FileManager.default
        func within(_ folder: URL) -> URL { request.directory.map { folder.appendingPathComponent($0) } ?? folder }
        var isFolder: ObjCBool = false
        if let builtInTemplates, !request.template.contains("/"),
           manager.fileExists(atPath: builtInTemplates.appendingPathComponent(request.template).appendingPathComponent("cookiecutter.json").path),
           !manager.fileExists(atPath: request.template) {
            let folder = within(builtInTemplates.appendingPathComponent(request.template))
            return Source(folder: folder, repoDirectory: folder.path, temporary: nil, commit: nil)
        }
        if manager.fileExists(atPath: request.template, isDirectory: &isFolder), isFolder.boolValue {
            let folder = within(URL(fileURLWithPath: request.template))
            let repoDirectory = request.directory.map { (request.template as NSString).appendingPathComponent($0) } ?? request.template
            return Source(folder: folder, repoDirectory: repoDirectory, temporary: nil, commit: nil)
        }
        guard Self.isRepositoryURL(request.template) || request.template.hasSuffix(".git") else {
            throw .templateNotFound(request.template, builtIns: builtIns().map(\.name))
        }
        // A git template: a bare mirror cached under $MF_HOME/templates, then the wanted commit's
        // tree exported to a scratch folder; all through the git layer.
        let url = Self.expandAbbreviation(request.template)
        var name = url.split(whereSeparator: { "/:@".contains($0) }).last.map(String.init) ?? "template"
        if name.hasSuffix(".git") { name.removeLast(4) }
        let mirrorPath = home.appendingPathComponent("templates").appendingPathComponent("\(name)-\(stableHash(url)).git")
        let scratch = home.appendingPathComponent("templates/checkouts/\(UUID().uuidString)")
        do {
            try manager.createDirectory(at: mirrorPath.deletingLastPathComponent(), withIntermediateDirectories: true)
            let mirror = try Repository.mirror(from: url, to: mirrorPath.path)
            let commit = try mirror.resolveCommit(request.checkout ?? "HEAD")
            let exported = scratch.appendingPathComponent(name)
            try manager.createDirectory(at: scratch, withIntermediateDirectories: true)
            _ = try mirror.export(commit: commit, to: exported.path)
            return Source(folder: within(exported), repoDirectory: within(exported).path, temporary: scratch, commit: commit.hex)
        } catch let error as GitError {
            try? manager.removeItem(at: scratch)
            throw .git(error)
        } catch {
            try? manager.removeItem(at: scratch)
            throw .io(path: mirrorPath.path, problem: "cannot fetch the template: \(error.localizedDescription)")
        }
    }

    private func stableHash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }

    func replayFile(for template: CookiecutterTemplate) -> URL {
        home.appendingPathComponent("replay").appendingPathComponent(template.name + ".json")
    }

    public func scaffold(_ request: ScaffoldRequest) throws(ScaffoldError) -> ScaffoldResult {
        let source = try locate(request)
        defer { if let temporary = source.temporary { try? FileManager.default.removeItem(at: temporary) } }
        let template = try CookiecutterTemplate.load(at: source.folder)
        let environment = try template.environment(now: request.now)
        if request.acceptHooks, HookRunner.hasPrePrompt(template) {
            throw .notATemplate(path: template.directory.path, reason: "its pre_prompt hook is not supported; pass --accept-hooks no to render without hooks")
        }

        // The variables with `--set` applied, and what cookiecutter keeps as `_cookiecutter`.
        let (variables, ignored) = try Answers.applying(request.extraContext, to: template.variables)
        var original = Value.Dictionary()
        for (key, value) in variables.pairs where !key.hasPrefix("_") { original[key] = value }

        var context: Value.Dictionary
        var answers: Value.Dictionary
        switch request.replay {
        case .none:
            answers = variables
            answers["__prompts__"] = nil
            let resolved = try Answers.resolve(variables, environment: environment, prompter: request.prompter)
            for (key, value) in resolved.pairs { answers[key] = value }
            context = Value.Dictionary([("_cookiecutter", .dict(original))])
        case .last, .file:
            let file: URL = if case .file(let url) = request.replay { url } else { replayFile(for: template) }
            guard let data = Generator.read(file.path) else { throw .replayNotFound(path: file.path) }
            guard case .dict(let replayed)? = try? JSON.parse(String(decoding: data, as: UTF8.self)),
                  case .dict(let known)? = replayed["cookiecutter"] else {
                throw .invalidJSON(file: file.path, problem: "a replay file is an object with a \"cookiecutter\" object")
            }
            var missing = Value.Dictionary()
            for (key, value) in variables.pairs where known[key] == nil { missing[key] = value }
            answers = known
            let resolved = try Answers.resolve(missing, environment: environment, prompter: request.prompter, known: known)
            for (key, value) in resolved.pairs { answers[key] = value }
            // As cookiecutter: the replayed context, with `_cookiecutter` made from its answers.
            context = replayed
            context["_mf"] = nil
            var replayedOriginal = Value.Dictionary()
            for (key, value) in known.pairs where !key.hasPrefix("_") { replayedOriginal[key] = value }
            context["_cookiecutter"] = .dict(replayedOriginal)
        }
        answers["_template"] = .string(request.template)
        answers["_output_dir"] = .string(request.outputDirectory.standardizedFileURL.path)
        answers["_repo_dir"] = .string(source.repoDirectory)
        answers["_checkout"] = request.checkout.map { .string($0) } ?? Value.none
        context["cookiecutter"] = .dict(answers)
        if context["_cookiecutter"] == nil { context["_cookiecutter"] = .dict(original) }

        let generator = Generator(template: template, context: context, environment: environment)
        let project = request.outputDirectory.appendingPathComponent(try generator.projectName())
        if request.makeRepository, FileManager.default.fileExists(atPath: project.appendingPathComponent(".git").path) {
            throw .io(path: project.path, problem: "it is already a git repository; scaffold into a new folder, or pass --no-git")
        }
        let output = try generator.generate(
            into: request.outputDirectory, overwrite: request.overwriteIfExists, runHooks: request.acceptHooks, hookRunner: hooks)

        try record(context, to: replayFile(for: template))
        var repository: ScaffoldResult.Repository?
        if request.makeRepository {
            do {
                repository = try makeRepository(output.project, context: context, request: request, templateCommit: source.commit)
            } catch {
                if output.created { try? FileManager.default.removeItem(at: output.project) }
                throw error
            }
        }
        var flat: [String: String] = [:]
        for (key, value) in answers.pairs where !key.hasPrefix("_") {
            flat[key] = if case .string(let text) = value { text } else { (try? JSON.dumps(value, indent: nil)) ?? "" }
        }
        return ScaffoldResult(
            project: output.project.path, template: request.template, templateCommit: source.commit, files: output.files,
            answers: flat, ignoredKeys: ignored, repository: repository)
    }

    /// Writes a replay file (cookiecutter's format) atomically: aside, then renamed into place
    /// (not synced to disk, as no file of a scaffold is: a lost replay file is asked again).
    private func record(_ context: Value.Dictionary, to file: URL) throws(ScaffoldError) {
        let aside = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).\(getpid()).tmp")
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Generator.write(Data((try JSON.dumps(.dict(context), indent: 2, sortKeys: false) + "\n").utf8), to: aside, mode: 0o644)
            guard rename(aside.path, file.path) == 0 else { throw ScaffoldError.io(path: file.path, problem: String(cString: strerror(errno))) }
        } catch {
            unlink(aside.path)
            throw .io(path: file.path, problem: "cannot write the answers: \(error)")
        }
    }

    /// The branch names a `.mf/flow.yaml` in the project sets, else master and development.
    static func flowNames(_ project: URL) -> (production: String, development: String, file: String?) {
        let path = project.appendingPathComponent(FlowConfiguration.filePath).path
        guard let data = Generator.read(path), let text = String(data: data, encoding: .utf8) else {
            return ("master", "development", nil)
        }
        // Two plain keys: read from the node tree with the basic resolver, which (unlike the
        // default one) compiles no regular expressions.
        var names: [String: String] = [:]
        if case .mapping(let mapping)? = try? Yams.compose(yaml: text, .basic) {
            for (key, value) in mapping {
                if let key = key.string, let value = value.string, key == "production" || key == "development" { names[key] = value }
            }
        }
        return (names["production"] ?? "master", names["development"] ?? "development", text)
    }

    private func makeRepository(
        _ project: URL, context: Value.Dictionary, request: ScaffoldRequest, templateCommit: String?
    ) throws(ScaffoldError) -> ScaffoldResult.Repository {
        let manager = FileManager.default
        let (production, development, flowFile) = Self.flowNames(project)
        // The answers, to render the template again later (`--replay-file .mf/scaffold.json`);
        // without the paths of this machine.
        var recorded = context
        if case .dict(var answers)? = recorded["cookiecutter"] {
            answers["_output_dir"] = nil
            answers["_repo_dir"] = nil
            recorded["cookiecutter"] = .dict(answers)
        }
        var source = Value.Dictionary([("template", .string(request.template))])
        source["checkout"] = request.checkout.map { .string($0) } ?? Value.none
        source["directory"] = request.directory.map { .string($0) } ?? Value.none
        source["commit"] = templateCommit.map { .string($0) } ?? Value.none
        recorded["_mf"] = .dict(source)
        do {
            if flowFile == nil {
                try manager.createDirectory(at: project.appendingPathComponent(".mf"), withIntermediateDirectories: true)
                let flow = "production: \(production)\ndevelopment: \(development)\nprefixes:\n  feature: feature/\n  hotfix: hotfix/\n  release: release/\n  versiontag: v\n"
                try Generator.write(Data(flow.utf8), to: project.appendingPathComponent(FlowConfiguration.filePath), mode: 0o644)
            }
        } catch {
            throw .io(path: project.path, problem: "cannot write .mf/flow.yaml: \(error)")
        }
        try record(recorded, to: project.appendingPathComponent(Self.answersPath))
        do {
            let repository = try Repository.create(at: project.path, initialBranch: production)
            let name = (try? repository.configValue("user.name")) ?? nil
            let email = (try? repository.configValue("user.email")) ?? nil
            let author = Signature(name: name ?? "Model Factory", email: email ?? "mf@localhost", time: request.now())
            // The files are on disk already: committed as they are (one pack of objects, an index
            // that matches the work tree), so nothing is checked out afterwards.
            let commit = try repository.commitWorkTree(
                message: "Scaffold from \(request.template)\n", author: author, updating: "refs/heads/" + production)
            try repository.createBranch(development, at: commit)
            try repository.setHead("refs/heads/" + development)
            return ScaffoldResult.Repository(production: production, development: development, head: development, commit: commit.hex)
        } catch {
            throw .git(error)
        }
    }
}
