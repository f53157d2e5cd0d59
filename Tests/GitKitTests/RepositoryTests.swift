import Foundation
import GitKit
import TestSupport
import Testing

@Suite(.onTestThreads) struct OpeningTests {
    @Test func opensWorkTreeSubfolderGitFolderAndBare() throws {
        let fixture = try GitFixture()
        let first = try fixture.commit("first", file: "src/a.txt")
        for path in [fixture.path, fixture.path + "/src", fixture.path + "/.git"] {
            let repository = try Repository.open(at: path)
            #expect(repository.workDirectory != nil)
            #expect(try repository.head().commit?.hex == first)
        }
        let bare = try GitFixture("bare", bare: true)
        try bare.git(["fetch", "-q", fixture.path, "master:master"])
        let repository = try Repository.open(at: bare.path)
        #expect(repository.isBare)
        #expect(repository.workDirectory == nil)
        #expect(try repository.head().commit?.hex == first)
    }

    /// A remote's URL as the repository's configuration gives it: this host's `insteadOf`
    /// rewriting is not applied (a repository's name must not depend on the host reading it).
    @Test func aRemotesURLIsTheConfiguredOne() throws {
        let fixture = try GitFixture("remote")
        try fixture.commit("first")
        #expect(try Repository.open(at: fixture.path).remoteURL(named: "origin") == nil)
        try fixture.git(["remote", "add", "origin", "https://forge.example/team/churn.git"])
        try fixture.git(["config", "url./srv/mirror/.insteadOf", "https://forge.example/"])
        #expect(try Repository.open(at: fixture.path).remoteURL(named: "origin") == "https://forge.example/team/churn.git")
    }

    @Test func notARepositoryIsANotFoundErrorNamingThePath() throws {
        let folder = TemporaryDirectory("plain")
        let error = #expect(throws: GitError.self) { try Repository.open(at: folder.path) }
        #expect(error?.code == .notFound)
        #expect(error?.description.contains(folder.path) == true)
        #expect(error?.description.hasPrefix("cannot open repository: ") == true)
    }

    @Test func emptyRepositoryHasUnbornHead() throws {
        let fixture = try GitFixture()
        let repository = try Repository.open(at: fixture.path)
        #expect(repository.isHeadUnborn)
        #expect(try repository.head() == Head(branch: "refs/heads/master", commit: nil))
        #expect(try repository.references().isEmpty)
    }

    @Test func detachedHead() throws {
        let fixture = try GitFixture()
        let first = try fixture.commit("first")
        try fixture.commit("second")
        try fixture.git(["checkout", "-q", "--detach", first])
        let repository = try Repository.open(at: fixture.path)
        #expect(repository.isHeadDetached)
        #expect(try repository.head() == Head(branch: nil, commit: ObjectID(hex: first)))
    }

    @Test func shallowCloneIsReported() throws {
        let origin = try GitFixture("origin")
        for index in 1...3 { try origin.commit("commit \(index)") }
        let clone = TemporaryDirectory("shallow")
        try origin.git(["clone", "-q", "--depth", "1", "file://" + origin.path, clone.appending("c")], in: clone.path)
        #expect(try Repository.open(at: clone.appending("c")).isShallow)
        #expect(try !Repository.open(at: origin.path).isShallow)
    }
}

@Suite(.onTestThreads) struct CommitTests {
    @Test func readsCommitFields() throws {
        let fixture = try GitFixture()
        let first = try fixture.commit("first line\n\nbody")
        let second = try fixture.commit("second")
        let repository = try Repository.open(at: fixture.path)
        let commit = try repository.commit(ObjectID(hex: second)!)
        #expect(commit.parents == [ObjectID(hex: first)!])
        #expect(commit.author.name == "Test Author")
        #expect(commit.author.email == "author@example.com")
        #expect(commit.message == "second\n")
        #expect(commit.summary == "second")
        #expect(try repository.commit(ObjectID(hex: first)!).summary == "first line")
        #expect(commit.tree.hex == (try fixture.id("HEAD^{tree}")))
        #expect(commit.committer.time.timeIntervalSince1970 > 1_767_225_600)
    }

