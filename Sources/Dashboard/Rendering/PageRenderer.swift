internal import Foundation
internal import HTTPTypes
internal import Hummingbird
internal import Mustache
internal import NIOCore

/// A page of the dashboard: the data a template renders, and the template's name.
protocol DashboardPage: Encodable, Sendable {
    /// The template in `Templates/` that renders it (without `.mustache`).
    static var template: String { get }
    /// The page's title, for the browser's tab and its heading.
    var title: String { get }
}

/// What every template sees: the page's kind and title, where the dashboard is mounted (for
/// links), and the page's own data under `data`. Its JSON is the `?format=json` answer.
struct PageEnvelope<Page: DashboardPage>: Encodable {
    var page: String
    var title: String
    var base: String
    /// True in a page written as one file (a session's report): no links to the dashboard,
    /// its stylesheet inlined; absent otherwise.
    var standalone: Bool?
    var data: Page
}

/// Turns a page into a response: its JSON, or the HTML its template renders from that JSON.
struct PageRenderer {
    /// Where the dashboard is mounted.
    var base: String
    /// Whether pages are rendered as files of their own (`PageEnvelope.standalone`).
    var standalone = false

    /// Headers on every HTML answer: nothing loaded from elsewhere, no scripts, no framing.
    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy:
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        .xContentTypeOptions: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
        .cacheControl: "no-store",
    ]

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    func json<Page: DashboardPage>(_ page: Page) throws -> Data {
        try Self.encoder.encode(PageEnvelope(page: Page.template, title: page.title, base: base, standalone: standalone ? true : nil, data: page))
    }

    /// The page rendered as HTML from its JSON.
    func html<Page: DashboardPage>(_ page: Page) throws -> String {
        try Self.html(json: json(page), template: Page.template)
    }

    /// Renders `template` over the JSON `json` (an envelope).
    static func html(json: Data, template: String) throws -> String {
        guard let html = PageTemplates.library.render(try TemplateValue.mustache(json: json), withTemplate: template) else {
            throw DashboardError(.internalServerError, "the dashboard has no template named \(template)")
        }
        return html
    }

    func response<Page: DashboardPage>(_ page: Page, status: HTTPResponse.Status, json wantsJSON: Bool) throws -> Response {
        let json = try json(page)
        if wantsJSON {
            var headers: HTTPFields = [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"]
            headers[.xContentTypeOptions] = "nosniff"
            return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: json)))
        }
        let html = try Self.html(json: json, template: Page.template)
        var headers = Self.securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// The page an error answers with.
struct ErrorPage: DashboardPage {
    static let template = "error"
    var title: String { "\(status) \(reason)" }
    var status: Int
    var reason: String
    var message: String
}

/// Answers every error under the dashboard as a page (or JSON): a `DashboardError` with its
/// status, a store's failure as 500 with its sentence, a missing route as 404.
struct DashboardErrors<Context: RequestContext>: RouterMiddleware {
    let dashboard: Dashboard

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let error: DashboardError
        do {
            return try await next(request, context)
        } catch let thrown as DashboardError {
            error = thrown
        } catch let thrown as HTTPError {
            error = DashboardError(
                thrown.status, thrown.status == .notFound ? "there is no page at \(request.uri.path)" : (thrown.body ?? thrown.status.reasonPhrase))
        } catch {
            context.logger.error("dashboard page \(request.uri.path) failed: \(String(reflecting: error))")
            return try Self.answer(DashboardError(.internalServerError, "the page could not be built: \(error)"), request, dashboard)
        }
        return try Self.answer(error, request, dashboard)
    }

    static func answer(_ error: DashboardError, _ request: Request, _ dashboard: Dashboard) throws -> Response {
        let page = ErrorPage(status: error.status.code, reason: error.status.reasonPhrase, message: error.message)
        return try PageRenderer(base: dashboard.options.base).response(page, status: error.status, json: Dashboard.wantsJSON(request))
    }
}
