public import Foundation
internal import GitKit
internal import Jinja
internal import SystemKit
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

    /// A built-in template's name, a local folder, or a git URL; nil with a replay file that
    /// records its template (a project's `.mf/scaffold.json`): that template is rendered.
    public var template: String?
    /// For a git template: the branch, tag or commit to render.
    public var checkout: String?
    /// For a git template: the exact commit to render (`checkout` then only names the ref it was
    /// asked by, for `cookiecutter._checkout`). A replay of `.mf/scaffold.json` sets it.
    public var commit: String?
    /// The template's folder inside the repository or folder.
    public var directory: String?
    /// The folder the project's folder is made in; the project's own name comes from the template.
    public var outputDirectory: URL
    /// `--set key=value`, in order.
    public var extraContext: [(String, String)] = []
    /// Which recorded answers to reuse instead of asking (`--replay`, `--replay-file`); none by default.
    public var replay: Replay = .none
    /// Render into an existing project folder, replacing the template's files and keeping others (`--overwrite-if-exists`); else it is an error.
    public var overwriteIfExists = false
    /// Run the template's `hooks/` scripts; false renders without them (`--accept-hooks no`).
    public var acceptHooks = true
    /// Who answers the questions; nil answers every one with its default (`--no-input`).
    public var prompter: (any ScaffoldPrompter)?
    /// Make the result a git repository on the branch flow.
    public var makeRepository = true
    /// The clock for `{% now %}` and the first commits.
    public var now: @Sendable () -> Date = { Date() }

    /// A request to render `template` into `outputDirectory`: defaults for every answer, no replay, hooks run, and a git repository made.
    public init(template: String, outputDirectory: URL) {
        self.template = template
        self.outputDirectory = outputDirectory
    }

    /// Renders again what a replay file records: its answers, and (for a project's
    /// `.mf/scaffold.json`) its template at the commit and in the folder it was rendered from.
    public init(replaying file: URL, outputDirectory: URL) {
        self.template = nil
        self.outputDirectory = outputDirectory
        self.replay = .file(file)
    }
}

/// Where a scaffolded project's template came from, as `.mf/scaffold.json` records it (under
/// `_mf`), so the project can be rendered again from the same template revision.
///
/// ```json
/// "_mf": { "template": "https://git.example.com/templates.git", "checkout": "v1",
///          "commit": "4f1c…", "directory": "python-model" }
/// ```
public struct TemplateSource: Sendable, Equatable, Encodable {
    /// The template: a built-in name, a folder's absolute path, or a git URL as given.
    public var template: String
    /// The branch, tag or commit asked for (`--checkout`); nil for the repository's HEAD.
    public var checkout: String?
    /// The commit rendered, for a git template.
    public var commit: String?
    /// The template's folder inside the repository or folder (`--directory`).
    public var directory: String?

    /// A source from the template as given and, for a git template, the revision asked for, the commit rendered and the folder inside.
    public init(template: String, checkout: String? = nil, commit: String? = nil, directory: String? = nil) {
        self.template = template
        self.checkout = checkout
        self.commit = commit
        self.directory = directory
    }

    /// The source a replay file records, nil for a file without one (cookiecutter's own
    /// replay files, or projects scaffolded before `_mf` was written).
    public static func recorded(in file: URL) throws(ScaffoldError) -> TemplateSource? {
        guard case .dict(let fields)? = try Scaffolder.readReplay(file)["_mf"] else { return nil }
        func text(_ key: String) -> String? { if case .string(let value)? = fields[key], !value.isEmpty { value } else { nil } }
        guard let template = text("template") else {
            throw .invalidJSON(file: file.path, problem: "_mf.template is missing; it names the template the project was rendered from")
        }
        if let commit = text("commit"), commit.count != 40 || !commit.allSatisfy(\.isHexDigit) {
            throw .invalidJSON(file: file.path, problem: "_mf.commit is '\(commit)', not a 40-digit commit id")
        }
        return TemplateSource(template: template, checkout: text("checkout"), commit: text("commit"), directory: text("directory"))
    }

