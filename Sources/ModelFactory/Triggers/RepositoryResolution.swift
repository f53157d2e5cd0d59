internal import Foundation
internal import GitKit

/// Why a job's repository could not be found on this host: its identity, and what stood in the way.
public struct UnresolvedRepository: Error, CustomStringConvertible, Sendable {
    /// The identity the job names.
    public var identity: String
    /// What stood in the way, as a user reads it.
    public var reason: String
    /// Whether waiting may mend it (a fetch that failed), or not (a path that is not there).
    public var retry: Bool

    /// The sentence a user reads.
    public var description: String { "the repository \(identity) cannot be found on this host: \(reason)" }
}

extension FactoryWorker {
    /// The repository a job names, on this host: a path (or `file://` URL) is opened where it is;
    /// a network URL is fetched into a mirror in this worker's home — the one the store last
    /// registered from this home (a webhook's, fetched again with its own URL), else
    /// `mirrors/HOST/PATH.git` — and that mirror is the repository.
    func resolve(_ identity: RepositoryIdentity) async throws(UnresolvedRepository) -> Repository {
        if let path = identity.localPath {
            guard FileManager.default.fileExists(atPath: path) else {
                throw UnresolvedRepository(identity: identity.name, reason: "\(path) does not exist", retry: false)
            }
            do { return try Repository.open(at: path) } catch {
                throw UnresolvedRepository(identity: identity.name, reason: error.description, retry: error.code != .notFound)
            }
        }
        let mirrors = Mirrors(home: pipeline.home)
        var path = mirrors.path(for: identity.mirrorName)
        let registered = (try? pipeline.store.repositories())?.first { $0.identity == identity.name }?.location
        if let registered, registered.hasPrefix(mirrors.folder.path + "/"), FileManager.default.fileExists(atPath: registered) {
            path = registered
        }
        // A mirror made from a URL with credentials keeps it as its origin: fetch with that (when
        // it is this repository's), and never tell it (a job's error is kept in the store).
        let configured = try? Repository.open(at: path).remoteURL(named: "origin")
        let url = configured.flatMap { RepositoryIdentity.withoutCredentials($0) == identity.name ? $0 : nil } ?? identity.name
        func told(_ error: any Error) -> String { String(describing: error).replacingOccurrences(of: url, with: identity.name) }
        do {
            let mirror = try await mirrors.update(path, from: url)
            return try Repository.open(at: mirror.location)
        } catch {
            throw UnresolvedRepository(identity: identity.name, reason: told(error), retry: true)
        }
    }
}
