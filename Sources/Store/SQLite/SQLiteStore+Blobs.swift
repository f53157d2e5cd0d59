public import Foundation
internal import GRDB
public import Store

// MARK: Blobs

extension SQLiteStore {
    /// The blob `digest` when the store holds it whole.
    public func blob(_ digest: String) throws(StoreError) -> BlobRecord? {
        try read("read blob \(digest)") { db in
            try Row.fetchOne(db, sql: "SELECT digest, size, chunks, createdAt FROM blobs WHERE digest = ?", arguments: [digest]).map(Self.blobRecord)
        }
    }

    /// Keeps one chunk of a blob being put, replacing one left at its place.
    public func putChunk(_ chunk: BlobChunk) throws(StoreError) {
        try write("keep chunk \(chunk.index) of blob \(chunk.digest)") { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO blobChunks (digest, position, sha256, bytes) VALUES (?, ?, ?, ?)",
                arguments: [chunk.digest, chunk.index, chunk.sha256, chunk.bytes])
        }
    }

    /// Records `blob` as whole once all its chunks are kept; one recorded before stays.
    public func putBlob(_ blob: BlobRecord) throws(StoreError) {
        try write("record blob \(blob.digest)") { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM blobs WHERE digest = ?", arguments: [blob.digest]) != nil { return }
            // Chunks past the end are what an upload of other bytes under this digest left.
            try db.execute(sql: "DELETE FROM blobChunks WHERE digest = ? AND position >= ?", arguments: [blob.digest, blob.chunks])
            let (kept, size) =
                try Row.fetchOne(
                    db, sql: "SELECT COUNT(*) AS kept, COALESCE(SUM(LENGTH(bytes)), 0) AS size FROM blobChunks WHERE digest = ?",
                    arguments: [blob.digest]
                ).map { (Int($0["kept"] as Int64), $0["size"] as Int64) } ?? (0, 0)
            guard kept == blob.chunks, size == blob.size else {
                throw StoreError.blob(
                    digest: blob.digest, reason: "\(kept) of its \(blob.chunks) chunks (\(size) of \(blob.size) bytes) are kept; it is not whole")
            }
            try db.execute(
                sql: "INSERT INTO blobs (digest, size, chunks, createdAt) VALUES (?, ?, ?, ?)",
                arguments: [blob.digest, blob.size, blob.chunks, blob.createdAt])
        }
    }

    /// Chunk `index` of the blob `digest` as kept.
    public func chunk(of digest: String, index: Int) throws(StoreError) -> BlobChunk? {
        try read("read chunk \(index) of blob \(digest)") { db in
            try Row.fetchOne(db, sql: "SELECT sha256, bytes FROM blobChunks WHERE digest = ? AND position = ?", arguments: [digest, index]).map {
                BlobChunk(digest: digest, index: index, sha256: $0["sha256"], bytes: $0["bytes"])
            }
        }
    }

    /// Every blob held whole, by digest.
    public func blobs() throws(StoreError) -> [BlobRecord] {
        try read("read the blobs") { db in
            try Row.fetchAll(db, sql: "SELECT digest, size, chunks, createdAt FROM blobs ORDER BY digest").map(Self.blobRecord)
        }
    }

    private static func blobRecord(_ row: Row) -> BlobRecord {
        BlobRecord(digest: row["digest"], size: row["size"], chunks: row["chunks"], createdAt: row["createdAt"])
    }
}

// MARK: Copying a whole store

extension SQLiteStore {
    /// Tables no export holds: the migrator's own, and blobs (copied a chunk at a time).
    private static let notExported: Set<String> = ["grdb_migrations", "blobs", "blobChunks"]

    /// Every table of records with all its rows, a table before those that refer to it.
    public func exportTables() throws(StoreError) -> [StoreTable] {
        try read("export the store's tables") { db in
            try Self.recordTables(db).map { name in
                let columns = try Row.fetchAll(db, sql: "SELECT name, type FROM pragma_table_info(?) ORDER BY cid", arguments: [name]).map {
                    (name: $0["name"] as String, type: ($0["type"] as String).uppercased())
                }
                let list = columns.map { Self.quoted($0.name) }.joined(separator: ", ")
                let rows = try Row.fetchAll(db, sql: "SELECT \(list) FROM \(Self.quoted(name)) ORDER BY rowid").map { row in
                    columns.indices.map { Self.value(row[$0] as DatabaseValue, declared: columns[$0].type) }
                }
                return StoreTable(name: name, columns: columns.map(\.name), rows: rows)
            }
        }
    }

    /// Writes `tables` in one transaction, ids as they are (foreign keys checked at commit).
    public func importTables(_ tables: [StoreTable]) throws(StoreError) {
        try write("import \(tables.count) tables") { db in
            try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
            for table in tables where !table.rows.isEmpty {
                let sql = """
                    INSERT INTO \(Self.quoted(table.name)) (\(table.columns.map(Self.quoted).joined(separator: ", ")))
                    VALUES (\(Array(repeating: "?", count: table.columns.count).joined(separator: ", ")))
                    """
                let statement = try db.cachedStatement(sql: sql)
                for row in table.rows {
                    try statement.execute(arguments: StatementArguments(row.map { Self.databaseValue($0) as (any DatabaseValueConvertible)? }))
                }
            }
        }
    }

    /// How many rows each table holds, blobs and their chunks included.
    public func rowCounts() throws(StoreError) -> [String: Int] {
        try read("count the store's rows") { db in
            var counts: [String: Int] = [:]
            for name in try Self.tableNames(db) where name != "grdb_migrations" {
                counts[name] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(Self.quoted(name))") ?? 0
            }
            return counts
        }
    }

    private static func tableNames(_ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    }

    /// The tables an export holds, each after the tables its foreign keys name.
    private static func recordTables(_ db: Database) throws -> [String] {
        var left = try tableNames(db).filter { !notExported.contains($0) }
        var parents: [String: Set<String>] = [:]
        for name in left {
            parents[name] = Set(try String.fetchAll(db, sql: "SELECT \"table\" FROM pragma_foreign_key_list(?)", arguments: [name])).subtracting([name])
        }
        var ordered: [String] = []
        while !left.isEmpty {
            let ready = left.filter { parents[$0, default: []].isSubset(of: Set(ordered)) }
            // A cycle (none in this schema) keeps its tables in name order; foreign keys are checked at commit.
            let next = ready.isEmpty ? left : ready
            ordered += next
            left.removeAll { next.contains($0) }
        }
        return ordered
    }

    private static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// A stored value as the export's type: dates and booleans by the column's declared type.
    private static func value(_ value: DatabaseValue, declared: String) -> StoreValue {
        switch value.storage {
        case .null: return .null
        case .int64(let number):
            return declared == "BOOLEAN" ? .boolean(number != 0) : .integer(number)
        case .double(let number): return .real(number)
        case .string(let text):
            if declared == "DATETIME" || declared == "DATE", let date = Date.fromDatabaseValue(value) { return .date(date) }
            return .text(text)
        case .blob(let bytes): return .bytes(bytes)
        }
    }

    private static func databaseValue(_ value: StoreValue) -> DatabaseValue {
        switch value {
        case .null: .null
        case .integer(let number): number.databaseValue
        case .real(let number): number.databaseValue
        case .text(let text): text.databaseValue
        case .bytes(let bytes): bytes.databaseValue
        case .date(let date): date.databaseValue
        case .boolean(let flag): flag.databaseValue
        }
    }
}
