internal import CGit2
public import Foundation

/// The parent links of many commits, held in memory, for ancestry questions asked many times
/// over: which of 2,000 tags are on a line, where 500 branches fork.
///
/// libgit2 answers each such question with a new walk that inflates every commit on the way.
/// A `CommitGraph` reads each commit once; given a cache folder it also keeps the links on disk
/// (commits never change, so the file never goes stale) and later runs read only the commits
/// that are new, much as git's own commit-graph file does.
///
/// ```swift
/// let graph = try repository.commitGraph(from: [master], cache: home.appendingPathComponent("cache"))
/// let released = graph.reachable(from: [master])
/// ```
public struct CommitGraph: Sendable {
    /// Every commit in the graph; a commit's position here is its index.
    public private(set) var ids: [ObjectID] = []
    private var index = NodeIndex()
    /// Parents of commit `i` are `parentList[parentStart[i]..<parentStart[i + 1]]`.
    private var parentStart: [Int32] = [0]
    private var parentList: [Int32] = []

    /// An empty graph, to be filled with the commits of a repository.
    public init() {}

    /// How many commits the graph holds.
    public var count: Int { ids.count }

    /// Whether the graph holds the commit `id` (the commits read so far, not every commit in the repository).
    public func contains(_ id: ObjectID) -> Bool { index.find(id, in: ids) != nil }

    private func node(_ id: ObjectID) -> Int32? { index.find(id, in: ids) }

    /// The parents of `id`, first parent first; nil when the commit is not in the graph.
    public func parents(of id: ObjectID) -> [ObjectID]? {
        guard let node = node(id) else { return nil }
        return parentIndices(node).map { ids[Int($0)] }
    }

    private func parentIndices(_ node: Int32) -> ArraySlice<Int32> {
        parentList[Int(parentStart[Int(node)])..<Int(parentStart[Int(node) + 1])]
    }

    /// Marks every commit reachable from `nodes` (included), stopping at already marked ones.
    private func mark(_ nodes: [Int32], into marked: inout [Bool]) {
        var pending = nodes
        while let node = pending.popLast() {
            if marked[Int(node)] { continue }
            marked[Int(node)] = true
            for parent in parentIndices(node) where !marked[Int(parent)] { pending.append(parent) }
        }
    }

    /// The commits reachable from `tips` (the tips included), as a set that answers
    /// membership without hashing into a `Set<ObjectID>` of thousands.
    public func ancestry(of tips: [ObjectID]) -> Ancestry {
        var marked = [Bool](repeating: false, count: count)
        mark(tips.compactMap(node), into: &marked)
        return Ancestry(ids: ids, index: index, marked: marked)
    }

    /// Every commit reachable from `tips`, the tips included.
    public func reachable(from tips: [ObjectID]) -> Set<ObjectID> {
        var marked = [Bool](repeating: false, count: count)
        mark(tips.compactMap(node), into: &marked)
        var result = Set<ObjectID>(minimumCapacity: marked.count)
        for (node, isMarked) in marked.enumerated() where isMarked { result.insert(ids[node]) }
        return result
    }

    /// True when `ancestor` is `descendant` or reachable from it.
    public func isAncestor(_ ancestor: ObjectID, of descendant: ObjectID) -> Bool {
        guard let target = node(ancestor), let start = node(descendant) else { return false }
        var marked = [Bool](repeating: false, count: count)
        var pending = [start]
        while let node = pending.popLast() {
            if node == target { return true }
            if marked[Int(node)] { continue }
            marked[Int(node)] = true
            pending.append(contentsOf: parentIndices(node))
        }
        return false
    }

