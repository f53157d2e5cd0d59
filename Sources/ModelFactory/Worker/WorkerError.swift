internal import Foundation
public import SystemKit

/// Why a call to a worker failed.
public enum WorkerError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The worker could not be started (no such program, not executable...).
    case cannotStart(command: [String], reason: String)
    /// The worker ended, by exit status or signal, before answering.
    case exited(method: String, status: Ending, log: String)
    /// The worker did not answer within the time limit; it was stopped.
    case timedOut(method: String, seconds: Double)
    /// The worker wrote something on stdout that is not a JSON-RPC 2.0 answer; it was stopped.
    case protocolViolation(method: String, line: String)
    /// The worker answered with a JSON-RPC error.
    case remote(method: String, code: Int, message: String)
    /// The worker was stopped (shut down, or broken by an earlier call).
    case stopped(method: String)
    /// The worker answered, but not in the shape the method's result has
    /// (docs/worker-protocol.md): `problem` says what is wrong, `expected` the shape.
    case unexpectedAnswer(method: String, problem: String, expected: String)

    /// How a worker went away before answering.
    public enum Ending: Sendable, Equatable, CustomStringConvertible {
        /// Its process ended so.
        case terminated(Termination)
        /// It closed its input while still running (or before its end was known).
        case closedInput
        /// It closed its output while still running (or before its end was known).
        case closedOutput

        /// "exited with status 3", "closed its output".
        public var description: String {
            switch self {
            case .terminated(let termination): termination.description
            case .closedInput: "closed its input"
            case .closedOutput: "closed its output"
            }
        }
    }

    /// The sentence a user reads: which call failed and why, with the end of the worker's log when it exited.
    public var description: String {
        switch self {
        case .cannotStart(let command, let reason):
            return "cannot start worker '\(command.joined(separator: " "))': \(reason)"
        case .exited(let method, let status, let log):
            let tail = Self.lastLines(of: log)
            return "the worker \(status) during '\(method)'\(tail.isEmpty ? "" : "; its log ends: \(tail)")"
        case .timedOut(let method, let seconds):
            return "the worker did not answer '\(method)' within \(Self.format(seconds)) s and was stopped"
        case .protocolViolation(let method, let line):
            return "the worker wrote something that is not a JSON-RPC answer during '\(method)' and was stopped: \(line.prefix(200))"
        case .remote(let method, let code, let message):
            return "the worker failed '\(method)': \(message) (error \(code))"
        case .stopped(let method):
            return "cannot call '\(method)': the worker is stopped"
        case .unexpectedAnswer(let method, let problem, let expected):
            return "the worker's answer to '\(method)' \(problem); expected \(expected)"
        }
    }

    /// The last `count` non-blank lines of a log, on one line (` | ` between them), so an error
    /// stays one sentence.
    public static func lastLines(of log: String, count: Int = 5) -> String {
        log.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .suffix(count).joined(separator: " | ")
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
