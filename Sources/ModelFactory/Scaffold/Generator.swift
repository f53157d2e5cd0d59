public import Foundation
public import Jinja
internal import SystemKit

/// Renders a cookiecutter template's project folder as cookiecutter 2.x does (`generate_files`),
/// but plans everything before it writes anything: every path and file is rendered in memory
/// first, so a syntax error, an undefined variable or a path that escapes the output folder
/// leaves nothing behind.
public struct Generator: Sendable {
    /// The template whose project folder is rendered.
    public let template: CookiecutterTemplate
    /// The whole render context: `cookiecutter` (the answers) and `_cookiecutter`.
    public let context: Value.Dictionary
    /// The Jinja options every path and file is rendered with (the template's `_jinja2_env_vars`).
    public let environment: Jinja.Environment

    /// A generator of `template` with the answers in `context`; nothing is rendered until asked.
    public init(template: CookiecutterTemplate, context: Value.Dictionary, environment: Jinja.Environment) {
        self.template = template
        self.context = context
        self.environment = environment
    }

    /// One thing to write, relative to the project folder.
    struct Item {
        enum Content {
            case folder
            case file(Data, mode: mode_t)
        }

        let path: String
        let content: Content
    }

    /// What a render produced: the project folder and the files written in it (relative paths).
    public struct Output: Sendable {
        /// The project folder: the output folder and the rendered project name.
        public let project: URL
        /// The files written, relative to the project folder, in the order written (hooks' files not included).
        public let files: [String]
        /// True when this render made the project folder; false when it rendered into an existing one.
        public let created: Bool
    }

    private var copyWithoutRender: [String] {
        guard case .list(let patterns)? = answers["_copy_without_render"] else { return [] }
        return patterns.compactMap { try? $0.text() }
    }

    private var answers: Value.Dictionary {
        if case .dict(let answers)? = context["cookiecutter"] { return answers }
        return Value.Dictionary()
    }

    private func render(_ text: String, _ what: @autoclosure () -> String) throws(ScaffoldError) -> String {
        do { return try Template(text, environment: environment).render(context) } catch let error as TemplateError {
            throw .render(what: what(), error)
        } catch {
            throw .render(what: what(), TemplateError(.type, "\(error)"))
        }
    }

    /// A rendered relative path, refused when it is absolute or climbs out with `..`.
    private func safePath(_ rendered: String, template path: String) throws(ScaffoldError) -> String {
        if rendered.hasPrefix("/") { throw .unsafePath(template: path, rendered: rendered, problem: "is an absolute path") }
        if rendered.contains("\0") { throw .unsafePath(template: path, rendered: rendered, problem: "contains a NUL character") }
        let parts = rendered.split(separator: "/", omittingEmptySubsequences: true)
        if parts.contains("..") { throw .unsafePath(template: path, rendered: rendered, problem: "leaves the output folder") }
        if parts.contains(".git") { throw .unsafePath(template: path, rendered: rendered, problem: "writes into .git") }
        return parts.filter { $0 != "." }.joined(separator: "/")
    }

    /// The project folder's rendered name.
    public func projectName() throws(ScaffoldError) -> String {
        let rendered = try render(template.projectFolder, "the project folder name '\(template.projectFolder)'")
        let safe = try safePath(rendered, template: template.projectFolder)
        if safe.isEmpty { throw .unsafePath(template: template.projectFolder, rendered: rendered, problem: "is empty") }
        return safe
    }

