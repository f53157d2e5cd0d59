import Foundation

/// A value inside a template, with Python's semantics, since the templates we render were written
/// for Jinja: `str()` and `repr()` print as Python does, truthiness is Python's, and `len` and
/// indexing count code points.
public enum Value: Sendable {
    /// A name or key that does not exist; using it for anything but `is defined` or `default` is
    /// an error (Jinja's `StrictUndefined`, as cookiecutter configures it).
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([Value])
    /// A Python tuple: a list that prints with parentheses (`(1, 2)`, dict items, `partition`).
    case tuple([Value])
    case dict(Dictionary)
    /// A bound method or a global function.
    case function(Function)

    /// A callable value: a global function (`range`, `cycle`) or a method bound to its value (`'a'.upper`), with the name its errors use.
    public struct Function: Sendable {
        let name: String
        let call: @Sendable (Arguments) throws -> Value
    }

    /// A dictionary that keeps insertion order (Python's `dict`).
    public struct Dictionary: Sendable, Equatable {
        /// The keys in the order they were first inserted.
        public private(set) var keys: [String] = []
        private var values: [String: Value] = [:]

        /// An empty dictionary.
        public init() {}
        /// A dictionary of `pairs` in their order; a repeated key keeps its first position and takes its last value.
        public init(_ pairs: [(String, Value)]) { for (key, value) in pairs { self[key] = value } }

        /// The value for `key`, nil when absent; setting a new key appends it at the end, setting nil removes the key.
        public subscript(key: String) -> Value? {
            get { values[key] }
            set {
                if let newValue {
                    if values.updateValue(newValue, forKey: key) == nil { keys.append(key) }
                } else if values.removeValue(forKey: key) != nil {
                    keys.removeAll { $0 == key }
                }
            }
        }

        /// The key-value pairs in insertion order.
        public var pairs: [(String, Value)] { keys.map { ($0, values[$0]!) } }
        /// How many keys the dictionary holds.
        public var count: Int { keys.count }
    }
}

/// The largest string or list a template may make (`'x' * n`, `center(n)`, `range(n)`): beyond
/// it rendering fails with an error instead of exhausting memory.
let maximumSize = 10_000_000

func checkedSize(_ count: Int, _ what: String) throws -> Int {
    guard count <= maximumSize else { throw TemplateError.type("\(what) would make \(count) items; the limit is \(maximumSize)") }
    return max(0, count)
}

/// Arguments of a call: positional, then keyword.
public struct Arguments: Sendable {
    /// The arguments given without a name, in call order.
    public var positional: [Value]
    /// The arguments given as `name=value`, in call order.
    public var keyword: [(String, Value)]
    let function: String

    /// The argument at `index` or named `name`, else `defaultValue`.
    func value(_ index: Int, _ name: String, _ defaultValue: Value? = nil) throws -> Value {
        if index < positional.count { return positional[index] }
        if let found = keyword.first(where: { $0.0 == name }) { return found.1 }
        if let defaultValue { return defaultValue }
        throw TemplateError.type("\(function)() missing required argument '\(name)'")
    }
}

extension Value {
    /// Python's `str(value)`.
    public func text() throws -> String {
        switch self {
        case .undefined(let name): throw TemplateError.undefined(name)
        case .string(let string): return string
        default: return try repr()
        }
    }

    /// Python's `repr(value)`.
    public func repr() throws -> String {
        switch self {
        case .undefined(let name): throw TemplateError.undefined(name)
        case .none: return "None"
        case .bool(let value): return value ? "True" : "False"
        case .int(let value): return String(value)
        case .double(let value): return Value.pythonFloat(value)
        case .string(let string): return Value.pythonRepr(string)
        case .list(let items): return "[" + (try items.map { try $0.repr() }).joined(separator: ", ") + "]"
        case .tuple(let items):
            return "(" + (try items.map { try $0.repr() }).joined(separator: ", ") + (items.count == 1 ? ",)" : ")")
        case .dict(let dict):
            return "{" + (try dict.pairs.map { Value.pythonRepr($0.0) + ": " + (try $0.1.repr()) }).joined(separator: ", ") + "}"
        case .function(let function): return "<built-in method \(function.name)>"
        }
    }

