internal import Foundation
internal import Hummingbird
internal import Store

/// One event of an environment's audit trail as the pages show it: when, what (a badge), which
/// model, from which version to which, why, and who or what caused it.
struct EventRow: Encodable, Sendable {
    var time: String
    var kind: Badge
    var model: String
    var modelHref: String
    var from: String?
    var to: String?
    var reason: String
    var cause: String

    init(_ event: Event, repository: String, links: Links) {
        time = Format.time(event.time)
        kind = Badge(text: event.kind.rawValue.replacingOccurrences(of: "_", with: " "), tone: Self.tone(event.kind), detail: event.reason)
        model = event.model
        modelHref = links.model(repository: repository, name: event.model)
        from = event.fromVersion
        to = event.toVersion
        reason = event.reason
        cause = event.cause
    }

    /// Good when a release took over, bad when one was taken out or inputs drifted, a warning
    /// while a rollout is under way.
    static func tone(_ kind: Event.Kind) -> Badge.Tone {
        switch kind {
        case .promoted, .environment: .good
        case .rolledBack, .driftAlert: .bad
        case _ where kind.rawValue.hasPrefix("rollout_"): .warning
        default: .info
        }
    }
}

/// Every repository's environments, what each runs, and their newest events, each environment
/// linked to its whole audit trail.
struct HistoryPage: DashboardPage {
    static let template = "history"
    var title: String { "History" }

    struct Repository: Encodable, Sendable {
        var name: String
        /// As the store names it (its path or URL).
        var path: String
        var environments: [Environment]
    }

    struct Environment: Encodable, Sendable {
        var name: String
        /// Its whole audit trail.
        var trailHref: String
        /// What each model runs there.
        var running: [Badge]
        var events: [EventRow]
    }

    /// How many of each environment's newest events the page shows.
    static let newest = 5

    var repositories: [Repository]

    static func build(_ catalog: Catalog) throws -> HistoryPage {
        let store = catalog.store
        var repositories: [Repository] = []
        for path in Set(catalog.models.map(\.repository)).sorted(by: { catalog.short($0) < catalog.short($1) }) {
            let repository = catalog.short(path)
            let records = try store.environments(repository: path)
            let environments = try Set(records.map(\.name)).sorted().map { name in
                Environment(
                    name: name, trailHref: catalog.links.history(repository: repository, environment: name),
                    running: records.filter { $0.name == name }.map {
                        Badge(
                            text: "\($0.model) \($0.version)", tone: .info, detail: "since \(Format.time($0.updatedAt))",
                            href: catalog.links.version(repository: repository, name: $0.model, version: $0.version))
                    },
                    events: try store.events(repository: path, environment: name, model: nil, before: nil, limit: newest).map {
                        EventRow($0, repository: repository, links: catalog.links)
                    })
            }
            repositories.append(Repository(name: repository, path: path, environments: environments))
        }
        return HistoryPage(repositories: repositories)
    }
}

/// One environment's audit trail, newest first: every event, or one model's (`?model=M`), at
/// most `?limit=N` (200 unless asked, at most 1000).
struct EnvironmentPage: DashboardPage {
    static let template = "environment"
    var title: String { "\(environment) of \(repository)" }

    var repository: String
    var repositoryPath: String
    var environment: String
    var model: String?
    var limit: Int
    var historyHref: String
    /// The trail narrowed to each model of the environment, and not narrowed.
    var filters: [Badge]
    var events: [EventRow]

    static let defaultLimit = 200
    static let maximumLimit = 1000

    /// The `limit` a request asks for: a whole number from 1 to 1000, 200 when not given.
    static func limit(_ text: String?) throws(DashboardError) -> Int {
        guard let text else { return defaultLimit }
        guard let limit = Int(text), (1...maximumLimit).contains(limit) else {
            throw DashboardError(.badRequest, "limit must be a whole number from 1 to \(maximumLimit), not '\(text)'")
        }
        return limit
    }

    static func build(_ catalog: Catalog, repository: String, environment: String, model: String?, limit: Int) throws -> EnvironmentPage {
        guard let path = catalog.shortNames.first(where: { $0.value == repository })?.key else {
            throw DashboardError.notFound("repository named \(repository)")
        }
        let store = catalog.store
        let records = try store.environments(repository: path).filter { $0.name == environment }
        let events = try store.events(repository: path, environment: environment, model: model, before: nil, limit: limit)
        if records.isEmpty, events.isEmpty, try store.events(repository: path, environment: environment, model: nil, before: nil, limit: 1).isEmpty {
            throw DashboardError.notFound("environment \(environment) in the repository \(repository)")
        }
        let links = catalog.links
        let here = links.history(repository: repository, environment: environment)
        let models = Set(catalog.models.filter { $0.repository == path }.map(\.name)).union(records.map(\.model)).sorted()
        let filters =
            [Badge(text: "every model", tone: model == nil ? .info : .quiet, href: here)]
            + models.map { Badge(text: $0, tone: model == $0 ? .info : .quiet, href: "\(here)?model=\(Links.query($0))") }
        return EnvironmentPage(
            repository: repository, repositoryPath: path, environment: environment, model: model, limit: limit, historyHref: links.history,
            filters: filters, events: events.map { EventRow($0, repository: repository, links: links) })
    }
}

extension Dashboard {
    /// Adds the job queue and the history pages to `group`.
    func addJobsAndHistoryRoutes<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.get("/jobs") { request, _ in try await self.answer(request) { try JobsPage.build(self.catalog()) } }
        group.get("/history") { request, _ in try await self.answer(request) { try HistoryPage.build(self.catalog()) } }
        group.get("/repositories/:repository/environments/:environment") { request, context -> Response in
            let repository = try Self.segment("repository", context)
            let environment = try Self.segment("environment", context)
            let model = request.uri.queryParameters.get("model").flatMap { $0.isEmpty ? nil : $0 }
            let limit = try EnvironmentPage.limit(request.uri.queryParameters.get("limit"))
            return try await self.answer(request) {
                try EnvironmentPage.build(self.catalog(), repository: repository, environment: environment, model: model, limit: limit)
            }
        }
    }
}
