internal import CGit2

/// The 20-byte SHA-1 id of a git object.
///
/// Stored as three integers so that sets and dictionaries of many ids stay cheap.
public struct ObjectID: Hashable, Sendable, Comparable, CustomStringConvertible {
    let a: UInt64
    let b: UInt64
    let c: UInt32

    init(_ oid: git_oid) {
        var oid = oid
        (a, b, c) = withUnsafeBytes(of: &oid.id) { raw in
            (
                raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                raw.loadUnaligned(fromByteOffset: 16, as: UInt32.self)
            )
        }
    }

    init(_ pointer: UnsafePointer<git_oid>) { self.init(pointer.pointee) }

    /// The id whose 20 raw bytes start at `bytes` (as git's pack indexes and commit-graph hold them).
    init(rawBytes bytes: UnsafeRawPointer) {
        a = bytes.loadUnaligned(as: UInt64.self)
        b = bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        c = bytes.loadUnaligned(fromByteOffset: 16, as: UInt32.self)
    }

    /// Parses the 40 lowercase or uppercase hexadecimal digits at `digits`; nil when one is not.
    init?(hexDigits digits: UnsafeRawPointer) {
        var raw = (UInt64(0), UInt64(0), UInt32(0))
        let ok = ObjectID.hexValues.withUnsafeBufferPointer { table in
            withUnsafeMutableBytes(of: &raw) { target -> Bool in
                var seen: UInt8 = 0
                for index in 0..<20 {
                    let high = table[Int(digits.load(fromByteOffset: 2 * index, as: UInt8.self))]
                    let low = table[Int(digits.load(fromByteOffset: 2 * index + 1, as: UInt8.self))]
                    seen |= high | low
                    target[index] = high << 4 | low
                }
                return seen & 0xF0 == 0  // 0xFF marks a byte that is not a digit
            }
        }
        guard ok else { return nil }
        self = withUnsafeBytes(of: &raw) { ObjectID(rawBytes: $0.baseAddress!) }
    }

    /// Each byte's value as a hexadecimal digit, 0xFF for other bytes.
    private static let hexValues: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, digit) in "0123456789abcdef".utf8.enumerated() { table[Int(digit)] = UInt8(value) }
        for (value, digit) in "ABCDEF".utf8.enumerated() { table[Int(digit)] = UInt8(10 + value) }
        return table
    }()

    /// Writes the 20 raw bytes to `target`.
    func storeRawBytes(to target: UnsafeMutableRawPointer) {
        target.storeBytes(of: a, as: UInt64.self)
        target.storeBytes(of: b, toByteOffset: 8, as: UInt64.self)
        target.storeBytes(of: c, toByteOffset: 16, as: UInt32.self)
    }

    /// A well-spread hash of the id for open addressing: an id's first bytes are already uniform.
    var bucketHash: Int { Int(truncatingIfNeeded: a ^ (a >> 29)) }

    /// Parses a full 40-digit hexadecimal id; nil for anything else.
    public init?(hex: String) {
        guard hex.utf8.count == 40, hex.utf8.allSatisfy({ $0.isHexDigit }) else { return nil }
        _ = libgit2
        var oid = git_oid()
        guard git_oid_fromstrn(&oid, hex, 40) == 0 else { return nil }
        self.init(oid)
    }

    var oid: git_oid {
        var oid = git_oid()
        withUnsafeMutableBytes(of: &oid.id) { raw in
            raw.storeBytes(of: a, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: b, toByteOffset: 8, as: UInt64.self)
            raw.storeBytes(of: c, toByteOffset: 16, as: UInt32.self)
        }
        return oid
    }

    /// The 40 hexadecimal digits.
    public var hex: String {
        var oid = self.oid
        return withUnsafeBytes(of: &oid.id) { raw in
            let digits = Array("0123456789abcdef".utf8)
            var text = [UInt8]()
            text.reserveCapacity(40)
            for byte in raw {
                text.append(digits[Int(byte >> 4)])
                text.append(digits[Int(byte & 0xF)])
            }
            return String(decoding: text, as: UTF8.self)
        }
    }

    /// Appends the 40 hexadecimal digits to `bytes` (for writers that build text as bytes).
    public func appendHex(to bytes: inout [UInt8]) {
        var raw = (a, b, c)
        withUnsafeBytes(of: &raw) { raw in
            for index in 0..<20 {
                let byte = raw[index]
                bytes.append(ObjectID.digits[Int(byte >> 4)])
                bytes.append(ObjectID.digits[Int(byte & 0xF)])
            }
        }
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The first seven digits, as git abbreviates.
    public var short: String { String(hex.prefix(7)) }

    /// The full 40 lowercase hexadecimal digits.
    public var description: String { hex }

    /// Orders ids by their bytes, as git does (the same order as their hexadecimal text).
    public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool {
        var left = lhs.oid
        var right = rhs.oid
        return git_oid_cmp(&left, &right) < 0
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (0x30...0x39).contains(self) || (0x61...0x66).contains(self) || (0x41...0x46).contains(self)
    }
}
