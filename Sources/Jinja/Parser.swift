/// Jinja's grammar, for the statements and expressions templates use: `if/elif/else`, `for`
/// (with `else`, a filter and unpacking), `set` (and its block form), `filter`, `with`, `raw`
/// (in the lexer), and cookiecutter's `now`. Expressions follow Jinja's precedence.
struct Parser {
    private let tokens: [Token]
    private var index = 0

    init(tokens: [Token]) { self.tokens = tokens }

    static func parse(_ source: String, options: Lexer.Options = Lexer.Options()) throws -> [Node] {
        var parser = Parser(tokens: try Lexer.tokenize(source, options: options))
        let (nodes, end) = try parser.nodes(until: [])
        if let end { throw TemplateError.syntax("Encountered unknown tag '\(end.name)'.", line: end.line) }
        return nodes
    }

    private var current: Token? { index < tokens.count ? tokens[index] : nil }
    private var line: Int { current?.line ?? tokens.last?.line ?? 1 }

    private func isOperator(_ op: String) -> Bool { current?.kind == .operator && current?.text == op }
    private func isName(_ name: String) -> Bool { current?.kind == .name && current?.text == name }

    private mutating func skip(operator op: String) -> Bool {
        if isOperator(op) {
            index += 1
            return true
        }
        return false
    }

    private mutating func skip(name: String) -> Bool {
        if isName(name) {
            index += 1
            return true
        }
        return false
    }

    private mutating func expect(operator op: String) throws {
        guard skip(operator: op) else { throw unexpected(expected: "'\(op)'") }
    }

    private mutating func expectName() throws -> String {
        guard let token = current, token.kind == .name else { throw unexpected(expected: "a name") }
        index += 1
        return token.text
    }

    private mutating func expectEnd(of kind: Token.Kind) throws {
        guard current?.kind == kind else { throw unexpected(expected: kind == .blockEnd ? "end of statement block" : "end of print statement") }
        index += 1
    }

    private func unexpected(expected: String) -> TemplateError {
        guard let token = current else { return .syntax("Unexpected end of template, expected \(expected).", line: line) }
        let found: String =
            switch token.kind {
            case .blockEnd: "end of statement block"
            case .variableEnd: "end of print statement"
            case .data: "template data"
            case .string: "string"
            default: "'\(token.text)'"
            }
        return .syntax("expected \(expected), got \(found)", line: token.line)
    }

    /// Nodes until one of `ends` (a block tag's name); returns that end tag, left after its name.
    private mutating func nodes(until ends: Set<String>) throws -> ([Node], (name: String, line: Int)?) {
        var nodes: [Node] = []
        while let token = current {
            switch token.kind {
            case .data:
                nodes.append(.data(token.text))
                index += 1
            case .variableBegin:
                index += 1
                let expression = try self.expression()
                try expectEnd(of: .variableEnd)
                nodes.append(.output(expression, line: token.line))
            case .blockBegin:
                index += 1
                let name = try expectName()
                if ends.contains(name) { return (nodes, (name, token.line)) }
                nodes.append(try statement(name, line: token.line, enclosing: ends))
            default:
                throw unexpected(expected: "template data")
            }
        }
        if !ends.isEmpty {
            let list = ends.sorted().map { "'\($0)'" }.joined(separator: " or ")
            throw TemplateError.syntax("Unexpected end of template. Jinja was looking for the following tags: \(list).", line: line)
        }
        return (nodes, nil)
    }

