public import Foundation
internal import NIOCore
internal import NIOPosix
internal import PostgresNIO
public import Store
internal import Synchronization

/// The `FactoryStore` on PostgreSQL, through postgres-nio: the store of a factory that runs on
/// several hosts (`--store postgres://user@host/db`, or `$MF_STORE`). The only code that imports
/// PostgresNIO; every driver error becomes a `StoreError` here.
///
/// The protocol is synchronous: each operation is one transaction (BEGIN … COMMIT) on a
/// connection of the store's own small pool, and blocks its caller on the driver's futures (the
/// callers are command bodies, store threads and worker loops, never an event loop). An operation
/// that fails because the server is unreachable or the connection closed before its COMMIT was
/// sent is tried again on a new connection, backing off from 100 ms to 2 s, for up to
/// `reconnectTimeout`. A transaction that changed rows sends `NOTIFY mf_changes`; one listening
/// connection per store wakes `waitForChange` (no polling).
///
/// The schema is SQLite's (`SQLiteStore`), with PostgreSQL's types: dates are seconds since 1970
/// (`DOUBLE PRECISION`, to the millisecond, as SQLite keeps them), `seq` columns keep the order
/// rows were written in (SQLite's `rowid`), and a session's children follow a change of its id
/// (`ON UPDATE CASCADE`). Unquoted camelCase names fold to lowercase (`modelId` is `modelid`).
///
/// | table | columns |
/// | --- | --- |
/// | `schema_migrations` | `version`, `name`, `applied_at` |
/// | `repositories` | `id`, `path` (unique: the repository's identity), `createdAt`, `location` (the path it was last registered from) |
/// | `models` | `id`, `repositoryId`, `name` (unique per repository) |
/// | `sessions` | `seq`, `id`, `modelId`, `commit`, `tree`, `recipe`, `ref`, `version`, `trigger`, `status`, `startedAt`, `endedAt`, `failure`, `reusedFrom` |
/// | `steps` | `id`, `sessionId`, `name`, `status`, `startedAt`, `seconds`, `logPath`, `message` |
/// | `metrics` | `sessionId`, `modelId`, `name`, `split`, `value` |
/// | `gates` | `sessionId`, `position`, `gate`, `passed`, `detail`, `metric`, `value`, `limit` |
/// | `artifacts` | `sessionId`, `path`, `size`, `sha256` |
/// | `bundles` | `modelId`, `version`, `tag`, `ref`, `commit`, `sessionId`, `path`, `archive`, `sha256`, `createdAt` |
/// | `environments` | `repository`, `model`, `name`, `version`, `tag`, `commit`, `bundle`, `updatedAt` |
/// | `jobs` | `id`, `repository`, `trigger`, `refs`, `state`, `attempts`, `maxAttempts`, `notBefore`, `leaseOwner`, `leaseExpiresAt`, `createdAt`, `startedAt`, `endedAt`, `lastError`, `summary`, `notifiedAt` |
/// | `deliveries` | `key`, `jobId`, `receivedAt` |
/// | `predictions` | `seq`, `model`, `version`, `id`, `repository`, `time`, `inputs`, `outputs` |
/// | `labels` | `seq`, `model`, `id`, `label`, `time` |
/// | `liveSessions` | `sessionId`, `model`, `liveOf`, `rows` |
/// | `dataChecks` | `sessionId`, `position`, `dataset`, `path`, `rows`, `passed`, `result` |
/// | `events` | `id`, `time`, `repository`, `environment`, `model`, `fromVersion`, `toVersion`, `kind`, `reason`, `cause`, `details` |
/// | `rollouts` | `id`, `repository`, `environment`, `model`, `fromVersion`, `toVersion`, `bundle`, `planDigest`, `state`, `step`, `percent`, `startedAt`, `stepStartedAt`, `endedAt`, `reason`, `leaseOwner`, `leaseExpiresAt` |
/// | `driftSamples` | `id`, `time`, `model`, `version`, `field`, `psi`, `missingShare`, `outOfSchemaShare`, `count` |
/// | `traffic` | `repository`, `environment`, `commit`, `declaration`, `recordedAt` |
/// | `blobs` | `digest` (SHA-256 of the whole), `size`, `chunks`, `createdAt` |
/// | `blobChunks` | `digest`, `position`, `sha256` (of the chunk), `bytes` |
/// | `scoreRuns` | `id`, `model`, `version`, `input`, `inputSize`, `inputModifiedAt`, `output`, `rejects`, `key`, `batchSize`, `status`, `startedAt`, `endedAt`, `failure`, `rowsRead`, `rowsScored`, `rowsRejected`, `inputOffset`, `outputOffset`, `rejectsOffset` |
/// | `scores` | `runId`, `key` (unique per run), `row`, `outputs` |
/// | `scheduleFires` | `id`, `repository`, `entry`, `model`, `action`, `scheduledAt`, `firedAt`, `worker`, `missed`, `state`, `jobId`, `session`, `candidate`, `dataSha256`, `proposed`, `result`, `endedAt` (unique: `repository`, `entry`, `scheduledAt`) |
///
/// ```swift
/// let store = try PostgresStore(url: "postgres://mf@db.internal/factory")
/// let sessions = try store.sessions(model: "churn", repository: nil, limit: 10)
/// ```
public final class PostgresStore: FactoryStore {
    /// Where the server is, as errors and logs name it: `host:port/database`, never a password.
    public let server: String
    /// How long an operation keeps trying to reach the server before it fails.
    public let reconnectTimeout: TimeInterval
    let configuration: PostgresConnection.Configuration
    let logger: Logger
    /// Idle connections, reused by the next operation.
    private let idle = Mutex<[PostgresConnection]>([])
    let nextConnectionID = Atomic<Int>(1)
    let signal: ChangeSignal

