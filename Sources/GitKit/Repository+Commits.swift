internal import CGit2

extension Repository {
    /// Reads one commit.
    public func commit(_ id: ObjectID) throws(GitError) -> Commit {
        try withHandle { handle throws(GitError) in
            let commit = try lookupCommit(handle, id)
            defer { git_commit_free(commit) }
            return readCommit(commit, id: id)
        }
    }

    /// The commit a revision names: a branch, tag, full or short id, or an expression such as
    /// `HEAD~2` or `v1.0^{commit}`. Tags are peeled; a revision that ends at a tree or blob throws.
    public func resolveCommit(_ revision: String) throws(GitError) -> ObjectID {
        try withHandle { handle throws(GitError) in
            var object: OpaquePointer?
            try check("git_revparse_single", "cannot find revision '\(revision)'", reference: revision) {
                git_revparse_single(&object, handle, revision)
            }
            defer { git_object_free(object) }
            var commit: OpaquePointer?
            try check("git_object_peel", "'\(revision)' does not name a commit", reference: revision) {
                git_object_peel(&commit, object, GIT_OBJECT_COMMIT)
            }
            defer { git_object_free(commit) }
            return ObjectID(git_object_id(commit)!)
        }
    }

    /// True when `ancestor` is `descendant` or one of its ancestors (as `git merge-base --is-ancestor`).
    public func isAncestor(_ ancestor: ObjectID, of descendant: ObjectID) throws(GitError) -> Bool {
        if ancestor == descendant { return true }
        return try withHandle { handle throws(GitError) in
            var commit = descendant.oid
            var other = ancestor.oid
            let result = try check(
                "git_graph_descendant_of", "cannot decide ancestry of \(ancestor.short) and \(descendant.short)"
            ) { git_graph_descendant_of(handle, &commit, &other) }
            return result == 1
        }
    }

    /// The best common ancestor of two commits, nil when their histories are unrelated.
    public func mergeBase(_ one: ObjectID, _ other: ObjectID) throws(GitError) -> ObjectID? {
        try withHandle { handle throws(GitError) in
            var base = git_oid()
            var left = one.oid
            var right = other.oid
            let result = git_merge_base(&base, handle, &left, &right)
            if result == GIT_ENOTFOUND.rawValue { return nil }
            guard result == 0 else {
                throw lastError(
                    code: result, function: "git_merge_base",
                    operation: "cannot find the merge base of \(one.short) and \(other.short)",
                    repository: location)
            }
            return ObjectID(base)
        }
    }

    /// The first-parent history from `tip`, newest first, `tip` included.
    public func firstParentHistory(from tip: ObjectID, limit: Int = .max) throws(GitError) -> [ObjectID] {
        try walk(from: [tip], hiding: [], firstParentOnly: true, sorted: true, limit: limit)
    }

    /// The set of commits reachable from `tips` (the tips included), in no order: the fastest way
    /// to ask "is this commit on that line?" for many commits at once.
    public func reachableCommits(from tips: [ObjectID]) throws(GitError) -> Set<ObjectID> {
        guard !tips.isEmpty else { return [] }
        return Set(try walk(from: tips, hiding: [], firstParentOnly: false, sorted: false, limit: .max))
    }

    /// Every commit reachable from `tips` and not from `hiding`, newest first (`git rev-list`).
    public func commits(from tips: [ObjectID], hiding: [ObjectID] = []) throws(GitError) -> [ObjectID] {
        try walk(from: tips, hiding: hiding, firstParentOnly: false, sorted: true, limit: .max)
    }

    private func walk(
        from tips: [ObjectID], hiding: [ObjectID], firstParentOnly: Bool, sorted: Bool, limit: Int
    ) throws(GitError) -> [ObjectID] {
        try withHandle { handle throws(GitError) in
            var walker: OpaquePointer?
            try check("git_revwalk_new", "cannot walk history") { git_revwalk_new(&walker, handle) }
            defer { git_revwalk_free(walker) }
            let order = sorted ? GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue : GIT_SORT_NONE.rawValue
            _ = git_revwalk_sorting(walker, order)
            if firstParentOnly { _ = git_revwalk_simplify_first_parent(walker) }
            for tip in tips {
                var oid = tip.oid
                try check("git_revwalk_push", "cannot walk history from \(tip.short)", reference: tip.hex) {
                    git_revwalk_push(walker, &oid)
                }
            }
            for hidden in hiding {
                var oid = hidden.oid
                try check("git_revwalk_hide", "cannot walk history hiding \(hidden.short)", reference: hidden.hex) {
                    git_revwalk_hide(walker, &oid)
                }
            }
            var ids: [ObjectID] = []
            var oid = git_oid()
            while ids.count < limit {
                let result = git_revwalk_next(&oid, walker)
                if result == GIT_ITEROVER.rawValue { break }
                guard result == 0 else {
                    throw lastError(
                        code: result, function: "git_revwalk_next", operation: "cannot walk history",
                        repository: location, reference: tips.first?.hex)
                }
                ids.append(ObjectID(oid))
            }
            return ids
        }
    }

    func lookupCommit(_ handle: OpaquePointer, _ id: ObjectID) throws(GitError) -> OpaquePointer {
        var oid = id.oid
        var commit: OpaquePointer?
        try check("git_commit_lookup", "cannot read commit \(id.short)", reference: id.hex) {
            git_commit_lookup(&commit, handle, &oid)
        }
        return commit!
    }

    func readCommit(_ commit: OpaquePointer, id: ObjectID) -> Commit {
        let count = git_commit_parentcount(commit)
        return Commit(
            id: id,
            parents: (0..<count).map { ObjectID(git_commit_parent_id(commit, $0)!) },
            tree: ObjectID(git_commit_tree_id(commit)!),
            author: Signature(git_commit_author(commit)!),
            committer: Signature(git_commit_committer(commit)!),
            message: lenientString(git_commit_message(commit), default: ""))
    }
}
