internal import Foundation

/// The keys of a file, for the `unique` rule: each key is added with its row, and a key seen
/// before is a duplicate of the row it was first seen in. Up to `memoryKeys` keys are held in a
/// dictionary; past that, every key goes to one of `partitions` spill files in the temporary
/// folder by its hash, and `finish()` reads one file at a time into a dictionary. A 1 GB file of
/// 32 million keys is checked in tens of megabytes, reading and writing each key once in
/// sequence (a B-tree on disk would read and write its pages at random, over and over).
///
/// ```swift
/// let keys = KeySet()
/// try keys.add("42", row: 1); try keys.add("7", row: 2); try keys.add("42", row: 3)
/// let found = try keys.finish(shown: 10)   // count 1, [(row: 3, key: "42", first: 1)]
/// ```
final class KeySet {
    /// A key seen again: the row it is seen in now, the key, and the row it was first seen in.
    struct Duplicate: Equatable {
        var row: Int
        var key: String
        var first: Int
    }

    /// How many keys are held in memory before they spill.
    let memoryKeys: Int
    /// How many spill files the keys are spread over.
    let partitions: Int

    private var firsts: [String: Int] = [:]
    private var count = 0
    /// The duplicates found so far, earliest rows first (while the keys are in memory, rows come
    /// in order, so the first `shown` found are the earliest).
    private var found: [Duplicate] = []
    private var spill: Spill?
    /// The spill files' folder, once the keys have spilled (it is deleted by `finish()`).
    private(set) var spillFolder: URL?
    private let shown: Int

    /// An empty set that reports the `shown` earliest duplicates.
    init(memoryKeys: Int = 1 << 20, partitions: Int = 128, shown: Int = 10) {
        self.memoryKeys = memoryKeys
        self.partitions = partitions
        self.shown = shown
    }

    /// Adds `key`, seen in `row` (rows come in increasing order).
    func add(_ key: String, row: Int) throws(DataError) {
        if let spill {
            try spill.write(key, row: row)
            return
        }
        if let first = firsts[key] {
            count += 1
            if found.count < shown { found.append(Duplicate(row: row, key: key, first: first)) }
            return
        }
        firsts[key] = row
        if firsts.count > memoryKeys {
            // Every first sighting so far goes to the files, in row order; the duplicates found
            // stay found (their keys' first rows are in the files, so later ones are found there).
            let spill = try Spill(partitions: partitions)
            for (key, row) in firsts.sorted(by: { $0.value < $1.value }) { try spill.write(key, row: row) }
            firsts = [:]
            self.spill = spill
            spillFolder = spill.folder
        }
    }

    /// How many rows repeat a key seen before, and the `shown` earliest of them.
    func finish() throws(DataError) -> (count: Int, earliest: [Duplicate]) {
        guard let spill else { return (count, found) }
        defer { self.spill = nil }
        var count = self.count
        var earliest = found
        try spill.flush()
        for partition in 0..<spill.partitions {
            var seen: [String: Int] = [:]
            try spill.read(partition) { key, row in
                if let first = seen[key] {
                    count += 1
                    earliest.append(Duplicate(row: row, key: key, first: first))
                    if earliest.count > shown * 4 {
                        earliest.sort { $0.row < $1.row }
                        earliest.removeLast(earliest.count - shown)
                    }
                } else {
                    seen[key] = row
                }
            }
        }
        earliest.sort { $0.row < $1.row }
        return (count, Array(earliest.prefix(shown)))
    }

    /// The spill files: in each, records of the row (8 bytes), the key's length (4 bytes) and
    /// the key's UTF-8 bytes, in the order they were added. Deleted with the spill.
    private final class Spill {
        let partitions: Int
        let folder: URL
        private var descriptors: [Int32] = []
        private var buffers: [[UInt8]]
        private static let bufferSize = 32 * 1024

        init(partitions: Int) throws(DataError) {
            self.partitions = partitions
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("mf-keys-\(UUID().uuidString)")
            buffers = Array(repeating: [], count: partitions)
            do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
                throw .unreadable(path: folder.path, reason: "cannot make a folder for the keys of the unique rule: \(error.localizedDescription)")
            }
            for partition in 0..<partitions {
                let descriptor = open(path(partition), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
                guard descriptor >= 0 else { throw failure("cannot make", partition) }
                descriptors.append(descriptor)
            }
        }

        deinit {
            for descriptor in descriptors { close(descriptor) }
            try? FileManager.default.removeItem(at: folder)
        }

        func path(_ partition: Int) -> String { folder.appendingPathComponent("\(partition)").path }

        func failure(_ doing: String, _ partition: Int) -> DataError {
            .unreadable(path: path(partition), reason: "\(doing) a spill file of the unique rule's keys: \(String(cString: strerror(errno)))")
        }

        func write(_ key: String, row: Int) throws(DataError) {
            // FNV-1a: the same key always lands in the same file.
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            let partition = Int(hash % UInt64(partitions))
            withUnsafeBytes(of: Int64(row).littleEndian) { buffers[partition].append(contentsOf: $0) }
            withUnsafeBytes(of: UInt32(key.utf8.count).littleEndian) { buffers[partition].append(contentsOf: $0) }
            buffers[partition].append(contentsOf: key.utf8)
            if buffers[partition].count >= Self.bufferSize { try flush(partition) }
        }

        func flush() throws(DataError) {
            for partition in 0..<partitions { try flush(partition) }
        }

        private func flush(_ partition: Int) throws(DataError) {
            var written = 0
            let bytes = buffers[partition]
            while written < bytes.count {
                let count = bytes.withUnsafeBytes { raw in Foundation.write(descriptors[partition], raw.baseAddress! + written, bytes.count - written) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { throw failure("cannot write", partition) }
                written += count
            }
            buffers[partition].removeAll(keepingCapacity: true)
        }

        /// Calls `each` with every record of `partition`, in the order written.
        func read(_ partition: Int, _ each: (String, Int) -> Void) throws(DataError) {
            guard lseek(descriptors[partition], 0, SEEK_SET) == 0 else { throw failure("cannot read", partition) }
            var pending: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            var start = 0
            while true {
                let count = chunk.withUnsafeMutableBytes { raw in Foundation.read(descriptors[partition], raw.baseAddress, raw.count) }
                if count < 0, errno == EINTR { continue }
                guard count >= 0 else { throw failure("cannot read", partition) }
                if count == 0 { break }
                pending.removeSubrange(0..<start)
                start = 0
                pending.append(contentsOf: chunk[0..<count])
                pending.withUnsafeBytes { raw in
                    while raw.count - start >= 12 {
                        let row = Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: start, as: Int64.self)))
                        let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8, as: UInt32.self)))
                        guard raw.count - start - 12 >= length else { break }
                        let key = String(decoding: UnsafeRawBufferPointer(rebasing: raw[(start + 12)..<(start + 12 + length)]), as: UTF8.self)
                        each(key, row)
                        start += 12 + length
                    }
                }
            }
            guard start == pending.count else { throw failure("a record is cut short in", partition) }
            // The file is read: its space is not needed any more.
            _ = ftruncate(descriptors[partition], 0)
        }
    }
}