    var json: Value {
        var fields = Value.Dictionary([("template", .string(template))])
        fields["checkout"] = checkout.map { .string($0) } ?? Value.none
        fields["directory"] = directory.map { .string($0) } ?? Value.none
        fields["commit"] = commit.map { .string($0) } ?? Value.none
        return .dict(fields)
    }
}

/// What a scaffold made.
public struct ScaffoldResult: Sendable, Encodable {
    /// The git repository the project was made into: its two lines, where HEAD is, and its first commit.
    public struct Repository: Sendable, Encodable {
        /// The production line's branch name (from the project's `.mf/flow.yaml`, else `master`), which holds the first commit.
        public let production: String
        /// The development line's branch name (from the project's `.mf/flow.yaml`, else `development`), made at the first commit.
        public let development: String
        /// The branch HEAD is on: the development line.
        public let head: String
        /// The first commit's full id.
        public let commit: String
    }

    /// The path of the project folder made (the output folder and the rendered project name).
    public let project: String
    /// The template rendered, as named (a built-in name, a folder or a git URL) or as the replay file recorded it.
    public let template: String
    /// The template repository's commit, for a git template.
    public let templateCommit: String?
    /// Where the template came from, as `.mf/scaffold.json` records it.
    public let source: TemplateSource
    /// The files the template wrote, relative to the project folder (not those of its hooks or `.mf`).
    public let files: [String]
    /// The answers by variable, private (`_`) variables left out; a value that is not a string is written as one-line JSON.
    public let answers: [String: String]
    /// `--set` keys the template does not have (ignored, as cookiecutter ignores them).
    public let ignoredKeys: [String]
    /// The git repository made of the project; nil when none was asked for (`--no-git`).
    public let repository: Repository?
}

/// A built-in template, for `mf scaffold --list`.
public struct BuiltInTemplate: Sendable, Encodable {
    /// The template's folder name, as `mf scaffold` takes it.
    public let name: String
    /// The template's `_description` from its `cookiecutter.json`; empty when it has none.
    public let description: String
    /// The template's folder on disk.
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
    /// Runs the template's hooks (`pre_gen_project`, `post_gen_project`) when a request accepts them.
    public let hooks: HookRunner

    /// Where a scaffolded project records its answers (cookiecutter's replay format).
    public static let answersPath = ".mf/scaffold.json"

    /// A scaffolder over the built-in templates in `builtInTemplates` (nil for none), keeping replay files and git templates under `home`.
    public init(builtInTemplates: URL?, home: URL, hooks: HookRunner = HookRunner()) {
        self.builtInTemplates = builtInTemplates
        self.home = home
        self.hooks = hooks
    }

    /// The built-in templates that load, in order of name; empty when there is no templates folder.
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

    /// Where the template is: its folder, the `_repo_dir` cookiecutter would report, for a
    /// git template the exported checkout to remove afterwards and the commit, and what
    /// `.mf/scaffold.json` records of it.
    struct Source {
        let folder: URL
        let repoDirectory: String
        let temporary: URL?
        let commit: String?
        let recorded: TemplateSource
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

    /// The template as `.mf/scaffold.json` records it: a folder by its absolute path (so the
    /// record works from any folder), anything else as given.
    func recordedName(_ template: String) -> String {
        var isFolder: ObjCBool = false
        if isBuiltIn(template) || !FileManager.default.fileExists(atPath: template, isDirectory: &isFolder) || !isFolder.boolValue {
            return template
        }
        return URL(fileURLWithPath: template).standardizedFileURL.path
    }

    private func isBuiltIn(_ template: String) -> Bool {
        guard let builtInTemplates, !template.contains("/") else { return false }
        return FileManager.default.fileExists(atPath: builtInTemplates.appendingPathComponent(template).appendingPathComponent("cookiecutter.json").path)
            && !FileManager.default.fileExists(atPath: template)
    }