    /// Opens (migrating when needed) the store at `url`, `postgres://user:password@host:port/database`
    /// (or `postgresql://`; `?sslmode=disable`, the default, `prefer`, `require` or `verify-full`).
    public convenience init(url: String, reconnectTimeout: TimeInterval = 60) throws(StoreError) {
        try self.init(location: PostgresLocation(url), reconnectTimeout: reconnectTimeout)
    }

    /// Opens (migrating when needed) the store at `location`.
    public init(location: PostgresLocation, reconnectTimeout: TimeInterval = 60) throws(StoreError) {
        server = location.server
        self.reconnectTimeout = reconnectTimeout
        var logger = Logger(label: "mf.store.postgres")
        logger.logLevel = .critical
        self.logger = logger
        do {
            configuration = try location.configuration()
        } catch {
            throw .database(operation: "open \(location.server)", reason: "its TLS settings: \(error)")
        }
        signal = ChangeSignal(configuration: configuration, logger: logger)
        try migrate()
        try run("listen for changes") { () throws -> Void in try signal.start() }
    }

    deinit { close() }

    /// Closes the store's connections; the listening one is not made again.
    public func close() {
        signal.close()
        for connection in idle.withLock({ idle in
            defer { idle = [] }
            return idle
        }) {
            connection.closeSoon()
        }
    }

    // MARK: Transactions

    /// Runs `body` in one transaction on a pooled connection; sends `NOTIFY mf_changes` before
    /// COMMIT when it changed rows. BEGIN is sent just before the first statement that writes or
    /// takes a lock: plain reads before it run on their own, which under READ COMMITTED (each
    /// statement its own snapshot) is what they would see inside, and an operation that only
    /// reads costs one round trip a statement instead of two more for BEGIN and COMMIT. Tried again on a new connection while the server cannot be
    /// reached (the COMMIT not sent yet); any failure becomes a `StoreError` naming `operation`.
    func transaction<T>(_ operation: @autoclosure () -> String, _ body: (Transaction) throws -> T) throws(StoreError) -> T {
        let (value, changed) = try run(operation()) { () throws -> (T, Bool) in
            let connection = try acquire()
            let transaction = Transaction(connection: connection, logger: logger)
            do {
                let value = try body(transaction)
                let changed = transaction.changed > 0
                if transaction.began {
                    if changed { try transaction.execute("NOTIFY mf_changes") }
                    transaction.committing = true
                    try transaction.execute("COMMIT")
                }
                release(connection)
                return (value, changed)
            } catch {
                if !transaction.began, !connection.isClosed {
                    release(connection)
                } else if !transaction.committing, !connection.isClosed, (try? transaction.execute("ROLLBACK")) != nil {
                    release(connection)
                } else {
                    connection.closeSoon()
                }
                if transaction.committing { throw CommitUnknown(underlying: error) }
                throw error
            }
        }
        // This store's own commit moves its token at once; the notification follows.
        if changed { signal.bump() }
        return value
    }

