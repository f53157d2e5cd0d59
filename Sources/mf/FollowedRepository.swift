import Foundation
import GitKit
import ModelFactory
import Store

/// The repository `mf serve --follow` follows, as the store names it (DESIGN.md "Scale-out"):
/// the identity of the repository `--repo` opens on this host (registered, so an older home's
/// records move to it), else `--repo` itself when the store knows that identity (the server's
/// host need not have the repository).
enum FollowedRepository {
    /// The identity to follow, or an error naming the identities the store knows.
    static func identity(_ options: RepositoryOptions, store: any FactoryStore) throws -> String {
        if let repository = try? options.openRepository() {
            return try RepositoryIdentity.register(repository, in: store).name
        }
        let given = options.repo ?? "."
        let known = try store.repositories().map(\.identity)
        if known.contains(given) { return given }
        throw UnknownRepository(given: given, known: known)
    }
}

/// A `--repo` that is neither a repository on this host nor an identity the store knows.
struct UnknownRepository: Error, CustomStringConvertible {
    /// What `--repo` said.
    let given: String
    /// The identities the store knows.
    let known: [String]

    var description: String {
        "--repo \(given) is neither a repository on this host nor a repository the store knows ("
            + (known.isEmpty ? "it knows none yet; run mf reconcile first)" : "it knows \(known.joined(separator: ", ")))")
    }
}
