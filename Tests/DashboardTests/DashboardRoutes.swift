import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLiteStore
import Store
import TestSupport

@testable import Dashboard

/// A home with a store the test fills, and the dashboard's routes over it, driven without sockets.
struct DashboardRoutes {
    let home = TemporaryDirectory("dashboard")
    let store: SQLiteStore

    init() throws { store = try SQLiteStore.inMemory() }

    /// The answer to one GET: status, headers and body as text.
    struct Answer {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var text: String

        /// The body as a JSON object.
        func object() throws -> [String: Any] { try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:] }
    }

    /// Runs `body` with a client of the dashboard's routes (asking for `token` when given).
    func withClient<Value: Sendable>(token: String? = nil, _ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let router = Router()
        Dashboard(store: store, options: .init(home: URL(fileURLWithPath: home.path), token: token)).addRoutes(to: router)
        return try await Application(router: router).test(.router, body)
    }
}

extension TestClientProtocol {
    /// GETs `uri` (as JSON when `json`).
    func get(_ uri: String, json: Bool = false, headers: HTTPFields = [:]) async throws -> DashboardRoutes.Answer {
        var headers = headers
        if json { headers[.accept] = "application/json" }
        let response = try await execute(uri: uri, method: .get, headers: headers)
        return DashboardRoutes.Answer(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }
}
