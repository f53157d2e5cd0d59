internal import Foundation
internal import HTTPTypes
internal import Hummingbird
internal import NIOCore
internal import SystemKit

/// Who may see the dashboard: everyone on loopback when no token is set; otherwise a request
/// presents the token as `Authorization: Bearer TOKEN`, or the cookie `/ui/login` sets after a
/// person types it into a form. The cookie holds a digest of the token, never the token.
struct Access {
    let dashboard: Dashboard

    static let cookie = "mf_ui"
    /// The most bytes a login form's body may have.
    static let largestForm = 16 * 1024

    /// The cookie's value for `token`.
    static func cookieValue(_ token: String) -> String { HexDigest.sha256("model-factory dashboard\n\(token)") }

    /// Compares without stopping at the first difference.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }

    /// Whether `request` presents `token`.
    static func admits(_ request: Request, token: String?) -> Bool {
        guard let token else { return true }
        // The scheme's name is case-insensitive (RFC 9110).
        if let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("bearer ") {
            return same(String(authorization.dropFirst("Bearer ".count)), token)
        }
        if let value = request.cookies[cookie]?.value { return same(value, cookieValue(token)) }
        return false
    }

    /// Where to go after logging in: a page of the dashboard's own (a path under `base`, with its
    /// query), else its front page. Nothing that a browser could read as another site (`//host`,
    /// a backslash), climb out of `base` with (`..`, encoded or not) or split a header with.
    static func destination(_ next: String?, base: String) -> String {
        guard let next, next == base || next.hasPrefix(base + "/") || next.hasPrefix(base + "?") else { return base }
        guard let decoded = String(next.prefix { $0 != "?" }).removingPercentEncoding,
            next.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }), !next.contains("//"), !decoded.contains("\\"),
            !decoded.split(separator: "/").contains(where: { $0 == ".." || $0 == "." })
        else { return base }
        return next
    }

    func addRoutes<Context: RequestContext>(to group: RouterGroup<Context>) {
        let dashboard = self.dashboard
        let base = dashboard.options.base
        group.get("/login") { request, _ in
            try await dashboard.answer(request) {
                LoginPage(next: Self.destination(request.uri.queryParameters.get("next"), base: base), required: dashboard.options.token != nil, failed: false)
            }
        }
        group.post("/login") { request, context in
            var request = request
            let body: ByteBuffer
            do { body = try await request.collectBody(upTo: Self.largestForm) } catch is NIOTooManyBytesError {
                throw DashboardError(.contentTooLarge, "the login form sent more than \(Self.largestForm / 1024) KB; it holds a token and a page")
            }
            let form = Self.form(String(buffer: body))
            // The form carries `next` in a hidden field; a script may name it in the query instead.
            let next = Self.destination(form["next"] ?? request.uri.queryParameters.get("next"), base: base)
            guard let token = dashboard.options.token else { return Response.redirect(to: next, type: .found) }
            guard let given = form["token"], Self.same(given, token) else {
                var response = try await dashboard.answer(request, status: .unauthorized) { LoginPage(next: next, required: true, failed: true) }
                response.headers[.wwwAuthenticate] = "Bearer"
                return response
            }
            var response = Response.redirect(to: next, type: .found)
            response.setCookie(Cookie(name: Self.cookie, value: Self.cookieValue(token), path: base, httpOnly: true, sameSite: .strict))
            return response
        }
    }

    /// The login form's address, sending on to the page at `path` with `query` (as one parameter).
    static func login(path: String, query: String?, base: String) -> String {
        let page = path + (query.map { "?\($0)" } ?? "")
        let next = page.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+?#"))) ?? base
        return "\(base)/login?next=\(next)"
    }

    /// An `application/x-www-form-urlencoded` body's fields.
    static func form(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if let name = parts.first { fields[name] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }

    /// Lets a request in when it presents the token; sends a person to the login form and a
    /// script a 401 (with its challenge, `WWW-Authenticate: Bearer`) otherwise.
    struct Required<Context: RequestContext>: RouterMiddleware {
        let token: String?
        let base: String

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            if Access.admits(request, token: token) { return try await next(request, context) }
            if Dashboard.wantsJSON(request) || request.headers[.authorization] != nil {
                let message = "the dashboard needs its token: send Authorization: Bearer TOKEN, or log in at \(base)/login"
                let page = ErrorPage(status: 401, reason: HTTPResponse.Status.unauthorized.reasonPhrase, message: message)
                var response = try PageRenderer(base: base).response(page, status: .unauthorized, json: Dashboard.wantsJSON(request))
                response.headers[.wwwAuthenticate] = "Bearer"
                return response
            }
            return Response.redirect(to: Access.login(path: request.uri.path, query: request.uri.query, base: base), type: .found)
        }
    }
}

/// The login form.
struct LoginPage: DashboardPage {
    static let template = "login"
    var title: String { "Log in" }
    /// Where the form goes after it succeeds.
    var next: String
    /// Whether the dashboard has a token at all.
    var required: Bool
    /// Whether the last try gave a wrong token.
    var failed: Bool
}