    /// Runs `body` again while it fails for want of the server, backing off 100 ms doubling to
    /// 2 s, for up to `reconnectTimeout`; then, or on any other failure, throws its `StoreError`.
    func run<T>(_ operation: @autoclosure () -> String, _ body: () throws -> T) throws(StoreError) -> T {
        let deadline = Date().addingTimeInterval(reconnectTimeout)
        var delay: TimeInterval = 0.1
        while true {
            do {
                return try body()
            } catch {
                if Self.unreachable(error), Date().addingTimeInterval(delay) < deadline {
                    Thread.sleep(forTimeInterval: delay)
                    delay = min(2, delay * 2)
                    continue
                }
                throw storeError(error, operation: operation())
            }
        }
    }

    /// A pooled connection that is still open, else a new one.
    func acquire() throws -> PostgresConnection {
        while let connection = idle.withLock({ $0.popLast() }) {
            if !connection.isClosed { return connection }
        }
        let id = nextConnectionID.add(1, ordering: .relaxed).oldValue
        return try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: id, logger: logger)
            .wait()
    }

    /// Puts `connection` back for the next operation (a closed one is dropped).
    func release(_ connection: PostgresConnection) {
        guard !connection.isClosed else { return }
        idle.withLock { $0.append(connection) }
    }

    /// Whether `error` means the server could not be reached or the connection went away (so
    /// the operation, not committed, may be tried again).
    static func unreachable(_ error: any Error) -> Bool {
        switch error {
        case is StoreError, is CommitUnknown, is PostgresDecodingError, is UnknownValue: return false
        case let error as MigrationFailed: return unreachable(error.underlying)
        case let error as PSQLError:
            switch error.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown: return true
            case .server:
                // 08: connection exceptions; 57P01-03: the server shutting down or starting up.
                let state = error.serverInfo?[.sqlState] ?? ""
                return state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state)
            default: return false
            }
        default:
            // The socket's own errors (refused, reset, timed out) come from NIO untyped.
            return true
        }
    }

    /// The store's error for what the driver (or the server) threw: a lock that could not be
    /// had, a serialization failure or a deadlock is `.busy`; the rest `.database`, with the
    /// server's message (postgres-nio's own description hides it).
    func storeError(_ error: any Error, operation: String) -> StoreError {
        switch error {
        case let error as StoreError: return error
        case let error as CommitUnknown:
            return .unavailable(operation: operation, server: server, reason: "the connection closed during COMMIT: \(Self.reason(error.underlying))")
        case let error as PSQLError where error.code == .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            if ["40001", "40P01", "55P03"].contains(state) { return .busy(operation: operation) }
            return .database(operation: operation, reason: Self.reason(error))
        case let error where Self.unreachable(error): return .unavailable(operation: operation, server: server, reason: Self.reason(error))
        default: return .database(operation: operation, reason: Self.reason(error))
        }
    }

    /// What went wrong, in the server's words when it said something.
    static func reason(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let info = error.serverInfo, let message = info[.message] {
            return [message, info[.detail]].compactMap { $0 }.joined(separator: ": ") + " (SQLSTATE \(info[.sqlState] ?? "?"))"
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }

    // MARK: Change signal

    /// Where the store is now: the changes this store object has seen (its own commits and the
    /// notifications of everyone's).
    public func changeToken() throws(StoreError) -> ChangeToken { ChangeToken([signal.count]) }

    /// Returns true as soon as a change is committed after `token`, false after `timeout` or on
    /// cancellation: waits on the notification, not by looking.
    public func waitForChange(after token: ChangeToken, timeout: Duration) async -> Bool {
        await signal.wait(after: token.value.first ?? 0, timeout: timeout)
    }
}

/// An error while COMMIT was on its way: whether it committed is unknown, so it is not tried again.
struct CommitUnknown: Error {
    var underlying: any Error
}

/// One transaction's connection: runs statements (binds from `PostgresQuery` interpolation, never
/// spliced into the text) and counts the rows they changed.
final class Transaction {
    let connection: PostgresConnection
    let logger: Logger
    /// Rows inserted, updated or deleted so far.
    var changed = 0
    /// Set once COMMIT is sent: a failure after it is not tried again.
    var committing = false
    /// Set once BEGIN is sent (before the first statement that writes or locks).
    var began = false

