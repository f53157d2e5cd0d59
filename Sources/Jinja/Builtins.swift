import Foundation

/// Jinja's operators, attribute rules, globals, tests and filters, plus cookiecutter's
/// (`jsonify`, `slugify`, `uuid4`, `random_ascii_string`).
enum Builtins {
    // MARK: Names and attributes

    static func global(_ name: String, environment: Environment) -> Value? {
        switch name {
        case "range":
            return function("range") { arguments in
                let numbers = try arguments.positional.map { try integer($0, "range") }
                let (start, stop, step) =
                    switch numbers.count {
                    case 1: (0, numbers[0], 1)
                    case 2: (numbers[0], numbers[1], 1)
                    case 3: (numbers[0], numbers[1], numbers[2])
                    default: throw TemplateError.type("range expected 1 to 3 arguments, got \(numbers.count)")
                    }
                guard step != 0 else { throw TemplateError.type("range() arg 3 must not be zero") }
                let (span, overflow) = stop.subtractingReportingOverflow(start)
                guard !overflow, span / step < 100_000 else { throw TemplateError.type("range too big, maximum size is 100000") }
                return .list(stride(from: start, to: stop, by: step).map { .int($0) })
            }
        case "dict", "namespace":
            return function(name) { arguments in .dict(Value.Dictionary(arguments.keyword)) }
        case "uuid4":
            return function("uuid4") { _ in .string(UUID().uuidString.lowercased()) }
        case "random_ascii_string":
            return function("random_ascii_string") { arguments in
                let length = try checkedSize(try integer(try arguments.value(0, "length"), "random_ascii_string"), "random_ascii_string")
                let punctuation = try arguments.value(1, "punctuation", .bool(false)).truth()
                let corpus = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" + (punctuation ? "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~" : ""))
                var generator = SystemRandomNumberGenerator()
                return .string(String((0..<max(0, length)).map { _ in corpus.randomElement(using: &generator)! }))
            }
        default:
            return nil
        }
    }

    static func function(_ name: String, _ call: @escaping @Sendable (Arguments) throws -> Value) -> Value {
        .function(Value.Function(name: name, call: call))
    }

    static func integer(_ value: Value, _ context: String) throws -> Int {
        switch value {
        case .int(let number): return number
        case .bool(let flag): return flag ? 1 : 0
        case .undefined(let name): throw TemplateError.undefined(name)
        default: throw TemplateError.type("\(context): '\(value.typeName)' object cannot be interpreted as an integer")
        }
    }

    /// `value.name`: Python's attribute first (methods of str, list, dict), then the item.
    static func attribute(of value: Value, _ name: String) throws -> Value {
        switch value {
        case .undefined(let message): throw TemplateError.undefined(message)
        case .string(let string): if let method = Methods.string(string, name) { return method }
        case .list(let items): if let method = Methods.list(items, name) { return method }
        case .dict(let dict):
            if let method = Methods.dict(dict, name) { return method }
            if let item = dict[name] { return item }
        default: break
        }
        return .undefined("'\(value.typeName) object' has no attribute '\(name)'")
    }

    /// `value[key]`: the item first, then the attribute.
    static func item(of value: Value, _ key: Value) throws -> Value {
        switch (value, key) {
        case (.undefined(let message), _), (_, .undefined(let message)): throw TemplateError.undefined(message)
        case (.dict(let dict), .string(let name)):
            if let item = dict[name] { return item }
            return try attribute(of: value, name)
        case (.list(let items), _), (.tuple(let items), _):
            let position = try integer(key, "list index")
            let resolved = position < 0 ? items.count + position : position
            return items.indices.contains(resolved) ? items[resolved] : .undefined("list object has no element \(position)")
        case (.string(let string), _):
            let scalars = Array(string.unicodeScalars)
            let position = try integer(key, "string index")
            let resolved = position < 0 ? scalars.count + position : position
            return scalars.indices.contains(resolved) ? .string(String(scalars[resolved])) : .undefined("str object has no element \(position)")
        case (_, .string(let name)):
            return try attribute(of: value, name)
        default:
            return .undefined("'\(value.typeName) object' has no attribute '\(try key.text())'")
        }
    }

