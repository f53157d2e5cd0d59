/// How a child process ended: with an exit code, or killed by a signal.
///
/// Its description is the phrase users read after the command's name: `'make' exited with
/// status 2`, `the worker was killed by signal 9`.
public enum Termination: Sendable, Hashable, CustomStringConvertible {
    /// It called `exit` (or returned from `main`) with this code.
    case exited(Int32)
    /// A signal it did not handle ended it.
    case signaled(Int32)

    /// Reads a status word from `waitpid`.
    public init(waitStatus status: Int32) {
        self = status & 0x7F == 0 ? .exited((status >> 8) & 0xFF) : .signaled(status & 0x7F)
    }

    /// Whether it exited with code 0.
    public var isSuccess: Bool { self == .exited(0) }

    /// "exited with status 3" or "was killed by signal 9".
    public var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signaled(let signal): "was killed by signal \(signal)"
        }
    }
}
