internal import Foundation
internal import HTTPTypes
internal import Hummingbird
internal import Store

/// The session pages' routes: `/sessions/ID` (a unique prefix of at least four characters leads
/// to the whole id's page) and `/sessions/ID/logs/STEP`, a step's whole log as plain text.
enum SessionLog {
    /// The log at `path` as the dashboard may read it: a regular file under `home` (after
    /// following links); nil for anything else.
    static func readable(_ path: String, home: URL) -> String? {
        let root = home.resolvingSymlinksInPath().standardizedFileURL.path
        let file = URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
        var isFolder: ObjCBool = false
        guard file.hasPrefix(root.hasSuffix("/") ? root : root + "/"), FileManager.default.fileExists(atPath: file, isDirectory: &isFolder),
            !isFolder.boolValue
        else { return nil }
        return file
    }

    /// What a page says in place of a log it does not show.
    static func unreadable(_ path: String) -> String { "(the log \(path) is gone, or is not in the factory's home)" }

    /// Headers of a whole log: plain text the browser shows as it is.
    static let headers: HTTPFields = [
        .contentType: "text/plain; charset=utf-8",
        .xContentTypeOptions: "nosniff",
        .contentSecurityPolicy: "default-src 'none'; sandbox",
        .cacheControl: "no-store",
    ]
}

extension Dashboard {
    /// Adds the session page and its logs to `group`.
    func addSessionRoutes<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.get("/sessions/:id") { request, context -> Response in
            let id = try Self.segment("id", context)
            let full = try await self.onQueue { try self.session(named: id) }
            if full != id {
                var location = Links(base: self.options.base).session(full)
                if request.uri.queryParameters.get("format") == "json" { location += "?format=json" }
                return Response.redirect(to: location, type: .found)
            }
            return try await self.answer(request) {
                let catalog = try self.catalog()
                return try SessionPage.build(session: id, catalog: catalog, links: catalog.links)
            }
        }
        group.get("/sessions/:id/logs/:step") { _, context -> Response in
            let id = try Self.segment("id", context)
            let step = try Self.segment("step", context)
            let path = try await self.onQueue { () throws -> String in
                guard try self.store.session(id: id) != nil else { throw DashboardError.notFound("session \(id)") }
                guard let logged = try self.store.steps(session: id).last(where: { $0.name == step && $0.logPath != nil })?.logPath else {
                    throw DashboardError.notFound("log of a step \(step) in session \(id)")
                }
                guard let path = SessionLog.readable(logged, home: self.options.home) else {
                    throw DashboardError(.notFound, "the log of step \(step) in session \(id) is gone, or is not in the factory's home")
                }
                return path
            }
            return Response(status: .ok, headers: SessionLog.headers, body: try await FileIO().loadFile(path: path, context: context))
        }
    }

    /// The full id of the session `name` names: itself when it is one, else the one session
    /// whose id begins with it (at least four characters).
    func session(named name: String) throws -> String {
        if try store.session(id: name) != nil { return name }
        guard name.count >= 4 else { throw DashboardError.notFound("session \(name)") }
        let found = try store.sessions(idPrefix: name.lowercased(), model: nil, repository: nil)
        guard found.count == 1 else {
            throw DashboardError(
                .notFound,
                found.isEmpty
                    ? "there is no session \(name) in this factory's store"
                    : "\(found.count) sessions begin with \(name): give more of the id")
        }
        return found[0].session.id
    }
}
