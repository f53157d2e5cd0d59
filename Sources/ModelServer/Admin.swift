internal import Foundation
internal import HTTPTypes
internal import Hummingbird
internal import ModelFactory
internal import ModelKit
internal import SystemKit

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
        let registry = self.registry
        let limit = options.maxBodyBytes
        let events = options.events
        let group = router.group("/admin").add(middleware: BearerToken(token: options.adminToken))
        group.get("/models") { _, _ in
            let models = registry.models().map { model -> JSONValue in
                let policy = registry.policy(for: model.name) ?? TrafficPolicy()
                return [
                    "name": .string(model.name), "current": model.current.map(JSONValue.string) ?? .null,
                    "versions": .array(
                        model.versions.map {
                            .object([
                                "version": .string($0.version), "ready": .bool($0.isReady),
                                "bundle": .string($0.bundle.folder.path),
                            ])
                        }),
                    "policy": Self.json(policy),
                ]
            }
            return jsonResponse(.ok, JSONValue.array(models))
        }
        group.put("/models/{model}/traffic") { request, context in
            let name = try context.parameters.require("model")
            let policy = try Self.policy(from: try await Self.body(request, limit: limit))
            try registry.setPolicy(policy, for: name)
            events?.admin(.traffic, model: name, from: nil, to: nil, reason: "traffic for \(name) set by the admin API: \(policy)")
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
            if load.current ?? true {
                let before = registry.models().first { $0.name == version.name }?.current
                try await registry.promote(version.name, to: version.version, drainingOthers: load.drain ?? false)
                if before != version.version {
                    events?.admin(
                        .promoted, model: version.name, from: before, to: version.version,
                        reason: "\(version.version) loaded from \(load.path) and made current by the admin API")
                }
            }
            return jsonResponse(.ok, JSONValue.object(["name": .string(version.name), "version": .string(version.version)]))
        }
        group.post("/models/{model}/versions/{version}/promote") { _, context in
            let name = try context.parameters.require("model")
            let version = try context.parameters.require("version")
            let before = registry.models().first { $0.name == name }?.current
            try await registry.promote(name, to: version, drainingOthers: false)
            if before != version { events?.admin(.promoted, model: name, from: before, to: version, reason: "\(version) made current by the admin API") }
            return jsonResponse(.ok, JSONValue.object(["name": .string(name), "current": .string(version)]))
        }
        group.delete("/models/{model}/versions/{version}") { _, context in
            let name = try context.parameters.require("model")
            let version = try context.parameters.require("version")
            try await registry.unload(name, version)
            // What serves the model now: the policy that is left and the current version agree.
            let left = registry.models().first { $0.name == name }
            events?.admin(
                .unloaded, model: name, from: version, to: left?.current,
                reason: "\(version) unloaded by the admin API; \(left?.current ?? "nothing") serves \(name)")
            return jsonResponse(
                .ok,
                JSONValue.object([
                    "name": .string(name), "unloaded": .string(version), "current": left?.current.map(JSONValue.string) ?? .null,
                    "policy": Self.json(registry.policy(for: name) ?? TrafficPolicy()),
                ]))
        }
    }

    static let policyShape = #"{"weights": {version: weight}, "shadow": version, "stickyHeader": header name}"#

    /// The body of `PUT /admin/models/M/traffic`, every problem named: a weight is a whole number
    /// from 0 to `TrafficPolicy.maxWeight`; a setting the policy does not have is refused, not
    /// ignored (a misspelt `sticky_header` would otherwise end stickiness without a word).
    static func policy(from body: Data) throws(ServeError) -> TrafficPolicy {
        guard !body.isEmpty else { throw ServeError(.badRequest, "the request body is empty; expected \(policyShape)") }
        let value: JSONValue
        do { value = try JSONValue(json: body) } catch { throw ServeError(.badRequest, "the request body is not valid JSON; expected \(policyShape)") }
        guard case .object(let fields) = value else { throw ServeError(.badRequest, "expected a JSON object \(policyShape)") }
        var policy = TrafficPolicy()
        var problems: [String] = []
        for key in fields.keys.sorted() where !["weights", "shadow", "stickyHeader"].contains(key) {
            problems.append("'\(key)' is not a setting of the policy; expected weights, shadow or stickyHeader")
        }
        switch fields["weights"] {
        case nil, .null?: break
        case .object(let weights)?:
            for (version, weight) in weights.sorted(by: { $0.key < $1.key }) {
                guard case .number(let number) = weight, number == number.rounded(), (0...Double(TrafficPolicy.maxWeight)).contains(number) else {
                    problems.append("the weight of \(version) is \(describe(weight)); a weight is a whole number from 0 to \(TrafficPolicy.maxWeight)")
                    continue
                }
                policy.weights[version] = Int(number)
            }
        default:
            problems.append("'weights' is \(describe(fields["weights"]!)); expected an object of version: weight")
        }
        switch fields["shadow"] {
        case nil, .null?: break
        case .string(let version)?: policy.shadow = version
        case let other?: problems.append("'shadow' is \(describe(other)); expected a version (a string) or null")
        }
        switch fields["stickyHeader"] {
        case nil, .null?: break
        case .string(let name)? where HTTPField.Name(name) != nil: policy.stickyHeader = name
        case let other?: problems.append("'stickyHeader' is \(describe(other)); expected a header name or null")
        }
        guard problems.isEmpty else { throw ServeError(.badRequest, problems.joined(separator: "; ")) }
        return policy
    }

    /// A JSON value as a client wrote it, short.
    static func describe(_ value: JSONValue) -> String {
        let text: String =
            switch value {
            case .number(let number) where number == number.rounded() && abs(number) < 1e21: String(format: "%.0f", number)
            case .number(let number): "\(number)"
            default: String(decoding: value.jsonData(), as: UTF8.self)
            }
        return text.count > 60 ? String(text.prefix(60)) + "…" : text
    }

    static func json(_ policy: TrafficPolicy) -> JSONValue {
        (try? JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(policy))) ?? .null
    }
}

