internal import CGit2
public import Foundation

/// A file to put in a tree.
public struct FileEntry: Sendable, Hashable {
    /// How git records the file.
    public enum Mode: Sendable, Hashable {
        case file, executable, symlink
    }

    /// The path inside the tree, with `/` between folders (`data/train.csv`).
    public var path: String
    /// The file's bytes, stored as the blob.
    public var contents: Data
    /// Whether the file is written as a plain file, an executable or a symbolic link (whose contents are its target).
    public var mode: Mode

    /// A file at `path` with the given bytes, a plain file unless `mode` says otherwise.
    public init(path: String, contents: Data, mode: Mode = .file) {
        self.path = path
        self.contents = contents
        self.mode = mode
    }

    /// A file at `path` whose contents are `text` in UTF-8.
    public init(path: String, text: String, mode: Mode = .file) {
        self.init(path: path, contents: Data(text.utf8), mode: mode)
    }
}

extension Repository {
    /// Writes `files` as a tree (folders made from the paths) and returns the tree's id.
    public func writeTree(_ files: [FileEntry]) throws(GitError) -> ObjectID {
        try withHandle { handle throws(GitError) in try writeTree(handle, files, prefix: "") }
    }

    private func writeTree(_ handle: OpaquePointer, _ files: [FileEntry], prefix: String) throws(GitError) -> ObjectID {
        var builder: OpaquePointer?
        try check("git_treebuilder_new", "cannot build a tree") { git_treebuilder_new(&builder, handle, nil) }
        defer { git_treebuilder_free(builder) }
        var folders: [String: [FileEntry]] = [:]
        for file in files {
            let parts = file.path.split(separator: "/", maxSplits: 1)
            guard let first = parts.first, first != ".", first != ".." else {
                throw GitError(
                    code: .unsafePath, operation: "cannot build a tree", message: "'\(prefix + file.path)' is not a relative path",
                    repository: location, path: prefix + file.path)
            }
            if parts.count == 2 {
                var inner = file
                inner.path = String(parts[1])
                folders[String(first), default: []].append(inner)
                continue
            }
            var blob = git_oid()
            let stored = file.contents.withUnsafeBytes { raw in
                git_blob_create_from_buffer(&blob, handle, raw.baseAddress, raw.count)
            }
            try check("git_blob_create_from_buffer", "cannot store '\(prefix + file.path)'", path: prefix + file.path) { stored }
            let mode: git_filemode_t =
                switch file.mode {
                case .file: GIT_FILEMODE_BLOB
                case .executable: GIT_FILEMODE_BLOB_EXECUTABLE
                case .symlink: GIT_FILEMODE_LINK
                }
            try check("git_treebuilder_insert", "cannot add '\(prefix + file.path)' to a tree", path: prefix + file.path) {
                git_treebuilder_insert(nil, builder, String(first), &blob, mode)
            }
        }
        for (name, entries) in folders.sorted(by: { $0.key < $1.key }) {
            var subtree = try writeTree(handle, entries, prefix: prefix + name + "/").oid
            try check("git_treebuilder_insert", "cannot add folder '\(prefix + name)' to a tree", path: prefix + name) {
                git_treebuilder_insert(nil, builder, name, &subtree, GIT_FILEMODE_TREE)
            }
        }
        var tree = git_oid()
        try check("git_treebuilder_write", "cannot write a tree") { git_treebuilder_write(&tree, builder) }
        return ObjectID(tree)
    }