    /// For every commit reachable from `tip`, the position (0 = oldest) of the commit on `tip`'s
    /// first-parent history where it joined that history: itself when it is on it, else the
    /// first merge that brought it in.
    public func joinPositions(along tip: ObjectID) -> [ObjectID: Int] {
        let chain = firstParentHistory(from: tip).reversed().compactMap(node)
        var joined = [Int](repeating: -1, count: count)
        for (position, node) in chain.enumerated() {
            var pending = [node]
            while let next = pending.popLast() {
                guard joined[Int(next)] < 0 else { continue }
                joined[Int(next)] = position
                for parent in parentIndices(next) where joined[Int(parent)] < 0 { pending.append(parent) }
            }
        }
        var result = [ObjectID: Int](minimumCapacity: count)
        for (node, position) in joined.enumerated() where position >= 0 { result[ids[node]] = position }
        return result
    }

    /// The first-parent history from `tip`, newest first.
    public func firstParentHistory(from tip: ObjectID) -> [ObjectID] {
        var chain: [ObjectID] = []
        var cursor = node(tip)
        while let node = cursor {
            chain.append(ids[Int(node)])
            cursor = parentIndices(node).first
        }
        return chain
    }

    /// The best common ancestor of `one` and `other` (as `git merge-base`), nil when their
    /// histories are unrelated. Where several are equally good, the one met first walking back
    /// from `one` by first parents wins.
    public func mergeBase(_ one: ObjectID, _ other: ObjectID) -> ObjectID? {
        mergeBase(one, with: ancestry(of: [other]))
    }

    /// The best common ancestor of `one` and the commit whose `ancestry` is given: the same as
    /// `mergeBase(_:_:)`, for many questions against one line.
    public func mergeBase(_ one: ObjectID, with line: Ancestry) -> ObjectID? {
        mergeBases(one, with: line).first
    }

    /// Every best common ancestor of `one` and the commit whose `ancestry` is given (as
    /// `git merge-base --all`): more than one after criss-cross merges.
    public func mergeBases(_ one: ObjectID, with line: Ancestry) -> [ObjectID] {
        guard let left = node(one), line.marked.count == count else { return [] }
        let fromOther = line.marked
        // Walk back from `one`, stopping at the first commits `other` reaches too.
        var seen = [Bool](repeating: false, count: count)
        var pending = [left]
        var boundary: [Int32] = []
        while let node = pending.popLast() {
            if seen[Int(node)] { continue }
            seen[Int(node)] = true
            if fromOther[Int(node)] {
                boundary.append(node)
                continue
            }
            pending.append(contentsOf: parentIndices(node).reversed())
        }
        guard boundary.count > 1 else { return boundary.map { ids[Int($0)] } }
        // Drop any candidate that another candidate reaches: it is not the best.
        var belowOthers = [Bool](repeating: false, count: count)
        for node in boundary { mark(Array(parentIndices(node)), into: &belowOthers) }
        return boundary.filter { !belowOthers[Int($0)] }.map { ids[Int($0)] }
    }

    /// The commits reachable from some tips: a membership test made once, asked many times.
    public struct Ancestry: Sendable {
        let ids: [ObjectID]
        let index: NodeIndex
        let marked: [Bool]

        /// True when `id` is one of the tips or reachable from them.
        public func contains(_ id: ObjectID) -> Bool {
            guard let node = index.find(id, in: ids) else { return false }
            return marked[Int(node)]
        }
    }

    // MARK: Growing the graph

    /// Adds commits with their parent ids. Every parent must be in the graph already or among
    /// `records`; a commit already in the graph is skipped, a parent that is nowhere is dropped
    /// (the caller keeps only commits whose parents it found).
    mutating func add(_ records: CommitRecords) {
        guard !records.ids.isEmpty else { return }
        ids.reserveCapacity(ids.count + records.count)
        var added: [Int] = []
        added.reserveCapacity(records.count)
        for (record, id) in records.ids.enumerated() {
            ids.append(id)
            if index.insert(Int32(ids.count - 1), ids: ids) {
                added.append(record)
            } else {
                ids.removeLast()
            }
        }
        parentStart.reserveCapacity(ids.count + 1)
        for record in added {
            for parent in records.parents(of: record) {
                if let node = node(parent) { parentList.append(node) }
            }
            parentStart.append(Int32(parentList.count))
        }
    }

    // MARK: The cache file

