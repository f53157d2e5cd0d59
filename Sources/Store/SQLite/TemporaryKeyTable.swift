internal import Foundation
internal import GRDB
public import Store

/// A set of keys on disk, for checking that a column (or a combination) is a key of a file too
/// big to hold every key in memory: each key is added with the row it was seen in, and a key
/// seen before answers the row it was first seen in. The keys live in a SQLite file of their
/// own in the temporary folder (no journal, no syncing: it is thrown away), whose page cache
/// is the only memory it holds; the file is deleted when the table is.
///
/// ```swift
/// let keys = try TemporaryKeyTable()
/// let duplicates = try keys.add([("42", 1), ("7", 2), ("42", 3)])  // [(row: 3, first: 1)]
/// ```
public final class TemporaryKeyTable {
    /// A key seen again: the row it is seen in now, and the row it was first seen in.
    public typealias Duplicate = (row: Int, first: Int)

    private let queue: DatabaseQueue
    private let path: String

    /// The most memory SQLite's page cache takes, in KiB.
    public static let cacheKiB = 65536

    /// An empty table in a new file in the temporary folder.
    public init() throws(StoreError) {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("mf-keys-\(UUID().uuidString).sqlite").path
        do {
            var configuration = Configuration()
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -\(Self.cacheKiB)")
            }
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.write { db in try db.execute(sql: "CREATE TABLE keys (key BLOB PRIMARY KEY, row INTEGER NOT NULL) WITHOUT ROWID") }
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw SQLiteStore.storeError(error, operation: "make a temporary table of keys at \(path)")
        }
    }

    deinit {
        try? queue.close()
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Adds `keys` (each with its row number) in one transaction; answers the keys seen before
    /// (earlier in this batch or in an earlier one), in the order given.
    public func add(_ keys: [(key: String, row: Int)]) throws(StoreError) -> [Duplicate] {
        do {
            return try queue.write { db in
                let insert = try db.cachedStatement(sql: "INSERT INTO keys (key, row) VALUES (?, ?) ON CONFLICT (key) DO NOTHING")
                let find = try db.cachedStatement(sql: "SELECT row FROM keys WHERE key = ?")
                var duplicates: [Duplicate] = []
                for (key, row) in keys {
                    let bytes = Data(key.utf8)
                    try insert.execute(arguments: [bytes, row])
                    if db.changesCount == 0 {
                        duplicates.append((row, try Int.fetchOne(find, arguments: [bytes]) ?? row))
                    }
                }
                return duplicates
            }
        } catch {
            throw SQLiteStore.storeError(error, operation: "add \(keys.count) keys to the temporary table at \(path)")
        }
    }
}
