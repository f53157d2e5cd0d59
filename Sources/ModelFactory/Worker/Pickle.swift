internal import Foundation
internal import ModelKit

/// The binary encoding of `predict` for workers that offer it (docs/worker-protocol.md,
/// "Binary predict"): a Python pickle, protocol 4 without frames, of plain values only (None,
/// bool, int, float, str, list, dict). The Python runner decodes a batch of 1,000 instances
/// about four times faster with `pickle.loads` than with `json.loads`, and encodes its
/// predictions ten times faster, which is most of a fast model's cost in `mf score`.
///
/// Values are written as the JSON path writes them, so a model sees the same Python objects
/// either way: a whole number below 2^53 is an `int`, any other number a `float`. Reading
/// accepts only the opcodes of plain values; anything else (a class, a reduce) is an error, so
/// a pickle from a worker never runs code here.
///
/// ```swift
/// let bytes = Pickle.encode(instances)
/// let predictions = try Pickle.decode(bytes)   // .array([...])
/// ```
enum Pickle {
    /// Why bytes are not a pickle of plain values.
    struct DecodeError: Error, CustomStringConvertible, Sendable {
        /// The byte offset where reading stopped.
        let offset: Int
        /// What was there.
        let problem: String
        var description: String { "not a pickle of plain values at byte \(offset): \(problem)" }
    }

    // Opcodes (CPython Lib/pickletools.py).
    private enum Op {
        static let proto: UInt8 = 0x80
        static let frame: UInt8 = 0x95
        static let stop: UInt8 = 0x2E  // .
        static let mark: UInt8 = 0x28  // (
        static let none: UInt8 = 0x4E  // N
        static let newTrue: UInt8 = 0x88
        static let newFalse: UInt8 = 0x89
        static let binInt: UInt8 = 0x4A  // J
        static let binInt1: UInt8 = 0x4B  // K
        static let binInt2: UInt8 = 0x4D  // M
        static let long1: UInt8 = 0x8A
        static let binFloat: UInt8 = 0x47  // G
        static let shortBinUnicode: UInt8 = 0x8C
        static let binUnicode: UInt8 = 0x58  // X
        static let binUnicode8: UInt8 = 0x8D
        static let emptyList: UInt8 = 0x5D  // ]
        static let append: UInt8 = 0x61  // a
        static let appends: UInt8 = 0x65  // e
        static let list: UInt8 = 0x6C  // l
        static let emptyDict: UInt8 = 0x7D  // }
        static let setItem: UInt8 = 0x73  // s
        static let setItems: UInt8 = 0x75  // u
        static let dict: UInt8 = 0x64  // d
        static let emptyTuple: UInt8 = 0x29  // )
        static let tuple: UInt8 = 0x74  // t
        static let tuple1: UInt8 = 0x85
        static let tuple2: UInt8 = 0x86
        static let tuple3: UInt8 = 0x87
        static let memoize: UInt8 = 0x94
        static let pop: UInt8 = 0x30  // 0
        static let binPut: UInt8 = 0x71  // q
        static let longBinPut: UInt8 = 0x72  // r
        static let binGet: UInt8 = 0x68  // h
        static let longBinGet: UInt8 = 0x6A  // j
    }

    // MARK: Writing

    /// `value` as a pickle.
    static func encode(_ value: JSONValue) -> [UInt8] {
        var writer = Writer()
        writer.start()
        writer.write(value)
        writer.finish()
        return writer.bytes
    }

    /// Writes a pickle: `start()`, values, `finish()`. Dictionary keys are memoized, so a key
    /// repeated in every instance is written once and then referred to by a 1 or 4 byte index.
    struct Writer {
        private(set) var bytes: [UInt8] = []
        private var keys: [String: UInt32] = [:]

        init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

        /// The protocol header.
        mutating func start() { bytes.append(contentsOf: [Op.proto, 4]) }

        /// The end of the pickle.
        mutating func finish() { bytes.append(Op.stop) }

        /// An empty list, then `MARK`: the items that follow are appended by `endList()`.
        mutating func beginList() { bytes.append(contentsOf: [Op.emptyList, Op.mark]) }

        /// Appends the items since `beginList()`.
        mutating func endList() { bytes.append(Op.appends) }

        /// An empty dictionary, then `MARK`: the key and value pairs that follow are set by `endDict()`.
        mutating func beginDict() { bytes.append(contentsOf: [Op.emptyDict, Op.mark]) }

        /// Sets the pairs since `beginDict()`.
        mutating func endDict() { bytes.append(Op.setItems) }

