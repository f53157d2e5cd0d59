internal import Foundation
internal import Mustache

/// A page's JSON as swift-mustache reads it: objects as `[String: Any]`, arrays as `[Any]`,
/// numbers, strings and booleans as themselves, and `null` as a value that is empty and false.
/// The dashboard renders a page from its JSON, never from the Swift value, so the JSON a script
/// gets (`?format=json`) is exactly what the template saw.
enum TemplateValue: Decodable {
    case object([String: TemplateValue])
    case array([TemplateValue])
    case string(String)
    case integer(Int)
    case number(Double)
    case bool(Bool)
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let integer = try? container.decode(Int.self) {
            self = .integer(integer)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([TemplateValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: TemplateValue].self))
        }
    }

    /// The value as the template sees it.
    var mustache: Any {
        switch self {
        case .object(let members): members.mapValues(\.mustache)
        case .array(let items): items.map(\.mustache)
        case .string(let string): string
        case .integer(let integer): integer
        case .number(let number): number
        case .bool(let bool): bool
        case .null: Null()
        }
    }

    /// JSON's null: renders as nothing and opens no section.
    struct Null: MustacheCustomRenderable {
        var renderText: String { "" }
        var isNull: Bool { true }
    }
}
