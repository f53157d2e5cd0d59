internal import CGit2
public import Foundation

/// What `Repository.export(commit:to:)` wrote.
public struct ExportSummary: Sendable, Equatable {
    /// The tree that was exported.
    public var tree: ObjectID
    /// How many files (plain or executable) were written.
    public var files: Int
    /// How many symbolic links were recreated.
    public var symlinks: Int
    /// How many folders were created below the export folder, including the empty folders standing for submodules.
    public var directories: Int
    /// The total size of the files written, in bytes (symbolic links not counted).
    public var bytes: Int
}

extension Repository {
    /// The id of a commit's tree.
    public func treeID(of commit: ObjectID) throws(GitError) -> ObjectID {
        try withHandle { handle throws(GitError) in
            let pointer = try lookupCommit(handle, commit)
            defer { git_commit_free(pointer) }
            return ObjectID(git_commit_tree_id(pointer)!)
        }
    }

    /// The contents of the file at `path` in `commit`; throws `.notFound` when there is none.
    public func file(at path: String, in commit: ObjectID) throws(GitError) -> Data {
        try withHandle { handle throws(GitError) in
            let entry = try entry(handle, at: path, in: commit, of: GIT_OBJECT_BLOB)
            defer { git_tree_entry_free(entry) }
            var blob: OpaquePointer?
            try check("git_blob_lookup", "cannot read '\(path)' in commit \(commit.short)", reference: commit.hex, path: path) {
                git_blob_lookup(&blob, handle, git_tree_entry_id(entry))
            }
            defer { git_blob_free(blob) }
            let size = Int(git_blob_rawsize(blob))
            guard size > 0, let bytes = git_blob_rawcontent(blob) else { return Data() }
            return Data(bytes: bytes, count: size)
        }
    }

    /// Writes the tree of `commit` into `folder` without touching any work tree or index.
    ///
    /// `folder` must not exist or be empty. Files keep their executable bit, symbolic links are
    /// recreated when they stay inside `folder`, submodules become empty folders (as `git
    /// archive` does). A path with `..`, `.git`, a slash or an absolute symbolic link target is
    /// refused with `.unsafePath`, and whatever was written is removed again: an export is whole
    /// or absent.
    @discardableResult
    public func export(commit: ObjectID, to folder: String) throws(GitError) -> ExportSummary {
        let root = URL(fileURLWithPath: folder).standardizedFileURL.path
        let manager = FileManager.default
        var createdRoot = false
        if manager.fileExists(atPath: root) {
            let contents = (try? manager.contentsOfDirectory(atPath: root)) ?? ["?"]
            guard contents.isEmpty else {
                throw GitError(
                    code: .exists, operation: "cannot export commit \(commit.short)",
                    message: "the folder is not empty", repository: location, reference: commit.hex, path: root)
            }
        } else {
            do {
                try manager.createDirectory(atPath: root, withIntermediateDirectories: true)
            } catch {
                throw GitError(
                    code: .io, operation: "cannot export commit \(commit.short)",
                    message: "cannot create the folder: \(error.localizedDescription)",
                    repository: location, reference: commit.hex, path: root)
            }
            createdRoot = true
        }
        do {
            return try withHandle { handle throws(GitError) in
                let tree = try commitTree(handle, commit)
                defer { git_tree_free(tree) }
                var exporter = TreeExporter(repository: self, handle: handle, root: root, commit: commit)
                try exporter.write(tree: tree, relative: [])
                try exporter.checkSymlinks()
                return ExportSummary(
                    tree: ObjectID(git_tree_id(tree)!), files: exporter.files, symlinks: exporter.symlinks.count,
                    directories: exporter.directories, bytes: exporter.bytes)
            }
        } catch {
            if createdRoot {
                try? manager.removeItem(atPath: root)
            } else if let leftovers = try? manager.contentsOfDirectory(atPath: root) {
                for name in leftovers { try? manager.removeItem(atPath: root + "/" + name) }
            }
            throw error
        }
    }