        /// Writes `names` once, each memoized and popped, so `key(at:)` refers to them without
        /// looking them up: the memo slots of `names`, in order.
        mutating func memoize(_ names: [String]) -> [UInt32] {
            names.map { name in
                key(name)
                bytes.append(Op.pop)
                return keys[name]!
            }
        }

        /// A key `memoize` wrote, by its slot.
        mutating func key(at slot: UInt32) {
            if slot < 256 {
                bytes.append(contentsOf: [Op.binGet, UInt8(slot)])
            } else {
                bytes.append(Op.longBinGet)
                append(littleEndian: slot)
            }
        }

        /// A dictionary key (memoized).
        mutating func key(_ name: String) {
            if let index = keys[name] {
                if index < 256 {
                    bytes.append(contentsOf: [Op.binGet, UInt8(index)])
                } else {
                    bytes.append(Op.longBinGet)
                    append(littleEndian: index)
                }
                return
            }
            string(name)
            keys[name] = UInt32(keys.count)
            bytes.append(Op.memoize)
        }

        mutating func null() { bytes.append(Op.none) }

        mutating func bool(_ flag: Bool) { bytes.append(flag ? Op.newTrue : Op.newFalse) }

        /// A number as the JSON path writes it (`JSONValue.form(of:)`): None when it is not
        /// finite, an int when whole and below 2^53, else a float.
        mutating func number(_ number: Double) {
            switch JSONValue.form(of: number) {
            case .null: null()
            case .whole(let whole): int(whole)
            case .fraction(let real): float(real)
            }
        }

        mutating func int(_ value: Int64) {
            if value >= 0 && value < 256 {
                bytes.append(contentsOf: [Op.binInt1, UInt8(value)])
            } else if value >= Int64(Int32.min) && value <= Int64(Int32.max) {
                bytes.append(Op.binInt)
                append(littleEndian: UInt32(bitPattern: Int32(value)))
            } else {
                // Two's complement, little-endian, 8 bytes.
                bytes.append(contentsOf: [Op.long1, 8])
                withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
            }
        }

        mutating func float(_ value: Double) {
            bytes.append(Op.binFloat)
            withUnsafeBytes(of: value.bitPattern.bigEndian) { bytes.append(contentsOf: $0) }
        }

        mutating func string(_ text: String) {
            var text = text
            text.withUTF8 { utf8 in string(utf8: utf8) }
        }

        /// A string from its UTF-8 bytes (valid UTF-8: the unpickler checks).
        mutating func string(utf8: UnsafeBufferPointer<UInt8>) {
            if utf8.count < 256 {
                bytes.append(contentsOf: [Op.shortBinUnicode, UInt8(utf8.count)])
            } else {
                bytes.append(Op.binUnicode)
                append(littleEndian: UInt32(utf8.count))
            }
            bytes.append(contentsOf: utf8)
        }

        /// Any JSON value.
        mutating func write(_ value: JSONValue) {
            switch value {
            case .null: null()
            case .bool(let flag): bool(flag)
            case .number(let number): self.number(number)
            case .string(let text): string(text)
            case .array(let items):
                beginList()
                for item in items { write(item) }
                endList()
            case .object(let members):
                beginDict()
                for (name, member) in members {
                    key(name)
                    write(member)
                }
                endDict()
            }
        }

        private mutating func append(littleEndian value: UInt32) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
    }

    // MARK: Reading

    /// The plain value a pickle holds.
    static func decode(_ bytes: [UInt8]) throws(DecodeError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { buffer throws(DecodeError) in
            var reader = Reader(bytes: buffer)
            return try reader.read()
        }
    }

    /// The fields of a pickled list of dictionaries (a worker's predictions), `fields.count`
    /// values a dictionary, in order, null where one lacks a field: no dictionary is made per
    /// row. Nil when the pickle holds anything but a list of dictionaries (`decode` then says
    /// what it holds).
    static func records(_ bytes: [UInt8], fields: [String]) throws(DecodeError) -> (count: Int, values: [JSONValue])? {
        try bytes.withUnsafeBufferPointer { buffer throws(DecodeError) in
            var reader = Reader(bytes: buffer)
            return try reader.records(fields: fields)
        }
    }

    /// Reads a pickle into nodes that keep Python's reference semantics (a container memoized
    /// while empty and filled later is the filled one wherever it is referred to), then into a
    /// value.
    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        /// A value under construction: scalars, and containers by node number.
        enum Item {
            case value(JSONValue)
            case list(Int)
            case dict(Int)
            case mark
        }
        var lists: [[Item]] = []
        var dicts: [[(String, Item)]] = []
        var stack: [Item] = []
        /// The memo, by slot (a slot never put is nil).
        var memo: [Item?] = []

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        func failure(_ problem: String) -> DecodeError { DecodeError(offset: index, problem: problem) }

