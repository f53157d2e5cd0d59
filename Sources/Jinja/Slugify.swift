import Foundation

/// python-slugify's `slugify` (its default, "legacy" pipeline), which cookiecutter's `slugify`
/// filter calls: entities decoded, quotes dropped, text transliterated to ASCII, lower-cased,
/// everything but letters, digits and dashes turned into one separator.
enum Slugify {
    static func slugify(_ input: String, _ arguments: Arguments) throws -> String {
        let entities = try arguments.value(0, "entities", .bool(true)).truth()
        let decimal = try arguments.value(1, "decimal", .bool(true)).truth()
        let hexadecimal = try arguments.value(2, "hexadecimal", .bool(true)).truth()
        let maxLength = try Builtins.integer(try arguments.value(3, "max_length", .int(0)), "slugify")
        let wordBoundary = try arguments.value(4, "word_boundary", .bool(false)).truth()
        let separator = try arguments.value(5, "separator", .string("-")).text()
        let saveOrder = try arguments.value(6, "save_order", .bool(false)).truth()
        let stopwords = try arguments.value(7, "stopwords", .list([])).iterated().map { try $0.text() }
        let pattern = try arguments.value(8, "regex_pattern", Value.none)
        let lowercase = try arguments.value(9, "lowercase", .bool(true)).truth()
        let replacements = try arguments.value(10, "replacements", .list([])).iterated().map { pair -> (String, String) in
            let items = try pair.iterated()
            guard items.count == 2 else { throw TemplateError.type("slugify: each replacement is a pair [old, new]") }
            return (try items[0].text(), try items[1].text())
        }
        let allowUnicode = try arguments.value(11, "allow_unicode", .bool(false)).truth()
        if case .none = pattern {} else { throw TemplateError.type("slugify: regex_pattern is not supported") }

        var text = input
        for (old, new) in replacements { text = text.replacingOccurrences(of: old, with: new) }
        text = text.replacingOccurrences(of: "'+", with: "-", options: .regularExpression)
        text = allowUnicode ? text.precomposedStringWithCompatibilityMapping : transliterate(text.decomposedStringWithCompatibilityMapping)
        if entities { text = decodeNamedEntities(text) }
        if decimal { text = decodeReferences(text, pattern: "&#([0-9]+);", radix: 10) }
        if hexadecimal { text = decodeReferences(text, pattern: "&#[xX]([0-9a-fA-F]+);", radix: 16) }
        text = allowUnicode ? text.precomposedStringWithCompatibilityMapping : text.decomposedStringWithCompatibilityMapping
        if lowercase { text = text.lowercased() }
        text = text.replacingOccurrences(of: "'+", with: "", options: .regularExpression)
        text = text.replacingOccurrences(of: "(?<=[0-9]),(?=[0-9])", with: "", options: .regularExpression)
        text = text.replacingOccurrences(of: allowUnicode ? "[\\W_]+" : "[^-a-zA-Z0-9]+", with: "-", options: .regularExpression)
        text = text.replacingOccurrences(of: "-{2,}", with: "-", options: .regularExpression)
        text = Text.strip(text, ["-"], leading: true, trailing: true)
        if !stopwords.isEmpty {
            let excluded = Set(stopwords.map { lowercase ? $0.lowercased() : $0 })
            text = text.split(separator: "-", omittingEmptySubsequences: false).filter { !excluded.contains(String($0)) }.joined(separator: "-")
        }
        for (old, new) in replacements { text = text.replacingOccurrences(of: old, with: new) }
        if maxLength > 0 { text = smartTruncate(text, maxLength: maxLength, wordBoundary: wordBoundary, saveOrder: saveOrder) }
        if separator != "-" { text = text.replacingOccurrences(of: "-", with: separator) }
        return text
    }

    /// Unidecode's transliteration for Latin text: marks dropped after decomposition, the letters
    /// that do not decompose spelled out; other scripts are dropped.
    static func transliterate(_ decomposed: String) -> String {
        let spelled: [Unicode.Scalar: String] = [
            "ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "OE", "đ": "d", "Đ": "D", "ł": "l",
            "Ł": "L", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "ı": "i", "ħ": "h", "Ħ": "H", "ŧ": "t", "Ŧ": "T",
            "\u{2018}": "'", "\u{2019}": "'", "\u{201C}": "\"", "\u{201D}": "\"", "\u{2013}": "-", "\u{2014}": "--",
            "\u{2026}": "...", "\u{00A0}": " ", "€": "EUR", "£": "PS", "©": "(c)", "®": "(r)", "°": "deg",
        ]
        var out = ""
        for scalar in decomposed.unicodeScalars {
            if scalar.isASCII { out.unicodeScalars.append(scalar) } else if let text = spelled[scalar] { out += text }
        }
        return out
    }

    static func decodeNamedEntities(_ text: String) -> String {
        let names = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{00A0}", "copy": "©", "reg": "®"]
        var out = text
        for (name, character) in names { out = out.replacingOccurrences(of: "&\(name);", with: character) }
        return out
    }

    static func decodeReferences(_ text: String, pattern: String, radix: Int) -> String {
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return text }
        var out = text
        for match in expression.matches(in: text, range: NSRange(text.startIndex..., in: text)).reversed() {
            guard let whole = Range(match.range, in: out), let digits = Range(match.range(at: 1), in: out),
                let code = UInt32(out[digits], radix: radix), let scalar = Unicode.Scalar(code)
            else { continue }
            out.replaceSubrange(whole, with: String(scalar))
        }
        return out
    }

    /// python-slugify's `smart_truncate` with "-" as the separator.
    static func smartTruncate(_ input: String, maxLength: Int, wordBoundary: Bool, saveOrder: Bool) -> String {
        let string = Text.strip(input, ["-"], leading: true, trailing: true)
        let scalars = Array(string.unicodeScalars)
        func prefix(_ count: Int) -> String { String(String.UnicodeScalarView(scalars.prefix(count))) }
        if scalars.count < maxLength { return string }
        if !wordBoundary { return Text.strip(prefix(maxLength), ["-"], leading: true, trailing: true) }
        if !string.contains("-") { return prefix(maxLength) }
        var truncated = ""
        for word in string.split(separator: "-", omittingEmptySubsequences: true) {
            let next = truncated.unicodeScalars.count + word.unicodeScalars.count
            if next < maxLength {
                truncated += word + "-"
            } else if next == maxLength {
                truncated += word
                break
            } else if saveOrder {
                break
            }
        }
        if truncated.isEmpty { truncated = prefix(maxLength) }
        return Text.strip(truncated, ["-"], leading: true, trailing: true)
    }
}