    private mutating func statement(_ name: String, line: Int, enclosing: Set<String>) throws -> Node {
        switch name {
        case "if":
            var branches: [(Expression, [Node])] = []
            var condition = try expression()
            while true {
                try expectEnd(of: .blockEnd)
                let (body, end) = try nodes(until: ["elif", "else", "endif"])
                branches.append((condition, body))
                switch end?.name {
                case "elif": condition = try expression()
                case "else":
                    try expectEnd(of: .blockEnd)
                    let (otherwise, _) = try nodes(until: ["endif"])
                    try expectEnd(of: .blockEnd)
                    return .branch(branches, otherwise: otherwise, line: line)
                default:
                    try expectEnd(of: .blockEnd)
                    return .branch(branches, otherwise: [], line: line)
                }
            }
        case "for":
            var targets = [try expectName()]
            while skip(operator: ",") { targets.append(try expectName()) }
            guard skip(name: "in") else { throw unexpected(expected: "'in'") }
            // Without the inline `if`, which would swallow the loop's filter.
            let iterable = try or()
            let condition = skip(name: "if") ? try or() : nil
            _ = skip(name: "recursive")
            try expectEnd(of: .blockEnd)
            let (body, end) = try nodes(until: ["else", "endfor"])
            var otherwise: [Node] = []
            if end?.name == "else" {
                try expectEnd(of: .blockEnd)
                otherwise = try nodes(until: ["endfor"]).0
            }
            try expectEnd(of: .blockEnd)
            return .loop(targets: targets, iterable: iterable, condition: condition, body: body, otherwise: otherwise, line: line)
        case "set":
            let first = try expectName()
            if skip(operator: ".") {
                let attribute = try expectName()
                try expect(operator: "=")
                let value = try tuple()
                try expectEnd(of: .blockEnd)
                return .assignAttribute(first, attribute, value, line: line)
            }
            var targets = [first]
            while skip(operator: ",") { targets.append(try expectName()) }
            if skip(operator: "=") {
                let value = try tuple()
                try expectEnd(of: .blockEnd)
                return .assign(targets: targets, value, line: line)
            }
            try expectEnd(of: .blockEnd)
            let (body, _) = try nodes(until: ["endset"])
            try expectEnd(of: .blockEnd)
            return .assignBlock(targets[0], body, line: line)
        case "filter":
            // `{% filter upper %}` or `{% filter replace('a', 'b') %}`: a filter applied to the body.
            var expression = Expression.name("")
            repeat { expression = try filter(on: expression) } while skip(operator: "|")
            try expectEnd(of: .blockEnd)
            let (body, _) = try nodes(until: ["endfilter"])
            try expectEnd(of: .blockEnd)
            return .filterBlock(expression, body, line: line)
        case "with":
            var assignments: [(String, Expression)] = []
            while current?.kind != .blockEnd {
                if !assignments.isEmpty { try expect(operator: ",") }
                let name = try expectName()
                try expect(operator: "=")
                assignments.append((name, try expression()))
            }
            try expectEnd(of: .blockEnd)
            let (body, _) = try nodes(until: ["endwith"])
            try expectEnd(of: .blockEnd)
            return .with(assignments, body, line: line)
        case "now":
            let value = try expression()
            let format = skip(operator: ",") ? try expression() : nil
            try expectEnd(of: .blockEnd)
            if case .binary(let op, let timezone, let offset) = value, op == "+" || op == "-" {
                return .now(timezone: timezone, shift: (op, offset), format: format, line: line)
            }
            return .now(timezone: value, shift: nil, format: format, line: line)
        case "include", "import", "from", "extends", "macro", "call", "block":
            throw TemplateError.syntax("the '\(name)' tag is not supported by this renderer", line: line)
        default:
            if !enclosing.isEmpty {
                let list = enclosing.sorted().map { "'\($0)'" }.joined(separator: " or ")
                throw TemplateError.syntax("Encountered unknown tag '\(name)'. Jinja was looking for the following tags: \(list).", line: line)
            }
            throw TemplateError.syntax("Encountered unknown tag '\(name)'.", line: line)
        }
    }

    // MARK: Expressions

