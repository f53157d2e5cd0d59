public import Foundation

/// A direct JSON reader and writer for `JSONValue`, several times faster than going through
/// `JSONDecoder`/`JSONEncoder` and `Codable` (which spend most of their time on generic
/// metadata). Strict RFC 8259: one value, no trailing commas or comments, nesting at most 512 deep.
extension JSONValue {
    /// Why bytes are not one strict JSON value, and where reading stopped.
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        /// The 0-based byte offset in the data where reading stopped.
        public let offset: Int
        /// What was wrong there, in words ("unexpected text after the value").
        public let problem: String
        /// "invalid JSON at byte N: problem".
        public var description: String { "invalid JSON at byte \(offset): \(problem)" }
    }

    /// Parses one JSON value (whitespace around it allowed).
    public init(json data: Data) throws(ParseError) {
        let parsed: Result<JSONValue, ParseError> = data.withUnsafeBytes { raw in
            var parser = Parser(bytes: raw.bindMemory(to: UInt8.self))
            do throws(ParseError) {
                parser.skipSpace()
                let value = try parser.value(depth: 0)
                parser.skipSpace()
                guard parser.index == parser.bytes.count else { throw parser.failure("unexpected text after the value") }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        self = try parsed.get()
    }

    /// The value as compact JSON. Whole numbers below 2^53 are written without a fraction;
    /// numbers that are not finite are written as null.
    public func jsonData() -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out)
        return Data(out)
    }

    /// How a number is written: what a reader of the text gets back.
    public enum NumberForm: Equatable, Sendable {
        /// Not finite: written `null`.
        case null
        /// Whole and below 2^53 in size: written without a fraction (Python reads an `int`).
        case whole(Int64)
        /// Any other: written with a fraction or an exponent (Python reads a `float`).
        case fraction(Double)
    }

    /// How `number` is written as JSON text (and, alike, into a pickle for a worker).
    public static func form(of number: Double) -> NumberForm {
        guard number.isFinite else { return .null }
        return number == number.rounded() && abs(number) < 9_007_199_254_740_992 ? .whole(Int64(number)) : .fraction(number)
    }

    /// Appends the value as compact JSON (as `jsonData()` writes it) to `out`.
    public func appendJSON(to out: inout [UInt8]) { write(into: &out) }

    func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let number):
            switch Self.form(of: number) {
            case .null: out.append(contentsOf: "null".utf8)
            case .whole(let whole): out.append(contentsOf: String(whole).utf8)
            case .fraction(let real): out.append(contentsOf: real.description.utf8)
            }
        case .string(let text): Self.write(text, into: &out)
        case .array(let items):
            out.append(0x5B)
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(0x2C) }
                item.write(into: &out)
            }
            out.append(0x5D)
        case .object(let members):
            out.append(0x7B)
            var first = true
            for (key, value) in members {
                if !first { out.append(0x2C) }
                first = false
                Self.write(key, into: &out)
                out.append(0x3A)
                value.write(into: &out)
            }
            out.append(0x7D)
        }
    }

    static func write(_ text: String, into out: inout [UInt8]) {
        out.append(0x22)
        // Runs of bytes that need no escape (all of a base64 text, most of any) go in at once.
        var text = text
        let done = text.withUTF8 { utf8 -> Bool in
            guard !utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else { return false }
            out.append(contentsOf: utf8)
            return true
        }
        if done {
            out.append(0x22)
            return
        }
        for byte in text.utf8 {
            switch byte {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: out.append(contentsOf: [0x5C, 0x72])
            case 0x09: out.append(contentsOf: [0x5C, 0x74])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(0x22)
    }

    struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        func failure(_ problem: String) -> ParseError { ParseError(offset: index, problem: problem) }

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
        }

        mutating func literal(_ word: String, _ value: JSONValue) throws(ParseError) -> JSONValue {
            for byte in word.utf8 {
                guard index < bytes.count, bytes[index] == byte else { throw failure("expected \(word)") }
                index += 1
            }
            return value
        }

        mutating func value(depth: Int) throws(ParseError) -> JSONValue {
            guard depth < 512 else { throw failure("nested more than 512 deep") }
            guard index < bytes.count else { throw failure("unexpected end") }
            switch bytes[index] {
            case 0x6E: return try literal("null", .null)
            case 0x74: return try literal("true", .bool(true))
            case 0x66: return try literal("false", .bool(false))
            case 0x22: return .string(try string())
            case 0x5B:
                index += 1
                var items: [JSONValue] = []
                skipSpace()
                if index < bytes.count, bytes[index] == 0x5D {
                    index += 1
                    return .array(items)
                }
                while true {
                    skipSpace()
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard index < bytes.count else { throw failure("unexpected end in an array") }
                    if bytes[index] == 0x2C {
                        index += 1
                        continue
                    }
                    if bytes[index] == 0x5D {
                        index += 1
                        return .array(items)
                    }
                    throw failure("expected , or ] in an array")
                }
            case 0x7B:
                index += 1
                var members: [String: JSONValue] = [:]
                skipSpace()
                if index < bytes.count, bytes[index] == 0x7D {
                    index += 1
                    return .object(members)
                }
                while true {
                    skipSpace()
                    guard index < bytes.count, bytes[index] == 0x22 else { throw failure("expected a member name") }
                    let key = try string()
                    skipSpace()
                    guard index < bytes.count, bytes[index] == 0x3A else { throw failure("expected : after a member name") }
                    index += 1
                    skipSpace()
                    members[key] = try value(depth: depth + 1)
                    skipSpace()
                    guard index < bytes.count else { throw failure("unexpected end in an object") }
                    if bytes[index] == 0x2C {
                        index += 1
                        continue
                    }
                    if bytes[index] == 0x7D {
                        index += 1
                        return .object(members)
                    }
                    throw failure("expected , or } in an object")
                }
            case 0x2D, 0x30...0x39: return .number(try number())
            default: throw failure("unexpected character")
            }
        }

        mutating func number() throws(ParseError) -> Double {
            let start = index
            if bytes[index] == 0x2D { index += 1 }
            func digits() -> Int {
                let from = index
                while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
                return index - from
            }
            let whole = digits()
            guard whole > 0 else { throw failure("expected digits") }
            if whole > 1, bytes[index - whole] == 0x30 { throw failure("a number with a leading zero") }
            if index < bytes.count, bytes[index] == 0x2E {
                index += 1
                guard digits() > 0 else { throw failure("expected digits after the decimal point") }
            }
            if index < bytes.count, bytes[index] == 0x65 || bytes[index] == 0x45 {
                index += 1
                if index < bytes.count, bytes[index] == 0x2B || bytes[index] == 0x2D { index += 1 }
                guard digits() > 0 else { throw failure("expected digits in the exponent") }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            guard let value = Double(text), value.isFinite else { throw failure("a number out of range") }
            return value
        }

        mutating func string() throws(ParseError) -> String {
            index += 1  // the opening quote
            let start = index
            // The common case: no escapes, valid UTF-8, taken in one piece.
            while index < bytes.count, bytes[index] != 0x22, bytes[index] != 0x5C, bytes[index] >= 0x20 { index += 1 }
            if index < bytes.count, bytes[index] == 0x22 {
                guard let text = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self) else {
                    throw failure("a string that is not UTF-8")
                }
                index += 1
                return text
            }
            var out = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
            while true {
                guard index < bytes.count else { throw failure("unexpected end in a string") }
                let byte = bytes[index]
                if byte == 0x22 {
                    index += 1
                    break
                }
                guard byte >= 0x20 else { throw failure("a control character in a string") }
                if byte != 0x5C {
                    out.append(byte)
                    index += 1
                    continue
                }
                index += 1
                guard index < bytes.count else { throw failure("unexpected end in an escape") }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case 0x22, 0x5C, 0x2F: out.append(escaped)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x75:
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard index + 1 < bytes.count, bytes[index] == 0x5C, bytes[index + 1] == 0x75 else { throw failure("a lone surrogate") }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw failure("a lone surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw failure("a lone surrogate")
                    }
                    out.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
                default: throw failure("an unknown escape")
                }
            }
            guard let text = String(validating: out, as: UTF8.self) else { throw failure("a string that is not UTF-8") }
            return text
        }

        mutating func hex4() throws(ParseError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw failure("a cut-off \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt32
                switch byte {
                case 0x30...0x39: digit = UInt32(byte - 0x30)
                case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
                default: throw failure("a bad \\u escape")
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }
    }
}
