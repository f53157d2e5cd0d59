internal import CGit2
internal import Foundation

/// A failure of the git layer: which operation failed, why (libgit2's own message), and where
/// (repository, reference, path).
///
/// ```swift
/// do { _ = try Repository.open(at: "/tmp/nothing") }
/// catch let error as GitError where error.code == .notFound { print(error) }
/// // cannot open repository: could not find repository at '/tmp/nothing' (repository /tmp/nothing)
/// ```
public struct GitError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is, independent of the message text.
    public enum Code: Sendable, Equatable {
        /// The object, reference, path or repository does not exist.
        case notFound
        /// The thing to be created exists already.
        case exists
        /// A short id or name matches more than one thing.
        case ambiguous
        /// The operation needs a work tree or a born HEAD that the repository lacks.
        case unbornBranch
        /// A reference name or revision that is not valid.
        case invalidSpec
        /// An object could not be peeled to the type asked for (a tag of a tree, say).
        case peel
        /// The repository belongs to another user and is not listed in `safe.directory`.
        case owner
        /// An object or file in the repository is damaged.
        case corrupt
        /// A path in a tree would leave the folder it is exported to.
        case unsafePath
        /// Reading or writing a file outside the repository failed.
        case io
        /// Any other libgit2 failure, with its return code.
        case other(Int32)
    }

    /// The kind of failure, for code that reacts to it (`.notFound`, `.exists`, ...) without reading the message.
    public var code: Code
    /// The operation that failed, in words ("cannot open repository").
    public var operation: String
    /// The libgit2 function that failed, when one did (`git_repository_open_ext`).
    public var function: String?
    /// libgit2's own message, or ours when the failure is not libgit2's.
    public var message: String
    /// libgit2's error class (`GIT_ERROR_ODB`, ...), when libgit2 gave one.
    public var errorClass: Int32?
    /// The repository involved (its git folder, or the path the caller gave).
    public var repository: String?
    /// The reference, revision or object involved.
    public var reference: String?
    /// The path inside a tree or on disk involved.
    public var path: String?

    /// An error from its parts; only `code`, `operation` and `message` are required, the rest say where it happened.
    public init(
        code: Code, operation: String, message: String, function: String? = nil,
        errorClass: Int32? = nil, repository: String? = nil, reference: String? = nil,
        path: String? = nil
    ) {
        self.code = code
        self.operation = operation
        self.message = message
        self.function = function
        self.errorClass = errorClass
        self.repository = repository
        self.reference = reference
        self.path = path
    }

    /// "operation: message (ref ..., path ..., repository ...)", with only the locations that are known.
    public var description: String {
        var location: [String] = []
        if let reference { location.append("ref \(reference)") }
        if let path { location.append("path \(path)") }
        if let repository { location.append("repository \(repository)") }
        let suffix = location.isEmpty ? "" : " (\(location.joined(separator: ", ")))"
        return "\(operation): \(message)\(suffix)"
    }

    func with(repository: String? = nil, reference: String? = nil, path: String? = nil) -> GitError {
        var copy = self
        if let repository, copy.repository == nil { copy.repository = repository }
        if let reference, copy.reference == nil { copy.reference = reference }
        if let path, copy.path == nil { copy.path = path }
        return copy
    }
}

extension GitError.Code {
    init(libgit2 code: Int32, errorClass: Int32?) {
        switch code {
        case GIT_ENOTFOUND.rawValue: self = .notFound
        case GIT_EEXISTS.rawValue: self = .exists
        case GIT_EAMBIGUOUS.rawValue: self = .ambiguous
        case GIT_EUNBORNBRANCH.rawValue: self = .unbornBranch
        case GIT_EINVALIDSPEC.rawValue: self = .invalidSpec
        case GIT_EPEEL.rawValue: self = .peel
        case GIT_EOWNER.rawValue: self = .owner
        default:
            if errorClass == Int32(GIT_ERROR_ZLIB.rawValue)
                || errorClass == Int32(GIT_ERROR_ODB.rawValue)
                    && code == GIT_ERROR.rawValue
            {
                self = .corrupt
            } else {
                self = .other(code)
            }
        }
    }
}

/// Runs one libgit2 call and turns a negative return code into a `GitError`.
///
/// The message is read from `git_error_last()` right after the call, on the same thread, as
/// libgit2 keeps it thread-locally. In libgit2 1.5 it may be NULL; then the code stands alone.
@discardableResult
func check(
    _ function: String, _ operation: @autoclosure () -> String,
    repository: String? = nil, reference: String? = nil, path: String? = nil,
    _ call: () -> Int32
) throws(GitError) -> Int32 {
    _ = libgit2
    let result = call()
    guard result < 0 else { return result }
    throw lastError(
        code: result, function: function, operation: operation(),
        repository: repository, reference: reference, path: path)
}

func lastError(
    code result: Int32, function: String, operation: String,
    repository: String? = nil, reference: String? = nil, path: String? = nil
) -> GitError {
    var message = "libgit2 returned \(result)"
    var errorClass: Int32?
    if let last = git_error_last() {
        errorClass = last.pointee.klass
        if let text = last.pointee.message {
            message = lenientString(text).trimmingTrailingPeriod
        }
    }
    let code = GitError.Code(libgit2: result, errorClass: errorClass)
    if code == .owner {
        message += "; add it to git's safe.directory (git config --global --add safe.directory PATH)"
    }
    return GitError(
        code: code, operation: operation, message: message, function: function,
        errorClass: errorClass, repository: repository, reference: reference, path: path)
}

/// Decodes a C string that may not be UTF-8 (ref names, messages, paths) without trapping.
func lenientString(_ pointer: UnsafePointer<CChar>) -> String {
    let length = strlen(pointer)
    return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
        String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
    }
}

func lenientString(_ pointer: UnsafePointer<CChar>?, default fallback: String) -> String {
    guard let pointer else { return fallback }
    return lenientString(pointer)
}

extension String {
    var trimmingTrailingPeriod: String {
        var text = self
        while text.hasSuffix(".") || text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
