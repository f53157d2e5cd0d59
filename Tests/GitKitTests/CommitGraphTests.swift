import Foundation
import GitKit
import TestSupport
import Testing

/// A history with merges, criss-crosses and an unrelated root, to hold the graph's answers
/// against libgit2's and git's own.
func tangledHistory() throws -> GitFixture {
    let fixture = try GitFixture("tangle")
    try fixture.commit("root")
    try fixture.git(["branch", "b1"])
    try fixture.git(["branch", "b2"])
    try fixture.commit("m1", file: "m.txt")
    try fixture.git(["checkout", "-q", "b1"])
    try fixture.commit("b1-1", file: "b1.txt")
    try fixture.git(["checkout", "-q", "b2"])
    try fixture.commit("b2-1", file: "b2.txt")
    try fixture.git(["merge", "-q", "--no-ff", "-m", "b2 takes b1", "b1"])
    try fixture.git(["checkout", "-q", "b1"])
    try fixture.git(["merge", "-q", "--no-ff", "-m", "b1 takes master", "master"])
    try fixture.git(["checkout", "-q", "master"])
    try fixture.git(["merge", "-q", "--no-ff", "-m", "master takes b2", "b2"])
    try fixture.commit("m2", file: "m2.txt")
    try fixture.git(["checkout", "-q", "--orphan", "lonely"])
    try fixture.commit("lonely root", file: "l.txt")
    try fixture.git(["checkout", "-q", "master"])
    return fixture
}

