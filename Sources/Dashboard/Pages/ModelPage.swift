internal import Foundation
internal import ModelFactory
internal import Store

/// A model: where it runs, its open drift alerts and rollouts, its releases with their gates,
/// digests and environments, a chart per metric across releases (train, evaluate and live
/// lines), drift per input field over time, the environments' history as a timeline, and its
/// newest sessions.
struct ModelPage: DashboardPage {
    static let template = "model"
    var title: String { "\(name) · \(repository)" }

    /// One release, newest first in the table.
    struct Release: Encodable, Sendable {
        var version: String
        var versionHref: String
        var tag: String
        var commit: String
        var commitFull: String
        var created: String
        var gates: Badge
        var digest: String
        var sha256: String
        var serving: [Badge]
        /// The release before it, and the link comparing the two; nil for the first.
        var previous: String?
        var compareHref: String?
    }

    /// One entry of the environments' history, newest first.
    struct Moment: Encodable, Sendable {
        var time: String
        /// A badge tone: the timeline's dot colour.
        var tone: String
        var environment: String
        var environmentHref: String
        var headline: String
        /// The event's sentence; nil when it has none.
        var reason: String?
    }

    var repository: String
    var repositoryPath: String
    var name: String
    var environments: [Badge]
    var drift: [Badge]
    var rollouts: [Badge]
    var releases: [Release]
    /// The newest release compared with the one before it, when there are two.
    var compareNewestHref: String?
    var metricCharts: [LineChart]
    var driftChart: LineChart?
    var driftLimit: Double
    var driftLimitSource: String
    var timeline: [Moment]
    /// Whether older moments were left out (each environment's page has them all).
    var timelineTruncated: Bool
    var sessions: [Badge]
    /// Scheduled retrains that passed their gates and wait for a tag (`ProposedCandidate.summary`).
    var candidates: [String]

    /// How many moments the timeline shows, newest first; an environment's page shows the rest.
    static let timelineLength = 40

