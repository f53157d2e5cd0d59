public import Foundation

/// What every template of one render shares: Jinja's whitespace options, cookiecutter's
/// date format and clock, and extra global functions.
public struct Environment: Sendable {
    /// Drop the first newline after a block tag (Jinja's `trim_blocks`).
    public var trimBlocks = false
    /// Strip spaces and tabs before a block tag at the start of a line (Jinja's `lstrip_blocks`).
    public var lstripBlocks = false
    /// The format of `{% now 'utc' %}` without one (cookiecutter's `datetime_format`).
    public var datetimeFormat = "%Y-%m-%d"
    /// The clock behind `{% now %}`; fixed in tests.
    public var now: @Sendable () -> Date = { Date() }

    /// Jinja's defaults: no block trimming, dates as `%Y-%m-%d`, the system clock.
    public init() {}

    /// The options cookiecutter takes from `_jinja2_env_vars`; an option this renderer does not
    /// have is an error rather than a silently different output.
    public init(options: Value.Dictionary) throws {
        for (key, value) in options.pairs {
            switch key {
            case "trim_blocks": trimBlocks = try value.truth()
            case "lstrip_blocks": lstripBlocks = try value.truth()
            case "keep_trailing_newline", "optimized", "auto_reload", "cache_size": continue
            case "autoescape" where !(try value.truth()): continue
            default: throw TemplateError.type("the Jinja option '\(key)' in _jinja2_env_vars is not supported")
            }
        }
    }

    var lexerOptions: Lexer.Options { Lexer.Options(trimBlocks: trimBlocks, lstripBlocks: lstripBlocks) }
}

/// A parsed template. Rendering follows Jinja 3 as cookiecutter configures it: undefined names
/// are errors, trailing newlines are kept, nothing is HTML-escaped.
public struct Template: Sendable {
    /// The template's name in its errors (a file's path inside the template), nil when none was given.
    public let name: String?
    let nodes: [Node]
    let environment: Environment

    /// Parses `source` with the environment's whitespace options; a syntax error throws a `TemplateError` with `name` and the line.
    public init(_ source: String, name: String? = nil, environment: Environment = Environment()) throws {
        self.name = name
        self.environment = environment
        do {
            nodes = try Parser.parse(source, options: environment.lexerOptions)
        } catch var error as TemplateError {
            error.template = name
            throw error
        }
    }

    /// Renders with `context` as the template's global names.
    public func render(_ context: Value.Dictionary) throws -> String {
        var renderer = Renderer(environment: environment, globals: context)
        do {
            var out = ""
            try renderer.render(nodes, into: &out)
            return out
        } catch var error as TemplateError {
            error.template = name
            throw error
        }
    }
}

/// Walks the nodes of a template with a stack of scopes.
struct Renderer {
    let environment: Environment
    var scopes: [Value.Dictionary]

    init(environment: Environment, globals: Value.Dictionary) {
        self.environment = environment
        scopes = [globals]
    }

    func lookup(_ name: String) -> Value {
        for scope in scopes.reversed() {
            if let value = scope[name] { return value }
        }
        if let builtin = Builtins.global(name, environment: environment) { return builtin }
        return .undefined("'\(name)' is undefined")
    }

    mutating func assign(_ name: String, _ value: Value) {
        scopes[scopes.count - 1][name] = value
    }

    mutating func render(_ nodes: [Node], into out: inout String) throws {
        for node in nodes { try render(node, into: &out) }
    }

