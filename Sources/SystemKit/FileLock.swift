internal import Foundation
internal import Synchronization

/// An advisory lock (`flock`) on a file, shared between processes: exclusive, shared, or tried
/// without waiting. It is released by `unlock()`, when the value goes away, or when the process dies.
///
/// ```swift
/// let lock = try FileLock(path: home + "/locks/reconcile.lock")
/// try lock.lock(.exclusive)  // waits for other holders
/// ```
public final class FileLock: Sendable {
    /// What a holder may share.
    public enum Mode: Sendable {
        /// One holder at a time.
        case exclusive
        /// Any number of shared holders, while no one holds it exclusively.
        case shared
    }

    /// The lock file.
    public let path: String
    /// The open lock file; -1 once unlocked.
    private let descriptor: Mutex<Int32>

    /// Opens the lock file at `path`, making it and its folder when missing; nothing is locked yet.
    public init(path: String) throws(SystemError) {
        self.path = path
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        } catch {
            throw .cannotLock(path: path, reason: "its folder cannot be made (\(error.localizedDescription))")
        }
        let opened = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard opened >= 0 else { throw .cannotLock(path: path, reason: "the lock file cannot be opened: \(SystemError.reason(errno))") }
        descriptor = Mutex(opened)
    }

    /// Opens the lock file at `path` and waits for the lock in `mode`.
    public static func acquire(path: String, mode: Mode = .exclusive) throws(SystemError) -> FileLock {
        let lock = try FileLock(path: path)
        try lock.lock(mode)
        return lock
    }

    /// Waits for the lock in `mode` (a held lock changes mode).
    public func lock(_ mode: Mode) throws(SystemError) {
        _ = try take(mode == .exclusive ? LOCK_EX : LOCK_SH)
    }

    /// Takes the lock in `mode` if no one else holds it in a conflicting mode; false otherwise.
    public func tryLock(_ mode: Mode) throws(SystemError) -> Bool {
        try take((mode == .exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB)
    }

    /// Whether the file this holds is still the one at `path` (not removed or replaced since
    /// it was opened: a lock on a replaced file excludes no one).
    public var isStillAtPath: Bool {
        descriptor.withLock { descriptor in
            var held = stat()
            var named = stat()
            return fstat(descriptor, &held) == 0 && stat(path, &named) == 0 && held.st_dev == named.st_dev && held.st_ino == named.st_ino
        }
    }

    /// Releases the lock and closes the file; later calls do nothing.
    public func unlock() {
        descriptor.withLock { descriptor in
            guard descriptor >= 0 else { return }
            close(descriptor)
            descriptor = -1
        }
    }

    deinit { unlock() }

    private func take(_ operation: Int32) throws(SystemError) -> Bool {
        let failure: Int32? = descriptor.withLock { descriptor in
            guard descriptor >= 0 else { return EBADF }
            while flock(descriptor, operation) != 0 {
                if errno == EINTR { continue }
                return errno
            }
            return nil
        }
        guard let failure else { return true }
        if failure == EWOULDBLOCK { return false }
        throw .cannotLock(path: path, reason: "the lock cannot be taken: \(SystemError.reason(failure))")
    }
}
