/// JSON read into template values, keeping the order of object keys (cookiecutter.json's order
/// is the order of its questions) and Python's split between ints and floats.
public enum JSON {
    /// Why text is not JSON, with Python's `json` message and where the parser stopped.
    public struct SyntaxError: Error, Sendable, CustomStringConvertible {
        /// Python's `json` message for the problem ("Expecting value", "Extra data").
        public let message: String
        /// The 1-based line where the parser stopped.
        public let line: Int
        /// The 1-based column where the parser stopped, counted in characters (code points), not bytes.
        public let column: Int
        /// "message: line L column C", as Python's `json.JSONDecodeError` prints it without the character offset.
        public var description: String { "\(message): line \(line) column \(column)" }
    }

    /// Reads one JSON value, as Python's `json.loads` does: `NaN` and `Infinity` accepted, integers beyond 64 bits kept as their digits in a string.
    public static func parse(_ text: String) throws(SyntaxError) -> Value {
        var parser = Parser(bytes: Array(text.utf8))
        parser.skipSpace()
        let value = try parser.value()
        parser.skipSpace()
        if parser.index < parser.bytes.count { throw parser.error("Extra data") }
        return value
    }

    /// Python's `json.dumps(value, sort_keys=True, indent=indent)` (cookiecutter's `jsonify`),
    /// or with `indent: nil` the one-line form.
    public static func dumps(_ value: Value, indent: Int?, sortKeys: Bool = true) throws -> String {
        var out = ""
        try write(value, indent: indent, sortKeys: sortKeys, depth: 0, into: &out)
        return out
    }

