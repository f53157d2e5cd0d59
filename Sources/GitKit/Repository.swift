internal import CGit2
internal import Foundation

/// An open git repository: a work tree, its `.git` folder, or a bare repository.
///
/// A `Repository` may be shared between tasks: every call takes the repository's lock for the
/// duration of its libgit2 work, because libgit2 wants one thread at a time on a handle.
/// Everything it returns is a value (`ObjectID`, `Commit`, `Reference`), never a libgit2 pointer.
///
/// ```swift
/// let repo = try Repository.open(at: "/srv/models/churn")
/// for ref in try repo.references() where ref.kind == .tag { print(ref.shortName, ref.commit ?? "-") }
/// ```
public final class Repository: @unchecked Sendable {
    let handle: OpaquePointer
    private let lock = NSLock()

    /// The git folder (`…/.git/` or the bare repository itself).
    public let gitDirectory: String
    /// The work tree, nil for a bare repository.
    public let workDirectory: String?

    init(handle: OpaquePointer) {
        self.handle = handle
        gitDirectory = lenientString(git_repository_path(handle), default: "")
        workDirectory = git_repository_workdir(handle).map { lenientString($0) }
    }

    deinit { git_repository_free(handle) }

    /// Where the repository is, as a user would name it: the work tree, else the git folder.
    public var location: String {
        let path = workDirectory ?? gitDirectory
        return path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    /// Opens the repository at `path`: a work tree (or a folder inside one), a `.git` folder, or a
    /// bare repository.
    public static func open(at path: String) throws(GitError) -> Repository {
        var pointer: OpaquePointer?
        try GitKit.check("git_repository_open_ext", "cannot open repository", repository: path) {
            git_repository_open_ext(&pointer, path, 0, nil)
        }
        return Repository(handle: pointer!)
    }

    /// Creates a new repository at `path` (a work tree with `.git`, or bare), with HEAD on
    /// `initialBranch`, unborn until the first commit.
    public static func create(
        at path: String, bare: Bool = false, initialBranch: String = "master"
    ) throws(GitError) -> Repository {
        _ = libgit2
        var options = git_repository_init_options()
        try GitKit.check("git_repository_init_options_init", "cannot create repository", repository: path) {
            git_repository_init_options_init(&options, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION))
        }
        options.flags = GIT_REPOSITORY_INIT_MKPATH.rawValue
        if bare { options.flags |= GIT_REPOSITORY_INIT_BARE.rawValue }
        var pointer: OpaquePointer?
        let result = initialBranch.withCString { branch in
            options.initial_head = branch
            return git_repository_init_ext(&pointer, path, &options)
        }
        try GitKit.check("git_repository_init_ext", "cannot create repository", repository: path) { result }
        return Repository(handle: pointer!)
    }

    @discardableResult
    /// Runs `body` with the libgit2 handle, one caller at a time.
    func withHandle<T>(_ body: (OpaquePointer) throws(GitError) -> T) throws(GitError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(handle)
    }

    /// Runs one libgit2 call on this repository, naming it in the error.
    @discardableResult
    func check(
        _ function: String, _ operation: @autoclosure () -> String, reference: String? = nil,
        path: String? = nil, _ call: () -> Int32
    ) throws(GitError) -> Int32 {
        try GitKit.check(
            function, operation(), repository: location, reference: reference, path: path, call)
    }

    /// True for a repository without a work tree.
    public var isBare: Bool { (try? withHandle { git_repository_is_bare($0) == 1 }) ?? false }

    /// True for a shallow clone, whose history stops at a cut-off.
    public var isShallow: Bool { (try? withHandle { git_repository_is_shallow($0) == 1 }) ?? false }

    /// True when HEAD names a branch that has no commit yet (a new, empty repository).
    public var isHeadUnborn: Bool { (try? withHandle { git_repository_head_unborn($0) == 1 }) ?? false }

    /// True when HEAD points at a commit directly rather than at a branch.
    public var isHeadDetached: Bool { (try? withHandle { git_repository_head_detached($0) == 1 }) ?? false }

    /// HEAD as a value: the branch it names (nil when detached) and its commit (nil when unborn).
    public func head() throws(GitError) -> Head {
        try withHandle { handle throws(GitError) in
            var head: OpaquePointer?
            let result = git_reference_lookup(&head, handle, "HEAD")
            guard result == 0, let head else {
                throw lastError(
                    code: result, function: "git_reference_lookup", operation: "cannot read HEAD",
                    repository: location)
            }
            defer { git_reference_free(head) }
            if git_reference_type(head) == GIT_REFERENCE_SYMBOLIC {
                let branch = lenientString(git_reference_symbolic_target(head), default: "")
                var resolved: OpaquePointer?
                if git_reference_resolve(&resolved, head) == 0, let resolved {
                    defer { git_reference_free(resolved) }
                    let commit = try peelToCommit(handle, reference: resolved, name: branch)
                    return Head(branch: branch, commit: commit)
                }
                return Head(branch: branch, commit: nil)
            }
            let commit = try peelToCommit(handle, reference: head, name: "HEAD")
            return Head(branch: nil, commit: commit)
        }
    }

    /// The repository's object database; the caller frees it with `git_odb_free`.
    func objectDatabase(_ handle: OpaquePointer) throws(GitError) -> OpaquePointer {
        var odb: OpaquePointer?
        try check("git_repository_odb", "cannot open the object database") { git_repository_odb(&odb, handle) }
        return odb!
    }

    func peelToCommit(_ handle: OpaquePointer, reference: OpaquePointer, name: String) throws(GitError)
        -> ObjectID
    {
        var object: OpaquePointer?
        try check("git_reference_peel", "cannot resolve \(name) to a commit", reference: name) {
            git_reference_peel(&object, reference, GIT_OBJECT_COMMIT)
        }
        defer { git_object_free(object) }
        return ObjectID(git_object_id(object)!)
    }
}

/// Where HEAD is.
public struct Head: Sendable, Equatable {
    /// The full name of the branch HEAD names (`refs/heads/master`), nil when detached.
    public var branch: String?
    /// The commit HEAD resolves to, nil when its branch is unborn.
    public var commit: ObjectID?

    /// Makes a HEAD from its branch and commit; a nil `commit` means the branch is unborn, a nil `branch` a detached HEAD.
    public init(branch: String?, commit: ObjectID?) {
        self.branch = branch
        self.commit = commit
    }
}