    private static let magic: UInt32 = 0x4D46_4347  // "MFCG"
    /// 2: the checksum runs over 8-byte words (1 ran over bytes).
    private static let formatVersion: UInt32 = 2

    /// The graph as bytes: magic, version, counts, ids, parent offsets, parents, checksum.
    func serialized() -> [UInt8] {
        let size = 16 + ids.count * 20 + parentStart.count * 4 + parentList.count * 4 + 8
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var offset = 0
            func put(_ value: UInt32) {
                raw.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self)
                offset += 4
            }
            put(Self.magic)
            put(Self.formatVersion)
            put(UInt32(ids.count))
            put(UInt32(parentList.count))
            for id in ids {
                id.storeRawBytes(to: raw.baseAddress! + offset)
                offset += 20
            }
            for start in parentStart { put(UInt32(bitPattern: start)) }
            for parent in parentList { put(UInt32(bitPattern: parent)) }
            let sum = Self.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<offset]))
            raw.storeBytes(of: sum.littleEndian, toByteOffset: offset, as: UInt64.self)
            initialized = offset + 8
        }
    }

    /// Reads bytes made by `serialized()`; nil for anything damaged or of another version.
    init?(serialized raw: UnsafeRawBufferPointer) {
        guard raw.count >= 24 else { return nil }
        func read32(_ offset: Int) -> UInt32 { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
        guard read32(0) == Self.magic, read32(4) == Self.formatVersion else { return nil }
        let count = Int(read32(8))
        let parents = Int(read32(12))
        guard count < Int32.max, parents < Int32.max else { return nil }
        let expected = 16 + count * 20 + (count + 1) * 4 + parents * 4 + 8
        guard raw.count == expected else { return nil }
        let stored = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: expected - 8, as: UInt64.self))
        guard stored == Self.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<(expected - 8)])) else { return nil }
        ids.reserveCapacity(count)
        index.reserve(count, ids: [])
        for node in 0..<count {
            ids.append(ObjectID(rawBytes: raw.baseAddress! + 16 + node * 20))
            guard index.insert(Int32(node), ids: ids) else { return nil }
        }
        var offset = 16 + count * 20
        parentStart = []
        parentStart.reserveCapacity(count + 1)
        var previous: Int32 = 0
        for _ in 0...count {
            let start = Int32(truncatingIfNeeded: read32(offset))
            // Offsets start at 0 and rise to the end of the list.
            guard start >= previous, start <= Int32(parents) else { return nil }
            parentStart.append(start)
            previous = start
            offset += 4
        }
        guard parentStart.first == 0, parentStart.last == Int32(parents) else { return nil }
        parentList.reserveCapacity(parents)
        for _ in 0..<parents {
            let parent = Int32(truncatingIfNeeded: read32(offset))
            guard parent >= 0, parent < Int32(count) else { return nil }
            parentList.append(parent)
            offset += 4
        }
    }

    /// A 64-bit FNV-1a over 8-byte words (then the odd bytes): each step is a bijection of the
    /// running hash, so any one damaged word changes the result.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        let words = bytes.count / 8
        for word in 0..<words {
            hash = (hash ^ bytes.loadUnaligned(fromByteOffset: word * 8, as: UInt64.self)) &* 0x100_0000_01b3
        }
        for byte in bytes[(words * 8)...] { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}

/// Where each commit of a graph is, by id: open addressing over the graph's own id array, so a
/// lookup hashes nothing (an id's first bytes are uniform already) and the table is one flat
/// array of node numbers.
struct NodeIndex: Sendable {
    /// Node numbers, -1 for an empty slot; the count is a power of two, at most half full.
    private var slots: [Int32] = []
    private var used = 0

    init() {}

    /// Room for `count` ids in all without growing; `ids` are those indexed so far.
    mutating func reserve(_ count: Int, ids: [ObjectID]) {
        guard count * 2 > slots.count else { return }
        var size = 16
        while size < count * 2 { size <<= 1 }
        rehash(size: size, ids: ids)
    }

