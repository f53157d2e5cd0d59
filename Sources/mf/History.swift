import ArgumentParser
import Foundation
import ModelFactory
import ModelKit
import Store

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List what changed an environment and why, newest first; or what served it at a time.",
        discussion: """
            The audit trail of the repository's environment ENV (production or staging): every \
            environment change mf reconcile made, every rollout decision of mf serve --follow \
            (rollout_started, rollout_step, promoted, rolled_back, with its numbers), every admin \
            API change (traffic, promoted, unloaded) and drift alert, each with when, from which \
            version to which, why, and what caused it (the reconcile's trigger, rollout, admin).

            --at TIME (RFC 3339, such as 2026-12-01T10:00:00Z) answers instead which version of \
            each model served ENV at that time, and a release under rollout beside it.

            --json prints an array of {id, time, model, kind, from, to, reason, cause, details} \
            (details is the decision's measurements as an object, or null); with --at, an array \
            of {model, version, candidate, percent, since, kind}: candidate and percent name a \
            release under rollout beside version (null when none), since is the time of the event \
            that made it so.
            """
    )

    @Argument(help: ArgumentHelp("The environment: production or staging.", valueName: "env"), completion: .list(["production", "staging"]))
    var environment: String

    @Option(help: "Only events of this model.")
    var model: String?

    @Option(help: "At most this many events.")
    var limit: Int = 50

    @Option(help: ArgumentHelp("Show what served the environment at this time (RFC 3339).", valueName: "time"))
    var at: String?

    @OptionGroup var options: RepositoryOptions

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
        if let at, Self.parseTime(at) == nil {
            throw ValidationError("--at \(at): expected an RFC 3339 time such as 2026-12-01T10:00:00Z")
        }
    }

    /// An RFC 3339 time, with or without fractional seconds.
    static func parseTime(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return plain.date(from: text) ?? fractional.date(from: text)
    }

    func run() throws {
        try reportingErrors {
            let location = try RepositoryIdentity(options.openRepository()).name
            // The store is read only when it exists: history never creates one.
            guard options.hasStore else {
                return options.json ? print("[]") : print("No events for \(environment).")
            }
            let store = try options.openStore()
            if let at, let time = Self.parseTime(at) {
                let served = try Self.serving(at: time, store: store, repository: location, environment: environment, model: model)
                if options.json { return try printJSON(served) }
                guard !served.isEmpty else { return print("Nothing served \(environment) at \(at) as far as the audit trail knows.") }
                for entry in served {
                    let beside = entry.candidate.map { " (\($0) at \(entry.percent.map { "\($0)%" } ?? "some traffic") beside it)" } ?? ""
                    print("\(environment) \(entry.model): \(entry.version)\(beside), since \(entry.since) (\(entry.kind))")
                }
                return
            }
            let events = try store.events(repository: location, environment: environment, model: model, before: nil, limit: limit)
            if options.json { return try printJSON(events.map(EventSummary.init)) }
            guard !events.isEmpty else { return print("No events for \(environment).") }
            print(Self.render(events))
        }
    }

    /// Events as the table `mf history` prints, in the order given.
    static func render(_ events: [Event]) -> String {
        var rows = [["TIME", "MODEL", "KIND", "FROM", "TO", "CAUSE", "REASON"]]
        for event in events {
            rows.append([
                ISO8601DateFormatter().string(from: event.time), event.model, event.kind.rawValue, event.fromVersion ?? "-", event.toVersion ?? "-",
                event.cause, event.reason,
            ])
        }
        return formatTable(rows)
    }

    /// What served a model at a time, as `--at` reports it.
    struct Served: Encodable {
        var model: String
        var version: String
        var candidate: String?
        var percent: Int?
        var since: String
        var kind: String

        enum CodingKeys: String, CodingKey { case model, version, candidate, percent, since, kind }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(model, forKey: .model)
            try container.encode(version, forKey: .version)
            try container.encode(candidate, forKey: .candidate)
            try container.encode(percent, forKey: .percent)
            try container.encode(since, forKey: .since)
            try container.encode(kind, forKey: .kind)
        }
    }

    /// For each model, the newest event at or before `time` that set what serves.
    static func serving(at time: Date, store: any FactoryStore, repository: String, environment: String, model: String?) throws -> [Served] {
        var found: [String: Served] = [:]
        var before: Date? = time
        // Newest first, a page at a time, until every model seen has its answer.
        var seen = Set<Int64>()
        while let limit = before {
            let page = try store.events(repository: repository, environment: environment, model: model, before: limit, limit: 500)
            let fresh = page.filter { $0.id.map { !seen.contains($0) } ?? true }
            guard !fresh.isEmpty else { break }
            for event in fresh {
                if let id = event.id { seen.insert(id) }
                guard found[event.model] == nil, let serving = event.serving else { continue }
                found[event.model] = Served(
                    model: event.model, version: serving.version, candidate: serving.candidate, percent: serving.percent,
                    since: ISO8601DateFormatter().string(from: event.time), kind: event.kind.rawValue)
            }
            before = page.count < 500 ? nil : page.last?.time
        }
        return found.values.sorted { $0.model < $1.model }
    }
}

/// An event as `mf history --json` prints it.
struct EventSummary: Encodable {
    var event: Event

    enum Keys: String, CodingKey { case id, time, model, kind, from, to, reason, cause, details }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(event.id, forKey: .id)
        try container.encode(ISO8601DateFormatter().string(from: event.time), forKey: .time)
        try container.encode(event.model, forKey: .model)
        try container.encode(event.kind.rawValue, forKey: .kind)
        try container.encode(event.fromVersion, forKey: .from)
        try container.encode(event.toVersion, forKey: .to)
        try container.encode(event.reason, forKey: .reason)
        try container.encode(event.cause, forKey: .cause)
        try container.encode(event.details.flatMap { try? JSONValue(json: Data($0.utf8)) }, forKey: .details)
    }
}
