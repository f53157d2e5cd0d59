import Foundation
import GitKit
import SQLiteStore
import Store
import SystemKit
import TestSupport
import Testing

@testable import ModelFactory

/// Bundles as blobs: published into the store with their folder, fetched from it into another
/// home, and copied with the records into another store.
@Suite(.onTestThreads) struct BundleCacheTests {
    /// A home that reconciled a repository of one model with a release `v1.0.0`.
    struct Released {
        let folder = TemporaryDirectory("bundle-cache")
        let factory: Factory
        let record: BundleRecord

        init() async throws {
            let repository = try pluginRepository(thresholdYAML, at: folder)
            try repository.createTag("v1.0.0", at: try repository.resolveCommit("master"))
            factory = try Factory()
            let report = try await Reconciler(pipeline: factory.pipeline).reconcile(repository)
            #expect(report.actions.contains { $0.kind == "bundle" && $0.outcome == "done" }, "\(report.actions)")
            record = try #require(try factory.store.bundles().first?.bundle)
        }

        func home(_ name: String) -> URL { URL(fileURLWithPath: folder.appending(name)) }
    }

    /// Publishing a bundle puts its archive into the store: the blob is the archive's bytes.
    @Test func aPublishedBundlesArchiveIsABlobInTheStore() async throws {
        let released = try await Released()
        let blob = try #require(try released.factory.store.blob(released.record.sha256))
        let copy = released.home("copy.tar.gz")
        try BlobStore(released.factory.store).write(released.record.sha256, to: copy)
        #expect(try Data(contentsOf: copy) == Data(contentsOf: URL(fileURLWithPath: released.record.archive)))
        #expect(blob.size == Int64(try Data(contentsOf: copy).count))
    }

    /// A home whose store knew its bundles before the store kept blobs gets each archive put
    /// into the store by the next reconcile, which makes nothing else again.
    @Test func aReconcileUploadsTheBlobOfABundlePublishedBefore() async throws {
        let released = try await Released()
        let older = try SQLiteStore(path: released.folder.appending("older.sqlite"))
        try older.importTables(try released.factory.store.exportTables())
        #expect(try older.blob(released.record.sha256) == nil && older.bundles().count == 1)
        let repository = try Repository.open(at: released.folder.appending("repo"))
        let sessions = try older.sessions().count
        let report = try await Reconciler(pipeline: Pipeline(store: older, home: released.factory.pipeline.home)).reconcile(repository)
        #expect(report.actions.allSatisfy { $0.outcome == "done" }, "\(report.actions)")
        #expect(try older.blob(released.record.sha256) != nil)
        #expect(try older.sessions().count == sessions && older.bundles().map(\.bundle) == [released.record])
    }

    /// With the bundle's folder and archive gone from the home that made it, another home gets
    /// it from the store: the archive streamed, checked, unpacked and verified into its own
    /// `bundles/<model>/<version>`; asked again, it finds that copy on disk.
    @Test func aBundleNotOnThisHostIsFetchedFromTheStore() async throws {
        let released = try await Released()
        try FileManager.default.removeItem(atPath: released.record.path)
        try FileManager.default.removeItem(atPath: released.record.archive)
        let cache = BundleCache(store: released.factory.store, home: released.home("other"))
        let fetched = try cache.folder(for: released.record)
        #expect(fetched.source == .store && fetched.folder.path == released.home("other").path + "/bundles/threshold/1.0.0")
        let (manifest, differences) = try BundleVerifier.verify(fetched.folder, published: released.record.sha256)
        #expect(differences.isEmpty && manifest.commit == released.record.commit)
        #expect(FileManager.default.fileExists(atPath: released.home("other").path + "/bundles/threshold/threshold-1.0.0.tar.gz"))
        let again = try cache.folder(for: released.record, model: "threshold")
        #expect(again.folder.path == fetched.folder.path && again.source == .local)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: released.home("other").path + "/bundles").filter { $0.hasPrefix(".building") }
        #expect(leftovers.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: released.record.path), "the home that made it is left as it was")
    }