    static func slice(_ value: Value, _ start: Value?, _ stop: Value?, _ step: Value?) throws -> Value {
        func bound(_ value: Value?) throws -> Int? {
            guard let value, case .none = value else { return try value.map { try integer($0, "slice indices") } }
            return nil
        }
        let stride = try bound(step) ?? 1
        guard stride != 0 else { throw TemplateError.type("slice step cannot be zero") }
        func positions(_ count: Int) throws -> [Int] {
            func clamp(_ index: Int?, _ fallback: Int) -> Int {
                guard var index else { return fallback }
                if index < 0 { index += count }
                return stride > 0 ? min(max(index, 0), count) : min(max(index, -1), count - 1)
            }
            let from = clamp(try bound(start), stride > 0 ? 0 : count - 1)
            let to = clamp(try bound(stop), stride > 0 ? count : -1)
            return Array(Swift.stride(from: from, to: to, by: stride))
        }
        switch value {
        case .undefined(let message): throw TemplateError.undefined(message)
        case .list(let items): return .list(try positions(items.count).map { items[$0] })
        case .tuple(let items): return .tuple(try positions(items.count).map { items[$0] })
        case .string(let string):
            let scalars = Array(string.unicodeScalars)
            var out = String.UnicodeScalarView()
            for position in try positions(scalars.count) { out.append(scalars[position]) }
            return .string(String(out))
        default: throw TemplateError.type("'\(value.typeName)' object is not subscriptable")
        }
    }

    // MARK: Operators

    static func binary(_ op: String, _ left: Value, _ right: Value) throws -> Value {
        if case .undefined(let message) = left { throw TemplateError.undefined(message) }
        if case .undefined(let message) = right { throw TemplateError.undefined(message) }
        func unsupported() -> TemplateError {
            .type("unsupported operand type(s) for \(op): '\(left.typeName)' and '\(right.typeName)'")
        }
        switch op {
        case "~": return .string(try left.text() + right.text())
        case "+":
            switch (left, right) {
            case (.string(let a), .string(let b)): return .string(a + b)
            case (.list(let a), .list(let b)): return .list(a + b)
            case (.tuple(let a), .tuple(let b)): return .tuple(a + b)
            default: return try arithmetic(left, right, unsupported(), { $0.addingReportingOverflow($1) }, +)
            }
        case "-": return try arithmetic(left, right, unsupported(), { $0.subtractingReportingOverflow($1) }, -)
        case "*":
            switch (left, right) {
            case (.string(let text), .int(let count)), (.int(let count), .string(let text)):
                let times =
                    count <= 0
                    ? 0
                    : try checkedSize(
                        count.multipliedReportingOverflow(by: max(1, text.utf8.count)).overflow ? Int.max : count * max(1, text.utf8.count),
                        "repeating a string") / max(1, text.utf8.count)
                return .string(String(repeating: text, count: times))
            case (.list(let items), .int(let count)), (.int(let count), .list(let items)):
                let times =
                    count <= 0
                    ? 0
                    : try checkedSize(
                        count.multipliedReportingOverflow(by: max(1, items.count)).overflow ? Int.max : count * max(1, items.count), "repeating a list")
                        / max(1, items.count)
                return .list(Array((0..<times).map { _ in items }.joined()))
            default: return try arithmetic(left, right, unsupported(), { $0.multipliedReportingOverflow(by: $1) }, *)
            }
        case "/":
            guard let a = left.number, let b = right.number else { throw unsupported() }
            guard b != 0 else { throw TemplateError.type("division by zero") }
            return .double(a / b)
        case "//":
            guard left.number != nil, let b = right.number else { throw unsupported() }
            guard b != 0 else { throw TemplateError.type("integer division or modulo by zero") }
            if case .int(let x) = left, case .int(let y) = right {
                let (quotient, overflow) = x.dividedReportingOverflow(by: y)
                guard !overflow else { throw TemplateError.type("integer overflow in \(x) // \(y)") }
                return .int((x % y != 0 && (x < 0) != (y < 0)) ? quotient - 1 : quotient)
            }
            return .double((left.number! / b).rounded(.down))
        case "%":
            if case .string(let format) = left {
                let values: [Value] = if case .tuple(let items) = right { items } else { [right] }
                return .string(try percentFormat(format, values))
            }
            guard left.number != nil, let b = right.number else { throw unsupported() }
            guard b != 0 else { throw TemplateError.type("integer division or modulo by zero") }
            if case .int(let x) = left, case .int(let y) = right {
                let remainder = x.remainderReportingOverflow(dividingBy: y).partialValue
                return .int(remainder != 0 && (remainder < 0) != (y < 0) ? remainder + y : remainder)
            }
            let a = left.number!
            let remainder = a.truncatingRemainder(dividingBy: b)
            return .double(remainder != 0 && (remainder < 0) != (b < 0) ? remainder + b : remainder)
        case "**":
            if case .int(let x) = left, case .int(let y) = right, y >= 0 {
                // By squaring: a huge exponent of 0, 1 or -1 ends at once, others overflow soon.
                var result = 1
                var base = x
                var exponent = y
                while exponent > 0 {
                    if exponent & 1 == 1 {
                        let (product, overflow) = result.multipliedReportingOverflow(by: base)
                        guard !overflow else { return .double(pow(Double(x), Double(y))) }
                        result = product
                    }
                    exponent >>= 1
                    if exponent > 0 {
                        let (square, overflow) = base.multipliedReportingOverflow(by: base)
                        guard !overflow else { return .double(pow(Double(x), Double(y))) }
                        base = square
                    }
                }
                return .int(result)
            }
            guard let a = left.number, let b = right.number else { throw unsupported() }
            return .double(pow(a, b))
        default:
            throw TemplateError.type("unknown operator \(op)")
        }
    }

