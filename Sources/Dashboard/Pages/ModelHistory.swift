internal import Foundation
internal import ModelFactory
internal import Store

/// One model's bundles and versioned sessions, read once for the model, version and compare
/// pages: a release is a bundle with a tag; a version may also be a staging bundle, or only
/// sessions (a release that failed its gates).
struct ModelHistory {
    let catalog: Catalog
    let model: RegisteredModel
    /// The repository's short name.
    let repository: String
    /// Every bundle of the model, oldest first.
    let bundles: [BundleRecord]
    /// The tagged bundles, oldest first.
    let releases: [BundleRecord]
    /// The model's sessions that ran a version (live ones aside), newest first.
    let sessions: [Session]

    var store: any FactoryStore { catalog.store }
    var links: Links { catalog.links }

    init(catalog: Catalog, repository: String, name: String) throws {
        self.catalog = catalog
        self.repository = repository
        let model = try catalog.model(repository: repository, name: name)
        self.model = model
        bundles = try catalog.store.bundles(repository: model.repository, since: .distantPast).map(\.bundle).filter { $0.modelId == model.id }
            .sorted { ($0.createdAt, $0.version) < ($1.createdAt, $1.version) }
        releases = bundles.filter { $0.tag != nil }
        sessions = try catalog.store.versionedSessions(model: model.name, repository: model.repository).map(\.session).filter {
            $0.modelId == model.id
        }
    }

    /// One version as a page shows it: its bundle when it has one, and the session behind it (the
    /// bundle's, else the version's newest session, passed ones first).
    struct Found {
        var version: String
        var bundle: BundleRecord?
        var session: Session
    }

    /// The version a person names (`1.0.1`, `v1.0.1`; `1.0` is `1.0.0`); 404 naming the model
    /// and the version when the store has neither a bundle nor a session of it.
    func version(_ text: String) throws -> Found {
        let wanted = Version(text.hasPrefix("v") ? String(text.dropFirst()) : text)
        func matches(_ version: String?) -> Bool {
            guard let version else { return false }
            if version == text { return true }
            guard let wanted, let found = Version(version) else { return false }
            return found == wanted
        }
        let bundle = bundles.last { $0.version == text } ?? bundles.last { matches($0.version) }
        if let bundle {
            let session = try sessions.first { $0.id == bundle.sessionId } ?? store.session(id: bundle.sessionId)
            if let session { return Found(version: bundle.version, bundle: bundle, session: session) }
        }
        let candidates = sessions.filter { matches($0.version) }
        guard let session = candidates.first(where: { $0.status == .passed }) ?? candidates.first, let version = session.version else {
            throw DashboardError.notFound("version \(text) of model \(model.name) in the repository \(repository)")
        }
        return Found(version: version, bundle: nil, session: session)
    }

    /// The release published before `found`: the tagged bundle before its own, or, for a version
    /// without one, the newest published before its session began.
    func previousRelease(_ found: Found) -> BundleRecord? {
        if let bundle = found.bundle, let index = releases.firstIndex(where: { $0.version == bundle.version }) {
            return index > 0 ? releases[index - 1] : nil
        }
        return releases.last { $0.createdAt < found.session.startedAt && $0.version != found.version }
    }

    /// The gates that decided `session` (`FactoryStore.decidingGates`).
    func gates(of session: Session) throws -> [GateResult] { try store.decidingGates(of: session).gates }

    /// The newest live evaluation's metrics of `version` (split `live`).
    func newestLive(_ version: String) throws -> [Metric] {
        try store.liveEvaluations(model: model.name, version: version, limit: 1).first?.metrics ?? []
    }

