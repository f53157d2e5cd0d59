import Foundation
import GitKit
import TestSupport
import Testing

@Suite(.onTestThreads) struct WritingTests {
    let author = Signature(name: "Writer", email: "w@example.com", time: Date(timeIntervalSince1970: 1_767_225_600))

    @Test func createsRepositoryCommitsBranchesAndTagsThatGitReads() throws {
        let folder = TemporaryDirectory("write")
        let repository = try Repository.create(at: folder.appending("new"), initialBranch: "master")
        #expect(repository.isHeadUnborn)
        let root = try repository.commit(
            files: [
                FileEntry(path: "README.md", text: "hello\n"),
                FileEntry(path: "bin/run", text: "#!/bin/sh\n", mode: .executable),
                FileEntry(path: "link", text: "README.md", mode: .symlink),
            ],
            parents: [], message: "root\n", author: author, updating: "refs/heads/master")
        let next = try repository.commit(
            files: [FileEntry(path: "README.md", text: "hello again\n")], parents: [root], message: "next\n",
            author: author, updating: "refs/heads/master")
        try repository.createBranch("development", at: root)
        try repository.createTag("v1.0.0", at: next, message: "Release\n", tagger: author)
        try repository.createTag("light", at: root)
        let again = #expect(throws: GitError.self) { try repository.createTag("light", at: next) }
        #expect(again?.code == .exists)

        let git = { (arguments: [String]) throws -> String in
            let result = try runProcess("/usr/bin/git", ["-C", folder.appending("new")] + arguments, environment: gitEnvironment(home: folder.path))
            #expect(result.status == 0, "git \(arguments) failed: \(result.stderr)")
            return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try git(["rev-parse", "master"]) == next.hex)
        #expect(try git(["rev-parse", "development"]) == root.hex)
        #expect(try git(["rev-parse", "v1.0.0^{commit}"]) == next.hex)
        #expect(try git(["cat-file", "-t", "v1.0.0"]) == "tag")
        #expect(try git(["ls-tree", "-r", root.hex]).contains("100755 blob"))
        #expect(try git(["ls-tree", "-r", root.hex]).contains("120000 blob"))
        #expect(try git(["log", "--format=%an <%ae> %at", "-1", "master"]) == "Writer <w@example.com> 1767225600")
        _ = try git(["fsck", "--strict"])
    }

    @Test func mergesTreesAndReportsConflicts() throws {
        let folder = TemporaryDirectory("merge")
        let repository = try Repository.create(at: folder.appending("r"))
        let base = try repository.commit(
            files: [FileEntry(path: "a", text: "1\n"), FileEntry(path: "b", text: "1\n")], parents: [], message: "base", author: author)
        let ours = try repository.commit(
            files: [FileEntry(path: "a", text: "2\n"), FileEntry(path: "b", text: "1\n")], parents: [base], message: "ours", author: author)
        let theirs = try repository.commit(
            files: [FileEntry(path: "a", text: "1\n"), FileEntry(path: "b", text: "2\n")], parents: [base], message: "theirs", author: author)
        let merged = try repository.mergeTree(ours: ours, theirs: theirs)
        let commit = try repository.commit(tree: merged, parents: [ours, theirs], message: "merge", author: author)
        #expect(try String(decoding: repository.file(at: "a", in: commit), as: UTF8.self) == "2\n")
        #expect(try String(decoding: repository.file(at: "b", in: commit), as: UTF8.self) == "2\n")
        let clash = try repository.commit(
            files: [FileEntry(path: "a", text: "3\n"), FileEntry(path: "b", text: "1\n")], parents: [base], message: "clash", author: author)
        let error = #expect(throws: GitError.self) { try repository.mergeTree(ours: ours, theirs: clash) }
        #expect(error?.description.contains("conflict") == true)
    }

    @Test func treeFromAFolderRoundTripsThroughExport() throws {
        let source = TemporaryDirectory("source")
        try source.write("src/model.py", "print('hi')\n")
        try source.write("run.sh", "#!/bin/sh\n")
        try runProcess("/bin/chmod", ["+x", source.appending("run.sh")])
        try runProcess("/bin/ln", ["-s", "src/model.py", source.appending("link")])
        try source.write(".git/ignored", "not part of the tree\n")
        let store = TemporaryDirectory("store")
        let repository = try Repository.create(at: store.appending("r.git"), bare: true)
        let tree = try repository.writeTree(fromDirectory: source.path)
        let commit = try repository.commit(tree: tree, parents: [], message: "import", author: author)
        let out = store.appending("out")
        let summary = try repository.export(commit: commit, to: out)
        #expect(summary.files == 2 && summary.symlinks == 1 && summary.directories == 1)
        #expect(FileManager.default.isExecutableFile(atPath: out + "/run.sh"))
        #expect(try String(contentsOfFile: out + "/src/model.py", encoding: .utf8) == "print('hi')\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out + "/link") == "src/model.py")
        #expect(!FileManager.default.fileExists(atPath: out + "/.git"))
    }

