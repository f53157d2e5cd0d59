public import Foundation
public import Jinja

/// Runs a template's `hooks/` scripts as cookiecutter does: each script named after the hook
/// (`pre_gen_project.py`, `post_gen_project.sh`) is rendered with the context, written to a
/// temporary file, and run in the project folder (`.py` with Python, others directly).
public struct HookRunner: Sendable {
    /// The interpreter for `.py` hooks.
    public var python: String
    /// Where hooks' standard output goes (the command sends it to standard error, so that
    /// `--json` output stays clean).
    public var output: FileHandle

    public init(python: String = "python3", output: FileHandle = .standardError) {
        self.python = python
        self.output = output
    }

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
    ) throws(ScaffoldError) {
        for script in Self.scripts(hook, in: template) {
            guard let data = FileManager.default.contents(atPath: script.path), let source = String(validating: data, as: UTF8.self) else {
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
                try Data(rendered.utf8).write(to: file)
                try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: file.path)
            } catch {
                throw .hookFailed(hook: hook, problem: "cannot write the rendered script: \(error.localizedDescription)")
            }
            let process = Process()
            if file.pathExtension == "py" {
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = [python, file.path]
            } else {
                process.executableURL = file
            }
            process.currentDirectoryURL = project
            process.standardOutput = output
            process.standardError = FileHandle.standardError
            process.standardInput = FileHandle.nullDevice
            do { try process.run() } catch {
                throw .hookFailed(hook: hook, problem: "\(script.lastPathComponent) could not start (a missing #! line?): \(error.localizedDescription)")
            }
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal {
                throw .hookFailed(hook: hook, problem: "\(script.lastPathComponent) was killed by signal \(process.terminationStatus)")
            }
            if process.terminationStatus != 0 {
                throw .hookFailed(hook: hook, problem: "\(script.lastPathComponent) exited with status \(process.terminationStatus)")
            }
        }
    }
}
