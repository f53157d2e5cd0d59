import Foundation
import ModelKit
import TestSupport
import Testing

@testable import ModelFactory

/// The training profile (`profile.json`) and the PSI a server computes against it, with values
/// worked out by hand.
@Suite(.onTestThreads) struct TrainingProfileTests {
    static let schema = Manifest.Schema(
        inputs: [
            Manifest.Field(name: "x", type: .double), Manifest.Field(name: "kind", type: .string),
            Manifest.Field(name: "flag", type: .bool), Manifest.Field(name: "gone", type: .int),
        ],
        outputs: [Manifest.Field(name: "label", type: .int)])

    /// x = 1…10 and two rows without a number; kind a×6, b×3, c×1 and two empty; flag in the
    /// spellings a CSV has; `gone` has no column.
    static let csv =
        "x,kind,flag\n"
        + (1...10).map { x in "\(x),\(x <= 6 ? "a" : x <= 9 ? "b" : "c"),\(["true", "1", "False", "no", "maybe"][x % 5])" }.joined(separator: "\n")
        + "\n,,yes\nabc,,0\n"

    @Test func numbersHaveDecilesAndEvenBins() throws {
        let profile = try TrainingProfile(csv: Self.csv, schema: Self.schema, data: "data.csv")
        #expect(profile.rows == 12 && profile.data == "data.csv" && profile.fields.map(\.name) == ["x", "kind", "flag", "gone"])
        let x = profile.fields[0]
        #expect(x.count == 10 && x.missingShare == 0.166667 && x.categories == nil)
        let numbers = try #require(x.numbers)
        // Linear interpolation between ranks: the k-th decile of 1…10 is 1 + 0.9·k.
        #expect(numbers.min == 1 && numbers.max == 10)
        #expect(zip(numbers.cuts, (1...9).map { 1 + 0.9 * Double($0) }).allSatisfy { abs($0 - $1) < 1e-9 }, "\(numbers.cuts)")
        #expect(numbers.shares == [Double](repeating: 0.1, count: 10))
    }

    @Test func categoriesHaveSharesAndMissingCounts() throws {
        let profile = try TrainingProfile(csv: Self.csv, schema: Self.schema, data: "data.csv")
        let kind = profile.fields[1]
        #expect(kind.count == 10 && kind.missingShare == 0.166667 && kind.numbers == nil)
        #expect(kind.categories == [.init(value: "a", share: 0.6), .init(value: "b", share: 0.3), .init(value: "c", share: 0.1)])
        // flag: x % 5 gives true, false, no(false), maybe(missing), true(1) …; then yes, 0.
        let flag = profile.fields[2]
        #expect(flag.count == 10 && flag.missingShare == 0.166667, "\(flag)")
        #expect(flag.categories == [.init(value: "false", share: 0.5), .init(value: "true", share: 0.5)], "\(String(describing: flag.categories))")
        let gone = profile.fields[3]
        #expect(gone.count == 0 && gone.missingShare == 1 && gone.numbers == nil)
        #expect(ProfileBins(gone) == nil && PopulationStability.index(of: [.number(1)], against: gone) == nil)
    }

    @Test func categoriesPastTheCapShareOneBucket() {
        let values = (0..<60).map { String(format: "v%02d", $0) } + ["v00"]
        let field = TrainingProfile.profile(Manifest.Field(name: "c", type: .string), cells: values, rows: values.count)
        let categories = field.categories ?? []
        #expect(categories.count == TrainingProfile.maxCategories + 1)
        #expect(categories.first == .init(value: "v00", share: 0.032787) && categories[1].value == "v01" && categories[49].value == "v49")
        #expect(categories.last == .init(value: TrainingProfile.otherCategory, share: 0.163934))
        // A value of the bucket is no unseen category: the profile does not name every value.
        let bins = ProfileBins(field)!
        #expect(bins.place(.string("v55")) == .init(bin: 50, missing: false, outOfSchema: false))
    }

    @Test func theSameDataGivesTheSameBytes() throws {
        let one = try JSONText.encodeBytes(try TrainingProfile(csv: Self.csv, schema: Self.schema, data: "data.csv"))
        let two = try JSONText.encodeBytes(try TrainingProfile(csv: Self.csv, schema: Self.schema, data: "data.csv"))
        #expect(one == two)
        let text = String(decoding: one, as: UTF8.self)
        #expect(text.contains(#""missing_share": 0.166667"#) && text.hasPrefix("{\n  \"format\": 1,\n  \"data\": \"data.csv\""), "\(text)")
        let decoded = try JSONDecoder().decode(TrainingProfile.self, from: Data(one))
        #expect(decoded == (try TrainingProfile(csv: Self.csv, schema: Self.schema, data: "data.csv")))
    }