    func find(_ id: ObjectID, in ids: [ObjectID]) -> Int32? {
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1
        var slot = id.bucketHash & mask
        while true {
            let node = slots[slot]
            if node < 0 { return nil }
            if ids[Int(node)] == id { return node }
            slot = (slot + 1) & mask
        }
    }

    /// Adds `ids[node]`; false (and nothing changed) when that id is in the index already.
    mutating func insert(_ node: Int32, ids: [ObjectID]) -> Bool {
        if (used + 1) * 2 > slots.count { rehash(size: max(16, slots.count * 2), ids: ids) }
        let id = ids[Int(node)]
        let mask = slots.count - 1
        var slot = id.bucketHash & mask
        while true {
            let other = slots[slot]
            if other < 0 { break }
            if ids[Int(other)] == id { return false }
            slot = (slot + 1) & mask
        }
        slots[slot] = node
        used += 1
        return true
    }

    private mutating func rehash(size: Int, ids: [ObjectID]) {
        let old = slots
        slots = [Int32](repeating: -1, count: size)
        let mask = size - 1
        for node in old where node >= 0 {
            var slot = ids[Int(node)].bucketHash & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = node
        }
    }
}

// MARK: Reading a repository's graph

/// A commit graph being read: what needs no tips (the cache file, git's commit-graph file, the
/// commits in the packs of a repository met for the first time) is read on another thread from
/// the moment it is made, while the caller reads references; `graph(from:)` then adds what the
/// tips need and nothing read so far has.
///
/// ```swift
/// let pending = repository.startCommitGraph(cache: home.appendingPathComponent("cache"))
/// let references = try repository.references()
/// let graph = try pending.graph(from: [master])
/// ```
public final class PendingCommitGraph: @unchecked Sendable {
    private let repository: Repository
    private let file: URL?
    private let objectsDirectory: String
    private let done = DispatchSemaphore(value: 0)
    /// Written by the reading thread before `done` is signalled, read after.
    private var base = CommitGraph()
    private var fromGit: CommitGraph?
    private var packed = CommitRecords()
    private var packedIndex = NodeIndex()
    private let stop = StopFlag()

    init(repository: Repository, cache: URL?) {
        self.repository = repository
        file = cache.map { $0.appendingPathComponent("commit-graph-\(repository.cacheKey).mfcg") }
        objectsDirectory = repository.objectsDirectory
        let thread = Thread { [self] in
            readWithoutTips()
            done.signal()
        }
        thread.name = "mf-commit-graph"
        thread.start()
    }

    private func readWithoutTips() {
        if let file, let cached = CommitGraph.readCache(file) { base = cached }
        let gitCount = CommitGraph.gitCommitGraphCount(objectsDirectory: objectsDirectory)
        if gitCount > base.count { fromGit = CommitGraph.readGitCommitGraph(objectsDirectory: objectsDirectory) }
        // The first look at a repository without a commit-graph file: every commit is read, so
        // read them all from the packs at once, on every core.
        if base.count == 0, fromGit == nil {
            packed = PackedCommits.read(objectsDirectory: objectsDirectory, stop: stop)
            if stop.isSet { packed = CommitRecords() }
            packedIndex.reserve(packed.count, ids: [])
            var unique = true
            for node in packed.ids.indices where !packedIndex.insert(Int32(node), ids: packed.ids) { unique = false }
            if !unique {
                packed = CommitRecords()
                packedIndex = NodeIndex()
            }
        }
    }

    /// Stops the reading thread early when the graph is not wanted after all (its work is lost);
    /// harmless after `graph(from:)`.
    public func cancel() { stop.set() }

    /// A graph of every commit reachable from `tips` (and of every other commit read on the
    /// way). With a cache folder, the graph is written back when it grew.
    public func graph(from tips: [ObjectID]) throws(GitError) -> CommitGraph {
        done.wait()
        done.signal()
        var graph = base
        if !tips.allSatisfy(graph.contains), let fromGit, fromGit.count > graph.count {
            // git's own graph knows more: start from it (what the cache knew beyond it is read again).
            graph = fromGit
        }
        let added = try repository.readParents(of: tips.filter { !graph.contains($0) }, known: graph, packed: packed, packedIndex: packedIndex)
        guard !added.ids.isEmpty else { return graph }
        graph.add(added)
        if let file {
            try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            let bytes = graph.serialized()
            try? Data(bytes).write(to: file, options: .atomic)
        }
        return graph
    }
}

