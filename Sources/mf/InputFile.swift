import Foundation
import SystemKit

/// A file named on the command line that cannot be read: which option named it, the path, and
/// why, as one sentence (never Foundation's error dump).
struct InputFileError: Error, CustomStringConvertible {
    /// The option or argument that named it (`--input`, `--secret-file`).
    var option: String
    var path: String
    var reason: String
    /// What could not be done with it: `read`, `use`.
    var action = "read"

    var description: String { "cannot \(action) \(option) \(path): \(reason)" }
}

enum InputFile {
    /// The bytes of the file at `path`, named by `option`; `-` is stdin when `stdin` allows it.
    static func read(_ path: String, option: String, stdin: Bool = false) throws(InputFileError) -> Data {
        if stdin, path == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw InputFileError(option: option, path: path, reason: "there is no such file")
        }
        guard !isFolder.boolValue else { throw InputFileError(option: option, path: path, reason: "it is a folder, not a file") }
        do { return try FileContents.read(atPath: path) } catch {
            guard case .cannotRead(_, let code) = error else { throw InputFileError(option: option, path: path, reason: "\(error)") }
            throw InputFileError(option: option, path: path, reason: Self.reason(code))
        }
    }

    /// Checks that `path` is a folder (`--templates DIR`).
    static func folder(_ path: String, option: String) throws(InputFileError) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw InputFileError(option: option, path: path, reason: "there is no such folder", action: "use")
        }
        guard isFolder.boolValue else { throw InputFileError(option: option, path: path, reason: "it is a file, not a folder", action: "use") }
    }

    /// Checks that `path` is a program this user may run (`--mf PATH`).
    static func executable(_ path: String, option: String) throws(InputFileError) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw InputFileError(option: option, path: path, reason: "there is no such file", action: "use")
        }
        guard !isFolder.boolValue else { throw InputFileError(option: option, path: path, reason: "it is a folder, not a program", action: "use") }
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw InputFileError(option: option, path: path, reason: "it is not executable", action: "use")
        }
    }

    /// The system's reason in the sentence's case ("permission denied").
    static func reason(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}
