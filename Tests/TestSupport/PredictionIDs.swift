import Foundation

/// A v1 answer's text without its prediction ids (`,"ids":[…]`), which are new on every call:
/// `{"predictions":[{"label":1}],"ids":["…"]}` reads `{"predictions":[{"label":1}]}`.
public func withoutPredictionIDs(_ text: String) -> String {
    guard let range = text.range(of: #","ids":["#), let end = text[range.upperBound...].firstIndex(of: "]") else { return text }
    return String(text[..<range.lowerBound]) + String(text[text.index(after: end)...])
}
