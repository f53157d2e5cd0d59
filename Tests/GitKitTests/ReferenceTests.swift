import Foundation
import GitKit
import TestSupport
import Testing

@Suite(.onTestThreads) struct ReferenceTests {
    func reference(_ references: [Reference], _ name: String) -> Reference? {
        references.first { $0.name == name }
    }

    @Test(arguments: [false, true])
    func listsEveryKindWithPeeledCommits(packed: Bool) throws {
        let fixture = try GitFixture()
        let first = try fixture.commit("first")
        let second = try fixture.commit("second")
        try fixture.git(["branch", "feature/x", first])
        try fixture.git(["tag", "light", first])
        try fixture.git(["tag", "-a", "-m", "Release 1\n\nnotes", "v1.0.0", second])
        try fixture.git(["symbolic-ref", "refs/heads/alias", "refs/heads/master"])
        if packed { try fixture.git(["pack-refs", "--all"]) }

        let references = try Repository.open(at: fixture.path).references()
        #expect(
            references.map(\.name) == [
                "refs/heads/alias", "refs/heads/feature/x", "refs/heads/master", "refs/tags/light", "refs/tags/v1.0.0",
            ])
        let master = try #require(reference(references, "refs/heads/master"))
        #expect(master.kind == .branch && master.shortName == "master")
        #expect(master.commit?.hex == second && master.problem == nil)
        #expect(reference(references, "refs/heads/feature/x")?.commit?.hex == first)
        let alias = try #require(reference(references, "refs/heads/alias"))
        #expect(alias.symbolicTarget == "refs/heads/master" && alias.commit?.hex == second)
        let light = try #require(reference(references, "refs/tags/light"))
        #expect(light.kind == .tag && light.annotation == nil && light.commit?.hex == first)
        let annotated = try #require(reference(references, "refs/tags/v1.0.0"))
        #expect(annotated.commit?.hex == second)
        #expect(annotated.target?.hex == (try fixture.id("v1.0.0")))
        #expect(annotated.annotation?.message == "Release 1\n\nnotes\n")
        #expect(annotated.annotation?.tagger?.name == "Test Author")
        #expect(annotated.annotation?.targetKind == .commit)
    }

    @Test func remoteBranchesOfAClone() throws {
        let origin = try GitFixture("origin")
        let head = try origin.commit("first")
        try origin.git(["branch", "development"])
        let clone = TemporaryDirectory("clone")
        try origin.git(["clone", "-q", origin.path, clone.appending("c")], in: clone.path)
        let references = try Repository.open(at: clone.appending("c")).references()
        let remote = try #require(reference(references, "refs/remotes/origin/development"))
        #expect(remote.kind == .remoteBranch && remote.shortName == "origin/development" && remote.commit?.hex == head)
        #expect(reference(references, "refs/remotes/origin/HEAD")?.symbolicTarget == "refs/remotes/origin/master")
    }

    @Test func tagsOfTreesBlobsAndTags() throws {
        let fixture = try GitFixture()
        let head = try fixture.commit("first", file: "a.txt", content: "hello\n")
        try fixture.git(["tag", "tree-tag", "HEAD^{tree}"])
        try fixture.git(["tag", "blob-tag", "HEAD:a.txt"])
        try fixture.git(["tag", "-a", "-m", "annotated tree", "atree", "HEAD^{tree}"])
        try fixture.git(["tag", "-a", "-m", "inner", "v1", head])
        try fixture.git(["tag", "-a", "-m", "outer", "v1-outer", "v1"])

        let references = try Repository.open(at: fixture.path).references()
        #expect(reference(references, "refs/tags/tree-tag")?.problem == .notACommit(.tree))
        #expect(reference(references, "refs/tags/tree-tag")?.commit == nil)
        #expect(reference(references, "refs/tags/blob-tag")?.problem == .notACommit(.blob))
        #expect(reference(references, "refs/tags/atree")?.problem == .notACommit(.tree))
        let outer = try #require(reference(references, "refs/tags/v1-outer"))
        #expect(outer.commit?.hex == head && outer.problem == nil)
        #expect(outer.annotation?.targetKind == .tag && outer.annotation?.targetTagName == "v1")
    }

    @Test func brokenDanglingAndOddlyNamedReferences() throws {
        let fixture = try GitFixture()
        let head = try fixture.commit("first")
        let odd = "feature/ünïcode-$(touch${IFS}x);a&b|c'\"`<>"
        try fixture.git(["branch", odd])
        try fixture.writeGitFile("refs/heads/dangling", "0123456789012345678901234567890123456789\n")
        try fixture.writeGitFile("refs/heads/garbage", "this is not a reference\n")
        try fixture.writeGitFile("refs/heads/with space", head + "\n")
        try fixture.git(["symbolic-ref", "refs/heads/ghost", "refs/heads/nothing"])

        let references = try Repository.open(at: fixture.path).references()
        #expect(reference(references, "refs/heads/" + odd)?.commit?.hex == head)
        #expect(reference(references, "refs/heads/" + odd)?.problem == nil)
        #expect(reference(references, "refs/heads/dangling")?.problem == .dangling(target: "0123456789012345678901234567890123456789"))
        #expect(reference(references, "refs/heads/garbage")?.problem == .unreadable("the file is not a valid reference"))
        #expect(reference(references, "refs/heads/with space")?.problem == .invalidName)
        #expect(reference(references, "refs/heads/ghost")?.problem == .dangling(target: "refs/heads/nothing"))
        #expect(reference(references, "refs/heads/master")?.commit?.hex == head)
    }

    @Test func corruptObjectIsAProblemNotACrash() throws {
        let fixture = try GitFixture()
        try fixture.commit("first")
        let head = try fixture.commit("second")
        let object = fixture.path + "/.git/objects/" + head.prefix(2) + "/" + head.dropFirst(2)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: object)
        try Data("garbage, not zlib".utf8).write(to: URL(fileURLWithPath: object))

        let repository = try Repository.open(at: fixture.path)
        let master = try #require(try repository.references().first { $0.name == "refs/heads/master" })
        #expect(master.commit == nil)
        guard case .unreadable = master.problem else {
            Issue.record("expected an unreadable problem, got \(String(describing: master.problem))")
            return
        }
        let error = #expect(throws: GitError.self) { try repository.commit(ObjectID(hex: head)!) }
        #expect(error?.description.contains(String(head.prefix(7))) == true)
    }

    @Test func lookupByShortName() throws {
        let fixture = try GitFixture()
        let head = try fixture.commit("first")
        try fixture.git(["tag", "v2"])
        let repository = try Repository.open(at: fixture.path)
        #expect(try repository.reference(named: "v2").name == "refs/tags/v2")
        #expect(try repository.reference(named: "master").commit?.hex == head)
        let error = #expect(throws: GitError.self) { try repository.reference(named: "nothing") }
        #expect(error?.code == .notFound)
    }
}

