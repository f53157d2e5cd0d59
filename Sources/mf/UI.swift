import ArgumentParser
import Dashboard
import Foundation
import ModelServer

struct UI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui",
        abstract: "Serve the dashboard: read-only pages over the factory's store.",
        discussion: """
            Pages, under /ui: the models (environments, newest release, last session, drift, \
            rollouts), a model (releases, metric charts across releases with the train, evaluate \
            and live splits, drift per input field over time, rollout and environment history), \
            a version, a session (steps, logs, metrics, gates, artifacts), two versions compared, \
            the job queue, and each environment's history. A model's pages are \
            /ui/repositories/REPO/models/MODEL[/versions/VERSION]; /ui/models/MODEL[/…] leads \
            there when one repository has that model. Every page answers as JSON too \
            (?format=json, or Accept: application/json): the data its template renders.

            The dashboard listens on loopback unless --host says otherwise; any other address \
            needs a token (--token or $MF_UI_TOKEN), presented as Authorization: Bearer TOKEN or \
            through the form at /ui/login, which sets a cookie. mf serve --ui mounts the same \
            pages in the model server.

            It prints "dashboard on http://HOST:PORT/ui" when it accepts requests (--port 0 \
            picks a free port; --json prints {url, home} instead), and stops on SIGTERM or SIGINT.
            """
    )

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0: a free one).")
    var port = 8090

    @Option(help: ArgumentHelp("The token a request must present (default: $MF_UI_TOKEN); required off loopback.", valueName: "token"))
    var token: String?

    @OptionGroup var options: HomeOptions

    struct Started: Encodable {
        let url, home: String
    }

    func run() async throws {
        try await reportingErrors {
            let token = token ?? ProcessInfo.processInfo.environment["MF_UI_TOKEN"]
            try Dashboard.check(host: host, token: token)
            let home = options.homeURL
            guard options.hasStore else {
                throw ValidationError(
                    "there is no factory store in \(home.path) (factory.sqlite): build or reconcile a repository first, or name another --home")
            }
            let dashboard = Dashboard(store: try options.openStore(), options: .init(home: home, token: token))
            let host = self.host
            let json = options.json
            let application = dashboard.buildApplication(host: host, port: port) { port in
                let shown = host.contains(":") ? "[\(host)]" : host
                let url = "http://\(shown):\(port)\(dashboard.options.base)"
                let line = json ? jsonLine(Started(url: url, home: home.path)) : "dashboard on \(url)"
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            }
            try await runUntilSignalled(application, shutdownGrace: .seconds(5))
        }
    }
}
