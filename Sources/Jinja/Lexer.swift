/// Jinja's lexer: template text into data and the tokens inside `{{ }}`, `{% %}` and `{# #}`,
/// with whitespace control (`-` and `+` markers, `trim_blocks`, `lstrip_blocks`) and `raw`
/// blocks applied here, as Jinja applies them.
struct Token: Equatable {
    enum Kind: Equatable {
        case data, variableBegin, variableEnd, blockBegin, blockEnd
        case name, string, integer, float, `operator`
    }

    let kind: Kind
    let text: String
    let line: Int
}

struct Lexer {
    struct Options {
        var trimBlocks = false
        var lstripBlocks = false
    }

    private let bytes: [UInt8]
    private let options: Options
    private var index = 0
    private var line = 1
    private var tokens: [Token] = []
    /// Whitespace at the start of the next data run is dropped (after `-%}`, `-}}`, `-#}`).
    private var stripNextData = false

    init(_ source: String, options: Options) {
        // Jinja turns every newline in the template into "\n" (its `newline_sequence`).
        var normalized: [UInt8] = []
        normalized.reserveCapacity(source.utf8.count)
        var previous: UInt8 = 0
        for byte in source.utf8 {
            if byte == 0x0A, previous == 0x0D {
                previous = byte
                continue
            }
            normalized.append(byte == 0x0D ? 0x0A : byte)
            previous = byte
        }
        bytes = normalized
        self.options = options
    }

    static func tokenize(_ source: String, options: Options = Options()) throws -> [Token] {
        var lexer = Lexer(source, options: options)
        try lexer.run()
        return lexer.tokens
    }

    private func peek(_ offset: Int = 0) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    private func starts(with literal: String, at position: Int) -> Bool {
        var i = position
        for byte in literal.utf8 {
            guard i < bytes.count, bytes[i] == byte else { return false }
            i += 1
        }
        return true
    }