    /// Writes the files under `folder` (skipping `.git`) as a tree, keeping executable bits and
    /// symbolic links. With `honoringIgnoreRules`, paths this repository's `.gitignore` files and
    /// `info/exclude` ignore are left out, as `git add -A` leaves them (`folder` is then its work tree).
    /// `including` decides for each file and link (by its path relative to `folder`) whether it
    /// goes in; by default every one does.
    public func writeTree(
        fromDirectory folder: String, honoringIgnoreRules: Bool = false, including: (String) -> Bool = { _ in true }
    ) throws(GitError) -> ObjectID {
        var entries: [FileEntry] = []
        let root = URL(fileURLWithPath: folder).standardizedFileURL
        let manager = FileManager.default
        guard let walker = manager.enumerator(atPath: root.path) else {
            throw GitError(code: .notFound, operation: "cannot read folder", message: "it does not exist", path: root.path)
        }
        while let relative = walker.nextObject() as? String {
            if relative == ".git" || relative.hasPrefix(".git/") {
                walker.skipDescendants()
                continue
            }
            let path = root.path + "/" + relative
            if honoringIgnoreRules {
                var isFolder: ObjCBool = false
                _ = manager.fileExists(atPath: path, isDirectory: &isFolder)
                if try isIgnored(isFolder.boolValue ? relative + "/" : relative) {
                    if isFolder.boolValue { walker.skipDescendants() }
                    continue
                }
            }
            var info = stat()
            guard lstat(path, &info) == 0 else {
                throw GitError(code: .io, operation: "cannot read folder", message: String(cString: strerror(errno)), path: path)
            }
            if info.st_mode & S_IFMT != S_IFDIR, !including(relative) { continue }
            switch info.st_mode & S_IFMT {
            case S_IFREG:
                guard let data = manager.contents(atPath: path) else {
                    throw GitError(code: .io, operation: "cannot read file", message: "it is not readable", path: path)
                }
                entries.append(FileEntry(path: relative, contents: data, mode: info.st_mode & 0o111 != 0 ? .executable : .file))
            case S_IFLNK:
                let destination = (try? manager.destinationOfSymbolicLink(atPath: path)) ?? ""
                entries.append(FileEntry(path: relative, text: destination, mode: .symlink))
            default:
                continue
            }
        }
        return try writeTree(entries)
    }

    /// Commits the whole work tree as `git add -A && git commit` would (ignored paths left out,
    /// executable bits and symbolic links kept), moves `branch` (a full name, created when
    /// missing) to the commit, and writes the index, so the work tree is clean afterwards
    /// without a checkout.
    ///
    /// For a new repository's first commit: each file is read and stored once, and the objects
    /// go to disk as one pack instead of a file (and often a folder) each, which is most of the
    /// cost of a first commit of a few hundred files.
    @discardableResult
    public func commitWorkTree(message: String, author: Signature, updating branch: String) throws(GitError) -> ObjectID {
        guard let workDirectory else {
            throw GitError(code: .notFound, operation: "cannot commit the work tree", message: "the repository is bare", repository: location)
        }
        // The objects are written through a handle of its own whose database keeps them in
        // memory: libgit2 cannot take that store off a database again, so this repository's
        // own handle never gets it.
        var scratch: OpaquePointer?
        try check("git_repository_open", "cannot commit the work tree") { git_repository_open(&scratch, workDirectory) }
        defer { git_repository_free(scratch) }
        var odb: OpaquePointer?
        try check("git_repository_odb", "cannot open the object database") { git_repository_odb(&odb, scratch) }
        defer { git_odb_free(odb) }
        var memory: OpaquePointer?
        try check("git_mempack_new", "cannot commit the work tree") { git_mempack_new(&memory) }
        try check("git_odb_add_backend", "cannot commit the work tree") { git_odb_add_backend(odb, memory, 1000) }
        var index: OpaquePointer?
        try check("git_repository_index", "cannot open the index") { git_repository_index(&index, scratch) }
        defer { git_index_free(index) }
        var everything = git_strarray(strings: nil, count: 0)
        try check("git_index_add_all", "cannot add the work tree to the index") {
            git_index_add_all(index, &everything, GIT_INDEX_ADD_DEFAULT.rawValue, nil, nil)
        }
        var treeID = git_oid()
        try check("git_index_write_tree", "cannot write the index as a tree") { git_index_write_tree(&treeID, index) }
        var tree: OpaquePointer?
        try check("git_tree_lookup", "cannot commit the work tree") { git_tree_lookup(&tree, scratch, &treeID) }
        defer { git_tree_free(tree) }
        var id = git_oid()
        try author.withSignature(repository: location) { signature throws(GitError) in
            try check("git_commit_create", "cannot create commit", reference: branch) {
                git_commit_create(&id, scratch, nil, signature, signature, nil, message, tree, 0, nil)
            }
        }
        // The objects, from memory to one pack (the pack backend takes it; the memory store cannot).
        var pack = git_buf()
        defer { git_buf_dispose(&pack) }
        try check("git_mempack_dump", "cannot write the objects") { git_mempack_dump(&pack, scratch, memory) }
        var writer: UnsafeMutablePointer<git_odb_writepack>?
        try check("git_odb_write_pack", "cannot write the objects") { git_odb_write_pack(&writer, odb, nil, nil) }
        defer { writer?.pointee.free(writer) }
        var progress = git_indexer_progress()
        try check("git_odb_writepack.append", "cannot write the objects") { writer!.pointee.append(writer, pack.ptr, pack.size, &progress) }
        try check("git_odb_writepack.commit", "cannot write the objects") { writer!.pointee.commit(writer, &progress) }
        _ = git_mempack_reset(memory)
        try check("git_index_write", "cannot write the index") { git_index_write(index) }
        let commit = ObjectID(id)
        try withHandle { handle throws(GitError) in
            try setReference(handle, name: branch, to: commit, force: true, message: "commit (initial): \(message)")
        }
        return commit
    }

