public import Foundation
internal import GRDB
public import Store
internal import Synchronization
internal import SystemKit

/// The default `FactoryStore`: SQLite through GRDB, in WAL mode, at `$MF_HOME/factory.sqlite`.
/// The only code that imports GRDB; every GRDB error becomes a `StoreError` here.
///
/// The schema (open it with `sqlite3 ~/.mf/factory.sqlite`):
///
/// | table | columns |
/// | --- | --- |
/// | `repositories` | `id`, `path` (unique: the repository's identity, its origin URL without credentials, else its path), `createdAt`, `location` (the path it was last registered from) |
/// | `models` | `id`, `repositoryId`, `name` (unique per repository) |
/// | `sessions` | `id` (UUID text), `modelId`, `commit`, `tree`, `recipe`, `ref`, `version`, `trigger` (`cli`, `bundle`, `reconcile`, `enqueue`, `hook`, `webhook`, `watch`, `live`, `schedule`), `status` (`running`, `passed`, `failed`), `startedAt`, `endedAt`, `failure`, `reusedFrom` |
/// | `steps` | `id`, `sessionId`, `name`, `status`, `startedAt`, `seconds`, `logPath`, `message` |
/// | `metrics` | `sessionId`, `modelId`, `name`, `split` (`train`, `evaluate`, `live`), `value` |
/// | `gates` | `sessionId`, `position` (the order they were checked), `gate`, `passed`, `detail`, `metric`, `value`, `limit` (the bound the value is held to) |
/// | `artifacts` | `sessionId`, `path`, `size`, `sha256` |
/// | `bundles` | `modelId`, `version`, `tag` (NULL for a pre-release bundle), `ref`, `commit`, `sessionId`, `path`, `archive`, `sha256`, `createdAt` |
/// | `environments` | `repository`, `model`, `name` (`production`, `staging`), `version`, `tag` (NULL when its bundle has none), `commit`, `bundle`, `updatedAt` |
/// | `jobs` | `id`, `repository`, `trigger`, `refs` (JSON array), `state` (`queued`, `running`, `done`, `failed`), `attempts`, `maxAttempts`, `notBefore`, `leaseOwner`, `leaseExpiresAt`, `createdAt`, `startedAt`, `endedAt`, `lastError`, `summary`, `notifiedAt` |
/// | `deliveries` | `key` (a forge's delivery id, else a digest of the delivery's body), `jobId`, `receivedAt` |
/// | `predictions` | `model`, `version`, `id` (the server's id or the business key), `repository` (NULL when unknown), `time`, `inputs` and `outputs` (JSON text) |
/// | `labels` | `model`, `id`, `label` (JSON text of a scalar), `time` (joined at read time with the newest prediction of that model and id at or before it) |
/// | `traffic` | `repository`, `environment`, `commit` (of the environment's head; NULL when there is none), `declaration` (the text of `.mf/traffic.yaml` there, NULL when it has none), `recordedAt` |
/// | `liveSessions` | `sessionId` (a session with trigger `live`), `model`, `liveOf` (the release session it watches), `rows` (labelled rows evaluated) |
/// | `dataChecks` | `sessionId`, `position` (the order the session checked its data in), `dataset` (`train`, `evaluate`, `score`), `path` (as model.yaml names it), `rows`, `passed`, `result` (JSON text: every `expect:` rule with its outcome and offending rows) |
/// | `blobs` | `digest` (the SHA-256 of the whole blob, a bundle's `.tar.gz`), `size`, `chunks`, `createdAt` (a row only once every chunk is kept) |
/// | `blobChunks` | `digest`, `position` (from 0), `sha256` (of this chunk), `bytes` (1 MiB but the last) |
/// | `scoreRuns` | `id` (UUID text), `model`, `version`, `input`, `inputSize`, `inputModifiedAt`, `output` (NULL: the scores are in `scores`), `rejects`, `key` (NULL: the row number), `batchSize`, `status` (`running`, `done`, `failed`), `startedAt`, `endedAt`, `failure`, the position: `rowsRead`, `rowsScored`, `rowsRejected`, `inputOffset`, `outputOffset`, `rejectsOffset` (bytes) |
/// | `scores` | `runId`, `key` (unique per run), `row` (1-based), `outputs` (JSON text of the schema outputs) |
/// | `scheduleFires` | `id`, `repository`, `entry`, `model`, `action` (JSON), `scheduledAt`, `firedAt`, `worker`, `missed`, `state` (`skipped`, `queued`, `done`, `failed`), `jobId`, `session`, `candidate`, `dataSha256`, `proposed`, `result`, `endedAt`; unique per `repository`, `entry`, `scheduledAt` |
///
/// Migrations are registered by name and never edited once released.
public struct SQLiteStore: FactoryStore {
    let writer: any DatabaseWriter
    /// A connection of its own that only reads `PRAGMA data_version`, which changes when any
    /// other connection (another process's, or this store's writer) commits; nil in memory.
    let watcher: DatabaseQueue?
    /// This store's own commits that changed a row, counted: an in-memory store has no other
    /// connection to read `data_version` on.
    let commits = Counter()
    /// Where `lockRepository` takes its locks.
    let locks: RepositoryLocks