    func locate(_ request: ScaffoldRequest, template: String) throws(ScaffoldError) -> Source {
        let manager = FileManager.default
        func within(_ folder: URL) -> URL { request.directory.map { folder.appendingPathComponent($0) } ?? folder }
        var isFolder: ObjCBool = false
        if let builtInTemplates, isBuiltIn(template) {
            let folder = within(builtInTemplates.appendingPathComponent(template))
            return Source(
                folder: folder, repoDirectory: folder.path, temporary: nil, commit: nil,
                recorded: TemplateSource(template: template, directory: request.directory))
        }
        if manager.fileExists(atPath: template, isDirectory: &isFolder), isFolder.boolValue {
            let folder = within(URL(fileURLWithPath: template))
            let repoDirectory = request.directory.map { (template as NSString).appendingPathComponent($0) } ?? template
            return Source(
                folder: folder, repoDirectory: repoDirectory, temporary: nil, commit: nil,
                recorded: TemplateSource(template: recordedName(template), directory: request.directory))
        }
        guard Self.isRepositoryURL(template) || template.hasSuffix(".git") else {
            throw .templateNotFound(template, builtIns: builtIns().map(\.name))
        }
        // A git template: a bare mirror cached under $MF_HOME/templates, then the wanted commit's
        // tree exported to a scratch folder; all through the git layer.
        let url = Self.expandAbbreviation(template)
        var name = url.split(whereSeparator: { "/:@".contains($0) }).last.map(String.init) ?? "template"
        if name.hasSuffix(".git") { name.removeLast(4) }
        let mirrorPath = home.appendingPathComponent("templates").appendingPathComponent("\(name)-\(stableHash(url)).git")
        let scratch = home.appendingPathComponent("templates/checkouts/\(UUID().uuidString)")
        do {
            try manager.createDirectory(at: mirrorPath.deletingLastPathComponent(), withIntermediateDirectories: true)
            let mirror = try Repository.mirror(from: url, to: mirrorPath.path)
            let commit: ObjectID
            if let pinned = request.commit {
                do { commit = try mirror.resolveCommit(pinned) } catch {
                    throw ScaffoldError.templateCommitMissing(template: template, commit: pinned, checkout: request.checkout)
                }
            } else {
                commit = try mirror.resolveCommit(request.checkout ?? "HEAD")
            }
            let exported = scratch.appendingPathComponent(name)
            try manager.createDirectory(at: scratch, withIntermediateDirectories: true)
            _ = try mirror.export(commit: commit, to: exported.path)
            return Source(
                folder: within(exported), repoDirectory: within(exported).path, temporary: scratch, commit: commit.hex,
                recorded: TemplateSource(template: template, checkout: request.checkout, commit: commit.hex, directory: request.directory))
        } catch let error as ScaffoldError {
            try? manager.removeItem(at: scratch)
            throw error
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

    /// A replay file's JSON object.
    static func readReplay(_ file: URL) throws(ScaffoldError) -> Value.Dictionary {
        guard let data = try? FileContents.read(atPath: file.path) else { throw .replayNotFound(path: file.path) }
        guard case .dict(let replayed)? = try? JSON.parse(String(decoding: data, as: UTF8.self)),
            case .dict? = replayed["cookiecutter"]
        else {
            throw .invalidJSON(file: file.path, problem: "a replay file is an object with a \"cookiecutter\" object")
        }
        return replayed
    }

    /// The request with what a replay file records of its template filled in: with no TEMPLATE,
    /// or the one the file records, the recorded folder (unless `--directory`) and commit
    /// (unless `--checkout` asks for another revision) are rendered.
    func completing(_ request: ScaffoldRequest) throws(ScaffoldError) -> (request: ScaffoldRequest, template: String) {
        var request = request
        guard case .file(let file) = request.replay, let recorded = try TemplateSource.recorded(in: file) else {
            guard let template = request.template else {
                if case .file(let file) = request.replay { throw .replayNamesNoTemplate(path: file.path) }
                throw .templateNotFound("", builtIns: builtIns().map(\.name))
            }
            return (request, template)
        }
        if let template = request.template, recordedName(template) != recorded.template { return (request, template) }
        if request.directory == nil { request.directory = recorded.directory }
        if request.checkout == nil, request.commit == nil {
            request.checkout = recorded.checkout
            request.commit = recorded.commit
        }
        return (request, request.template ?? recorded.template)
    }

    /// Renders the template into the output folder, records the answers for `--replay`, and (unless `makeRepository` is off) makes a git repository.
    public func scaffold(_ request: ScaffoldRequest) async throws(ScaffoldError) -> ScaffoldResult {
        let (request, templateName) = try completing(request)
        let source = try locate(request, template: templateName)
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
            let replayed = try Self.readReplay(file)
            guard case .dict(let known)? = replayed["cookiecutter"] else { throw .replayNotFound(path: file.path) }
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
        answers["_template"] = .string(templateName)
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
        // What the folder held before (with --overwrite-if-exists): not the template's, so never committed.
        let before = request.makeRepository ? Self.filesUnder(project) : []
        let output = try await generator.generate(
            into: request.outputDirectory, overwrite: request.overwriteIfExists, runHooks: request.acceptHooks, hookRunner: hooks)

        try record(context, to: replayFile(for: template))
        var repository: ScaffoldResult.Repository?
        if request.makeRepository {
            do {
                let written = Set(output.files)
                repository = try makeRepository(
                    output.project, context: context, request: request, source: source.recorded, folderWasEmpty: before.isEmpty
                ) { path in
                    written.contains(path) || !before.contains(path)
                }
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
            project: output.project.path, template: templateName, templateCommit: source.commit, source: source.recorded,
            files: output.files, answers: flat, ignoredKeys: ignored, repository: repository)
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
        guard let data = try? FileContents.read(atPath: path), let text = String(data: data, encoding: .utf8) else {
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

    /// The files and links under `folder` (relative paths, `.git` skipped); none when it does not exist.
    static func filesUnder(_ folder: URL) -> Set<String> {
        guard let walker = FileManager.default.enumerator(atPath: folder.path) else { return [] }
        var files: Set<String> = []
        while let relative = walker.nextObject() as? String {
            if relative == ".git" {
                walker.skipDescendants()
                continue
            }
            var info = stat()
            if lstat(folder.path + "/" + relative, &info) == 0, info.st_mode & S_IFMT != S_IFDIR { files.insert(relative) }
        }
        return files
    }

    /// Makes the project a repository whose first commit holds the files `isTemplates` takes
    /// (what the template and its hooks wrote) and the factory's own `.mf` files, nothing else.
    private func makeRepository(
        _ project: URL, context: Value.Dictionary, request: ScaffoldRequest, source: TemplateSource, folderWasEmpty: Bool,
        isTemplates: (String) -> Bool
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
        recorded["_mf"] = source.json
        do {
            if flowFile == nil {
                try manager.createDirectory(at: project.appendingPathComponent(".mf"), withIntermediateDirectories: true)
                let flow =
                    "production: \(production)\ndevelopment: \(development)\nprefixes:\n  feature: feature/\n  hotfix: hotfix/\n  release: release/\n  versiontag: v\n"
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
            let commit: ObjectID
            if folderWasEmpty {
                // The files are on disk already: committed as they are (one pack of objects, an
                // index that matches the work tree), so nothing is checked out afterwards.
                commit = try repository.commitWorkTree(
                    message: "Scaffold from \(source.template)\n", author: author, updating: "refs/heads/" + production)
            } else {
                // --overwrite-if-exists into a folder with files of its own: only the template's
                // files (and .mf's) are committed, then checked out so the index matches.
                let tree = try repository.writeTree(fromDirectory: project.path, honoringIgnoreRules: true) { path in
                    path == FlowConfiguration.filePath || path == Self.answersPath || isTemplates(path)
                }
                commit = try repository.commit(
                    tree: tree, parents: [], message: "Scaffold from \(source.template)\n", author: author,
                    updating: "refs/heads/" + production)
            }
            try repository.createBranch(development, at: commit)
            try repository.setHead("refs/heads/" + development)
            if !folderWasEmpty { try repository.checkoutHead(force: true) }
            return ScaffoldResult.Repository(production: production, development: development, head: development, commit: commit.hex)
        } catch {
            throw .git(error)
        }
    }
}