    /// Whether the ignore rules of this repository ignore `path` (relative to its work tree; a
    /// folder ends with `/`).
    public func isIgnored(_ path: String) throws(GitError) -> Bool {
        try withHandle { handle throws(GitError) in
            var ignored: Int32 = 0
            try check("git_ignore_path_is_ignored", "cannot read the ignore rules", path: path) {
                git_ignore_path_is_ignored(&ignored, handle, path)
            }
            return ignored != 0
        }
    }

    /// Creates a commit of `tree` with `parents` and, when `branch` is given, moves that branch
    /// (a full name such as `refs/heads/master`, created when missing) to it.
    @discardableResult
    public func commit(
        tree: ObjectID, parents: [ObjectID], message: String, author: Signature,
        committer: Signature? = nil, updating branch: String? = nil
    ) throws(GitError) -> ObjectID {
        try withHandle { handle throws(GitError) in
            var treeOID = tree.oid
            var treePointer: OpaquePointer?
            try check("git_tree_lookup", "cannot commit tree \(tree.short)") { git_tree_lookup(&treePointer, handle, &treeOID) }
            defer { git_tree_free(treePointer) }
            var parentPointers: [OpaquePointer?] = []
            defer { parentPointers.forEach { git_commit_free($0) } }
            for parent in parents { parentPointers.append(try lookupCommit(handle, parent)) }
            var id = git_oid()
            try author.withSignature(repository: location) { authorSignature throws(GitError) in
                try (committer ?? author).withSignature(repository: location) { committerSignature throws(GitError) in
                    try parentPointers.withUnsafeMutableBufferPointer { buffer throws(GitError) in
                        try check("git_commit_create", "cannot create commit", reference: branch) {
                            git_commit_create(
                                &id, handle, nil, authorSignature, committerSignature, nil, message, treePointer,
                                buffer.count, buffer.baseAddress)
                        }
                    }
                }
            }
            let commit = ObjectID(id)
            if let branch {
                try setReference(handle, name: branch, to: commit, force: true, message: "commit: \(message)")
            }
            return commit
        }
    }

    /// Commits `files` as the whole tree on top of `parents`.
    @discardableResult
    public func commit(
        files: [FileEntry], parents: [ObjectID], message: String, author: Signature,
        updating branch: String? = nil
    ) throws(GitError) -> ObjectID {
        let tree = try writeTree(files)
        return try commit(tree: tree, parents: parents, message: message, author: author, updating: branch)
    }

    /// The tree of merging `theirs` into `ours`; throws `.exists`-free `.other` naming the
    /// conflicting paths when the merge does not apply cleanly.
    public func mergeTree(ours: ObjectID, theirs: ObjectID) throws(GitError) -> ObjectID {
        try withHandle { handle throws(GitError) in
            let left = try lookupCommit(handle, ours)
            defer { git_commit_free(left) }
            let right = try lookupCommit(handle, theirs)
            defer { git_commit_free(right) }
            var index: OpaquePointer?
            try check("git_merge_commits", "cannot merge \(theirs.short) into \(ours.short)") {
                git_merge_commits(&index, handle, left, right, nil)
            }
            defer { git_index_free(index) }
            if git_index_has_conflicts(index) == 1 {
                throw GitError(
                    code: .other(GIT_EMERGECONFLICT.rawValue),
                    operation: "cannot merge \(theirs.short) into \(ours.short)",
                    message: "the changes conflict", repository: location)
            }
            var tree = git_oid()
            try check("git_index_write_tree_to", "cannot write the merged tree") {
                git_index_write_tree_to(&tree, index, handle)
            }
            return ObjectID(tree)
        }
    }

    /// Creates or moves the branch `name` (short, `feature/x`) to `commit`.
    public func createBranch(_ name: String, at commit: ObjectID, force: Bool = false) throws(GitError) {
        try withHandle { handle throws(GitError) in
            try setReference(handle, name: "refs/heads/" + name, to: commit, force: force, message: "branch: created")
        }
    }