    /// `a, b` as a list (in `set`), else one expression.
    private mutating func tuple() throws -> Expression {
        let first = try expression()
        guard isOperator(",") else { return first }
        var items = [first]
        while skip(operator: ",") {
            if current?.kind == .blockEnd || current?.kind == .variableEnd { break }
            items.append(try expression())
        }
        return .tuple(items)
    }

    mutating func expression() throws -> Expression {
        var value = try or()
        while skip(name: "if") {
            let condition = try or()
            let otherwise = skip(name: "else") ? try expression() : nil
            value = .conditional(value, condition: condition, otherwise: otherwise)
        }
        return value
    }

    private mutating func or() throws -> Expression {
        var left = try and()
        while skip(name: "or") { left = .or(left, try and()) }
        return left
    }

    private mutating func and() throws -> Expression {
        var left = try not()
        while skip(name: "and") { left = .and(left, try not()) }
        return left
    }

    private mutating func not() throws -> Expression {
        if skip(name: "not") { return .not(try not()) }
        return try compare()
    }

    private mutating func compare() throws -> Expression {
        let left = try math1()
        var operations: [(String, Expression)] = []
        while true {
            if let token = current, token.kind == .operator, ["==", "!=", "<", ">", "<=", ">="].contains(token.text) {
                index += 1
                operations.append((token.text, try math1()))
            } else if skip(name: "in") {
                operations.append(("in", try math1()))
            } else if isName("not"), index + 1 < tokens.count, tokens[index + 1].kind == .name, tokens[index + 1].text == "in" {
                index += 2
                operations.append(("notin", try math1()))
            } else {
                break
            }
        }
        return operations.isEmpty ? left : .compare(left, operations)
    }

    private mutating func math1() throws -> Expression {
        var left = try concat()
        while let token = current, token.kind == .operator, token.text == "+" || token.text == "-" {
            index += 1
            left = .binary(token.text, left, try concat())
        }
        return left
    }

    private mutating func concat() throws -> Expression {
        var left = try math2()
        while skip(operator: "~") { left = .binary("~", left, try math2()) }
        return left
    }

    private mutating func math2() throws -> Expression {
        var left = try power()
        while let token = current, token.kind == .operator, ["*", "/", "//", "%"].contains(token.text) {
            index += 1
            left = .binary(token.text, left, try power())
        }
        return left
    }

    private mutating func power() throws -> Expression {
        var left = try unary(withFilter: true)
        while skip(operator: "**") { left = .binary("**", left, try unary(withFilter: true)) }
        return left
    }

    private mutating func unary(withFilter: Bool) throws -> Expression {
        var node: Expression
        if skip(operator: "-") {
            node = .negate(try unary(withFilter: false))
        } else if skip(operator: "+") {
            node = .plus(try unary(withFilter: false))
        } else {
            node = try postfix(try primary())
        }
        if withFilter { node = try filterExpression(node) }
        return node
    }

    private mutating func primary() throws -> Expression {
        guard let token = current else { throw unexpected(expected: "an expression") }
        switch token.kind {
        case .name:
            index += 1
            switch token.text {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(token.text)
            }
        case .string:
            var text = token.text
            index += 1
            while let next = current, next.kind == .string {
                text += next.text
                index += 1
            }
            return .literal(.string(text))
        case .integer:
            index += 1
            guard let number = Int(token.text) else {
                throw TemplateError.syntax("the integer \(token.text) is beyond 64 bits, which this renderer does not support", line: token.line)
            }
            return .literal(.int(number))
        case .float:
            index += 1
            return .literal(.double(Double(token.text) ?? 0))
        case .operator where token.text == "(":
            index += 1
            if skip(operator: ")") { return .tuple([]) }
            let first = try expression()
            if skip(operator: ")") { return first }
            var items = [first]
            while skip(operator: ",") {
                if isOperator(")") { break }
                items.append(try expression())
            }
            try expect(operator: ")")
            return .tuple(items)
        case .operator where token.text == "[":
            index += 1
            var items: [Expression] = []
            while !skip(operator: "]") {
                if !items.isEmpty {
                    try expect(operator: ",")
                    if skip(operator: "]") { break }
                }
                items.append(try expression())
            }
            return .list(items)
        case .operator where token.text == "{":
            index += 1
            var pairs: [(Expression, Expression)] = []
            while !skip(operator: "}") {
                if !pairs.isEmpty {
                    try expect(operator: ",")
                    if skip(operator: "}") { break }
                }
                let key = try expression()
                try expect(operator: ":")
                pairs.append((key, try expression()))
            }
            return .dict(pairs)
        default:
            throw unexpected(expected: "an expression")
        }
    }

