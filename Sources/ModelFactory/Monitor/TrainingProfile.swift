public import Foundation
public import ModelKit
internal import SystemKit

/// `profile.json`: what the training data looked like, per schema input field, so a server can
/// tell when live inputs drift away from it (DESIGN.md "Production loop").
///
/// Numbers (`double`, `int`) keep their deciles: the 9 inner cut points, min and max, and the
/// share of the non-missing rows in each of the 10 bins those cut points make (bin i holds the
/// values in (cut[i-1], cut[i]], the first and last bins open). Categories (`string`, `bool`)
/// keep the share of each of the most frequent `maxCategories` values; the rest share one bucket,
/// `__other__`. A cell is missing when it is empty, its column is absent, or its text is not of
/// the field's type. Shares are of the rows with a value, rounded to 6 decimals, so the same
/// data gives the same bytes.
///
/// ```swift
/// let profile = try TrainingProfile(csv: data, schema: manifest.schema, data: manifest.train.data)
/// let psi = PopulationStability.index(of: liveValues, against: profile.fields[0])
/// ```
public struct TrainingProfile: Codable, Sendable, Equatable {
    /// The deciles of a number field.
    public struct Numbers: Codable, Sendable, Equatable {
        /// The smallest value in the training data.
        public var min: Double
        /// The largest value in the training data.
        public var max: Double
        /// The 10th, 20th, … 90th percentiles (linear interpolation between the closest ranks,
        /// to 12 significant digits): the inner edges of the 10 bins.
        public var cuts: [Double]
        /// The share of the rows with a value in each of the 10 bins.
        public var shares: [Double]
    }

    /// One value of a category field and its share.
    public struct Category: Codable, Sendable, Equatable {
        /// The value as text (`monthly`; `true` or `false` for a bool).
        public var value: String
        /// Its share of the rows with a value.
        public var share: Double
    }

    /// One schema input as the training data has it.
    public struct Field: Codable, Sendable, Equatable {
        /// The input's name in the schema (and the data's column).
        public var name: String
        /// The input's type in the schema: `double`, `int`, `string` or `bool`.
        public var type: Manifest.Field.Kind
        /// The rows with a value.
        public var count: Int
        /// The share of the rows without one (empty, absent, or not of the field's type).
        public var missingShare: Double
        /// The deciles of a number field; nil for a category field, or one without values.
        public var numbers: Numbers?
        /// The shares of a category field's values, most frequent first (then by value), with
        /// `__other__` last when more than `maxCategories` values occur; nil for a number field.
        public var categories: [Category]?

        enum CodingKeys: String, CodingKey {
            case name, type, count
            case missingShare = "missing_share"
            case numbers, categories
        }
    }

    /// The format of this file.
    public var format = 1
    /// The training data the profile was made from, as model.yaml names it.
    public var data: String
    /// The data rows.
    public var rows: Int
    /// One entry per schema input, in the schema's order.
    public var fields: [Field]

    /// The profile's name in a bundle, beside `bundle.json`.
    public static let fileName = "profile.json"
    /// The most category values kept by name; the others share `otherCategory`.
    public static let maxCategories = 50
    /// The bucket of the category values past `maxCategories` (and, live, of values never seen).
    public static let otherCategory = "__other__"

    /// A profile from its parts.
    public init(data: String, rows: Int, fields: [Field]) {
        self.data = data
        self.rows = rows
        self.fields = fields
    }

    /// The profile of `table` for every input of `schema`; `data` is the path model.yaml names.
    public init(table: Table, schema: Manifest.Schema, data: String) {
        let rows = table.rows.count
        let fields = schema.inputs.map { field -> Field in
            let column = table.columns.firstIndex(of: field.name)
            let cells = column.map { index in table.rows.map { $0[index] } } ?? []
            return Self.profile(field, cells: cells, rows: rows)
        }
        self.init(data: data, rows: rows, fields: fields)
    }

    /// The profile of a CSV file's text (see `Table`).
    public init(csv text: String, schema: Manifest.Schema, data: String) throws {
        self.init(table: try Table(csv: text), schema: schema, data: data)
    }

