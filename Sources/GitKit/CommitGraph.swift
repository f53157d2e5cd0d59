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
    private var index: [ObjectID: Int32] = [:]
    /// Parents of commit `i` are `parentList[parentStart[i]..<parentStart[i + 1]]`.
    private var parentStart: [Int32] = [0]
    private var parentList: [Int32] = []

    public init() {}

    /// How many commits the graph holds.
    public var count: Int { ids.count }

    public func contains(_ id: ObjectID) -> Bool { index[id] != nil }

    /// The parents of `id`, first parent first; nil when the commit is not in the graph.
    public func parents(of id: ObjectID) -> [ObjectID]? {
        guard let node = index[id] else { return nil }
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
        mark(tips.compactMap { index[$0] }, into: &marked)
        return Ancestry(index: index, marked: marked)
    }

    /// Every commit reachable from `tips`, the tips included.
    public func reachable(from tips: [ObjectID]) -> Set<ObjectID> {
        var marked = [Bool](repeating: false, count: count)
        mark(tips.compactMap { index[$0] }, into: &marked)
        var result = Set<ObjectID>(minimumCapacity: marked.count)
        for (node, isMarked) in marked.enumerated() where isMarked { result.insert(ids[node]) }
        return result
    }

    /// True when `ancestor` is `descendant` or reachable from it.
    public func isAncestor(_ ancestor: ObjectID, of descendant: ObjectID) -> Bool {
        guard let target = index[ancestor], let start = index[descendant] else { return false }
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
        let chain = firstParentHistory(from: tip).reversed().compactMap { index[$0] }
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
        var cursor = index[tip]
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
        guard let left = index[one], line.marked.count == count else { return [] }
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
        let index: [ObjectID: Int32]
        let marked: [Bool]

        /// True when `id` is one of the tips or reachable from them.
        public func contains(_ id: ObjectID) -> Bool {
            guard let node = index[id] else { return false }
            return marked[Int(node)]
        }
    }

    // MARK: Growing the graph

    /// Adds commits with their parent ids; parents may come later or be missing.
    mutating func add(_ commits: [(ObjectID, [ObjectID])]) {
        guard !commits.isEmpty else { return }
        ids.reserveCapacity(ids.count + commits.count)
        for (id, _) in commits where index[id] == nil {
            index[id] = Int32(ids.count)
            ids.append(id)
        }
        // Nodes must be laid out in index order; a parent missing from the graph is dropped
        // (only shallow or damaged histories have them, and those are refused earlier).
        var pendingParents: [Int32: [Int32]] = [:]
        for (id, parents) in commits {
            pendingParents[index[id]!] = parents.compactMap { index[$0] }
        }
        let firstNew = parentStart.count - 1
        for node in firstNew..<ids.count {
            parentList.append(contentsOf: pendingParents[Int32(node)] ?? [])
            parentStart.append(Int32(parentList.count))
        }
    }

    // MARK: The cache file

    private static let magic: UInt32 = 0x4D46_4347  // "MFCG"
    private static let formatVersion: UInt32 = 1

    /// The graph as bytes: magic, version, counts, ids, parent offsets, parents, checksum.
    func serialized() -> Data {
        var data = Data()
        data.reserveCapacity(16 + ids.count * 24 + parentList.count * 4 + 8)
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
        }
        append(Self.magic)
        append(Self.formatVersion)
        append(UInt32(ids.count))
        append(UInt32(parentList.count))
        for id in ids {
            var oid = id.oid
            withUnsafeBytes(of: &oid.id) { data.append(contentsOf: $0) }
        }
        for start in parentStart { append(UInt32(start)) }
        for parent in parentList { append(UInt32(parent)) }
        append(Self.checksum(data))
        return data
    }

    /// Reads bytes made by `serialized()`; nil for anything damaged or of another version.
    init?(serialized data: Data) {
        guard data.count >= 24 else { return nil }
        let ok: Bool = data.withUnsafeBytes { raw in
            func read32(_ offset: Int) -> UInt32 { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
            guard read32(0) == Self.magic, read32(4) == Self.formatVersion else { return false }
            let count = Int(read32(8)), parents = Int(read32(12))
            let expected = 16 + count * 20 + (count + 1) * 4 + parents * 4 + 8
            guard raw.count == expected else { return false }
            let stored = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: expected - 8, as: UInt64.self))
            guard stored == Self.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<(expected - 8)])) else { return false }
            var ids = [ObjectID]()
            ids.reserveCapacity(count)
            var index = [ObjectID: Int32](minimumCapacity: count)
            for node in 0..<count {
                var oid = git_oid()
                withUnsafeMutableBytes(of: &oid.id) { target in
                    target.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[(16 + node * 20)..<(36 + node * 20)]))
                }
                let id = ObjectID(oid)
                index[id] = Int32(node)
                ids.append(id)
            }
            var offset = 16 + count * 20
            var starts = [Int32]()
            starts.reserveCapacity(count + 1)
            for _ in 0...count {
                starts.append(Int32(truncatingIfNeeded: read32(offset)))
                offset += 4
            }
            var list = [Int32]()
            list.reserveCapacity(parents)
            for _ in 0..<parents {
                list.append(Int32(truncatingIfNeeded: read32(offset)))
                offset += 4
            }
            // Offsets must rise to the end of the list and every parent must be a node.
            guard starts.first == 0, starts.last == Int32(parents),
                zip(starts, starts.dropFirst()).allSatisfy({ $0 <= $1 }),
                list.allSatisfy({ $0 >= 0 && $0 < Int32(count) }), index.count == count
            else { return false }
            self.ids = ids
            self.index = index
            self.parentStart = starts
            self.parentList = list
            return true
        }
        guard ok else { return nil }
    }

    private static func checksum(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }
}

