internal import Foundation

/// A file mapped read-only into memory (a pack, its index, a commit-graph), unmapped when the
/// value is released. The one place GitKit maps files.
final class MappedFile: @unchecked Sendable {
    /// The file's bytes, valid as long as this value lives.
    let bytes: UnsafeRawBufferPointer

    /// Maps the file at `path`; nil when it is missing, empty, or cannot be mapped.
    init?(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_size > 0 else { return nil }
        let size = Int(info.st_size)
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else { return nil }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }

    /// Runs `body` on the file at `path` mapped read-only; nil when it cannot be mapped.
    static func with<T>(_ path: String, _ body: (UnsafeRawBufferPointer) -> T) -> T? {
        guard let file = MappedFile(path) else { return nil }
        return withExtendedLifetime(file) { body(file.bytes) }
    }
}
