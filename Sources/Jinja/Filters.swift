import Foundation

/// Jinja 3's built-in filters that templates use, with their arguments and Python semantics, and
/// cookiecutter's `jsonify` and `slugify`.
enum Filters {
    static let names: Set<String> = [
        "abs", "attr", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape", "first", "float",
        "format", "indent", "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min", "reject",
        "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr", "sort", "string", "sum", "title",
        "tojson", "trim", "truncate", "unique", "upper", "urlencode", "wordcount", "jsonify", "slugify",
    ]

    static func apply(_ name: String, _ value: Value, _ arguments: Arguments, renderer: Renderer) throws -> Value {
        switch name {
        case "default", "d":
            let fallback = try arguments.value(0, "default_value", .string(""))
            let boolean = try arguments.value(1, "boolean", .bool(false)).truth()
            if try value.isUndefined || (boolean && !value.truth()) { return fallback }
            return value
        default:
            break
        }
        if case .undefined(let message) = value { throw TemplateError.undefined(message) }
        switch name {
        case "lower": return .string(try value.text().lowercased())
        case "upper": return .string(try value.text().uppercased())
        case "capitalize": return .string(Text.pythonCapitalize(try value.text()))
        case "title": return .string(jinjaTitle(try value.text()))
        case "trim":
            let chars = try arguments.value(0, "chars", Value.none)
            let set: Set<Unicode.Scalar>? = if case .none = chars { nil } else { Set(try chars.text().unicodeScalars) }
            return .string(Text.strip(try value.text(), set, leading: true, trailing: true))
        case "replace":
            let count = try arguments.value(2, "count", Value.none)
            let limit = if case .none = count { -1 } else { try Builtins.integer(count, "replace") }
            return .string(Text.replace(try value.text(), try arguments.value(0, "old").text(), try arguments.value(1, "new").text(), count: limit))
        case "length", "count":
            switch value {
            case .string(let string): return .int(string.unicodeScalars.count)
            case .list(let items), .tuple(let items): return .int(items.count)
            case .dict(let dict): return .int(dict.count)
            default: throw TemplateError.type("object of type '\(value.typeName)' has no len()")
            }
        case "join":
            let separator = try arguments.value(0, "d", .string("")).text()
            var items = try value.iterated()
            if case .string(let attribute) = try arguments.value(1, "attribute", Value.none) { items = try items.map { try path(attribute, of: $0) } }
            return .string(try items.map { try $0.text() }.joined(separator: separator))
        case "first":
            guard let first = try value.iterated().first else { return .undefined("No first item, sequence was empty.") }
            return first
        case "last":
            guard let last = try value.iterated().last else { return .undefined("No last item, sequence was empty.") }
            return last
        case "list": return .list(try value.iterated())
        case "string": return .string(try value.text())
        case "safe": return value
        case "items":
            guard case .dict(let dict) = value else { throw TemplateError.type("items filter: can only get item pairs from a mapping") }
            return .list(dict.pairs.map { .tuple([.string($0.0), $0.1]) })
        case "int":
            let fallback = try arguments.value(0, "default", .int(0))
            let base = try Builtins.integer(try arguments.value(1, "base", .int(10)), "int")
            guard base == 0 || (2...36).contains(base) else { throw TemplateError.type("int() base must be >= 2 and <= 36, or 0") }
            return toInt(value, base: base) ?? fallback
        case "float":
            let fallback = try arguments.value(0, "default", .double(0))
            switch value {
            case .int(let number): return .double(Double(number))
            case .double: return value
            case .bool(let flag): return .double(flag ? 1 : 0)
            case .string(let text): return Double(text.trimmingCharacters(in: .whitespaces)).map { .double($0) } ?? fallback
            default: return fallback
            }
        case "abs":
            switch value {
            case .int(let number): return number == .min ? .double(-Double(number)) : .int(abs(number))
            case .double(let number): return .double(abs(number))
            case .bool(let flag): return .int(flag ? 1 : 0)
            default: throw TemplateError.type("bad operand type for abs(): '\(value.typeName)'")
            }
        case "round":
            let precision = try Builtins.integer(try arguments.value(0, "precision", .int(0)), "round")
            let method = try arguments.value(1, "method", .string("common")).text()
            if case .int = value, method == "common", precision >= 0 { return value }
            guard let number = value.number else { throw TemplateError.type("round: '\(value.typeName)' is not a number") }
            let scale = pow(10, Double(precision))
            let rule: FloatingPointRoundingRule =
                switch method {
                case "ceil": .up
                case "floor": .down
                default: .toNearestOrEven
                }
            return .double((number * scale).rounded(rule) / scale)
        case "reverse":
            if case .string(let string) = value { return .string(String(String.UnicodeScalarView(string.unicodeScalars.reversed()))) }
            return .list(try value.iterated().reversed())
        case "sort":
            let reverse = try arguments.value(0, "reverse", .bool(false)).truth()
            let caseSensitive = try arguments.value(1, "case_sensitive", .bool(false)).truth()
            let attribute = try arguments.value(2, "attribute", Value.none)
            return .list(try sorted(try value.iterated(), caseSensitive: caseSensitive, attribute: attribute, reverse: reverse))
        case "dictsort":
            guard case .dict(let dict) = value else { throw TemplateError.type("dictsort: value is not a mapping") }
            let caseSensitive = try arguments.value(0, "case_sensitive", .bool(false)).truth()
            let by = try arguments.value(1, "by", .string("key")).text()
            let reverse = try arguments.value(2, "reverse", .bool(false)).truth()
            let pairs = dict.pairs.map { Value.tuple([.string($0.0), $0.1]) }
            return .list(try sorted(pairs, caseSensitive: caseSensitive, attribute: .int(by == "value" ? 1 : 0), reverse: reverse))
        case "unique":
            let caseSensitive = try arguments.value(0, "case_sensitive", .bool(false)).truth()
            var seen: [Value] = []
            var out: [Value] = []
            for item in try value.iterated() {
                let key = caseSensitive ? item : folded(item)
                if try !seen.contains(where: { try $0.equals(key) }) {
                    seen.append(key)
                    out.append(item)
                }
            }
            return .list(out)
        case "min", "max":
            let caseSensitive = try arguments.value(0, "case_sensitive", .bool(false)).truth()
            let attribute = try arguments.value(1, "attribute", Value.none)
            // Python's min and max return the first of equal items.
            let items = try sorted(try value.iterated(), caseSensitive: caseSensitive, attribute: attribute, reverse: name == "max")
            return items.first ?? .undefined("No aggregated item, sequence was empty.")
        case "sum":
            var total = try arguments.value(1, "start", .int(0))
            var items = try value.iterated()
            if case .string(let attribute) = try arguments.value(0, "attribute", Value.none) { items = try items.map { try path(attribute, of: $0) } }
            for item in items { total = try Builtins.binary("+", total, item) }
            return total
        case "attr": return try Builtins.attribute(of: value, try arguments.value(0, "name").text())
        case "map":
            let items = try value.iterated()
            if let attribute = arguments.keyword.first(where: { $0.0 == "attribute" })?.1 {
                let fallback = arguments.keyword.first { $0.0 == "default" }?.1
                return .list(
                    try items.map { item in
                        let found = try path(try attribute.text(), of: item)
                        return found.isUndefined ? fallback ?? found : found
                    })
            }
            guard let filter = arguments.positional.first else { throw TemplateError.type("map requires a filter argument") }
            let rest = Arguments(positional: Array(arguments.positional.dropFirst()), keyword: arguments.keyword, function: try filter.text())
            return .list(try items.map { try apply(try filter.text(), $0, rest, renderer: renderer) })
        case "select", "reject":
            let keep = name == "select"
            let items = try value.iterated()
            guard let test = arguments.positional.first else { return .list(try items.filter { try $0.truth() == keep }) }
            let rest = Array(arguments.positional.dropFirst())
            return .list(try items.filter { try Builtins.test(try test.text(), $0, rest, renderer: renderer) == keep })
        case "selectattr", "rejectattr":
            let keep = name == "selectattr"
            let attribute = try arguments.value(0, "attribute").text()
            let rest = Array(arguments.positional.dropFirst(2))
            return .list(
                try value.iterated().filter { item in
                    let found = try path(attribute, of: item)
                    if arguments.positional.count < 2 { return try found.truth() == keep }
                    return try Builtins.test(try arguments.positional[1].text(), found, rest, renderer: renderer) == keep
                })
        case "format":
            if !arguments.keyword.isEmpty {
                throw TemplateError.type("format with keyword arguments is not supported")
            }
            return .string(try Builtins.percentFormat(try value.text(), arguments.positional))
        case "indent":
            let width = try arguments.value(0, "width", .int(4))
            let first = try arguments.value(1, "first", .bool(false)).truth()
            let blank = try arguments.value(2, "blank", .bool(false)).truth()
            let indentation =
                if case .string(let text) = width { text } else {
                    String(repeating: " ", count: try checkedSize(try Builtins.integer(width, "indent"), "indent"))
                }
            var lines = Text.splitLines(try value.text() + "\n", keepEnds: false)
            var out: String
            if blank {
                out = lines.joined(separator: "\n" + indentation)
            } else {
                out = lines.isEmpty ? "" : lines.removeFirst()
                if !lines.isEmpty { out += "\n" + lines.map { $0.isEmpty ? $0 : indentation + $0 }.joined(separator: "\n") }
            }
            return .string(first ? indentation + out : out)
        case "center":
            let width = try checkedSize(try Builtins.integer(try arguments.value(0, "width", .int(80)), "center"), "center")
            return .string(Text.justify(try value.text(), width: width, fill: " ", how: "center"))
        case "truncate":
            let text = Array(try value.text().unicodeScalars)
            let length = try Builtins.integer(try arguments.value(0, "length", .int(255)), "truncate")
            let killWords = try arguments.value(1, "killwords", .bool(false)).truth()
            let end = try arguments.value(2, "end", .string("...")).text()
            let leewayValue = try arguments.value(3, "leeway", Value.none)
            let leeway = if case .none = leewayValue { 5 } else { try Builtins.integer(leewayValue, "truncate") }
            guard text.count > length + leeway else { return value }
            let cut = String(String.UnicodeScalarView(text.prefix(max(0, length - end.unicodeScalars.count))))
            if killWords { return .string(cut + end) }
            return .string(Text.split(cut, " ", limit: 1, fromEnd: true)[0] + end)
        case "wordcount":
            var count = 0
            var inWord = false
            for scalar in try value.text().unicodeScalars {
                let word = scalar == "_" || scalar.properties.isAlphabetic || scalar.properties.numericType != nil
                if word, !inWord { count += 1 }
                inWord = word
            }
            return .int(count)
        case "escape", "e":
            return .string(htmlEscaped(try value.text()))
        case "urlencode":
            let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-~/")
            return .string(try value.text().addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
        case "tojson":
            let indentValue = try arguments.value(0, "indent", Value.none)
            let indent = if case .none = indentValue { Int?.none } else { try Builtins.integer(indentValue, "tojson") }
            let json = try JSON.dumps(value, indent: indent)
            return .string(
                json.replacingOccurrences(of: "<", with: "\\u003c").replacingOccurrences(of: ">", with: "\\u003e")
                    .replacingOccurrences(of: "&", with: "\\u0026").replacingOccurrences(of: "'", with: "\\u0027"))
        case "jsonify":
            let indentValue = try arguments.value(0, "indent", .int(4))
            let indent = if case .none = indentValue { Int?.none } else { try Builtins.integer(indentValue, "jsonify") }
            return .string(try JSON.dumps(value, indent: indent))
        case "slugify":
            return .string(try Slugify.slugify(try value.text(), arguments))
        default:
            throw TemplateError(.syntax, "No filter named '\(name)'.")
        }
    }

    /// Jinja's `title`: words begin after `-`, whitespace or an opening bracket.
    static func jinjaTitle(_ string: String) -> String {
        var out = ""
        var atStart = true
        for scalar in string.unicodeScalars {
            if scalar == "-" || Text.isSpace(scalar) || "({[<".unicodeScalars.contains(scalar) {
                out.unicodeScalars.append(scalar)
                atStart = true
            } else {
                out += atStart ? scalar.properties.uppercaseMapping : scalar.properties.lowercaseMapping
                atStart = false
            }
        }
        return out
    }

    /// Python's `int(value)`, then `int(float(value))`, as Jinja's `int` filter tries them.
    static func toInt(_ value: Value, base: Int) -> Value? {
        // An integral double beyond 64 bits has no Int; Python would keep it exactly.
        func truncated(_ number: Double) -> Value? {
            guard number.isFinite, abs(number) < 9.2e18 else { return nil }
            return .int(Int(number.rounded(.towardZero)))
        }
        switch value {
        case .int: return value
        case .bool(let flag): return .int(flag ? 1 : 0)
        case .double(let number): return truncated(number)
        case .string(let text):
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "_", with: "")
            var digits = trimmed.lowercased()
            var radix = base
            let negative = digits.hasPrefix("-")
            if negative || digits.hasPrefix("+") { digits.removeFirst() }
            for (prefix, prefixBase) in [("0x", 16), ("0o", 8), ("0b", 2)] where digits.hasPrefix(prefix) && (base == 0 || base == prefixBase) {
                digits.removeFirst(2)
                radix = prefixBase
            }
            if radix == 0 { radix = 10 }
            if let number = Int(digits, radix: radix), !digits.hasPrefix("-"), !digits.hasPrefix("+") { return .int(negative ? -number : number) }
            if let number = Double(trimmed) { return truncated(number) }
            return nil
        default: return nil
        }
    }

