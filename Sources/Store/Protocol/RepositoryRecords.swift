public import Foundation

/// A repository the store knows, by its identity (DESIGN.md "Scale-out"): the name every record
/// of it is keyed by, the same on every host.
public struct RepositoryRecord: Codable, Sendable, Equatable {
    /// Its identity: the `origin` URL without credentials, else the path it was registered from.
    public var identity: String
    /// The local path it was last registered from (on whichever host did it); nil for a
    /// repository recorded before the store kept it.
    public var location: String?
    /// When the store first saw it.
    public var createdAt: Date

    /// A repository record with every field given.
    public init(identity: String, location: String?, createdAt: Date) {
        self.identity = identity
        self.location = location
        self.createdAt = createdAt
    }
}

/// A held lock that serialises the work on one repository (`FactoryStore.lockRepository`).
public protocol RepositoryLock: Sendable {
    /// Lets the next waiter in; the lock is also let go when its holder's process ends.
    func unlock()
}

/// The `.mf/traffic.yaml` of an environment's head as the reconciler last saw it, so a server
/// that follows the environment needs only the store (no repository on its host).
public struct TrafficRecord: Codable, Sendable, Equatable {
    /// The repository's identity.
    public var repository: String
    /// The environment (`production`).
    public var environment: String
    /// The commit of the environment's head the declaration was read at; nil when the repository
    /// has no such line.
    public var commit: String?
    /// The text of `.mf/traffic.yaml` at that commit; nil when the commit has none.
    public var declaration: String?
    /// When the reconciler recorded it.
    public var recordedAt: Date

    /// A traffic record with every field given.
    public init(repository: String, environment: String, commit: String?, declaration: String?, recordedAt: Date) {
        self.repository = repository
        self.environment = environment
        self.commit = commit
        self.declaration = declaration
        self.recordedAt = recordedAt
    }
}