        mutating func take(_ count: Int) throws(DecodeError) -> UnsafeBufferPointer<UInt8> {
            guard count >= 0, bytes.count - index >= count else { throw failure("it ends in the middle of a value") }
            defer { index += count }
            return UnsafeBufferPointer(rebasing: bytes[index..<index + count])
        }

        mutating func byte() throws(DecodeError) -> UInt8 { try take(1)[0] }

        mutating func uint32() throws(DecodeError) -> UInt32 {
            let raw = try take(4)
            return UInt32(raw[0]) | UInt32(raw[1]) << 8 | UInt32(raw[2]) << 16 | UInt32(raw[3]) << 24
        }

        mutating func uint64() throws(DecodeError) -> UInt64 {
            let raw = try take(8)
            var value: UInt64 = 0
            for offset in (0..<8).reversed() { value = value << 8 | UInt64(raw[offset]) }
            return value
        }

        mutating func pop() throws(DecodeError) -> Item {
            guard let item = stack.popLast(), !isMark(item) else { throw failure("a value is missing") }
            return item
        }

        /// The items above the topmost mark, which is removed.
        mutating func popToMark() throws(DecodeError) -> [Item] {
            guard let mark = stack.lastIndex(where: isMark) else { throw failure("a MARK is missing") }
            let items = Array(stack[(mark + 1)...])
            stack.removeSubrange(mark...)
            return items
        }

        func isMark(_ item: Item) -> Bool {
            if case .mark = item { return true }
            return false
        }

        mutating func string(_ raw: UnsafeBufferPointer<UInt8>) throws(DecodeError) -> Item {
            guard let text = String(validating: raw, as: UTF8.self) else { throw failure("a string is not UTF-8") }
            return .value(.string(text))
        }

        mutating func key(_ item: Item) throws(DecodeError) -> String {
            guard case .value(.string(let name)) = item else { throw failure("a dictionary key is not a string") }
            return name
        }

        mutating func add(_ items: [Item], to list: Item) throws(DecodeError) {
            guard case .list(let node) = list else { throw failure("APPENDS on something that is not a list") }
            lists[node].append(contentsOf: items)
        }

        mutating func set(_ items: [Item], in dict: Item) throws(DecodeError) {
            guard case .dict(let node) = dict else { throw failure("SETITEMS on something that is not a dictionary") }
            guard items.count % 2 == 0 else { throw failure("a key has no value") }
            for pair in stride(from: 0, to: items.count, by: 2) {
                dicts[node].append((try key(items[pair]), items[pair + 1]))
            }
        }

        mutating func newList(_ items: [Item]) -> Item {
            lists.append(items)
            return .list(lists.count - 1)
        }

        mutating func read() throws(DecodeError) -> JSONValue {
            // Read first, then convert: `value(readItem(), …)` would convert with a copy of the
            // reader taken before the read.
            let item = try readItem()
            return try value(item, depth: 0)
        }

        /// The fields of a list of dictionaries, `fields.count` values a dictionary in order
        /// (null where a dictionary lacks one); nil when the pickle is not a list of dictionaries.
        mutating func records(fields: [String]) throws(DecodeError) -> (count: Int, values: [JSONValue])? {
            guard case .list(let node) = try readItem() else { return nil }
            var values: [JSONValue] = []
            values.reserveCapacity(lists[node].count * fields.count)
            for element in lists[node] {
                guard case .dict(let members) = element else { return nil }
                for field in fields {
                    // The last pair of a key wins, as it does in Python.
                    if let pair = dicts[members].last(where: { $0.0 == field }) {
                        values.append(try value(pair.1, depth: 1))
                    } else {
                        values.append(.null)
                    }
                }
            }
            return (lists[node].count, values)
        }

