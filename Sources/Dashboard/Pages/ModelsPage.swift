internal import Foundation
internal import ModelFactory
internal import Store

/// The front page: every model with its environments, newest release, last session, open drift
/// alerts and any rollout under way, each as a badge.
struct ModelsPage: DashboardPage {
    static let template = "models"
    var title: String { "Models" }

    struct Row: Encodable, Sendable {
        var repository: String
        /// The repository as the store names it (its path or URL).
        var repositoryPath: String
        var name: String
        var href: String
        var environments: [Badge]
        var newestRelease: Badge?
        var lastSession: Badge?
        var drift: [Badge]
        var rollouts: [Badge]
    }

    var models: [Row]
    var links: [String: String]

    static func build(_ catalog: Catalog) throws -> ModelsPage {
        let store = catalog.store
        let links = catalog.links
        // A release is a tagged bundle; staging's development builds are not releases.
        let newestBundles = Dictionary(grouping: try store.bundles().filter { $0.bundle.tag != nil }, by: { $0.bundle.modelId }).compactMapValues {
            bundles in bundles.max { $0.bundle.createdAt < $1.bundle.createdAt }?.bundle
        }
        var rows: [Row] = []
        for (path, models) in Dictionary(grouping: catalog.models, by: \.repository).sorted(by: { $0.key < $1.key }) {
            let repository = catalog.short(path)
            let records = try store.environments(repository: path)
            let desired = catalog.desired(repository: path) ?? []
            let drift = try DriftStatus.open(repository: path, store: store)
            var rollouts: [Rollout] = []
            for environment in Set(records.map(\.name)).sorted() {
                rollouts += try store.latestRollouts(repository: path, environment: environment)
            }
            for model in models {
                let lastSession = try store.newestSessions(model: model.name, repository: path, limit: 1).first?.session
                rows.append(
                    Row(
                        repository: repository, repositoryPath: path, name: model.name, href: links.model(repository: repository, name: model.name),
                        environments: environmentBadges(
                            records.filter { $0.model == model.name }, desired: desired.filter { $0.model == nil || $0.model == model.name },
                            rollouts: rollouts.filter { $0.model == model.name }, links: links, repository: repository),
                        newestRelease: newestBundles[model.id].map {
                            Badge(
                                text: $0.version, tone: .info, detail: "released \(Format.time($0.createdAt)) at \($0.commit.prefix(8))",
                                href: links.version(repository: repository, name: model.name, version: $0.version))
                        },
                        lastSession: lastSession.map { sessionBadge($0, links: links) },
                        drift: drift.filter { $0.model == model.name }.map {
                            Badge(
                                text: "drift \($0.field)", tone: .bad, detail: $0.line,
                                href: links.version(repository: repository, name: model.name, version: $0.version))
                        },
                        rollouts: rollouts.filter { $0.model == model.name && ($0.state == .running || $0.state == .rolledBack) }.map {
                            Badge(
                                text: $0.state == .running ? "rolling out \($0.toVersion) · \($0.percent)%" : "\($0.toVersion) rolled back",
                                tone: $0.state == .running ? .warning : .bad, detail: $0.reason ?? "\($0.fromVersion) → \($0.toVersion) in \($0.environment)",
                                href: links.history(repository: repository, environment: $0.environment))
                        }))
            }
        }
        return ModelsPage(models: rows, links: ["jobs": links.jobs, "history": links.history])
    }

    /// One badge per environment: the version it runs, green when it is the one it should run.
    static func environmentBadges(
        _ records: [EnvironmentRecord], desired: [EnvironmentStatus], rollouts: [Rollout], links: Links, repository: String
    ) -> [Badge] {
        var names = records.map(\.name)
        for wanted in desired where !names.contains(wanted.name) { names.append(wanted.name) }
        return names.map { name in
            let current = records.first { $0.name == name }?.version
            let wanted = desired.first { $0.name == name }
            let rollout = rollouts.first { $0.environment == name && $0.state == .running }
            let href = links.history(repository: repository, environment: name)
            if let rollout {
                return Badge(
                    text: "\(name) \(rollout.fromVersion) → \(rollout.toVersion)", tone: .warning,
                    detail: "rolling out \(rollout.toVersion) at \(rollout.percent)% beside \(rollout.fromVersion)", href: href)
            }
            guard let current else {
                return Badge(text: "\(name) —", tone: .warning, detail: "wants \(wanted?.desired ?? "?"); nothing runs yet", href: href)
            }
            if let wanted, wanted.desired != current {
                return Badge(
                    text: "\(name) \(current)", tone: .warning, detail: "wants \(wanted.desired): \(wanted.reason ?? "not reconciled yet")", href: href)
            }
            return Badge(text: "\(name) \(current)", tone: .good, detail: wanted == nil ? "runs \(current)" : "runs \(current), as its refs say", href: href)
        }
    }

    static func sessionBadge(_ session: Session, links: Links) -> Badge {
        let tone: Badge.Tone =
            switch session.status {
            case .passed: .good
            case .failed: .bad
            case .running: .info
            }
        let what = session.version.map { "v\($0)" } ?? String(session.commit.prefix(8))
        return Badge(
            text: "\(session.status.rawValue) \(what)", tone: tone,
            detail: session.failure ?? "\(session.trigger.rawValue) session \(session.id.prefix(8)), \(Format.time(session.startedAt))",
            href: links.session(session.id))
    }
}

/// How values are written on the pages.
enum Format {
    static func time(_ date: Date) -> String { date.formatted(.iso8601) }

    /// A metric's value: four significant digits, or `—`.
    static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "—" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(format: "%.4g", value)
    }
}
