internal import CGit2

extension Repository {
    /// The value of a git configuration key (repository, global and system levels combined, as
    /// git reads them), nil when it is not set.
    public func configValue(_ key: String) throws(GitError) -> String? {
        try withHandle { handle throws(GitError) in
            var config: OpaquePointer?
            // Reading a string from a live config is refused by libgit2; a snapshot is not.
            try check("git_repository_config_snapshot", "cannot read git configuration") {
                git_repository_config_snapshot(&config, handle)
            }
            defer { git_config_free(config) }
            var value: UnsafePointer<CChar>?
            let result = git_config_get_string(&value, config, key)
            if result == GIT_ENOTFOUND.rawValue { return nil }
            guard result == 0, let value else {
                throw lastError(
                    code: result, function: "git_config_get_string", operation: "cannot read git configuration key '\(key)'",
                    repository: location)
            }
            return lenientString(value)
        }
    }

    /// The values of every key that starts with `prefix` (`gitflow.`), as key → value.
    ///
    /// Keys are filtered here rather than by libgit2's glob iterator: in libgit2 1.5 its regex
    /// matcher leaks the match data of every key that does not match.
    public func configValues(withPrefix prefix: String) throws(GitError) -> [String: String] {
        try withHandle { handle throws(GitError) in
            var config: OpaquePointer?
            try check("git_repository_config_snapshot", "cannot read git configuration") {
                git_repository_config_snapshot(&config, handle)
            }
            defer { git_config_free(config) }
            var iterator: OpaquePointer?
            try check("git_config_iterator_new", "cannot read git configuration") {
                git_config_iterator_new(&iterator, config)
            }
            defer { git_config_iterator_free(iterator) }
            var values: [String: String] = [:]
            var entry: UnsafeMutablePointer<git_config_entry>?
            let lowercasedPrefix = prefix.lowercased()
            while git_config_next(&entry, iterator) == 0, let entry {
                // git lowercases section and key names; compare the same way.
                let name = lenientString(entry.pointee.name, default: "")
                guard name.lowercased().hasPrefix(lowercasedPrefix) else { continue }
                values[name] = lenientString(entry.pointee.value, default: "")
            }
            return values
        }
    }

    /// Sets a key in the repository's own configuration (`.git/config`).
    public func setConfigValue(_ key: String, _ value: String) throws(GitError) {
        try withHandle { handle throws(GitError) in
            var config: OpaquePointer?
            try check("git_repository_config", "cannot open git configuration") { git_repository_config(&config, handle) }
            defer { git_config_free(config) }
            var local: OpaquePointer?
            try check("git_config_open_level", "cannot open the repository's git configuration") {
                git_config_open_level(&local, config, GIT_CONFIG_LEVEL_LOCAL)
            }
            defer { git_config_free(local) }
            try check("git_config_set_string", "cannot set git configuration key '\(key)'") {
                git_config_set_string(local, key, value)
            }
        }
    }
}
