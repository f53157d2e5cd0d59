import Foundation
import SystemKit
import TestSupport
import Testing

@Suite(.onTestThreads) struct AsideFoldersTests {
    /// Orphans are swept when no one is assembling; while someone is, nothing is touched.
    @Test func sweepsOrphansOnlyWhenNoOneIsAssembling() throws {
        let directory = TemporaryDirectory("aside")
        let parent = URL(fileURLWithPath: directory.path)
        let orphan = parent.appendingPathComponent("abc.building-1234")
        let bundle = parent.appendingPathComponent("kept")
        for folder in [orphan, bundle] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }

        let assembling = try AsideFolders.enter(parent)  // sweeps the orphan: no one else holds the lock
        #expect(!FileManager.default.fileExists(atPath: orphan.path))
        #expect(FileManager.default.fileExists(atPath: bundle.path))

        let inProgress = parent.appendingPathComponent(".building-5678")
        try FileManager.default.createDirectory(at: inProgress, withIntermediateDirectories: true)
        try AsideFolders.enter(parent).unlock()  // another assembler is at work: its folder stays
        #expect(FileManager.default.fileExists(atPath: inProgress.path))

        assembling.unlock()
        // It died without cleaning up: swept at the next quiet moment. (A child that another test
        // of this process forks shares the lock's file until it execs, so the moment may come
        // a little later under load.)
        let swept = try pollUntil(seconds: 60) {
            try AsideFolders.enter(parent).unlock()
            return !FileManager.default.fileExists(atPath: inProgress.path)
        }
        #expect(swept)
        withExtendedLifetime(directory) {}
    }
}
