public import GitKit
public import Jinja

/// Why a project could not be scaffolded; each case names the template, file or answer at fault.
public enum ScaffoldError: Error, Sendable, CustomStringConvertible {
    /// TEMPLATE is neither a built-in name, a folder, nor a git URL.
    case templateNotFound(String, builtIns: [String])
    /// The folder exists but is not a cookiecutter template.
    case notATemplate(path: String, reason: String)
    /// `cookiecutter.json` (or a replay file) is not valid JSON.
    case invalidJSON(file: String, problem: String)
    /// An answer from `--set` or the terminal that the variable does not accept.
    case invalidAnswer(variable: String, problem: String)
    /// A template (a file, a path, a default, a hook) failed to render.
    case render(what: String, TemplateError)
    /// A rendered path that would leave the project folder, or is not a usable name.
    case unsafePath(template: String, rendered: String, problem: String)
    /// The output folder exists and `--overwrite-if-exists` was not given.
    case outputExists(path: String)
    case hookFailed(hook: String, problem: String)
    case replayNotFound(path: String)
    /// `--replay-file` without TEMPLATE, and the file does not record one.
    case replayNamesNoTemplate(path: String)
    /// The commit a replay file records is not in the template's repository.
    case templateCommitMissing(template: String, commit: String, checkout: String?)
    case io(path: String, problem: String)
    case git(GitError)

    /// The sentence a user reads: what failed, with the template, file or answer at fault and, where there is one, the fix.
    public var description: String {
        switch self {
        case .templateNotFound(let name, let builtIns):
            "no template '\(name)': it is not a built-in template (\(builtIns.joined(separator: ", "))), an existing folder or a git URL"
        case .notATemplate(let path, let reason): "\(path) is not a cookiecutter template: \(reason)"
        case .invalidJSON(let file, let problem): "\(file) is not valid JSON: \(problem)"
        case .invalidAnswer(let variable, let problem): "invalid value for '\(variable)': \(problem)"
        case .render(let what, let error):
            "cannot render \(what)" + (error.line.map { " (line \($0))" } ?? "") + ": "
                + (error.kind == .syntax ? "syntax error: " : "") + error.message
        case .unsafePath(let template, let rendered, let problem):
            "the template path '\(template)' renders to '\(rendered)', which \(problem); nothing was written"
        case .outputExists(let path): "\(path) already exists; pass --overwrite-if-exists to render into it"
        case .hookFailed(let hook, let problem): "the \(hook) hook failed (\(problem)); nothing of this run was kept"
        case .replayNotFound(let path): "there are no recorded answers to replay at \(path)"
        case .replayNamesNoTemplate(let path):
            "\(path) does not record which template it was rendered from (no _mf.template); name the template: mf scaffold TEMPLATE --replay-file \(path)"
        case .templateCommitMissing(let template, let commit, let checkout):
            "the template's recorded commit \(commit.prefix(12))\(checkout.map { " (\($0))" } ?? "") is no longer in \(template); pass --checkout REF to render another revision"
        case .io(let path, let problem): "\(path): \(problem)"
        case .git(let error): "\(error)"
        }
    }
}
