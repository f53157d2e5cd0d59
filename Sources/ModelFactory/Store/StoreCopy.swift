public import Foundation
public import Store

/// What `mf store copy` copied: the rows of each table, the blobs, and the bundles whose archive
/// went into the destination from this host's disk (they had no blob in the source).
public struct StoreCopyReport: Sendable, Encodable {
    /// One table's copied rows.
    public struct Table: Sendable, Encodable, Equatable {
        /// The table's name (`sessions`).
        public var name: String
        /// How many rows were copied.
        public var rows: Int
    }

    /// Every table of records, in the order they were copied.
    public var tables: [Table]
    /// How many blobs the destination received (copied, and uploaded from disk).
    public var blobs: Int
    /// Their size in bytes.
    public var bytes: Int64
    /// Bundles (`churn 1.0.0`) whose archive had no blob in the source and was put from disk.
    public var uploaded: [String]
    /// Bundles with neither a blob nor an archive on this host: their records are copied, but a
    /// host without their folder cannot serve them.
    public var missing: [String]
}

/// Why a store cannot be copied.
public enum StoreCopyError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The destination holds records already (`table`, `rows`): a copy goes into an empty store.
    case notEmpty(store: String, table: String, rows: Int)
    /// The store to copy from does not exist (a `sqlite:` path with no file).
    case noStore(String)

    /// The sentence a user reads.
    public var description: String {
        switch self {
        case .notEmpty(let store, let table, let rows):
            "\(store) is not empty (\(rows) rows in \(table)); mf store copy writes only into an empty store"
        case .noStore(let store): "there is no store at \(store) to copy from"
        }
    }
}

/// Copies one store into another, empty one: every table of records with the ids as they are,
/// then every blob chunk by chunk (each chunk checked), then the archives of bundles that have no
/// blob yet (published before the store kept them) from this host's disk.
public enum StoreCopy {
    /// Copies `source` into `destination` (called `name` in errors); refuses a destination that
    /// holds any row.
    public static func copy(from source: any FactoryStore, to destination: any FactoryStore, named name: String) throws -> StoreCopyReport {
        if let full = try destination.rowCounts().filter({ $0.value > 0 }).min(by: { $0.key < $1.key }) {
            throw StoreCopyError.notEmpty(store: name, table: full.key, rows: full.value)
        }
        let tables = try source.exportTables()
        try destination.importTables(tables)
        var report = StoreCopyReport(
            tables: tables.map { StoreCopyReport.Table(name: $0.name, rows: $0.rows.count) }, blobs: 0, bytes: 0, uploaded: [], missing: [])
        let from = BlobStore(source)
        let to = BlobStore(destination)
        for blob in try source.blobs() {
            guard try from.copy(blob.digest, to: to) else { continue }
            report.blobs += 1
            report.bytes += blob.size
        }
        for (bundle, model) in try source.bundles() {
            guard try destination.blob(bundle.sha256) == nil else { continue }
            let name = "\(model) \(bundle.version)"
            guard FileManager.default.fileExists(atPath: bundle.archive) else {
                report.missing.append(name)
                continue
            }
            do { try to.put(fileAt: bundle.archive, digest: bundle.sha256) } catch {
                // An archive changed since it was recorded is not the bundle: it stays out.
                guard case .blob = error else { throw error }
                report.missing.append(name)
                continue
            }
            report.uploaded.append(name)
            report.blobs += 1
            report.bytes += try destination.blob(bundle.sha256)?.size ?? 0
        }
        return report
    }
}
