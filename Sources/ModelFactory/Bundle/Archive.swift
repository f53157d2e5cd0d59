internal import CZlib
public import Foundation

/// A reproducible `.tar.gz` of a folder: entries sorted by path, every time, owner and group
/// fixed (0, no names), modes reduced to 0644/0755, and a gzip header without a time, so the
/// same files give the same bytes on every machine and every run.
public enum Archive {
    /// Why a folder could not be read or archived, or an archive could not be read.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// The file, folder or archive entry concerned; empty when the failure is zlib's own.
        public let path: String
        /// What went wrong, as a user reads it (`the file cannot be read`).
        public let problem: String
        /// The failure as a user reads it: the path, then the problem.
        public var description: String { "\(path): \(problem)" }
    }

    /// One entry of an archive.
    public struct Entry: Sendable, Equatable {
        /// What the entry is: a regular file, a folder, or a symbolic link (never followed).
        public enum Kind: Sendable, Equatable { case file, folder, symlink }
        /// The entry's path relative to the archived folder, with `/` between names.
        public var path: String
        /// Whether the entry is a file, a folder or a symbolic link.
        public var kind: Kind
        /// Whether a file has any execute bit (archived as 0755, else 0644); true for folders, false for links.
        public var executable: Bool
        /// A file's bytes; empty for a folder or a link.
        public var contents: Data
        /// Where a symbolic link points, as written in the link; empty for a file or a folder.
        public var linkTarget: String
    }

    /// The entries of `folder` (relative paths, sorted), read without following links; files and
    /// folders named in `skipping` are left out with all they hold (never read).
    public static func entries(of folder: URL, skipping: Set<String> = []) throws(Failure) -> [Entry] {
        let root = folder.standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(atPath: root) else {
            throw Failure(path: root, problem: "the folder cannot be read")
        }
        var entries: [Entry] = []
        while let relative = walker.nextObject() as? String {
            let path = root + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0 else { throw Failure(path: path, problem: String(cString: strerror(errno))) }
            if !skipping.isEmpty, let name = relative.split(separator: "/").last, skipping.contains(String(name)) {
                if info.st_mode & S_IFMT == S_IFDIR { walker.skipDescendants() }
                continue
            }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                entries.append(Entry(path: relative, kind: .folder, executable: true, contents: Data(), linkTarget: ""))
            case S_IFLNK:
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? ""
                entries.append(Entry(path: relative, kind: .symlink, executable: false, contents: Data(), linkTarget: target))
            case S_IFREG:
                guard let data = FileManager.default.contents(atPath: path) else { throw Failure(path: path, problem: "the file cannot be read") }
                entries.append(Entry(path: relative, kind: .file, executable: info.st_mode & 0o111 != 0, contents: data, linkTarget: ""))
            default:
                throw Failure(path: path, problem: "neither a file, a folder nor a symbolic link")
            }
        }
        return entries.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    }

    /// The `.tar.gz` bytes of `entries`, each under `prefix/` (the archive's top folder).
    public static func tarGz(_ entries: [Entry], prefix: String) throws(Failure) -> Data {
        var tar = Data()
        let all = [Entry(path: "", kind: .folder, executable: true, contents: Data(), linkTarget: "")] + entries
        for entry in all {
            let name = entry.path.isEmpty ? prefix + "/" : prefix + "/" + entry.path + (entry.kind == .folder ? "/" : "")
            tar.append(try header(name: name, entry: entry))
            if entry.kind == .file {
                tar.append(entry.contents)
                let remainder = entry.contents.count % 512
                if remainder != 0 { tar.append(Data(count: 512 - remainder)) }
            }
        }
        tar.append(Data(count: 1024))
        return try gzip(tar)
    }

    /// A ustar header; names longer than 100 bytes are split into prefix and name at a `/`.
    static func header(name: String, entry: Entry) throws(Failure) -> Data {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset, width: width - 1)
        }
        let bytes = Array(name.utf8)
        var head = ""
        var tail = name
        if bytes.count > 100 {
            guard
                let split = bytes.indices.reversed().first(where: {
                    bytes[$0] == UInt8(ascii: "/") && $0 <= 155 && bytes.count - $0 - 1 <= 100 && $0 < bytes.count - 1
                })
            else {
                throw Failure(path: name, problem: "the path is too long for a tar archive (at most 255 bytes, with a / to split at)")
            }
            head = String(decoding: bytes[..<split], as: UTF8.self)
            tail = String(decoding: bytes[(split + 1)...], as: UTF8.self)
        }
        if entry.kind == .symlink, entry.linkTarget.utf8.count > 100 {
            throw Failure(path: name, problem: "the link target is too long for a tar archive")
        }
        put(tail, at: 0, width: 100)
        octal(entry.kind == .file && !entry.executable ? 0o644 : 0o755, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(entry.kind == .file ? entry.contents.count : 0, at: 124, width: 12)
        octal(0, at: 136, width: 12)
        block[156] = entry.kind == .file ? UInt8(ascii: "0") : entry.kind == .folder ? UInt8(ascii: "5") : UInt8(ascii: "2")
        put(entry.linkTarget, at: 157, width: 100)
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        put(head, at: 345, width: 155)
        for index in 148..<156 { block[index] = UInt8(ascii: " ") }
        let sum = block.reduce(0) { $0 + Int($1) }
        octal(sum, at: 148, width: 7)
        block[155] = UInt8(ascii: " ")
        return Data(block)
    }

    /// gzip with zlib at level 6 (gzip's default: level 9 costs three times the time for 1-2 % less): the header has no name and no time,
    /// and names Unix as its system whatever zlib was built for (zlib 1.2.12 and later write 19 on macOS).
    static func gzip(_ data: Data) throws(Failure) -> Data {
        var stream = z_stream()
        guard deflateInit2_(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(path: "", problem: "zlib could not start")
        }
        defer { deflateEnd(&stream) }
        var header = gz_header()
        header.os = 3
        // zlib keeps the header's address until it has written it, during the first deflate.
        return try withUnsafeMutablePointer(to: &header) { header throws(Failure) in
            guard deflateSetHeader(&stream, header) == Z_OK else { throw Failure(path: "", problem: "zlib refused the gzip header") }
            return try pump(data, through: &stream, failure: "zlib failed") { deflate(&$0, Z_FINISH) }
        }
    }

    /// Runs `data` through a zlib stream until it ends, collecting the output (at most 4 GiB).
    private static func pump(
        _ data: Data, through stream: inout z_stream, failure: String, _ step: (inout z_stream) -> Int32
    ) throws(Failure) -> Data {
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var input = [UInt8](data)
        let result: Int32 = input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = uInt(source.count)
            var status: Int32 = Z_OK
            repeat {
                status = buffer.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = uInt(target.count)
                    let status = step(&stream)
                    output.append(target.baseAddress!, count: target.count - Int(stream.avail_out))
                    return status
                }
            } while status == Z_OK && output.count < 4 << 30
            return status
        }
        guard result == Z_STREAM_END else { throw Failure(path: "", problem: failure) }
        return output
    }

    /// The entries of a `.tar.gz` written by `tarGz` (or any ustar/POSIX tar of files, folders
    /// and links), with the top folder taken off their paths.
    public static func read(tarGz data: Data) throws(Failure) -> [Entry] {
        let tar = try gunzip(data)
        var entries: [Entry] = []
        var offset = 0
        let bytes = [UInt8](tar)
        func field(_ start: Int, _ width: Int) -> String {
            let slice = bytes[(offset + start)..<(offset + start + width)]
            return String(decoding: slice.prefix { $0 != 0 }, as: UTF8.self)
        }
        while offset + 512 <= bytes.count {
            if bytes[offset..<offset + 512].allSatisfy({ $0 == 0 }) { break }
            var name = field(0, 100)
            let prefix = field(345, 155)
            if !prefix.isEmpty { name = prefix + "/" + name }
            let size = Int(field(124, 12).trimmingCharacters(in: .whitespaces), radix: 8) ?? 0
            let mode = Int(field(100, 8).trimmingCharacters(in: .whitespaces), radix: 8) ?? 0o644
            let type = bytes[offset + 156]
            let link = field(157, 100)
            let start = offset + 512
            guard start + size <= bytes.count else { throw Failure(path: name, problem: "the archive ends inside this file") }
            let parts = name.split(separator: "/", omittingEmptySubsequences: true)
            if parts.contains("..") || name.hasPrefix("/") { throw Failure(path: name, problem: "an archive path that leaves its folder") }
            let relative = parts.dropFirst().joined(separator: "/")
            if !relative.isEmpty {
                switch type {
                case UInt8(ascii: "5"): entries.append(Entry(path: relative, kind: .folder, executable: true, contents: Data(), linkTarget: ""))
                case UInt8(ascii: "2"): entries.append(Entry(path: relative, kind: .symlink, executable: false, contents: Data(), linkTarget: link))
                case UInt8(ascii: "0"), 0:
                    entries.append(
                        Entry(path: relative, kind: .file, executable: mode & 0o111 != 0, contents: Data(bytes[start..<start + size]), linkTarget: ""))
                default:
                    throw Failure(path: name, problem: "an archive entry that is not a file, folder or link")
                }
            }
            offset = start + (size + 511) / 512 * 512
        }
        return entries
    }

    static func gunzip(_ data: Data) throws(Failure) -> Data {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(path: "", problem: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        return try pump(data, through: &stream, failure: "not a gzip stream, or a damaged one") { inflate(&$0, Z_NO_FLUSH) }
    }
}

