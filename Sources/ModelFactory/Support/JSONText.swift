internal import Foundation

/// JSON text for `--json` output: keys in the order a type encodes them (so related fields stay
/// together), two-space indentation, non-ASCII text as is, and `nil` written as `null` when a
/// type encodes it, and every `Date` as ISO 8601 text.
///
/// Foundation's `JSONEncoder` sorts keys only by name and costs more than the rest of
/// `mf versions` on a repository of thousands of releases; this encoder builds the text
/// directly.
///
/// ```swift
/// let text = try JSONText.encode(flow.releases)
/// ```
public enum JSONText {
    /// Encodes `value` as pretty JSON, ending with a newline.
    public static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try encodeBytes(value), as: UTF8.self)
    }

    /// The same text as UTF-8 bytes, ready to write.
    public static func encodeBytes(_ value: some Encodable) throws -> [UInt8] {
        let root = Node()
        try TreeEncoder(node: root, codingPath: []).encodeValue(value, into: root)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1 << 16)
        write(root, indent: 0, into: &bytes)
        bytes.append(0x0A)
        return bytes
    }

    // MARK: The tree

    final class Node {
        enum Value {
            case null
            case bool(Bool)
            case number(String)
            case string(String)
            case array(Children)
            case object(Members)
        }

        var value: Value = .null
    }

    final class Children { var items: [Node] = [] }
    final class Members { var items: [(String, Node)] = [] }

    // MARK: Writing

    private static func write(_ node: Node, indent: Int, into bytes: inout [UInt8]) {
        switch node.value {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .bool(let value): bytes.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let value): bytes.append(contentsOf: value.utf8)
        case .string(let value): writeString(value, into: &bytes)
        case .array(let children):
            guard !children.items.isEmpty else { return bytes.append(contentsOf: "[]".utf8) }
            bytes.append(contentsOf: "[\n".utf8)
            for (offset, child) in children.items.enumerated() {
                bytes.append(contentsOf: repeatElement(0x20, count: indent + 2))
                write(child, indent: indent + 2, into: &bytes)
                if offset < children.items.count - 1 { bytes.append(0x2C) }
                bytes.append(0x0A)
            }
            bytes.append(contentsOf: repeatElement(0x20, count: indent))
            bytes.append(0x5D)
        case .object(let members):
            guard !members.items.isEmpty else { return bytes.append(contentsOf: "{}".utf8) }
            bytes.append(contentsOf: "{\n".utf8)
            for (offset, (key, child)) in members.items.enumerated() {
                bytes.append(contentsOf: repeatElement(0x20, count: indent + 2))
                writeString(key, into: &bytes)
                bytes.append(0x3A)
                bytes.append(0x20)
                write(child, indent: indent + 2, into: &bytes)
                if offset < members.items.count - 1 { bytes.append(0x2C) }
                bytes.append(0x0A)
            }
            bytes.append(contentsOf: repeatElement(0x20, count: indent))
            bytes.append(0x7D)
        }
    }

    static func writeString(_ value: String, into bytes: inout [UInt8]) {
        bytes.append(0x22)
        for byte in value.utf8 {
            switch byte {
            case 0x22:
                bytes.append(0x5C)
                bytes.append(0x22)
            case 0x5C:
                bytes.append(0x5C)
                bytes.append(0x5C)
            case 0x0A:
                bytes.append(0x5C)
                bytes.append(0x6E)
            case 0x0D:
                bytes.append(0x5C)
                bytes.append(0x72)
            case 0x09:
                bytes.append(0x5C)
                bytes.append(0x74)
            case 0x08:
                bytes.append(0x5C)
                bytes.append(0x62)
            case 0x0C:
                bytes.append(0x5C)
                bytes.append(0x66)
            case 0..<0x20:
                let digits = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(0x22)
    }

    // MARK: The encoder

    private struct TreeEncoder: Encoder {
        let node: Node
        let codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            let members: Members
            if case .object(let existing) = node.value {
                members = existing
            } else {
                members = Members()
                node.value = .object(members)
            }
            return KeyedEncodingContainer(KeyedContainer<Key>(members: members, codingPath: codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            let children: Children
            if case .array(let existing) = node.value {
                children = existing
            } else {
                children = Children()
                node.value = .array(children)
            }
            return UnkeyedContainer(children: children, codingPath: codingPath)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer {
            SingleContainer(node: node, codingPath: codingPath)
        }

        /// Writes primitives directly; anything else encodes itself into `node`.
        func encodeValue(_ value: some Encodable, into node: Node) throws {
            switch value {
            case let text as String: node.value = .string(text)
            // A time is ISO 8601 in UTC (`2026-01-01T00:00:00Z`), never Foundation's seconds since 2001.
            case let date as Date: node.value = .string(date.formatted(.iso8601))
            case let flag as Bool: node.value = .bool(flag)
            case let number as any BinaryInteger: node.value = .number("\(number)")
            case let number as any BinaryFloatingPoint:
                let number = Double(number)
                guard number.isFinite else {
                    throw EncodingError.invalidValue(number, .init(codingPath: codingPath, debugDescription: "JSON has no \(number)"))
                }
                // Whole numbers print as integers (a label of 1, not 1.0).
                node.value = .number(number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : "\(number)")
            default: try value.encode(to: TreeEncoder(node: node, codingPath: codingPath))
            }
        }
    }

    private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let members: Members
        let codingPath: [any CodingKey]

        private func child(_ key: Key) -> Node {
            let node = Node()
            members.items.append((key.stringValue, node))
            return node
        }

        mutating func encodeNil(forKey key: Key) throws { _ = child(key) }

        // Primitives are written straight into their node, without the generic path's casts.
        mutating func encode(_ value: String, forKey key: Key) throws { child(key).value = .string(value) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { child(key).value = .bool(value) }
        mutating func encode(_ value: Int, forKey key: Key) throws { child(key).value = .number(String(value)) }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try TreeEncoder(node: Node(), codingPath: codingPath + [key]).encodeValue(value, into: child(key))
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            TreeEncoder(node: child(key), codingPath: codingPath + [key]).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            TreeEncoder(node: child(key), codingPath: codingPath + [key]).unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder {
            TreeEncoder(node: child(Key(stringValue: "super")!), codingPath: codingPath)
        }

        mutating func superEncoder(forKey key: Key) -> any Encoder {
            TreeEncoder(node: child(key), codingPath: codingPath + [key])
        }
    }

    private struct UnkeyedContainer: UnkeyedEncodingContainer {
        let children: Children
        let codingPath: [any CodingKey]
        var count: Int { children.items.count }

        private func next() -> Node {
            let node = Node()
            children.items.append(node)
            return node
        }

        mutating func encodeNil() throws { _ = next() }

        mutating func encode(_ value: String) throws { next().value = .string(value) }
        mutating func encode(_ value: Bool) throws { next().value = .bool(value) }
        mutating func encode(_ value: Int) throws { next().value = .number(String(value)) }

        mutating func encode<T: Encodable>(_ value: T) throws {
            try TreeEncoder(node: Node(), codingPath: codingPath).encodeValue(value, into: next())
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            TreeEncoder(node: next(), codingPath: codingPath).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            TreeEncoder(node: next(), codingPath: codingPath).unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder { TreeEncoder(node: next(), codingPath: codingPath) }
    }

    private struct SingleContainer: SingleValueEncodingContainer {
        let node: Node
        let codingPath: [any CodingKey]

        mutating func encodeNil() throws { node.value = .null }

        mutating func encode<T: Encodable>(_ value: T) throws {
            try TreeEncoder(node: node, codingPath: codingPath).encodeValue(value, into: node)
        }
    }
}
