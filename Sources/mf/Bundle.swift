import ArgumentParser
import Foundation
import ModelFactory
import Store

struct BundleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Turn a release tag into an immutable, verified service bundle.",
        discussion: """
            Packages the release's session (running it first when none passed at that commit): \
            the runnable plugin, the trained artifacts, model.yaml, a Dockerfile that runs it with \
            `mf serve`, Kubernetes manifests in deploy/, and bundle.json (model, version, tag, \
            commit, tree, session, toolchain, schema, metrics, gates, and the SHA-256 of every \
            file). Published to $MF_HOME/bundles/MODEL/VERSION/ with MODEL-VERSION.tar.gz beside \
            it; the same commit gives the same archive bytes. An existing bundle is never replaced.

            In a repository of several models, a plain tag (v1.2.0) bundles each model on its own: \
            the ones that pass are bundled even when another fails.

            --json prints an array of {model, version, tag, ref, commit, session, path, archive, sha256, created} \
            (the models that were bundled).
            Exit status: 0 bundled (or already bundled), 1 a model's session failed its gates, 2 an error.
            """
    )

    @Argument(help: "The release tag (v1.2.0, or churn@v1.2.0 in a repository of several models).")
    var tag: String

    @OptionGroup var options: RepositoryOptions

    func run() async throws {
        let outcomes: [ModelBundleOutcome]
        do {
            let repository = try options.openRepository()
            let bundler = Bundler(pipeline: Pipeline(store: try options.openStore(), home: options.homeURL, modelKit: Installation.modelKit))
            try RepositoryIdentity.register(repository, in: bundler.pipeline.store)
            outcomes = try await bundler.bundleEach(repository, tag: tag, observer: options.json ? nil : StepPrinter())
        } catch let error as BundleError {
            printError(error)
            throw ExitCode(Self.status(of: [error]))
        } catch {
            printError(error)
            throw ExitCode(2)
        }
        // Every model that could be bundled is, and shown; the ones that could not are the error.
        var results: [BundleResult] = []
        var failures: [BundleError] = []
        for outcome in outcomes {
            switch outcome {
            case .bundled(let result): results.append(result)
            case .failed(_, let error): failures.append(error)
            }
        }
        if options.json {
            try printJSON(results)
        } else {
            for result in results {
                print("\(result.model) \(result.version): \(result.created ? "bundled" : "already bundled") at \(result.path)")
                print("  archive \(result.archive)\n  sha256  \(result.sha256)")
            }
        }
        guard failures.isEmpty else {
            printError(failures.map(\.description).joined(separator: "; "))
            throw ExitCode(Self.status(of: failures))
        }
    }

    /// 1 when every failure is a session that failed (its gates, a step), else 2.
    static func status(of failures: [BundleError]) -> Int32 {
        failures.allSatisfy { error in
            switch error {
            case .gatesFailed, .failedBefore: true
            default: false
            }
        } ? 1 : 2
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a bundle (folder or .tar.gz) against its bundle.json.",
        discussion: """
            Every file bundle.json lists must be there with its SHA-256, and no other file may be. \
            When the home's store recorded this bundle (by its folder or archive path), the bundle \
            must also be, as a whole, the archive the factory published, so a changed bundle.json \
            is found too (kind "unpublished"). A recorded bundle that is not on this host (made \
            on another host, or its folder deleted) is checked from the store: its archive is \
            streamed from the store's blob (every chunk and the whole checked) and verified. \
            Exit status: 0 intact, 1 it differs (each difference printed), 2 not a bundle.
            """
    )

    @Argument(help: "A bundle folder or .tar.gz, on this host or as the store recorded it.", completion: .file())
    var path: String

    @Option(
        name: .long,
        help: ArgumentHelp("The factory's home folder whose store is asked for the published digest (default: $MF_HOME, else ~/.mf).", valueName: "path"),
        completion: .directory)
    var home: String?

    @Option(name: .long, help: ArgumentHelp(storeHelp, valueName: "url"))
    var store: String?

    @Flag(
        help: """
            Print JSON: {model, version, intact, published, source, differences: [{kind, path}]}; published is whether the store \
            recorded it, source is "local" (the path on this host) or "store" (the store's copy).
            """)
    var json = false

    struct Report: Encodable {
        let model: String
        let version: String
        let intact: Bool
        let published: Bool
        let source: BundleCache.Source
        let differences: [BundleDifference]
    }

    func run() throws {
        let (manifest, differences, published, source) = try reportingErrors { () throws -> (BundleManifest, [BundleDifference], Bool, BundleCache.Source) in
            let url = URL(fileURLWithPath: path).standardizedFileURL
            // The store is read only when it exists (or is named): verify never creates one.
            let homeURL = Home.url(home)
            let store = Home.hasStore(homeURL, store) ? try Home.store(homeURL, store) : nil
            let found = try store?.bundles().first { [$0.bundle.path, $0.bundle.archive].contains(url.path) }
            if let store, let found, !FileManager.default.fileExists(atPath: url.path) {
                let (manifest, differences) = try Self.verifyFromStore(found.bundle, model: found.model, store: store)
                return (manifest, differences, true, .store)
            }
            let (manifest, differences) = try BundleVerifier.verify(url, published: found?.bundle.sha256)
            return (manifest, differences, found != nil, .local)
        }
        let origin = source == .store ? ", from the store" : ""
        if json {
            try printJSON(
                Report(
                    model: manifest.model, version: manifest.version, intact: differences.isEmpty, published: published, source: source,
                    differences: differences))
        } else if differences.isEmpty {
            print("\(manifest.model) \(manifest.version): intact (\(counted(manifest.files.count, "file"))\(published ? ", as published" : "")\(origin))")
        } else {
            for difference in differences { print(difference.description + origin) }
        }
        if !differences.isEmpty { throw ExitCode(1) }
    }

    /// Verifies the store's copy of `record`: its archive streamed from the blob into a
    /// temporary folder (removed after), checked as `BundleVerifier` checks an archive.
    static func verifyFromStore(
        _ record: BundleRecord, model: String, store: any FactoryStore
    ) throws -> (manifest: BundleManifest, differences: [BundleDifference]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mf-verify-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let archive = folder.appendingPathComponent("\(model)-\(record.version).tar.gz")
        try BundleCache(store: store, home: folder).fetchArchive(of: record, to: archive)
        return try BundleVerifier.verify(archive, published: record.sha256)
    }
}