extension Archive.Entry {
    /// Writes the entry at `url` (making its folders): a folder, a symbolic link, or a file
    /// with mode 755 or 644.
    func write(to url: URL) throws {
        let manager = FileManager.default
        switch kind {
        case .folder: try manager.createDirectory(at: url, withIntermediateDirectories: true)
        case .symlink:
            try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try manager.createSymbolicLink(atPath: url.path, withDestinationPath: linkTarget)
        case .file:
            try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try contents.write(to: url)
            try manager.setAttributes([.posixPermissions: executable ? 0o755 : 0o644], ofItemAtPath: url.path)
        }
    }
}

extension Archive {
    /// Unpacks the `.tar.gz` at `archive` into `folder` (made when missing) as `read(tarGz:)`
    /// reads it (the top folder taken off, paths that leave it refused), streaming: the file is
    /// read 1 MiB at a time and each file written as its bytes arrive, so a large archive is never
    /// held whole in memory. Symbolic links are refused (a fetched bundle holds none).
    public static func extract(tarGz archive: URL, to folder: URL) throws(Failure) {
        let input: FileHandle
        do { input = try FileHandle(forReadingFrom: archive) } catch {
            throw Failure(path: archive.path, problem: "the archive cannot be read (\(error.localizedDescription))")
        }
        defer { try? input.close() }
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(path: "", problem: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var writer = TarWriter(root: folder)
        writer.makeFolder(folder)
        var output = [UInt8](repeating: 0, count: 1 << 16)
        var status: Int32 = Z_OK
        while status != Z_STREAM_END {
            let chunk: Data
            do { chunk = try input.read(upToCount: 1 << 20) ?? Data() } catch {
                throw Failure(path: archive.path, problem: "the archive cannot be read (\(error.localizedDescription))")
            }
            guard !chunk.isEmpty else { throw Failure(path: archive.path, problem: "the archive ends before its gzip stream does") }
            var bytes = [UInt8](chunk)
            try bytes.withUnsafeMutableBufferPointer { source throws(Failure) in
                stream.next_in = source.baseAddress
                stream.avail_in = uInt(source.count)
                repeat {
                    let produced = output.withUnsafeMutableBufferPointer { target in
                        stream.next_out = target.baseAddress
                        stream.avail_out = uInt(target.count)
                        status = inflate(&stream, Z_NO_FLUSH)
                        return target.count - Int(stream.avail_out)
                    }
                    guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                        throw Failure(path: archive.path, problem: "not a gzip stream, or a damaged one")
                    }
                    try writer.write(output[0..<produced])
                } while status != Z_STREAM_END && (stream.avail_in > 0 || stream.avail_out == 0)
            }
        }
        try writer.finish(archive: archive.path)
    }

