public import Foundation
internal import HTTPTypes
public import Hummingbird
internal import NIOCore
public import Store

/// The dashboard (DESIGN.md "Dashboard"): read-only pages over a factory's store, under `/ui`,
/// for `mf ui` and `mf serve --ui` alike. Each page is built as data, answered as JSON when
/// asked (`?format=json` or `Accept: application/json`), and otherwise rendered from that same
/// JSON by a mustache template (`Templates/`), HTML-escaped, with inline SVG charts, one
/// stylesheet and no scripts, under a strict Content-Security-Policy.
///
/// ```swift
/// let dashboard = Dashboard(store: store, options: .init(home: home, token: nil))
/// let router = Router()
/// dashboard.addRoutes(to: router)
/// ```
public struct Dashboard: Sendable {
    /// How the dashboard is reached.
    public struct Options: Sendable {
        /// The factory's home (bundles and logs are read from under it).
        public var home: URL
        /// The token every request must present (`Authorization: Bearer`, or the cookie
        /// `/ui/login` sets); nil lets every request in (loopback only: `check(host:)`).
        public var token: String?
        /// The path every page is under.
        public var base: String

        /// Reached at `base`, with `token` (an empty one is none).
        public init(home: URL, token: String?, base: String = "/ui") {
            self.home = home
            self.token = token.flatMap { $0.isEmpty ? nil : $0 }
            self.base = base
        }
    }

    /// The store the pages read.
    public let store: any FactoryStore
    /// How it is reached.
    public let options: Options
    /// Page building reads the store with blocking calls: they run here, off Swift's
    /// cooperative threads (which, in `mf serve --ui`, answer inference requests).
    let queue = DispatchQueue(label: "mf.ui.pages")

    /// The dashboard over `store`.
    public init(store: any FactoryStore, options: Options) {
        self.store = store
        self.options = options
    }

    /// Refuses to serve without a token on anything but a loopback address.
    public static func check(host: String, token: String?) throws(DashboardError) {
        let loopback = ["127.0.0.1", "::1", "localhost"].contains(host) || host.hasPrefix("127.")
        if !loopback && (token ?? "").isEmpty {
            throw DashboardError(
                .badRequest,
                "the dashboard binds \(host), which is not a loopback address: give it a token (--token or $MF_UI_TOKEN)")
        }
    }

    /// Adds every page under `options.base` to `router`.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        let group = router.group(RouterPath(options.base)).add(middleware: DashboardErrors<Context>(dashboard: self))
        group.get("/style.css") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=300"],
                body: .init(byteBuffer: ByteBuffer(string: PageTemplates.stylesheet)))
        }
        Access(dashboard: self).addRoutes(to: group)
        let pages = group.add(middleware: Access.Required<Context>(token: options.token, base: options.base))
        pages.get("/") { request, _ in try await self.answer(request) { try ModelsPage.build(self.catalog()) } }
        addSessionRoutes(to: pages)
        addJobsAndHistoryRoutes(to: pages)
        addModelPages(to: pages)
    }

    /// A catalog of the store's models, read now.
    func catalog() throws -> Catalog { try Catalog(store: store, options: options) }

    /// Builds a page on the dashboard's queue and answers it as the request asks: JSON, or HTML
    /// rendered from that JSON.
    func answer<Page: DashboardPage>(_ request: Request, status: HTTPResponse.Status = .ok, build: @escaping @Sendable () throws -> Page) async throws
        -> Response
    {
        let json = Self.wantsJSON(request)
        let renderer = PageRenderer(base: options.base)
        // Built and rendered together, so Server-Timing tells how long the server took for the page.
        return try await onQueue {
            let started = ContinuousClock.now
            var response = try renderer.response(try build(), status: status, json: json)
            let took = ContinuousClock.now - started
            let milliseconds = Double(took.components.seconds) * 1000 + Double(took.components.attoseconds) / 1e15
            response.headers[HTTPField.Name("Server-Timing")!] = String(format: "page;dur=%.2f", milliseconds)
            return response
        }
    }

    /// Runs `body` on the dashboard's queue, where store reads belong (off Swift's cooperative
    /// threads), and returns what it returns.
    func onQueue<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in queue.async { continuation.resume(with: Result { try body() }) } }
    }

    /// Whether the request asks for JSON: `?format=json`, or an Accept header naming JSON and
    /// not HTML.
    static func wantsJSON(_ request: Request) -> Bool {
        if let format = request.uri.queryParameters.get("format") { return format == "json" }
        let accept = request.headers[.accept] ?? ""
        return accept.contains("application/json") && !accept.contains("text/html")
    }
}

extension Dashboard {
    /// `mf ui`'s application: the dashboard alone on `host` and `port`, with `/` leading to it.
    /// `onListening` hears the bound port (useful with port 0).
    public func buildApplication(host: String, port: Int, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router()
        addRoutes(to: router)
        let base = options.base
        router.get("/") { _, _ in Response.redirect(to: base, type: .found) }
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "model-factory-ui"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) })
    }
}