    private static func write(_ value: Value, indent: Int?, sortKeys: Bool, depth: Int, into out: inout String) throws {
        func newline(_ level: Int) {
            if let indent { out += "\n" + String(repeating: " ", count: max(0, min(indent, 1000)) * level) }
        }
        let itemSeparator = indent == nil ? ", " : ","
        switch value {
        case .undefined(let name): throw TemplateError.undefined(name)
        case .none: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .int(let number): out += String(number)
        case .double(let number):
            out += number.isNaN ? "NaN" : number.isInfinite ? (number < 0 ? "-Infinity" : "Infinity") : Value.pythonFloat(number)
        case .string(let string): out += quoted(string)
        case .list(let items), .tuple(let items):
            if items.isEmpty {
                out += "[]"
                return
            }
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += itemSeparator }
                newline(depth + 1)
                try write(item, indent: indent, sortKeys: sortKeys, depth: depth + 1, into: &out)
            }
            newline(depth)
            out += "]"
        case .dict(let dict):
            if dict.count == 0 {
                out += "{}"
                return
            }
            out += "{"
            var pairs = dict.pairs
            if sortKeys { pairs.sort { $0.0.unicodeScalars.lexicographicallyPrecedes($1.0.unicodeScalars) } }
            for (index, (key, item)) in pairs.enumerated() {
                if index > 0 { out += itemSeparator }
                newline(depth + 1)
                out += quoted(key) + ": "
                try write(item, indent: indent, sortKeys: sortKeys, depth: depth + 1, into: &out)
            }
            newline(depth)
            out += "}"
        case .function(let function): throw TemplateError.type("Object of type \(function.name) is not JSON serializable")
        }
    }

    /// A JSON string as Python writes it with `ensure_ascii=True`.
    static func quoted(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20 || scalar.value > 0x7E:
                for unit in String(scalar).utf16 { out += "\\u" + hex4(unit) }
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private static func hex4(_ unit: UInt16) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(unit >> 12)], digits[Int(unit >> 8 & 0xF)], digits[Int(unit >> 4 & 0xF)], digits[Int(unit & 0xF)]])
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        func error(_ message: String) -> SyntaxError {
            var line = 1
            var column = 1
            for byte in bytes[..<min(index, bytes.count)] {
                if byte == UInt8(ascii: "\n") {
                    line += 1
                    column = 1
                } else if byte & 0xC0 != 0x80 {
                    column += 1
                }
            }
            return SyntaxError(message: message, line: line, column: column)
        }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ literal: String, _ value: Value) throws(SyntaxError) -> Value {
            let word = Array(literal.utf8)
            guard bytes.count - index >= word.count, Array(bytes[index..<index + word.count]) == word else {
                throw error("Expecting value")
            }
            index += word.count
            return value
        }

        mutating func value() throws(SyntaxError) -> Value {
            guard index < bytes.count else { throw error("Expecting value") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object()
            case UInt8(ascii: "["): return try array()
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try expect("true", .bool(true))
            case UInt8(ascii: "f"): return try expect("false", .bool(false))
            case UInt8(ascii: "n"): return try expect("null", .none)
            case UInt8(ascii: "N"): return try expect("NaN", .double(.nan))
            case UInt8(ascii: "I"): return try expect("Infinity", .double(.infinity))
            default: return try number()
            }
        }

        mutating func object() throws(SyntaxError) -> Value {
            index += 1
            var dict = Value.Dictionary()
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .dict(dict)
            }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                    throw error("Expecting property name enclosed in double quotes")
                }
                let key = try string()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("Expecting ':' delimiter") }
                index += 1
                skipSpace()
                dict[key] = try value()
                skipSpace()
                guard index < bytes.count else { throw error("Expecting ',' delimiter") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return .dict(dict)
                }
                throw error("Expecting ',' delimiter")
            }
        }

        mutating func array() throws(SyntaxError) -> Value {
            index += 1
            var items: [Value] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .list(items)
            }
            while true {
                skipSpace()
                items.append(try value())
                skipSpace()
                guard index < bytes.count else { throw error("Expecting ',' delimiter") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                if bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return .list(items)
                }
                throw error("Expecting ',' delimiter")
            }
        }

        mutating func string() throws(SyntaxError) -> String {
            index += 1
            var scalars = String.UnicodeScalarView()
            var run: [UInt8] = []
            func flush(_ run: inout [UInt8], into scalars: inout String.UnicodeScalarView) {
                if !run.isEmpty {
                    scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
                    run.removeAll()
                }
            }
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    flush(&run, into: &scalars)
                    return String(scalars)
                }
                if byte < 0x20 { throw error("Invalid control character at") }
                if byte != UInt8(ascii: "\\") {
                    run.append(byte)
                    index += 1
                    continue
                }
                flush(&run, into: &scalars)
                index += 1
                guard index < bytes.count else { break }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hexQuad()
                    if (0xD800..<0xDC00).contains(code), index + 1 < bytes.count,
                        bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                    {
                        let save = index
                        index += 2
                        let low = try hexQuad()
                        if (0xDC00..<0xE000).contains(low) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            index = save
                        }
                    }
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default:
                    index -= 1
                    throw error("Invalid \\escape")
                }
            }
            throw error("Unterminated string starting at")
        }

        mutating func hexQuad() throws(SyntaxError) -> UInt32 {
            guard bytes.count - index >= 4, let code = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
                throw error("Invalid \\uXXXX escape")
            }
            index += 4
            return code
        }

        mutating func number() throws(SyntaxError) -> Value {
            let start = index
            var isFloat = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            if index + 8 <= bytes.count, String(decoding: bytes[index..<index + 8], as: UTF8.self) == "Infinity" {
                index += 8
                return .double(-.infinity)
            }
            let digitsStart = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            guard index > digitsStart else {
                index = start
                throw error("Expecting value")
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                let mark = index
                index += 1
                let fraction = index
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
                if index == fraction { index = mark } else { isFloat = true }
            }
            if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
                let mark = index
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                let exponent = index
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
                if index == exponent { index = mark } else { isFloat = true }
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if !isFloat {
                // Python's ints have no limit; one beyond 64 bits stays as its digits, which is
                // what cookiecutter makes of any number in cookiecutter.json anyway (its str()).
                return Int(text).map { .int($0) } ?? .string(text)
            }
            return .double(Double(text) ?? .nan)
        }
    }
}
