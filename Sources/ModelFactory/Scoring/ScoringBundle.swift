public import Store

extension FactoryStore {
    /// The bundle `mf score` names: `MODEL@VERSION` (`1.2.0` or `v1.2.0`) that version's bundle,
    /// `MODEL@ENV` (an environment name, `production`) the version the environment serves, plain
    /// `MODEL` the newest release. `repository` (an identity) narrows to one repository's model;
    /// without it a model name bundled in several repositories is an error naming them.
    public func scoringBundle(_ name: String, repository: String?) throws -> (bundle: BundleRecord, model: String) {
        let at = name.lastIndex(of: "@")
        let model = at.map { String(name[..<$0]) } ?? name
        let qualifier = at.map { String(name[name.index(after: $0)...]) }
        let registered = try models().filter { $0.name == model && (repository == nil || $0.repository == repository) }
        let ids = Set(registered.map(\.id))
        let candidates = try bundles().filter { $0.model == model && ids.contains($0.bundle.modelId) }.map(\.bundle)
        guard !candidates.isEmpty else {
            let bundled = Set(try bundles().map(\.model)).sorted()
            let place = repository.map { " of \($0)" } ?? ""
            throw ScoreError.noBundle(
                name,
                reason: "the store has no bundle of a model '\(model)'\(place)"
                    + (bundled.isEmpty ? " (it has no bundles; run mf bundle or mf reconcile)" : " (bundled models: \(bundled.joined(separator: ", ")))"))
        }
        let holders = Set(candidates.map(\.modelId))
        guard holders.count == 1 else {
            let repositories = registered.filter { holders.contains($0.id) }.map(\.repository).sorted()
            throw ScoreError.noBundle(
                name, reason: "models named \(model) in several repositories have bundles (\(repositories.joined(separator: ", "))); name one with --repo")
        }
        let versions = candidates.map(\.version).sorted { (Version($0) ?? Version(major: 0)) < (Version($1) ?? Version(major: 0)) }
        guard let qualifier else {
            let releases = candidates.filter { $0.tag != nil }
            guard let newest = releases.max(by: { (Version($0.version) ?? Version(major: 0)) < (Version($1.version) ?? Version(major: 0)) }) else {
                throw ScoreError.noBundle(
                    name, reason: "\(model) has no release bundle, only \(versions.joined(separator: ", ")); name one as \(model)@VERSION")
            }
            return (newest, model)
        }
        if let wanted = Version(qualifier.hasPrefix("v") ? String(qualifier.dropFirst()) : qualifier) {
            guard let found = candidates.first(where: { Version($0.version) == wanted }) else {
                throw ScoreError.noBundle(name, reason: "\(model) has no bundle of version \(qualifier) (its bundles: \(versions.joined(separator: ", ")))")
            }
            return (found, model)
        }
        let holder = registered.filter { holders.contains($0.id) }.map(\.repository)
        let environments = try Set(holder).sorted().flatMap { try self.environments(repository: $0) }.filter { $0.model == model }
        guard let environment = environments.first(where: { $0.name == qualifier }) else {
            let names = Set(environments.map(\.name)).sorted()
            throw ScoreError.noBundle(
                name,
                reason: "'\(qualifier)' is neither a version of \(model) nor an environment serving it"
                    + (names.isEmpty ? " (no environment serves it yet; run mf reconcile)" : " (its environments: \(names.joined(separator: ", ")))"))
        }
        guard let found = candidates.first(where: { $0.version == environment.version }) else {
            throw ScoreError.noBundle(name, reason: "\(qualifier) serves \(model) \(environment.version), which has no bundle in the store")
        }
        return (found, model)
    }
}
