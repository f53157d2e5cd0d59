internal import Foundation

/// Folders assembled aside and renamed into place (`<parent>/….building-<id>`), and the sweep of
/// those a killed process left behind.
///
/// Every process that assembles under `parent` holds a shared lock on `<parent>/.aside.lock` for
/// as long as its folder exists. A process that gets the lock exclusively knows no one is
/// assembling, so every aside folder there is an orphan, and removes them before it takes its own
/// shared lock. Orphans therefore live only until the next quiet moment, and a folder being
/// written is never touched.
enum AsideFolders {
    /// Sweeps orphans when no one else is assembling, then takes the shared lock. Close the
    /// descriptor when the aside folder is gone (a dying process closes it anyway).
    static func enter(_ parent: URL) throws -> Int32 {
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let path = parent.appendingPathComponent(".aside.lock").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw BundleError.io(what: path, problem: "the lock file cannot be opened (errno \(errno))") }
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? [] where name.contains(".building-") {
                try? FileManager.default.removeItem(at: parent.appendingPathComponent(name))
            }
        }
        while flock(descriptor, LOCK_SH) != 0 {
            guard errno == EINTR else { close(descriptor); throw BundleError.io(what: path, problem: "the lock cannot be taken (errno \(errno))") }
        }
        return descriptor
    }
}