    /// Writes a tar stream's entries under `root` as its bytes arrive.
    struct TarWriter {
        let root: URL
        private var header: [UInt8] = []
        private var file: FileHandle?
        private var current = ""
        private var executable = false
        private var remaining = 0
        private var padding = 0
        private var ended = false

        init(root: URL) { self.root = root }

        func makeFolder(_ url: URL) { try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }

        /// Takes the next bytes of the tar stream.
        mutating func write(_ bytes: ArraySlice<UInt8>) throws(Failure) {
            var bytes = bytes
            while !bytes.isEmpty, !ended {
                if remaining > 0 {
                    let count = min(remaining, bytes.count)
                    do { try file?.write(contentsOf: bytes.prefix(count)) } catch {
                        throw Failure(path: current, problem: "it cannot be written (\(error.localizedDescription))")
                    }
                    remaining -= count
                    bytes = bytes.dropFirst(count)
                    if remaining == 0 { try closeFile() }
                } else if padding > 0 {
                    let count = min(padding, bytes.count)
                    padding -= count
                    bytes = bytes.dropFirst(count)
                } else {
                    let count = min(512 - header.count, bytes.count)
                    header += bytes.prefix(count)
                    bytes = bytes.dropFirst(count)
                    if header.count == 512 {
                        try begin(header)
                        header = []
                    }
                }
            }
        }