    /// Every folder and file of the project, rendered, in cookiecutter's walk order.
    func plan() throws(ScaffoldError) -> [Item] {
        let root = template.directory.appendingPathComponent(template.projectFolder)
        var items: [Item] = []
        var folders: Set<String> = [""]
        let patterns = copyWithoutRender
        func copyOnly(_ path: String) -> Bool { patterns.contains { fnmatch($0, path) } }

        func walk(_ relative: String, renderedFolder: String) throws(ScaffoldError) {
            let source = relative.isEmpty ? root : root.appendingPathComponent(relative)
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: source.path).sorted() } catch {
                throw .io(path: source.path, problem: "the template folder is not readable")
            }
            var subfolders: [String] = []
            var files: [String] = []
            var linkedFolders: Set<String> = []
            for name in names {
                let path = source.appendingPathComponent(name).path
                var info = stat()
                var link = stat()
                guard stat(path, &info) == 0 else { throw .io(path: path, problem: "a broken symbolic link in the template") }
                guard info.st_mode & S_IFMT == S_IFDIR else {
                    files.append(name)
                    continue
                }
                subfolders.append(name)
                // os.walk lists a link to a folder but does not go into it: an empty folder.
                if lstat(path, &link) == 0, link.st_mode & S_IFMT == S_IFLNK { linkedFolders.insert(name) }
            }
            let copied = subfolders.filter { copyOnly(join(relative, $0)) }
            for name in copied {
                let inPath = join(relative, name)
                let out = try safePath(try render(inPath, "the folder name '\(inPath)'"), template: inPath)
                if linkedFolders.contains(name) {
                    folders.insert(out)
                    items.append(Item(path: out, content: .folder))
                    continue
                }
                try copyTree(from: root.appendingPathComponent(inPath), to: out, into: &items, folders: &folders)
            }
            var renderedNames: [(String, String)] = []
            for name in subfolders where !copied.contains(name) {
                let inPath = join(relative, name)
                let out = try safePath(try render(inPath, "the folder name '\(inPath)'"), template: inPath)
                if folders.contains(out) {
                    throw .unsafePath(
                        template: inPath, rendered: out, problem: "names a folder already made (a folder name cannot render empty, or the same as another)")
                }
                folders.insert(out)
                items.append(Item(path: out, content: .folder))
                if !linkedFolders.contains(name) { renderedNames.append((inPath, out)) }
            }
            for name in files {
                let inPath = join(relative, name)
                let url = root.appendingPathComponent(inPath)
                let out = try safePath(try render(inPath, "the file name '\(inPath)'"), template: inPath)
                // A name that renders empty names its folder: that is how templates leave a file out.
                if folders.contains(out) { continue }
                guard let data = try? FileContents.read(atPath: url.path) else { throw .io(path: url.path, problem: "the template file is not readable") }
                let mode = Self.mode(of: url)
                if copyOnly(inPath) || Binary.isBinary(data, name: name) {
                    items.append(Item(path: out, content: .file(data, mode: mode)))
                    continue
                }
                guard let text = String(validating: data, as: UTF8.self) else {
                    throw .render(what: "the file '\(inPath)'", TemplateError(.type, "the file is not UTF-8 text"))
                }
                let rendered = try render(text, "the file '\(inPath)'")
                let newline = Self.newline(of: data, configured: try? answers["_new_lines"]?.text())
                let written = newline == "\n" ? rendered : rendered.replacingOccurrences(of: "\n", with: newline)
                items.append(Item(path: out, content: .file(Data(written.utf8), mode: mode)))
            }
            for (inPath, out) in renderedNames { try walk(inPath, renderedFolder: out) }
        }
        try walk("", renderedFolder: "")
        return items
    }

    /// A copied-as-is folder (`_copy_without_render`): names inside are not rendered.
    private func copyTree(from source: URL, to out: String, into items: inout [Item], folders: inout Set<String>) throws(ScaffoldError) {
        folders.insert(out)
        items.append(Item(path: out, content: .folder))
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: source.path)) ?? []).sorted()
        for name in names {
            let url = source.appendingPathComponent(name)
            var isFolder: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder)
            if isFolder.boolValue {
                try copyTree(from: url, to: out + "/" + name, into: &items, folders: &folders)
            } else {
                guard let data = try? FileContents.read(atPath: url.path) else { throw .io(path: url.path, problem: "the template file is not readable") }
                items.append(Item(path: out + "/" + name, content: .file(data, mode: Self.mode(of: url))))
            }
        }
    }

    /// Writes the project into `outputDirectory`, running the hooks around the files when
    /// `runHooks`. A project folder this call created is removed again when anything fails; an
    /// existing one (with `overwrite`) only ever gains or replaces the files the template writes.
    public func generate(into outputDirectory: URL, overwrite: Bool, runHooks: Bool, hookRunner: HookRunner) async throws(ScaffoldError) -> Output {
        let name = try projectName()
        let items = try plan()
        let project = outputDirectory.appendingPathComponent(name)
        let manager = FileManager.default
        let exists = manager.fileExists(atPath: project.path)
        if exists, !overwrite { throw .outputExists(path: project.path) }
        do { try manager.createDirectory(at: project, withIntermediateDirectories: true) } catch {
            throw .io(path: project.path, problem: "cannot create the folder: \(error.localizedDescription)")
        }
        let created = !exists
        do throws(ScaffoldError) {
            if runHooks { try await hookRunner.run("pre_gen_project", template: template, project: project, context: context, environment: environment) }
            var written: [String] = []
            for item in items {
                let url = project.appendingPathComponent(item.path)
                switch item.content {
                case .folder:
                    do { try manager.createDirectory(at: url, withIntermediateDirectories: true) } catch {
                        throw ScaffoldError.io(path: url.path, problem: "cannot create the folder: \(error.localizedDescription)")
                    }
                case .file(let data, let mode):
                    try Self.write(data, to: url, mode: mode)
                    written.append(item.path)
                }
            }
            if runHooks { try await hookRunner.run("post_gen_project", template: template, project: project, context: context, environment: environment) }
            return Output(project: project, files: written, created: created)
        } catch {
            if created { try? manager.removeItem(at: project) }
            throw error
        }
    }

    /// Writes a file in place of whatever is there, with `mode`'s permission bits.
    static func write(_ data: Data, to url: URL, mode: mode_t) throws(ScaffoldError) {
        let path = url.path
        var info = stat()
        if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK || info.st_mode & S_IFMT == S_IFDIR {
            throw .io(path: path, problem: "cannot write the file: a folder or symbolic link is in the way")
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .io(path: path, problem: "cannot write the file: " + String(cString: strerror(errno))) }
        defer { close(descriptor) }
        let ok = data.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let count = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += count
            }
            return true
        }
        guard ok, fchmod(descriptor, mode & 0o7777) == 0 else { throw .io(path: path, problem: "cannot write the file: " + String(cString: strerror(errno))) }
    }

    static func mode(of url: URL) -> mode_t {
        var info = stat()
        return stat(url.path, &info) == 0 ? info.st_mode & 0o7777 : 0o644
    }

    /// The newline a rendered file is written with: `_new_lines` when the template sets it, else
    /// what Python's universal-newline reader reports after reading the first line (it has seen
    /// the first 8 KiB): `\r` if any, else `\n` if any, else `\r\n`, and `\n` for a file without.
    static func newline(of data: Data, configured: String?) -> String {
        if let configured, !configured.isEmpty { return configured }
        var sawCR = false
        var sawLF = false
        var sawCRLF = false
        let bytes = data.prefix(8192)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == 0x0D {
                let next = bytes.index(after: index)
                if next < bytes.endIndex, bytes[next] == 0x0A {
                    sawCRLF = true
                    index = bytes.index(after: next)
                    continue
                }
                sawCR = true
            } else if byte == 0x0A {
                sawLF = true
            }
            index = bytes.index(after: index)
        }
        if sawCR { return "\r" }
        if sawLF { return "\n" }
        if sawCRLF { return "\r\n" }
        return "\n"
    }

    private func join(_ folder: String, _ name: String) -> String { folder.isEmpty ? name : folder + "/" + name }
}

