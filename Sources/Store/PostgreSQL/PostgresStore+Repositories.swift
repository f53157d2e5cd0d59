public import Foundation
internal import NIOCore
internal import NIOPosix
internal import PostgresNIO
public import Store

// MARK: Repositories across hosts

extension PostgresStore {
    /// Records the repository `identity`, re-keying what an older home keeps under `location`.
    public func registerRepository(identity: String, location: String) throws(StoreError) {
        try transaction("register the repository \(identity)") { db in
            if identity != location {
                // One re-keying at a time, whoever starts it (another host may register the same repository).
                try db.lock(.repositoryIdentity, identity)
                let old =
                    try db.value(
                        """
                        SELECT EXISTS (SELECT 1 FROM repositories WHERE path = \(location))
                        OR EXISTS (SELECT 1 FROM environments WHERE repository = \(location))
                        """, as: Bool.self) ?? false
                if old { try Self.rekey(db, from: location, to: identity) }
            }
            try db.execute(
                """
                INSERT INTO repositories (path, location, createdAt) VALUES (\(identity), \(location), \(Date().stored))
                ON CONFLICT (path) DO UPDATE SET location = excluded.location WHERE repositories.location IS DISTINCT FROM excluded.location
                """)
        }
    }

    /// Moves every record keyed by the repository `old` to `new`, merged as `SQLiteStore.rekey` does.
    static func rekey(_ db: Transaction, from old: String, to new: String) throws {
        if let oldID = try db.value("SELECT id FROM repositories WHERE path = \(old)", as: Int64.self) {
            if let newID = try db.value("SELECT id FROM repositories WHERE path = \(new)", as: Int64.self) {
                let models = try db.all("SELECT id, name FROM models WHERE repositoryId = \(oldID)") { row in
                    (try row("id", as: Int64.self), try row("name", as: String.self))
                }
                for (oldModel, name) in models {
                    guard let newModel = try db.value("SELECT id FROM models WHERE repositoryId = \(newID) AND name = \(name)", as: Int64.self) else {
                        try db.execute("UPDATE models SET repositoryId = \(newID) WHERE id = \(oldModel)")
                        continue
                    }
                    try db.execute("UPDATE sessions SET modelId = \(newModel) WHERE modelId = \(oldModel)")
                    try db.execute("UPDATE metrics SET modelId = \(newModel) WHERE modelId = \(oldModel)")
                    try db.execute(
                        """
                        UPDATE bundles SET modelId = \(newModel) WHERE modelId = \(oldModel)
                        AND version NOT IN (SELECT version FROM bundles WHERE modelId = \(newModel))
                        """)
                    try db.execute("DELETE FROM bundles WHERE modelId = \(oldModel)")
                    try db.execute("DELETE FROM models WHERE id = \(oldModel)")
                }
                try db.execute("DELETE FROM repositories WHERE id = \(oldID)")
            } else {
                try db.execute("UPDATE repositories SET path = \(new) WHERE id = \(oldID)")
            }
        }
        // Of an environment or a traffic declaration both keys have, the newer stays.
        try db.execute(
            """
            DELETE FROM environments AS moved WHERE moved.repository = \(old) AND EXISTS (
            SELECT 1 FROM environments AS kept WHERE kept.repository = \(new) AND kept.model = moved.model AND kept.name = moved.name
            AND kept.updatedAt >= moved.updatedAt)
            """)
        try db.execute(
            """
            DELETE FROM environments AS kept WHERE kept.repository = \(new) AND EXISTS (
            SELECT 1 FROM environments AS moved WHERE moved.repository = \(old) AND moved.model = kept.model AND moved.name = kept.name)
            """)
        try db.execute("UPDATE environments SET repository = \(new) WHERE repository = \(old)")
        try db.execute(
            """
            DELETE FROM traffic AS moved WHERE moved.repository = \(old) AND EXISTS (
            SELECT 1 FROM traffic AS kept WHERE kept.repository = \(new) AND kept.environment = moved.environment
            AND kept.recordedAt >= moved.recordedAt)
            """)
        try db.execute(
            """
            DELETE FROM traffic AS kept WHERE kept.repository = \(new) AND EXISTS (
            SELECT 1 FROM traffic AS moved WHERE moved.repository = \(old) AND moved.environment = kept.environment)
            """)
        try db.execute("UPDATE traffic SET repository = \(new) WHERE repository = \(old)")
        try db.execute("UPDATE jobs SET repository = \(new) WHERE repository = \(old)")
        try db.execute("UPDATE events SET repository = \(new) WHERE repository = \(old)")
        try db.execute("UPDATE rollouts SET repository = \(new) WHERE repository = \(old)")
        try db.execute("UPDATE predictions SET repository = \(new) WHERE repository = \(old)")
    }

    /// Every repository the store knows, by identity.
    public func repositories() throws(StoreError) -> [RepositoryRecord] {
        try transaction("read the repositories") { db in
            try db.all("SELECT path, location, createdAt FROM repositories ORDER BY path") { row in
                RepositoryRecord(identity: try row("path"), location: try row("location"), createdAt: try row.date("createdAt"))
            }
        }
    }

    /// Waits for the lock on `identity` across every host: a session-level advisory lock on a
    /// connection of its own, held until `unlock()` (or until the process, and so the
    /// connection, ends: a killed worker's lock goes with it).
    public func lockRepository(_ identity: String) throws(StoreError) -> any RepositoryLock {
        try run("lock the repository \(identity) at \(server)") { () throws -> any RepositoryLock in
            let id = nextConnectionID.add(1, ordering: .relaxed).oldValue
            let connection = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: id, logger: logger
            ).wait()
            do {
                let holder = Transaction(connection: connection, logger: logger, explicit: true)
                try holder.execute("SELECT pg_advisory_lock(\(LockSpace.repositoryWork.rawValue), hashtext(\(identity)))")
                return HeldAdvisoryLock(connection: connection)
            } catch {
                connection.closeSoon()
                throw error
            }
        }
    }

    /// Records the traffic declaration of an environment's head.
    public func record(traffic: TrafficRecord) throws(StoreError) {
        try transaction("record the traffic of \(traffic.environment) of \(traffic.repository)") { db in
            try db.execute(
                """
                INSERT INTO traffic (repository, environment, "commit", declaration, recordedAt)
                VALUES (\(traffic.repository), \(traffic.environment), \(traffic.commit), \(traffic.declaration), \(traffic.recordedAt.stored))
                ON CONFLICT (repository, environment) DO UPDATE SET "commit" = excluded."commit", declaration = excluded.declaration,
                recordedAt = excluded.recordedAt
                """)
        }
    }

    /// The traffic declaration last recorded for an environment.
    public func traffic(repository: String, environment: String) throws(StoreError) -> TrafficRecord? {
        try transaction("read the traffic of \(environment) of \(repository)") { db in
            try db.one("SELECT * FROM traffic WHERE repository = \(repository) AND environment = \(environment)") { row in
                TrafficRecord(
                    repository: try row("repository"), environment: try row("environment"), commit: try row("commit"),
                    declaration: try row("declaration"), recordedAt: try row.date("recordedAt"))
            }
        }
    }
}

/// A repository lock held as a session-level advisory lock on a connection of its own.
final class HeldAdvisoryLock: RepositoryLock {
    let connection: PostgresConnection

    init(connection: PostgresConnection) { self.connection = connection }

    /// Closing the connection lets the lock go (and the connection with it).
    func unlock() { connection.closeSoon() }
}
