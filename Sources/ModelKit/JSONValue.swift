/// Any JSON value: what workers are sent and answer.
/// Requests, answers, instances and predictions are all JSON values.
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Decodes whichever JSON value is there: null, a boolean, a number, a string, an array or an object.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Encodes the value as the same JSON kind it holds.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let flag): try container.encode(flag)
        case .number(let number): try container.encode(number)
        case .string(let text): try container.encode(text)
        case .array(let array): try container.encode(array)
        case .object(let object): try container.encode(object)
        }
    }

    /// The member `key` of an object, nil otherwise.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    /// The text of a string, nil for any other kind of value.
    public var stringValue: String? { if case .string(let text) = self { text } else { nil } }
    /// The number, nil for any other kind of value (a number in a string is not read).
    public var numberValue: Double? { if case .number(let number) = self { number } else { nil } }
    /// The boolean, nil for any other kind of value (no truthiness: `1` is nil).
    public var boolValue: Bool? { if case .bool(let flag) = self { flag } else { nil } }
    /// The elements of an array, nil for any other kind of value.
    public var arrayValue: [JSONValue]? { if case .array(let array) = self { array } else { nil } }
    /// The members of an object, nil for any other kind of value.
    public var objectValue: [String: JSONValue]? { if case .object(let object) = self { object } else { nil } }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    /// A string literal as a JSON string.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer literal as a JSON number (held as a `Double`).
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    /// A floating-point literal as a JSON number.
    public init(floatLiteral value: Double) { self = .number(value) }
    /// `true` or `false` as a JSON boolean.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An array literal as a JSON array, in order.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// A dictionary literal as a JSON object; of a repeated key the last value wins.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { $1 }))
    }
    /// `nil` as JSON null.
    public init(nilLiteral: ()) { self = .null }
}
