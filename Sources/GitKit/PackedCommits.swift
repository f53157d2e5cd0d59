internal import CZlib
internal import Foundation

/// The commits stored whole in a repository's pack files, read straight from the packs: each
/// pack's index names its objects, and a commit's first lines (`tree`, then `parent`s) are all
/// a graph needs.
///
/// This is the first look at a repository without a commit-graph file: libgit2 would look each
/// commit up by id, inflate it whole into its cache and hash it again; here each pack is read in
/// file order, one reusable inflate stream per thread, on every core. Only what can be read
/// with certainty is reported; deltified commits, commits in loose files or in packs this reader
/// does not know (index version 1) are left to the caller's walk, which reads whatever the
/// graph still lacks through libgit2.
enum PackedCommits {
    /// Reads every pack under `objectsDirectory/pack`; an empty result when there is none or
    /// none can be read.
    static func read(
        objectsDirectory: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount, stop: StopFlag = StopFlag()
    ) -> CommitRecords {
        let folder = objectsDirectory + "/pack"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".idx") }.sorted()
        var result = CommitRecords()
        for name in names {
            guard let pack = Pack(index: folder + "/" + name, data: folder + "/" + name.dropLast(4) + ".pack") else { continue }
            result.append(pack.commits(threads: max(1, min(threads, 8)), stop: stop))
        }
        return result
    }
}

/// Commits with the ids of their parents, as read before they join a graph.
struct CommitRecords: Sendable {
    /// The commits, in the order read.
    var ids: [ObjectID] = []
    /// The parents of `ids[i]` are `parents[parentStart[i]..<parentStart[i + 1]]`, first parent first.
    var parentStart: [Int32] = [0]
    var parents: [ObjectID] = []

    var count: Int { ids.count }

    func parents(of record: Int) -> ArraySlice<ObjectID> {
        parents[Int(parentStart[record])..<Int(parentStart[record + 1])]
    }

    mutating func append(_ id: ObjectID, parents list: some Collection<ObjectID>) {
        ids.append(id)
        parents.append(contentsOf: list)
        parentStart.append(Int32(parents.count))
    }

    mutating func append(_ other: CommitRecords) {
        guard !other.ids.isEmpty else { return }
        let base = Int32(parents.count)
        ids.append(contentsOf: other.ids)
        parents.append(contentsOf: other.parents)
        parentStart.append(contentsOf: other.parentStart.dropFirst().map { $0 + base })
    }
}

/// One pack file and its index (version 2), both mapped read-only.
private final class Pack: @unchecked Sendable {
    private let indexFile: MappedFile
    private let dataFile: MappedFile
    private var index: UnsafeRawBufferPointer { indexFile.bytes }
    private var data: UnsafeRawBufferPointer { dataFile.bytes }
    private let objectCount: Int

