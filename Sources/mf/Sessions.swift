import ArgumentParser
import Foundation
import ModelFactory
import Store

struct Sessions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "List recorded sessions, newest first.",
        discussion: """
            Every repository's sessions in the home, or with --repo only that repository's.

            --json prints an array of {id, model, commit, ref, version, trigger, status, startedAt, endedAt, \
            failure, reusedFrom}: ref is the ref the session was built for (refs/heads/feature/x, \
            refs/tags/v1.0.0), null for a commit named by its id; times are ISO 8601.
            """
    )

    @Option(help: "Only sessions of this model.")
    var model: String?

    @Option(help: "At most this many sessions.")
    var limit: Int = 50

    @OptionGroup var options: RepositoryOptions

    func run() throws {
        try reportingErrors {
            let sessions = try options.openStore().sessions(model: model, repository: try options.repositoryFilter(), limit: limit)
            if options.json {
                try printJSON(sessions.map { SessionSummary(session: $0.session, model: $0.model) })
                return
            }
            guard !sessions.isEmpty else { return print("No sessions.") }
            var rows = [["SESSION", "MODEL", "VERSION", "COMMIT", "STATUS", "STARTED"]]
            for (session, model) in sessions {
                rows.append([
                    String(session.id.prefix(8)), model, session.version ?? "-", String(session.commit.prefix(7)),
                    session.status.rawValue + (session.reusedFrom == nil ? "" : " (reused)"),
                    ISO8601DateFormatter().string(from: session.startedAt),
                ])
            }
            print(formatTable(rows))
        }
    }
}

/// A session as `mf sessions --json` prints it.
struct SessionSummary: Encodable {
    var session: Session
    var model: String

    enum Keys: String, CodingKey { case id, model, commit, ref, version, trigger, status, startedAt, endedAt, failure, reusedFrom }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(session.id, forKey: .id)
        try container.encode(model, forKey: .model)
        try container.encode(session.commit, forKey: .commit)
        try container.encode(session.ref, forKey: .ref)
        try container.encode(session.version, forKey: .version)
        try container.encode(session.trigger.rawValue, forKey: .trigger)
        try container.encode(session.status.rawValue, forKey: .status)
        try container.encode(ISO8601DateFormatter().string(from: session.startedAt), forKey: .startedAt)
        try container.encode(session.endedAt.map { ISO8601DateFormatter().string(from: $0) }, forKey: .endedAt)
        try container.encode(session.failure, forKey: .failure)
        try container.encode(session.reusedFrom, forKey: .reusedFrom)
    }
}
