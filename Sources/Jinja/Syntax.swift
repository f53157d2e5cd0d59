/// The parsed form of a template.
indirect enum Expression: Sendable {
    case literal(Value)
    case name(String)
    case list([Expression])
    case tuple([Expression])
    case dict([(Expression, Expression)])
    case attribute(Expression, String)
    case item(Expression, Expression)
    case slice(Expression, Expression?, Expression?, Expression?)
    case call(Expression, [Expression], [(String, Expression)])
    case filter(Expression, String, [Expression], [(String, Expression)])
    case test(Expression, String, [Expression], negated: Bool)
    case not(Expression)
    case negate(Expression)
    case plus(Expression)
    case binary(String, Expression, Expression)
    case compare(Expression, [(String, Expression)])
    case and(Expression, Expression)
    case or(Expression, Expression)
    case conditional(Expression, condition: Expression, otherwise: Expression?)
}

indirect enum Node: Sendable {
    case data(String)
    case output(Expression, line: Int)
    case branch([(Expression, [Node])], otherwise: [Node], line: Int)
    case loop(targets: [String], iterable: Expression, condition: Expression?, body: [Node], otherwise: [Node], line: Int)
    case assign(targets: [String], Expression, line: Int)
    case assignBlock(String, [Node], line: Int)
    /// `{% set ns.total = … %}` on a `namespace()`.
    case assignAttribute(String, String, Expression, line: Int)
    case filterBlock(Expression, [Node], line: Int)
    case with([(String, Expression)], [Node], line: Int)
    /// cookiecutter's `{% now 'utc' [+|- 'days=1'], '%Y' %}`.
    case now(timezone: Expression, shift: (sign: String, Expression)?, format: Expression?, line: Int)
}