    /// Creates the tag `name` at `target`: annotated when `message` is given (with `tagger`),
    /// lightweight otherwise. An existing tag is an `.exists` error unless `force`.
    @discardableResult
    public func createTag(
        _ name: String, at target: ObjectID, message: String? = nil, tagger: Signature? = nil, force: Bool = false
    ) throws(GitError) -> ObjectID {
        try withHandle { handle throws(GitError) in
            var oid = target.oid
            var object: OpaquePointer?
            try check("git_object_lookup", "cannot tag \(target.short)", reference: name) {
                git_object_lookup(&object, handle, &oid, GIT_OBJECT_ANY)
            }
            defer { git_object_free(object) }
            var id = git_oid()
            if let message {
                let signature = tagger ?? Signature(name: "Model Factory", email: "mf@localhost")
                try signature.withSignature(repository: location) { pointer throws(GitError) in
                    try check("git_tag_create", "cannot create tag '\(name)'", reference: name) {
                        git_tag_create(&id, handle, name, object, pointer, message, force ? 1 : 0)
                    }
                }
            } else {
                try check("git_tag_create_lightweight", "cannot create tag '\(name)'", reference: name) {
                    git_tag_create_lightweight(&id, handle, name, object, force ? 1 : 0)
                }
            }
            return ObjectID(id)
        }
    }

    /// Creates a symbolic reference (`name` → `target`, both full names).
    public func createSymbolicReference(_ name: String, to target: String, force: Bool = false) throws(GitError) {
        try withHandle { handle throws(GitError) in
            var reference: OpaquePointer?
            try check("git_reference_symbolic_create", "cannot create reference '\(name)'", reference: name) {
                git_reference_symbolic_create(&reference, handle, name, target, force ? 1 : 0, nil)
            }
            git_reference_free(reference)
        }
    }

    /// Deletes a reference by full name.
    public func deleteReference(_ name: String) throws(GitError) {
        try withHandle { handle throws(GitError) in
            var reference: OpaquePointer?
            try check("git_reference_lookup", "cannot delete reference '\(name)'", reference: name) {
                git_reference_lookup(&reference, handle, name)
            }
            defer { git_reference_free(reference) }
            try check("git_reference_delete", "cannot delete reference '\(name)'", reference: name) {
                git_reference_delete(reference)
            }
        }
    }

    /// Points HEAD at a branch (full name); the branch may be unborn. The work tree is not touched.
    public func setHead(_ branch: String) throws(GitError) {
        try withHandle { handle throws(GitError) in
            try check("git_repository_set_head", "cannot point HEAD at '\(branch)'", reference: branch) {
                git_repository_set_head(handle, branch)
            }
        }
    }

    /// Detaches HEAD at a commit. The work tree is not touched.
    public func detachHead(at commit: ObjectID) throws(GitError) {
        try withHandle { handle throws(GitError) in
            var oid = commit.oid
            try check("git_repository_set_head_detached", "cannot detach HEAD at \(commit.short)", reference: commit.hex) {
                git_repository_set_head_detached(handle, &oid)
            }
        }
    }

    /// Makes the work tree and index match HEAD's commit, overwriting local changes when `force`.
    public func checkoutHead(force: Bool = false) throws(GitError) {
        try withHandle { handle throws(GitError) in
            var options = git_checkout_options()
            try check("git_checkout_options_init", "cannot check out HEAD") {
                git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION))
            }
            // In libgit2 1.5 a zero strategy is a dry run; always say what is wanted.
            options.checkout_strategy = force ? GIT_CHECKOUT_FORCE.rawValue : GIT_CHECKOUT_SAFE.rawValue
            try check("git_checkout_head", "cannot check out HEAD") { git_checkout_head(handle, &options) }
            guard force else { return }
            // libgit2 leaves an index entry alone when the work tree file already matches the
            // target (a commit made from the work tree, not the index): make the index HEAD's tree.
            var commit: OpaquePointer?
            try check("git_revparse_single", "cannot read HEAD", reference: "HEAD") { git_revparse_single(&commit, handle, "HEAD^{tree}") }
            defer { git_object_free(commit) }
            var index: OpaquePointer?
            try check("git_repository_index", "cannot open the index") { git_repository_index(&index, handle) }
            defer { git_index_free(index) }
            try check("git_index_read_tree", "cannot reset the index to HEAD") { git_index_read_tree(index, commit) }
            try check("git_index_write", "cannot write the index") { git_index_write(index) }
        }
    }

    func setReference(_ handle: OpaquePointer, name: String, to commit: ObjectID, force: Bool, message: String) throws(GitError) {
        var oid = commit.oid
        var reference: OpaquePointer?
        try check("git_reference_create", "cannot set reference '\(name)'", reference: name) {
            git_reference_create(&reference, handle, name, &oid, force ? 1 : 0, message)
        }
        git_reference_free(reference)
    }
}
