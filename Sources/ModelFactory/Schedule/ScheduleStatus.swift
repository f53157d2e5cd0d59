public import Foundation
public import Store

/// One entry of a repository's schedule as `mf schedule` shows it: when it fires next (in its
/// zone and in UTC), its last recorded fire, and how many instants were skipped.
public struct ScheduleEntryStatus: Sendable, Encodable {
    /// An instant in the entry's zone and in UTC.
    public struct Instant: Sendable, Encodable {
        /// `2026-03-29 03:00 +02:00`.
        public var local: String
        /// ISO 8601 in UTC.
        public var utc: Date
    }

    /// The entry's name.
    public var name: String
    /// Its cron expression as written.
    public var cron: String
    /// Its IANA time zone.
    public var timezone: String
    /// `skip` or `once`.
    public var catchUp: String
    /// The model it acts on; nil when the file names none and the repository does not hold exactly one.
    public var model: String?
    /// What it does.
    public var action: ScheduleDeclaration.Action
    /// Its next fire; nil when its expression never fires again.
    public var next: Instant?
    /// Its newest recorded instant (fired or skipped).
    public var last: ScheduleFire?
    /// How many instants were skipped (by a catch-up policy) in the fires recorded.
    public var skipped: Int
    /// The entry's state in a few words: `never fired`, `queued`, `done: …`, `failed: …`, `skipped: …`.
    public var status: String

    /// The status of every entry of `source`, from the fires `store` recorded (none without a
    /// store), `now` being what it is.
    public static func read(_ source: ScheduleSource, store: (any FactoryStore)?, now: Date) throws(StoreError) -> [ScheduleEntryStatus] {
        var list: [ScheduleEntryStatus] = []
        for entry in source.declaration.entries {
            let fires = try store?.scheduleFires(repository: source.repository, entry: entry.name, model: nil, limit: 1000) ?? []
            let skipped = fires.reduce(0) { $0 + $1.missed + ($1.state == .skipped ? 1 : 0) }
            let last = fires.first
            let status =
                switch last?.state {
                case nil: "never fired"
                case .queued?: "queued" + (last?.result.map { ": \($0)" } ?? "")
                case let state?: state.rawValue + (last?.result.map { ": \($0)" } ?? "")
                }
            list.append(
                ScheduleEntryStatus(
                    name: entry.name, cron: entry.cron.text, timezone: entry.timeZone.identifier, catchUp: entry.catchUp.rawValue,
                    model: try? source.model(of: entry), action: entry.action,
                    next: entry.next(after: now).map { Instant(local: Self.local($0, in: entry.timeZone), utc: $0) }, last: last, skipped: skipped,
                    status: status))
        }
        return list
    }

    /// `2026-03-29 03:00 +02:00`.
    static func local(_ instant: Date, in zone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm xxx"
        return formatter.string(from: instant)
    }
}

/// A scheduled retrain's candidate that passed its gates: proposed for release, never served
/// until a tag says so (`mf status`, the dashboard's model page).
public struct ProposedCandidate: Sendable, Encodable {
    /// The model.
    public var model: String
    /// The candidate version (`1.2.1-data.ab12cd34`).
    public var version: String
    /// The schedule entry that made it.
    public var entry: String
    /// The SHA-256 of the data it was trained on.
    public var dataSha256: String
    /// Its session.
    public var session: String?
    /// The tag that would release it (`v1.2.1`).
    public var releaseTag: String
    /// When the schedule fired.
    public var firedAt: Date

    /// The line people read: `candidate 1.2.1-data.ab12cd34 (from schedule nightly, data sha256 ab12cd34ef01…): gates passed — tag v1.2.1 to release`.
    public var summary: String {
        "candidate \(version) (from schedule \(entry), data sha256 \(dataSha256.prefix(12))…): gates passed — tag \(releaseTag) to release"
    }

    /// The newest proposed candidate of each model of `repository` that no release of `flow`
    /// (the repository's) has overtaken: the version it would become is not released yet.
    public static func read(store: any FactoryStore, repository: String, flow: Flow) throws(StoreError) -> [ProposedCandidate] {
        try read(store: store, repository: repository, model: nil, tagPrefix: flow.configuration.versionTagPrefix ?? "v") { model in
            flow.releases.filter { !$0.version.isPrerelease && ($0.model == nil || $0.model == model) }.map(\.version).max()
        }
    }

    /// The newest proposed candidate of each model of `repository` (only of `model` when given)
    /// whose release is newer than `newestRelease` of its model.
    public static func read(
        store: any FactoryStore, repository: String, model: String?, tagPrefix: String, newestRelease: (String) -> Version?
    ) throws(StoreError) -> [ProposedCandidate] {
        var newest: [String: ProposedCandidate] = [:]
        for fire in try store.scheduleFires(repository: repository, entry: nil, model: model, limit: 1000)
        where fire.proposed && newest[fire.model] == nil {
            guard let text = fire.candidate, let version = Version(text) else { continue }
            let release = Version(major: version.major, minor: version.minor, patch: version.patch)
            if let released = newestRelease(fire.model), released >= release { continue }
            newest[fire.model] = ProposedCandidate(
                model: fire.model, version: text, entry: fire.entry, dataSha256: fire.dataSha256 ?? "", session: fire.session,
                releaseTag: "\(tagPrefix)\(release)", firedAt: fire.firedAt)
        }
        return newest.values.sorted { $0.model < $1.model }
    }
}
