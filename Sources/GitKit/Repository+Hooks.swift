internal import Foundation

extension Repository {
    /// The folder git runs this repository's hooks from: `core.hooksPath` when set (a relative
    /// one is taken from the work tree's top, or the git folder of a bare repository, as git
    /// does), else `hooks/` in the git folder.
    public var hooksDirectory: String {
        get throws(GitError) {
            let base = workDirectory ?? gitDirectory
            guard let configured = try configValue("core.hooksPath"), !configured.isEmpty else {
                return URL(fileURLWithPath: gitDirectory).appendingPathComponent("hooks").path
            }
            let expanded = configured.hasPrefix("~/") ? FileManager.default.homeDirectoryForCurrentUser.path + configured.dropFirst(1) : configured
            return expanded.hasPrefix("/") ? expanded : URL(fileURLWithPath: base).appendingPathComponent(expanded).standardizedFileURL.path
        }
    }
}
