public import Foundation
public import Jinja
internal import SystemKit

/// A cookiecutter template on disk: `cookiecutter.json`, one `{{cookiecutter.…}}` folder that is
/// the project, and optional `hooks/`.
public struct CookiecutterTemplate: Sendable {
    /// The folder holding `cookiecutter.json` (cookiecutter's `repo_dir`).
    public let directory: URL
    /// The variables, in the file's order.
    public let variables: Value.Dictionary
    /// The project folder's unrendered name (`{{cookiecutter.project_slug}}`).
    public let projectFolder: String

    /// The template's name, as replay files are named (the folder's name).
    public var name: String { directory.lastPathComponent }

    /// Reads the template in `directory`: its `cookiecutter.json` and the first entry (by name) that looks like `{{cookiecutter.…}}`.
    public static func load(at directory: URL) throws(ScaffoldError) -> CookiecutterTemplate {
        let file = directory.appendingPathComponent("cookiecutter.json")
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw .notATemplate(path: directory.path, reason: "it is not a folder")
        }
        guard let data = try? FileContents.read(atPath: file.path) else {
            throw .notATemplate(path: directory.path, reason: "it has no cookiecutter.json")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .invalidJSON(file: file.path, problem: "the file is not UTF-8 text")
        }
        let parsed: Value
        do { parsed = try JSON.parse(text) } catch { throw .invalidJSON(file: file.path, problem: error.description) }
        guard case .dict(let variables) = parsed else {
            throw .invalidJSON(file: file.path, problem: "the top level must be an object of variables")
        }
        // cookiecutter takes the first entry (in directory order) whose name holds "cookiecutter"
        // and the variable markers; sorted here so the choice is stable.
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
        guard let folder = entries.first(where: { $0.contains("cookiecutter") && $0.contains("{{") && $0.contains("}}") }) else {
            throw .notATemplate(path: directory.path, reason: "it has no project folder named like {{cookiecutter.project_slug}}")
        }
        return CookiecutterTemplate(directory: directory, variables: variables, projectFolder: folder)
    }

    /// The Jinja environment of this template (`_jinja2_env_vars`).
    public func environment(now: (@Sendable () -> Date)? = nil) throws(ScaffoldError) -> Jinja.Environment {
        var environment: Jinja.Environment
        if case .dict(let options) = variables["_jinja2_env_vars"] {
            do { environment = try Jinja.Environment(options: options) } catch {
                throw .notATemplate(path: directory.path, reason: "\(error)")
            }
        } else {
            environment = Jinja.Environment()
        }
        if let now { environment.now = now }
        return environment
    }
}
