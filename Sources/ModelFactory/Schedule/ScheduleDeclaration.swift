public import Foundation
public import GitKit
internal import Yams

/// The schedules declared in git: `.mf/schedule.yaml` on the production line's head, read by
/// `mf worker` (which fires them) and `mf schedule` (which lists them). Each entry has a name, a
/// five-field cron expression (`CronExpression`), an explicit IANA time zone, a catch-up policy
/// for instants missed while no worker ran, the model (in a monorepo), and one action. Paths
/// are on the worker's host, not in the repository: fresh data lives outside git.
///
/// ```yaml
/// nightly:
///   cron: "0 2 * * *"
///   timezone: Europe/Berlin
///   catch_up: once                  # or skip (the default)
///   model: churn                    # default: the repository's one model
///   train: { data: /data/churn/latest.csv }      # or { command: [sh, -c, "pull > $MF_DATA_FILE"] }
/// morning-scores:
///   cron: "30 6 * * MON-FRI"
///   timezone: America/New_York
///   score: { input: /data/churn/today.csv, output: /data/churn/scores.csv }
/// weekly-check:
///   cron: "0 8 * * SUN"
///   timezone: UTC
///   evaluate: { data: /data/churn/holdout.csv }
/// ```
public struct ScheduleDeclaration: Sendable, Equatable {
    /// The file's path inside the repository, read from the production line's head.
    public static let path = ".mf/schedule.yaml"

    /// What instants missed while no worker ran come to.
    public enum CatchUp: String, Sendable, Codable {
        /// None of them fires; they are recorded as skipped.
        case skip
        /// The newest of them fires once; the others are recorded as skipped.
        case once
    }

    /// What a fire does, as the fire's record keeps it (JSON: `{"kind":"train","data":"/d.csv"}`).
    public struct Action: Sendable, Equatable, Codable {
        /// The three things a schedule can do.
        public enum Kind: String, Sendable, Codable {
            /// Train the production head on fresh data into a candidate version.
            case train
            /// Score a file with the version in service.
            case score
            /// Evaluate the version in service on a file.
            case evaluate
        }

        /// Which of the three.
        public var kind: Kind
        /// `train`: the data file on the worker's host; `evaluate`: the data to evaluate on.
        public var data: String?
        /// `train`: the command that writes fresh data to the file `$MF_DATA_FILE` names.
        public var command: [String]?
        /// `score`: the input file.
        public var input: String?
        /// `score`: the output file.
        public var output: String?

        /// An action with its fields; those that do not apply to `kind` stay nil.
        public init(kind: Kind, data: String? = nil, command: [String]? = nil, input: String? = nil, output: String? = nil) {
            self.kind = kind
            self.data = data
            self.command = command
            self.input = input
            self.output = output
        }

        /// The action as JSON text (keys sorted), as a fire records it.
        public var json: String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
        }

        /// The action a fire recorded; nil when its text is not one.
        public init?(json: String) {
            guard let action = try? JSONDecoder().decode(Action.self, from: Data(json.utf8)) else { return nil }
            self = action
        }