    private mutating func render(_ node: Node, into out: inout String) throws {
        switch node {
        case .data(let text):
            out += text
        case .output(let expression, let line):
            do { out += try evaluate(expression).text() } catch let error as TemplateError { throw error.at(line: line) }
        case .branch(let branches, let otherwise, let line):
            for (condition, body) in branches {
                let taken: Bool
                do { taken = try evaluate(condition).truth() } catch let error as TemplateError { throw error.at(line: line) }
                if taken { return try render(body, into: &out) }
            }
            try render(otherwise, into: &out)
        case .loop(let targets, let iterable, let condition, let body, let otherwise, let line):
            try loop(targets: targets, iterable: iterable, condition: condition, body: body, otherwise: otherwise, line: line, into: &out)
        case .assign(let targets, let expression, let line):
            do {
                let value = try evaluate(expression)
                try unpack(targets, value)
            } catch let error as TemplateError { throw error.at(line: line) }
        case .assignAttribute(let name, let attribute, let expression, let line):
            do {
                let value = try evaluate(expression)
                guard let position = scopes.lastIndex(where: { $0[name] != nil }), case .dict(var namespace) = scopes[position][name]! else {
                    throw TemplateError.type("cannot assign attribute on non-namespace object '\(name)'")
                }
                namespace[attribute] = value
                scopes[position][name] = .dict(namespace)
            } catch let error as TemplateError { throw error.at(line: line) }
        case .assignBlock(let name, let body, _):
            let captured = try capture(body)
            assign(name, .string(captured))
        case .filterBlock(let filter, let body, let line):
            let captured = try capture(body)
            scopes.append(Value.Dictionary([("", .string(captured))]))
            defer { scopes.removeLast() }
            do { out += try evaluate(filter).text() } catch let error as TemplateError { throw error.at(line: line) }
        case .with(let assignments, let body, let line):
            var scope = Value.Dictionary()
            do {
                for (name, expression) in assignments { scope[name] = try evaluate(expression) }
            } catch let error as TemplateError { throw error.at(line: line) }
            scopes.append(scope)
            defer { scopes.removeLast() }
            try render(body, into: &out)
        case .now(let timezone, let shift, let format, let line):
            do {
                let zone = try evaluate(timezone).text()
                let pattern = try format.map { try evaluate($0).text() } ?? environment.datetimeFormat
                let offset = try shift.map { (sign: $0.sign, text: try evaluate($0.1).text()) }
                out += try Clock.format(environment.now(), timezone: zone, shift: offset, format: pattern)
            } catch let error as TemplateError { throw error.at(line: line) }
        }
    }

    /// A block's output; what it sets stays inside it, as in Jinja.
    private mutating func capture(_ body: [Node]) throws -> String {
        scopes.append(Value.Dictionary())
        defer { scopes.removeLast() }
        var captured = ""
        try render(body, into: &captured)
        return captured
    }

    private mutating func unpack(_ targets: [String], _ value: Value) throws {
        if targets.count == 1 { return assign(targets[0], value) }
        let items = try value.iterated()
        guard items.count == targets.count else {
            throw TemplateError.type(
                items.count > targets.count
                    ? "too many values to unpack (expected \(targets.count))"
                    : "not enough values to unpack (expected \(targets.count), got \(items.count))")
        }
        for (name, item) in zip(targets, items) { assign(name, item) }
    }

    private mutating func loop(
        targets: [String], iterable: Expression, condition: Expression?, body: [Node], otherwise: [Node], line: Int,
        into out: inout String
    ) throws {
        var items: [Value]
        do { items = try evaluate(iterable).iterated() } catch let error as TemplateError { throw error.at(line: line) }
        if let condition {
            var kept: [Value] = []
            for item in items {
                scopes.append(Value.Dictionary())
                defer { scopes.removeLast() }
                try unpack(targets, item)
                do { if try evaluate(condition).truth() { kept.append(item) } } catch let error as TemplateError { throw error.at(line: line) }
            }
            items = kept
        }
        if items.isEmpty {
            scopes.append(Value.Dictionary())
            defer { scopes.removeLast() }
            return try render(otherwise, into: &out)
        }
        let count = items.count
        for (position, item) in items.enumerated() {
            // Each iteration starts from a fresh scope: what the body sets does not carry over.
            scopes.append(Value.Dictionary())
            defer { scopes.removeLast() }
            do { try unpack(targets, item) } catch let error as TemplateError { throw error.at(line: line) }
            var state = Value.Dictionary([
                ("index", .int(position + 1)), ("index0", .int(position)),
                ("revindex", .int(count - position)), ("revindex0", .int(count - position - 1)),
                ("first", .bool(position == 0)), ("last", .bool(position == count - 1)),
                ("length", .int(count)), ("depth", .int(1)), ("depth0", .int(0)),
            ])
            if position > 0 { state["previtem"] = items[position - 1] }
            if position + 1 < count { state["nextitem"] = items[position + 1] }
            state["cycle"] = .function(
                Value.Function(name: "cycle") { arguments in
                    guard !arguments.positional.isEmpty else { throw TemplateError.type("no items for cycling given") }
                    return arguments.positional[position % arguments.positional.count]
                })
            assign("loop", .dict(state))
            try render(body, into: &out)
        }
    }