    init?(index indexPath: String, data dataPath: String) {
        guard let indexFile = MappedFile(indexPath), let dataFile = MappedFile(dataPath) else { return nil }
        self.indexFile = indexFile
        self.dataFile = dataFile
        let index = indexFile.bytes
        let data = dataFile.bytes
        // Index v2: "\377tOc", version 2, 256 fan-out counts, names, CRCs, offsets (64-bit ones after).
        func be32(_ offset: Int) -> UInt32 { UInt32(bigEndian: index.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
        guard index.count >= 8 + 1024 + 40, be32(0) == 0xFF74_4F63, be32(4) == 2,
            data.count >= 32, UInt32(bigEndian: data.loadUnaligned(as: UInt32.self)) == 0x5041_434B  // "PACK"
        else {
            objectCount = 0
            return
        }
        let count = Int(be32(8 + 255 * 4))
        // Names, CRCs and 32-bit offsets must fit, with the two trailing checksums.
        objectCount = index.count >= 8 + 1024 + count * 28 + 40 ? count : 0
    }

    private func be32(_ offset: Int) -> UInt32 { UInt32(bigEndian: index.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }

    /// Where object `entry` (its place in the index) starts in the pack; nil when out of range.
    private func offset(of entry: Int) -> Int? {
        let small = be32(8 + 1024 + objectCount * 24 + entry * 4)
        var offset = Int(small)
        if small & 0x8000_0000 != 0 {
            let position = 8 + 1024 + objectCount * 28 + Int(small & 0x7FFF_FFFF) * 8
            guard position + 8 <= index.count - 40 else { return nil }
            offset = Int(truncatingIfNeeded: UInt64(bigEndian: index.loadUnaligned(fromByteOffset: position, as: UInt64.self)))
        }
        return offset >= 12 && offset < data.count - 20 ? offset : nil
    }

    /// The commits of this pack, its index split among `threads` threads.
    func commits(threads: Int, stop: StopFlag) -> CommitRecords {
        guard objectCount > 0 else { return CommitRecords() }
        let parts = objectCount < 4096 ? 1 : threads
        var results = [CommitRecords](repeating: CommitRecords(), count: parts)
        results.withUnsafeMutableBufferPointer { slots in
            let slots = UncheckedSendable(slots)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let range = (objectCount * part / parts)..<(objectCount * (part + 1) / parts)
                slots.value[part] = commits(in: range, stop: stop)
            }
        }
        var all = CommitRecords()
        for part in results { all.append(part) }
        return all
    }

    /// The whole (not deltified) commits among index entries `range`.
    private func commits(in range: Range<Int>, stop: StopFlag) -> CommitRecords {
        var result = CommitRecords()
        var stream = z_stream()
        guard inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return result }
        defer { inflateEnd(&stream) }
        // The tree line and up to 64 parent lines; a commit with more is left to the walk.
        let capacity = 46 + 48 * 64 + 7
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        let names = 8 + 1024
        for entry in range {
            if entry & 0xFFF == 0, stop.isSet { return result }
            guard let start = offset(of: entry) else { continue }
            var position = start
            var byte = data[position]
            // Type 1 is a commit; deltas (6, 7) and other kinds are not read here.
            guard (byte >> 4) & 7 == 1 else { continue }
            var size = Int(byte & 0x0F)
            var shift = 4
            while byte & 0x80 != 0 {
                position += 1
                guard position < data.count - 20, shift < 57 else { break }
                byte = data[position]
                size |= Int(byte & 0x7F) << shift
                shift += 7
            }
            position += 1
            guard byte & 0x80 == 0, position < data.count - 20 else { continue }
            let wanted = min(size, capacity)
            guard inflateReset(&stream) == Z_OK else { return result }
            stream.next_in = UnsafeMutablePointer(mutating: data.baseAddress!.advanced(by: position).assumingMemoryBound(to: Bytef.self))
            stream.avail_in = UInt32(clamping: data.count - 20 - position)
            stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = UInt32(wanted)
            let status = inflate(&stream, Z_SYNC_FLUSH)
            let produced = wanted - Int(stream.avail_out)
            // A whole small commit ends its stream; a large one fills the buffer.
            guard status == Z_STREAM_END ? produced == size : (status == Z_OK && produced == wanted) else { continue }
            let before = result.parents.count
            guard Pack.parents(UnsafeRawBufferPointer(rebasing: buffer[0..<produced]), whole: produced == size, into: &result.parents) else {
                result.parents.removeSubrange(before...)
                continue
            }
            result.ids.append(ObjectID(rawBytes: index.baseAddress!.advanced(by: names + entry * 20)))
            result.parentStart.append(Int32(result.parents.count))
        }
        return result
    }

    /// Appends the parent ids of a raw commit's start to `result`; false (some perhaps appended)
    /// when it does not read as a commit or its parent lines do not all fit in `bytes`.
    private static func parents(_ bytes: UnsafeRawBufferPointer, whole: Bool, into result: inout [ObjectID]) -> Bool {
        guard bytes.count >= 46, bytes.loadUnaligned(as: UInt32.self) == Pack.tree, bytes[4] == 0x20, bytes[45] == 0x0A,
            ObjectID(hexDigits: bytes.baseAddress! + 5) != nil
        else { return false }
        var offset = 46
        while true {
            // Not enough left to tell whether another parent line follows: the walk reads it.
            guard offset + 7 <= bytes.count else { return whole }
            guard bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self) == Pack.pare,
                bytes.loadUnaligned(fromByteOffset: offset + 3, as: UInt32.self) == Pack.ent
            else { return true }
            guard offset + 48 <= bytes.count else { return false }
            guard bytes[offset + 47] == 0x0A, let id = ObjectID(hexDigits: bytes.baseAddress! + offset + 7) else { return false }
            result.append(id)
            offset += 48
        }
    }

    /// "tree", "pare" and "ent " as they load from memory, to compare four bytes at once.
    private static let tree = UInt32(littleEndian: 0x6565_7274)
    private static let pare = UInt32(littleEndian: 0x6572_6170)
    private static let ent = UInt32(littleEndian: 0x2074_6E65)
}

/// A value handed to the threads of `concurrentPerform`, each of which touches only its own part.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
