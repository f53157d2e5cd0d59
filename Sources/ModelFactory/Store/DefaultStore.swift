public import Foundation
internal import SQLiteStore
public import Store

/// The store of the factory whose home folder is `home`: SQLite at `home/factory.sqlite`, created
/// and migrated when new. Everything else takes an `any FactoryStore`, so another engine is a
/// change here only.
public func openStore(home: URL) throws(StoreError) -> any FactoryStore {
    try SQLiteStore(path: home.appendingPathComponent("factory.sqlite").path)
}
