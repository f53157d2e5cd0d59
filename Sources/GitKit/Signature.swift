internal import CGit2
public import Foundation

/// A person and a moment: a commit's author or committer, a tag's tagger.
public struct Signature: Sendable, Hashable, Codable {
    /// The person's name, as recorded in the commit or tag.
    public var name: String
    /// The person's email address as recorded, without the angle brackets.
    public var email: String
    /// When it happened; git keeps whole seconds, so a written time is rounded down to the second.
    public var time: Date
    /// Offset from UTC in minutes.
    public var timeZoneOffset: Int

    /// A signature for `name` and `email`, at `time` (now by default), `timeZoneOffset` minutes east of UTC.
    public init(name: String, email: String, time: Date = Date(), timeZoneOffset: Int = 0) {
        self.name = name
        self.email = email
        self.time = time
        self.timeZoneOffset = timeZoneOffset
    }

    init(_ signature: UnsafePointer<git_signature>) {
        name = lenientString(signature.pointee.name, default: "")
        email = lenientString(signature.pointee.email, default: "")
        time = Date(timeIntervalSince1970: TimeInterval(signature.pointee.when.time))
        timeZoneOffset = Int(signature.pointee.when.offset)
    }

    @discardableResult
    /// Makes a libgit2 signature for the duration of `body`.
    func withSignature<T>(
        repository: String?, _ body: (UnsafePointer<git_signature>) throws(GitError) -> T
    ) throws(GitError) -> T {
        var pointer: UnsafeMutablePointer<git_signature>?
        try check("git_signature_new", "invalid signature '\(name) <\(email)>'", repository: repository) {
            git_signature_new(
                &pointer, name, email, git_time_t(time.timeIntervalSince1970.rounded(.down)),
                Int32(timeZoneOffset))
        }
        defer { git_signature_free(pointer) }
        return try body(pointer!)
    }
}
