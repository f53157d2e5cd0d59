internal import Foundation
internal import Mustache

/// A page's JSON as swift-mustache reads it: objects as `[String: Any]`, arrays as `[Any]`,
/// numbers, strings and booleans as themselves, and `null` as a value that is empty and false.
/// The dashboard renders a page from its JSON, never from the Swift value, so the JSON a script
/// gets (`?format=json`) is exactly what the template saw.
enum TemplateValue {
    /// The JSON text `json` as the template sees it. JSONSerialization reads it in one pass (a
    /// `Decodable` tree that tries each JSON type in turn throws an error per failed try, which
    /// cost a page with a few thousand chart points most of its time).
    static func mustache(json: Data) throws -> Any {
        mustache(try JSONSerialization.jsonObject(with: json, options: [.fragmentsAllowed]))
    }

    /// A value JSONSerialization read, as the template sees it: a number that JSON wrote as
    /// `true` or `false` is a Bool (a section opens on true only), a whole number an Int, any
    /// other number a Double, and null `Null`.
    static func mustache(_ value: Any) -> Any {
        switch value {
        case let object as [String: Any]: return object.mapValues(mustache)
        case let array as [Any]: return array.map(mustache)
        case let string as String: return string
        case let number as NSNumber:
            switch String(cString: number.objCType) {
            case "c", "B": return number.boolValue
            case "f", "d": return number.doubleValue
            default: return number.intValue
            }
        case is NSNull: return Null()
        default: return value
        }
    }

    /// JSON's null: renders as nothing and opens no section.
    struct Null: MustacheCustomRenderable {
        var renderText: String { "" }
        var isNull: Bool { true }
    }
}
