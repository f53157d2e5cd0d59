internal import Foundation
public import Jinja

/// One question of a template, as a terminal would ask it.
public enum ScaffoldQuestion: Sendable {
    /// A free-text variable with its rendered default.
    case text(variable: String, prompt: String, default: String)
    /// A choice; the first option is the default. `labels` are `__prompts__`'s names for them.
    case choice(variable: String, prompt: String, options: [String], labels: [String])
    /// A yes/no variable.
    case yesNo(variable: String, prompt: String, default: Bool)
    /// A dict variable with its rendered default (answered as JSON).
    case dict(variable: String, prompt: String, default: Value)
}

extension ScaffoldQuestion {
    /// The name of the variable the question sets.
    public var variable: String {
        switch self {
        case .text(let variable, _, _), .choice(let variable, _, _, _), .yesNo(let variable, _, _), .dict(let variable, _, _): variable
        }
    }
}

/// Who answers questions: the command's terminal prompts, or nobody (`--no-input`).
public protocol ScaffoldPrompter: Sendable {
    /// The answer: a `.string` for text, the chosen option's `.string` for a choice, a `.bool`
    /// for yes/no, a `.dict` for a dict.
    func ask(_ question: ScaffoldQuestion, position: Int, of count: Int) throws -> Value
}

/// cookiecutter's answering of a template's variables (`generate_context`, `prompt_for_config`
/// and `apply_overwrites_to_context`), step for step, so defaults render alike.
public enum Answers {
    /// Parses a yes/no answer as cookiecutter's `YesNoPrompt` does.
    public static func yesNo(_ text: String) -> Bool? {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "1", "true", "t", "yes", "y", "on": true
        case "0", "false", "f", "no", "n", "off": false
        default: nil
        }
    }

    /// Applies `--set key=value` overrides: a choice must be one of its options (and becomes the
    /// default), a boolean is parsed as yes/no, a dict takes a JSON object merged key by key;
    /// an unknown key is ignored and returned.
    public static func applying(_ overrides: [(String, String)], to variables: Value.Dictionary) throws(ScaffoldError) -> (Value.Dictionary, ignored: [String])
    {
        var result = variables
        var ignored: [String] = []
        for (key, text) in overrides {
            guard let current = result[key] else {
                ignored.append(key)
                continue
            }
            switch current {
            case .list(var options):
                guard let position = options.firstIndex(of: .string(text)) else {
                    let names = options.compactMap { try? $0.text() }.joined(separator: ", ")
                    throw .invalidAnswer(variable: key, problem: "'\(text)' is not one of the choices: \(names)")
                }
                options.insert(options.remove(at: position), at: 0)
                result[key] = .list(options)
            case .bool:
                guard let flag = yesNo(text) else {
                    throw .invalidAnswer(variable: key, problem: "'\(text)' is not a yes/no answer (yes, no, true, false, 1, 0, on, off)")
                }
                result[key] = .bool(flag)
            case .dict(let dict):
                guard case .dict(let update)? = try? JSON.parse(text) else {
                    throw .invalidAnswer(variable: key, problem: "a dict variable takes a JSON object, such as {\"key\": \"value\"}")
                }
                result[key] = .dict(merged(dict, update))
            default:
                result[key] = .string(text)
            }
        }
        return (result, ignored)
    }

    private static func merged(_ base: Value.Dictionary, _ update: Value.Dictionary) -> Value.Dictionary {
        var out = base
        for (key, value) in update.pairs {
            if case .dict(let inner)? = out[key], case .dict(let change) = value {
                out[key] = .dict(merged(inner, change))
            } else {
                out[key] = value
            }
        }
        return out
    }

    /// The answers to `variables` (cookiecutter's `prompt_for_config`): private `_x` kept as
    /// they are, `__x` rendered, choices, booleans and text in a first pass (a default may use
    /// earlier answers), dicts in a second. `__prompts__` gives the questions' wording.
    public static func resolve(
        _ variables: Value.Dictionary, environment: Jinja.Environment, prompter: (any ScaffoldPrompter)?,
        known: Value.Dictionary = Value.Dictionary()
    ) throws(ScaffoldError) -> Value.Dictionary {
        var variables = variables
        let prompts: Value.Dictionary = if case .dict(let prompts)? = variables["__prompts__"] { prompts } else { Value.Dictionary() }
        variables["__prompts__"] = nil
        var answers = known
        let visible = variables.keys.filter { !$0.hasPrefix("_") }.count
        var position = 0

        func render(_ raw: Value, _ key: String) throws(ScaffoldError) -> Value {
            do { return try renderVariable(raw, answers: answers, environment: environment) } catch {
                throw .render(what: "the default of '\(key)'", error)
            }
        }
        func prompt(_ key: String) -> String {
            switch prompts[key] {
            case .string(let text)?: text
            case .dict(let labels)?: (try? labels["__prompt__"]?.text()) ?? key
            default: key
            }
        }
        func ask(_ question: ScaffoldQuestion) throws(ScaffoldError) -> Value {
            guard let prompter else { preconditionFailure("asked without a prompter") }
            do { return try prompter.ask(question, position: position, of: visible) } catch let error as ScaffoldError { throw error } catch {
                throw .invalidAnswer(variable: question.variable, problem: "\(error)")
            }
        }

        for (key, raw) in variables.pairs {
            if key.hasPrefix("_"), !key.hasPrefix("__") {
                answers[key] = raw
                continue
            }
            if key.hasPrefix("__") {
                answers[key] = try render(raw, key)
                continue
            }
            if case .dict = raw { continue }
            position += 1
            switch raw {
            case .list(let options):
                guard case .list(let rendered) = try render(.list(options), key), let first = rendered.first else {
                    throw .invalidAnswer(variable: key, problem: "the list of choices is empty")
                }
                if prompter == nil {
                    answers[key] = first
                } else {
                    let names = rendered.map { (try? $0.text()) ?? "" }
                    let labels: [String] = names.map { name in
                        if case .dict(let labels)? = prompts[key], let label = try? labels[name]?.text() { return label }
                        return name
                    }
                    answers[key] = try ask(.choice(variable: key, prompt: prompt(key), options: names, labels: labels))
                }
            case .bool(let flag):
                answers[key] = prompter == nil ? raw : try ask(.yesNo(variable: key, prompt: prompt(key), default: flag))
            default:
                let value = try render(raw, key)
                if prompter == nil || value == .none {
                    answers[key] = value
                } else {
                    answers[key] = try ask(.text(variable: key, prompt: prompt(key), default: (try? value.text()) ?? ""))
                }
            }
        }
        for (key, raw) in variables.pairs {
            guard case .dict = raw, !(key.hasPrefix("_") && !key.hasPrefix("__")) else { continue }
            if !key.hasPrefix("__") { position += 1 }
            let value = try render(raw, key)
            answers[key] = prompter == nil || key.hasPrefix("__") ? value : try ask(.dict(variable: key, prompt: prompt(key), default: value))
        }
        return answers
    }

    /// cookiecutter's `render_variable`: None and booleans as they are, dicts and lists item by
    /// item (keys too), anything else as text rendered as a template against the answers so far.
    static func renderVariable(_ raw: Value, answers: Value.Dictionary, environment: Jinja.Environment) throws(TemplateError) -> Value {
        do {
            switch raw {
            case .none, .bool: return raw
            case .dict(let dict):
                var out = Value.Dictionary()
                for (key, value) in dict.pairs {
                    let renderedKey = try renderVariable(.string(key), answers: answers, environment: environment).text()
                    out[renderedKey] = try renderVariable(value, answers: answers, environment: environment)
                }
                return .dict(out)
            case .list(let items):
                return .list(try items.map { try renderVariable($0, answers: answers, environment: environment) })
            default:
                let text = try raw.text()
                let template = try Template(text, environment: environment)
                return .string(try template.render(Value.Dictionary([("cookiecutter", .dict(answers))])))
            }
        } catch let error as TemplateError { throw error } catch { throw TemplateError(.type, "\(error)") }
    }
}
