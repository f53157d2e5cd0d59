/// JSON text for `--json` output: keys in the order a type encodes them (so related fields stay
/// together), two-space indentation, non-ASCII text as is, and `nil` written as `null` when a
/// type encodes it.
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
        let root = Node()
        try TreeEncoder(node: root, codingPath: []).encodeValue(value, into: root)
        var text = ""
        text.reserveCapacity(4096)
        write(root, indent: 0, into: &text)
        text.append("\n")
        return text
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

    private static func write(_ node: Node, indent: Int, into text: inout String) {
        switch node.value {
        case .null: text.append("null")
        case .bool(let value): text.append(value ? "true" : "false")
        case .number(let value): text.append(value)
        case .string(let value): writeString(value, into: &text)
        case .array(let children):
            guard !children.items.isEmpty else { return text.append("[]") }
            text.append("[\n")
            for (offset, child) in children.items.enumerated() {
                text.append(String(repeating: " ", count: indent + 2))
                write(child, indent: indent + 2, into: &text)
                text.append(offset == children.items.count - 1 ? "\n" : ",\n")
            }
            text.append(String(repeating: " ", count: indent))
            text.append("]")
        case .object(let members):
            guard !members.items.isEmpty else { return text.append("{}") }
            text.append("{\n")
            for (offset, (key, child)) in members.items.enumerated() {
                text.append(String(repeating: " ", count: indent + 2))
                writeString(key, into: &text)
                text.append(": ")
                write(child, indent: indent + 2, into: &text)
                text.append(offset == members.items.count - 1 ? "\n" : ",\n")
            }
            text.append(String(repeating: " ", count: indent))
            text.append("}")
        }
    }

    static func writeString(_ value: String, into text: inout String) {
        text.append("\"")
        var plain = true
        for byte in value.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C {
            plain = false
            break
        }
        if plain {
            text.append(value)
        } else {
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": text.append("\\\"")
                case "\\": text.append("\\\\")
                case "\n": text.append("\\n")
                case "\r": text.append("\\r")
                case "\t": text.append("\\t")
                case "\u{08}": text.append("\\b")
                case "\u{0C}": text.append("\\f")
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    text.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                default: text.unicodeScalars.append(scalar)
                }
            }
        }
        text.append("\"")
    }

    // MARK: The encoder

    private struct TreeEncoder: Encoder {
        let node: Node
        let codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            let members: Members
            if case .object(let existing) = node.value { members = existing } else {
                members = Members()
                node.value = .object(members)
            }
            return KeyedEncodingContainer(KeyedContainer<Key>(members: members, codingPath: codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            let children: Children
            if case .array(let existing) = node.value { children = existing } else {
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
            case let flag as Bool: node.value = .bool(flag)
            case let number as any BinaryInteger: node.value = .number("\(number)")
            case let number as any BinaryFloatingPoint:
                let number = Double(number)
                guard number.isFinite else {
                    throw EncodingError.invalidValue(number, .init(codingPath: codingPath, debugDescription: "JSON has no \(number)"))
                }
                node.value = .number("\(number)")
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
