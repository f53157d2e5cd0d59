import ArgumentParser
import Dashboard
import Foundation
import ModelFactory
import Store

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a session's report: one self-contained HTML page.",
        discussion: """
            The page is the dashboard's session page (mf ui, /ui/sessions/SESSION) as one file: the \
            session (model, version, commit, trigger, outcome), its steps with timings, its metrics, \
            its gates, its artifacts, a chart of each evaluation metric across the model's releases, \
            and the end of each step's log. Its stylesheet is inlined; it has no scripts, no links \
            and loads nothing. SESSION \
            is a session id (or a unique prefix of at least four characters) or a version. mf worker \
            writes one per session it runs to $MF_HOME/reports/SESSION.html.

            --json prints {session, model, path}.
            """
    )

    @Argument(help: "A session id, id prefix or version.")
    var session: String

    @Option(
        name: .shortAndLong, help: ArgumentHelp("Where to write the page (default: $MF_HOME/reports/SESSION.html; - for stdout).", valueName: "file"),
        completion: .file(extensions: ["html"]))
    var output: String?

    @Option(help: "The model, when a version names several.")
    var model: String?

    @OptionGroup var options: HomeOptions

    struct Written: Encodable {
        let session, model, path: String
    }

    func run() throws {
        let written = try reportingErrors {
            let store = try options.openStore()
            let found = try store.findSession(session, model: model)
            let page = SessionReports(store: store, home: options.homeURL)
            if output == "-" {
                FileHandle.standardOutput.write(Data(try page.render(session: found.session.id).utf8))
                return Written(session: found.session.id, model: found.model, path: "-")
            }
            let file = output.map { URL(fileURLWithPath: $0) } ?? SessionReports.path(home: options.homeURL, session: found.session.id)
            try page.write(session: found.session.id, to: file)
            return Written(session: found.session.id, model: found.model, path: file.path)
        }
        if written.path == "-" { return }
        if options.json { try printJSON(written) } else { print("wrote \(written.path)") }
    }
}