    /// Two processes fetching one bundle into one home at once: one puts its copy in place, the
    /// other uses it; neither fails. A copy damaged since is replaced by the store's.
    @Test func fetchesAtOnceBothGetTheBundleAndADamagedCopyIsReplaced() async throws {
        let released = try await Released()
        try FileManager.default.removeItem(atPath: released.record.path)
        let home = released.home("shared")
        let store = released.factory.store
        let record = released.record
        let results = await withTaskGroup(of: Result<URL, any Error>.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    await BlockingWork.run { Result { try BundleCache(store: store, home: home).folder(for: record, model: "threshold").folder } }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let folders = try results.map { try $0.get() }
        #expect(Set(folders.map(\.path)) == [home.path + "/bundles/threshold/1.0.0"])
        try Data("changed\n".utf8).write(to: folders[0].appendingPathComponent("model.yaml"))
        let again = try BundleCache(store: store, home: home).folder(for: record, model: "threshold")
        #expect(try again.source == .store && BundleVerifier.verify(again.folder).differences.isEmpty)
    }

    /// A blob the store lacks: the fetch fails naming it and leaves nothing in the home's bundles.
    @Test func aBundleWithoutABlobCannotBeFetched() async throws {
        let released = try await Released()
        try FileManager.default.removeItem(atPath: released.record.path)
        let empty = try SQLiteStore.inMemory()
        try empty.importTables(try released.factory.store.exportTables())
        let home = released.home("nothing")
        #expect {
            try BundleCache(store: empty, home: home).folder(for: released.record)
        } throws: { error in
            "\(error)".contains("the store has no archive of this bundle")
        }
        #expect(!FileManager.default.fileExists(atPath: home.path + "/bundles/threshold/1.0.0"))
    }

    /// `mf store copy`'s work: every row and blob into an empty store, and the archive of a bundle
    /// with no blob put from disk; a store that holds anything is refused.
    @Test func aStoreCopiesIntoAnEmptyOneWithItsBlobs() async throws {
        let released = try await Released()
        let source = released.factory.store
        let copied = try SQLiteStore(path: released.folder.appending("copied.sqlite"))
        let report = try StoreCopy.copy(from: source, to: copied, named: "sqlite:copied.sqlite")
        let counts = try source.rowCounts()
        #expect(report.tables.allSatisfy { counts[$0.name] == $0.rows } && report.tables.contains { $0.name == "bundles" && $0.rows == 1 })
        let size = try source.blob(released.record.sha256)?.size
        #expect(report.blobs == 1 && report.bytes == size && report.uploaded.isEmpty && report.missing.isEmpty)
        #expect(try copied.rowCounts() == counts)
        #expect {
            try StoreCopy.copy(from: source, to: copied, named: "again")
        } throws: { error in
            guard case StoreCopyError.notEmpty(let store, _, let rows) = error else { return false }
            return store == "again" && rows > 0 && "\(error)".hasSuffix("mf store copy writes only into an empty store")
        }

        // A store without the blob (as before blobs): the archive on disk goes in on the way.
        let older = try SQLiteStore.inMemory()
        try older.importTables(try source.exportTables())
        let fromOlder = try SQLiteStore.inMemory()
        let second = try StoreCopy.copy(from: older, to: fromOlder, named: "memory")
        #expect(second.uploaded == ["threshold 1.0.0"] && second.blobs == 1 && second.missing.isEmpty)
        #expect(try fromOlder.blob(released.record.sha256) != nil)
        try FileManager.default.removeItem(atPath: released.record.archive)
        let third = try StoreCopy.copy(from: older, to: try SQLiteStore.inMemory(), named: "memory")
        #expect(third.missing == ["threshold 1.0.0"] && third.blobs == 0)
    }
}