    /// Only the files `including` takes go into the tree; a folder left with none is left out.
    @Test func treeFromAFolderTakesOnlyTheIncludedFiles() throws {
        let source = TemporaryDirectory("some")
        try source.write("keep.txt", "kept\n")
        try source.write("src/keep.py", "print('kept')\n")
        try source.write("src/mine.txt", "not the template's\n")
        try source.write("notes/mine.txt", "not the template's either\n")
        let store = TemporaryDirectory("store")
        let repository = try Repository.create(at: store.appending("r.git"), bare: true)
        let tree = try repository.writeTree(fromDirectory: source.path) { !$0.hasSuffix("mine.txt") }
        let commit = try repository.commit(tree: tree, parents: [], message: "some", author: author)
        let out = store.appending("out")
        _ = try repository.export(commit: commit, to: out)
        let exported = try FileManager.default.subpathsOfDirectory(atPath: out).sorted()
        #expect(exported == ["keep.txt", "src", "src/keep.py"])
    }

    /// The work tree committed as `git add -A && git commit` commits it: ignored paths left
    /// out, modes and links kept, an index git finds clean without a checkout, and the objects
    /// in one pack that git reads.
    @Test func commitsTheWorkTreeAsGitAddAll() throws {
        let folder = TemporaryDirectory("stage")
        let work = folder.appending("r")
        let repository = try Repository.create(at: work)
        try folder.write("r/src/model.py", "print('hi')\n")
        try folder.write("r/run.sh", "#!/bin/sh\n")
        try runProcess("/bin/chmod", ["+x", work + "/run.sh"])
        try runProcess("/bin/ln", ["-s", "src/model.py", work + "/link"])
        try folder.write("r/.gitignore", "*.log\nbuild/\n")
        try folder.write("r/debug.log", "ignored\n")
        try folder.write("r/build/out.txt", "ignored\n")
        let commit = try repository.commitWorkTree(message: "first\n", author: author, updating: "refs/heads/master")
        let tree = try repository.commit(commit).tree
        let git = { (arguments: [String]) throws -> String in
            let result = try runProcess("/usr/bin/git", ["-C", work] + arguments, environment: gitEnvironment(home: folder.path))
            #expect(result.status == 0, "git \(arguments) failed: \(result.stderr)")
            return result.stdout
        }
        #expect(try git(["ls-tree", "-r", "--name-only", commit.hex]).split(separator: "\n") == [".gitignore", "link", "run.sh", "src/model.py"])
        #expect(try git(["ls-tree", "-r", commit.hex]).contains("100755 blob"))
        #expect(try git(["ls-tree", "-r", commit.hex]).contains("120000 blob"))
        #expect(try git(["status", "--porcelain"]) == "")
        #expect(try git(["rev-parse", "HEAD"]).hasPrefix(commit.hex))
        #expect(try git(["count-objects", "-v"]).contains("\ncount: 0\n") || (try git(["count-objects", "-v"])).hasPrefix("count: 0\n"))
        _ = try git(["fsck", "--strict"])
        #expect(try repository.resolveCommit("master") == commit)
        #expect(tree == (try repository.writeTree(fromDirectory: work, honoringIgnoreRules: true)))
        let bare = try Repository.create(at: folder.appending("bare.git"), bare: true)
        #expect(throws: GitError.self) { try bare.commitWorkTree(message: "x", author: author, updating: "refs/heads/master") }
    }

    @Test func headAndCheckout() throws {
        let folder = TemporaryDirectory("checkout")
        let repository = try Repository.create(at: folder.appending("r"))
        let first = try repository.commit(
            files: [FileEntry(path: "a", text: "1\n")], parents: [], message: "one", author: author, updating: "refs/heads/master")
        let second = try repository.commit(
            files: [FileEntry(path: "a", text: "2\n")], parents: [first], message: "two", author: author, updating: "refs/heads/development")
        try repository.setHead("refs/heads/development")
        try repository.checkoutHead(force: true)
        #expect(try String(contentsOfFile: folder.appending("r/a"), encoding: .utf8) == "2\n")
        #expect(try repository.head() == Head(branch: "refs/heads/development", commit: second))
        try repository.detachHead(at: first)
        #expect(try repository.head() == Head(branch: nil, commit: first))
    }

