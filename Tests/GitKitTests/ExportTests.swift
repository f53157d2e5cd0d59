import Foundation
import GitKit
import TestSupport
import Testing

@Suite(.onTestThreads) struct ExportTests {
    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int ?? 0) & 0o777
    }

    @Test func exportsFilesModesAndSymlinksWithoutTouchingTheWorkTree() throws {
        let fixture = try GitFixture()
        try fixture.directory.write("repo/data/train.csv", "a,b\n")
        try fixture.directory.write("repo/run.sh", "#!/bin/sh\necho hi\n")
        try runProcess("/bin/chmod", ["+x", fixture.path + "/run.sh"])
        try runProcess("/bin/ln", ["-s", "data/train.csv", fixture.path + "/link"])
        try runProcess("/bin/ln", ["-s", "../train.csv", fixture.path + "/data/up"])
        try fixture.git(["add", "-A"])
        try fixture.git(["commit", "-q", "-m", "files"])
        try fixture.directory.write("repo/dirty.txt", "uncommitted\n")
        let statusBefore = try fixture.git(["status", "--porcelain"])

        let repository = try Repository.open(at: fixture.path)
        let out = fixture.directory.appending("export")
        let summary = try repository.export(commit: repository.resolveCommit("HEAD"), to: out)
        #expect(summary.files == 2 && summary.symlinks == 2 && summary.directories == 1)
        #expect(summary.tree.hex == (try fixture.id("HEAD^{tree}")))
        #expect(try String(contentsOfFile: out + "/data/train.csv", encoding: .utf8) == "a,b\n")
        #expect(try mode(out + "/run.sh") == 0o755)
        #expect(try mode(out + "/data/train.csv") == 0o644)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out + "/link") == "data/train.csv")
        #expect(!FileManager.default.fileExists(atPath: out + "/dirty.txt"))
        #expect(!FileManager.default.fileExists(atPath: out + "/.git"))
        #expect(try fixture.git(["status", "--porcelain"]) == statusBefore)
    }

    @Test(arguments: ["../../outside", "/etc/passwd", "data/../../x"])
    func refusesSymlinksThatLeave(target: String) throws {
        let fixture = try GitFixture()
        try fixture.directory.write("repo/data/a.txt", "a\n")
        try runProcess("/bin/ln", ["-s", target, fixture.path + "/evil"])
        try fixture.git(["add", "-A"])
        try fixture.git(["commit", "-q", "-m", "evil"])
        let repository = try Repository.open(at: fixture.path)
        let out = fixture.directory.appending("export")
        let error = #expect(throws: GitError.self) { try repository.export(commit: repository.resolveCommit("HEAD"), to: out) }
        #expect(error?.code == .unsafePath)
        #expect(error?.path == "evil")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func refusesALinkThatLeavesThroughAnotherLink() throws {
        let fixture = try GitFixture()
        try FileManager.default.createDirectory(atPath: fixture.path + "/d", withIntermediateDirectories: true)
        try runProcess("/bin/ln", ["-s", "..", fixture.path + "/d/l"])
        try runProcess("/bin/ln", ["-s", "d/l/..", fixture.path + "/escape"])
        try fixture.git(["add", "-A"])
        try fixture.git(["commit", "-q", "-m", "chain"])
        let repository = try Repository.open(at: fixture.path)
        let out = fixture.directory.appending("export")
        let error = #expect(throws: GitError.self) { try repository.export(commit: repository.resolveCommit("HEAD"), to: out) }
        #expect(error?.code == .unsafePath)
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// Trees that git itself would never write, made byte by byte.
    @Test(arguments: ["..", ".git", ".GIT"])
    func refusesCraftedTreeEntries(name: String) throws {
        let fixture = try GitFixture()
        let blob = try fixture.git(["hash-object", "-w", "--stdin"])
        var tree = Data("100644 \(name)\0".utf8)
        tree.append(
            contentsOf: stride(from: 0, to: 40, by: 2).map { offset -> UInt8 in
                let start = blob.index(blob.startIndex, offsetBy: offset)
                return UInt8(blob[start..<blob.index(start, offsetBy: 2)], radix: 16)!
            })
        let result = try runProcess(
            "/usr/bin/git", ["hash-object", "-w", "--literally", "-t", "tree", "--stdin"], in: fixture.path,
            environment: gitEnvironment(home: fixture.directory.path), input: tree)
        let treeID = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let commit = try fixture.git(["commit-tree", treeID, "-m", "crafted"])
        let repository = try Repository.open(at: fixture.path)
        let out = fixture.directory.appending("export")
        let error = #expect(throws: GitError.self) { try repository.export(commit: ObjectID(hex: commit)!, to: out) }
        #expect(error?.code == .unsafePath)
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func refusesANonEmptyFolder() throws {
        let fixture = try GitFixture()
        try fixture.commit("first")
        try fixture.directory.write("export/keep.txt", "mine\n")
        let repository = try Repository.open(at: fixture.path)
        let error = #expect(throws: GitError.self) {
            try repository.export(commit: repository.resolveCommit("HEAD"), to: fixture.directory.appending("export"))
        }
        #expect(error?.code == .exists)
        #expect(try String(contentsOfFile: fixture.directory.appending("export/keep.txt"), encoding: .utf8) == "mine\n")
    }
}