struct Bundles: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundles",
        abstract: "List the published bundles.",
        discussion: """
            --json prints an array of {model, version, tag, ref, commit, session, path, archive, sha256, source}; tag is null for \
            a staging bundle (a pre-release of the development head, ref refs/heads/development); source is "local" when the \
            bundle's folder is on this host, "store" when only the store's copy is (made on another host, or the folder \
            deleted: mf serve fetches it), "missing" when neither is.
            """
    )

    @OptionGroup var options: RepositoryOptions

    struct Row: Encodable {
        let model, version: String
        /// Nil for a staging bundle (a pre-release of a branch head).
        let tag: String?
        let ref, commit, session, path, archive, sha256: String
        /// Where the bundle is: `local`, `store` or `missing`.
        let source: String

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            for (key, value) in [(CodingKeys.model, model), (.version, version)] { try container.encode(value, forKey: key) }
            try container.encode(tag, forKey: .tag)
            for (key, value) in [
                (CodingKeys.ref, ref), (.commit, commit), (.session, session), (.path, path), (.archive, archive), (.sha256, sha256), (.source, source),
            ] {
                try container.encode(value, forKey: key)
            }
        }

        enum CodingKeys: String, CodingKey { case model, version, tag, ref, commit, session, path, archive, sha256, source }
    }

    func run() throws {
        let rows = try reportingErrors { try Self.rows(try options.openStore()) }
        if options.json {
            try printJSON(rows)
            return
        }
        print(Self.render(rows))
    }

    static func rows(_ store: any FactoryStore) throws -> [Row] {
        try store.bundles().map {
            let source =
                FileManager.default.fileExists(atPath: $0.bundle.path) ? "local" : try store.blob($0.bundle.sha256) != nil ? "store" : "missing"
            return Row(
                model: $0.model, version: $0.bundle.version, tag: $0.bundle.tag, ref: $0.bundle.ref,
                commit: $0.bundle.commit, session: $0.bundle.sessionId,
                path: $0.bundle.path, archive: $0.bundle.archive, sha256: $0.bundle.sha256, source: source)
        }
    }

    static func render(_ rows: [Row]) -> String {
        guard !rows.isEmpty else { return "No bundles." }
        return rows.map { row in
            "\(row.model)  \(row.version)  \(row.tag ?? row.ref.replacingOccurrences(of: "refs/heads/", with: ""))  \(row.commit.prefix(8))  \(row.sha256.prefix(12))  \(row.path)\(row.source == "local" ? "" : row.source == "store" ? " (not on this host: from the store)" : " (missing)")"
        }.joined(separator: "\n")
    }
}
