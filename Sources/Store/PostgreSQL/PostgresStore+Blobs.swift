public import Foundation
internal import NIOCore
internal import PostgresNIO
public import Store

// MARK: Blobs

extension PostgresStore {
    /// The blob `digest` when the store holds it whole.
    public func blob(_ digest: String) throws(StoreError) -> BlobRecord? {
        try transaction("read blob \(digest)") { db in
            try db.one("SELECT digest, size, chunks, createdAt FROM blobs WHERE digest = \(digest)", Self.blobRecord)
        }
    }

    /// Keeps one chunk of a blob being put, replacing one left at its place.
    public func putChunk(_ chunk: BlobChunk) throws(StoreError) {
        try transaction("keep chunk \(chunk.index) of blob \(chunk.digest)") { db in
            try db.execute(
                """
                INSERT INTO blobChunks (digest, position, sha256, bytes) VALUES (\(chunk.digest), \(chunk.index), \(chunk.sha256), \(chunk.bytes))
                ON CONFLICT (digest, position) DO UPDATE SET sha256 = excluded.sha256, bytes = excluded.bytes
                """)
        }
    }

    /// Records `blob` as whole once all its chunks are kept; one recorded before stays.
    public func putBlob(_ blob: BlobRecord) throws(StoreError) {
        try transaction("record blob \(blob.digest)") { db in
            // Two hosts publishing the same bytes at once: one records it, the other finds it.
            try db.lock(.blobs, blob.digest)
            if try db.value("SELECT 1 FROM blobs WHERE digest = \(blob.digest)", as: Int32.self) != nil { return }
            try db.execute("DELETE FROM blobChunks WHERE digest = \(blob.digest) AND position >= \(blob.chunks)")
            let (kept, size) =
                try db.one("SELECT COUNT(*) AS kept, COALESCE(SUM(octet_length(bytes)), 0)::BIGINT AS size FROM blobChunks WHERE digest = \(blob.digest)") {
                    (try $0("kept", as: Int.self), try $0("size", as: Int64.self))
                } ?? (0, 0)
            guard kept == blob.chunks, size == blob.size else {
                throw StoreError.blob(
                    digest: blob.digest, reason: "\(kept) of its \(blob.chunks) chunks (\(size) of \(blob.size) bytes) are kept; it is not whole")
            }
            try db.execute(
                "INSERT INTO blobs (digest, size, chunks, createdAt) VALUES (\(blob.digest), \(blob.size), \(blob.chunks), \(blob.createdAt.stored))")
        }
    }

    /// Chunk `index` of the blob `digest` as kept.
    public func chunk(of digest: String, index: Int) throws(StoreError) -> BlobChunk? {
        try transaction("read chunk \(index) of blob \(digest)") { db in
            try db.one("SELECT sha256, bytes FROM blobChunks WHERE digest = \(digest) AND position = \(index)") {
                BlobChunk(digest: digest, index: index, sha256: try $0("sha256"), bytes: try $0("bytes", as: Data.self))
            }
        }
    }

    /// Every blob held whole, by digest.
    public func blobs() throws(StoreError) -> [BlobRecord] {
        try transaction("read the blobs") { db in try db.all("SELECT digest, size, chunks, createdAt FROM blobs ORDER BY digest", Self.blobRecord) }
    }

    static func blobRecord(_ row: Columns) throws -> BlobRecord {
        BlobRecord(digest: try row("digest"), size: try row("size"), chunks: try row("chunks", as: Int.self), createdAt: try row.date("createdAt"))
    }
}

// MARK: Copying a whole store

extension PostgresStore {
    /// The tables of records, each after those its foreign keys name, as the schema spells them
    /// (PostgreSQL folds the names to lowercase); blobs are copied a chunk at a time instead.
    static let recordTables = [
        "repositories", "models", "sessions", "steps", "metrics", "gates", "artifacts", "bundles", "environments", "jobs", "deliveries",
        "predictions", "labels", "liveSessions", "events", "rollouts", "driftSamples", "traffic",
        "scoreRuns", "scores",
        "dataChecks",
        "scheduleFires",
    ]
    /// Columns of this engine's own that another does not have (`seq`: SQLite's rowid).
    static let ownColumns: Set<String> = ["seq"]
    /// The columns that hold dates (seconds since 1970 here, as `DOUBLE PRECISION`), by their folded names.
    static let dateColumns: Set<String> = [
        "createdat", "updatedat", "startedat", "endedat", "notbefore", "leaseexpiresat", "notifiedat", "receivedat", "time", "recordedat",
        "stepstartedat", "inputmodifiedat", "scheduledat", "firedat",
    ]

    /// The columns of `table` and their types, in order.
    static func columns(_ db: Transaction, of table: String) throws -> [(name: String, type: String)] {
        try db.all(
            """
            SELECT column_name::TEXT AS name, data_type::TEXT AS type FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = \(table.lowercased()) ORDER BY ordinal_position
            """
        ) { (name: try $0("name", as: String.self), type: try $0("type", as: String.self)) }
    }

    /// Every table of records with all its rows, a table before those that refer to it.
    public func exportTables() throws(StoreError) -> [StoreTable] {
        try transaction("export the store's tables") { db in
            try Self.recordTables.map { name in
                let columns = try Self.columns(db, of: name).filter { !Self.ownColumns.contains($0.name) }
                let list = columns.map { "\"\($0.name)\"" }.joined(separator: ", ")
                let order = columns.contains { $0.name == "id" } ? " ORDER BY id" : ""
                let hasSeq = try !Self.columns(db, of: name).filter { $0.name == "seq" }.isEmpty
                let rows = try db.all(PostgresQuery(unsafeSQL: "SELECT \(list) FROM \"\(name.lowercased())\"\(hasSeq ? " ORDER BY seq" : order)")) { row in
                    try columns.map { column in try Self.exported(row, column) }
                }
                return StoreTable(name: name, columns: columns.map(\.name), rows: rows)
            }
        }
    }

