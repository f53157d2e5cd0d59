public import Foundation
public import Jinja
internal import SystemKit

/// Runs a template's `hooks/` scripts as cookiecutter does: each script named after the hook
/// (`pre_gen_project.py`, `post_gen_project.sh`) is rendered with the context, written to a
/// temporary file, and run in the project folder (`.py` with Python, others directly).
public struct HookRunner: Sendable {
    /// The interpreter for `.py` hooks.
    public var python: String
    /// The descriptor hooks' standard output goes to (the command sends it to standard error
    /// with `--json`, so that the JSON stays clean).
    public var output: Int32

    public init(python: String = "python3", output: Int32 = 2) {
        self.python = python
        self.output = output
    }

    /// Whether the template has a `pre_prompt` hook, which this scaffolder does not run.
    public static func hasPrePrompt(_ template: CookiecutterTemplate) -> Bool { !scripts("pre_prompt", in: template).isEmpty }

    /// The scripts of `hook` in `template`, in name order.
    public static func scripts(_ hook: String, in template: CookiecutterTemplate) -> [URL] {
        let folder = template.directory.appendingPathComponent("hooks")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().filter { name in
            !name.hasSuffix("~") && (name as NSString).deletingPathExtension == hook
        }.map { folder.appendingPathComponent($0) }
    }

    public func run(
        _ hook: String, template: CookiecutterTemplate, project: URL, context: Value.Dictionary, environment: Jinja.Environment
    ) async throws(ScaffoldError) {
        for script in Self.scripts(hook, in: template) {
            guard let data = try? FileContents.read(atPath: script.path), let source = String(validating: data, as: UTF8.self) else {
                throw .hookFailed(hook: hook, problem: "\(script.lastPathComponent) is not readable UTF-8 text")
            }
            let rendered: String
            do { rendered = try Template(source, name: "hooks/" + script.lastPathComponent, environment: environment).render(context) } catch {
                throw .hookFailed(hook: hook, problem: "\(error)")
            }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mf-hook-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appendingPathComponent(script.lastPathComponent)
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                // Written as the project's files are (Foundation's writer syncs each file to disk).
                try Generator.write(Data(rendered.utf8), to: file, mode: 0o700)
            } catch {
                throw .hookFailed(hook: hook, problem: "cannot write the rendered script: \(error)")
            }
            let command = file.pathExtension == "py" ? [python, file.path] : [file.path]
            // Its stdin and stderr are ours (a hook may ask questions), its stdout goes to `output`.
            let child = ChildProcess(command, directory: project.path, input: .inherited, output: .descriptor(output), error: .inherited)
            let termination: Termination
            do { termination = try await child.run().termination } catch {
                // No shell in between: a script the system cannot execute fails to start.
                throw .hookFailed(hook: hook, problem: "\(script.lastPathComponent) could not run (a missing #! line or interpreter?): \(error)")
            }
            switch termination {
            case .exited(0): break
            case .exited(126), .exited(127):
                throw .hookFailed(hook: hook, problem: "\(script.lastPathComponent) could not run (a missing #! line or interpreter?)")
            default: throw .hookFailed(hook: hook, problem: "\(script.lastPathComponent) \(termination)")
            }
        }
    }
}
