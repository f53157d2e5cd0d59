import ArgumentParser
import Foundation
import GitKit
import ModelFactory
import Store

struct ScheduleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "List the schedule's entries (.mf/schedule.yaml): next fire, last fire, status.",
        discussion: """
            .mf/schedule.yaml on the production line's head declares cron entries that mf worker \
            fires, each exactly once across every worker sharing the store:

              nightly:
                cron: "0 2 * * *"            # minute hour day-of-month month day-of-week
                timezone: Europe/Berlin      # required: an IANA zone
                catch_up: once               # skip (default) or once
                model: churn                 # in a repository of several models
                train: { data: /data/churn/latest.csv }
              morning-scores:
                cron: "30 6 * * MON-FRI"
                timezone: America/New_York
                score: { input: /data/churn/today.csv, output: /data/churn/scores.csv }
              weekly-check:
                cron: "0 8 * * SUN"
                timezone: UTC
                evaluate: { data: /data/churn/holdout.csv }

            Fields take *, numbers, ranges (1-5), steps (*/15, 0-30/10), lists and names (JAN, \
            MON); when both day fields are restricted a day matches either (cron's rule). Times \
            are local to the entry's zone: a time skipped by a spring-forward fires once, just \
            after the gap; a time repeated in autumn fires once, at its first occurrence.

            Paths are on the worker's host. train: { data: FILE } trains the production head on \
            FILE; train: { command: [PROGRAM, ARG...] } runs the command, which writes the data to \
            the file $MF_DATA_FILE names. The candidate is X.Y.(Z+1)-data.<first 8 hex of the \
            data's SHA-256> (after the version in production X.Y.Z): bundled, gated against the \
            version in service (max_regression included), proposed when it passes (mf status, the \
            dashboard, a notification), never served until a tag releases it. The same data \
            twice makes the candidate once. evaluate runs the production version's evaluate on \
            FILE (a session with trigger schedule); score scores a file with it.

            catch_up: instants missed while no worker ran (or seen more than 5 minutes late) are \
            recorded as skipped; with once, the newest of them fires.

            MF_CLOCK_OFFSET=SECONDS (a test and operations aid) makes mf schedule and mf worker \
            act as if the time were that many seconds later (earlier when negative).

            --json prints {repository, commit, entries: [{name, cron, timezone, catchUp, model, \
            action: {kind, data, command, input, output}, next: {local, utc} or null, last: a \
            fire or null, skipped, status}]}; a fire is {entry, model, scheduledAt, firedAt, \
            worker, missed, state (skipped, queued, done, failed), jobId, session, candidate, \
            dataSha256, proposed, result, endedAt}. Exit status 2 when the file is broken.
            """
    )

    @OptionGroup var options: RepositoryOptions

    func run() throws {
        try reportingErrors {
            let repository = try options.openRepository()
            let clock = try ClockOption.clock()
            guard let source = try ScheduleSource.read(repository) else {
                if options.json {
                    try printJSON(Listing(repository: try RepositoryIdentity(repository).name, commit: nil, entries: []))
                } else {
                    print("No schedule: the production line has no \(ScheduleDeclaration.path).")
                }
                return
            }
            // The store is read only when it exists: listing never creates one.
            let store = options.hasStore ? try options.openStore() : nil
            let entries = try ScheduleEntryStatus.read(source, store: store, now: clock.now)
            if options.json {
                try printJSON(Listing(repository: source.repository, commit: source.commit.hex, entries: entries))
                return
            }
            print("Schedule \(ScheduleDeclaration.path) at \(source.commit.short):")
            for entry in entries {
                print("  \(entry.name): \(entry.cron) \(entry.timezone), catch_up \(entry.catchUp) — \(entry.model ?? "?"): \(entry.action.summary)")
                if let next = entry.next {
                    print("    next: \(next.local) (\(Self.utc(next.utc)) UTC)")
                } else {
                    print("    next: never")
                }
                if let last = entry.last { print("    last: \(Self.utc(last.scheduledAt)) UTC") }
                print("    status: \(entry.status)" + (entry.skipped > 0 ? "; \(entry.skipped) skipped" : ""))
            }
        }
    }

    struct Listing: Encodable {
        let repository: String
        let commit: String?
        let entries: [ScheduleEntryStatus]
    }

    static func utc(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }
}

/// The clock schedules are read with: the system's, moved by `MF_CLOCK_OFFSET` seconds (a test
/// and operations aid: act as if it were another time without waiting for it).
enum ClockOption {
    static func clock() throws -> SystemScheduleClock {
        guard let text = ProcessInfo.processInfo.environment["MF_CLOCK_OFFSET"], !text.isEmpty else { return SystemScheduleClock() }
        guard let seconds = Double(text), seconds.isFinite else {
            throw ValidationError("MF_CLOCK_OFFSET=\(text): expected a number of seconds")
        }
        return SystemScheduleClock(offset: seconds)
    }
}