    /// A cell as the export's type.
    static func exported(_ row: Columns, _ column: (name: String, type: String)) throws -> StoreValue {
        switch column.type {
        case "bigint", "integer", "smallint": return try row(column.name, as: Int64?.self).map(StoreValue.integer) ?? .null
        case "double precision", "real":
            guard let number = try row(column.name, as: Double?.self) else { return .null }
            return dateColumns.contains(column.name) ? .date(Date(timeIntervalSince1970: number)) : .real(number)
        case "boolean": return try row(column.name, as: Bool?.self).map(StoreValue.boolean) ?? .null
        case "bytea": return try row(column.name, as: Data?.self).map(StoreValue.bytes) ?? .null
        default: return try row(column.name, as: String?.self).map(StoreValue.text) ?? .null
        }
    }

    /// Writes `tables` in one transaction, ids as they are; then moves each id sequence past the
    /// ids written, so the next row this store makes gets a new one.
    public func importTables(_ tables: [StoreTable]) throws(StoreError) {
        try transaction("import \(tables.count) tables") { db in
            try db.execute("SET CONSTRAINTS ALL DEFERRED")
            for table in tables where !table.rows.isEmpty {
                let types = Dictionary(try Self.columns(db, of: table.name).map { ($0.name, $0.type) }) { first, _ in first }
                let columns = table.columns.map { $0.lowercased() }
                for column in columns where types[column] == nil {
                    throw StoreError.database(operation: "import \(table.name)", reason: "this store's \(table.name) has no column \(column)")
                }
                // Many rows a statement (PostgreSQL takes up to 65,535 parameters in one).
                let perStatement = max(1, 8_000 / max(1, columns.count))
                var start = 0
                while start < table.rows.count {
                    let batch = table.rows[start..<min(start + perStatement, table.rows.count)]
                    var bindings = PostgresBindings(capacity: batch.count * columns.count)
                    var tuples: [String] = []
                    for row in batch {
                        var places: [String] = []
                        for (index, value) in row.enumerated() {
                            try Self.bind(value, as: types[columns[index]] ?? "text", into: &bindings)
                            places.append("$\(bindings.count)")
                        }
                        tuples.append("(" + places.joined(separator: ", ") + ")")
                    }
                    let sql =
                        "INSERT INTO \"\(table.name.lowercased())\" (\(columns.map { "\"\($0)\"" }.joined(separator: ", "))) VALUES "
                        + tuples.joined(separator: ", ")
                    try db.execute(PostgresQuery(unsafeSQL: sql, binds: bindings))
                    start += perStatement
                }
            }
            // Sequences (BIGSERIAL ids, seq) past the highest value written.
            let serials = try db.all(
                """
                SELECT table_name::TEXT AS name, column_name::TEXT AS "column" FROM information_schema.columns
                WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'
                """
            ) { (table: try $0("name", as: String.self), column: try $0("column", as: String.self)) }
            for serial in serials {
                try db.execute(
                    PostgresQuery(
                        unsafeSQL: """
                            SELECT setval(pg_get_serial_sequence('"\(serial.table)"', '\(serial.column)'),
                            COALESCE((SELECT MAX("\(serial.column)") FROM "\(serial.table)"), 0) + 1, false)
                            """))
            }
        }
    }

    /// Binds `value` for a column of PostgreSQL type `type`, converting what the other engine keeps otherwise.
    static func bind(_ value: StoreValue, as type: String, into bindings: inout PostgresBindings) throws {
        switch (value, type) {
        case (.null, _): bindings.appendNull()
        case (.date(let date), "double precision"): bindings.append(date.stored)
        case (.date(let date), _): bindings.append(ISO8601DateFormatter().string(from: date))
        case (.integer(let number), "boolean"): bindings.append(number != 0)
        case (.integer(let number), "double precision"): bindings.append(Double(number))
        case (.integer(let number), "text"): bindings.append(String(number))
        case (.integer(let number), _): bindings.append(number)
        case (.real(let number), "bigint"): bindings.append(Int64(number))
        case (.real(let number), "text"): bindings.append(String(number))
        case (.real(let number), _): bindings.append(number)
        case (.boolean(let flag), "bigint"): bindings.append(Int64(flag ? 1 : 0))
        case (.boolean(let flag), _): bindings.append(flag)
        case (.text(let text), "double precision"):
            guard let number = Double(text) ?? ISO8601DateFormatter().date(from: text)?.stored else {
                throw StoreError.database(operation: "import a value", reason: "'\(text)' is not a number")
            }
            bindings.append(number)
        case (.text(let text), "bigint"):
            guard let number = Int64(text) else { throw StoreError.database(operation: "import a value", reason: "'\(text)' is not a whole number") }
            bindings.append(number)
        case (.text(let text), _): bindings.append(text)
        case (.bytes(let bytes), _): try bindings.append(bytes)
        }
    }

    /// How many rows each table holds, blobs and their chunks included, by the schema's names.
    public func rowCounts() throws(StoreError) -> [String: Int] {
        try transaction("count the store's rows") { db in
            var counts: [String: Int] = [:]
            for name in Self.recordTables + ["blobs", "blobChunks"] {
                counts[name] = try db.value(PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM \"\(name.lowercased())\""), as: Int.self) ?? 0
            }
            return counts
        }
    }
}
