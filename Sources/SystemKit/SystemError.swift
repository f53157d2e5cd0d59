internal import Foundation

/// What failed in SystemKit: a process that would not start, a lock or a file that cannot be
/// opened. Each case names the command or path.
public enum SystemError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The program could not be started (no such program, not executable, no such folder...).
    case cannotStart(command: [String], reason: String)
    /// The program started, but running it failed (its output could not be read, or passed the limit).
    case runFailed(command: [String], reason: String)
    /// The program ran to its end but did not exit with 0.
    case unsuccessful(command: [String], termination: Termination)
    /// The lock file could not be opened or locked.
    case cannotLock(path: String, reason: String)
    /// The file could not be opened or read; `code` is the `errno` value.
    case cannotRead(path: String, code: Int32)

    /// The sentence a user reads: what failed, why, where.
    public var description: String {
        switch self {
        case .cannotStart(let command, let reason): "cannot start '\(command.joined(separator: " "))': \(reason)"
        case .runFailed(let command, let reason): "running '\(command.joined(separator: " "))' failed: \(reason)"
        case .unsuccessful(let command, let termination): "'\(command.joined(separator: " "))' \(termination)"
        case .cannotLock(let path, let reason): "cannot lock \(path): \(reason)"
        case .cannotRead(let path, let code): "cannot read \(path): \(SystemError.reason(code))"
        }
    }

    /// The C library's text for an `errno` value.
    public static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }
}
