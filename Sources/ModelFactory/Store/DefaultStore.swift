public import Foundation
internal import PostgresStore
internal import SQLiteStore
public import Store

/// The store of the factory whose home folder is `home`: the one `store` names (`--store`),
/// else `$MF_STORE`, else SQLite at `home/factory.sqlite`, created and migrated when new.
/// `store` is a `postgres://` or `postgresql://` URL (`PostgresStore`) or `sqlite:PATH`.
/// Everything else takes an `any FactoryStore`, so another engine is a change here only.
public func openStore(home: URL, store: String? = nil) throws(StoreError) -> any FactoryStore {
    let environment = ProcessInfo.processInfo.environment["MF_STORE"].flatMap { $0.isEmpty ? nil : $0 }
    guard let location = store ?? environment else {
        return try SQLiteStore(path: home.appendingPathComponent("factory.sqlite").path)
    }
    if location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") {
        return try PostgresStore(url: location)
    }
    if location.hasPrefix("sqlite:") {
        let path = String(location.dropFirst("sqlite:".count))
        guard !path.isEmpty else { throw StoreError.database(operation: "open sqlite:", reason: "it names no file (sqlite:PATH)") }
        return try SQLiteStore(path: URL(fileURLWithPath: path).path)
    }
    throw StoreError.database(
        operation: "open \(PostgresLocation.redacted(location))",
        reason: "it is neither a postgres:// URL nor sqlite:PATH\(store == nil ? " (from $MF_STORE)" : "")")
}