    private func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0B || byte == 0x0C || byte == 0x0D }

    private mutating func advance(to position: Int) {
        for byte in bytes[index..<position] where byte == 0x0A { line += 1 }
        index = position
    }

    private mutating func emitData(_ range: Range<Int>, stripEnd: Bool, lstripLine: Bool) {
        var lower = range.lowerBound
        var upper = range.upperBound
        if stripNextData {
            while lower < upper, Self.isSpace(bytes[lower]) { lower += 1 }
            stripNextData = false
        }
        if stripEnd {
            while upper > lower, Self.isSpace(bytes[upper - 1]) { upper -= 1 }
        } else if lstripLine {
            // lstrip_blocks: spaces and tabs between a line's start and a block tag go.
            var start = upper
            while start > lower, bytes[start - 1] == 0x20 || bytes[start - 1] == 0x09 { start -= 1 }
            let atLineStart = start == 0 || bytes[start - 1] == 0x0A
            if atLineStart { upper = start }
        }
        if upper > lower { tokens.append(Token(kind: .data, text: text(lower..<upper), line: line)) }
        advance(to: range.upperBound)
    }

    private mutating func run() throws {
        var dataStart = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "{"), let next = peek(1),
                next == UInt8(ascii: "{") || next == UInt8(ascii: "%") || next == UInt8(ascii: "#")
            else {
                index += 1
                continue
            }
            let tagStart = index
            let marker = peek(2)
            let strip = marker == UInt8(ascii: "-")
            let keep = marker == UInt8(ascii: "+")
            let isBlock = next != UInt8(ascii: "{")
            // Rewind the scan position so `advance` counts lines from the data's start.
            index = dataStart
            emitData(dataStart..<tagStart, stripEnd: strip, lstripLine: isBlock && !keep && options.lstripBlocks)
            var position = tagStart + 2 + (strip || keep ? 1 : 0)
            advance(to: position)
            switch next {
            case UInt8(ascii: "#"): try comment()
            case UInt8(ascii: "%"):
                if try !rawBlock(from: position) { try tag(begin: .blockBegin, end: .blockEnd, close: UInt8(ascii: "%")) }
            default: try tag(begin: .variableBegin, end: .variableEnd, close: UInt8(ascii: "}"))
            }
            position = index
            dataStart = position
        }
        index = dataStart
        emitData(dataStart..<bytes.count, stripEnd: false, lstripLine: false)
    }

    /// After an end marker: `-` strips the whitespace that follows; `trim_blocks` drops one newline
    /// after a block or comment.
    private mutating func afterTagEnd(stripped: Bool, trims: Bool) {
        if stripped {
            stripNextData = true
        } else if trims, options.trimBlocks, peek() == 0x0A {
            advance(to: index + 1)
        }
    }

    private mutating func comment() throws {
        let startLine = line
        var position = index
        while position + 1 < bytes.count {
            if bytes[position] == UInt8(ascii: "#"), bytes[position + 1] == UInt8(ascii: "}") {
                let stripped = position > index && bytes[position - 1] == UInt8(ascii: "-")
                let kept = position > index && bytes[position - 1] == UInt8(ascii: "+")
                advance(to: position + 2)
                afterTagEnd(stripped: stripped, trims: !kept)
                return
            }
            position += 1
        }
        throw TemplateError.syntax("Missing end of comment tag", line: startLine)
    }

    /// `{% raw %}…{% endraw %}`: the content is data, untouched.
    private mutating func rawBlock(from position: Int) throws -> Bool {
        var i = position
        while i < bytes.count, Self.isSpace(bytes[i]) { i += 1 }
        guard starts(with: "raw", at: i) else { return false }
        i += 3
        while i < bytes.count, Self.isSpace(bytes[i]) { i += 1 }
        let stripAfter = starts(with: "-%}", at: i)
        guard stripAfter || starts(with: "%}", at: i) || starts(with: "+%}", at: i) else { return false }
        let startLine = line
        advance(to: i + (stripAfter || bytes[i] == UInt8(ascii: "+") ? 3 : 2))
        if stripAfter {
            while let byte = peek(), Self.isSpace(byte) { advance(to: index + 1) }
        }
        // Find `{%[-+]? endraw [-+]?%}`.
        var search = index
        while search + 1 < bytes.count {
            if bytes[search] == UInt8(ascii: "{"), bytes[search + 1] == UInt8(ascii: "%") {
                var j = search + 2
                let stripBefore = j < bytes.count && bytes[j] == UInt8(ascii: "-")
                if j < bytes.count, bytes[j] == UInt8(ascii: "-") || bytes[j] == UInt8(ascii: "+") { j += 1 }
                while j < bytes.count, Self.isSpace(bytes[j]) { j += 1 }
                if starts(with: "endraw", at: j) {
                    j += 6
                    while j < bytes.count, Self.isSpace(bytes[j]) { j += 1 }
                    let stripEnd = starts(with: "-%}", at: j)
                    if stripEnd || starts(with: "%}", at: j) || starts(with: "+%}", at: j) {
                        var upper = search
                        if stripBefore {
                            while upper > index, Self.isSpace(bytes[upper - 1]) { upper -= 1 }
                        } else if options.lstripBlocks, bytes[search + 2] != UInt8(ascii: "+") {
                            var start = upper
                            while start > index, bytes[start - 1] == 0x20 || bytes[start - 1] == 0x09 { start -= 1 }
                            if start == 0 || bytes[start - 1] == 0x0A { upper = start }
                        }
                        if upper > index { tokens.append(Token(kind: .data, text: text(index..<upper), line: line)) }
                        advance(to: j + (stripEnd || bytes[j] == UInt8(ascii: "+") ? 3 : 2))
                        afterTagEnd(stripped: stripEnd, trims: true)
                        return true
                    }
                }
            }
            search += 1
        }
        throw TemplateError.syntax("Missing end of raw directive", line: startLine)
    }

    private mutating func tag(begin: Token.Kind, end: Token.Kind, close: UInt8) throws {
        let startLine = line
        tokens.append(Token(kind: begin, text: "", line: line))
        var depth = 0
        while true {
            while let byte = peek(), Self.isSpace(byte) { advance(to: index + 1) }
            guard let byte = peek() else {
                throw TemplateError.syntax("Unexpected end of template; the tag opened on line \(startLine) was never closed", line: startLine)
            }
            if depth == 0 {
                let stripped = byte == UInt8(ascii: "-") && peek(1) == close && peek(2) == UInt8(ascii: "}")
                let kept = byte == UInt8(ascii: "+") && peek(1) == close && peek(2) == UInt8(ascii: "}")
                if stripped || kept || (byte == close && peek(1) == UInt8(ascii: "}")) {
                    tokens.append(Token(kind: end, text: "", line: line))
                    advance(to: index + (stripped || kept ? 3 : 2))
                    afterTagEnd(stripped: stripped, trims: end == .blockEnd && !kept)
                    return
                }
            }
            let start = index
            if Self.isNameStart(byte) {
                var i = index + 1
                while i < bytes.count, Self.isNameStart(bytes[i]) || Self.isDigit(bytes[i]) { i += 1 }
                tokens.append(Token(kind: .name, text: text(index..<i), line: line))
                advance(to: i)
            } else if Self.isDigit(byte) {
                tokens.append(number())
            } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                tokens.append(Token(kind: .string, text: try string(quote: byte), line: line))
            } else {
                let two = index + 1 < bytes.count ? text(index..<index + 2) : ""
                let op: String
                if ["//", "**", "==", "!=", "<=", ">="].contains(two) {
                    op = two
                } else if "+-*/%~()[]{},.:|=<>;".utf8.contains(byte) {
                    op = text(index..<index + 1)
                } else {
                    throw TemplateError.syntax("unexpected char '\(String(decoding: [byte], as: UTF8.self))' at \(start)", line: line)
                }
                if op == "(" || op == "[" || op == "{" { depth += 1 }
                if op == ")" || op == "]" || op == "}" { depth -= 1 }
                tokens.append(Token(kind: .operator, text: op, line: line))
                advance(to: index + op.utf8.count)
            }
        }
    }

    private static func isNameStart(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte >= 0x80
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private mutating func number() -> Token {
        var i = index
        while i < bytes.count, Self.isDigit(bytes[i]) || bytes[i] == UInt8(ascii: "_") { i += 1 }
        var isFloat = false
        if i + 1 < bytes.count, bytes[i] == UInt8(ascii: "."), Self.isDigit(bytes[i + 1]) {
            isFloat = true
            i += 1
            while i < bytes.count, Self.isDigit(bytes[i]) || bytes[i] == UInt8(ascii: "_") { i += 1 }
        }
        if i < bytes.count, bytes[i] | 0x20 == UInt8(ascii: "e") {
            var j = i + 1
            if j < bytes.count, bytes[j] == UInt8(ascii: "+") || bytes[j] == UInt8(ascii: "-") { j += 1 }
            if j < bytes.count, Self.isDigit(bytes[j]) {
                isFloat = true
                i = j
                while i < bytes.count, Self.isDigit(bytes[i]) { i += 1 }
            }
        }
        let token = Token(kind: isFloat ? .float : .integer, text: String(text(index..<i).filter { $0 != "_" }), line: line)
        advance(to: i)
        return token
    }

    /// A quoted string literal, with Python's backslash escapes.
    private mutating func string(quote: UInt8) throws -> String {
        let startLine = line
        var i = index + 1
        var scalars = String.UnicodeScalarView()
        var run: [UInt8] = []
        func flush() {
            if !run.isEmpty {
                scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
                run.removeAll()
            }
        }
        while i < bytes.count {
            let byte = bytes[i]
            if byte == quote {
                flush()
                advance(to: i + 1)
                return String(scalars)
            }
            if byte == UInt8(ascii: "\\"), i + 1 < bytes.count {
                flush()
                let escape = bytes[i + 1]
                i += 2
                switch escape {
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "0"): scalars.append("\0")
                case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): scalars.append(Unicode.Scalar(escape))
                case UInt8(ascii: "\n"): break
                case UInt8(ascii: "u"), UInt8(ascii: "x"), UInt8(ascii: "U"):
                    let width = escape == UInt8(ascii: "u") ? 4 : escape == UInt8(ascii: "x") ? 2 : 8
                    guard i + width <= bytes.count, let code = UInt32(text(i..<i + width), radix: 16),
                        let scalar = Unicode.Scalar(code)
                    else {
                        throw TemplateError.syntax("bad escape in string literal", line: line)
                    }
                    scalars.append(scalar)
                    i += width
                default:
                    scalars.append("\\")
                    scalars.append(Unicode.Scalar(escape))
                }
                continue
            }
            run.append(byte)
            i += 1
        }
        throw TemplateError.syntax("unterminated string", line: startLine)
    }
}