    /// `a.b.0` as Jinja's `attribute=` arguments read it.
    static func path(_ path: String, of value: Value) throws -> Value {
        var current = value
        for part in path.split(separator: ".") {
            current =
                if let position = Int(part) { try Builtins.item(of: current, .int(position)) } else { try Builtins.item(of: current, .string(String(part))) }
        }
        return current
    }

    static func folded(_ value: Value) -> Value {
        if case .string(let text) = value { return .string(text.lowercased()) }
        return value
    }

    static func sorted(_ items: [Value], caseSensitive: Bool, attribute: Value, reverse: Bool) throws -> [Value] {
        func key(_ item: Value) throws -> Value {
            var found = item
            switch attribute {
            case .string(let name): found = try path(name, of: item)
            case .int(let position): found = try Builtins.item(of: item, .int(position))
            default: break
            }
            return caseSensitive ? found : folded(found)
        }
        let keyed = try items.map { (try key($0), $0) }
        // A stable sort, as Python's.
        var failure: (any Error)?
        let ordered = keyed.enumerated().sorted { a, b in
            do {
                if try a.element.0.less(than: b.element.0) { return !reverse }
                if try b.element.0.less(than: a.element.0) { return reverse }
            } catch { failure = error }
            return a.offset < b.offset
        }
        if let failure { throw failure }
        return ordered.map(\.element.1)
    }
}

/// `text` safe to put in HTML text or a quoted attribute, as markupsafe (and so Jinja's `escape`
/// filter) writes it: `&`, `<`, `>`, `"`, `'` as `&amp;`, `&lt;`, `&gt;`, `&#34;`, `&#39;`.
public func htmlEscaped(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&#34;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}