extension Repository {
    /// A graph of every commit reachable from `tips`.
    ///
    /// With `cache` (a folder), the graph of this repository is read from and written back to a
    /// file there, so only commits added since the last call are read from the repository. A
    /// missing, damaged or unwritable cache is not an error: the graph is then read in full.
    public func commitGraph(from tips: [ObjectID], cache: URL? = nil) throws(GitError) -> CommitGraph {
        let file = cache.map { $0.appendingPathComponent("commit-graph-\(cacheKey).mfcg") }
        var graph = file.flatMap { try? Data(contentsOf: $0, options: .alwaysMapped) }.flatMap(CommitGraph.init(serialized:))
            ?? CommitGraph()
        if !tips.allSatisfy(graph.contains), let fromGit = CommitGraph.readGitCommitGraph(objectsDirectory: objectsDirectory),
            fromGit.count > graph.count
        {
            // git's own graph knows more: start from it (what the cache knew beyond it is read again).
            graph = fromGit
        }
        let added = try readParents(of: tips.filter { !graph.contains($0) }, known: graph)
        guard !added.isEmpty else { return graph }
        graph.add(added)
        if let file, let cache {
            try? FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
            try? graph.serialized().write(to: file, options: .atomic)
        }
        return graph
    }

    /// The object folder (`.git/objects`), where git keeps its commit-graph.
    private var objectsDirectory: String {
        (gitDirectory.hasSuffix("/") ? gitDirectory : gitDirectory + "/") + "objects"
    }

    /// Names this repository's cache file: its git folder, hashed.
    private var cacheKey: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in gitDirectory.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }

    /// Reads the parents of `tips` and of every ancestor not in `known`, from the raw commit
    /// headers (no full parse: only the `parent` lines are needed).
    private func readParents(of tips: [ObjectID], known: CommitGraph) throws(GitError) -> [(ObjectID, [ObjectID])] {
        guard !tips.isEmpty else { return [] }
        return try withHandle { handle throws(GitError) in
            let odb = try objectDatabase(handle)
            defer { git_odb_free(odb) }
            var result: [(ObjectID, [ObjectID])] = []
            var visited = Set<ObjectID>()
            var pending = tips
            while let id = pending.popLast() {
                guard visited.insert(id).inserted, !known.contains(id) else { continue }
                var oid = id.oid
                var object: OpaquePointer?
                try check("git_odb_read", "cannot read commit \(id.short)", reference: id.hex) {
                    git_odb_read(&object, odb, &oid)
                }
                defer { git_odb_object_free(object) }
                guard git_odb_object_type(object) == GIT_OBJECT_COMMIT else {
                    throw GitError(
                        code: .notFound, operation: "cannot read commit \(id.short)",
                        message: "the object is a \(ObjectKind(git_odb_object_type(object)).rawValue), not a commit",
                        repository: location, reference: id.hex)
                }
                let parents = Self.parentLines(git_odb_object_data(object), size: git_odb_object_size(object))
                result.append((id, parents))
                for parent in parents.reversed() where !visited.contains(parent) && !known.contains(parent) {
                    pending.append(parent)
                }
            }
            return result
        }
    }

    /// The ids on `parent ` lines of a raw commit, which follow its `tree ` line.
    private static func parentLines(_ data: UnsafeRawPointer?, size: Int) -> [ObjectID] {
        guard let data else { return [] }
        let bytes = UnsafeRawBufferPointer(start: data, count: size)
        var parents: [ObjectID] = []
        var offset = 46  // "tree " + 40 hex digits + "\n"
        let prefix = Array("parent ".utf8)
        while offset + 48 <= bytes.count, bytes[offset..<(offset + 7)].elementsEqual(prefix) {
            var oid = git_oid()
            let parsed = git_oid_fromstrn(&oid, data.advanced(by: offset + 7).assumingMemoryBound(to: CChar.self), 40)
            guard parsed == 0 else { break }
            parents.append(ObjectID(oid))
            offset += 48
        }
        return parents
    }
}