/// A flag one thread sets and others poll.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

extension CommitGraph {
    /// The cache file's graph; nil when it is missing, damaged or of another version.
    static func readCache(_ file: URL) -> CommitGraph? {
        MappedFile.with(file.path) { bytes in bytes.count < Int(Int32.max) ? CommitGraph(serialized: bytes) : nil } ?? nil
    }
}

extension Repository {
    /// Starts reading the commit graph of this repository (see `PendingCommitGraph`).
    ///
    /// With `cache` (a folder), the graph of this repository is read from and written back to a
    /// file there, so only commits added since the last call are read from the repository. A
    /// missing, damaged or unwritable cache is not an error: the graph is then read in full.
    public func startCommitGraph(cache: URL? = nil) -> PendingCommitGraph {
        PendingCommitGraph(repository: self, cache: cache)
    }

    /// A graph of every commit reachable from `tips` (see `startCommitGraph(cache:)`).
    public func commitGraph(from tips: [ObjectID], cache: URL? = nil) throws(GitError) -> CommitGraph {
        try startCommitGraph(cache: cache).graph(from: tips)
    }

    /// The object folder (`.git/objects`), where git keeps its packs and commit-graph.
    var objectsDirectory: String {
        (gitDirectory.hasSuffix("/") ? gitDirectory : gitDirectory + "/") + "objects"
    }

