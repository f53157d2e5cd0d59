public import Foundation
internal import SystemKit

/// A blob the store holds whole: bytes addressed by their SHA-256 (a bundle's `.tar.gz`), kept as
/// numbered chunks that each carry their own SHA-256 (`BlobChunk`). `BlobStore` puts and reads
/// them; an engine only keeps rows.
public struct BlobRecord: Codable, Sendable, Equatable {
    /// The SHA-256 of the whole blob, in lowercase hex: its address.
    public var digest: String
    /// Its size in bytes.
    public var size: Int64
    /// How many chunks hold it (indexes `0..<chunks`); 0 for an empty blob.
    public var chunks: Int
    /// When it was stored whole.
    public var createdAt: Date

    /// A blob record with every field given.
    public init(digest: String, size: Int64, chunks: Int, createdAt: Date) {
        self.digest = digest
        self.size = size
        self.chunks = chunks
        self.createdAt = createdAt
    }
}

/// One chunk of a blob: its place, its bytes and their SHA-256.
public struct BlobChunk: Sendable, Equatable {
    /// The whole blob's SHA-256 (`BlobRecord.digest`).
    public var digest: String
    /// Its place in the blob, from 0.
    public var index: Int
    /// The SHA-256 of `bytes`, in lowercase hex.
    public var sha256: String
    /// The chunk's bytes.
    public var bytes: Data

    /// A chunk with every field given.
    public init(digest: String, index: Int, sha256: String, bytes: Data) {
        self.digest = digest
        self.index = index
        self.sha256 = sha256
        self.bytes = bytes
    }
}

/// Blobs in a store: the one place that chunks a file, checks every chunk and the whole against
/// their SHA-256, and streams (one chunk in memory at a time), whatever the engine.
///
/// ```swift
/// let blobs = BlobStore(store)
/// try blobs.put(fileAt: "/home/mf/bundles/churn/churn-1.0.0.tar.gz", digest: record.sha256)
/// try blobs.write(record.sha256, to: URL(fileURLWithPath: "/tmp/churn-1.0.0.tar.gz"))
/// ```
public struct BlobStore: Sendable {
    /// The chunk size a blob is put with unless told otherwise: 1 MiB.
    public static let defaultChunkSize = 1 << 20

    /// The store the blobs are kept in.
    public let store: any FactoryStore
    /// How many bytes a chunk of a blob put through this value holds (the last one fewer).
    public let chunkSize: Int

    /// Blobs of `store`, put in chunks of `chunkSize` bytes.
    public init(_ store: any FactoryStore, chunkSize: Int = BlobStore.defaultChunkSize) {
        self.store = store
        self.chunkSize = max(1, chunkSize)
    }

    /// Puts the file at `path`, whose SHA-256 is `digest`, into the store as a blob, a chunk at a
    /// time; nothing when the store holds that blob already (false). The file must be the bytes
    /// `digest` names, else nothing is recorded.
    @discardableResult
    public func put(fileAt path: String, digest: String) throws(StoreError) -> Bool {
        if try store.blob(digest) != nil { return false }
        let file: FileHandle
        do { file = try FileHandle(forReadingFrom: URL(fileURLWithPath: path)) } catch {
            throw StoreError.blob(digest: digest, reason: "\(path) cannot be read (\(error.localizedDescription))")
        }
        defer { try? file.close() }
        var whole = StreamingSHA256()
        var size: Int64 = 0
        var index = 0
        while true {
            let bytes: Data
            do { bytes = try file.read(upToCount: chunkSize) ?? Data() } catch {
                throw StoreError.blob(digest: digest, reason: "\(path) cannot be read (\(error.localizedDescription))")
            }
            if bytes.isEmpty { break }
            whole.update(bytes)
            size += Int64(bytes.count)
            try store.putChunk(BlobChunk(digest: digest, index: index, sha256: HexDigest.sha256(bytes), bytes: bytes))
            index += 1
        }
        guard whole.hex == digest else {
            throw StoreError.blob(digest: digest, reason: "\(path) is not these bytes (its SHA-256 is \(whole.hex))")
        }
        try store.putBlob(BlobRecord(digest: digest, size: size, chunks: index, createdAt: Date()))
        return true
    }