        /// The action in a few words: `train on /data/x.csv`, `score /in.csv into /out.csv`.
        public var summary: String {
            switch kind {
            case .train: "train on " + (data ?? command.map { "the output of " + $0.joined(separator: " ") } ?? "?")
            case .score: "score \(input ?? "?") into \(output ?? "?")"
            case .evaluate: "evaluate on \(data ?? "?")"
            }
        }
    }

    /// One entry of the file.
    public struct Entry: Sendable, Equatable {
        /// Its name, the key in the file; fires are recorded under it.
        public var name: String
        /// When it fires, read in `timeZone`.
        public var cron: CronExpression
        /// The zone its cron expression is read in.
        public var timeZone: TimeZone
        /// What missed instants come to.
        public var catchUp: CatchUp
        /// The model it acts on, as written; nil for the repository's one model.
        public var model: String?
        /// What it does.
        public var action: Action

        /// An entry with every field given.
        public init(name: String, cron: CronExpression, timeZone: TimeZone, catchUp: CatchUp = .skip, model: String? = nil, action: Action) {
            self.name = name
            self.cron = cron
            self.timeZone = timeZone
            self.catchUp = catchUp
            self.model = model
            self.action = action
        }

        /// The next fire after `instant`.
        public func next(after instant: Date) -> Date? { cron.next(after: instant, in: timeZone) }
    }

    /// The entries, by name.
    public var entries: [Entry] = []

    /// A declaration with no entry, as when the production line has no `.mf/schedule.yaml`.
    public init(entries: [Entry] = []) { self.entries = entries }

    /// Parses the file; throws `ManifestError` naming the file, each entry and field that is wrong.
    public static func parse(_ text: String, file: String = path) throws(ManifestError) -> ScheduleDeclaration {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw ManifestError(file: file, problems: [.init(path: "", message: "not valid YAML: \(error)")])
        }
        guard let node else { return ScheduleDeclaration() }
        guard let mapping = node.mapping else {
            throw ManifestError(file: file, problems: [.init(path: "", message: "expected a mapping of entry names to entries")])
        }
        var declaration = ScheduleDeclaration()
        var problems: [ManifestError.Problem] = []
        for (key, value) in mapping {
            guard let name = key.string, !name.isEmpty else {
                problems.append(.init(path: "?", message: "an entry's name must be text"))
                continue
            }
            let (entry, found) = Self.entry(name, value)
            problems += found
            if let entry { declaration.entries.append(entry) }
        }
        guard problems.isEmpty else { throw ManifestError(file: file, problems: problems) }
        declaration.entries.sort { $0.name < $1.name }
        return declaration
    }

    private static func entry(_ name: String, _ node: Node) -> (Entry?, [ManifestError.Problem]) {
        var problems: [ManifestError.Problem] = []
        guard let fields = node.mapping else {
            return (nil, [.init(path: name, message: "expected a mapping with cron, timezone, catch_up, model and one of train, score, evaluate")])
        }
        var cron: CronExpression?
        var zone: TimeZone?
        var catchUp = CatchUp.skip
        var model: String?
        var actions: [Action] = []
        for (key, value) in fields {
            let field = key.string ?? "?"
            switch field {
            case "cron":
                guard let text = value.string else {
                    problems.append(at(name, field, "expected a cron expression such as \"0 2 * * *\""))
                    continue
                }
                do { cron = try CronExpression(text) } catch { problems.append(at(name, field, error.description)) }
            case "timezone":
                guard let identifier = value.string, let found = TimeZone(identifier: identifier) else {
                    problems.append(at(name, field, "'\(value.string ?? "")' is not an IANA time zone such as Europe/Berlin or UTC"))
                    continue
                }
                zone = found
            case "catch_up":
                guard let text = value.string, let policy = CatchUp(rawValue: text) else {
                    problems.append(at(name, field, "expected skip or once"))
                    continue
                }
                catchUp = policy
            case "model":
                guard let text = value.string, !text.isEmpty else {
                    problems.append(at(name, field, "expected a model's name"))
                    continue
                }
                model = text
            case "train", "score", "evaluate":
                if let action = Self.action(field, value, entry: name, problems: &problems) { actions.append(action) }
            default:
                problems.append(at(name, field, "unknown setting; expected cron, timezone, catch_up, model, train, score or evaluate"))
            }
        }
        let keys = Set(fields.map { $0.key.string ?? "" })
        if !keys.contains("cron") { problems.append(at(name, "cron", "missing; expected a cron expression such as \"0 2 * * *\"")) }
        if !keys.contains("timezone") { problems.append(at(name, "timezone", "missing; every entry names its IANA time zone (Europe/Berlin, UTC)")) }
        let declaredActions = keys.intersection(["train", "score", "evaluate"])
        if declaredActions.isEmpty { problems.append(.init(path: name, message: "no action; expected one of train, score, evaluate")) }
        if declaredActions.count > 1 {
            problems.append(.init(path: name, message: "more than one action (\(declaredActions.sorted().joined(separator: ", "))); an entry does one"))
        }
        guard problems.isEmpty, let cron, let zone, let action = actions.first else { return (nil, problems) }
        return (Entry(name: name, cron: cron, timeZone: zone, catchUp: catchUp, model: model, action: action), [])
    }

    /// A problem at `field` of entry `entry`.
    private static func at(_ entry: String, _ field: String, _ message: String) -> ManifestError.Problem {
        .init(path: "\(entry).\(field)", message: message)
    }

    private static func action(_ kind: String, _ node: Node, entry: String, problems: inout [ManifestError.Problem]) -> Action? {
        let path = "\(entry).\(kind)"
        let expected =
            switch kind {
            case "train": "expected { data: /absolute/path } or { command: [program, arguments…] }"
            case "score": "expected { input: /absolute/path, output: /absolute/path }"
            default: "expected { data: /absolute/path }"
            }
        guard let fields = node.mapping else {
            problems.append(.init(path: path, message: expected))
            return nil
        }
        var values: [String: String] = [:]
        var command: [String]?
        let before = problems.count
        for (key, value) in fields {
            let field = key.string ?? "?"
            let allowed = kind == "train" ? ["data", "command"] : kind == "score" ? ["input", "output"] : ["data"]
            guard allowed.contains(field) else {
                problems.append(.init(path: "\(path).\(field)", message: "unknown setting; \(expected)"))
                continue
            }
            if field == "command" {
                guard let list = value.sequence?.compactMap(\.string), !list.isEmpty, list.count == value.sequence?.count else {
                    problems.append(.init(path: "\(path).command", message: "expected a list: the program and its arguments"))
                    continue
                }
                command = list
                continue
            }
            guard let text = value.string, text.hasPrefix("/") else {
                problems.append(
                    .init(path: "\(path).\(field)", message: "expected an absolute path on the worker's host (data is not read from the repository)"))
                continue
            }
            values[field] = text
        }
        guard problems.count == before else { return nil }
        switch kind {
        case "train":
            guard (values["data"] == nil) != (command == nil) else {
                problems.append(.init(path: path, message: "\(expected): one of the two"))
                return nil
            }
            return Action(kind: .train, data: values["data"], command: command)
        case "score":
            guard let input = values["input"], let output = values["output"] else {
                problems.append(.init(path: path, message: expected))
                return nil
            }
            return Action(kind: .score, input: input, output: output)
        default:
            guard let data = values["data"] else {
                problems.append(.init(path: path, message: expected))
                return nil
            }
            return Action(kind: .evaluate, data: data)
        }
    }

    /// The declaration at `commit` of `repository`, empty when the file is not there; throws
    /// `ManifestError` (naming the file at the commit) for a broken one.
    public static func read(_ repository: Repository, commit: ObjectID) throws -> ScheduleDeclaration {
        let data: Data
        do {
            data = try repository.file(at: path, in: commit)
        } catch  where error.code == .notFound {
            return ScheduleDeclaration()
        } catch {
            throw error
        }
        return try parse(String(decoding: data, as: UTF8.self), file: "\(path) at \(commit.short)")
    }
}

