import Foundation
import ModelFactory
import TestSupport
import Testing

/// The cron engine: fields, the day rule, month ends, and the 2026 daylight-saving days of
/// Europe/Berlin (29 March, 02:00 → 03:00; 25 October, 03:00 → 02:00) and America/New_York
/// (8 March, 02:00 → 03:00; 1 November, 02:00 → 01:00).
@Suite(.onTestThreads) struct CronExpressionTests {
    let berlin = TimeZone(identifier: "Europe/Berlin")!
    let newYork = TimeZone(identifier: "America/New_York")!
    let utc = TimeZone(identifier: "UTC")!

    /// An instant written in UTC: `2026-03-29 00:45`.
    func at(_ text: String) -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = utc
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.date(from: text)!
    }

    /// The next `count` fires after `start`, in UTC.
    func fires(_ expression: String, after start: String, in zone: TimeZone, count: Int) throws -> [String] {
        let cron = try CronExpression(expression)
        var cursor = at(start)
        var found: [String] = []
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = utc
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        for _ in 0..<count {
            guard let next = cron.next(after: cursor, in: zone) else { break }
            found.append(formatter.string(from: next))
            cursor = next
        }
        return found
    }

    @Test func everyFifteenMinutesAcrossTheSpringGapFiresOnceAtItsEnd() async throws {
        // Berlin local 01:45 CET = 00:45 UTC; 02:00-02:59 does not exist; 03:00 CEST = 01:00 UTC.
        #expect(
            try fires("*/15 * * * *", after: "2026-03-29 00:30", in: berlin, count: 4) == [
                "2026-03-29 00:45", "2026-03-29 01:00", "2026-03-29 01:15", "2026-03-29 01:30",
            ])
        // New York: 01:45 EST = 06:45 UTC, then 03:00 EDT = 07:00 UTC.
        #expect(
            try fires("*/15 * * * *", after: "2026-03-08 06:30", in: newYork, count: 3) == ["2026-03-08 06:45", "2026-03-08 07:00", "2026-03-08 07:15"])
    }

    @Test func aFixedTimeInsideTheSpringGapFiresOnceJustAfterIt() async throws {
        // 02:30 does not exist on 29 March in Berlin: it fires at 03:00 CEST (01:00 UTC), once;
        // the day before and after at 02:30 local (01:30 UTC CET, 00:30 UTC CEST).
        #expect(
            try fires("30 2 * * *", after: "2026-03-27 12:00", in: berlin, count: 3) == [
                "2026-03-28 01:30", "2026-03-29 01:00", "2026-03-30 00:30",
            ])
        #expect(try fires("0 2 * * *", after: "2026-03-08 00:00", in: newYork, count: 2) == ["2026-03-08 07:00", "2026-03-09 06:00"])
    }

    @Test func aFixedTimeInsideTheRepeatedHourFiresOnceAtItsFirstOccurrence() async throws {
        // 25 October in Berlin: 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
        #expect(
            try fires("30 2 * * *", after: "2026-10-24 12:00", in: berlin, count: 3) == [
                "2026-10-25 00:30", "2026-10-26 01:30", "2026-10-27 01:30",
            ])
        // Asked from inside the second pass, the next is the next day's.
        #expect(try fires("30 2 * * *", after: "2026-10-25 01:10", in: berlin, count: 1) == ["2026-10-26 01:30"])
        // New York, 1 November: 01:30 EDT = 05:30 UTC, repeated at 06:30 UTC (EST).
        #expect(try fires("30 1 * * *", after: "2026-11-01 00:00", in: newYork, count: 2) == ["2026-11-01 05:30", "2026-11-02 06:30"])
    }

    @Test func everyFifteenMinutesThroughTheRepeatedHourFiresEachLocalTimeOnce() async throws {
        // Berlin 02:00-02:59 CEST (00:00-00:59 UTC), then 02:00-02:59 CET (01:00-01:59 UTC)
        // repeats the same local times: none of them fires again; 03:00 CET is 02:00 UTC.
        #expect(
            try fires("*/15 * * * *", after: "2026-10-24 23:50", in: berlin, count: 6) == [
                "2026-10-25 00:00", "2026-10-25 00:15", "2026-10-25 00:30", "2026-10-25 00:45", "2026-10-25 02:00", "2026-10-25 02:15",
            ])
    }

    @Test func monthEndsAndTheTwentyNinthOfFebruary() async throws {
        #expect(
            try fires("0 12 31 * *", after: "2026-01-01 00:00", in: utc, count: 4) == [
                "2026-01-31 12:00", "2026-03-31 12:00", "2026-05-31 12:00", "2026-07-31 12:00",
            ])
        #expect(try fires("0 0 29 2 *", after: "2026-01-01 00:00", in: utc, count: 2) == ["2028-02-29 00:00", "2032-02-29 00:00"])
        #expect(try CronExpression("0 0 30 2 *").next(after: at("2026-01-01 00:00"), in: utc) == nil)
        // The last day of February at midnight in Berlin is 23:00 UTC the day before.
        #expect(try fires("0 0 1 3 *", after: "2026-01-01 00:00", in: berlin, count: 1) == ["2026-02-28 23:00"])
    }

    @Test func bothDayFieldsRestrictedMatchEitherDay() async throws {
        // The 10th (a Tuesday) or any Friday, in March 2026 (Fridays: 6, 13, 20, 27).
        #expect(
            try fires("0 9 10 * FRI", after: "2026-03-01 00:00", in: utc, count: 4) == [
                "2026-03-06 09:00", "2026-03-10 09:00", "2026-03-13 09:00", "2026-03-20 09:00",
            ])
        // With the day of the month a star, only the weekday counts (`*/2` starts with a star: cron's rule).
        #expect(try fires("0 9 * * MON", after: "2026-03-01 00:00", in: utc, count: 2) == ["2026-03-02 09:00", "2026-03-09 09:00"])
        #expect(try fires("0 9 */10 * MON", after: "2026-03-01 00:00", in: utc, count: 2) == ["2026-03-02 09:00", "2026-03-09 09:00"])
        // 0 and 7 are both Sunday; names and ranges.
        #expect(try fires("0 0 * JAN-FEB 7", after: "2026-01-01 00:00", in: utc, count: 1) == ["2026-01-04 00:00"])
        #expect(try fires("0 0 * * 0", after: "2026-01-01 00:00", in: utc, count: 1) == ["2026-01-04 00:00"])
    }

    @Test func listsRangesStepsAndMacros() async throws {
        #expect(
            try fires("5,35 8-9 * * *", after: "2026-06-01 00:00", in: utc, count: 5) == [
                "2026-06-01 08:05", "2026-06-01 08:35", "2026-06-01 09:05", "2026-06-01 09:35", "2026-06-02 08:05",
            ])
        #expect(try fires("10/20 * * * *", after: "2026-06-01 00:00", in: utc, count: 3) == ["2026-06-01 00:10", "2026-06-01 00:30", "2026-06-01 00:50"])
        #expect(try fires("@daily", after: "2026-06-01 00:00", in: utc, count: 1) == ["2026-06-02 00:00"])
    }

    @Test(arguments: [
        ("0 2 * *", "expected 5 fields"), ("60 * * * *", "the minute field"), ("* 24 * * *", "the hour field"),
        ("* * 0 * *", "the day-of-month field"), ("* * * FOO *", "the month field"), ("* * * * 8", "the day-of-week field"),
        ("*/0 * * * *", "the step"), ("5-1 * * * *", "runs backwards"),
    ])
    func aBrokenExpressionNamesItsField(expression: String, expected: String) async {
        #expect {
            _ = try CronExpression(expression)
        } throws: { error in
            String(describing: error).contains(expected)
        }
    }

    @Test func theNewestFireBeforeAnInstantIsFoundWithoutWalkingFromTheStart() async throws {
        let cron = try CronExpression("*/5 * * * *")
        let newest = cron.last(after: at("2025-01-01 00:00"), through: at("2026-06-01 10:07"), in: utc)
        #expect(newest == at("2026-06-01 10:05"))
        #expect(cron.last(after: at("2026-06-01 10:05"), through: at("2026-06-01 10:07"), in: utc) == nil)
        #expect(cron.fires(after: at("2026-06-01 10:00"), through: at("2026-06-01 10:30"), in: utc, limit: 100).count == 6)
    }
}