    static func build(_ catalog: Catalog, repository: String, name: String) throws -> ModelPage {
        let history = try ModelHistory(catalog: catalog, repository: repository, name: name)
        let store = catalog.store
        let links = catalog.links
        let model = history.model
        let path = model.repository

        let allRecords = try store.environments(repository: path)
        let records = allRecords.filter { $0.model == model.name }
        var rollouts: [Rollout] = []
        var events: [Event] = []
        for environment in Set(allRecords.map(\.name)).sorted() {
            rollouts += try store.latestRollouts(repository: path, environment: environment).filter { $0.model == model.name }
            events += try store.events(repository: path, environment: environment, model: model.name, before: nil, limit: timelineLength + 1)
        }
        let moments = timeline(events: events, rollouts: rollouts, links: links, repository: repository)
        let desired = (catalog.desired(repository: path) ?? []).filter { $0.model == nil || $0.model == model.name }
        let drift = try DriftStatus.open(repository: path, store: store).filter { $0.model == model.name }

        // Releases, oldest first, with their sessions' metrics in one read.
        let releases = history.releases
        let sessionsByID = Dictionary(history.sessions.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let metrics = try store.metrics(sessions: releases.map(\.sessionId))
        let metricsBySession = Dictionary(grouping: metrics, by: \.sessionId)
        var live: [String: [Metric]] = [:]
        var rows: [Release] = []
        for (index, release) in releases.enumerated() {
            live[release.version] = try history.newestLive(release.version)
            let session = try sessionsByID[release.sessionId] ?? store.session(id: release.sessionId)
            let gates = try session.map(history.gates(of:)) ?? []
            let previous = index > 0 ? releases[index - 1].version : nil
            rows.append(
                Release(
                    version: release.version, versionHref: history.href(release.version), tag: release.tag ?? "",
                    commit: String(release.commit.prefix(8)), commitFull: release.commit, created: Format.time(release.createdAt),
                    gates: ModelHistory.gatesBadge(gates), digest: ModelHistory.shortDigest(release.sha256), sha256: release.sha256,
                    serving: history.servingBadges(records, version: release.version), previous: previous,
                    compareHref: previous.map { history.compareHref($0, release.version) }))
        }

        let samples = try store.driftSamples(model: model.name, version: nil, since: nil, limit: 5000)
        let (limit, source) = driftLimit(newest: releases.last.map { ($0, history.manifest(of: $0)) }, events: events)
        let driftLines = ModelHistory.driftLines(samples)

        return ModelPage(
            repository: repository, repositoryPath: path, name: model.name,
            environments: ModelsPage.environmentBadges(records, desired: desired, rollouts: rollouts, links: links, repository: repository),
            drift: drift.map {
                Badge(text: "drift \($0.field)", tone: .bad, detail: $0.line, href: history.href($0.version))
            },
            rollouts: rollouts.filter { $0.state == .running || $0.state == .rolledBack }.map {
                Badge(
                    text: $0.state == .running ? "rolling out \($0.toVersion) · \($0.percent)%" : "\($0.toVersion) rolled back",
                    tone: $0.state == .running ? .warning : .bad, detail: $0.reason ?? "\($0.fromVersion) → \($0.toVersion) in \($0.environment)",
                    href: links.history(repository: repository, environment: $0.environment))
            },
            releases: rows.reversed(),
            compareNewestHref: releases.count >= 2 ? history.compareHref(releases[releases.count - 2].version, releases[releases.count - 1].version) : nil,
            metricCharts: metricCharts(releases: releases, metrics: metricsBySession, live: live),
            driftChart: driftLines.isEmpty
                ? nil : LineChart.time(title: "Drift per input field (PSI)", lines: driftLines, threshold: (limit, "PSI threshold \(Format.number(limit))")),
            driftLimit: limit, driftLimitSource: source,
            timeline: Array(moments.prefix(timelineLength)), timelineTruncated: moments.count > timelineLength,
            sessions: try store.newestSessions(model: model.name, repository: path, limit: 20).map { ModelsPage.sessionBadge($0.session, links: links) },
            candidates: try ProposedCandidate.read(store: store, repository: path, model: model.name, tagPrefix: "v") { _ in
                releases.compactMap { Version($0.version) }.filter { !$0.isPrerelease }.max()
            }.map(\.summary))
    }

    /// One chart per metric across `releases` (oldest first), a line per split: train, evaluate,
    /// any other the model reports, and live (the newest live evaluation of each release).
    static func metricCharts(releases: [BundleRecord], metrics: [String: [Metric]], live: [String: [Metric]]) -> [LineChart] {
        let labels = releases.map(\.version)
        var values: [String: [String: [Int: Double]]] = [:]  // name → split → release index → value
        for (index, release) in releases.enumerated() {
            for metric in (metrics[release.sessionId] ?? []) + (live[release.version] ?? []) {
                guard let value = metric.value, value.isFinite else { continue }
                values[metric.name, default: [:]][metric.split, default: [:]][index] = value
            }
        }
        return values.keys.sorted().map { name in
            let splits = values[name]!.keys.sorted(by: ModelHistory.splitOrder)
            let lines = splits.map { split in
                LineChart.Line(
                    name: split,
                    values: values[name]![split]!.sorted { $0.key < $1.key }.map { index, value in
                        (x: Double(index), y: value, title: "\(labels[index]) \(split) \(name) = \(Format.number(value))")
                    })
            }
            return LineChart.categories(title: name, labels: labels, lines: lines, xLabel: "release")
        }
    }

    /// The PSI past which drift alerts: model.yaml's `monitor.psi` of the newest release when its
    /// bundle is readable, else the threshold the newest drift alert recorded, else 0.2.
    static func driftLimit(newest: (bundle: BundleRecord, manifest: Manifest?)?, events: [Event]) -> (Double, String) {
        if let newest, let manifest = newest.manifest {
            return (manifest.monitor.psi, "model.yaml of \(newest.bundle.version)")
        }
        struct Details: Decodable { var threshold: Double? }
        for event in events.sorted(by: { $0.time > $1.time }) where event.kind == .driftAlert {
            if let details = event.details, let threshold = try? JSONDecoder().decode(Details.self, from: Data(details.utf8)).threshold {
                return (threshold, "the drift alert of \(Format.time(event.time))")
            }
        }
        return (Manifest.Monitor.defaultPSI, "the default")
    }

    /// The environments' events and the rollouts under way, newest first.
    static func timeline(events: [Event], rollouts: [Rollout], links: Links, repository: String) -> [Moment] {
        var moments: [(Date, Moment)] = rollouts.filter { $0.state == .running }.map { rollout in
            (
                rollout.stepStartedAt,
                Moment(
                    time: Format.time(rollout.stepStartedAt), tone: Badge.Tone.warning.rawValue, environment: rollout.environment,
                    environmentHref: links.history(repository: repository, environment: rollout.environment),
                    headline: "now rolling out \(rollout.toVersion) at \(rollout.percent)% beside \(rollout.fromVersion) (step \(rollout.step + 1))",
                    reason: rollout.reason)
            )
        }
        for event in events {
            let (tone, headline) = describe(event)
            moments.append(
                (
                    event.time,
                    Moment(
                        time: Format.time(event.time), tone: tone.rawValue, environment: event.environment,
                        environmentHref: links.history(repository: repository, environment: event.environment), headline: headline,
                        reason: event.reason.isEmpty ? nil : event.reason)
                ))
        }
        return moments.sorted { $0.0 > $1.0 }.map(\.1)
    }

    /// An event's colour and what it did, in a few words.
    static func describe(_ event: Event) -> (Badge.Tone, String) {
        let from = event.fromVersion ?? "nothing"
        let to = event.toVersion ?? "?"
        switch event.kind {
        case .environment: return (.info, "\(from) → \(to)")
        case .rolloutStarted: return (.warning, "rollout of \(to) began beside \(from)")
        case .rolloutStep: return (.warning, "rollout of \(to) stepped up")
        case .promoted: return (.good, "\(to) promoted")
        case .rolledBack: return (.bad, "\(to) rolled back; \(from) serves")
        case .driftAlert: return (.bad, "drift alert on \(event.fromVersion ?? to)")
        case .driftCleared: return (.good, "drift cleared on \(event.fromVersion ?? to)")
        default: return (.quiet, "\(event.kind.rawValue) \(event.toVersion ?? "")")
        }
    }
}
