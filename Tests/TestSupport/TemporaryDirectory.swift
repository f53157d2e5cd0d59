import Foundation

/// A folder of its own for one test, removed when the value goes away.
public final class TemporaryDirectory: @unchecked Sendable {
    /// The folder's absolute path, with symbolic links resolved.
    public let path: String

    /// Makes a new empty folder named `mf-<label>-<random>` in the system's temporary folder.
    public init(_ label: String = "test") {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("mf-\(label)-\(UUID().uuidString.prefix(8))")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        // Resolve /tmp links so paths compare equal to what libgit2 reports.
        path = url.resolvingSymlinksInPath().path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A path inside this folder.
    public func appending(_ component: String) -> String { path + "/" + component }

    /// Writes a text file (making folders), relative to this folder.
    public func write(_ relative: String, _ text: String) throws {
        let url = URL(fileURLWithPath: appending(relative))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
}
