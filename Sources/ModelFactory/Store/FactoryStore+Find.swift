public import Store

extension FactoryStore {
    /// The session a user names: a session id (or a unique prefix of at least four characters),
    /// else a version (`1.2.0` or `v1.2.0`, or `churn@v1.2.0` as a repository of several models
    /// tags it): the newest session of that version, passed ones first. `model` and `repository`
    /// (a repository's path as the store names it) narrow the search.
    public func findSession(_ name: String, model: String? = nil, repository: String? = nil) throws(StoreError) -> NamedSession {
        var model = model
        var version = name
        // `churn@v1.2.0` names its model as the tag does.
        if let at = name.lastIndex(of: "@"), at != name.startIndex {
            let named = String(name[..<at])
            if let model, model != named { throw StoreError.otherModel(name, model) }
            model = named
            version = String(name[name.index(after: at)...])
        }
        if version == name, name.count >= 4 {
            let byID = try sessions(idPrefix: name.lowercased(), model: model, repository: repository)
            if byID.count == 1 { return byID[0] }
            if byID.count > 1 { throw StoreError.ambiguous(name, byID.map { String($0.session.id.prefix(12)) }) }
        }
        let wanted = Version(version.hasPrefix("v") ? String(version.dropFirst()) : version)
        // Versions compare semantically (1.0 is 1.0.0), so the versioned sessions are compared here.
        let candidates = wanted == nil ? [] : try versionedSessions(model: model, repository: repository)
        let byVersion = candidates.filter { candidate in
            guard let wanted, let found = candidate.session.version.flatMap(Version.init) else { return false }
            return found == wanted
        }
        if let found = byVersion.first(where: { $0.session.status == .passed }) ?? byVersion.first {
            let models = Set(byVersion.map(\.model))
            if models.count > 1 { throw StoreError.ambiguous(name, models.sorted().map { "\($0)@\(version)" }) }
            return found
        }
        throw StoreError.notFound(name)
    }
}
