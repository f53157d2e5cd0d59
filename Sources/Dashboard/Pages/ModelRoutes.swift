internal import Foundation
internal import HTTPTypes
internal import Hummingbird
internal import Store

extension Dashboard {
    /// The model, version and compare pages under `/repositories/{repository}/models/{model}`, and
    /// their short links under `/models/{model}`, which lead there when one repository has the
    /// model (302, the query kept), list the choices when several do (300), and answer 404 when
    /// none does.
    func addModelPages<Context: RequestContext>(to pages: RouterGroup<Context>) {
        pages.get("/repositories/{repository}/models/{model}") { request, context in
            let (repository, model) = (try Self.segment("repository", context), try Self.segment("model", context))
            return try await self.answer(request) { try ModelPage.build(self.catalog(), repository: repository, name: model) }
        }
        pages.get("/repositories/{repository}/models/{model}/versions/{version}") { request, context in
            let (repository, model) = (try Self.segment("repository", context), try Self.segment("model", context))
            let version = try Self.segment("version", context)
            return try await self.answer(request) { try VersionPage.build(self.catalog(), repository: repository, name: model, version: version) }
        }
        pages.get("/repositories/{repository}/models/{model}/compare") { request, context in
            let (repository, model) = (try Self.segment("repository", context), try Self.segment("model", context))
            let a = request.uri.queryParameters.get("a")
            let b = request.uri.queryParameters.get("b")
            return try await self.answer(request) { try ComparePage.build(self.catalog(), repository: repository, name: model, a: a, b: b) }
        }
        pages.get("/models/{model}") { request, context in
            try await self.shortLink(request, model: try Self.segment("model", context), rest: "")
        }
        pages.get("/models/{model}/versions/{version}") { request, context in
            let rest = "/versions/" + Links.segment(try Self.segment("version", context))
            return try await self.shortLink(request, model: try Self.segment("model", context), rest: rest)
        }
        pages.get("/models/{model}/compare") { request, context in
            try await self.shortLink(request, model: try Self.segment("model", context), rest: "/compare")
        }
    }

    /// A path segment the router matched, percent-decoded.
    static func segment(_ name: String, _ context: some RequestContext) throws(DashboardError) -> String {
        guard let raw = context.parameters.get(name), let decoded = raw.removingPercentEncoding, !decoded.isEmpty else {
            throw DashboardError(.badRequest, "the \(name) in the page's path is not valid percent-encoded text")
        }
        return decoded
    }

    /// Where a short link leads: the one repository's page (with `rest` after the model's path and
    /// the request's query), the choices when several repositories have `model`, or 404.
    func shortLink(_ request: Request, model: String, rest: String) async throws -> Response {
        let query = request.uri.query.map { $0.isEmpty ? "" : "?" + $0 } ?? ""
        let choices = try await onQueue { () throws -> [ChoicesPage.Choice] in
            let catalog = try self.catalog()
            return catalog.models.filter { $0.name == model }.map {
                ChoicesPage.Choice(
                    repository: catalog.short($0.repository), repositoryPath: $0.repository,
                    choiceHref: catalog.links.model(repository: catalog.short($0.repository), name: model) + rest + query)
            }.sorted { $0.repository < $1.repository }
        }
        if choices.count == 1 { return Response.redirect(to: choices[0].choiceHref, type: .found) }
        if choices.isEmpty { throw DashboardError.notFound("model \(model)") }
        return try await answer(request, status: .multipleChoices) { ChoicesPage(name: model, choices: choices) }
    }
}

/// The page a short link answers with (status 300) when several repositories have the model:
/// one link per repository.
struct ChoicesPage: DashboardPage {
    static let template = "choices"
    var title: String { "Which \(name)?" }

    /// One repository that has the model.
    struct Choice: Encodable, Sendable {
        var repository: String
        var repositoryPath: String
        var choiceHref: String
    }

    var name: String
    var choices: [Choice]
}
