internal import Foundation
internal import GRDB
public import Store
internal import Synchronization
internal import SystemKit

// MARK: Repositories across hosts

extension SQLiteStore {
    /// Records the repository `identity`, re-keying what an older home keeps under `location`.
    public func registerRepository(identity: String, location: String) throws(StoreError) {
        try write("register the repository \(identity)") { db in
            // Only a repository recorded under its location has records to move: the check is
            // two lookups by key, so registering again costs next to nothing.
            if identity != location,
                try Bool.fetchOne(
                    db,
                    sql: """
                        SELECT EXISTS (SELECT 1 FROM repositories WHERE path = ?)
                        OR EXISTS (SELECT 1 FROM environments WHERE repository = ?)
                        """, arguments: [location, location]) == true
            {
                try Self.rekey(db, from: location, to: identity)
            }
            try db.execute(
                sql: """
                    INSERT INTO repositories (path, location, createdAt) VALUES (?, ?, ?)
                    ON CONFLICT (path) DO UPDATE SET location = excluded.location WHERE location IS NOT excluded.location
                    """, arguments: [identity, location, Date()])
        }
    }

    /// Moves every record keyed by the repository `old` to `new`, merging with those already
    /// under `new`: a model of the same name becomes one model (its sessions, metrics and
    /// bundles together, a bundle of a version both have kept as `new` has it), and of an
    /// environment or a traffic declaration both have, the newer stays.
    static func rekey(_ db: Database, from old: String, to new: String) throws {
        if let oldID = try Int64.fetchOne(db, sql: "SELECT id FROM repositories WHERE path = ?", arguments: [old]) {
            if let newID = try Int64.fetchOne(db, sql: "SELECT id FROM repositories WHERE path = ?", arguments: [new]) {
                let models = try Row.fetchAll(db, sql: "SELECT id, name FROM models WHERE repositoryId = ?", arguments: [oldID])
                for model in models {
                    let oldModel: Int64 = model["id"]
                    let name: String = model["name"]
                    guard
                        let newModel = try Int64.fetchOne(
                            db, sql: "SELECT id FROM models WHERE repositoryId = ? AND name = ?", arguments: [newID, name])
                    else {
                        try db.execute(sql: "UPDATE models SET repositoryId = ? WHERE id = ?", arguments: [newID, oldModel])
                        continue
                    }
                    try db.execute(sql: "UPDATE sessions SET modelId = ? WHERE modelId = ?", arguments: [newModel, oldModel])
                    try db.execute(sql: "UPDATE metrics SET modelId = ? WHERE modelId = ?", arguments: [newModel, oldModel])
                    try db.execute(sql: "UPDATE OR IGNORE bundles SET modelId = ? WHERE modelId = ?", arguments: [newModel, oldModel])
                    try db.execute(sql: "DELETE FROM bundles WHERE modelId = ?", arguments: [oldModel])
                    try db.execute(sql: "DELETE FROM models WHERE id = ?", arguments: [oldModel])
                }
                try db.execute(sql: "DELETE FROM repositories WHERE id = ?", arguments: [oldID])
            } else {
                try db.execute(sql: "UPDATE repositories SET path = ? WHERE id = ?", arguments: [new, oldID])
            }
        }
        for (table, time) in [("environments", "updatedAt"), ("traffic", "recordedAt")] {
            let key = table == "environments" ? "model = \(table).model AND kept.name = \(table).name" : "environment = \(table).environment"
            try db.execute(
                sql: """
                    DELETE FROM \(table) WHERE repository = ? AND EXISTS (
                    SELECT 1 FROM \(table) AS kept WHERE kept.repository = ? AND kept.\(key) AND kept.\(time) >= \(table).\(time))
                    """, arguments: [old, new])
            try db.execute(sql: "UPDATE OR REPLACE \(table) SET repository = ? WHERE repository = ?", arguments: [new, old])
        }
        for table in ["jobs", "events", "rollouts", "predictions"] {
            try db.execute(sql: "UPDATE \(table) SET repository = ? WHERE repository = ?", arguments: [new, old])
        }
    }

    /// Every repository the store knows, by identity.
    public func repositories() throws(StoreError) -> [RepositoryRecord] {
        try read("read the repositories") { db in
            try Row.fetchAll(db, sql: "SELECT path, location, createdAt FROM repositories ORDER BY path").map {
                RepositoryRecord(identity: $0["path"], location: $0["location"], createdAt: $0["createdAt"])
            }
        }
    }

    /// Waits for the lock on `identity`: a `flock` on its lock file beside the database (the
    /// lock file mf has always used), or within this process for a store in memory.
    public func lockRepository(_ identity: String) throws(StoreError) -> any RepositoryLock {
        switch locks {
        case .files(let database):
            do {
                return HeldFileLock(lock: try FileLock.acquire(path: Self.lockFile(database: database, repository: identity)))
            } catch {
                throw .database(operation: "lock the repository \(identity)", reason: error.description)
            }
        case .memory(let memory):
            return memory.lock(identity)
        }
    }

    /// The file whose lock serialises the work on the repository `identity`, for the store at
    /// `database`: `locks/reconcile-DIGEST.lock` beside it.
    public static func lockFile(database: String, repository identity: String) -> String {
        (database as NSString).deletingLastPathComponent + "/locks/reconcile-\(HexDigest.sha256(identity).prefix(16)).lock"
    }

    /// Records the traffic declaration of an environment's head.
    public func record(traffic: TrafficRecord) throws(StoreError) {
        try write("record the traffic of \(traffic.environment) of \(traffic.repository)") { db in try traffic.save(db) }
    }

    /// The traffic declaration last recorded for an environment.
    public func traffic(repository: String, environment: String) throws(StoreError) -> TrafficRecord? {
        try read("read the traffic of \(environment) of \(repository)") { db in
            try TrafficRecord.filter(Column("repository") == repository && Column("environment") == environment).fetchOne(db)
        }
    }
}

/// Where a store takes its repository locks.
enum RepositoryLocks: Sendable {
    /// Lock files beside the database at this path, shared by every process that opens it.
    case files(database: String)
    /// Locks within this process, for a store in memory (no other process sees it).
    case memory(MemoryLocks)
}

/// A repository lock held as a lock file.
struct HeldFileLock: RepositoryLock {
    let lock: FileLock

    func unlock() { lock.unlock() }
}

/// Repository locks within one process, shared by the copies of one store in memory.
final class MemoryLocks: @unchecked Sendable {
    /// Guards `held`; waiters sleep on it.
    private let condition = NSCondition()
    private var held: Set<String> = []

    /// Waits until no one holds `identity`, then holds it.
    func lock(_ identity: String) -> any RepositoryLock {
        condition.lock()
        defer { condition.unlock() }
        while held.contains(identity) { condition.wait() }
        held.insert(identity)
        return Held(locks: self, identity: identity)
    }

    fileprivate func unlock(_ identity: String) {
        condition.lock()
        defer { condition.unlock() }
        held.remove(identity)
        condition.broadcast()
    }

    /// One held lock; unlocking twice lets go once.
    final class Held: RepositoryLock {
        let locks: MemoryLocks
        let identity: String
        private let released = Mutex(false)

        init(locks: MemoryLocks, identity: String) {
            self.locks = locks
            self.identity = identity
        }

        func unlock() {
            let first = released.withLock { released in
                defer { released = true }
                return !released
            }
            guard first else { return }
            locks.unlock(identity)
        }
    }
}