    /// The model.yaml a bundle holds: in its folder when that is on this host, else in the copy
    /// fetched from the store's blob into the home (`BundleCache`; once: a page shown again
    /// reads that copy, which appeared whole and verified); nil when none can be read.
    func manifest(of bundle: BundleRecord) -> Manifest? {
        let cache = BundleCache(store: store, home: catalog.options.home)
        let here = [URL(fileURLWithPath: bundle.path), cache.cachedFolder(for: bundle, model: model.name)].first {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent("model.yaml").path)
        }
        guard let folder = here ?? (try? cache.folder(for: bundle, model: model.name))?.folder,
            let data = try? Data(contentsOf: folder.appendingPathComponent("model.yaml"))
        else { return nil }
        return try? Manifest.parse(String(decoding: data, as: UTF8.self), file: folder.appendingPathComponent("model.yaml").path)
    }

    /// Splits in the order the pages show them: train, evaluate, any other (by name), live.
    static func splitOrder(_ a: String, _ b: String) -> Bool {
        let rank = ["train": 0, "evaluate": 1, "live": 3]
        return (rank[a] ?? 2, a) < (rank[b] ?? 2, b)
    }

    /// The link to `version`'s page.
    func href(_ version: String) -> String { links.version(repository: repository, name: model.name, version: version) }

    /// The link comparing `a` with `b`.
    func compareHref(_ a: String, _ b: String) -> String { links.compare(repository: repository, name: model.name, a: a, b: b) }

    /// A version's gates as one badge: passed, failed (the failed gate's detail on hover), or none.
    static func gatesBadge(_ gates: [GateResult]) -> Badge {
        if gates.isEmpty { return Badge(text: "no gates", tone: .quiet, detail: "the session checked no gates", href: nil) }
        let failed = gates.filter { !$0.passed }
        if let first = failed.first {
            return Badge(
                text: failed.count == 1 ? "failed \(first.gate)" : "failed \(failed.count) gates", tone: .bad,
                detail: failed.map(\.detail).joined(separator: "; "), href: nil)
        }
        return Badge(text: "gates passed", tone: .good, detail: gates.map(\.detail).joined(separator: "; "), href: nil)
    }

    /// One gate's outcome as a row: the gate, a passed or failed badge, and what was measured.
    struct GateRow: Encodable, Sendable {
        var gate: String
        var passed: Bool
        var outcome: Badge
        var measured: String

        init(_ result: GateResult) {
            gate = result.gate
            passed = result.passed
            outcome = Badge(text: result.passed ? "passed" : "failed", tone: result.passed ? .good : .bad, detail: result.detail, href: nil)
            measured = result.detail
        }
    }

    /// The first 12 hex digits of a digest, which the table shows (the whole on hover).
    static func shortDigest(_ sha256: String) -> String { String(sha256.prefix(12)) }

    /// The environments of `records` that run `version`, as badges leading to their history.
    func servingBadges(_ records: [EnvironmentRecord], version: String) -> [Badge] {
        records.filter { $0.model == model.name && $0.version == version }.map {
            Badge(
                text: $0.name, tone: .good, detail: "\($0.name) runs \(version) since \(Format.time($0.updatedAt))",
                href: links.history(repository: repository, environment: $0.name))
        }
    }

    /// At most this many points per line of a chart over time: a chart 460 pixels wide shows no
    /// more, and the page stays small and quick however long the history grows.
    static let pointsPerLine = 120

    /// `items` (oldest first) in runs of equal time span, at most `limit` of them, oldest first;
    /// each item a run of its own when there are no more than `limit`.
    static func runs<Item>(_ items: [Item], time: (Item) -> Date, limit: Int = pointsPerLine) -> [[Item]] {
        guard items.count > limit, let first = items.first.map(time), let last = items.last.map(time), last > first else {
            return items.map { [$0] }
        }
        let span = last.timeIntervalSince(first)
        var runs: [[Item]] = []
        var current = -1
        for item in items {
            let index = min(limit - 1, Int(time(item).timeIntervalSince(first) / span * Double(limit)))
            if index == current { runs[runs.count - 1].append(item) } else { runs.append([item]) }
            current = index
        }
        return runs
    }

    /// One line per input field: its PSI over time, from `samples` (oldest first). A long
    /// history shows the highest PSI of each stretch of time, which is what an alert looks at.
    static func driftLines(_ samples: [DriftSample]) -> [LineChart.Line] {
        Dictionary(grouping: samples.filter { $0.psi != nil }, by: \.field).sorted { $0.key < $1.key }.map { field, samples in
            LineChart.Line(
                name: field,
                values: runs(samples, time: \.time).map { run in
                    let worst = run.max { $0.psi! < $1.psi! }!
                    let title =
                        run.count == 1
                        ? "\(field) PSI \(Format.number(worst.psi)) · \(worst.version) · \(Format.time(worst.time)) · \(worst.count) inputs"
                        : "\(field) PSI up to \(Format.number(worst.psi)) (\(worst.version), \(Format.time(worst.time))) over \(run.count) samples from "
                            + "\(Format.time(run.first!.time)) to \(Format.time(run.last!.time))"
                    return (x: worst.time.timeIntervalSince1970, y: worst.psi!, title: title)
                })
        }
    }
}