    /// Opens (creating and migrating) the store at `path`; a writer waits up to `busyTimeout`
    /// seconds for another to finish before failing with `StoreError.busy`.
    public init(path: String, busyTimeout: TimeInterval = 10) throws(StoreError) {
        do {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            var configuration = Configuration()
            configuration.busyMode = .timeout(busyTimeout)
            // Two processes opening a new store at once must not both create its tables: migrations
            // run under an exclusive lock on a file beside the database.
            let lock = try FileLock.acquire(path: path + ".lock")
            defer { lock.unlock() }
            let pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
            writer = pool
            watcher = try DatabaseQueue(path: path, configuration: configuration)
            locks = .files(database: path)
        } catch {
            throw Self.storeError(error, operation: "open \(path)")
        }
    }

    /// A store in memory, for tests.
    public static func inMemory() throws(StoreError) -> SQLiteStore {
        do {
            let queue = try DatabaseQueue()
            try migrator.migrate(queue)
            return SQLiteStore(writer: queue)
        } catch {
            throw storeError(error, operation: "open a store in memory")
        }
    }

    private init(writer: any DatabaseWriter) {
        self.writer = writer
        watcher = nil
        locks = .memory(MemoryLocks())
    }

    /// SQLite's own check of the file (`PRAGMA integrity_check`): `ok`, else what is damaged.
    public func integrityCheck() throws(StoreError) -> String {
        try read("check the database's integrity") { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
    }

    // MARK: Transactions

    /// Runs `body` in a read transaction; any failure becomes a `StoreError` naming `operation`.
    func read<T>(_ operation: @autoclosure () -> String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try writer.read(body) } catch { throw Self.storeError(error, operation: operation()) }
    }

    /// Runs `body` in an immediate write transaction (the write lock taken at once, so two
    /// processes that read then write never deadlock); failures as `read`.
    func write<T>(_ operation: @autoclosure () -> String, _ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            let (value, changed) = try writer.writeWithoutTransaction { db in
                var result: T?
                let before = db.totalChangesCount
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                return (result!, db.totalChangesCount != before)
            }
            // A look at the queue that took nothing is no change: a waiting worker sleeps on.
            if changed { commits.increment() }
            return value
        } catch {
            throw Self.storeError(error, operation: operation())
        }
    }

    /// The store's error for what GRDB (or SQLite) threw: busy and locked are `.busy`.
    static func storeError(_ error: any Error, operation: String) -> StoreError {
        switch error {
        case let error as StoreError: return error
        case let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED:
            return .busy(operation: operation)
        case let error as DatabaseError: return .database(operation: operation, reason: error.description)
        default: return .database(operation: operation, reason: String(describing: error))
        }
    }

    // MARK: Change signal

    /// Where the store is now: this store's own commits, and SQLite's `data_version`.
    public func changeToken() throws(StoreError) -> ChangeToken {
        var value = [commits.value]
        if let watcher {
            do {
                value.append(try watcher.inDatabase { db in try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? 0 })
            } catch {
                throw Self.storeError(error, operation: "read whether the store changed")
            }
        }
        return ChangeToken(value)
    }

    /// Returns true as soon as a change is committed after `token`, false after `timeout`. Looks
    /// every 50 ms: `PRAGMA data_version` reads the WAL index in shared memory, no file I/O.
    public func waitForChange(after token: ChangeToken, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !Task.isCancelled {
            if let now = try? changeToken(), now != token { return true }
            let left = deadline - ContinuousClock.now
            if left <= .zero { return false }
            try? await Task.sleep(for: min(.milliseconds(50), left))
        }
        return false
    }
}

/// A count shared by the copies of one store value.
final class Counter: Sendable {
    private let count = Atomic<Int64>(0)

    var value: Int64 { count.load(ordering: .acquiring) }

    func increment() { count.add(1, ordering: .releasing) }
}
