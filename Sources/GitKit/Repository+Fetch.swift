internal import CGit2
internal import Foundation

extension Repository {
    /// Fetches `refspecs` from `url` (a path, `file://`, or a network URL) into this repository,
    /// pruning references the remote no longer has when `prune` is set. Returns the branch the
    /// remote's HEAD names (`refs/heads/main`), when it advertises one.
    @discardableResult
    public func fetch(from url: String, refspecs: [String], prune: Bool = false) throws(GitError) -> String? {
        let resolved = try rewritingInsteadOf(url)
        return try withHandle { handle throws(GitError) in
            // libgit2 1.5 looks `url.*.insteadOf` up with its regex config iterator, which leaks
            // for every key; the rewrite is done above instead, and skipped here.
            var createOptions = git_remote_create_options()
            try check("git_remote_create_options_init", "cannot fetch from '\(url)'") {
                git_remote_create_options_init(&createOptions, UInt32(GIT_REMOTE_CREATE_OPTIONS_VERSION))
            }
            createOptions.repository = handle
            createOptions.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF.rawValue | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC.rawValue
            var remote: OpaquePointer?
            try check("git_remote_create_with_opts", "cannot fetch from '\(url)'") {
                git_remote_create_with_opts(&remote, resolved, &createOptions)
            }
            defer { git_remote_free(remote) }
            var options = git_fetch_options()
            try check("git_fetch_options_init", "cannot fetch from '\(url)'") {
                git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION))
            }
            options.prune = prune ? GIT_FETCH_PRUNE : GIT_FETCH_NO_PRUNE
            options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
            try withStringArray(refspecs) { array throws(GitError) in
                try check("git_remote_fetch", "cannot fetch from '\(url)'") {
                    git_remote_fetch(remote, array, &options, "mf fetch")
                }
            }
            // The advertisement stays readable after the fetch disconnects.
            var buffer = git_buf()
            defer { git_buf_dispose(&buffer) }
            guard git_remote_default_branch(&buffer, remote) == 0, let pointer = buffer.ptr else { return nil }
            return String(cString: pointer)
        }
    }

    /// The URL of the remote `name` (`origin`) as the configuration gives it, nil when there is
    /// no such remote or it has no URL. Read from `remote.NAME.url` rather than through
    /// `git_remote_lookup`, which applies this host's `url.*.insteadOf` (a repository's URL must
    /// not depend on the host reading it) with libgit2 1.5's leaking regex iterator.
    public func remoteURL(named name: String = "origin") throws(GitError) -> String? {
        try configValue("remote.\(name).url")
    }

    /// `url` with git's `url.<base>.insteadOf` rewriting applied (the longest match wins).
    func rewritingInsteadOf(_ url: String) throws(GitError) -> String {
        var best: (prefix: String, base: String)?
        for (key, value) in try configValues(withPrefix: "url.") where key.lowercased().hasSuffix(".insteadof") {
            let base = String(key.dropFirst("url.".count).dropLast(".insteadof".count))
            if url.hasPrefix(value), value.count > (best?.prefix.count ?? -1) { best = (value, base) }
        }
        guard let best else { return url }
        return best.base + url.dropFirst(best.prefix.count)
    }

    /// Makes or updates a bare mirror of `url` at `path`: every branch and tag, with references the
    /// remote has dropped removed, and HEAD on the remote's default branch. Works offline for local
    /// paths and `file://` URLs. When the fetch fails, a mirror this call made is removed again
    /// (no empty repository is left to look like a mirror); one that was there stays as it was.
    @discardableResult
    public static func mirror(from url: String, to path: String) throws(GitError) -> Repository {
        let existed = FileManager.default.fileExists(atPath: path)
        do throws(GitError) {
            let repository: Repository
            do {
                repository = try Repository.open(at: path)
            } catch  where error.code == .notFound {
                repository = try Repository.create(at: path, bare: true)
            }
            let defaultBranch = try repository.fetch(
                from: url, refspecs: ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"], prune: true)
            if let defaultBranch { try repository.setHead(defaultBranch) }
            return repository
        } catch {
            if !existed { try? FileManager.default.removeItem(atPath: path) }
            throw error
        }
    }
}

@discardableResult
func withStringArray<T>(_ strings: [String], _ body: (UnsafeMutablePointer<git_strarray>) throws(GitError) -> T) throws(GitError) -> T {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { pointers.forEach { free($0) } }
    return try pointers.withUnsafeMutableBufferPointer { buffer throws(GitError) in
        var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
        return try body(&array)
    }
}
