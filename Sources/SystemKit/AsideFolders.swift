public import Foundation

/// Folders assembled aside and renamed into place (`<parent>/….building-<id>`), and the sweep of
/// those a killed process left behind.
///
/// Every process that assembles under `parent` holds a shared lock on `<parent>/.aside.lock` for
/// as long as its folder exists. A process that gets the lock exclusively knows no one is
/// assembling, so every aside folder there is an orphan, and removes them before it takes its own
/// shared lock. Orphans therefore live only until the next quiet moment, and a folder being
/// written is never touched.
public enum AsideFolders {
    /// Sweeps orphans when no one else is assembling, then takes the shared lock. Unlock it when
    /// the aside folder is gone (a dying process releases it anyway).
    public static func enter(_ parent: URL) throws(SystemError) -> FileLock {
        let lock = try FileLock(path: parent.appendingPathComponent(".aside.lock").path)
        if try lock.tryLock(.exclusive) {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? [] where name.contains(".building-") {
                try? FileManager.default.removeItem(at: parent.appendingPathComponent(name))
            }
        }
        try lock.lock(.shared)
        return lock
    }
}
