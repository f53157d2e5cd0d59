import Foundation
import TestSupport
import Testing

/// `mf ui` as a child process on a free port; stopped with SIGTERM when the test ends, pass or fail.
final class DashboardProcess: @unchecked Sendable {
    let process = Process()
    let output = Pipe()
    var port = 0

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: mfBinary)
        process.arguments = ["ui", "--port", "0"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["MF_UI_TOKEN": ""].merging(environment) { $1 }) { $1 }
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var buffer = Data()
        while port == 0 {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            let text = String(decoding: buffer, as: UTF8.self)
            if let range = text.range(of: #"dashboard on http://127\.0\.0\.1:\d+/ui"#, options: .regularExpression) {
                port = Int(text[range].dropLast("/ui".count).split(separator: ":").last!)!
            }
        }
        guard port != 0 else {
            _ = stop()
            throw HTTPClientError(description: "mf ui did not start: \(String(decoding: buffer, as: UTF8.self))")
        }
    }

    func stop() -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { _ = stop() }
}

/// `mf ui` and `mf serve --ui` as people start them: where they refuse to listen, and that they
/// answer the dashboard (HTML and JSON) beside inference.
@Suite(.serialized) struct UICommandTests {
    @Test(.timeLimit(.minutes(1)))
    func mfUIRefusesAnOpenAddressWithoutATokenAndAHomeWithoutAStore() async throws {
        let home = TemporaryDirectory("home")
        let open = try await mf(["ui", "--home", home.path, "--host", "0.0.0.0", "--port", "0"], environment: ["MF_UI_TOKEN": ""])
        expectOneLineError(open, containing: "the dashboard binds 0.0.0.0, which is not a loopback address: give it a token (--token or $MF_UI_TOKEN)")
        let empty = try await mf(["ui", "--home", home.path, "--port", "0"], environment: ["MF_UI_TOKEN": ""])
        expectOneLineError(empty, containing: "there is no factory store in \(home.path)")
    }

    @Test(.timeLimit(.minutes(5)))
    func mfUIAndServeUIAnswerTheDashboard() throws {
        let fixture = try servedModel()
        let home = TemporaryDirectory("home")
        _ = try bundled(fixture, ["v1.0.0"], home: home)
        let archive = home.appending("bundles/demo/demo-1.0.0.tar.gz")

        let dashboard = try DashboardProcess(["--home", home.path])
        let page = try http("GET", port: dashboard.port, "/ui", headers: ["Accept": "text/html"])
        #expect(page.status == 200 && page.headers["content-security-policy"]?.contains("default-src 'none'") == true, "\(page.text)")
        #expect(page.text.contains(">demo</a>"), "\(page.text)")
        let json = try #require(try http("GET", port: dashboard.port, "/ui?format=json").json() as? [String: Any])
        let models = (json["data"] as? [String: Any])?["models"] as? [[String: Any]]
        #expect(models?.map { $0["name"] as? String } == ["demo"] && json["page"] as? String == "models", "\(json)")
        #expect(try http("GET", port: dashboard.port, "/").headers["location"] == "/ui")
        #expect(dashboard.stop() == 0)

        let guarded = try DashboardProcess(["--home", home.path, "--token", "s3cret"])
        #expect(try http("GET", port: guarded.port, "/ui", headers: ["Accept": "text/html"]).status == 302)
        #expect(try http("GET", port: guarded.port, "/ui", headers: ["Authorization": "Bearer s3cret"]).status == 200)
        #expect(guarded.stop() == 0)

        let server = try ServerProcess([archive, "--home", home.path, "--ui"], environment: ["MF_UI_TOKEN": ""])
        let served = try http("GET", port: server.port, "/ui", headers: ["Accept": "text/html"])
        #expect(served.status == 200 && served.text.contains(">demo</a>"), "\(served.text)")
        #expect(try http("GET", port: server.port, "/ui/style.css").status == 200)
        let answer = try http(
            "POST", port: server.port, "/v1/models/demo:predict", headers: ["Content-Type": "application/json"], body: predictBody([["x": 4, "kind": "a"]]))
        #expect(answer.status == 200 && answer.text.contains(#""label":1"#), "\(answer.text)")
        #expect(server.stop() == 0)

        let open = try mf(["serve", "--port", "0", "--host", "0.0.0.0", "--ui", "--home", home.path, archive], environment: ["MF_UI_TOKEN": ""])
        expectOneLineError(open, containing: "the dashboard binds 0.0.0.0, which is not a loopback address")
    }
}