extension Flow {
    /// What is wrong with `.mf/schedule.yaml` at the production head of `repository` (whose flow
    /// this is), one violation per problem, each naming the entry and field: `mf check` reports
    /// them beside the flow's own.
    public func scheduleViolations(_ repository: Repository) -> [Violation] {
        guard let production, let commit = production.commit else { return [] }
        let ref = "refs/heads/\(production.branch)"
        func violation(_ message: String) -> Violation { Violation(rule: .brokenSchedule, message: message, refs: [ref], commits: [commit]) }
        do {
            let declaration = try ScheduleDeclaration.read(repository, commit: commit)
            guard !declaration.entries.isEmpty else { return [] }
            let source = ScheduleSource(
                repository: repository.location, commit: commit, since: Date(), declaration: declaration,
                models: try Pipeline.models(repository, commit: commit).map(\.name))
            return declaration.entries.compactMap { entry -> Violation? in
                do {
                    _ = try source.model(of: entry)
                    return nil
                } catch {
                    return violation(String(describing: error))
                }
            }
        } catch let error as ManifestError {
            return error.problems.map { problem in violation("\(error.file): \(problem.description)") }
        } catch {
            return [violation("\(ScheduleDeclaration.path) at \(commit.short) cannot be read: \(error)")]
        }
    }
}