    /// Reads a bundle's `profile.json`; nil when the bundle has none (made before profiles).
    public static func load(bundle folder: URL) throws -> TrainingProfile? {
        let file = folder.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        return try JSONDecoder().decode(TrainingProfile.self, from: FileContents.read(atPath: file.path))
    }

    // MARK: Computing

    static func profile(_ field: Manifest.Field, cells: [String], rows: Int) -> Field {
        switch field.type {
        case .double, .int:
            let values = cells.compactMap { cell -> Double? in
                guard let number = Double(cell.trimmingCharacters(in: .whitespaces)), number.isFinite else { return nil }
                return number
            }
            return Field(
                name: field.name, type: field.type, count: values.count, missingShare: share(rows - values.count, of: rows),
                numbers: numbers(values), categories: nil)
        case .string, .bool:
            let values = cells.compactMap { field.type == .bool ? boolText($0) : ($0.isEmpty ? nil : $0) }
            return Field(
                name: field.name, type: field.type, count: values.count, missingShare: share(rows - values.count, of: rows), numbers: nil,
                categories: categories(values))
        }
    }

    /// A bool cell as `true` or `false` (`true`, `1`, `yes` in any case, and their opposites); nil otherwise.
    static func boolText(_ cell: String) -> String? {
        switch cell.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "1", "yes": "true"
        case "false", "0", "no": "false"
        default: nil
        }
    }

    static func numbers(_ values: [Double]) -> Numbers? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        // 12 significant digits: 1.99, not the interpolation's 1.9900000000000002.
        let cuts = (1...9).map { Double(String(format: "%.12g", quantile(sorted, Double($0) / 10)))! }
        var counts = [Int](repeating: 0, count: 10)
        for value in sorted { counts[bin(value, cuts: cuts)] += 1 }
        return Numbers(min: sorted[0], max: sorted[sorted.count - 1], cuts: cuts, shares: counts.map { share($0, of: sorted.count) })
    }

    /// The `p` quantile of sorted values, interpolated linearly between the closest ranks (numpy's default).
    static func quantile(_ sorted: [Double], _ p: Double) -> Double {
        let position = Double(sorted.count - 1) * p
        let lower = Int(position.rounded(.down))
        let upper = Swift.min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return fraction == 0 ? sorted[lower] : sorted[lower] + fraction * (sorted[upper] - sorted[lower])
    }

    /// The bin of `value` among the bins `cuts` make: how many cut points lie below it.
    public static func bin(_ value: Double, cuts: [Double]) -> Int {
        var low = 0
        var high = cuts.count
        while low < high {
            let middle = (low + high) / 2
            if cuts[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    static func categories(_ values: [String]) -> [Category] {
        var counts: [String: Int] = [:]
        for value in values { counts[value, default: 0] += 1 }
        let ranked = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        var kept = ranked.prefix(maxCategories).map { Category(value: $0.key, share: share($0.value, of: values.count)) }
        let rest = ranked.dropFirst(maxCategories).reduce(0) { $0 + $1.value }
        if rest > 0 { kept.append(Category(value: otherCategory, share: share(rest, of: values.count))) }
        return kept
    }

    /// `part / whole` rounded to 6 decimals (0 of nothing), so the file's numbers are short and stable.
    static func share(_ part: Int, of whole: Int) -> Double {
        guard whole > 0 else { return 0 }
        return (Double(part) / Double(whole) * 1e6).rounded() / 1e6
    }
}

extension TrainingProfile {
    /// The bytes of `profile.json` for a bundle of `manifest` built in `folder`: its training
    /// data profiled per schema input, as JSON with a fixed key order. Nil when the training
    /// data is not a CSV file the bundler can read (a folder, another format): the bundle then
    /// has no profile, and a server reports drift as unavailable for it.
    static func bundled(manifest: Manifest, folder: URL) -> Data? {
        let file = folder.appendingPathComponent(manifest.train.data)
        guard let bytes = try? FileContents.read(atPath: file.path),
            let profile = try? TrainingProfile(csv: String(decoding: bytes, as: UTF8.self), schema: manifest.schema, data: manifest.train.data),
            let encoded = try? JSONText.encodeBytes(profile)
        else { return nil }
        return Data(encoded)
    }
}
