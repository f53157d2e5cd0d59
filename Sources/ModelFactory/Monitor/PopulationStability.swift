internal import Foundation
public import ModelKit

/// The population stability index (PSI) of live values against a training profile:
/// PSI = Σ over bins (aᵢ − eᵢ) · ln(aᵢ / eᵢ), where eᵢ is the training data's share in bin i and
/// aᵢ the live sample's. Every share is floored at `epsilon` (1e-4) first, so an empty bin on
/// either side adds a large but finite term instead of an infinite one (no renormalisation).
///
/// Reading it as teams do: below 0.1 stable, 0.1–0.25 a moderate shift, above 0.25 a major one;
/// model.yaml's `monitor: {psi: 0.2}` is where a server raises an alert.
///
/// ```swift
/// PopulationStability.index(expected: [0.5, 0.5], actual: [0.9, 0.1])  // 0.8789
/// ```
public enum PopulationStability {
    /// The floor of every share: an empty bin counts as holding 1e-4 of its side.
    public static let epsilon = 1e-4

    /// The PSI of `actual` shares against `expected` shares of the same bins, each floored at `epsilon`.
    public static func index(expected: [Double], actual: [Double], epsilon: Double = epsilon) -> Double {
        precondition(expected.count == actual.count, "PSI compares shares of the same bins")
        var total = 0.0
        for (e, a) in zip(expected, actual) {
            let (e, a) = (Swift.max(e, epsilon), Swift.max(a, epsilon))
            total += (a - e) * log(a / e)
        }
        return total
    }

    /// The PSI of bin counts (a live window) against `expected` shares; nil for no counts.
    public static func index(expected: [Double], counts: [Int]) -> Double? {
        let total = counts.reduce(0, +)
        guard total > 0 else { return nil }
        return index(expected: expected, actual: counts.map { Double($0) / Double(total) })
    }

    /// The PSI of a live sample of one field (nil for a missing value) against its profile; nil
    /// when the sample is empty or the training data had no values for the field.
    public static func index(of sample: [JSONValue?], against field: TrainingProfile.Field) -> Double? {
        guard let bins = ProfileBins(field) else { return nil }
        var counts = [Int](repeating: 0, count: bins.expected.count)
        for value in sample { counts[bins.place(value).bin] += 1 }
        return index(expected: bins.expected, counts: counts)
    }
}

/// How a profiled field sorts live values into the bins of its PSI.
///
/// Numbers: the 10 bins of the profile's deciles, then one bin for missing values. Categories:
/// one bin per value the profile names, one for every other value (`__other__`, and values
/// training never had), then one for missing values. The training shares are scaled by the
/// share of rows with a value, so the bins of both sides add up to 1.
public struct ProfileBins: Sendable {
    /// Where one live value goes.
    public struct Placement: Sendable, Equatable {
        /// Its bin, an index into `expected`.
        public var bin: Int
        /// Absent or null.
        public var missing: Bool
        /// Not what the schema allows (type, bounds, values), or a category training never had.
        public var outOfSchema: Bool
    }

    /// The field as the profile has it.
    public let field: TrainingProfile.Field
    /// The training data's share in each bin; the last bin is the missing values'.
    public let expected: [Double]
    /// What the schema allows, when known: a value past it is out of schema.
    public let schema: Manifest.Field?
    private let cuts: [Double]
    private let categories: [String: Int]
    /// Whether every category value of the training data has a bin of its own (no `__other__`),
    /// so any other value is one training never had.
    private let allCategoriesKnown: Bool

    /// The bins of `field`, checked against `schema` when given; nil when the training data had
    /// no values for it (no deciles, no categories): its PSI is not defined.
    public init?(_ field: TrainingProfile.Field, schema: Manifest.Field? = nil) {
        self.field = field
        self.schema = schema
        let present = 1 - field.missingShare
        switch field.type {
        case .double, .int:
            guard let numbers = field.numbers, numbers.shares.count == numbers.cuts.count + 1 else { return nil }
            cuts = numbers.cuts
            categories = [:]
            allCategoriesKnown = true
            expected = numbers.shares.map { $0 * present } + [field.missingShare]
        case .string, .bool:
            guard let profiled = field.categories, !profiled.isEmpty else { return nil }
            let named = profiled.filter { $0.value != TrainingProfile.otherCategory }
            let other = profiled.first { $0.value == TrainingProfile.otherCategory }?.share ?? 0
            cuts = []
            categories = Dictionary(named.enumerated().map { ($0.element.value, $0.offset) }, uniquingKeysWith: { first, _ in first })
            allCategoriesKnown = other == 0
            expected = named.map { $0.share * present } + [other * present, field.missingShare]
        }
    }

    /// The bin of the values that are absent or null.
    public var missingBin: Int { expected.count - 1 }
    /// The bin of category values without a bin of their own (unused for numbers).
    var otherBin: Int { expected.count - 2 }

    /// Where `value` goes: its bin, and whether it is missing or out of schema. A number field's
    /// value that is no number counts in the missing bin; a category field's, in the other bin.
    public func place(_ value: JSONValue?) -> Placement {
        guard let value, value != .null else { return Placement(bin: missingBin, missing: true, outOfSchema: false) }
        switch field.type {
        case .double, .int:
            guard case .number(let number) = value, number.isFinite else { return Placement(bin: missingBin, missing: false, outOfSchema: true) }
            var outside = field.type == .int && number != number.rounded()
            if let minimum = schema?.min, number < minimum { outside = true }
            if let maximum = schema?.max, number > maximum { outside = true }
            return Placement(bin: TrainingProfile.bin(number, cuts: cuts), missing: false, outOfSchema: outside)
        case .string, .bool:
            let text: String
            switch (field.type, value) {
            case (.string, .string(let string)): text = string
            case (.bool, .bool(let flag)): text = flag ? "true" : "false"
            default: return Placement(bin: otherBin, missing: false, outOfSchema: true)
            }
            if let bin = categories[text] {
                return Placement(bin: bin, missing: false, outOfSchema: schema?.values.map { !$0.contains(text) } ?? false)
            }
            return Placement(bin: otherBin, missing: false, outOfSchema: allCategoriesKnown || schema?.values.map { !$0.contains(text) } ?? false)
        }
    }
}
