public import Foundation
internal import SQLiteStore
public import Store

/// The store of the factory whose home folder is `home`: SQLite at `home/factory.sqlite`, created
/// and migrated when new. Everything else takes an `any FactoryStore`, so another engine is a
/// change here only.
public func openStore(home: URL) throws(StoreError) -> any FactoryStore {
    try SQLiteStore(path: home.appendingPathComponent("factory.sqlite").path)
}

/// The store `store` names (`sqlite:PATH`, created and migrated when new), else the default store
/// of `home`; a name the factory does not know throws one sentence naming it.
public func openStore(home: URL, store: String?) throws -> any FactoryStore {
    guard let store else { return try openStore(home: home) }
    guard store.hasPrefix("sqlite:"), store.count > "sqlite:".count else { throw StoreCopyError.unknownStore(store) }
    return try SQLiteStore(path: URL(fileURLWithPath: String(store.dropFirst("sqlite:".count))).standardizedFileURL.path)
}