    /// Names this repository's cache file: its git folder, hashed.
    var cacheKey: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in gitDirectory.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }

    /// The commits reachable from `tips` that `known` lacks, with their parents: from `packed`
    /// (commits read from the packs) where it has them, else from the raw commit headers
    /// through libgit2 (only the `parent` lines are needed). Then every other packed commit
    /// whose ancestry is complete, so the graph knows the other branches too.
    func readParents(
        of tips: [ObjectID], known: CommitGraph, packed: CommitRecords, packedIndex: NodeIndex
    ) throws(GitError) -> CommitRecords {
        var result = CommitRecords()
        guard !tips.isEmpty else { return result }
        var seen = NodeIndex()
        var reachedPacked = [Bool](repeating: false, count: packed.count)
        try withHandle { handle throws(GitError) in
            var odb: OpaquePointer?
            defer { if let odb { git_odb_free(odb) } }
            var pending = tips
            while let id = pending.popLast() {
                if known.contains(id) || seen.find(id, in: result.ids) != nil { continue }
                if let node = packedIndex.find(id, in: packed.ids) {
                    reachedPacked[Int(node)] = true
                    result.append(id, parents: packed.parents(of: Int(node)))
                } else {
                    if odb == nil { odb = try objectDatabase(handle) }
                    result.append(id, parents: try readCommitParents(odb!, id))
                }
                _ = seen.insert(Int32(result.count - 1), ids: result.ids)
                let first = Int(result.parentStart[result.count - 1])
                for position in stride(from: result.parents.count - 1, through: first, by: -1) {
                    let parent = result.parents[position]
                    if !known.contains(parent) && seen.find(parent, in: result.ids) == nil { pending.append(parent) }
                }
            }
        }
        guard packed.count > 0 else { return result }
        // The packed commits no tip reached: kept when all their ancestors are known (a commit
        // whose parent is nowhere, as at a shallow boundary, is left out, and so are its children).
        enum State: UInt8 { case unknown, visiting, complete, incomplete }
        var state = [State](repeating: .unknown, count: packed.count)
        for node in packed.ids.indices where reachedPacked[node] { state[node] = .complete }
        for start in packed.ids.indices where state[start] == .unknown {
            var stack = [start]
            while let node = stack.last {
                if state[node] == .unknown {
                    state[node] = .visiting
                    for parent in packed.parents(of: node) {
                        guard let other = packedIndex.find(parent, in: packed.ids) else { continue }
                        if state[Int(other)] == .unknown { stack.append(Int(other)) }
                    }
                    continue
                }
                stack.removeLast()
                guard state[node] == .visiting else { continue }
                var complete = true
                for parent in packed.parents(of: node) {
                    if let other = packedIndex.find(parent, in: packed.ids) {
                        if state[Int(other)] != .complete { complete = false }
                    } else if !known.contains(parent) && seen.find(parent, in: result.ids) == nil {
                        complete = false
                    }
                }
                state[node] = complete ? .complete : .incomplete
            }
        }
        for node in packed.ids.indices where state[node] == .complete && !reachedPacked[node] && !known.contains(packed.ids[node]) {
            result.append(packed.ids[node], parents: packed.parents(of: node))
        }
        return result
    }

    /// The parents of one commit, from its raw header.
    private func readCommitParents(_ odb: OpaquePointer, _ id: ObjectID) throws(GitError) -> [ObjectID] {
        var oid = id.oid
        var object: OpaquePointer?
        let status = git_odb_read(&object, odb, &oid)
        guard status == 0 else {
            throw lastError(code: status, function: "git_odb_read", operation: "cannot read commit \(id.short)", repository: location, reference: id.hex)
        }
        defer { git_odb_object_free(object) }
        guard git_odb_object_type(object) == GIT_OBJECT_COMMIT else {
            throw GitError(
                code: .notFound, operation: "cannot read commit \(id.short)",
                message: "the object is a \(ObjectKind(git_odb_object_type(object)).rawValue), not a commit",
                repository: location, reference: id.hex)
        }
        return Self.parentLines(git_odb_object_data(object), size: git_odb_object_size(object))
    }

    /// The ids on `parent ` lines of a raw commit, which follow its `tree ` line.
    private static func parentLines(_ data: UnsafeRawPointer?, size: Int) -> [ObjectID] {
        guard let data else { return [] }
        let bytes = UnsafeRawBufferPointer(start: data, count: size)
        var parents: [ObjectID] = []
        var offset = 46  // "tree " + 40 hex digits + "\n"
        let prefix = Array("parent ".utf8)
        while offset + 48 <= bytes.count, bytes[offset..<(offset + 7)].elementsEqual(prefix),
            let parent = ObjectID(hexDigits: data + offset + 7)
        {
            parents.append(parent)
            offset += 48
        }
        return parents
    }
}

// MARK: git's own commit-graph file

extension CommitGraph {
    /// The layers of git's commit-graph: `objects/info/commit-graph`, or those named by
    /// `objects/info/commit-graphs/commit-graph-chain`, base layer first.
    private static func gitCommitGraphLayers(objectsDirectory: String) -> [String] {
        let info = objectsDirectory + "/info"
        if let chain = try? String(contentsOfFile: info + "/commit-graphs/commit-graph-chain", encoding: .utf8) {
            return chain.split(separator: "\n").map { info + "/commit-graphs/graph-\($0).graph" }
        }
        return access(info + "/commit-graph", R_OK) == 0 ? [info + "/commit-graph"] : []
    }

    /// How many commits git's commit-graph holds, from its fan-out tables alone; 0 when there
    /// is none or it cannot be read.
    static func gitCommitGraphCount(objectsDirectory: String) -> Int {
        var total = 0
        for layer in gitCommitGraphLayers(objectsDirectory: objectsDirectory) {
            guard let count = MappedFile.with(layer, { raw in GitGraphLayer(raw).map(\.count) }) ?? nil else { return 0 }
            total += count
        }
        return total
    }

