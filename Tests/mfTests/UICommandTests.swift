import Foundation
import TestSupport
import Testing

/// `mf ui` and `mf serve --ui` as people start them: where they refuse to listen, and that they
/// answer the dashboard (HTML and JSON) beside inference.
@Suite(.serialized, .onTestThreads) struct UICommandTests {
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
        #expect(dashboard.started == "dashboard on http://127.0.0.1:\(dashboard.port)/ui")
        #expect(dashboard.stop() == 0)

        let scripted = try DashboardProcess(["--home", home.path, "--json"])
        let started = try JSONSerialization.jsonObject(with: Data(scripted.started.utf8)) as? [String: String]
        #expect(started == ["url": "http://127.0.0.1:\(scripted.port)/ui", "home": home.path], "\(scripted.started)")
        #expect(scripted.stop() == 0)

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