/// Python's `fnmatch.fnmatch` on POSIX: `*` matches anything (`/` too), `?` one character,
/// `[seq]` and `[!seq]` a set.
///
/// Matched directly for patterns whose sets are plain characters and ranges (every pattern a
/// template is likely to hold): compiling a regular expression per path costs more than the
/// rest of rendering a small template, ICU's start-up included. Other patterns go through the
/// regular expression they translate to.
func fnmatch(_ pattern: String, _ name: String) -> Bool {
    if let tokens = GlobToken.parse(pattern) { return GlobToken.match(tokens[...], Array(name.unicodeScalars)[...]) }
    return fnmatchByRegularExpression(pattern, name)
}

private enum GlobToken {
    case any  // *
    case one  // ?
    case literal(Unicode.Scalar)
    case set(ranges: [ClosedRange<Unicode.Scalar>], negated: Bool)

    /// The pattern as tokens, read as `fnmatchByRegularExpression` translates it; nil when a set
    /// holds something a regular expression would read specially (`[`, `\\`, `&`, `:`).
    static func parse(_ pattern: String) -> [GlobToken]? {
        var tokens: [GlobToken] = []
        var scalars = Array(pattern.unicodeScalars)[...]
        while let scalar = scalars.popFirst() {
            switch scalar {
            case "*": tokens.append(.any)
            case "?": tokens.append(.one)
            case "[":
                guard let close = scalars.firstIndex(of: "]"), close > scalars.startIndex || scalars.count > 1 else {
                    tokens.append(.literal("["))
                    continue
                }
                var set = scalars[..<close]
                scalars = scalars[(close + 1)...]
                let negated = set.first == "!"
                if negated { set = set.dropFirst() }
                guard !set.isEmpty, !set.contains(where: { "[\\&:^".unicodeScalars.contains($0) }) else { return nil }
                var ranges: [ClosedRange<Unicode.Scalar>] = []
                var items = Array(set)[...]
                while let first = items.popFirst() {
                    // `a-z` is a range; a `-` first or last is itself.
                    if items.count >= 2, items.first == "-" {
                        let last = items[items.index(after: items.startIndex)]
                        guard first <= last else { return nil }
                        ranges.append(first...last)
                        items = items.dropFirst(2)
                    } else {
                        ranges.append(first...first)
                    }
                }
                tokens.append(.set(ranges: ranges, negated: negated))
            default: tokens.append(.literal(scalar))
            }
        }
        return tokens
    }

