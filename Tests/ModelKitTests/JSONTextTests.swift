import Foundation
import ModelKit
import TestSupport
import Testing

@Suite(.onTestThreads) struct JSONTextTests {
    @Test func readsWhatFoundationReads() throws {
        let documents = [
            #"{"a": [1, 2.5, -3e2, 0, -0.125, 1E+3], "b": {"c": null, "d": true, "e": false}, "s": "x\"y\\z\/\n\t\u00e9\ud83d\ude00"}"#,
            #"[]"#, #"{}"#, #" [ "a" , { } ] "#, #"12345678901234567890"#, #""""#, #"[[[[[]]]]]"#,
        ]
        for document in documents {
            let ours = try JSONValue(json: Data(document.utf8))
            let theirs = try JSONDecoder().decode(JSONValue.self, from: Data(document.utf8))
            #expect(ours == theirs, "\(document)")
            // And what we write reads back as the same value.
            #expect(try JSONValue(json: ours.jsonData()) == ours, "\(document)")
            #expect(try JSONDecoder().decode(JSONValue.self, from: ours.jsonData()) == ours, "\(document)")
        }
    }

    @Test(arguments: [
        "", " ", "{", "[1,]", "{\"a\":1,}", "[01]", "[1.]", "[.5]", "[-]", "[1e]", "nul", "tru", "\"abc", "\"\\x\"", "\"\\u12\"",
        "\"\\ud800\"", "\"\\udc00x\"", "[1] 2", "{a: 1}", "{\"a\" 1}", "\"\u{01}\"", "'a'", "NaN", "[Infinity]",
    ])
    func refusesWhatIsNotJSON(_ text: String) {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue(json: Data(text.utf8)) }
    }

    @Test func refusesBadUTF8AndDeepNesting() {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue(json: Data([0x22, 0xFF, 0xFE, 0x22])) }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue(json: Data(String(repeating: "[", count: 100_000).utf8)) }
        #expect(throws: Never.self) { try JSONValue(json: Data((String(repeating: "[", count: 500) + String(repeating: "]", count: 500)).utf8)) }
    }

    @Test func writesNumbersAndStringsAsJSON() {
        #expect(
            String(decoding: JSONValue.array([1, 2.5, -0.0, 1e300, .number(.infinity), .number(.nan), 9_007_199_254_740_993]).jsonData(), as: UTF8.self)
                == "[1,2.5,0,1e+300,null,null,9007199254740992.0]")
        #expect(String(decoding: JSONValue.string("a\"b\\c\n\u{01}é").jsonData(), as: UTF8.self) == #""a\"b\\c\n\u0001é""#)
    }
}