    private static func arithmetic(
        _ left: Value, _ right: Value, _ unsupported: TemplateError,
        _ integers: (Int, Int) -> (partialValue: Int, overflow: Bool), _ doubles: (Double, Double) -> Double
    ) throws -> Value {
        // Booleans count as the ints 0 and 1, as in Python.
        func asInt(_ value: Value) -> Int? {
            switch value {
            case .int(let number): number
            case .bool(let flag): flag ? 1 : 0
            default: nil
            }
        }
        if let a = asInt(left), let b = asInt(right) {
            let (value, overflow) = integers(a, b)
            return overflow ? .double(doubles(Double(a), Double(b))) : .int(value)
        }
        guard let a = left.number, let b = right.number else { throw unsupported }
        return .double(doubles(a, b))
    }

    static func compare(_ op: String, _ left: Value, _ right: Value) throws -> Bool {
        switch op {
        case "==": return try left.equals(right)
        case "!=": return try !left.equals(right)
        case "<": return try left.less(than: right)
        case ">": return try right.less(than: left)
        case "<=": return try !right.less(than: left)
        case ">=": return try !left.less(than: right)
        case "in": return try contains(right, left)
        case "notin": return try !contains(right, left)
        default: throw TemplateError.type("unknown comparison \(op)")
        }
    }

    static func contains(_ container: Value, _ element: Value) throws -> Bool {
        switch container {
        case .undefined(let message): throw TemplateError.undefined(message)
        case .string(let string):
            guard case .string(let needle) = element else {
                if case .undefined(let message) = element { throw TemplateError.undefined(message) }
                throw TemplateError.type("'in <string>' requires string as left operand, not \(element.typeName)")
            }
            return needle.isEmpty || string.contains(needle)
        case .list(let items), .tuple(let items): return try items.contains { try $0.equals(element) }
        case .dict(let dict):
            if case .undefined(let message) = element { throw TemplateError.undefined(message) }
            guard case .string(let key) = element else { return false }
            return dict[key] != nil
        default: throw TemplateError.type("argument of type '\(container.typeName)' is not iterable")
        }
    }

