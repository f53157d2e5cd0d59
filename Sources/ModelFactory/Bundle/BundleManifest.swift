internal import Crypto
public import Foundation
public import Store
internal import SystemKit

/// `bundle.json`: what a bundle is, where it came from, and every file's digest.
public struct BundleManifest: Codable, Sendable, Equatable {
    /// A regular file; or a symbolic link, whose `link` is its target and whose size and
    /// digest are the target's text.
    public struct File: Codable, Sendable, Equatable {
        /// The file's path inside the bundle, relative to its root (`artifacts/model.bin`).
        public var path: String
        /// The file's size in bytes (for a link, of its target's text).
        public var size: Int
        /// The SHA-256 of the file's bytes (for a link, of its target's text), as lowercase hex.
        public var sha256: String
        /// Where the symbolic link points, as written in the link; nil for a regular file.
        public var link: String?
    }

    /// One field of the model's input or output schema, as model.yaml declares it.
    public struct Field: Codable, Sendable, Equatable {
        /// The field's key in an instance or a prediction.
        public var name: String
        /// The type its value must have: `double`, `int`, `string` or `bool`.
        public var type: String
        /// The smallest value allowed (inclusive) for a number field; nil for no lower bound.
        public var min: Double?
        /// The largest value allowed (inclusive) for a number field; nil for no upper bound.
        public var max: Double?
        /// The values a string field may take; nil for any.
        public var values: [String]?

        /// Writes the field with the bounds and values it has, leaving out those that are nil.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(type, forKey: .type)
            try container.encodeIfPresent(min, forKey: .min)
            try container.encodeIfPresent(max, forKey: .max)
            try container.encodeIfPresent(values, forKey: .values)
        }
    }

    /// What the model takes and what it answers, as model.yaml's `schema` states it.
    public struct Schema: Codable, Sendable, Equatable {
        /// The fields of an instance the model is asked to predict for.
        public var inputs: [Field]
        /// The fields of a prediction the model answers with.
        public var outputs: [Field]
    }

    /// A gate the session checked, as `{gate, passed, detail}`. A bundle made before gates were
    /// data lists each as its detail alone (`"auc >= 0.75: 0.83"`); it reads as a gate that
    /// passed (a bundle is made of a passed session only), and its bytes stay as they are.
    public struct Gate: Codable, Sendable, Equatable {
        /// The gate as the manifest states it (`auc >= 0.75`).
        public var gate: String
        /// Whether the measured value met the gate.
        public var passed: Bool
        /// The gate with what was measured (`auc >= 0.75: 0.83`).
        public var detail: String

        /// The gate of a session's outcome.
        public init(_ result: GateResult) {
            gate = result.gate
            passed = result.passed
            detail = result.detail
        }

        /// Reads a gate in either form: `{gate, passed, detail}`, or the detail alone of an older bundle.
        public init(from decoder: any Decoder) throws {
            if let detail = try? decoder.singleValueContainer().decode(String.self) {
                gate = detail.range(of: ": ").map { String(detail[..<$0.lowerBound]) } ?? detail
                passed = true
                self.detail = detail
                return
            }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            gate = try container.decode(String.self, forKey: .gate)
            passed = try container.decode(Bool.self, forKey: .passed)
            detail = try container.decode(String.self, forKey: .detail)
        }

        enum CodingKeys: String, CodingKey { case gate, passed, detail }
    }

    /// The format of this file.
    public var format = 1
    /// The model's name, as model.yaml states it.
    public var model: String
    /// The model's version: the tag's for a release, a pre-release version for a branch head.
    public var version: String
    /// The release tag; absent for a pre-release bundle of a branch head (staging).
    public var tag: String?
    /// The ref the bundle was made from: `refs/tags/v1.2.0` or `refs/heads/development`.
    public var ref: String
    /// The full hex ID of the Git commit the bundle was built from.
    public var commit: String
    /// The hex ID of that commit's Git tree: the exact files the model was built from.
    public var tree: String
    /// The ID of the passed session the bundle was made from (its artifacts, or those of the session it reused).
    public var session: String
    /// The model's runtime, as model.yaml states it: `swift`, `python` or `command`.
    public var runtime: String
    /// How to start a worker, from the bundle's `plugin/` folder.
    public var run: [String]
    /// The Debian packages the model needs at run time (model.yaml's `system_packages`), which
    /// the Dockerfile installs; absent when it names none.
    public var systemPackages: [String]? = nil
    /// The worker protocol the plugin speaks.
    public var interface = "mf-worker/1 (JSON-RPC 2.0, one message per line on stdio)"
    /// The versions of the tools the model was built with, by tool (`python`, `swift`), as each reports it.
    public var toolchain: SortedMap<String>
    /// The model's input and output fields, copied from model.yaml.
    public var schema: Schema
    /// The evaluation metrics of the session.
    public var metrics: SortedMap<Double>
    /// Each gate as the session checked it.
    public var gates: [Gate]
    /// Every file and link of the bundle but `bundle.json` itself, sorted by path.
    public var files: [File]

    /// The manifest's name, at the root of every bundle folder and archive.
    public static let fileName = "bundle.json"

    /// Every file and link among `entries` but `bundle.json`, with size and SHA-256, by path.
    static func files(of entries: [Archive.Entry]) -> [File] {
        entries.filter { $0.kind != .folder && $0.path != fileName }.map { entry in
            let bytes = entry.kind == .symlink ? Data(entry.linkTarget.utf8) : entry.contents
            return File(path: entry.path, size: bytes.count, sha256: HexDigest.sha256(bytes), link: entry.kind == .symlink ? entry.linkTarget : nil)
        }
    }
}

