public import Foundation
public import GitKit

/// Why a hook cannot be installed or removed.
public enum HookError: Error, CustomStringConvertible, Equatable {
    case notInstalled(repository: String)
    case foreign(path: String)
    case io(path: String, problem: String)

    /// The sentence a user reads: which hook, and why it was not installed or removed.
    public var description: String {
        switch self {
        case .notInstalled(let repository): "mf's post-receive hook is not installed in \(repository)"
        case .foreign(let path): "\(path) was not installed by mf; it is left alone"
        case .io(let path, let problem): "\(path): \(problem)"
        }
    }
}

/// The `post-receive` hook that wakes the factory (DESIGN.md "GitOps"): it hands the pushed refs
/// to `mf enqueue` and returns at once, so a push never waits for a build. A hook that was there
/// before is kept beside it (`post-receive.before-mf`) and run first with the same input;
/// uninstalling puts it back.
public struct PostReceiveHook: Sendable {
    /// The line that marks a hook as mf's.
    static let marker = "# mf-hook: post-receive"
    /// The name the hook that was there before is kept under, beside mf's, while mf's hook is installed.
    public static let chainedName = "post-receive.before-mf"

    /// The repository whose hooks folder the hook goes in.
    public let repository: Repository
    /// The `mf` executable the hook runs, and the home it queues into.
    public let executable: String
    /// The factory's home (`MF_HOME`) the hook queues pushes into.
    public let home: URL

    /// The hook of `repository` that runs `executable enqueue` with `home` as `MF_HOME`.
    public init(repository: Repository, executable: String, home: URL) {
        self.repository = repository
        self.executable = executable
        self.home = home
    }

    /// What `install` or `uninstall` did.
    public struct Outcome: Sendable, Encodable, Equatable {
        /// The path of the `post-receive` hook file.
        public var hook: String
        /// The hook that was there before: its place while mf's hook runs, or where it went back.
        public var chained: String?
        /// `installed`, `updated` (mf's hook was there; rewritten), `uninstalled`.
        public var action: String
    }

    /// Writes mf's hook, keeping a hook that was there as `post-receive.before-mf` (run first), or rewriting mf's own.
    public func install() throws -> Outcome {
        let folder = try repository.hooksDirectory
        let hook = folder + "/post-receive"
        let chained = folder + "/" + Self.chainedName
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
            var action = "installed"
            if manager.fileExists(atPath: hook) || (try? manager.destinationOfSymbolicLink(atPath: hook)) != nil {
                if Self.isOurs(hook) {
                    action = "updated"
                } else {
                    guard !manager.fileExists(atPath: chained) else {
                        throw HookError.io(path: chained, problem: "is in the way of keeping the existing post-receive hook; move it away first")
                    }
                    try manager.moveItem(atPath: hook, toPath: chained)
                }
            }
            // Written aside and renamed, so a push never runs half a hook.
            let aside = hook + ".mf-\(getpid())"
            try Data(script().utf8).write(to: URL(fileURLWithPath: aside))
            try manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: aside)
            guard rename(aside, hook) == 0 else { throw HookError.io(path: hook, problem: String(cString: strerror(errno))) }
            return Outcome(hook: hook, chained: manager.fileExists(atPath: chained) ? chained : nil, action: action)
        } catch let error as HookError {
            throw error
        } catch {
            throw HookError.io(path: hook, problem: error.localizedDescription)
        }
    }

    /// Removes mf's hook and puts back the one it replaced; throws when no hook is there or it is not mf's.
    public func uninstall() throws -> Outcome {
        let folder = try repository.hooksDirectory
        let hook = folder + "/post-receive"
        let chained = folder + "/" + Self.chainedName
        let manager = FileManager.default
        guard manager.fileExists(atPath: hook) else { throw HookError.notInstalled(repository: repository.location) }
        guard Self.isOurs(hook) else { throw HookError.foreign(path: hook) }
        do {
            if manager.fileExists(atPath: chained) || (try? manager.destinationOfSymbolicLink(atPath: chained)) != nil {
                guard rename(chained, hook) == 0 else { throw HookError.io(path: hook, problem: String(cString: strerror(errno))) }
                return Outcome(hook: hook, chained: hook, action: "uninstalled")
            }
            try manager.removeItem(atPath: hook)
            return Outcome(hook: hook, chained: nil, action: "uninstalled")
        } catch let error as HookError {
            throw error
        } catch {
            throw HookError.io(path: hook, problem: error.localizedDescription)
        }
    }

    static func isOurs(_ path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path) else { return false }
        return String(decoding: data.prefix(512), as: UTF8.self).contains(marker)
    }

    /// The hook: runs the hook it replaced (if any) with the same input, then queues the push of
    /// the repository git runs it in (so a hooks folder shared through `core.hooksPath` queues
    /// each repository that uses it).
    /// Its exit status is the replaced hook's; a push is never refused by it (post-receive
    /// cannot refuse), and a queueing failure is said to the pusher as one `remote:` line.
    func script() -> String {
        """
        #!/bin/sh
        \(Self.marker)
        # Installed by `mf hook install`; `mf hook uninstall` puts back the hook that was here.
        # Queues a reconcile of this repository for `mf worker` and returns at once.
        refs=$(cat)
        status=0
        chained="$(dirname "$0")/\(Self.chainedName)"
        if [ -x "$chained" ]; then
            printf '%s\\n' "$refs" | "$chained" "$@" || status=$?
        fi
        # The repository that received the push (git runs hooks in it, with GIT_DIR set).
        repository=$(cd "${GIT_DIR:-.}" && pwd)
        if ! printf '%s\\n' "$refs" | MF_HOME=\(Self.quote(home.path)) \(Self.quote(executable)) enqueue --repo "$repository" --trigger hook --stdin >/dev/null; then
            printf 'mf: this push was not queued for the factory; run mf reconcile --repo %s\\n' "$repository" >&2
        fi
        exit $status

        """
    }

    static func quote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}

/// Reads a `post-receive` hook's input: one `old new ref` line per updated ref.
public enum PushedRefs {
    /// The full names of the refs a push updated (deleted ones too), in input order; lines not of three fields are skipped.
    public static func parse(_ text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(separator: " ")
            return fields.count == 3 ? String(fields[2]) : nil
        }
    }
}