@Suite(.onTestThreads) struct PackedTagTests {
    @Test func packedAnnotatedTagsPeelWithoutReadingTagObjects() throws {
        let fixture = try GitFixture()
        let head = try fixture.commit("first", file: "a.txt")
        try fixture.git(["tag", "-a", "-m", "release", "v1"])
        try fixture.git(["tag", "-a", "-m", "tree", "tree-tag", "HEAD^{tree}"])
        try fixture.git(["tag", "-a", "-m", "inner", "inner"])
        try fixture.git(["tag", "-a", "-m", "outer", "outer", "inner"])
        try fixture.git(["pack-refs", "--all"])
        let repository = try Repository.open(at: fixture.path)
        let fast = try repository.references(readingTagObjects: false)
        let full = try repository.references()
        func find(_ list: [Reference], _ name: String) -> Reference? { list.first { $0.shortName == name } }
        for name in ["v1", "tree-tag", "inner", "outer"] {
            #expect(find(fast, name)?.commit == find(full, name)?.commit, "\(name)")
            #expect(find(fast, name)?.problem == find(full, name)?.problem, "\(name)")
            #expect(find(fast, name)?.annotation?.id == find(full, name)?.annotation?.id)
        }
        #expect(find(fast, "v1")?.commit?.hex == head)
        #expect(find(fast, "outer")?.annotation?.targetKind == .unknown)
        #expect(find(full, "outer")?.annotation?.targetKind == .tag)
        #expect(find(fast, "tree-tag")?.problem == .notACommit(.tree))
    }
}