    /// A commit made from the work tree (not the index), then a forced checkout: the index is
    /// HEAD's tree again, so git sees a clean work tree (libgit2 alone leaves the old entry).
    @Test func forcedCheckoutResetsTheIndex() throws {
        let folder = TemporaryDirectory("checkout")
        let repository = try Repository.create(at: folder.appending("r"))
        let first = try repository.commit(
            files: [FileEntry(path: "a", text: "1\n")], parents: [], message: "one", author: author, updating: "refs/heads/master")
        try repository.setHead("refs/heads/master")
        try repository.checkoutHead(force: true)
        try Data("2\n".utf8).write(to: URL(fileURLWithPath: folder.appending("r/a")))
        let tree = try repository.writeTree(fromDirectory: folder.appending("r"))
        _ = try repository.commit(tree: tree, parents: [first], message: "two", author: author, updating: "refs/heads/master")
        try repository.checkoutHead(force: true)
        let status = try runProcess("/usr/bin/git", ["-C", folder.appending("r"), "status", "--porcelain"], environment: gitEnvironment(home: folder.path))
        #expect(status.status == 0 && status.stdout.isEmpty, "\(status.stdout)")
    }

    @Test func configuration() throws {
        let folder = TemporaryDirectory("config")
        let repository = try Repository.create(at: folder.appending("r"))
        #expect(try repository.configValue("gitflow.branch.master") == nil)
        try repository.setConfigValue("gitflow.branch.master", "main")
        try repository.setConfigValue("gitflow.prefix.feature", "feat/")
        #expect(try repository.configValue("gitflow.branch.master") == "main")
        #expect(try repository.configValues(withPrefix: "gitflow.") == ["gitflow.branch.master": "main", "gitflow.prefix.feature": "feat/"])
    }
}

@Suite(.onTestThreads) struct FetchTests {
    @Test(arguments: [false, true])
    func mirrorsALocalRepositoryOffline(fileURL: Bool) throws {
        let origin = try GitFixture("origin")
        try origin.commit("first")
        try origin.git(["branch", "feature/a"])
        try origin.git(["tag", "-a", "-m", "r", "v1.0.0"])
        let url = fileURL ? "file://" + origin.path : origin.path
        let target = TemporaryDirectory("mirror").appending("m.git")
        let mirror = try Repository.mirror(from: url, to: target)
        #expect(mirror.isBare)
        #expect(Set(try mirror.references().map(\.name)) == ["refs/heads/master", "refs/heads/feature/a", "refs/tags/v1.0.0"])

        let second = try origin.commit("second")
        try origin.git(["branch", "-D", "feature/a"])
        let updated = try Repository.mirror(from: url, to: target)
        let names = try updated.references().map(\.name)
        #expect(Set(names) == ["refs/heads/master", "refs/tags/v1.0.0"])
        #expect(try updated.reference(named: "master").commit?.hex == second)
    }

    /// `url.<base>.insteadOf` rewrites a fetch URL (done by GitKit, as libgit2 1.5's own lookup
    /// leaks), and a mirror's HEAD follows the remote's default branch.
    @Test func insteadOfAndDefaultBranch() throws {
        let origin = try GitFixture("origin", initialBranch: "main")
        try origin.commit("first")
        try origin.git(["branch", "other"])
        let target = TemporaryDirectory("mirror").appending("m.git")
        let repository = try Repository.create(at: target, bare: true)
        try repository.setConfigValue("url.file://\(origin.path).insteadOf", "templates:")
        let defaultBranch = try repository.fetch(from: "templates:", refspecs: ["+refs/heads/*:refs/heads/*"])
        #expect(defaultBranch == "refs/heads/main")
        let mirror = try Repository.mirror(from: origin.path, to: target)
        #expect(try mirror.head().branch == "refs/heads/main")
    }

    /// A failed first fetch leaves no empty repository where the mirror was to be; a failed
    /// fetch into a mirror that was there leaves it as it was.
    @Test func unreachableRemoteIsAnError() throws {
        let folder = TemporaryDirectory("mirror")
        let target = folder.appending("m.git")
        let error = #expect(throws: GitError.self) { try Repository.mirror(from: "/nonexistent/repository", to: target) }
        #expect(error?.description.contains("cannot fetch from '/nonexistent/repository'") == true)
        #expect(!FileManager.default.fileExists(atPath: target), "the failed fetch left \(target)")

        let origin = try GitFixture("origin")
        let first = try origin.commit("first")
        try Repository.mirror(from: origin.path, to: target)
        #expect(throws: GitError.self) { try Repository.mirror(from: "/nonexistent/repository", to: target) }
        #expect(try Repository.open(at: target).reference(named: "master").commit?.hex == first)
    }
}
