import Foundation
import TestSupport
import Testing

@testable import ModelFactory

@Suite struct ArchiveTests {
    func makeFolder() throws -> TemporaryDirectory {
        let folder = TemporaryDirectory("archive")
        try folder.write("b/data.csv", "a,b\n1,2\n")
        try folder.write("a.txt", "hello\n")
        try folder.write("run.sh", "#!/bin/sh\necho hi\n")
        try folder.write(String(repeating: "long-folder-name/", count: 7) + "file-with-a-long-name.txt", "deep\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o750], ofItemAtPath: folder.appending("run.sh"))
        try FileManager.default.createSymbolicLink(atPath: folder.appending("link"), withDestinationPath: "a.txt")
        try Data([0, 1, 2, 255]).write(to: URL(fileURLWithPath: folder.appending("binary.bin")))
        return folder
    }

    /// Same files, same bytes: times, owners and permission details do not leak in.
    @Test func sameFilesGiveTheSameBytes() throws {
        let first = try makeFolder()
        let second = try makeFolder()
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSince1970: 0), .posixPermissions: 0o600],
            ofItemAtPath: second.appending("a.txt"))
        let one = try Archive.tarGz(try Archive.entries(of: URL(fileURLWithPath: first.path)), prefix: "bundle")
        let two = try Archive.tarGz(try Archive.entries(of: URL(fileURLWithPath: second.path)), prefix: "bundle")
        #expect(one == two)
        #expect(one.prefix(10) == Data([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]))  // gzip, no name, no time, level 6 (no XFL flag), Unix
    }

    /// What `tar` extracts is what was put in, and what we read back is too.
    @Test func tarReadsItAndWeReadItBack() throws {
        let folder = try makeFolder()
        let entries = try Archive.entries(of: URL(fileURLWithPath: folder.path))
        let data = try Archive.tarGz(entries, prefix: "bundle")
        let scratch = TemporaryDirectory("untar")
        try data.write(to: URL(fileURLWithPath: scratch.appending("b.tar.gz")))
        let untar = try runProcess("/bin/tar", ["-xzf", "b.tar.gz"], in: scratch.path)
        #expect(untar.status == 0, "\(untar.stderr)")
        let extracted = try Archive.entries(of: URL(fileURLWithPath: scratch.appending("bundle")))
        #expect(extracted == entries)
        #expect(try Archive.read(tarGz: data) == entries)
        let listing = try runProcess("/bin/tar", ["-tvzf", "b.tar.gz"], in: scratch.path)
        #expect(listing.stdout.contains("-rwxr-xr-x 0/0"))
        #expect(listing.stdout.contains("-rw-r--r-- 0/0"))
        #expect(listing.stdout.contains("1970-01-01"))
    }

    @Test func damagedArchivesAreErrors() throws {
        #expect(throws: Archive.Failure.self) { try Archive.read(tarGz: Data("not gzip".utf8)) }
        let data = try Archive.tarGz([Archive.Entry(path: "x", kind: .file, executable: false, contents: Data(count: 2000), linkTarget: "")], prefix: "p")
        #expect(throws: Archive.Failure.self) { try Archive.read(tarGz: data.prefix(data.count / 2)) }
        #expect(throws: Archive.Failure.self) {
            try Archive.tarGz(
                [Archive.Entry(path: String(repeating: "x", count: 300), kind: .file, executable: false, contents: Data(), linkTarget: "")], prefix: "p")
        }
    }
}
