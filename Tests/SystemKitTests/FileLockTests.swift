import Foundation
import SystemKit
import TestSupport
import Testing

@Suite(.onTestThreads) struct FileLockTests {
    @Test func anExclusiveLockExcludesAnotherDescriptor() throws {
        let folder = TemporaryDirectory("lock")
        let path = folder.appending("locks/a.lock")
        let first = try FileLock.acquire(path: path, mode: .exclusive)
        let second = try FileLock(path: path)
        #expect(try !second.tryLock(.exclusive))
        #expect(try !second.tryLock(.shared))
        first.unlock()
        #expect(try second.tryLock(.exclusive))
        #expect(try !FileLock(path: path).tryLock(.shared))
    }

    @Test func sharedLocksShareAndExcludeAnExclusiveOne() throws {
        let folder = TemporaryDirectory("lock")
        let path = folder.appending("b.lock")
        let first = try FileLock.acquire(path: path, mode: .shared)
        let second = try FileLock.acquire(path: path, mode: .shared)
        let third = try FileLock(path: path)
        #expect(try !third.tryLock(.exclusive))
        first.unlock()
        second.unlock()
        #expect(try third.tryLock(.exclusive))
    }

    @Test func aLockIsReleasedWhenItGoesAway() throws {
        let folder = TemporaryDirectory("lock")
        let path = folder.appending("c.lock")
        do { _ = try FileLock.acquire(path: path) }
        #expect(try FileLock(path: path).tryLock(.exclusive))
    }

    @Test func aReplacedLockFileIsNoticed() throws {
        let folder = TemporaryDirectory("lock")
        let path = folder.appending("d.lock")
        let lock = try FileLock.acquire(path: path)
        #expect(lock.isStillAtPath)
        try FileManager.default.removeItem(atPath: path)
        #expect(!lock.isStillAtPath)
    }

    @Test func anUnopenableLockFileIsAnErrorNamingIt() throws {
        let folder = TemporaryDirectory("lock")
        try folder.write("file", "not a folder")
        let path = folder.appending("file/e.lock")
        let error = #expect(throws: SystemError.self) { try FileLock(path: path) }
        guard case .cannotLock(let named, _) = error else {
            Issue.record("expected cannotLock, got \(String(describing: error))")
            return
        }
        #expect(named == path && "\(error!)".contains(path))
    }
}

@Suite(.onTestThreads) struct FileContentsAndDigestTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func knownVectors(text: String, hex: String) throws {
        #expect(HexDigest.sha256(text) == hex)
        #expect(HexDigest.sha256(Data(text.utf8)) == hex)
        let folder = TemporaryDirectory("digest")
        try folder.write("f", text)
        let file = try HexDigest.sha256(fileAtPath: folder.appending("f"))
        #expect(file.hex == hex && file.size == Int64(text.utf8.count))
        // Given a piece at a time (a blob's chunks), the digest is the same.
        var streamed = StreamingSHA256()
        for piece in Array(text.utf8).chunked(by: 5) { streamed.update(piece) }
        #expect(streamed.hex == hex)
    }

    @Test func aFileLargerThanOneChunk() throws {
        let folder = TemporaryDirectory("digest")
        let data = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try data.write(to: URL(fileURLWithPath: folder.appending("big")))
        #expect(try FileContents.read(atPath: folder.appending("big")) == data)
        let file = try HexDigest.sha256(fileAtPath: folder.appending("big"))
        #expect(file.hex == HexDigest.sha256(data) && file.size == 3_000_000)
    }

    @Test func aMissingFileIsAnErrorNamingIt() throws {
        let error = #expect(throws: SystemError.self) { try FileContents.read(atPath: "/nonexistent/file") }
        #expect(error == .cannotRead(path: "/nonexistent/file", code: ENOENT))
        #expect("\(error!)" == "cannot read /nonexistent/file: No such file or directory")
        #expect(FileContents.text(atPath: "/nonexistent/file") == "")
    }
}

extension Array {
    /// The array in consecutive pieces of at most `size` elements.
    fileprivate func chunked(by size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