    static func pythonFloat(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        // Swift's shortest round-trip digits are Python's; Python writes them without an exponent
        // from 1e-4 up to 1e16, Swift only up to 2^53.
        var text = "\(value)"
        if let e = text.firstIndex(of: "e"), abs(value) >= 1e-4, abs(value) < 1e16, let exponent = Int(text[text.index(after: e)...]) {
            let mantissa = text[..<e]
            let negative = mantissa.first == "-"
            let unsigned = negative ? mantissa.dropFirst() : mantissa
            let integerDigits = unsigned.firstIndex(of: ".").map { unsigned.distance(from: unsigned.startIndex, to: $0) } ?? unsigned.count
            let point = integerDigits + exponent
            var whole = String(unsigned.filter { $0 != "." })
            if point >= whole.count {
                whole += String(repeating: "0", count: point - whole.count) + ".0"
            } else if point > 0 {
                whole.insert(".", at: whole.index(whole.startIndex, offsetBy: point))
            } else {
                whole = "0." + String(repeating: "0", count: -point) + whole
            }
            text = (negative ? "-" : "") + whole
        }
        if !text.contains("e"), !text.contains("."), !text.contains("n"), !text.contains("i") { text += ".0" }
        return text
    }

    static func pythonRepr(_ string: String) -> String {
        let quote: Character = string.contains("'") && !string.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where Character(scalar) == quote: out += "\\" + String(quote)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += String(format: "\\x%02x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + String(quote)
    }

    /// Python's truth value.
    public func truth() throws -> Bool {
        switch self {
        case .undefined(let name): throw TemplateError.undefined(name)
        case .none: return false
        case .bool(let value): return value
        case .int(let value): return value != 0
        case .double(let value): return value != 0
        case .string(let value): return !value.isEmpty
        case .list(let items), .tuple(let items): return !items.isEmpty
        case .dict(let dict): return dict.count > 0
        case .function: return true
        }
    }

    var isUndefined: Bool { if case .undefined = self { true } else { false } }

    /// Python's type name, for error messages.
    var typeName: String {
        switch self {
        case .undefined: "Undefined"
        case .none: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "str"
        case .list: "list"
        case .tuple: "tuple"
        case .dict: "dict"
        case .function: "builtin_function_or_method"
        }
    }

    /// The items a `for` loop or `join` walks: list items, dict keys, string characters.
    func iterated() throws -> [Value] {
        switch self {
        case .undefined(let name): throw TemplateError.undefined(name)
        case .list(let items), .tuple(let items): return items
        case .dict(let dict): return dict.keys.map { .string($0) }
        case .string(let string): return string.unicodeScalars.map { .string(String($0)) }
        default: throw TemplateError.type("'\(typeName)' object is not iterable")
        }
    }

    /// A number as a Double, for arithmetic that mixes ints and floats.
    var number: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        case .bool(let value): value ? 1 : 0
        default: nil
        }
    }

    /// Python's `==`.
    func equals(_ other: Value) throws -> Bool {
        switch (self, other) {
        case (.undefined(let name), _), (_, .undefined(let name)): throw TemplateError.undefined(name)
        case (.none, .none): return true
        case (.string(let a), .string(let b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            guard a.count == b.count else { return false }
            for (x, y) in zip(a, b) where try !x.equals(y) { return false }
            return true
        case (.dict(let a), .dict(let b)):
            guard a.count == b.count else { return false }
            for (key, value) in a.pairs {
                guard let match = b[key], try value.equals(match) else { return false }
            }
            return true
        default:
            if let a = number, let b = other.number { return a == b }
            return false
        }
    }

    /// Python's ordering, for `<` and sorting.
    func less(than other: Value) throws -> Bool {
        switch (self, other) {
        case (.undefined(let name), _), (_, .undefined(let name)): throw TemplateError.undefined(name)
        case (.string(let a), .string(let b)): return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            for (x, y) in zip(a, b) where try !x.equals(y) { return try x.less(than: y) }
            return a.count < b.count
        default:
            if let a = number, let b = other.number { return a < b }
            throw TemplateError.type("'<' not supported between instances of '\(typeName)' and '\(other.typeName)'")
        }
    }
}

extension Value: Equatable {
    /// Python's `==`: numbers and booleans compare by value (`1 == 1.0 == True`), strings by code point; a comparison with an undefined value is false.
    public static func == (lhs: Value, rhs: Value) -> Bool { (try? lhs.equals(rhs)) ?? false }
}
