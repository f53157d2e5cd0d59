public import Foundation
internal import PostgresNIO
public import Store

/// Where a PostgreSQL store is, read from a `postgres://` (or `postgresql://`) URL: user,
/// password, host, port (5432), database (the user's name when none) and `sslmode` (`disable`,
/// the default, `prefer`, `require`, `verify-full`).
public struct PostgresLocation: Sendable, Equatable {
    /// How the connection is encrypted.
    public enum TLSMode: String, Sendable {
        case disable
        case prefer
        case require
        case verifyFull = "verify-full"
    }

    /// The user to connect as.
    public var user: String
    /// The user's password, if the server asks for one; never printed.
    public var password: String?
    /// The server's host name or address.
    public var host: String
    /// The server's port.
    public var port: Int
    /// The database.
    public var database: String
    /// How the connection is encrypted.
    public var tls: TLSMode

    /// `host:port/database`: how errors and logs name the server (no user, no password).
    public var server: String { "\(host):\(port)/\(database)" }

    /// Reads `url`; a URL that is not one names what is wrong, in one sentence, without its password.
    public init(_ url: String) throws(StoreError) {
        let shown = Self.redacted(url)
        guard let components = URLComponents(string: url), let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw .database(operation: "open \(shown)", reason: "it is not a postgres:// URL")
        }
        guard let host = components.host, !host.isEmpty else {
            throw .database(operation: "open \(shown)", reason: "the URL names no host")
        }
        self.host = host
        port = components.port ?? 5432
        user = components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        password = components.password.flatMap { $0.removingPercentEncoding }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? user : (path.removingPercentEncoding ?? path)
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        guard let tls = TLSMode(rawValue: mode) else {
            throw .database(operation: "open \(shown)", reason: "sslmode '\(mode)' is not one of disable, prefer, require, verify-full")
        }
        self.tls = tls
    }

    /// `url` with its password replaced by `***`, for messages.
    public static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "a postgres:// URL"
    }

    /// The driver's configuration for this location.
    func configuration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch self.tls {
        case .disable: tls = .disable
        case .prefer, .require:
            var settings = TLSConfiguration.makeClientConfiguration()
            settings.certificateVerification = .none
            let context = try NIOSSLContext(configuration: settings)
            tls = self.tls == .prefer ? .prefer(context) : .require(context)
        case .verifyFull: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        return PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }
}
