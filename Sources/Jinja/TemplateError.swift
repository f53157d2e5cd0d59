/// Why a template could not be parsed or rendered, and where.
public struct TemplateError: Error, Sendable, CustomStringConvertible {
    /// What went wrong: the template's syntax, a missing name, or a value of the wrong type.
    public enum Kind: String, Sendable {
        /// The template's text is not valid Jinja.
        case syntax
        /// A variable, key or attribute that does not exist was used.
        case undefined
        /// An operation on values of the wrong type, or a bad argument.
        case type
    }

    /// What kind of failure this is.
    public let kind: Kind
    /// What failed, in Jinja's words (for `.undefined`, such as "'name' is undefined").
    public let message: String
    /// The template's name (a file's path inside the template), when known.
    public var template: String?
    /// The 1-based line in the template, when known.
    public var line: Int?

    /// An error of `kind` with `message`; the template's name and the line are added when known.
    public init(_ kind: Kind, _ message: String, template: String? = nil, line: Int? = nil) {
        self.kind = kind
        self.message = message
        self.template = template
        self.line = line
    }

    static func syntax(_ message: String, line: Int) -> TemplateError { TemplateError(.syntax, message, line: line) }
    static func undefined(_ name: String) -> TemplateError { TemplateError(.undefined, name) }
    static func type(_ message: String) -> TemplateError { TemplateError(.type, message) }

    /// The error with a line filled in when it has none yet.
    func at(line: Int) -> TemplateError {
        var copy = self
        if copy.line == nil { copy.line = line }
        return copy
    }

    /// "template:line: message", with "syntax error: " before the message of a syntax error and the place left out when unknown.
    public var description: String {
        var place = template ?? ""
        if let line { place += place.isEmpty ? "line \(line)" : ":\(line)" }
        let what = kind == .syntax ? "syntax error: " : ""
        return (place.isEmpty ? "" : place + ": ") + what + message
    }
}