    // MARK: Expressions

    func evaluate(_ expression: Expression) throws -> Value {
        switch expression {
        case .literal(let value): return value
        case .name(let name): return lookup(name)
        case .list(let items): return .list(try items.map { try evaluate($0) })
        case .tuple(let items): return .tuple(try items.map { try evaluate($0) })
        case .dict(let pairs):
            var dict = Value.Dictionary()
            for (key, value) in pairs { dict[try evaluate(key).text()] = try evaluate(value) }
            return .dict(dict)
        case .attribute(let base, let name): return try Builtins.attribute(of: try evaluate(base), name)
        case .item(let base, let key): return try Builtins.item(of: try evaluate(base), try evaluate(key))
        case .slice(let base, let start, let stop, let step):
            return try Builtins.slice(try evaluate(base), start.map { try evaluate($0) }, stop.map { try evaluate($0) }, step.map { try evaluate($0) })
        case .call(let callee, let positional, let keyword):
            let function = try evaluate(callee)
            guard case .function(let body) = function else {
                if case .undefined(let name) = function { throw TemplateError.undefined(name) }
                throw TemplateError.type("'\(function.typeName)' object is not callable")
            }
            return try body.call(
                Arguments(
                    positional: try positional.map { try evaluate($0) },
                    keyword: try keyword.map { ($0.0, try evaluate($0.1)) }, function: body.name))
        case .filter(let base, let name, let positional, let keyword):
            let value = try evaluate(base)
            let arguments = Arguments(
                positional: try positional.map { try evaluate($0) }, keyword: try keyword.map { ($0.0, try evaluate($0.1)) }, function: name)
            return try Filters.apply(name, value, arguments, renderer: self)
        case .test(let base, let name, let arguments, let negated):
            let result = try Builtins.test(name, try evaluate(base), try arguments.map { try evaluate($0) }, renderer: self)
            return .bool(result != negated)
        case .not(let operand): return .bool(!(try evaluate(operand).truth()))
        case .negate(let operand):
            switch try evaluate(operand) {
            case .int(let value):
                let (negated, overflow) = Int(0).subtractingReportingOverflow(value)
                return overflow ? .double(-Double(value)) : .int(negated)
            case .double(let value): return .double(-value)
            case .bool(let value): return .int(value ? -1 : 0)
            case .undefined(let name): throw TemplateError.undefined(name)
            case let other: throw TemplateError.type("bad operand type for unary -: '\(other.typeName)'")
            }
        case .plus(let operand): return try evaluate(operand)
        case .binary(let op, let left, let right): return try Builtins.binary(op, try evaluate(left), try evaluate(right))
        case .compare(let first, let operations):
            var left = try evaluate(first)
            for (op, expression) in operations {
                let right = try evaluate(expression)
                if !(try Builtins.compare(op, left, right)) { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .and(let left, let right):
            let value = try evaluate(left)
            return try value.truth() ? try evaluate(right) : value
        case .or(let left, let right):
            let value = try evaluate(left)
            return try value.truth() ? value : try evaluate(right)
        case .conditional(let value, let condition, let otherwise):
            if try evaluate(condition).truth() { return try evaluate(value) }
            return try otherwise.map { try evaluate($0) } ?? .string("")
        }
    }
}