// MARK: git's own commit-graph file

extension CommitGraph {
    /// Reads git's commit-graph (`objects/info/commit-graph`, or the layers named by
    /// `objects/info/commit-graphs/commit-graph-chain`), which `git gc` and `git commit-graph
    /// write` keep. libgit2 1.5 does not use it when walking, so GitKit reads it itself.
    /// Nil when there is none or it cannot be read; then commits are read one by one.
    static func readGitCommitGraph(objectsDirectory: String) -> CommitGraph? {
        let info = objectsDirectory + "/info"
        var layers: [String] = []
        if let chain = try? String(contentsOfFile: info + "/commit-graphs/commit-graph-chain", encoding: .utf8) {
            layers = chain.split(separator: "\n").map { info + "/commit-graphs/graph-\($0).graph" }
        } else if FileManager.default.fileExists(atPath: info + "/commit-graph") {
            layers = [info + "/commit-graph"]
        }
        guard !layers.isEmpty else { return nil }
        var ids: [ObjectID] = []
        var parents: [[UInt32]] = []
        for layer in layers {
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: layer), options: .alwaysMapped),
                readLayer(data, into: &ids, parents: &parents)
            else { return nil }
        }
        var graph = CommitGraph()
        graph.ids = ids
        graph.index.reserveCapacity(ids.count)
        for (node, id) in ids.enumerated() { graph.index[id] = Int32(node) }
        guard graph.index.count == ids.count else { return nil }
        graph.parentStart.reserveCapacity(ids.count + 1)
        for list in parents {
            for parent in list {
                guard parent < UInt32(ids.count) else { return nil }
                graph.parentList.append(Int32(parent))
            }
            graph.parentStart.append(Int32(graph.parentList.count))
        }
        return graph
    }

    /// Appends one layer's commits: ids from OIDL, parents from CDAT (and EDGE for octopus
    /// merges). Parent positions count across layers, base layers first.
    private static func readLayer(_ data: Data, into ids: inout [ObjectID], parents: inout [[UInt32]]) -> Bool {
        data.withUnsafeBytes { raw -> Bool in
            guard raw.count >= 8, raw.load(as: UInt32.self) == UInt32(bigEndian: 0x4347_5048),  // "CGPH"
                raw[4] == 1, raw[5] == 1  // version 1, SHA-1
            else { return false }
            func be32(_ offset: Int) -> UInt32 { UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
            func be64(_ offset: Int) -> UInt64 { UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
            let chunkCount = Int(raw[6])
            guard raw.count >= 8 + (chunkCount + 1) * 12 else { return false }
            var chunks: [UInt32: (start: Int, end: Int)] = [:]
            for chunk in 0..<chunkCount {
                let entry = 8 + chunk * 12
                let start = Int(be64(entry + 4)), end = Int(be64(entry + 16))
                guard start <= end, end <= raw.count else { return false }
                chunks[be32(entry)] = (start, end)
            }
            guard let fanout = chunks[0x4F49_4446], let oids = chunks[0x4F49_444C], let data = chunks[0x4344_4154],  // OIDF OIDL CDAT
                fanout.end - fanout.start == 1024
            else { return false }
            let count = Int(be32(fanout.start + 255 * 4))
            guard oids.end - oids.start == count * 20, data.end - data.start == count * 36 else { return false }
            let edges = chunks[0x4544_4745]  // EDGE
            let none: UInt32 = 0x7000_0000
            ids.reserveCapacity(ids.count + count)
            parents.reserveCapacity(parents.count + count)
            for node in 0..<count {
                var oid = git_oid()
                withUnsafeMutableBytes(of: &oid.id) { target in
                    target.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[(oids.start + node * 20)..<(oids.start + node * 20 + 20)]))
                }
                ids.append(ObjectID(oid))
                let record = data.start + node * 36 + 20
                var list: [UInt32] = []
                let first = be32(record), second = be32(record + 4)
                if first != none { list.append(first) }
                if second != none {
                    if second & 0x8000_0000 == 0 {
                        list.append(second)
                    } else {
                        guard let edges else { return false }
                        var offset = edges.start + Int(second & 0x7FFF_FFFF) * 4
                        while true {
                            guard offset + 4 <= edges.end else { return false }
                            let edge = be32(offset)
                            list.append(edge & 0x7FFF_FFFF)
                            if edge & 0x8000_0000 != 0 { break }
                            offset += 4
                        }
                    }
                }
                parents.append(list)
            }
            return true
        }
    }
}