    /// Python's `format % values` for the conversions templates use: flags, width and precision,
    /// and `s r d i f e E g G x X o c %`. Anything else is an error, never handed to C's printf.
    static func percentFormat(_ format: String, _ values: [Value]) throws -> String {
        var out = ""
        var remaining = values[...]
        var scalars = format.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == "%" else {
                out.unicodeScalars.append(scalar)
                continue
            }
            var spec = ""
            var conversion: Unicode.Scalar?
            while let next = scalars.next() {
                if "sdirfeEgGxXoc%".unicodeScalars.contains(next) {
                    conversion = next
                    break
                }
                spec.unicodeScalars.append(next)
            }
            guard let conversion else { throw TemplateError.type("incomplete format") }
            if conversion == "%", spec.isEmpty {
                out += "%"
                continue
            }
            guard spec.range(of: #"^[-+ 0#]*[0-9]{0,4}(\.[0-9]{1,4})?$"#, options: .regularExpression) != nil else {
                throw TemplateError.type("unsupported format '%\(spec)\(conversion)'")
            }
            guard let value = remaining.popFirst() else { throw TemplateError.type("not enough arguments for format string") }
            let precision = spec.split(separator: ".").dropFirst().first.flatMap { Int($0) }
            let layout = spec.split(separator: ".").first.map(String.init) ?? ""
            switch conversion {
            case "s", "r", "c":
                var text: String
                if conversion == "c", case .int(let code) = value {
                    guard let scalar = Unicode.Scalar(UInt32(clamping: max(0, code))) else { throw TemplateError.type("%c arg not in range") }
                    text = String(scalar)
                } else {
                    text = conversion == "r" ? try value.repr() : try value.text()
                }
                if let precision { text = String(String.UnicodeScalarView(text.unicodeScalars.prefix(precision))) }
                out += pad(text, layout)
            case "d", "i", "x", "X", "o":
                let integer: Int
                switch value {
                case .int(let number): integer = number
                case .bool(let flag): integer = flag ? 1 : 0
                case .double(let number):
                    guard number.isFinite, abs(number) < 9.2e18 else { throw TemplateError.type("%\(conversion) format: \(number) is out of range") }
                    integer = Int(number.rounded(.towardZero))
                default: throw TemplateError.type("%\(conversion) format: a real number is required, not \(value.typeName)")
                }
                if conversion == "d" || conversion == "i" {
                    out += String(format: "%" + spec + "ld", integer)
                } else {
                    let magnitude = String(format: "%" + spec + "l" + String(conversion), integer.magnitude)
                    out += integer < 0 ? "-" + magnitude.trimmingCharacters(in: .whitespaces) : magnitude
                }
            default:
                guard let number = value.number else { throw TemplateError.type("must be real number, not \(value.typeName)") }
                out += String(format: "%" + spec + String(conversion), number)
            }
        }
        if !remaining.isEmpty { throw TemplateError.type("not all arguments converted during string formatting") }
        return out
    }

    private static func pad(_ text: String, _ spec: String) -> String {
        let left = spec.contains("-")
        guard let width = Int(spec.drop { "-+ 0#".contains($0) }), width > text.unicodeScalars.count else { return text }
        return Text.justify(text, width: width, fill: " ", how: left ? "ljust" : "rjust")
    }

    // MARK: Tests

    static func test(_ name: String, _ value: Value, _ arguments: [Value], renderer: Renderer) throws -> Bool {
        func argument() throws -> Value {
            guard let first = arguments.first else { throw TemplateError.type("the test '\(name)' needs an argument") }
            return first
        }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        default: break
        }
        if case .undefined(let message) = value { throw TemplateError.undefined(message) }
        switch name {
        case "none": if case .none = value { return true } else { return false }
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .double = value { return true } else { return false }
        case "number":
            switch value {
            case .int, .double, .bool: return true
            default: return false
            }
        case "string": if case .string = value { return true } else { return false }
        case "mapping": if case .dict = value { return true } else { return false }
        case "sequence", "iterable":
            switch value {
            case .list, .tuple, .dict, .string: return true
            default: return false
            }
        case "callable": if case .function = value { return true } else { return false }
        case "lower": if case .string(let text) = value { return text == text.lowercased() } else { return false }
        case "upper": if case .string(let text) = value { return text == text.uppercased() } else { return false }
        case "odd": return try integer(value, "odd") % 2 != 0
        case "even": return try integer(value, "even") % 2 == 0
        case "divisibleby":
            let divisor = try integer(try argument(), "divisibleby")
            guard divisor != 0 else { throw TemplateError.type("integer division or modulo by zero") }
            return try integer(value, "divisibleby").remainderReportingOverflow(dividingBy: divisor).partialValue == 0
        case "eq", "equalto", "==": return try value.equals(try argument())
        case "ne", "!=": return try !value.equals(try argument())
        case "lt", "lessthan", "<": return try value.less(than: try argument())
        case "le", "<=": return try !(try argument()).less(than: value)
        case "gt", "greaterthan", ">": return try (try argument()).less(than: value)
        case "ge", ">=": return try !value.less(than: try argument())
        case "in": return try contains(try argument(), value)
        case "sameas": return try value.equals(try argument())
        case "filter": if case .string(let filter) = try argument() { return Filters.names.contains(filter) } else { return false }
        case "test": if case .string(let test) = try argument() { return testNames.contains(test) } else { return false }
        case "escaped": return false
        default: throw TemplateError(.syntax, "No test named '\(name)'.")
        }
    }

    static let testNames: Set<String> = [
        "defined", "undefined", "none", "boolean", "true", "false", "integer", "float", "number", "string", "mapping",
        "sequence", "iterable", "callable", "lower", "upper", "odd", "even", "divisibleby", "eq", "equalto", "ne",
        "lt", "lessthan", "le", "gt", "greaterthan", "ge", "in", "sameas", "filter", "test", "escaped",
    ]
}
