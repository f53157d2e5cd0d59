internal import Crypto
public import Foundation

/// SHA-256 digests as lowercase hex, the form the factory writes everywhere (bundle digests,
/// cache keys, delivery ids).
public enum HexDigest {
    /// The SHA-256 of `data`, in hex.
    public static func sha256(_ data: some DataProtocol) -> String {
        hex(SHA256.hash(data: data))
    }

    /// The SHA-256 of `text`'s UTF-8 bytes, in hex.
    public static func sha256(_ text: String) -> String {
        sha256(Data(text.utf8))
    }

    /// The SHA-256 of the file at `path`, read in chunks, in hex, with the file's size.
    public static func sha256(fileAtPath path: String) throws(SystemError) -> (hex: String, size: Int64) {
        var hasher = SHA256()
        var size: Int64 = 0
        try FileContents.forEachChunk(atPath: path) { chunk in
            hasher.update(bufferPointer: chunk)
            size += Int64(chunk.count)
        }
        return (hex(hasher.finalize()), size)
    }

    /// Bytes (a finished digest) as lowercase hex.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// A SHA-256 over bytes given a piece at a time (a file streamed in chunks), in hex when done.
public struct StreamingSHA256 {
    private var hasher = SHA256()

    /// A digest of nothing yet.
    public init() {}

    /// Adds `data` to what the digest covers.
    public mutating func update(_ data: some DataProtocol) { hasher.update(data: data) }

    /// The SHA-256 of every byte given so far, in lowercase hex.
    public var hex: String { HexDigest.hex(hasher.finalize()) }
}
