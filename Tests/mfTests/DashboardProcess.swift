import Foundation
import TestSupport

/// `mf ui` as a child process on a free port, stopped when the test ends (even when it fails).
final class DashboardProcess: @unchecked Sendable {
    let process: Spawned
    var port = 0
    /// The line it printed when it began to listen.
    var started = ""
    /// Where its standard error (the log) goes.
    let logFile = FileManager.default.temporaryDirectory.appendingPathComponent("mf-ui-\(UUID().uuidString).log").path

    /// Its log so far.
    var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// Starts `mf ui --port 0 ARGUMENTS` (with no `$MF_UI_TOKEN` unless `environment` sets one)
    /// and waits for the line that says where it listens.
    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        // Without Swift's backtracer: after a crash it keeps the standard output open (and the
        // wait for the start line with it); the crash's message is in the log all the same.
        process = try Spawned(
            mfBinary, ["ui", "--port", "0"] + arguments,
            environment: ProcessInfo.processInfo.environment.merging(["SWIFT_BACKTRACE": "enable=no", "MF_UI_TOKEN": ""].merging(environment) { $1 }) {
                $1
            },
            output: .pipe, error: .file(logFile))
        let output = process.output!
        var buffer = Data()
        while port == 0 {
            let chunk = output.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            let text = String(decoding: buffer, as: UTF8.self)
            // `dashboard on http://127.0.0.1:PORT/ui`, or with --json `{"url":"http://127.0.0.1:PORT/ui",…}`.
            if let range = text.range(of: #"http:(\\?/){2}127\.0\.0\.1:(\d+)\\?/ui"#, options: .regularExpression), text.contains("\n") {
                port = Int(text[range].split(separator: ":").last!.prefix { $0.isNumber })!
                started = String(text.prefix { $0 != "\n" })
            }
        }
        guard port != 0 else {
            stop()
            throw HTTPClientError(description: "mf ui did not start: \(String(decoding: buffer, as: UTF8.self)) \(log)")
        }
    }

    /// Stops it with SIGTERM; returns its exit status (an AddressSanitizer build exits non-zero
    /// when it leaked).
    @discardableResult
    func stop() -> Int32 {
        process.signal(SIGTERM)
        let ended = process.wait()
        return ended.status
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: logFile)
    }
}