    /// Writes the blob `digest` to `destination`, a chunk at a time, each chunk checked against
    /// its SHA-256 and the whole against `digest`. The bytes go to a temporary file beside
    /// `destination`, renamed into place only when every check passed: a failed read leaves
    /// nothing behind, and a reader of `destination` never sees half a blob.
    @discardableResult
    public func write(_ digest: String, to destination: URL) throws(StoreError) -> BlobRecord {
        guard let record = try store.blob(digest) else { throw StoreError.blob(digest: digest, reason: "the store holds no such blob") }
        let folder = destination.deletingLastPathComponent()
        let partial = folder.appendingPathComponent(".\(destination.lastPathComponent).part-\(UUID().uuidString)")
        var placed = false
        defer { if !placed { try? FileManager.default.removeItem(at: partial) } }
        let file: FileHandle
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: partial.path, contents: nil) else {
                throw CocoaError(.fileWriteNoPermission)
            }
            file = try FileHandle(forWritingTo: partial)
        } catch {
            throw StoreError.blob(digest: digest, reason: "\(partial.path) cannot be written (\(error.localizedDescription))")
        }
        defer { try? file.close() }
        var whole = StreamingSHA256()
        var size: Int64 = 0
        try forEachChunk(of: record) { chunk throws(StoreError) in
            whole.update(chunk.bytes)
            size += Int64(chunk.bytes.count)
            do { try file.write(contentsOf: chunk.bytes) } catch {
                throw StoreError.blob(digest: digest, reason: "\(partial.path) cannot be written (\(error.localizedDescription))")
            }
        }
        guard size == record.size, whole.hex == digest else {
            throw StoreError.blob(digest: digest, reason: "its \(record.chunks) chunks do not add up to it (\(size) bytes, SHA-256 \(whole.hex))")
        }
        do { try file.synchronize() } catch {
            throw StoreError.blob(digest: digest, reason: "\(partial.path) cannot be written (\(error.localizedDescription))")
        }
        guard rename(partial.path, destination.path) == 0 else {
            throw StoreError.blob(digest: digest, reason: "\(destination.path) cannot be put in place (\(String(cString: strerror(errno))))")
        }
        placed = true
        return record
    }

    /// Copies the blob `digest` into `other` chunk by chunk, each checked on the way (the chunks
    /// keep their size); nothing when `other` holds it already (false).
    @discardableResult
    public func copy(_ digest: String, to other: BlobStore) throws(StoreError) -> Bool {
        if try other.store.blob(digest) != nil { return false }
        guard let record = try store.blob(digest) else { throw StoreError.blob(digest: digest, reason: "the store holds no such blob") }
        var whole = StreamingSHA256()
        try forEachChunk(of: record) { chunk throws(StoreError) in
            whole.update(chunk.bytes)
            try other.store.putChunk(chunk)
        }
        guard whole.hex == digest else {
            throw StoreError.blob(digest: digest, reason: "its \(record.chunks) chunks do not add up to it (SHA-256 \(whole.hex))")
        }
        try other.store.putBlob(BlobRecord(digest: digest, size: record.size, chunks: record.chunks, createdAt: record.createdAt))
        return true
    }

    /// Calls `body` with each chunk of `record` in order, read one at a time and checked
    /// against its SHA-256: a missing or damaged chunk fails naming the blob and the chunk.
    private func forEachChunk(of record: BlobRecord, _ body: (BlobChunk) throws(StoreError) -> Void) throws(StoreError) {
        for index in 0..<record.chunks {
            guard let chunk = try store.chunk(of: record.digest, index: index) else {
                throw StoreError.blob(digest: record.digest, reason: "chunk \(index) of \(record.chunks) is missing")
            }
            guard HexDigest.sha256(chunk.bytes) == chunk.sha256 else {
                throw StoreError.blob(digest: record.digest, reason: "chunk \(index) of \(record.chunks) does not match its SHA-256 (it is damaged)")
            }
            try body(chunk)
        }
    }
}
