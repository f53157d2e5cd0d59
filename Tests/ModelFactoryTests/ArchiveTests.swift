import Foundation
import TestSupport
import Testing

@testable import ModelFactory

@Suite(.onTestThreads) struct ArchiveTests {
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

    /// Streamed extraction writes what `read(tarGz:)` reads: files larger than a piece of the
    /// stream, long paths, empty files and modes; links, truncated and damaged archives are
    /// errors naming what is wrong.
    @Test func extractionStreamsWhatReadReads() throws {
        let folder = try makeFolder()
        try FileManager.default.removeItem(atPath: folder.appending("link"))
        try Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }).write(to: URL(fileURLWithPath: folder.appending("b/big.bin")))
        try folder.write("empty", "")
        let entries = try Archive.entries(of: URL(fileURLWithPath: folder.path))
        let data = try Archive.tarGz(entries, prefix: "bundle")
        let scratch = TemporaryDirectory("extract")
        let archive = URL(fileURLWithPath: scratch.appending("b.tar.gz"))
        try data.write(to: archive)
        try Archive.extract(tarGz: archive, to: URL(fileURLWithPath: scratch.appending("out")))
        #expect(try Archive.entries(of: URL(fileURLWithPath: scratch.appending("out"))) == entries)
        #expect(try Archive.read(tarGz: data) == entries)

        let linked = URL(fileURLWithPath: scratch.appending("linked.tar.gz"))
        let withLink = try makeFolder()
        try Archive.tarGz(try Archive.entries(of: URL(fileURLWithPath: withLink.path)), prefix: "bundle").write(to: linked)
        #expect {
            try Archive.extract(tarGz: linked, to: URL(fileURLWithPath: scratch.appending("linked")))
        } throws: { error in
            (error as? Archive.Failure)?.path == "bundle/link"
        }
        let cut = URL(fileURLWithPath: scratch.appending("cut.tar.gz"))
        try data.prefix(data.count / 2).write(to: cut)
        #expect(throws: Archive.Failure.self) { try Archive.extract(tarGz: cut, to: URL(fileURLWithPath: scratch.appending("cut"))) }
        var damaged = data
        damaged[damaged.count / 2] ^= 0xFF
        let broken = URL(fileURLWithPath: scratch.appending("broken.tar.gz"))
        try damaged.write(to: broken)
        #expect(throws: Archive.Failure.self) { try Archive.extract(tarGz: broken, to: URL(fileURLWithPath: scratch.appending("broken"))) }
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