/// A string-keyed map that encodes its keys in sorted order, so the same map gives the same JSON
/// bytes in every process (Swift's dictionaries iterate in a per-process order).
public struct SortedMap<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    /// The entries, by key.
    public var values: [String: Value]

    /// A map of `values`.
    public init(_ values: [String: Value]) { self.values = values }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Reads a JSON object into a map, whatever the order of its keys.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        var values: [String: Value] = [:]
        for key in container.allKeys { values[key.stringValue] = try container.decode(Value.self, forKey: key) }
        self.values = values
    }

    /// Writes the map as a JSON object with its keys in sorted order.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for key in values.keys.sorted() { try container.encode(values[key]!, forKey: Key(stringValue: key)) }
    }
}

/// A way a bundle differs from its manifest.
public struct BundleDifference: Sendable, Equatable, Encodable, CustomStringConvertible {
    /// `unpublished`: every file matches bundle.json, but the bundle is not the one the factory
    /// published (bundle.json itself, or a file's mode, was changed).
    public enum Kind: String, Sendable, Encodable { case changed, missing, extra, unpublished }
    /// How the file differs: changed, missing, extra, or (for the whole bundle) not the one published.
    public var kind: Kind
    /// The file's path inside the bundle (`bundle.json` for `unpublished`).
    public var path: String
    /// The difference as a user reads it: the path, then how it differs.
    public var description: String {
        switch kind {
        case .changed: "\(path): its contents differ from bundle.json"
        case .missing: "\(path): listed in bundle.json but missing"
        case .extra: "\(path): present but not listed in bundle.json"
        case .unpublished: "\(path): not the bundle the factory published (bundle.json or a file's mode was changed)"
        }
    }
}

