public import Foundation
public import Store
internal import SystemKit

/// Where this host finds a bundle the store recorded: the bundle's own folder when it is here
/// (the home that made it), else a copy fetched from the store's blob of its archive into this
/// home's `bundles/<model>/<version>` (the Bundler's layout, archive beside it), checked against
/// the archive's SHA-256 and verified file by file before it is put in place by one rename. A
/// host that has neither the repository nor the builds serves from the store alone this way.
///
/// ```swift
/// let folder = try BundleCache(store: store, home: home).folder(for: record, model: "churn").folder
/// ```
public struct BundleCache: Sendable {
    /// The store that recorded the bundles and holds their blobs.
    public let store: any FactoryStore
    /// The home whose `bundles/` folder receives fetched bundles.
    public let home: URL

    /// A cache for `store`'s bundles in `home`.
    public init(store: any FactoryStore, home: URL) {
        self.store = store
        self.home = home
    }

    /// Where a bundle's folder came from.
    public enum Source: String, Sendable, Encodable {
        /// The folder was on this host already (the record's path, or a copy fetched before).
        case local
        /// The folder was fetched from the store's blob just now.
        case store
    }

    /// The folder of `record`'s bundle on this host, fetched from the store when no intact copy
    /// is here; `model` is its model's name (read from the store when nil). Throws a
    /// `BundleError` when the bundle cannot be had, a `StoreError` when its blob is missing or
    /// damaged (nothing is left behind then).
    public func folder(for record: BundleRecord, model: String? = nil) throws -> (folder: URL, source: Source) {
        let name = try model ?? modelName(of: record)
        let cached = cachedFolder(for: record, model: name)
        for candidate in [URL(fileURLWithPath: record.path), cached] where intact(candidate, record) {
            return (candidate, .local)
        }
        return (try fetch(record, model: name, into: cached), .store)
    }

    /// Where a fetched copy of `record`'s bundle goes: `home/bundles/<model>/<version>`.
    public func cachedFolder(for record: BundleRecord, model: String) -> URL {
        home.appendingPathComponent("bundles").appendingPathComponent(model).appendingPathComponent(record.version)
    }

    /// Writes `record`'s archive from the store's blob to `destination` (checked chunk by chunk
    /// and whole against the record's SHA-256; nothing is left there when a check fails).
    public func fetchArchive(of record: BundleRecord, to destination: URL) throws(StoreError) {
        guard try store.blob(record.sha256) != nil else {
            throw StoreError.blob(
                digest: record.sha256, reason: "the store has no archive of this bundle (\(record.archive)); run mf reconcile where it was made")
        }
        try BlobStore(store).write(record.sha256, to: destination)
    }

    private func modelName(of record: BundleRecord) throws -> String {
        guard let model = try store.model(id: record.modelId) else {
            throw BundleError.notABundle(path: record.path, reason: "the store has no model \(record.modelId) for it")
        }
        return model.name
    }

    /// Whether `folder` holds `record`'s bundle, every file as its bundle.json lists it.
    private func intact(_ folder: URL, _ record: BundleRecord) -> Bool {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue,
            let verified = try? BundleVerifier.verify(folder)
        else { return false }
        return verified.differences.isEmpty && verified.manifest.commit == record.commit && verified.manifest.version == record.version
    }

    /// Streams the blob into a folder aside, unpacks and verifies it there, then renames the
    /// archive and the folder into place. When another process put an intact copy there first,
    /// that one is used; a damaged copy in the way is replaced.
    private func fetch(_ record: BundleRecord, model: String, into target: URL) throws -> URL {
        let manager = FileManager.default
        let bundles = home.appendingPathComponent("bundles")
        let modelFolder = target.deletingLastPathComponent()
        try manager.createDirectory(at: modelFolder, withIntermediateDirectories: true)
        let lock = try AsideFolders.enter(bundles)
        let aside = bundles.appendingPathComponent(".building-\(UUID().uuidString)")
        defer {
            try? manager.removeItem(at: aside)
            lock.unlock()
        }
        let name = "\(model)-\(record.version)"
        let archive = aside.appendingPathComponent(name + ".tar.gz")
        try fetchArchive(of: record, to: archive)
        let unpacked = aside.appendingPathComponent(name)
        do { try Archive.extract(tarGz: archive, to: unpacked) } catch {
            throw BundleError.notABundle(path: record.archive, reason: "the store's copy cannot be unpacked: \(error)")
        }
        let (manifest, differences) = try BundleVerifier.verify(unpacked)
        guard differences.isEmpty else {
            throw BundleError.notABundle(
                path: record.archive, reason: "the store's copy differs from its bundle.json: " + differences.map(\.description).joined(separator: "; "))
        }
        guard manifest.commit == record.commit, manifest.version == record.version else {
            throw BundleError.notABundle(
                path: record.archive,
                reason:
                    "the store's copy is \(manifest.model) \(manifest.version) at \(manifest.commit.prefix(8)), not the recorded \(record.version) at \(record.commit.prefix(8))"
            )
        }
        let finalArchive = modelFolder.appendingPathComponent(name + ".tar.gz")
        if !manager.fileExists(atPath: finalArchive.path) { _ = rename(archive.path, finalArchive.path) }
        if rename(unpacked.path, target.path) == 0 || intact(target, record) { return target }
        // What is in the way is not this bundle whole (a copy damaged since): it goes aside, ours in.
        if rename(target.path, aside.appendingPathComponent("replaced").path) == 0, rename(unpacked.path, target.path) == 0 { return target }
        if intact(target, record) { return target }
        throw BundleError.io(what: target.path, problem: "the bundle fetched from the store cannot be put in place (\(String(cString: strerror(errno))))")
    }
}
