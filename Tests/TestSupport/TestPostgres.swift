internal import Foundation
internal import Synchronization

/// The PostgreSQL server the tests of the PostgreSQL store run against: the one `scripts/test`
/// started for the whole run (`$MF_TEST_POSTGRES_URL`, its folder in `$MF_TEST_POSTGRES_DIR`),
/// else a throwaway cluster this test process starts on first use with `scripts/postgres-cluster`
/// and stops when it exits. No test is skipped for want of a server: a machine without one fails
/// with what `scripts/postgres-cluster` said (`scripts/setup` installs Debian's `postgresql`).
///
/// ```swift
/// let url = try TestPostgres.freshDatabase()   // postgres://postgres@127.0.0.1:PORT/mf_test_…
/// ```
public enum TestPostgres {
    /// The server's URL and the cluster's folder, once known.
    struct Cluster: Sendable {
        var url: String
        var folder: String
        /// True when this process started it (and so stops it at exit).
        var owned: Bool
    }

    /// What went wrong starting or using the test server.
    public struct Failure: Error, CustomStringConvertible {
        /// The command and what it said.
        public var description: String
    }

    private static let cluster = Mutex<Cluster?>(nil)

    /// The checkout's root, where `scripts/postgres-cluster` is.
    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The server's URL (its `postgres` database), starting a cluster when there is none yet.
    public static func url() throws -> String { try current().url }

    /// A new empty database on the server, named uniquely: each test gets its own schema.
    public static func freshDatabase(_ label: String = "test") throws -> String {
        let server = try current()
        let name = "mf_\(label.lowercased().filter { $0.isLetter || $0.isNumber })_\(UUID().uuidString.prefix(8).lowercased())"
        try psql(server.url, "CREATE DATABASE \(name)")
        return database(name, of: server.url)
    }

    /// `url` with its database replaced by `name`.
    public static func database(_ name: String, of url: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.path = "/" + name
        return components.string ?? url
    }

    /// Restarts the server (fast shutdown: every connection is cut) on the same port, as an
    /// operator or a crash would.
    public static func restart() throws {
        let server = try current()
        guard !server.folder.isEmpty else {
            throw Failure(description: "the test server's folder is unknown: set MF_TEST_POSTGRES_DIR beside MF_TEST_POSTGRES_URL")
        }
        // Spawned and waited for directly: Foundation's Process, used while the store's
        // connections are being cut, was seen to leave this child unreaped (waitUntilExit hung).
        let log = server.folder + "/restart.log"
        var pid: pid_t = 0
        let arguments = ["/bin/sh", "-c", "exec \"$0\" restart \"$1\" >/dev/null 2>\"$2\"", script, server.folder, log]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        guard posix_spawn(&pid, "/bin/sh", nil, nil, &argv, environ) == 0 else { throw Failure(description: "cannot run scripts/postgres-cluster restart") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status == 0 else {
            let said = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw Failure(description: "scripts/postgres-cluster restart exited \(status): \(said)")
        }
    }

    /// Runs one SQL statement with `psql` (for setting up and looking at a database from outside the store).
    @discardableResult
    public static func psql(_ url: String, _ sql: String) throws -> String {
        let result = try runProcess("/usr/bin/env", ["psql", url, "-v", "ON_ERROR_STOP=1", "-Atqc", sql])
        guard result.status == 0 else { throw Failure(description: "psql \(sql): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static var script: String { checkout.appendingPathComponent("scripts/postgres-cluster").path }

    private static func current() throws -> Cluster {
        try cluster.withLock { cluster in
            if let cluster { return cluster }
            let environment = ProcessInfo.processInfo.environment
            if let url = environment["MF_TEST_POSTGRES_URL"], !url.isEmpty {
                let started = Cluster(url: url, folder: environment["MF_TEST_POSTGRES_DIR"] ?? "", owned: false)
                cluster = started
                return started
            }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mf-postgres-\(getpid())-\(UUID().uuidString.prefix(6))").path
            let result = try runProcess(script, ["start", folder])
            guard result.status == 0 else {
                throw Failure(description: "scripts/postgres-cluster start \(folder) exited \(result.status): \(result.stderr)")
            }
            let started = Cluster(url: result.stdout.trimmingCharacters(in: .whitespacesAndNewlines), folder: folder, owned: true)
            cluster = started
            atexit { TestPostgres.stopOwned() }
            return started
        }
    }

    /// Stops the cluster this process started (called at exit).
    static func stopOwned() {
        guard let started = cluster.withLock({ $0 }), started.owned else { return }
        _ = try? runProcess(script, ["stop", started.folder])
    }
}