/// Lets a request through only with `Authorization: Bearer <token>` (the scheme in any case, as
/// RFC 9110 has it; the token compared in constant time); a 401 says `WWW-Authenticate: Bearer`.
/// Without a configured token the admin API is off.
struct BearerToken<Context: RequestContext>: RouterMiddleware {
    let token: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token else { throw ServeError(.forbidden, "the admin API is off; start mf serve with --admin-token") }
        guard let given = bearerCredentials(request.headers[.authorization]) else {
            throw ServeError.unauthorized("the admin API needs Authorization: Bearer <token>")
        }
        guard constantTimeEqual(Array(given.utf8), Array(token.utf8)) else {
            throw ServeError.unauthorized("the bearer token is not the admin API's token")
        }
        return try await next(request, context)
    }
}

/// The token of an `Authorization` value whose scheme is Bearer (`bearer`, `BEARER`…), after
/// one or more spaces; nil for none or another scheme.
func bearerCredentials(_ value: String?) -> Substring? {
    guard let value else { return nil }
    let trimmed = value.drop { $0 == " " }
    guard let space = trimmed.firstIndex(of: " "), trimmed[..<space].lowercased() == "bearer" else { return nil }
    let token = trimmed[space...].drop { $0 == " " }
    return token.isEmpty ? nil : token
}

extension ServeError {
    /// A 401 with its challenge, `WWW-Authenticate: Bearer`.
    static func unauthorized(_ message: String) -> ServeError {
        var error = ServeError(.unauthorized, message)
        error.headers[.wwwAuthenticate] = "Bearer"
        return error
    }

    /// The challenge a 401 carries.
    var challenge: String? { headers[.wwwAuthenticate] }
}
