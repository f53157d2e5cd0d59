public import Foundation

/// Reading whole files, with POSIX calls: Foundation's readers leak a buffer on empty files and
/// on files that grow while they are read (LeakSanitizer found both).
public enum FileContents {
    /// The bytes of the file at `path`.
    public static func read(atPath path: String) throws(SystemError) -> Data {
        var data = Data()
        try forEachChunk(atPath: path) { data.append(contentsOf: $0) }
        return data
    }

    /// The file at `path` as UTF-8 text (invalid bytes replaced); empty when it cannot be read
    /// (a log that is not there yet).
    public static func text(atPath path: String) -> String {
        String(decoding: (try? read(atPath: path)) ?? Data(), as: UTF8.self)
    }

    /// Calls `body` with the file's bytes, 64 KiB at a time, so a large file is never held whole.
    public static func forEachChunk(atPath path: String, _ body: (UnsafeRawBufferPointer) throws(SystemError) -> Void) throws(SystemError) {
        // Non-blocking, so that a FIFO with no writer does not hang the open.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw .cannotRead(path: path, code: errno) }
        defer { close(descriptor) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
        defer { buffer.deallocate() }
        while true {
            let count = Foundation.read(descriptor, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw .cannotRead(path: path, code: errno)
            }
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
    }
}
