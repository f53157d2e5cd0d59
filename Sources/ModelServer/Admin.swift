internal import Foundation
internal import Hummingbird
internal import HTTPTypes
internal import ModelKit
internal import ModelFactory

/// The admin API, under `/admin`, for a caller holding the bearer token (`--admin-token`):
/// the traffic policy of a model, and loading, promoting and unloading bundles.
extension ModelServer {
    struct LoadRequest: Decodable {
        var path: String
        /// Move traffic to it once it is warm (default true).
        var current: Bool?
        /// Also drain the versions it replaces (default false).
        var drain: Bool?
    }

    func adminRoutes(_ router: Router<BasicRequestContext>) {
        let registry = self.registry, limit = options.maxBodyBytes
        let group = router.group("/admin").add(middleware: BearerToken(token: options.adminToken))
        group.get("/models") { _, _ in
            let models = registry.models().map { model -> JSONValue in
                let policy = registry.policy(for: model.name) ?? TrafficPolicy()
                return [
                    "name": .string(model.name), "current": model.current.map(JSONValue.string) ?? .null,
                    "versions": .array(model.versions.map { .object(["version": .string($0.version), "ready": .bool($0.isReady),
                                                                     "bundle": .string($0.bundle.folder.path)]) }),
                    "policy": Self.json(policy),
                ]
            }
            return jsonResponse(.ok, JSONValue.array(models))
        }
        group.put("/models/{model}/traffic") { request, context in
            let name = try context.parameters.require("model")
            let body = try await Self.body(request, limit: limit)
            let policy: TrafficPolicy
            do { policy = try JSONDecoder().decode(TrafficPolicy.self, from: body) } catch {
                throw ServeError(.badRequest, "expected {\"weights\": {version: weight}, \"shadow\": version, \"stickyHeader\": name}: \(error)")
            }
            try registry.setPolicy(policy, for: name)
            return jsonResponse(.ok, Self.json(policy))
        }
        group.post("/bundles") { request, _ in
            let body = try await Self.body(request, limit: limit)
            let load: LoadRequest
            do { load = try JSONDecoder().decode(LoadRequest.self, from: body) } catch {
                throw ServeError(.badRequest, "expected {\"path\": bundle folder or .tar.gz, \"current\": bool, \"drain\": bool}")
            }
            let version: ModelVersion
            do { version = try await registry.load(URL(fileURLWithPath: load.path), makeCurrent: false) } catch let error as ServeError {
                throw error
            } catch {
                throw ServeError(.unprocessableContent, "\(error)")
            }
            if load.current ?? true { try await registry.promote(version.name, to: version.version, drainingOthers: load.drain ?? false) }
            return jsonResponse(.ok, JSONValue.object(["name": .string(version.name), "version": .string(version.version)]))
        }
        group.post("/models/{model}/versions/{version}/promote") { _, context in
            let name = try context.parameters.require("model"), version = try context.parameters.require("version")
            try await registry.promote(name, to: version, drainingOthers: false)
            return jsonResponse(.ok, JSONValue.object(["name": .string(name), "current": .string(version)]))
        }
        group.delete("/models/{model}/versions/{version}") { _, context in
            let name = try context.parameters.require("model"), version = try context.parameters.require("version")
            try await registry.unload(name, version)
            return jsonResponse(.ok, JSONValue.object(["name": .string(name), "unloaded": .string(version)]))
        }
    }

    static func json(_ policy: TrafficPolicy) -> JSONValue {
        (try? JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(policy))) ?? .null
    }
}

/// Lets a request through only with `Authorization: Bearer <token>` (compared in constant time);
/// without a configured token the admin API is off.
struct BearerToken<Context: RequestContext>: RouterMiddleware {
    let token: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token else { throw ServeError(.forbidden, "the admin API is off; start mf serve with --admin-token") }
        let given = request.headers[.authorization] ?? ""
        guard constantTimeEqual(Array(given.utf8), Array("Bearer \(token)".utf8)) else {
            throw ServeError(.unauthorized, "the admin API needs Authorization: Bearer <token>")
        }
        return try await next(request, context)
    }
}
