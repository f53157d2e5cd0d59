internal import Foundation

/// binaryornot's test, which cookiecutter uses to copy a file without rendering it: a known
/// binary extension, or a first chunk that is mostly control bytes, or NUL/0xFF bytes in a
/// chunk that is not UTF-8 text.
enum Binary {
    static let extensions: Set<String> = [
        "png", "jpg", "jpeg", "gif", "bmp", "ico", "icns", "tif", "tiff", "webp", "pdf", "zip", "gz", "tgz", "bz2", "xz",
        "7z", "rar", "tar", "jar", "war", "whl", "egg", "so", "dylib", "dll", "exe", "bin", "o", "a", "class", "pyc",
        "pyo", "db", "sqlite", "sqlite3", "woff", "woff2", "ttf", "otf", "eot", "mp3", "mp4", "wav", "ogg", "avi",
        "mov", "pkl", "pickle", "npy", "npz", "h5", "hdf5", "parquet", "onnx", "pt", "pth", "ckpt", "dat", "psd",
    ]

    static func isBinary(_ data: Data, name: String) -> Bool {
        if let dot = name.lastIndex(of: "."), extensions.contains(name[name.index(after: dot)...].lowercased()) { return true }
        let chunk = data.prefix(1024)
        if chunk.isEmpty { return false }
        let decodable = String(data: chunk, encoding: .utf8) != nil || String(data: chunk.dropLast(3), encoding: .utf8) != nil
        if decodable, !chunk.contains(0) { return false }
        let control = chunk.filter { !(($0 >= 7 && $0 <= 13) || $0 == 27 || ($0 >= 32 && $0 <= 126)) && $0 < 127 }.count
        let high = chunk.filter { $0 >= 127 }.count
        let lowRatio = Double(control) / Double(chunk.count), highRatio = Double(high) / Double(chunk.count)
        if (lowRatio > 0.3 && highRatio < 0.05) || (lowRatio > 0.8 && highRatio > 0.8) { return true }
        return chunk.contains(0) || chunk.contains(0xFF)
    }
}