    @Test func resolvesRevisions() throws {
        let fixture = try GitFixture()
        let first = try fixture.commit("first")
        try fixture.commit("second")
        try fixture.git(["tag", "-a", "-m", "x", "v1", first])
        let repository = try Repository.open(at: fixture.path)
        #expect(try repository.resolveCommit("HEAD~1").hex == first)
        #expect(try repository.resolveCommit("v1").hex == first)
        #expect(try repository.resolveCommit(String(first.prefix(8))).hex == first)
        let missing = #expect(throws: GitError.self) { try repository.resolveCommit("no-such-branch") }
        #expect(missing?.code == .notFound)
        let tree = #expect(throws: GitError.self) { try repository.resolveCommit("HEAD^{tree}") }
        #expect(tree?.description.contains("does not name a commit") == true)
    }

    @Test func ancestryMergeBaseAndFirstParentHistory() throws {
        let fixture = try GitFixture()
        let root = try fixture.commit("root")
        try fixture.git(["checkout", "-q", "-b", "side"])
        let side = try fixture.commit("side", file: "side.txt")
        try fixture.git(["checkout", "-q", "master"])
        let main = try fixture.commit("main", file: "main.txt")
        try fixture.git(["merge", "-q", "--no-ff", "-m", "merge side", "side"])
        let merge = try fixture.id("HEAD")
        try fixture.git(["checkout", "-q", "--orphan", "unrelated"])
        let orphan = try fixture.commit("orphan", file: "o.txt")

        let repository = try Repository.open(at: fixture.path)
        let ids = [root, side, main, merge, orphan].map { ObjectID(hex: $0)! }
        #expect(try repository.isAncestor(ids[0], of: ids[3]))
        #expect(try repository.isAncestor(ids[1], of: ids[3]))
        #expect(try repository.isAncestor(ids[3], of: ids[3]))
        #expect(try !repository.isAncestor(ids[3], of: ids[1]))
        #expect(try repository.mergeBase(ids[1], ids[2]) == ids[0])
        #expect(try repository.mergeBase(ids[3], ids[4]) == nil)
        #expect(try repository.firstParentHistory(from: ids[3]) == [ids[3], ids[2], ids[0]])
        #expect(try repository.commits(from: [ids[3]]).count == 4)
        #expect(try repository.commits(from: [ids[3]], hiding: [ids[2]]) == [ids[3], ids[1]])
        #expect(try repository.reachableCommits(from: [ids[3]]) == Set(ids[0...3]))
        let graph = try repository.commitGraph(from: [ids[3]])
        #expect(graph.parents(of: ids[3]) == [ids[2], ids[1]])
        #expect(graph.parents(of: ids[0]) == [])
        #expect(graph.count == 4)
    }

    @Test func repositoryIsSafeToShareBetweenTasks() async throws {
        let fixture = try GitFixture()
        for index in 0..<20 { try fixture.commit("commit \(index)") }
        for index in 0..<20 { try fixture.git(["tag", "t\(index)", "HEAD~\(index)"]) }
        let repository = try Repository.open(at: fixture.path)
        let head = try repository.head().commit!
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<16 {
                group.addTask {
                    var total = 0
                    for _ in 0..<20 {
                        total +=
                            task % 2 == 0
                            ? try repository.references().count
                            : try repository.commits(from: [head]).count
                    }
                    return total
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(counts.allSatisfy { $0 == 21 * 20 || $0 == 20 * 20 })
    }
}

@Suite(.onTestThreads) struct FileTests {
    @Test func readsFilesAtACommit() throws {
        let fixture = try GitFixture()
        let first = try fixture.commit("first", file: "data/train.csv", content: "a,b\n1,2\n")
        try fixture.commit("second", file: "data/train.csv", content: "changed\n")
        let repository = try Repository.open(at: fixture.path)
        let data = try repository.file(at: "data/train.csv", in: ObjectID(hex: first)!)
        #expect(String(decoding: data, as: UTF8.self) == "a,b\n1,2\n")
        let missing = #expect(throws: GitError.self) { try repository.file(at: "nope.txt", in: ObjectID(hex: first)!) }
        #expect(missing?.code == .notFound)
        #expect(missing?.description.contains("nope.txt") == true)
        let folder = #expect(throws: GitError.self) { try repository.file(at: "data", in: ObjectID(hex: first)!) }
        #expect(folder?.description.contains("folder") == true)
    }
}
