import Foundation
import TestSupport
import Testing

@testable import ModelFactory

/// The keys of the `unique` rule: in memory, and spilled to files by hash past a bound, with the
/// same answer either way.
@Suite(.onTestThreads) struct KeySetTests {
    /// Keys with repeats before and after the spill, as a dictionary finds them: every repeat
    /// counted, the ten earliest shown with the row the key was first seen in.
    @Test func spilledKeysFindTheSameDuplicatesAsMemory() throws {
        var generator = SystemRandomNumberGenerator()
        let keys = (1...5_000).map { row in row % 7 == 0 ? "k\(Int.random(in: 1...row, using: &generator))" : "k\(row)" }
        var firsts: [String: Int] = [:]
        var expected: [KeySet.Duplicate] = []
        for (index, key) in keys.enumerated() {
            if let first = firsts[key] { expected.append(.init(row: index + 1, key: key, first: first)) } else { firsts[key] = index + 1 }
        }
        try #require(expected.count > 10)
        for (memory, partitions) in [(1 << 20, 128), (100, 3), (1, 1), (4_000, 16)] {
            let set = KeySet(memoryKeys: memory, partitions: partitions)
            for (index, key) in keys.enumerated() { try set.add(key, row: index + 1) }
            let found = try set.finish()
            #expect(found.count == expected.count, "memory \(memory), partitions \(partitions)")
            #expect(found.earliest == Array(expected.prefix(10)), "memory \(memory), partitions \(partitions)")
        }
    }

    /// Keys of any bytes (commas, quotes, line ends, non-ASCII, empty) come back from the files as they went in.
    @Test func anyKeyComesBackWhole() throws {
        let odd = ["", "a,b", "\"q\"", "line\nend", "ünï©ødé", String(repeating: "long", count: 5_000)]
        let set = KeySet(memoryKeys: 2, partitions: 4)
        for (index, key) in (odd + odd).enumerated() { try set.add(key, row: index + 1) }
        let found = try set.finish()
        #expect(found.count == odd.count)
        #expect(found.earliest == odd.enumerated().map { KeySet.Duplicate(row: odd.count + $0.offset + 1, key: $0.element, first: $0.offset + 1) })
        // The keys were spilled, and the spill files are gone once the duplicates are found.
        let folder = try #require(set.spillFolder)
        #expect(!FileManager.default.fileExists(atPath: folder.path))
    }
}
