import Foundation
import PostgresStore
import SQLiteStore
import Store
import TestSupport
import Testing

/// The engines every test of the store protocol runs on.
enum Engine: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// A new empty database of this engine: a file in a folder of its own, or a fresh database
    /// on the test server.
    func database() throws -> TestDatabase {
        switch self {
        case .sqlite:
            let folder = TemporaryDirectory("store")
            return TestDatabase(engine: self, location: folder.appending("factory.sqlite"), folder: folder)
        case .postgres: return TestDatabase(engine: self, location: try TestPostgres.freshDatabase("store"), folder: nil)
        }
    }

    /// A store on a new empty database of its own (SQLite's in memory).
    func store() throws -> any FactoryStore {
        switch self {
        case .sqlite: return try SQLiteStore.inMemory()
        case .postgres: return try PostgresStore(url: try TestPostgres.freshDatabase("store"))
        }
    }
}

/// One test's database, which any number of store objects (as many processes would) open; a
/// SQLite file's folder goes with it, so a test keeps it until its end.
final class TestDatabase: Sendable {
    let engine: Engine
    /// The SQLite file's path, or the PostgreSQL database's URL.
    let location: String
    let folder: TemporaryDirectory?

    init(engine: Engine, location: String, folder: TemporaryDirectory?) {
        self.engine = engine
        self.location = location
        self.folder = folder
    }

    /// A new store object on the database.
    func open() throws -> any FactoryStore {
        switch engine {
        case .sqlite: return try SQLiteStore(path: location)
        case .postgres: return try PostgresStore(url: location)
        }
    }
}