        /// Checks that the stream ended between entries.
        func finish(archive: String) throws(Failure) {
            guard remaining == 0, header.isEmpty else { throw Failure(path: current.isEmpty ? archive : current, problem: "the archive ends inside this file") }
        }

        private mutating func begin(_ block: [UInt8]) throws(Failure) {
            if block.allSatisfy({ $0 == 0 }) {
                ended = true
                return
            }
            func field(_ start: Int, _ width: Int) -> String {
                String(decoding: block[start..<(start + width)].prefix { $0 != 0 }, as: UTF8.self)
            }
            var name = field(0, 100)
            let prefix = field(345, 155)
            if !prefix.isEmpty { name = prefix + "/" + name }
            let size = Int(field(124, 12).trimmingCharacters(in: .whitespaces), radix: 8) ?? 0
            let mode = Int(field(100, 8).trimmingCharacters(in: .whitespaces), radix: 8) ?? 0o644
            let parts = name.split(separator: "/", omittingEmptySubsequences: true)
            if parts.contains("..") || name.hasPrefix("/") { throw Failure(path: name, problem: "an archive path that leaves its folder") }
            let relative = parts.dropFirst().joined(separator: "/")
            let url = root.appendingPathComponent(relative)
            current = name
            switch block[156] {
            case UInt8(ascii: "5"):
                makeFolder(url)
            case UInt8(ascii: "2"):
                throw Failure(path: name, problem: "a symbolic link, which a fetched bundle may not hold")
            case UInt8(ascii: "0"), 0:
                guard !relative.isEmpty else { throw Failure(path: name, problem: "a file in the place of the archive's top folder") }
                makeFolder(url.deletingLastPathComponent())
                guard FileManager.default.createFile(atPath: url.path, contents: nil), let handle = FileHandle(forWritingAtPath: url.path) else {
                    throw Failure(path: name, problem: "it cannot be written under \(root.path)")
                }
                file = handle
                current = url.path
                executable = mode & 0o111 != 0
                remaining = size
                padding = (size + 511) / 512 * 512 - size
                if size == 0 { try closeFile() }
            default:
                throw Failure(path: name, problem: "an archive entry that is not a file, folder or link")
            }
        }

        private mutating func closeFile() throws(Failure) {
            do {
                try file?.close()
                try FileManager.default.setAttributes([.posixPermissions: executable ? 0o755 : 0o644], ofItemAtPath: current)
            } catch {
                throw Failure(path: current, problem: "it cannot be written (\(error.localizedDescription))")
            }
            file = nil
        }
    }
}