    /// The tree entry at `path` in `commit`, which must be a file (`GIT_OBJECT_BLOB`) or a folder
    /// (`GIT_OBJECT_TREE`); the caller frees it.
    func entry(_ handle: OpaquePointer, at path: String, in commit: ObjectID, of type: git_object_t) throws(GitError) -> OpaquePointer {
        let tree = try commitTree(handle, commit)
        defer { git_tree_free(tree) }
        let noun = type == GIT_OBJECT_TREE ? "folder" : "file"
        var entry: OpaquePointer?
        try check("git_tree_entry_bypath", "no \(noun) '\(path)' in commit \(commit.short)", reference: commit.hex, path: path) {
            git_tree_entry_bypath(&entry, tree, path)
        }
        guard git_tree_entry_type(entry) == type else {
            git_tree_entry_free(entry)
            throw GitError(
                code: .notFound, operation: "cannot read '\(path)' in commit \(commit.short)",
                message: type == GIT_OBJECT_TREE ? "it is a file, not a folder" : "it is a folder, not a file",
                repository: location, reference: commit.hex, path: path)
        }
        return entry!
    }

    func commitTree(_ handle: OpaquePointer, _ commit: ObjectID) throws(GitError) -> OpaquePointer {
        let pointer = try lookupCommit(handle, commit)
        defer { git_commit_free(pointer) }
        var tree: OpaquePointer?
        try check("git_commit_tree", "cannot read the tree of commit \(commit.short)", reference: commit.hex) {
            git_commit_tree(&tree, pointer)
        }
        return tree!
    }
}

/// Writes blobs of a tree with plain POSIX calls that never follow a link and never overwrite:
/// every folder is made by `mkdir` (which fails on anything already there) and every file by
/// `open(O_CREAT | O_EXCL | O_NOFOLLOW)`, so no tree, however crafted, writes outside the root.
private struct TreeExporter {
    let repository: Repository
    let handle: OpaquePointer
    let root: String
    let commit: ObjectID
    var files = 0
    var directories = 0
    var bytes = 0
    var symlinks: [(path: String, relative: [String])] = []

    init(repository: Repository, handle: OpaquePointer, root: String, commit: ObjectID) {
        self.repository = repository
        self.handle = handle
        self.root = root
        self.commit = commit
    }

    func unsafe(_ path: String, _ why: String) -> GitError {
        GitError(
            code: .unsafePath, operation: "refusing to export commit \(commit.short)", message: why,
            repository: repository.location, reference: commit.hex, path: path)
    }

    func ioError(_ path: String, _ what: String) -> GitError {
        GitError(
            code: .io, operation: "cannot export commit \(commit.short)",
            message: "\(what): \(String(cString: strerror(errno)))",
            repository: repository.location, reference: commit.hex, path: path)
    }