    private mutating func postfix(_ start: Expression) throws -> Expression {
        var node = start
        while true {
            if skip(operator: ".") {
                guard let token = current, token.kind == .name || token.kind == .integer else { throw unexpected(expected: "an attribute name") }
                index += 1
                node = token.kind == .integer ? .item(node, .literal(.int(Int(token.text) ?? 0))) : .attribute(node, token.text)
            } else if skip(operator: "[") {
                node = try subscriptOrSlice(node)
            } else if isOperator("(") {
                let (positional, keyword) = try callArguments()
                node = .call(node, positional, keyword)
            } else {
                return node
            }
        }
    }

    private mutating func subscriptOrSlice(_ node: Expression) throws -> Expression {
        var parts: [Expression?] = []
        var current: Expression? = nil
        var isSlice = false
        while !skip(operator: "]") {
            if skip(operator: ":") {
                isSlice = true
                parts.append(current)
                current = nil
            } else {
                current = try expression()
            }
        }
        if !isSlice {
            guard let current else { throw unexpected(expected: "a subscript") }
            return .item(node, current)
        }
        parts.append(current)
        while parts.count < 3 { parts.append(nil) }
        return .slice(node, parts[0], parts[1], parts[2])
    }

    private mutating func callArguments() throws -> ([Expression], [(String, Expression)]) {
        try expect(operator: "(")
        var positional: [Expression] = []
        var keyword: [(String, Expression)] = []
        while !skip(operator: ")") {
            if !positional.isEmpty || !keyword.isEmpty {
                try expect(operator: ",")
                if skip(operator: ")") { break }
            }
            if let token = current, token.kind == .name, index + 1 < tokens.count,
                tokens[index + 1].kind == .operator, tokens[index + 1].text == "="
            {
                index += 2
                keyword.append((token.text, try expression()))
            } else {
                positional.append(try expression())
            }
        }
        return (positional, keyword)
    }

    private mutating func filterExpression(_ start: Expression) throws -> Expression {
        var node = start
        while true {
            if skip(operator: "|") {
                node = try filter(on: node)
            } else if skip(name: "is") {
                let negated = skip(name: "not")
                var name = try expectName()
                while skip(operator: ".") { name += "." + (try expectName()) }
                var arguments: [Expression] = []
                if isOperator("(") {
                    arguments = try callArguments().0
                } else if let token = current,
                    [.name, .string, .integer, .float].contains(token.kind) || (token.kind == .operator && ["[", "{", "-"].contains(token.text)),
                    !(token.kind == .name && ["else", "or", "and", "if", "in", "not", "is"].contains(token.text))
                {
                    arguments = [try primary()]
                    arguments[0] = try postfix(arguments[0])
                }
                node = .test(node, name, arguments, negated: negated)
            } else if isOperator("(") {
                let (positional, keyword) = try callArguments()
                node = .call(node, positional, keyword)
            } else {
                return node
            }
        }
    }

    private mutating func filter(on node: Expression) throws -> Expression {
        var name = try expectName()
        while skip(operator: ".") { name += "." + (try expectName()) }
        var positional: [Expression] = []
        var keyword: [(String, Expression)] = []
        if isOperator("(") { (positional, keyword) = try callArguments() }
        return .filter(node, name, positional, keyword)
    }
}
