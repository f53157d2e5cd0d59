internal import CGit2
internal import Foundation

extension Repository {
    /// Every reference in the repository (loose and packed, direct and symbolic), each with the
    /// commit it leads to or the problem that stops it.
    ///
    /// One bad reference never fails the listing: dangling references, tags of trees or blobs,
    /// names git would refuse, and loose reference files that cannot be parsed all come back with
    /// a `problem`. Only a repository whose reference store cannot be read at all throws.
    ///
    /// Without `readingTagObjects`, an annotated tag whose peeled commit is recorded in
    /// `packed-refs` is not read: its `annotation` then has only its id (no message, no tagger,
    /// `targetKind` `.unknown`), so a tag of a tag goes unnoticed. That skips one object read
    /// per tag, for listings of thousands of releases.
    public func references(readingTagObjects: Bool = true) throws(GitError) -> [Reference] {
        try withHandle { handle throws(GitError) in
            let odb = try objectDatabase(handle)
            defer { git_odb_free(odb) }
            var iterator: OpaquePointer?
            try check("git_reference_iterator_new", "cannot list references") {
                git_reference_iterator_new(&iterator, handle)
            }
            defer { git_reference_iterator_free(iterator) }
            var references: [Reference] = []
            while true {
                var pointer: OpaquePointer?
                let result = git_reference_next(&pointer, iterator)
                if result == GIT_ITEROVER.rawValue { break }
                guard result == 0, let pointer else {
                    throw lastError(
                        code: result, function: "git_reference_next",
                        operation: "cannot list references", repository: location)
                }
                defer { git_reference_free(pointer) }
                references.append(read(handle, odb: odb, reference: pointer, readingTagObjects: readingTagObjects))
            }
            references += unreadableLooseReferences(known: Set(references.map(\.name)))
            // Packed references come sorted already: checking costs a pass, sorting thousands more.
            let precedes = { (left: Reference, right: Reference) in left.name.utf8.lexicographicallyPrecedes(right.name.utf8) }
            if zip(references, references.dropFirst()).allSatisfy({ !precedes($1, $0) }) { return references }
            return references.sorted(by: precedes)
        }
    }

    /// One reference by its full name (`refs/heads/master`) or short name (`master`, `v1.0`).
    public func reference(named name: String) throws(GitError) -> Reference {
        try withHandle { handle throws(GitError) in
            var pointer: OpaquePointer?
            try check("git_reference_dwim", "cannot find reference '\(name)'", reference: name) {
                git_reference_dwim(&pointer, handle, name)
            }
            defer { git_reference_free(pointer) }
            let odb = try objectDatabase(handle)
            defer { git_odb_free(odb) }
            return read(handle, odb: odb, reference: pointer!, readingTagObjects: true)
        }
    }

    private func read(
        _ handle: OpaquePointer, odb: OpaquePointer, reference pointer: OpaquePointer, readingTagObjects: Bool
    ) -> Reference {
        let name = lenientString(git_reference_name(pointer), default: "")
        var reference = Reference(name: name, kind: Reference.kind(of: name))
        var valid: Int32 = 0
        if git_reference_name_is_valid(&valid, name) < 0 || valid == 0 {
            reference.problem = .invalidName
        }
        var direct: OpaquePointer? = pointer
        var resolved: OpaquePointer?
        defer { git_reference_free(resolved) }
        if git_reference_type(pointer) == GIT_REFERENCE_SYMBOLIC {
            let target = lenientString(git_reference_symbolic_target(pointer), default: "")
            reference.symbolicTarget = target
            guard git_reference_resolve(&resolved, pointer) == 0 else {
                reference.problem = reference.problem ?? .dangling(target: target)
                return reference
            }
            direct = resolved
        }
        guard let oid = git_reference_target(direct) else {
            reference.problem = reference.problem ?? .unreadable("reference has no target")
            return reference
        }
        let target = ObjectID(oid)
        reference.target = target
        // Most references point at a commit: the object's header says so without inflating it.
        switch objectKind(odb, target) {
        case .success(.commit):
            reference.commit = target
            return reference
        case .success(.tag) where !readingTagObjects:
            if let peeled = git_reference_target_peel(direct) {
                let commit = ObjectID(peeled)
                reference.annotation = Annotation(id: target, targetKind: .unknown)
                switch objectKind(odb, commit) {
                case .success(.commit): reference.commit = commit
                case .success(let kind): reference.problem = reference.problem ?? .notACommit(kind)
                case .failure(let problem): reference.problem = reference.problem ?? problem
                }
                return reference
            }
        case .success(.tag), .success(.unknown):
            break
        case .success(let kind):
            reference.problem = reference.problem ?? .notACommit(kind)
            return reference
        case .failure(let problem):
            reference.problem = reference.problem ?? problem
            return reference
        }
        switch peel(handle, target) {
        case .success(let (commit, annotation)):
            reference.commit = commit
            reference.annotation = annotation
        case .failure(let problem, let annotation):
            reference.annotation = annotation
            reference.problem = reference.problem ?? problem
        }
        return reference
    }