@Suite(.onTestThreads) struct CommitGraphTests {
    @Test func agreesWithLibgit2AndGit() throws {
        let fixture = try tangledHistory()
        let repository = try Repository.open(at: fixture.path)
        let tips = try ["master", "b1", "b2", "lonely"].map { try repository.resolveCommit($0) }
        let graph = try repository.commitGraph(from: tips)
        let all = try repository.commits(from: tips)
        #expect(graph.count == all.count)
        for id in all {
            #expect(graph.parents(of: id) == (try repository.commit(id)).parents)
        }
        for tip in tips {
            #expect(graph.reachable(from: [tip]) == (try repository.reachableCommits(from: [tip])))
            #expect(graph.firstParentHistory(from: tip) == (try repository.firstParentHistory(from: tip)))
            for other in tips {
                // git exits 1 when there is no merge base.
                let all = (try? fixture.git(["merge-base", "--all", tip.hex, other.hex]))?.split(separator: "\n").map(String.init) ?? []
                let ours = graph.mergeBases(tip, with: graph.ancestry(of: [other])).map(\.hex)
                #expect(Set(ours) == Set(all), "\(tip.short) \(other.short)")
                if all.count == 1 { #expect(graph.mergeBase(tip, other) == (try repository.mergeBase(tip, other))) }
                #expect(graph.isAncestor(tip, of: other) == (try repository.isAncestor(tip, of: other)))
            }
        }
        for id in all {
            #expect(graph.ancestry(of: [tips[0]]).contains(id) == (try repository.isAncestor(id, of: tips[0])))
        }
    }

    @Test func joinPositionsPlaceMergedCommitsAtTheirMerge() throws {
        let fixture = try GitFixture()
        let root = try fixture.commit("root")
        try fixture.git(["checkout", "-q", "-b", "side"])
        let side = try fixture.commit("side", file: "s.txt")
        try fixture.git(["checkout", "-q", "master"])
        let main = try fixture.commit("main", file: "m.txt")
        try fixture.git(["merge", "-q", "--no-ff", "-m", "merge", "side"])
        let merge = try fixture.id("HEAD")
        let repository = try Repository.open(at: fixture.path)
        let graph = try repository.commitGraph(from: [ObjectID(hex: merge)!])
        let positions = graph.joinPositions(along: ObjectID(hex: merge)!)
        #expect(positions[ObjectID(hex: root)!] == 0)
        #expect(positions[ObjectID(hex: main)!] == 1)
        #expect(positions[ObjectID(hex: side)!] == 2)
        #expect(positions[ObjectID(hex: merge)!] == 2)
    }

    @Test func cacheIsReusedGrownAndSurvivesDamage() throws {
        let fixture = try GitFixture()
        for index in 0..<5 { try fixture.commit("c\(index)") }
        let cache = fixture.directory.appending("cache")
        let cacheURL = URL(fileURLWithPath: cache)
        let repository = try Repository.open(at: fixture.path)
        let head = try repository.resolveCommit("HEAD")
        #expect(try repository.commitGraph(from: [head], cache: cacheURL).count == 5)
        let files = try FileManager.default.contentsOfDirectory(atPath: cache)
        #expect(files.count == 1)
        let file = cache + "/" + files[0]
        let written = try Data(contentsOf: URL(fileURLWithPath: file))

        // Unchanged history: the file is read, not rewritten.
        #expect(try repository.commitGraph(from: [head], cache: cacheURL).count == 5)
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == written)

        // New commits: only they are read, and the file grows.
        try fixture.commit("c5")
        let newHead = try repository.resolveCommit("HEAD")
        let grown = try repository.commitGraph(from: [newHead], cache: cacheURL)
        #expect(grown.count == 6 && grown.parents(of: newHead) == [head])
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)).count > written.count)

        // A damaged file is ignored and replaced.
        var damaged = try Data(contentsOf: URL(fileURLWithPath: file))
        damaged[damaged.count / 2] ^= 0xFF
        try damaged.write(to: URL(fileURLWithPath: file))
        let reread = try repository.commitGraph(from: [newHead], cache: cacheURL)
        #expect(reread.count == 6 && reread.firstParentHistory(from: newHead).count == 6)
        try Data("short".utf8).write(to: URL(fileURLWithPath: file))
        #expect(try repository.commitGraph(from: [newHead], cache: cacheURL).count == 6)

        // A file of another format version (1 had a byte-wise checksum) is ignored and replaced.
        var older = try Data(contentsOf: URL(fileURLWithPath: file))
        older[4] = 1
        try older.write(to: URL(fileURLWithPath: file))
        #expect(try repository.commitGraph(from: [newHead], cache: cacheURL).count == 6)
        #expect(try Data(contentsOf: URL(fileURLWithPath: file))[4] == 2)

        // An unwritable cache folder is not an error.
        #expect(try repository.commitGraph(from: [newHead], cache: URL(fileURLWithPath: "/proc/mf-cannot-write")).count == 6)
    }

    /// A repository met for the first time, its history in a pack and no commit-graph file: the
    /// commits are read from the pack (and the ones added since from loose files), the same
    /// graph as libgit2's, and branches the tips do not reach are kept in the cache too.
    @Test func firstLookReadsThePacks() throws {
        let fixture = try tangledHistory()
        try fixture.git(["-c", "gc.writeCommitGraph=false", "repack", "-a", "-d", "-q"])
        #expect(!FileManager.default.fileExists(atPath: fixture.path + "/.git/objects/info/commit-graph"))
        let loose = try ObjectID(hex: fixture.commit("after the pack", file: "after.txt"))!
        let repository = try Repository.open(at: fixture.path)
        let cache = URL(fileURLWithPath: fixture.directory.appending("cache"))
        let graph = try repository.commitGraph(from: [loose], cache: cache)
        let tips = try ["master", "b1", "b2", "lonely"].map { try repository.resolveCommit($0) }
        let all = try repository.commits(from: tips)
        #expect(graph.count == all.count)
        for id in all { #expect(graph.parents(of: id) == (try repository.commit(id)).parents) }
        #expect(graph.contains(try repository.resolveCommit("lonely")))
        #expect(graph.reachable(from: [loose]) == (try repository.reachableCommits(from: [loose])))
        // The next look reads the cache alone and answers the same.
        let again = try repository.commitGraph(from: tips, cache: cache)
        #expect(again.count == graph.count)
        for id in all { #expect(again.parents(of: id) == graph.parents(of: id)) }
    }

    /// A commit the pack holds whose parent is nowhere (as at a shallow clone's boundary) is not
    /// kept when no tip needs it, so the cache never records it without its parent; a tip that
    /// needs it is an error, as before.
    @Test func packedCommitsWithoutTheirParentsAreLeftOut() throws {
        let source = try tangledHistory()
        let clone = TemporaryDirectory("shallow")
        let path = clone.appending("c")
        let cloned = try runProcess(
            "/usr/bin/git", ["clone", "-q", "--no-single-branch", "--depth", "1", "file://" + source.path, path],
            environment: gitEnvironment(home: clone.path))
        #expect(cloned.status == 0, "\(cloned.stderr)")
        let repository = try Repository.open(at: path)
        #expect(repository.isShallow)
        let master = try repository.resolveCommit("origin/master")
        #expect(throws: GitError.self) { try repository.commitGraph(from: [master], cache: URL(fileURLWithPath: clone.appending("cache"))) }
        // The root of the unrelated branch has no parent to miss: it is complete.
        let lonely = try repository.resolveCommit("origin/lonely")
        let graph = try repository.commitGraph(from: [lonely], cache: URL(fileURLWithPath: clone.appending("cache2")))
        #expect(graph.contains(lonely) && !graph.contains(master))
    }

    @Test func aTipThatIsNotACommitIsAnError() throws {
        let fixture = try GitFixture()
        try fixture.commit("one")
        let repository = try Repository.open(at: fixture.path)
        let tree = try ObjectID(hex: fixture.id("HEAD^{tree}"))!
        let error = #expect(throws: GitError.self) { try repository.commitGraph(from: [tree]) }
        #expect(error?.description.contains("not a commit") == true)
    }
}

@Suite(.onTestThreads) struct GitCommitGraphFileTests {
    /// A history with an octopus merge (parents past the second live in git's EDGE chunk).
    func octopus() throws -> GitFixture {
        let fixture = try GitFixture("octopus")
        try fixture.commit("root")
        for name in ["a", "b", "c"] {
            try fixture.git(["checkout", "-q", "-b", name, "master"])
            try fixture.commit(name, file: name + ".txt")
        }
        try fixture.git(["checkout", "-q", "master"])
        try fixture.git(["merge", "-q", "-m", "octopus", "a", "b", "c"])
        try fixture.commit("after", file: "after.txt")
        try fixture.git(["checkout", "-q", "-b", "elsewhere", "a"])
        try fixture.commit("elsewhere", file: "e.txt")
        try fixture.git(["checkout", "-q", "master"])
        return fixture
    }

    @Test(arguments: [false, true])
    func readsGitsCommitGraph(split: Bool) throws {
        let fixture = try octopus()
        try fixture.git(["commit-graph", "write", "--reachable"] + (split ? ["--split"] : []))
        if split {
            // A second layer on top of the first.
            try fixture.commit("newer", file: "n.txt")
            try fixture.git(["commit-graph", "write", "--reachable", "--split=no-merge"])
            #expect(FileManager.default.fileExists(atPath: fixture.path + "/.git/objects/info/commit-graphs/commit-graph-chain"))
        }
        let repository = try Repository.open(at: fixture.path)
        let master = try repository.resolveCommit("master")
        let graph = try repository.commitGraph(from: [master])
        // Read from git's file, the graph also knows the branch that master does not reach.
        #expect(graph.contains(try repository.resolveCommit("elsewhere")))
        let all = try repository.commits(from: [master, repository.resolveCommit("elsewhere")])
        #expect(graph.count == all.count)
        for id in all { #expect(graph.parents(of: id) == (try repository.commit(id)).parents) }
        let merge = try repository.resolveCommit(split ? "master~2" : "master~1")
        #expect(graph.parents(of: merge)?.count == 3)  // git fast-forwards to a, then merges b and c
    }

    @Test func commitsNewerThanTheFileAreReadFromTheRepository() throws {
        let fixture = try octopus()
        try fixture.git(["commit-graph", "write", "--reachable"])
        let newer = try fixture.commit("newer than the graph", file: "n.txt")
        let repository = try Repository.open(at: fixture.path)
        let graph = try repository.commitGraph(from: [ObjectID(hex: newer)!])
        #expect(graph.parents(of: ObjectID(hex: newer)!) == [try repository.resolveCommit("master~1")])
        #expect(graph.firstParentHistory(from: ObjectID(hex: newer)!).count == 5)
    }

    @Test func aDamagedFileIsIgnored() throws {
        let fixture = try octopus()
        try fixture.git(["commit-graph", "write", "--reachable"])
        let file = fixture.path + "/.git/objects/info/commit-graph"
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        var data = try Data(contentsOf: URL(fileURLWithPath: file))
        data = data.prefix(data.count / 2)
        try data.write(to: URL(fileURLWithPath: file))
        let repository = try Repository.open(at: fixture.path)
        let master = try repository.resolveCommit("master")
        let graph = try repository.commitGraph(from: [master])
        #expect(graph.count == (try repository.commits(from: [master])).count)
    }
}