    /// Reads git's commit-graph (`objects/info/commit-graph`, or the layers named by
    /// `objects/info/commit-graphs/commit-graph-chain`), which `git gc` and `git commit-graph
    /// write` keep. libgit2 1.5 does not use it when walking, so GitKit reads it itself.
    /// Nil when there is none or it cannot be read; then commits are read one by one.
    static func readGitCommitGraph(objectsDirectory: String) -> CommitGraph? {
        let layers = gitCommitGraphLayers(objectsDirectory: objectsDirectory)
        guard !layers.isEmpty else { return nil }
        var graph = CommitGraph()
        for layer in layers {
            guard MappedFile.with(layer, { raw in GitGraphLayer(raw).map { graph.append($0) } ?? false }) == true else { return nil }
        }
        // Parent positions count across layers, base layers first: all must be commits read.
        guard graph.parentList.allSatisfy({ $0 < Int32(graph.ids.count) }) else { return nil }
        return graph
    }

    /// Appends one layer's commits: ids from OIDL, parents from CDAT (and EDGE for octopus
    /// merges); false when it does not read.
    private mutating func append(_ layer: GitGraphLayer) -> Bool {
        let raw = layer.raw
        func be32(_ offset: Int) -> UInt32 { UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
        let none: UInt32 = 0x7000_0000
        let first = ids.count
        ids.reserveCapacity(first + layer.count)
        index.reserve(first + layer.count, ids: ids)
        parentStart.reserveCapacity(first + layer.count + 1)
        parentList.reserveCapacity(parentList.count + layer.count + layer.count / 8)
        for node in 0..<layer.count {
            ids.append(ObjectID(rawBytes: raw.baseAddress! + layer.oids + node * 20))
            guard index.insert(Int32(first + node), ids: ids) else { return false }
            let record = layer.data + node * 36 + 20
            let one = be32(record)
            let two = be32(record + 4)
            if one != none {
                guard one < Int32.max else { return false }
                parentList.append(Int32(one))
            }
            if two != none {
                if two & 0x8000_0000 == 0 {
                    parentList.append(Int32(two))
                } else {
                    guard let edges = layer.edges else { return false }
                    var offset = edges.lowerBound + Int(two & 0x7FFF_FFFF) * 4
                    while true {
                        guard offset + 4 <= edges.upperBound else { return false }
                        let edge = be32(offset)
                        parentList.append(Int32(edge & 0x7FFF_FFFF))
                        if edge & 0x8000_0000 != 0 { break }
                        offset += 4
                    }
                }
            }
            parentStart.append(Int32(parentList.count))
        }
        return true
    }
}

/// One layer of git's commit-graph file, its chunks located and their sizes checked.
private struct GitGraphLayer {
    let raw: UnsafeRawBufferPointer
    let count: Int
    /// Where the OIDL and CDAT chunks start; the EDGE chunk, when there is one.
    let oids: Int
    let data: Int
    let edges: Range<Int>?

    init?(_ raw: UnsafeRawBufferPointer) {
        self.raw = raw
        guard raw.count >= 8, UInt32(bigEndian: raw.loadUnaligned(as: UInt32.self)) == 0x4347_5048,  // "CGPH"
            raw[4] == 1, raw[5] == 1  // version 1, SHA-1
        else { return nil }
        func be32(_ offset: Int) -> UInt32 { UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
        func be64(_ offset: Int) -> UInt64 { UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
        let chunkCount = Int(raw[6])
        guard raw.count >= 8 + (chunkCount + 1) * 12 else { return nil }
        var chunks: [UInt32: Range<Int>] = [:]
        for chunk in 0..<chunkCount {
            let entry = 8 + chunk * 12
            let start = be64(entry + 4)
            let end = be64(entry + 16)
            guard start <= end, end <= UInt64(raw.count) else { return nil }
            chunks[be32(entry)] = Int(start)..<Int(end)
        }
        guard let fanout = chunks[0x4F49_4446], let oids = chunks[0x4F49_444C], let data = chunks[0x4344_4154],  // OIDF OIDL CDAT
            fanout.count == 1024
        else { return nil }
        let count = Int(be32(fanout.lowerBound + 255 * 4))
        guard oids.count == count * 20, data.count == count * 36 else { return nil }
        self.count = count
        self.oids = oids.lowerBound
        self.data = data.lowerBound
        edges = chunks[0x4544_4745]  // EDGE
    }
}
