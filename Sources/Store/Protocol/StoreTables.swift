public import Foundation

/// One value of a row as `FactoryStore.exportTables()` gives it: each engine's types reduced to
/// these, so rows copy from one engine to another (`mf store copy`).
public enum StoreValue: Sendable, Equatable {
    /// No value (SQL NULL).
    case null
    /// A whole number (an id, a count).
    case integer(Int64)
    /// A floating-point number (a metric's value).
    case real(Double)
    /// Text (a name, JSON text).
    case text(String)
    /// Bytes as they are.
    case bytes(Data)
    /// A column the schema declares a date and time.
    case date(Date)
    /// A column the schema declares true or false.
    case boolean(Bool)
}

/// One table of a store with every row, as `FactoryStore.exportTables()` gives it.
public struct StoreTable: Sendable, Equatable {
    /// The table's name in the schema (`sessions`, `bundles`).
    public var name: String
    /// Its columns' names, in the order every row gives its values.
    public var columns: [String]
    /// Its rows.
    public var rows: [[StoreValue]]

    /// A table with every field given.
    public init(name: String, columns: [String], rows: [[StoreValue]]) {
        self.name = name
        self.columns = columns
        self.rows = rows
    }
}
