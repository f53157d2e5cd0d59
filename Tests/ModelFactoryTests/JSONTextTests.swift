import Foundation
import GitKit
import TestSupport
import Testing

@testable import ModelFactory

@Suite(.onTestThreads) struct JSONTextTests {
    struct Sample: Encodable {
        var name = "churn \"model\"\n\t\u{01}ü/"
        var count: Int32 = -3
        var ratio: Float = 0.5
        var flag = true
        var missing: String? = nil
        var list: [UInt8] = [1, 2]
        var empty: [String] = []
        var nested: [String: Int] = ["a": 1]

        enum CodingKeys: String, CodingKey { case name, count, ratio, flag, missing, list, empty, nested }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(count, forKey: .count)
            try container.encode(ratio, forKey: .ratio)
            try container.encode(flag, forKey: .flag)
            try container.encode(missing, forKey: .missing)
            try container.encode(list, forKey: .list)
            try container.encode(empty, forKey: .empty)
            try container.encode(nested, forKey: .nested)
        }
    }

    @Test func keepsKeyOrderAndRoundTrips() throws {
        let text = try JSONText.encode(Sample())
        #expect(
            text == """
                {
                  "name": "churn \\"model\\"\\n\\t\\u0001ü/",
                  "count": -3,
                  "ratio": 0.5,
                  "flag": true,
                  "missing": null,
                  "list": [
                    1,
                    2
                  ],
                  "empty": [],
                  "nested": {
                    "a": 1
                  }
                }

                """)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(parsed["name"] as? String == Sample().name)
        #expect(parsed["missing"] is NSNull)
    }

    struct Optional: Encodable {
        var present: String? = "here"
        var absent: String? = nil
        enum CodingKeys: String, CodingKey { case present, absent }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(present, forKey: .present)
            try container.encodeIfPresent(absent, forKey: .absent)
        }
    }

    @Test func encodeIfPresentLeavesOutNil() throws {
        #expect(try JSONText.encode(Optional()) == "{\n  \"present\": \"here\"\n}\n")
    }

    @Test func refusesNonFiniteNumbers() {
        #expect(throws: EncodingError.self) { try JSONText.encode([Double.nan]) }
    }

    /// Times are ISO 8601 text, not Foundation's seconds since 2001 (`818303981.958`), in an
    /// object, an array and as an optional.
    @Test func datesAreISO8601() throws {
        struct Stamped: Encodable {
            var at = Date(timeIntervalSince1970: 1_767_225_600)
            var when: [Date] = [Date(timeIntervalSince1970: 0)]
            var ended: Date? = nil
            enum CodingKeys: String, CodingKey { case at, when, ended }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(at, forKey: .at)
                try container.encode(when, forKey: .when)
                try container.encode(ended, forKey: .ended)
            }
        }
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(try JSONText.encode(Stamped()).utf8)) as? [String: Any])
        #expect(parsed["at"] as? String == "2026-01-01T00:00:00Z")
        #expect(parsed["when"] as? [String] == ["1970-01-01T00:00:00Z"])
        #expect(parsed["ended"] is NSNull)
    }

    /// `mf versions --json` writes releases directly; the text is what the encoder gives.
    @Test func releasesWrittenDirectlyAsTheEncoderWrites() throws {
        let commit = ObjectID(hex: "0123456789abcdef0123456789abcdef01234567")!
        let releases = [
            Release(tag: "v1.0.0", version: Version("1.0.0")!, model: nil, commit: commit, productionLine: true, hotfix: false, annotated: true),
            Release(
                tag: "churn@v2.1-rc.1+b", version: Version("2.1-rc.1+b")!, model: "churn \"x\"\n", commit: commit,
                productionLine: false, hotfix: true, annotated: false),
        ]
        #expect(Release.jsonBytes(releases) == (try JSONText.encodeBytes(releases)))
        #expect(Release.jsonBytes([]) == (try JSONText.encodeBytes([Release]())))
    }
}