    @Test func binsAreOpenAtBothEndsAndClosedAbove() {
        let cuts = [1.0, 2, 3]
        #expect([-5.0, 1, 1.5, 2, 2.5, 3, 99].map { TrainingProfile.bin($0, cuts: cuts) } == [0, 0, 1, 1, 2, 2, 3])
    }

    @Test func psiOfShares() {
        // 0.4·ln(0.9/0.5) + 0.4·ln(0.5/0.1)
        #expect(abs(PopulationStability.index(expected: [0.5, 0.5], actual: [0.9, 0.1]) - 0.878889831) < 1e-8)
        #expect(PopulationStability.index(expected: [0.2, 0.3, 0.5], actual: [0.2, 0.3, 0.5]) == 0)
        // An empty bin counts as 1e-4: (0.5 − 1)·ln(0.5) + (0.5 − 1e-4)·ln(0.5 / 1e-4)
        #expect(abs(PopulationStability.index(expected: [1, 0], actual: [0.5, 0.5]) - 4.604318467) < 1e-8)
        #expect(PopulationStability.index(expected: [0.5, 0.5], counts: [0, 0]) == nil)
    }

    @Test func psiOfANumberSampleAgainstItsProfile() throws {
        let profile = try TrainingProfile(csv: "x\n" + (1...10).map(String.init).joined(separator: "\n"), schema: Self.schema, data: "d.csv")
        let x = profile.fields[0]
        // The training data again: every bin as full as it was.
        #expect(PopulationStability.index(of: (1...10).map { .number(Double($0)) }, against: x) == 0)
        // Everything past the top decile: 9 bins of 0.1 now empty (each (1e-4 − 0.1)·ln(1e-4 / 0.1)),
        // the top one full ((1 − 0.1)·ln(1 / 0.1)).
        let shifted = try #require(PopulationStability.index(of: [JSONValue?](repeating: .number(20), count: 10), against: x))
        #expect(abs(shifted - 8.283089355) < 1e-8, "\(shifted)")
        #expect(PopulationStability.index(of: [], against: x) == nil)
    }

    @Test func psiOfACategorySampleCountsUnseenValuesInOneBucket() throws {
        let field = TrainingProfile.Field(
            name: "kind", type: .string, count: 4, missingShare: 0, numbers: nil, categories: [.init(value: "a", share: 0.5), .init(value: "b", share: 0.5)])
        let bins = try #require(ProfileBins(field, schema: Manifest.Field(name: "kind", type: .string, values: ["a", "b"])))
        #expect(bins.expected == [0.5, 0.5, 0, 0])
        #expect(bins.place(.string("z")) == .init(bin: 2, missing: false, outOfSchema: true))
        #expect(bins.place(.number(1)) == .init(bin: 2, missing: false, outOfSchema: true))
        #expect(bins.place(nil) == .init(bin: 3, missing: true, outOfSchema: false))
        #expect(bins.place(.null) == .init(bin: 3, missing: true, outOfSchema: false))
        #expect(bins.place(.string("b")) == .init(bin: 1, missing: false, outOfSchema: false))
        // a 0.75 (0.5 before), b none (0.5), unseen 0.25 (none):
        // 0.25·ln(1.5) + (1e-4 − 0.5)·ln(1e-4 / 0.5) + (0.25 − 1e-4)·ln(0.25 / 1e-4)
        let psi = try #require(PopulationStability.index(of: ["a", "a", "a", "z"], against: field))
        #expect(abs(psi - 6.314340252) < 1e-8, "\(psi)")
    }

    @Test func numbersOutsideTheSchemaAreCounted() throws {
        let profile = try TrainingProfile(csv: "gone\n1\n2\n3\n", schema: Self.schema, data: "d.csv")
        let bins = try #require(ProfileBins(profile.fields[3], schema: Manifest.Field(name: "gone", type: .int, min: 0, max: 5)))
        #expect(bins.place(.number(2)).outOfSchema == false)
        #expect(bins.place(.number(2.5)).outOfSchema == true)
        #expect(bins.place(.number(9)) == .init(bin: 9, missing: false, outOfSchema: true))
        #expect(bins.place(.string("2")) == .init(bin: 10, missing: false, outOfSchema: true))
    }
}
