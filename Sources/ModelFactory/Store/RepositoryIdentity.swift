internal import Foundation
public import GitKit
public import Store

/// A repository's name in the store, the same on every host (DESIGN.md "Scale-out"): the URL of
/// its `origin` remote with any credentials taken out, else its location (the path it is
/// registered from). Repositories, environments, jobs, events, rollouts and the reconcile lock
/// are keyed by it, so two clones of one remote, on one host or on two, are one repository.
///
/// ```swift
/// let identity = try RepositoryIdentity(try Repository.open(at: "/src/churn"))
/// identity.name       // "https://github.com/team/churn.git"
/// identity.shortName  // "churn"
/// ```
public struct RepositoryIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The name the store keys the repository by.
    public let name: String

    /// The identity of `repository`: its `origin` URL without credentials (a `file://` URL as
    /// the path it names, so both spellings of one folder are one repository), else its location.
    public init(_ repository: Repository) throws(GitError) {
        if let url = try repository.remoteURL(named: "origin"), !url.isEmpty {
            let identity = RepositoryIdentity(name: Self.withoutCredentials(url))
            name = identity.localPath ?? identity.name
        } else {
            name = repository.location
        }
    }

    /// An identity as the store holds it (a job's repository, `--repo` given by name).
    public init(name: String) { self.name = name }

    /// The name, as the store holds it.
    public var description: String { name }

    /// `url` with the credentials of its user part taken out: a password always, and for http(s)
    /// the whole user part (a token may stand alone there). An ssh user (`git@`) is not a secret
    /// and stays: it is part of where the repository is. A path is returned as it is, without a
    /// trailing `/`.
    public static func withoutCredentials(_ url: String) -> String {
        var url = url
        while url.count > 1 && url.hasSuffix("/") { url.removeLast() }
        guard let scheme = url.range(of: "://") else {
            // scp-like `user:password@host:path`, or a path.
            guard let at = url.firstIndex(of: "@"), !url[..<at].contains("/"), let colon = url[..<at].firstIndex(of: ":") else { return url }
            return String(url[..<colon]) + String(url[at...])
        }
        let authorityStart = scheme.upperBound
        let authorityEnd = url[authorityStart...].firstIndex(of: "/") ?? url.endIndex
        guard let at = url[authorityStart..<authorityEnd].lastIndex(of: "@") else { return url }
        let prefix = url[..<scheme.lowerBound].lowercased()
        let user = url[authorityStart..<at]
        let kept = prefix.hasPrefix("http") ? "" : user.split(separator: ":", maxSplits: 1).first.map { String($0) + "@" } ?? ""
        return String(url[..<authorityStart]) + kept + String(url[url.index(after: at)...])
    }

    /// The folder this identity names on this host: the path itself, or a `file://` URL's path;
    /// nil for a network URL.
    public var localPath: String? {
        if name.hasPrefix("/") { return name }
        if name.lowercased().hasPrefix("file://") {
            return URL(string: name)?.path ?? String(name.dropFirst("file://".count))
        }
        return nil
    }

    /// The parts of the path the identity names: a path's folders, or a URL's host and path
    /// (`github.com`, `team`, `churn.git`); an scp-like URL's user is left out.
    public var pathComponents: [String] {
        var rest = Substring(name)
        if let scheme = rest.range(of: "://") {
            rest = rest[scheme.upperBound...]
            let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        } else if !rest.hasPrefix("/"), let colon = rest.firstIndex(of: ":"), !rest[..<colon].contains("/") {
            // `git@github.com:team/churn.git`: the host, then the path.
            let host = String(rest[..<colon].split(separator: "@").last ?? "")
            rest = Substring(host + "/" + String(rest[rest.index(after: colon)...]))
        }
        return rest.split(separator: "/").map(String.init).filter { !$0.isEmpty && $0 != "." }
    }

    /// A readable short name: the last part of the path, without `.git` (a `.git` folder gives
    /// its parent's name): `churn` for `https://github.com/team/churn.git` and `/src/churn/.git`.
    public var shortName: String {
        var components = pathComponents
        if components.last == ".git" { components.removeLast() }
        guard let last = components.last else { return name }
        return last.hasSuffix(".git") && last.count > 4 ? String(last.dropLast(4)) : last
    }

    /// The name of this identity's mirror in a home's `mirrors/` (`github.com/team/churn`).
    public var mirrorName: String { pathComponents.joined(separator: "/") }

    /// The identity of `repository`, recorded in `store` (`FactoryStore.registerRepository`): the
    /// records an older home keeps under the repository's location move to the identity. Called
    /// whenever the factory opens a repository for work.
    @discardableResult
    public static func register(_ repository: Repository, in store: any FactoryStore) throws -> RepositoryIdentity {
        let identity = try RepositoryIdentity(repository)
        try store.registerRepository(identity: identity.name, location: repository.location)
        return identity
    }
}