/// Checks that a bundle on disk is what its manifest, and the factory, say it is.
public enum BundleVerifier {
    /// Checks a bundle folder or `.tar.gz` against its `bundle.json`: every listed file present
    /// with its size and SHA-256, and nothing else. With `published`, the SHA-256 of the archive
    /// the factory published (the store's record), the bundle as a whole must be that archive
    /// (a folder is archived again, reproducibly, to compare), which covers `bundle.json` too.
    public static func verify(_ path: URL, published: String? = nil) throws -> (manifest: BundleManifest, differences: [BundleDifference]) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isFolder) else {
            throw BundleError.notABundle(path: path.path, reason: "it does not exist")
        }
        let entries: [Archive.Entry]
        var archive: Data?
        if !isFolder.boolValue {
            archive = try? FileContents.read(atPath: path.path)
            guard archive != nil else { throw BundleError.unreadable(path.path) }
        }
        do throws(Archive.Failure) {
            if let archive { entries = try Archive.read(tarGz: archive) } else { entries = try Archive.entries(of: path) }
        } catch {
            throw BundleError.notABundle(path: path.path, reason: error.problem)
        }
        guard let manifestEntry = entries.first(where: { $0.path == BundleManifest.fileName && $0.kind == .file }) else {
            throw BundleError.notABundle(path: path.path, reason: "it has no bundle.json")
        }
        let manifest: BundleManifest
        do { manifest = try JSONDecoder().decode(BundleManifest.self, from: manifestEntry.contents) } catch {
            throw BundleError.notABundle(path: path.path, reason: "its bundle.json cannot be read: \(JSONProblem(error))")
        }
        // A link is its target: "link:" and the target's digest, so a file in a link's place
        // (or a link in a file's) differs too.
        var actual: [String: String] = [:]
        for entry in entries where entry.kind != .folder && entry.path != BundleManifest.fileName {
            actual[entry.path] = entry.kind == .symlink ? "link:" + HexDigest.sha256(Data(entry.linkTarget.utf8)) : HexDigest.sha256(entry.contents)
        }
        var differences: [BundleDifference] = []
        for file in manifest.files {
            guard let digest = actual.removeValue(forKey: file.path) else {
                differences.append(BundleDifference(kind: .missing, path: file.path))
                continue
            }
            if digest != (file.link == nil ? "" : "link:") + file.sha256 { differences.append(BundleDifference(kind: .changed, path: file.path)) }
        }
        differences += actual.keys.sorted().map { BundleDifference(kind: .extra, path: $0) }
        if let published, differences.isEmpty {
            let whole: Data
            do {
                whole = try archive ?? Archive.tarGz(entries, prefix: "\(manifest.model)-\(manifest.version)")
            } catch {
                throw BundleError.notABundle(path: path.path, reason: "it cannot be archived to compare: \(error)")
            }
            if HexDigest.sha256(whole) != published { differences.append(BundleDifference(kind: .unpublished, path: BundleManifest.fileName)) }
        }
        return (manifest, differences.sorted { $0.path < $1.path })
    }
}

/// Why a bundle could not be made or read: the errors of bundling and verifying.
public enum BundleError: Error, Sendable, CustomStringConvertible {
    case notABundle(path: String, reason: String)
    case notAVersionTag(String)
    case gatesFailed(model: String, tag: String, failure: String)
    /// The commit's last session failed; reconciling does not train it again.
    case failedBefore(model: String, tag: String, session: String, failure: String)
    /// The bundle's place holds one of another commit (two repositories with one model name).
    case taken(path: String, model: String, version: String, commit: String)
    case noModel(tag: String, model: String)
    /// One model of a tag or branch cannot be bundled (its model.yaml is broken, a file of its
    /// build cannot be read); the other models are bundled all the same.
    case modelFailed(model: String, ref: String, reason: String)
    /// A file or command the bundler needs failed (a lock, `pip freeze`, a tool's version).
    case io(what: String, problem: String)

    /// The file at `path` could not be read, with the system's reason (`errno` as it is now).
    static func unreadable(_ path: String) -> BundleError {
        let reason = String(cString: strerror(errno))
        return .notABundle(path: path, reason: "it cannot be read (\(reason.prefix(1).lowercased() + reason.dropFirst()))")
    }

    /// "is blocked by data" when a session's `failure` is its `validate` step's (its data broke
    /// an `expect:` rule), else "gets no bundle".
    static func blocked(_ failure: String) -> String { failure.hasPrefix("validate: ") ? "is blocked by data" : "gets no bundle" }

    /// The error as a user reads it: what failed and why, with the model, tag or path concerned.
    public var description: String {
        switch self {
        case .notABundle(let path, let reason): "\(path) is not a bundle: \(reason)"
        case .notAVersionTag(let tag): "'\(tag)' is not a version tag of this repository"
        case .gatesFailed(let model, let tag, let failure): "\(model) at \(tag) \(Self.blocked(failure)): its session failed (\(failure))"
        case .failedBefore(let model, let tag, let session, let failure):
            "\(model) at \(tag) \(Self.blocked(failure)): its session \(session.prefix(8)) failed (\(failure)); `mf build --force \(tag)` runs it again"
        case .taken(let path, let model, let version, let commit):
            "\(path) already holds \(model) \(version) from commit \(commit.prefix(8)), another commit (a model name and version are one bundle per MF_HOME)"
        case .noModel(let tag, let model): "\(tag) names the model '\(model)', which has no model.yaml at that commit"
        case .modelFailed(let model, let ref, let reason): "\(model) at \(ref) gets no bundle: \(reason)"
        case .io(let what, let problem): "\(what): \(problem)"
        }
    }
}
