import Foundation

/// Python's methods on `str`, `list` and `dict`, as templates call them
/// (`cookiecutter.project_name.lower().replace(' ', '_')`).
enum Methods {
    static func string(_ string: String, _ name: String) -> Value? {
        func method(_ body: @escaping @Sendable (Arguments) throws -> Value) -> Value {
            Builtins.function(name, body)
        }
        @Sendable func text(_ arguments: Arguments, _ index: Int, _ key: String) throws -> String {
            let value = try arguments.value(index, key)
            guard case .string(let text) = value else {
                if case .undefined(let message) = value { throw TemplateError.undefined(message) }
                throw TemplateError.type("\(name)() argument must be str, not \(value.typeName)")
            }
            return text
        }
        @Sendable func optionalChars(_ arguments: Arguments) throws -> Set<Unicode.Scalar>? {
            let value = try arguments.value(0, "chars", Value.none)
            if case .none = value { return nil }
            return Set(try text(arguments, 0, "chars").unicodeScalars)
        }
        switch name {
        case "lower": return method { _ in .string(string.lowercased()) }
        case "upper": return method { _ in .string(string.uppercased()) }
        case "casefold": return method { _ in .string(string.lowercased()) }
        case "swapcase":
            return method { _ in
                .string(String(string.map { $0.isUppercase ? Character($0.lowercased()) : $0.isLowercase ? Character($0.uppercased()) : $0 }))
            }
        case "title": return method { _ in .string(Text.pythonTitle(string)) }
        case "capitalize": return method { _ in .string(Text.pythonCapitalize(string)) }
        case "strip": return method { .string(Text.strip(string, try optionalChars($0), leading: true, trailing: true)) }
        case "lstrip": return method { .string(Text.strip(string, try optionalChars($0), leading: true, trailing: false)) }
        case "rstrip": return method { .string(Text.strip(string, try optionalChars($0), leading: false, trailing: true)) }
        case "replace":
            return method { arguments in
                let count = try Builtins.integer(try arguments.value(2, "count", .int(-1)), "replace")
                return .string(Text.replace(string, try text(arguments, 0, "old"), try text(arguments, 1, "new"), count: count))
            }
        case "split", "rsplit":
            return method { arguments in
                let separator = try arguments.value(0, "sep", Value.none)
                let limit = try Builtins.integer(try arguments.value(1, "maxsplit", .int(-1)), name)
                let parts: [String]
                if case .none = separator {
                    parts = Text.splitWhitespace(string, limit: limit, fromEnd: name == "rsplit")
                } else {
                    let separator = try text(arguments, 0, "sep")
                    guard !separator.isEmpty else { throw TemplateError.type("empty separator") }
                    parts = Text.split(string, separator, limit: limit, fromEnd: name == "rsplit")
                }
                return .list(parts.map { .string($0) })
            }
        case "splitlines":
            return method { arguments in
                let keep = try arguments.value(0, "keepends", .bool(false)).truth()
                return .list(Text.splitLines(string, keepEnds: keep).map { .string($0) })
            }
        case "startswith", "endswith":
            return method { arguments in
                let candidates: [Value] = if case .tuple(let items) = try arguments.value(0, "prefix") { items } else { [try arguments.value(0, "prefix")] }
                for candidate in candidates {
                    guard case .string(let affix) = candidate else { throw TemplateError.type("\(name) first arg must be str or a tuple of str") }
                    let scalars = Array(string.unicodeScalars)
                    let affixScalars = Array(affix.unicodeScalars)
                    if name == "startswith" ? scalars.starts(with: affixScalars) : scalars.reversed().starts(with: affixScalars.reversed()) {
                        return .bool(true)
                    }
                }
                return .bool(false)
            }
        case "join":
            return method { arguments in
                let items = try arguments.value(0, "iterable").iterated()
                return .string(
                    try items.map { item in
                        guard case .string(let text) = item else { throw TemplateError.type("sequence item: expected str instance, \(item.typeName) found") }
                        return text
                    }.joined(separator: string))
            }
        case "find", "index", "rfind", "count":
            return method { arguments in
                let needle = Array(try text(arguments, 0, "sub").unicodeScalars)
                let haystack = Array(string.unicodeScalars)
                var positions: [Int] = []
                if needle.isEmpty {
                    positions = Array(0...haystack.count)
                } else if haystack.count >= needle.count {
                    var i = 0
                    while i <= haystack.count - needle.count {
                        if Array(haystack[i..<i + needle.count]) == needle {
                            positions.append(i)
                            i += name == "count" ? needle.count : 1
                        } else {
                            i += 1
                        }
                    }
                }
                switch name {
                case "count": return .int(positions.count)
                case "rfind": return .int(positions.last ?? -1)
                case "index":
                    guard let first = positions.first else { throw TemplateError.type("substring not found") }
                    return .int(first)
                default: return .int(positions.first ?? -1)
                }
            }
        case "isdigit", "isnumeric", "isdecimal":
            return method { _ in .bool(!string.isEmpty && string.unicodeScalars.allSatisfy { $0.properties.numericType != nil }) }
        case "isalpha": return method { _ in .bool(!string.isEmpty && string.unicodeScalars.allSatisfy { $0.properties.isAlphabetic }) }
        case "isalnum":
            return method { _ in .bool(!string.isEmpty && string.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil }) }
        case "isspace": return method { _ in .bool(!string.isEmpty && string.unicodeScalars.allSatisfy(Text.isSpace)) }
        case "islower": return method { _ in .bool(string.contains { $0.isLetter } && string == string.lowercased()) }
        case "isupper": return method { _ in .bool(string.contains { $0.isLetter } && string == string.uppercased()) }
        case "isidentifier":
            return method { _ in
                guard let first = string.unicodeScalars.first, first == "_" || first.properties.isAlphabetic else { return .bool(false) }
                return .bool(string.unicodeScalars.allSatisfy { $0 == "_" || $0.properties.isAlphabetic || $0.properties.numericType != nil })
            }
        case "zfill":
            return method { arguments in
                let width = try checkedSize(try Builtins.integer(try arguments.value(0, "width"), "zfill"), "zfill")
                var scalars = Array(string.unicodeScalars)
                guard width > scalars.count else { return .string(string) }
                let sign = scalars.first == "-" || scalars.first == "+" ? [scalars.removeFirst()] : []
                let zeros = [Unicode.Scalar](repeating: "0", count: width - scalars.count - sign.count)
                return .string(String(String.UnicodeScalarView(sign + zeros + scalars)))
            }
        case "center", "ljust", "rjust":
            return method { arguments in
                let width = try checkedSize(try Builtins.integer(try arguments.value(0, "width"), name), name)
                let fill = try arguments.value(1, "fillchar", .string(" ")).text()
                return .string(Text.justify(string, width: width, fill: fill, how: name))
            }
        case "removeprefix":
            return method { arguments in
                let prefix = try text(arguments, 0, "prefix")
                return .string(string.hasPrefix(prefix) ? String(string.dropFirst(prefix.count)) : string)
            }
        case "removesuffix":
            return method { arguments in
                let suffix = try text(arguments, 0, "suffix")
                return .string(!suffix.isEmpty && string.hasSuffix(suffix) ? String(string.dropLast(suffix.count)) : string)
            }
        case "partition", "rpartition":
            return method { arguments in
                let separator = try text(arguments, 0, "sep")
                let range = name == "partition" ? string.range(of: separator) : string.range(of: separator, options: .backwards)
                guard let range else {
                    return .tuple(name == "partition" ? [.string(string), .string(""), .string("")] : [.string(""), .string(""), .string(string)])
                }
                return .tuple([.string(String(string[..<range.lowerBound])), .string(separator), .string(String(string[range.upperBound...]))])
            }
        case "format": return method { arguments in .string(try Text.format(string, arguments)) }
        default: return nil
        }
    }

    static func list(_ items: [Value], _ name: String) -> Value? {
        switch name {
        case "index":
            return Builtins.function(name) { arguments in
                let needle = try arguments.value(0, "value")
                guard let position = try items.firstIndex(where: { try $0.equals(needle) }) else {
                    throw TemplateError.type("\(try needle.repr()) is not in list")
                }
                return .int(position)
            }
        case "count":
            return Builtins.function(name) { arguments in
                let needle = try arguments.value(0, "value")
                return .int(try items.filter { try $0.equals(needle) }.count)
            }
        case "copy":
            return Builtins.function(name) { _ in .list(items) }
        default: return nil
        }
    }

    static func dict(_ dict: Value.Dictionary, _ name: String) -> Value? {
        switch name {
        case "items": return Builtins.function(name) { _ in .list(dict.pairs.map { .tuple([.string($0.0), $0.1]) }) }
        case "keys": return Builtins.function(name) { _ in .list(dict.keys.map { .string($0) }) }
        case "values": return Builtins.function(name) { _ in .list(dict.pairs.map(\.1)) }
        case "get":
            return Builtins.function(name) { arguments in
                let key = try arguments.value(0, "key").text()
                return try dict[key] ?? arguments.value(1, "default", Value.none)
            }
        case "copy": return Builtins.function(name) { _ in .dict(dict) }
        default: return nil
        }
    }
}

