internal import CGit2
internal import Foundation

/// libgit2 is initialised exactly once, the first time any part of GitKit needs it.
///
/// Swift runs the initialiser of a global `let` lazily and thread-safely, which is what
/// `git_libgit2_init()` needs: every entry point touches `libgit2` before its first C call.
/// libgit2 is never shut down; the process exit frees it.
let libgit2: Void = {
    _ = git_libgit2_init()
}()

/// Initialises libgit2 on another thread, so that a command's own start-up (argument parsing,
/// reading its options) overlaps libgit2's, most of which is parsing the system's CA
/// certificates; the first GitKit call waits for it if it has not finished.
public func prepareLibgit2InBackground() {
    Thread.detachNewThread { _ = libgit2 }
}

/// The version of the libgit2 library GitKit runs against, such as "1.5.1".
public var libgit2Version: String {
    _ = libgit2
    var major: Int32 = 0
    var minor: Int32 = 0
    var revision: Int32 = 0
    _ = git_libgit2_version(&major, &minor, &revision)
    return "\(major).\(minor).\(revision)"
}
