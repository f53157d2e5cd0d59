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
        try runCluster(["restart", server.folder])
    }

    /// A server of its own, for a test that restarts it: restarting the shared one would cut
    /// every other test's connections. Stop it when done (`defer { cluster.stop() }`).
    public struct PrivateCluster: Sendable {
        /// Its `postgres` database: empty, as the cluster is new.
        public let url: String
        let folder: String

        /// Restarts it (fast shutdown: every connection is cut) on the same port.
        public func restart() throws { try TestPostgres.runCluster(["restart", folder]) }

        /// Stops it and removes its folder.
        public func stop() { _ = try? TestPostgres.runCluster(["stop", folder]) }
    }

    /// Starts a new cluster on a free loopback port.
    public static func privateCluster() throws -> PrivateCluster {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mf-postgres-own-\(getpid())-\(UUID().uuidString.prefix(6))").path
        return PrivateCluster(url: try runCluster(["start", folder]), folder: folder)
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
            let started = Cluster(url: try TestPostgres.runCluster(["start", folder]), folder: folder, owned: true)
            cluster = started
            atexit { TestPostgres.stopOwned() }
            return started
        }
    }

    /// Stops the cluster this process started (called at exit).
    static func stopOwned() {
        guard let started = cluster.withLock({ $0 }), started.owned else { return }
        _ = try? runCluster(["stop", started.folder])
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
