internal import Foundation

/// What is wrong with a JSON document a decoder refused, in a few words that name the field
/// (`"version" is missing`), instead of the decoder's own dump of coding paths and contexts.
struct JSONProblem: CustomStringConvertible {
    let error: any Error

    init(_ error: any Error) { self.error = error }

    var description: String {
        guard let decoding = error as? DecodingError else { return "it is not valid JSON" }
        switch decoding {
        case .keyNotFound(let key, let context): return "\"\(Self.path(context.codingPath + [key]))\" is missing"
        case .typeMismatch(let type, let context): return "\"\(Self.path(context.codingPath))\" is not \(Self.name(of: type))"
        case .valueNotFound(let type, let context): return "\"\(Self.path(context.codingPath))\" is null, not \(Self.name(of: type))"
        case .dataCorrupted(let context) where context.codingPath.isEmpty: return "it is not valid JSON"
        case .dataCorrupted(let context): return "\"\(Self.path(context.codingPath))\" is not valid"
        @unknown default: return "it is not valid JSON"
        }
    }

    /// `files[2].sha256`.
    static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
        }
        return text
    }

    static func name(of type: Any.Type) -> String {
        let name = String(describing: type)
        if type == String.self { return "a string" }
        if type == Bool.self { return "true or false" }
        if ["Int", "Int64", "Double", "Float"].contains(name) { return "a number" }
        if name.hasPrefix("Array<") { return "a list" }
        return "an object"
    }
}