    /// The kind of an object from its header alone.
    private enum Header {
        case success(ObjectKind)
        case failure(Reference.Problem)
    }

    private func objectKind(_ odb: OpaquePointer, _ id: ObjectID) -> Header {
        var oid = id.oid
        var size = 0
        var type = GIT_OBJECT_INVALID
        let result = git_odb_read_header(&size, &type, odb, &oid)
        if result == GIT_ENOTFOUND.rawValue { return .failure(.dangling(target: id.hex)) }
        guard result == 0 else {
            return .failure(.unreadable(lastError(code: result, function: "", operation: "").message))
        }
        return .success(ObjectKind(type))
    }

    private enum Peeled {
        case success((ObjectID, Annotation?))
        case failure(Reference.Problem, Annotation?)
    }

    /// Follows an object through annotated tags to a commit.
    private func peel(_ handle: OpaquePointer, _ id: ObjectID) -> Peeled {
        var oid = id.oid
        var object: OpaquePointer?
        let result = git_object_lookup(&object, handle, &oid, GIT_OBJECT_ANY)
        guard result == 0, let object else {
            if result == GIT_ENOTFOUND.rawValue { return .failure(.dangling(target: id.hex), nil) }
            return .failure(.unreadable(lastError(code: result, function: "", operation: "").message), nil)
        }
        defer { git_object_free(object) }
        let kind = ObjectKind(git_object_type(object))
        guard kind == .tag else {
            return kind == .commit ? .success((id, nil)) : .failure(.notACommit(kind), nil)
        }
        let annotation = readAnnotation(handle, tag: object, id: id)
        var final: OpaquePointer?
        let peeled = git_tag_peel(&final, object)
        guard peeled == 0, let final else {
            if peeled == GIT_ENOTFOUND.rawValue {
                let target = git_tag_target_id(object).map { ObjectID($0).hex } ?? "?"
                return .failure(.dangling(target: target), annotation)
            }
            let message = lastError(code: peeled, function: "", operation: "").message
            return .failure(.unreadable(message), annotation)
        }
        defer { git_object_free(final) }
        let finalKind = ObjectKind(git_object_type(final))
        guard finalKind == .commit else { return .failure(.notACommit(finalKind), annotation) }
        return .success((ObjectID(git_object_id(final)!), annotation))
    }

    private func readAnnotation(_ handle: OpaquePointer, tag: OpaquePointer, id: ObjectID) -> Annotation {
        let targetKind = ObjectKind(git_tag_target_type(tag))
        var annotation = Annotation(
            id: id, targetKind: targetKind,
            message: git_tag_message(tag).map { lenientString($0) },
            tagger: git_tag_tagger(tag).map { Signature($0) })
        if targetKind == .tag, var inner = git_tag_target_id(tag)?.pointee {
            var innerTag: OpaquePointer?
            if git_tag_lookup(&innerTag, handle, &inner) == 0 {
                annotation.targetTagName = lenientString(git_tag_name(innerTag), default: "")
                git_tag_free(innerTag)
            }
        }
        return annotation
    }

    /// Loose reference files that libgit2 skips because it cannot parse them: git calls these
    /// broken refs. libgit2's iterator passes over them silently, so they are found by listing
    /// the `refs/` folder.
    private func unreadableLooseReferences(known: Set<String>) -> [Reference] {
        let root = URL(fileURLWithPath: gitDirectory).appendingPathComponent("refs")
        guard
            let walker = FileManager.default.enumerator(
                at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [])
        else { return [] }
        var broken: [Reference] = []
        let base = URL(fileURLWithPath: gitDirectory).standardizedFileURL.path
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let full = url.standardizedFileURL.path
            guard full.hasPrefix(base) else { continue }
            var name = String(full.dropFirst(base.count))
            if name.hasPrefix("/") { name.removeFirst() }
            if known.contains(name) || name.hasSuffix(".lock") { continue }
            var reference = Reference(name: name, kind: Reference.kind(of: name))
            reference.problem = .unreadable("the file is not a valid reference")
            broken.append(reference)
        }
        return broken
    }
}

extension ObjectKind {
    init(_ type: git_object_t) {
        switch type {
        case GIT_OBJECT_COMMIT: self = .commit
        case GIT_OBJECT_TREE: self = .tree
        case GIT_OBJECT_BLOB: self = .blob
        case GIT_OBJECT_TAG: self = .tag
        default: self = .unknown
        }
    }
}
