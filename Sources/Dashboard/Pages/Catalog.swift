internal import Foundation
internal import GitKit
internal import ModelFactory
internal import Store

/// The store's models as the dashboard names them: each by its repository's short name (the
/// folder's name, made unique in the home) and its own name, with the links to their pages.
struct Catalog {
    let store: any FactoryStore
    let options: Dashboard.Options
    /// Every model, by repository and name.
    let models: [RegisteredModel]
    /// Each repository's short name, by the store's name for it (its identity).
    let shortNames: [String: String]
    /// The links to pages.
    let links: Links

    init(store: any FactoryStore, options: Dashboard.Options) throws {
        self.store = store
        self.options = options
        models = try store.models()
        shortNames = Self.shortNames(Set(models.map(\.repository)).sorted())
        links = Links(base: options.base)
    }

    /// The model `name` of the repository whose short name is `repository`.
    func model(repository: String, name: String) throws(DashboardError) -> RegisteredModel {
        guard let model = models.first(where: { shortNames[$0.repository] == repository && $0.name == name }) else {
            throw .notFound("model \(name) in a repository named \(repository)")
        }
        return model
    }

    /// The short name of the repository the store names `path`.
    func short(_ path: String) -> String { shortNames[path] ?? Self.slug(RepositoryIdentity(name: path).shortName) }

    /// Short names for `paths` (repository identities, sorted, so the same home always gives the
    /// same names): the last part of a path or URL without `.git`; two that clash take their
    /// parent's name in front (`team-a-churn`), and any that still clash a number after (`churn-2`).
    static func shortNames(_ paths: [String]) -> [String: String] {
        func name(_ path: String, parents: Int) -> String {
            var components = RepositoryIdentity(name: path).pathComponents
            if components.last == ".git" { components.removeLast() }
            if let last = components.last, last.hasSuffix(".git") { components[components.count - 1] = String(last.dropLast(4)) }
            return slug(components.suffix(parents + 1).joined(separator: "-"))
        }
        var names: [String: String] = [:]
        let plain = Dictionary(grouping: paths) { name($0, parents: 0) }
        var taken = Set<String>()
        for (short, group) in plain where group.count == 1 {
            names[group[0]] = short
            taken.insert(short)
        }
        for path in paths where names[path] == nil {
            var candidate = name(path, parents: 1)
            var ordinal = 2
            let stem = candidate
            while taken.contains(candidate) {
                candidate = "\(stem)-\(ordinal)"
                ordinal += 1
            }
            names[path] = candidate
            taken.insert(candidate)
        }
        return names
    }

    /// Letters, digits, `.`, `_` and `-`; anything else becomes `-`.
    static func slug(_ text: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        let slug = String(text.map { allowed.contains($0) ? $0 : "-" })
        return slug.isEmpty || slug == "." || slug == ".." ? "repository" : slug
    }

    /// What each environment of the repository `identity` should run, from its refs, when the
    /// repository is on this host (its path, else where it was last registered from) and
    /// readable; nil otherwise (the dashboard then shows only what the store says runs).
    func desired(repository identity: String) -> [EnvironmentStatus]? {
        let registered = { (try? store.repositories())?.first { $0.identity == identity }?.location }
        guard let path = RepositoryIdentity(name: identity).localPath ?? registered(), FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let repository = try Repository.open(at: path)
            let flow = try Flow.read(repository, checkingRules: false, cache: options.home.appendingPathComponent("cache"))
            return try Reconciler.environments(flow: flow, repository: repository, store: store)
        } catch {
            return nil
        }
    }
}

/// The dashboard's links: stable paths a notification or a bookmark can point at. Every
/// segment taken from the store is percent-encoded.
struct Links: Sendable {
    let base: String

    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/;?#%"))) ?? text
    }

    var models: String { base }
    var jobs: String { "\(base)/jobs" }
    var history: String { "\(base)/history" }

    func model(repository: String, name: String) -> String {
        "\(base)/repositories/\(Self.segment(repository))/models/\(Self.segment(name))"
    }
    func version(repository: String, name: String, version: String) -> String {
        "\(model(repository: repository, name: name))/versions/\(Self.segment(version))"
    }
    func compare(repository: String, name: String, a: String, b: String) -> String {
        "\(model(repository: repository, name: name))/compare?a=\(Self.query(a))&b=\(Self.query(b))"
    }
    func session(_ id: String) -> String { "\(base)/sessions/\(Self.segment(id))" }
    func log(session id: String, step: String) -> String { "\(session(id))/logs/\(Self.segment(step))" }
    func history(repository: String, environment: String) -> String {
        "\(base)/repositories/\(Self.segment(repository))/environments/\(Self.segment(environment))"
    }

    static func query(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }
}

/// A short word a person reads at a glance, coloured by what it means.
struct Badge: Encodable, Sendable {
    enum Tone: String, Encodable, Sendable { case good, warning, bad, info, quiet }
    /// The word or two shown.
    var text: String
    /// Its colour's meaning.
    var tone: Tone
    /// The sentence shown on hover.
    var detail: String?
    /// Where it leads, when it is a link.
    var href: String?
}