    mutating func write(tree: OpaquePointer, relative: [String]) throws(GitError) {
        let count = git_tree_entrycount(tree)
        for index in 0..<count {
            guard let entry = git_tree_entry_byindex(tree, index) else { continue }
            let name = lenientString(git_tree_entry_name(entry), default: "")
            let components = relative + [name]
            let path = components.joined(separator: "/")
            guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), !name.contains("\0") else {
                throw unsafe(path, "the tree has an entry named '\(name)'")
            }
            guard name.lowercased() != ".git" else { throw unsafe(path, "the tree has a '.git' entry") }
            let target = root + "/" + path
            let mode = git_tree_entry_filemode(entry)
            switch mode {
            case GIT_FILEMODE_TREE:
                guard mkdir(target, 0o755) == 0 else { throw ioError(path, "cannot create folder") }
                directories += 1
                var subtree: OpaquePointer?
                try repository.check("git_tree_lookup", "cannot read folder '\(path)'", path: path) {
                    git_tree_lookup(&subtree, handle, git_tree_entry_id(entry))
                }
                defer { git_tree_free(subtree) }
                try write(tree: subtree!, relative: components)
            case GIT_FILEMODE_BLOB, GIT_FILEMODE_BLOB_EXECUTABLE:
                try writeFile(entry, path: path, target: target, executable: mode == GIT_FILEMODE_BLOB_EXECUTABLE)
            case GIT_FILEMODE_LINK:
                let destination = String(decoding: try blobBytes(entry, path: path), as: UTF8.self)
                guard !destination.hasPrefix("/"), !destination.isEmpty else {
                    throw unsafe(path, "the symbolic link points at '\(destination)', outside the export")
                }
                var depth = relative.count
                for part in destination.split(separator: "/", omittingEmptySubsequences: true) {
                    if part == ".." { depth -= 1 } else if part != "." { depth += 1 }
                    guard depth >= 0 else {
                        throw unsafe(path, "the symbolic link points at '\(destination)', outside the export")
                    }
                }
                guard symlink(destination, target) == 0 else { throw ioError(path, "cannot create symbolic link") }
                symlinks.append((path, relative))
            case GIT_FILEMODE_COMMIT:
                // A submodule: its contents are not in this repository, as with `git archive`.
                guard mkdir(target, 0o755) == 0 else { throw ioError(path, "cannot create folder") }
                directories += 1
            default:
                throw unsafe(path, "the tree entry has an unknown mode \(String(mode.rawValue, radix: 8))")
            }
        }
    }

    func blobBytes(_ entry: OpaquePointer, path: String) throws(GitError) -> Data {
        var blob: OpaquePointer?
        try repository.check("git_blob_lookup", "cannot read '\(path)'", path: path) {
            git_blob_lookup(&blob, handle, git_tree_entry_id(entry))
        }
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let raw = git_blob_rawcontent(blob) else { return Data() }
        return Data(bytes: raw, count: size)
    }

    mutating func writeFile(_ entry: OpaquePointer, path: String, target: String, executable: Bool) throws(GitError) {
        var blob: OpaquePointer?
        try repository.check("git_blob_lookup", "cannot read '\(path)'", path: path) {
            git_blob_lookup(&blob, handle, git_tree_entry_id(entry))
        }
        defer { git_blob_free(blob) }
        let mode: mode_t = executable ? 0o755 : 0o644
        let descriptor = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw ioError(path, "cannot create file") }
        defer { close(descriptor) }
        let size = Int(git_blob_rawsize(blob))
        if size > 0, let raw = git_blob_rawcontent(blob) {
            var written = 0
            while written < size {
                let count = Foundation.write(descriptor, raw + written, size - written)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { throw ioError(path, "cannot write file") }
                written += count
            }
        }
        // The umask must not strip the executable bit that git recorded.
        guard fchmod(descriptor, mode) == 0 else { throw ioError(path, "cannot set file mode") }
        files += 1
        bytes += size
    }

    /// A link checked lexically can still leave the root through another link (`a -> d/l/..`
    /// where `d/l -> ..`). Now that every link exists, resolve each one for real.
    func checkSymlinks() throws(GitError) {
        let base = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
        for link in symlinks {
            guard let resolved = realpath(root + "/" + link.path, nil) else { continue }
            defer { free(resolved) }
            let path = String(cString: resolved)
            guard path == base || path.hasPrefix(base + "/") else {
                throw unsafe(link.path, "the symbolic link resolves to '\(path)', outside the export")
            }
        }
    }
}

extension UnsafeRawPointer {
    fileprivate static func + (pointer: UnsafeRawPointer, offset: Int) -> UnsafeRawPointer {
        pointer.advanced(by: offset)
    }
}

/// One entry of a folder in a commit's tree.
public struct TreeEntry: Sendable, Hashable {
    /// What the entry is: a plain or executable file, a symbolic link, a folder, or a submodule (a commit of another repository).
    public enum Kind: String, Sendable, Hashable { case file, executable, symlink, folder, submodule }
    /// The entry's name inside its folder, without the folder's path.
    public var name: String
    /// What the entry is, from the mode git recorded for it.
    public var kind: Kind
}

extension Repository {
    /// The entries of the folder at `path` ("" for the root) in `commit`.
    public func entries(at path: String, in commit: ObjectID) throws(GitError) -> [TreeEntry] {
        try withHandle { handle throws(GitError) in
            let root = try commitTree(handle, commit)
            defer { git_tree_free(root) }
            var tree: OpaquePointer? = root
            var subtree: OpaquePointer?
            defer { git_tree_free(subtree) }
            if !path.isEmpty {
                let entry = try entry(handle, at: path, in: commit, of: GIT_OBJECT_TREE)
                defer { git_tree_entry_free(entry) }
                try check("git_tree_lookup", "cannot read folder '\(path)'", path: path) {
                    git_tree_lookup(&subtree, handle, git_tree_entry_id(entry))
                }
                tree = subtree
            }
            return (0..<git_tree_entrycount(tree)).compactMap { index -> TreeEntry? in
                guard let entry = git_tree_entry_byindex(tree, index) else { return nil }
                let kind: TreeEntry.Kind =
                    switch git_tree_entry_filemode(entry) {
                    case GIT_FILEMODE_TREE: .folder
                    case GIT_FILEMODE_BLOB_EXECUTABLE: .executable
                    case GIT_FILEMODE_LINK: .symlink
                    case GIT_FILEMODE_COMMIT: .submodule
                    default: .file
                    }
                return TreeEntry(name: lenientString(git_tree_entry_name(entry), default: ""), kind: kind)
            }
        }
    }
}
