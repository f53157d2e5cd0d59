import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLiteStore
import Store
import TestSupport
import Testing

@testable import Dashboard

/// Who gets in, and what every answer carries: the token as a bearer or through the login form's
/// cookie, where a person is sent without it, where login may send them on, the security headers,
/// the JSON twin of a page, and escaping of what the store holds.
@Suite(.onTestThreads) struct AccessTests {
    static let token = "t0ken with spaces & symbols"
    static let hostile = "<script>alert(1)</script>"

    /// The dashboard alone on a router over `store` (an empty one by default), with `token`.
    static func withDashboard<Value>(
        token: String? = Self.token, store: (any FactoryStore)? = nil, _ body: @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        let dashboard = Dashboard(
            store: try store ?? SQLiteStore.inMemory(), options: .init(home: URL(fileURLWithPath: "/nonexistent/home"), token: token))
        let router = Router()
        dashboard.addRoutes(to: router)
        return try await Application(router: router).test(.router) { client in try await body(client) }
    }

    static let html: HTTPFields = [.accept: "text/html,application/xhtml+xml"]
    static let bearer: HTTPFields = [.authorization: "Bearer \(token)", .accept: "text/html"]

    /// `text` as a form field's value.
    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))!
    }

    static func form(token: String, next: String) -> String { "token=\(encoded(token))&next=\(encoded(next))" }

    static let formHeaders: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .accept: "text/html"]

    @Test func withoutCredentialsAPersonIsSentToLoginAndAScriptIsTold() async throws {
        try await Self.withDashboard { client in
            let page = try await client.access(.get, "/ui", headers: Self.html)
            #expect(page.status == .found && page.headers[.location] == "/ui/login?next=/ui", "\(page.headers)")
            // The query comes back too, encoded so that it stays one parameter.
            let query = try await client.access(.get, "/ui?sort=name&x=a%20b", headers: Self.html)
            let location = try #require(query.headers[.location])
            #expect(location == "/ui/login?next=/ui%3Fsort%3Dname%26x%3Da%2520b", "\(location)")
            let login = try await client.access(.get, location, headers: Self.html)
            #expect(login.status == .ok && Self.text(login).contains(#"name="next" value="/ui?sort=name&amp;x=a%20b""#), "\(Self.text(login))")

            for (uri, headers) in [("/ui?format=json", HTTPFields()), ("/ui", [.accept: "application/json"])] as [(String, HTTPFields)] {
                let answer = try await client.access(.get, uri, headers: headers)
                #expect(answer.status == .unauthorized && answer.headers[.contentType]?.hasPrefix("application/json") == true, "\(Self.text(answer))")
                let data = try #require(try Self.object(answer)["data"] as? [String: Any])
                let message = try #require(data["message"] as? String)
                #expect(message.contains("Authorization: Bearer") && message.contains("/ui/login") && data["status"] as? Int == 401, "\(message)")
                #expect(answer.headers[.wwwAuthenticate] == "Bearer")
                #expect(!Self.text(answer).contains(Self.token))
            }
        }
    }

    @Test func aBearerTokenAdmitsAndAWrongOneIsRefused() async throws {
        try await Self.withDashboard { client in
            let admitted = try await client.access(.get, "/ui", headers: Self.bearer)
            #expect(admitted.status == .ok && Self.text(admitted).contains("<h1>Models</h1>"), "\(Self.text(admitted))")
            let lower = try await client.access(.get, "/ui", headers: [.authorization: "bearer \(Self.token)"])
            #expect(lower.status == .ok, "the scheme of Authorization is case-insensitive")
            for wrong in ["Bearer \(Self.token)x", "Bearer ", "Bearer \(Self.token.dropLast())", "Basic \(Self.token)"] {
                let refused = try await client.access(.get, "/ui", headers: [.authorization: wrong, .accept: "text/html"])
                #expect(refused.status == .unauthorized && refused.headers[.wwwAuthenticate] == "Bearer", "\(wrong): \(refused.status)")
                #expect(refused.headers[.contentSecurityPolicy] != nil && !Self.text(refused).contains("<h1>Models</h1>"))
            }
        }
    }

    @Test func theLoginFormSetsACookieThatAdmits() async throws {
        try await Self.withDashboard { client in
            let form = try await client.access(.get, "/ui/login?next=/ui", headers: Self.html)
            #expect(form.status == .ok && Self.text(form).contains(#"<form method="post" action="/ui/login""#), "\(Self.text(form))")

            let loggedIn = try await client.access(.post, "/ui/login", headers: Self.formHeaders, body: Self.form(token: Self.token, next: "/ui?format=json"))
            #expect(loggedIn.status == .found && loggedIn.headers[.location] == "/ui?format=json", "\(loggedIn.headers)")
            let cookie = try #require(loggedIn.headers[.setCookie])
            let attributes = cookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            #expect(attributes.contains("httponly") && attributes.contains("samesite=strict") && attributes.contains("path=/ui"), "\(cookie)")
            let pair = String(cookie.split(separator: ";")[0])
            #expect(pair == "mf_ui=\(Access.cookieValue(Self.token))" && !cookie.contains(Self.token), "\(cookie)")

            let admitted = try await client.access(.get, "/ui", headers: [.cookie: pair, .accept: "text/html"])
            #expect(admitted.status == .ok && Self.text(admitted).contains("<h1>Models</h1>"))
            let forged = try await client.access(.get, "/ui", headers: [.cookie: "mf_ui=\(Self.token)", .accept: "text/html"])
            #expect(forged.status == .found, "the token itself is not the cookie")

            // A script logging in names where to go in the query.
            let scripted = try await client.access(.post, "/ui/login?next=/ui/jobs", headers: Self.formHeaders, body: "token=\(Self.encoded(Self.token))")
            #expect(scripted.status == .found && scripted.headers[.location] == "/ui/jobs", "\(scripted.headers)")
        }
    }

    @Test func aWrongTokenAnswersTheFormAgainWithItsMessage() async throws {
        try await Self.withDashboard { client in
            let refused = try await client.access(.post, "/ui/login", headers: Self.formHeaders, body: Self.form(token: "guess", next: "/ui/jobs"))
            #expect(refused.status == .unauthorized && refused.headers[.setCookie] == nil, "\(refused.headers)")
            #expect(Self.text(refused).contains("That is not the dashboard's token."), "\(Self.text(refused))")
            #expect(Self.text(refused).contains(#"name="next" value="/ui/jobs""#) && refused.headers[.contentSecurityPolicy] != nil, "\(Self.text(refused))")
            let empty = try await client.access(.post, "/ui/login", headers: Self.formHeaders, body: "next=%2Fui")
            #expect(empty.status == .unauthorized && empty.headers[.setCookie] == nil)
            // A body no form makes is refused as too large, not failed as the server's own error.
            let huge = try await client.access(.post, "/ui/login", headers: Self.formHeaders, body: "token=" + String(repeating: "a", count: 20_000))
            #expect(huge.status == .contentTooLarge && Self.text(huge).contains("the login form sent more than 16 KB"), "\(huge.status)")
            let garbage = try await client.access(.post, "/ui/login", headers: Self.formHeaders, body: "%%%&=&token&&next=%ZZ")
            #expect(garbage.status == .unauthorized)
        }
    }

    @Test func loginSendsOnlyToTheDashboardsOwnPages() async throws {
        for next in [
            "//evil.example", "https://evil.example/ui", "/ui/../evil", "/ui/%2e%2E/evil", "/ui\\evil", "/ui/%5Cevil", "/uievil", "/ui//evil.example",
            "/ui/\r\nSet-Cookie: a=b", "/ui/é", "", "javascript:alert(1)", nil,
        ] as [String?] {
            #expect(Access.destination(next, base: "/ui") == "/ui", "\(String(describing: next))")
        }
        for next in ["/ui", "/ui/jobs", "/ui?format=json", "/ui/models/a%20b?format=json"] { #expect(Access.destination(next, base: "/ui") == next) }
        try await Self.withDashboard { client in
            for next in ["//evil.example", "https://evil", "/ui/%2E%2E/%2E%2E/evil"] {
                let answer = try await client.access(.post, "/ui/login", headers: Self.formHeaders, body: Self.form(token: Self.token, next: next))
                #expect(answer.status == .found && answer.headers[.location] == "/ui", "\(next): \(answer.headers)")
                let form = try await client.access(.get, "/ui/login?next=\(Self.encoded(next))", headers: Self.html)
                #expect(form.status == .ok && !Self.text(form).contains("evil"), "\(next): \(Self.text(form))")
            }
            // The query of a page of its own survives.
            let answer = try await client.access(.post, "/ui/login", headers: Self.formHeaders, body: Self.form(token: Self.token, next: "/ui?format=json"))
            #expect(answer.headers[.location] == "/ui?format=json")
        }
    }

    @Test func theStylesheetNeedsNoTokenAndEveryPageCarriesTheSecurityHeaders() async throws {
        try await Self.withDashboard { client in
            let css = try await client.access(.get, "/ui/style.css")
            #expect(css.status == .ok && css.headers[.contentType]?.hasPrefix("text/css") == true && !Self.text(css).isEmpty)
            for (uri, headers) in [("/ui", Self.bearer), ("/ui/login", Self.html), ("/ui", [.authorization: "Bearer nope", .accept: "text/html"])]
                as [(String, HTTPFields)]
            {
                let page = try await client.access(.get, uri, headers: headers)
                #expect(page.headers[.contentType] == "text/html; charset=utf-8", "\(uri)")
                let policy = try #require(page.headers[.contentSecurityPolicy], "\(uri) has no CSP")
                #expect(policy.contains("default-src 'none'") && policy.contains("style-src 'self'") && !policy.contains("script-src"), "\(policy)")
                #expect(page.headers[.xContentTypeOptions] == "nosniff" && page.headers[.cacheControl] == "no-store")
                #expect(!Self.text(page).contains("<script") && !Self.text(page).contains("style=\""), "\(uri) has a script or inline style")
            }
        }
    }

    @Test func aPageAnswersTheSameJSONForTheQueryAndTheAcceptHeader() async throws {
        let store = try SQLiteStore.inMemory()
        _ = try store.modelID(repository: "/src/team/churn", name: "churn")
        try await Self.withDashboard(store: store) { client in
            let byQuery = try await client.access(.get, "/ui?format=json", headers: [.authorization: "Bearer \(Self.token)"])
            let byAccept = try await client.access(.get, "/ui", headers: [.authorization: "Bearer \(Self.token)", .accept: "application/json"])
            #expect(byQuery.status == .ok && byAccept.status == .ok)
            #expect(byQuery.headers[.contentType] == "application/json; charset=utf-8" && Self.data(byQuery) == Self.data(byAccept), "\(Self.text(byQuery))")
            let envelope = try Self.object(byQuery)
            #expect(envelope["page"] as? String == "models" && envelope["base"] as? String == "/ui")
            let models = try #require((envelope["data"] as? [String: Any])?["models"] as? [[String: Any]])
            #expect(models.map { $0["name"] as? String } == ["churn"] && models.first?["href"] as? String == "/ui/repositories/churn/models/churn")
            // A browser's Accept names HTML first: it gets the page.
            let browser = try await client.access(.get, "/ui", headers: [.authorization: "Bearer \(Self.token)", .accept: "text/html,application/json;q=0.9"])
            #expect(browser.headers[.contentType] == "text/html; charset=utf-8")
        }
    }

    @Test func aHostileModelNameIsEscapedInHTMLAndRawInJSON() async throws {
        let store = try SQLiteStore.inMemory()
        _ = try store.modelID(repository: "/src/\(Self.hostile)", name: Self.hostile)
        try await Self.withDashboard(token: nil, store: store) { client in
            let page = try await client.access(.get, "/ui", headers: Self.html)
            #expect(page.status == .ok)
            #expect(!Self.text(page).contains("<script") && !Self.text(page).contains("alert(1)</"), "\(Self.text(page))")
            #expect(Self.text(page).contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(Self.text(page))")
            let json = try await client.access(.get, "/ui?format=json")
            let models = try #require((try Self.object(json)["data"] as? [String: Any])?["models"] as? [[String: Any]])
            #expect(
                models.first?["name"] as? String == Self.hostile && models.first?["repositoryPath"] as? String == "/src/\(Self.hostile)", "\(Self.text(json))")
            let href = try #require(models.first?["href"] as? String)
            #expect(!href.contains("<") && !href.contains(">") && href.hasPrefix("/ui/repositories/"), "\(href)")
        }
    }

    @Test func withoutATokenEveryRequestIsAdmittedAndLoginSaysSo() async throws {
        try await Self.withDashboard(token: nil) { client in
            #expect(try await client.access(.get, "/ui", headers: Self.html).status == .ok)
            let login = try await client.access(.get, "/ui/login", headers: Self.html)
            #expect(login.status == .ok && Self.text(login).contains("needs no token"))
        }
    }

    @Test func anyAddressButLoopbackNeedsAToken() throws {
        for host in ["127.0.0.1", "127.0.0.2", "::1", "localhost"] { try Dashboard.check(host: host, token: nil) }
        for host in ["0.0.0.0", "::", "192.168.1.10", "example.com"] {
            for token in [nil, ""] as [String?] {
                let error = #expect(throws: DashboardError.self) { try Dashboard.check(host: host, token: token) }
                #expect(error?.message.contains(host) == true && error?.message.contains("--token") == true, "\(String(describing: error))")
            }
            try Dashboard.check(host: host, token: "secret")
        }
    }
}

extension AccessTests {
    static func text(_ response: TestResponse) -> String { String(buffer: response.body) }
    static func data(_ response: TestResponse) -> Data { Data(response.body.readableBytesView) }
    static func object(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data(response)) as? [String: Any])
    }
}

extension TestClientProtocol {
    /// Sends a request to the dashboard.
    fileprivate func access(_ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:], body: String? = nil) async throws -> TestResponse {
        try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }
}