    /// What ICU's `.` does not match.
    private static func isLineEnd(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\n" || scalar == "\r" || scalar == "\u{85}" || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    /// Whether `name` matches `tokens` whole; `*` and `?` match no line end, as `.` does not.
    static func match(_ tokens: ArraySlice<GlobToken>, _ name: ArraySlice<Unicode.Scalar>) -> Bool {
        var tokens = tokens
        var name = name
        while let token = tokens.first {
            switch token {
            case .any:
                let rest = tokens.dropFirst()
                var candidate = name
                while true {
                    if match(rest, candidate) { return true }
                    guard let next = candidate.first, !isLineEnd(next) else { return false }
                    candidate = candidate.dropFirst()
                }
            case .one:
                guard let next = name.first, !isLineEnd(next) else { return false }
            case .literal(let scalar):
                guard name.first == scalar else { return false }
            case .set(let ranges, let negated):
                guard let next = name.first, ranges.contains(where: { $0.contains(next) }) != negated else { return false }
            }
            tokens = tokens.dropFirst()
            name = name.dropFirst()
        }
        // ICU's `$` also matches before one line end that ends the input.
        return name.isEmpty || (name.count == 1 && isLineEnd(name.first!)) || name.elementsEqual(["\r", "\n"])
    }
}

/// `fnmatch` through the regular expression the pattern translates to.
func fnmatchByRegularExpression(_ pattern: String, _ name: String) -> Bool {
    var expression = "^"
    var scalars = Array(pattern.unicodeScalars)[...]
    while let scalar = scalars.popFirst() {
        switch scalar {
        case "*": expression += ".*"
        case "?": expression += "."
        case "[":
            if let close = scalars.firstIndex(of: "]"), close > scalars.startIndex || scalars.count > 1 {
                var set = String(String.UnicodeScalarView(scalars[..<close]))
                scalars = scalars[(close + 1)...]
                if set.hasPrefix("!") { set = "^" + set.dropFirst() }
                expression += "[" + set.replacingOccurrences(of: "\\", with: "\\\\") + "]"
            } else {
                expression += "\\["
            }
        default: expression += NSRegularExpression.escapedPattern(for: String(scalar))
        }
    }
    expression += "$"
    return name.range(of: expression, options: .regularExpression) != nil
}
