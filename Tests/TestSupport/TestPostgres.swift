internal import Foundation
internal import Synchronization

/// A PostgreSQL server for tests: a throwaway cluster in a folder of its own, started by
/// `scripts/postgres-cluster` on a free loopback port and stopped when the value goes away, or
/// the one `scripts/test` started for the whole run (`$MF_TEST_POSTGRES_URL`, its folder in
/// `$MF_TEST_POSTGRES_DIR`), which this never stops.
///
/// ```swift
/// let url = try TestPostgres.freshDatabase()      // a new database on the shared server
/// let own = try PostgresServer.start("restarts")  // a server of this test's own, to restart
/// try own.restart()
/// ```
public final class PostgresServer: Sendable {
    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    public let url: String
    /// The cluster's folder (empty when unknown).
    public let folder: String
    /// True when this value started it, and so stops it.
    let owned: Bool

    init(url: String, folder: String, owned: Bool) {
        self.url = url
        self.folder = folder
        self.owned = owned
    }

    /// Starts a new cluster (initdb, pg_ctl) in a new temporary folder.
    public static func start(_ label: String = "test") throws -> PostgresServer {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mf-postgres-\(label)-\(UUID().uuidString.prefix(8))").path
        return PostgresServer(url: try TestPostgres.runCluster(["start", folder]), folder: folder, owned: true)
    }

    deinit { if owned { stop() } }

    /// A new empty database on this server, named uniquely; returns its URL.
    public func freshDatabase(_ label: String = "test") throws -> String {
        let name = "mf_\(label.lowercased().filter { $0.isLetter || $0.isNumber })_\(UUID().uuidString.prefix(8).lowercased())"
        try TestPostgres.psql(url, "CREATE DATABASE \(name)")
        return TestPostgres.database(name, of: url)
    }

    /// Restarts the server on the same port with a fast shutdown (every connection is cut), as
    /// an operator or a crash would.
    public func restart() throws {
        guard !folder.isEmpty else {
            throw TestPostgres.Failure(description: "the test server's folder is unknown: set MF_TEST_POSTGRES_DIR beside MF_TEST_POSTGRES_URL")
        }
        try TestPostgres.runCluster(["restart", folder])
    }

    /// Stops the cluster and removes its folder (only one this value started).
    public func stop() {
        guard owned else { return }
        _ = try? TestPostgres.runCluster(["stop", folder])
    }
}

/// The PostgreSQL server the store's tests share: `scripts/test`'s, else one this test process
/// starts on first use and stops at exit. No test is skipped for want of a server: a machine
/// without one fails with what `scripts/postgres-cluster` said (`scripts/setup` installs
/// Debian's `postgresql`).
public enum TestPostgres {
    /// What went wrong starting or using a test server.
    public struct Failure: Error, CustomStringConvertible {
        /// The command and what it said.
        public var description: String
    }

    private static let shared = Mutex<PostgresServer?>(nil)

    /// The checkout's root, where `scripts/postgres-cluster` is.
    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var script: String { checkout.appendingPathComponent("scripts/postgres-cluster").path }

    /// The shared server, started when there is none yet.
    public static func server() throws -> PostgresServer {
        try shared.withLock { server in
            if let server { return server }
            let environment = ProcessInfo.processInfo.environment
            let started: PostgresServer
            if let url = environment["MF_TEST_POSTGRES_URL"], !url.isEmpty {
                started = PostgresServer(url: url, folder: environment["MF_TEST_POSTGRES_DIR"] ?? "", owned: false)
            } else {
                started = try PostgresServer.start("shared")
                atexit { TestPostgres.stopShared() }
            }
            server = started
            return started
        }
    }

    /// The shared server's URL (its `postgres` database).
    public static func url() throws -> String { try server().url }

    /// Restarts the shared server (every connection is cut): only for a test that means to cut
    /// every other test's connections too; a test of its own restarts uses `PostgresServer.start`.
    public static func restart() throws { try server().restart() }

    /// A new empty database on the shared server (each test gets its own schema); its URL.
    public static func freshDatabase(_ label: String = "test") throws -> String { try server().freshDatabase(label) }

    /// `url` with its database replaced by `name`.
    public static func database(_ name: String, of url: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.path = "/" + name
        return components.string ?? url
    }

    /// Runs SQL with `psql` (to set up or look at a database from outside the store); its output.
    @discardableResult
    public static func psql(_ url: String, _ sql: String) throws -> String {
        let result = try runProcess("/usr/bin/env", ["psql", url, "-v", "ON_ERROR_STOP=1", "-Atqc", sql])
        guard result.status == 0 else { throw Failure(description: "psql \(sql): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the shared server when this process started it (at exit).
    static func stopShared() {
        shared.withLock { $0 }?.stop()
    }

    /// Runs `scripts/postgres-cluster` with `arguments` and returns what it printed. Spawned and
    /// waited for directly, its output through files: Foundation's Process was seen to leave it
    /// unreaped once it had started or restarted a server (waitUntilExit hung on a zombie).
    @discardableResult
    static func runCluster(_ arguments: [String]) throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("mf-postgres-cluster-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(atPath: output + ".out")
            try? FileManager.default.removeItem(atPath: output + ".err")
        }
        let command = ["/bin/sh", "-c", "out=$1; shift; exec \"$@\" >\"$out.out\" 2>\"$out.err\" </dev/null", "sh", output, script] + arguments
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/bin/sh", nil, nil, &argv, environ) == 0 else {
            throw Failure(description: "cannot run scripts/postgres-cluster \(arguments.joined(separator: " "))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let said = (try? String(contentsOfFile: output + ".out", encoding: .utf8)) ?? ""
        guard status == 0 else {
            let error = (try? String(contentsOfFile: output + ".err", encoding: .utf8)) ?? ""
            throw Failure(description: "scripts/postgres-cluster \(arguments.joined(separator: " ")) exited \(status): \(error)")
        }
        return said.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