/// Python's string algorithms, counted in code points.
enum Text {
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
    }

    /// `str.title()`: a cased character after an uncased one starts a word.
    static func pythonTitle(_ string: String) -> String {
        var out = ""
        var previousCased = false
        for scalar in string.unicodeScalars {
            if scalar.properties.isCased {
                out += previousCased ? scalar.properties.lowercaseMapping : scalar.properties.titlecaseMapping
                previousCased = true
            } else {
                out.unicodeScalars.append(scalar)
                previousCased = false
            }
        }
        return out
    }

    /// `str.capitalize()`: the first character in title case, the rest lower case.
    static func pythonCapitalize(_ string: String) -> String {
        guard let first = string.unicodeScalars.first else { return string }
        return first.properties.titlecaseMapping + String(String.UnicodeScalarView(string.unicodeScalars.dropFirst())).lowercased()
    }

    static func strip(_ string: String, _ characters: Set<Unicode.Scalar>?, leading: Bool, trailing: Bool) -> String {
        let strips: (Unicode.Scalar) -> Bool = characters.map { set in { set.contains($0) } } ?? isSpace
        var scalars = string.unicodeScalars[...]
        if leading { while let first = scalars.first, strips(first) { scalars.removeFirst() } }
        if trailing { while let last = scalars.last, strips(last) { scalars.removeLast() } }
        return String(String.UnicodeScalarView(scalars))
    }

    static func replace(_ string: String, _ old: String, _ new: String, count: Int) -> String {
        var remaining = count < 0 ? Int.max : count
        if old.isEmpty {
            var out = ""
            for scalar in string.unicodeScalars {
                if remaining > 0 {
                    out += new
                    remaining -= 1
                }
                out.unicodeScalars.append(scalar)
            }
            if remaining > 0 { out += new }
            return out
        }
        let source = Array(string.unicodeScalars)
        let needle = Array(old.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < source.count {
            if remaining > 0, i + needle.count <= source.count, Array(source[i..<i + needle.count]) == needle {
                out.append(contentsOf: new.unicodeScalars)
                i += needle.count
                remaining -= 1
            } else {
                out.append(source[i])
                i += 1
            }
        }
        return String(out)
    }

    static func split(_ string: String, _ separator: String, limit: Int, fromEnd: Bool) -> [String] {
        var parts = string.components(separatedBy: separator)
        guard limit >= 0, parts.count - 1 > limit else { return parts }
        if fromEnd {
            let head = parts[..<(parts.count - limit)].joined(separator: separator)
            parts = [head] + parts[(parts.count - limit)...]
        } else {
            let tail = parts[limit...].joined(separator: separator)
            parts = Array(parts[..<limit]) + [tail]
        }
        return parts
    }

    static func splitWhitespace(_ string: String, limit: Int, fromEnd: Bool) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        let scalars = fromEnd ? Array(string.unicodeScalars.reversed()) : Array(string.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if isSpace(scalar) {
                if !current.isEmpty {
                    words.append(String(current))
                    current = String.UnicodeScalarView()
                    if limit >= 0, words.count == limit {
                        while index < scalars.count, isSpace(scalars[index]) { index += 1 }
                        if index < scalars.count { words.append(String(String.UnicodeScalarView(scalars[index...]))) }
                        break
                    }
                }
            } else {
                current.append(scalar)
            }
            index += 1
        }
        if index >= scalars.count, !current.isEmpty { words.append(String(current)) }
        if fromEnd { words = words.map { String($0.reversed()) }.reversed() }
        return words
    }

    static func splitLines(_ string: String, keepEnds: Bool) -> [String] {
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        let scalars = Array(string.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if ["\n", "\r", "\u{0B}", "\u{0C}", "\u{1C}", "\u{1D}", "\u{1E}", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar) {
                var end = String.UnicodeScalarView([scalar])
                if scalar == "\r", index + 1 < scalars.count, scalars[index + 1] == "\n" {
                    end.append("\n")
                    index += 1
                }
                if keepEnds { current.append(contentsOf: end) }
                lines.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
            index += 1
        }
        if !current.isEmpty { lines.append(String(current)) }
        return lines
    }

    static func justify(_ string: String, width: Int, fill: String, how: String) -> String {
        let length = string.unicodeScalars.count
        guard width > length else { return string }
        let total = width - length
        switch how {
        case "ljust": return string + String(repeating: fill, count: total)
        case "rjust": return String(repeating: fill, count: total) + string
        default:
            // CPython: left = total / 2 + (total & width & 1).
            let left = total / 2 + (total & width & 1)
            return String(repeating: fill, count: left) + string + String(repeating: fill, count: total - left)
        }
    }

    /// `str.format`: `{}`, `{0}`, `{name}`, `{name.attr}`, `{{`, `}}`; format specs are not
    /// interpreted beyond `{:N}` padding.
    static func format(_ template: String, _ arguments: Arguments) throws -> String {
        var out = ""
        var automatic = 0
        var scalars = Array(template.unicodeScalars)[...]
        while let scalar = scalars.popFirst() {
            if scalar == "{" {
                if scalars.first == "{" {
                    scalars.removeFirst()
                    out += "{"
                    continue
                }
                var field = ""
                while let next = scalars.popFirst(), next != "}" { field.unicodeScalars.append(next) }
                let parts = field.split(separator: ":", maxSplits: 1).map(String.init)
                let reference = parts.first ?? ""
                var path = reference.split(separator: ".").map(String.init)
                let head = path.isEmpty ? "" : path.removeFirst()
                var value: Value
                if head.isEmpty {
                    value = automatic < arguments.positional.count ? arguments.positional[automatic] : .undefined("Replacement index \(automatic) out of range")
                    automatic += 1
                } else if let position = Int(head) {
                    value = position < arguments.positional.count ? arguments.positional[position] : .undefined("Replacement index \(position) out of range")
                } else {
                    value = arguments.keyword.first { $0.0 == head }?.1 ?? .undefined("'\(head)' is undefined")
                }
                for attribute in path { value = try Builtins.attribute(of: value, attribute) }
                var text = try value.text()
                if parts.count > 1, let width = Int(parts[1]), width > text.unicodeScalars.count {
                    let padding = String(repeating: " ", count: width - text.unicodeScalars.count)
                    text = value.number != nil ? padding + text : text + padding
                }
                out += text
            } else if scalar == "}" {
                if scalars.first == "}" { scalars.removeFirst() }
                out += "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
