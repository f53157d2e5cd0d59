internal import Foundation

/// Why a file operation failed, as the system says it ("permission denied", "not a
/// directory"), from Foundation's error (its POSIX cause), for one sentence rather than
/// Foundation's dump of domains and user info.
public enum SystemReason {
    /// The system's reason in `error`, lower-cased for the middle of a sentence.
    public static func of(_ error: any Error) -> String {
        let nsError = error as NSError
        let posix = nsError.domain == NSPOSIXErrorDomain ? nsError : nsError.userInfo[NSUnderlyingErrorKey] as? NSError
        if let posix, posix.domain == NSPOSIXErrorDomain {
            let text = String(cString: strerror(Int32(posix.code)))
            return text.prefix(1).lowercased() + text.dropFirst()
        }
        switch nsError.code {
        case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return "no such file or directory"
        case NSFileWriteNoPermissionError, NSFileReadNoPermissionError: return "permission denied"
        case NSFileWriteOutOfSpaceError: return "no space left on device"
        default: return "the file system refused (error \(nsError.code))"
        }
    }
}