        mutating func readItem() throws(DecodeError) -> Item {
            while true {
                let op = try byte()
                switch op {
                case Op.proto: _ = try byte()
                case Op.frame: _ = try take(8)
                case Op.stop:
                    guard stack.count == 1, index == bytes.count else { throw failure("STOP with \(stack.count) values left, or bytes after it") }
                    return stack[0]
                case Op.mark: stack.append(.mark)
                case Op.pop: _ = try pop()
                case Op.none: stack.append(.value(.null))
                case Op.newTrue: stack.append(.value(.bool(true)))
                case Op.newFalse: stack.append(.value(.bool(false)))
                case Op.binInt: stack.append(.value(.number(Double(Int32(bitPattern: try uint32())))))
                case Op.binInt1: stack.append(.value(.number(Double(try byte()))))
                case Op.binInt2:
                    let raw = try take(2)
                    stack.append(.value(.number(Double(UInt16(raw[0]) | UInt16(raw[1]) << 8))))
                case Op.long1:
                    let count = Int(try byte())
                    let raw = try take(count)
                    guard count <= 8 else { throw failure("an int wider than 64 bits") }
                    var value: UInt64 = 0
                    for offset in (0..<count).reversed() { value = value << 8 | UInt64(raw[offset]) }
                    // Sign-extend from the highest byte written.
                    if count > 0, count < 8, raw[count - 1] & 0x80 != 0 { value |= ~0 << (8 * UInt64(count)) }
                    stack.append(.value(.number(Double(Int64(bitPattern: value)))))
                case Op.binFloat:
                    let raw = try take(8)
                    var bits: UInt64 = 0
                    for byte in raw { bits = bits << 8 | UInt64(byte) }
                    stack.append(.value(.number(Double(bitPattern: bits))))
                case Op.shortBinUnicode: stack.append(try string(try take(Int(try byte()))))
                case Op.binUnicode: stack.append(try string(try take(Int(try uint32()))))
                case Op.binUnicode8:
                    let count = try uint64()
                    guard count <= UInt64(bytes.count) else { throw failure("it ends in the middle of a value") }
                    stack.append(try string(try take(Int(count))))
                case Op.emptyList: stack.append(newList([]))
                case Op.emptyTuple: stack.append(newList([]))
                case Op.list, Op.tuple: stack.append(newList(try popToMark()))
                case Op.tuple1, Op.tuple2, Op.tuple3:
                    let count = Int(op - Op.tuple1) + 1
                    guard stack.count >= count else { throw failure("a value is missing") }
                    var items: [Item] = []
                    for _ in 0..<count { items.insert(try pop(), at: 0) }
                    stack.append(newList(items))
                case Op.append:
                    let item = try pop()
                    guard let list = stack.last else { throw failure("APPEND with no list") }
                    try add([item], to: list)
                case Op.appends:
                    let items = try popToMark()
                    guard let list = stack.last else { throw failure("APPENDS with no list") }
                    try add(items, to: list)
                case Op.emptyDict:
                    dicts.append([])
                    stack.append(.dict(dicts.count - 1))
                case Op.dict:
                    let items = try popToMark()
                    dicts.append([])
                    let dict = Item.dict(dicts.count - 1)
                    try set(items, in: dict)
                    stack.append(dict)
                case Op.setItem:
                    let value = try pop()
                    let key = try pop()
                    guard let dict = stack.last else { throw failure("SETITEM with no dictionary") }
                    try set([key, value], in: dict)
                case Op.setItems:
                    let items = try popToMark()
                    guard let dict = stack.last else { throw failure("SETITEMS with no dictionary") }
                    try set(items, in: dict)
                case Op.memoize:
                    guard let top = stack.last, !isMark(top) else { throw failure("MEMOIZE with no value") }
                    memo.append(top)
                case Op.binPut, Op.longBinPut:
                    let slot = op == Op.binPut ? Int(try byte()) : Int(try uint32())
                    guard let top = stack.last, !isMark(top) else { throw failure("PUT with no value") }
                    guard slot <= 1 << 20 else { throw failure("a memo slot past a million") }
                    if slot >= memo.count { memo.append(contentsOf: repeatElement(nil, count: slot + 1 - memo.count)) }
                    memo[slot] = top
                case Op.binGet, Op.longBinGet:
                    let slot = op == Op.binGet ? Int(try byte()) : Int(try uint32())
                    guard slot < memo.count, let item = memo[slot] else { throw failure("GET of memo \(slot), which was never put") }
                    stack.append(item)
                default:
                    index -= 1
                    throw failure(String(format: "opcode 0x%02x is not one of a plain value (None, bool, int, float, str, list, dict)", op))
                }
            }
        }

        /// The node as a value; a container that holds itself is an error.
        func value(_ item: Item, depth: Int) throws(DecodeError) -> JSONValue {
            guard depth < 512 else { throw failure("it nests more than 512 deep (or holds itself)") }
            switch item {
            case .value(let value): return value
            case .mark: throw failure("a MARK is left")
            case .list(let node):
                var items: [JSONValue] = []
                items.reserveCapacity(lists[node].count)
                for element in lists[node] { items.append(try value(element, depth: depth + 1)) }
                return .array(items)
            case .dict(let node):
                var members: [String: JSONValue] = [:]
                members.reserveCapacity(dicts[node].count)
                for (name, element) in dicts[node] { members[name] = try value(element, depth: depth + 1) }
                return .object(members)
            }
        }
    }
}