    /// A transaction on `connection`; `explicit`: its statements are sent as they are (the
    /// caller sends its own BEGIN and COMMIT, or none).
    init(connection: PostgresConnection, logger: Logger, explicit: Bool = false) {
        self.connection = connection
        self.logger = logger
        began = explicit
    }

    /// Runs `query`; returns how many rows it changed (or returned).
    @discardableResult
    func execute(_ query: PostgresQuery) throws -> Int { try result(query).metadata.rows ?? 0 }

    /// Runs `query` and decodes each row it returns.
    func all<T>(_ query: PostgresQuery, _ decode: (Columns) throws -> T) throws -> [T] {
        try result(query).rows.map { try decode(Columns($0)) }
    }

    /// Runs `query` and decodes its first row, if any.
    func one<T>(_ query: PostgresQuery, _ decode: (Columns) throws -> T) throws -> T? {
        try result(query).rows.first.map { try decode(Columns($0)) }
    }

    /// Runs `query` and reads the one value of its first row.
    func value<T: PostgresDecodable>(_ query: PostgresQuery, as type: T.Type = T.self) throws -> T? {
        try result(query).rows.first.map { try $0.makeRandomAccess()[0].decode(T.self) }
    }

    private func result(_ query: PostgresQuery) throws -> PostgresQueryResult {
        if !began, !Self.plainRead(query.sql) {
            began = true
            _ = try connection.query("BEGIN", logger: logger).wait()
        }
        let result = try connection.query(query, logger: logger).wait()
        if ["INSERT", "UPDATE", "DELETE", "MERGE"].contains(result.metadata.command) { changed += result.metadata.rows ?? 0 }
        return result
    }
}

extension Transaction {
    /// Whether `sql` only reads and takes no lock (a SELECT without FOR UPDATE/SHARE and without
    /// an advisory lock), so it may run before the transaction begins.
    static func plainRead(_ sql: String) -> Bool {
        let text = sql.drop { $0.isWhitespace }.uppercased()
        guard text.hasPrefix("SELECT") || text.hasPrefix("WITH") else { return false }
        return !text.contains("FOR UPDATE") && !text.contains("FOR SHARE") && !text.contains("FOR NO KEY") && !text.contains("FOR KEY SHARE")
            && !text.contains("PG_ADVISORY") && !text.contains("PG_TRY_ADVISORY") && !text.contains("INSERT ") && !text.contains("UPDATE ")
            && !text.contains("DELETE ") && !text.contains("SETVAL") && !text.contains("NEXTVAL")
    }
}

/// A row's columns by name (camelCase, as the schema spells them; PostgreSQL folds them).
struct Columns {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

    /// The value of column `name`.
    func callAsFunction<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        try row[name.lowercased()].decode(T.self)
    }

    /// The date in column `name` (seconds since 1970).
    func date(_ name: String) throws -> Date { Date(timeIntervalSince1970: try self(name, as: Double.self)) }

    /// The date in column `name`, if set.
    func optionalDate(_ name: String) throws -> Date? { try self(name, as: Double?.self).map(Date.init(timeIntervalSince1970:)) }

    /// The raw value in column `name` of a string enum.
    func raw<T: RawRepresentable>(_ name: String, as type: T.Type = T.self) throws -> T where T.RawValue == String {
        let text = try self(name, as: String.self)
        guard let value = T(rawValue: text) else { throw UnknownValue(column: name, value: text) }
        return value
    }
}

/// A text column holding a value its type does not know.
struct UnknownValue: Error, CustomStringConvertible {
    var column: String
    var value: String
    var description: String { "column \(column) holds '\(value)', which this version of mf does not know" }
}

extension Date {
    /// The date as the store keeps it: seconds since 1970, to the millisecond (as SQLite keeps it).
    var stored: Double { (timeIntervalSince1970 * 1000).rounded() / 1000 }
}

extension Optional where Wrapped == Date {
    /// The date as the store keeps it, if set.
    var stored: Double? { map(\.stored) }
}

extension PostgresConnection {
    /// Closes the connection without waiting (the future API, not the async one); the
    /// connection is kept until it is closed (the driver asserts one is never dropped open).
    func closeSoon() {
        let closed: EventLoopFuture<Void> = close()
        closed.whenComplete { _ in withExtendedLifetime(self) {} }
    }
}
