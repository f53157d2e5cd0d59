public import Foundation

/// A five-field cron expression (`minute hour day-of-month month day-of-week`) read in an
/// explicit time zone: each field is `*`, a number, a range `a-b`, a step `*/n`, `a-b/n` or
/// `a/n`, or a list of those; months may be `JAN`…`DEC` and days `SUN`…`SAT` (0 and 7 are both
/// Sunday). As in Vixie cron, when both day fields are restricted (neither starts with `*`) a
/// day matches either; `@hourly`, `@daily`, `@weekly`, `@monthly` and `@yearly` stand for their
/// usual expressions.
///
/// Fires are computed in the zone's local time (Foundation's `TimeZone`), with daylight-saving
/// changes handled as Vixie cron and cronie do for fixed times: a local time that a
/// spring-forward skips fires once, at the first instant after the gap; a local time an autumn
/// change repeats fires once, at its first occurrence.
///
/// ```swift
/// let nightly = try CronExpression("30 2 * * MON-FRI")
/// let next = nightly.next(after: Date(), in: TimeZone(identifier: "Europe/Berlin")!)
/// ```
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    /// Why a cron expression cannot be read: which field, and what is wrong.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// What is wrong, naming the field.
        public var description: String
    }

    /// The expression as written.
    public let text: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    /// Days of the week, 0 (Sunday) to 6.
    let weekdays: Set<Int>
    let daysRestricted: Bool
    let weekdaysRestricted: Bool

    /// The expression as written.
    public var description: String { text }

    private static let macros = [
        "@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *",
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
    ]
    private static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    private static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    /// Reads `text`; throws `Problem` naming the field that is wrong.
    public init(_ text: String) throws(Problem) {
        self.text = text
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let expanded = Self.macros[trimmed.lowercased()] ?? trimmed
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw Problem(description: "expected 5 fields (minute hour day-of-month month day-of-week), found \(fields.count) in '\(text)'")
        }
        minutes = try Self.field(fields[0], name: "minute", range: 0...59, names: [])
        hours = try Self.field(fields[1], name: "hour", range: 0...23, names: [])
        days = try Self.field(fields[2], name: "day-of-month", range: 1...31, names: [])
        months = try Self.field(fields[3], name: "month", range: 1...12, names: Self.monthNames, firstName: 1)
        let weekdays = try Self.field(fields[4], name: "day-of-week", range: 0...7, names: Self.dayNames, firstName: 0)
        self.weekdays = Set(weekdays.map { $0 % 7 })
        daysRestricted = !fields[2].hasPrefix("*")
        weekdaysRestricted = !fields[4].hasPrefix("*")
    }

    /// The values one field allows.
    private static func field(_ text: String, name: String, range: ClosedRange<Int>, names: [String], firstName: Int = 0) throws(Problem) -> Set<Int> {
        func value(_ word: Substring) throws(Problem) -> Int {
            if let number = Int(word), range.contains(number) { return number }
            if let index = names.firstIndex(of: word.uppercased()) { return index + firstName }
            let accepted = names.isEmpty ? "" : " or \(names.first!)…\(names.last!)"
            throw Problem(description: "the \(name) field '\(text)': '\(word)' is not \(range.lowerBound)…\(range.upperBound)\(accepted)")
        }
        var values: Set<Int> = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2, !parts[0].isEmpty else {
                throw Problem(description: "the \(name) field '\(text)': '\(item)' is not a value, range or step")
            }
            var step = 1
            if parts.count == 2 {
                guard let number = Int(parts[1]), number > 0 else {
                    throw Problem(description: "the \(name) field '\(text)': the step '\(parts[1])' is not a whole number above 0")
                }
                step = number
            }
            var low: Int
            var high: Int
            if parts[0] == "*" {
                (low, high) = (range.lowerBound, range.upperBound)
            } else if let dash = parts[0].firstIndex(of: "-") {
                low = try value(parts[0][..<dash])
                high = try value(parts[0][parts[0].index(after: dash)...])
                guard low <= high else { throw Problem(description: "the \(name) field '\(text)': the range '\(parts[0])' runs backwards") }
            } else {
                low = try value(parts[0])
                // `a/n` runs from a to the end of the field.
                high = parts.count == 2 ? range.upperBound : low
            }
            values.formUnion(stride(from: low, through: high, by: step))
        }
        return values
    }

    /// Whether the expression names this local day (`weekday` 0 is Sunday).
    func matches(day: Int, month: Int, weekday: Int) -> Bool {
        guard months.contains(month) else { return false }
        switch (daysRestricted, weekdaysRestricted) {
        case (true, true): return days.contains(day) || weekdays.contains(weekday)
        case (true, false): return days.contains(day)
        case (false, true): return weekdays.contains(weekday)
        case (false, false): return true
        }
    }

    /// The first fire strictly after `instant`, in `zone`; nil when none comes within eight
    /// years (`0 0 30 2 *` never fires).
    public func next(after instant: Date, in zone: TimeZone) -> Date? {
        let after = Int64(floor(instant.timeIntervalSince1970))
        var wall = LocalTime(seconds: after + Int64(zone.secondsFromGMT(for: instant))).nextMinute()
        let limit = wall.year + 8
        while wall.year <= limit {
            guard let found = nextWallTime(from: wall, limit: limit) else { return nil }
            // A wall time maps to the instant it names (the first of two in a repeated hour, the
            // end of the gap in a skipped one); one at or before `instant` (a repeated hour's
            // second pass, or a gap whose end came already) is passed over.
            let fire = Self.instant(of: found, in: zone)
            if fire > after { return Date(timeIntervalSince1970: TimeInterval(fire)) }
            wall = found.nextMinute()
        }
        return nil
    }

    /// The fires after `start` and at or before `end`, oldest first, at most `limit`.
    public func fires(after start: Date, through end: Date, in zone: TimeZone, limit: Int) -> [Date] {
        var fires: [Date] = []
        var cursor = start
        while fires.count < limit, let fire = next(after: cursor, in: zone), fire <= end {
            fires.append(fire)
            cursor = fire
        }
        return fires
    }

    /// The newest fire at or before `end` and after `start`, found by looking back over growing
    /// windows (a day, a month, a year, eight years) rather than walking from `start`.
    public func last(after start: Date, through end: Date, in zone: TimeZone) -> Date? {
        for window: TimeInterval in [86_400, 32 * 86_400, 367 * 86_400, 8 * 367 * 86_400] {
            let from = max(start, end.addingTimeInterval(-window))
            var newest: Date?
            var cursor = from
            while let fire = next(after: cursor, in: zone), fire <= end {
                newest = fire
                cursor = fire
            }
            if newest != nil || from == start { return newest }
        }
        return nil
    }

    /// The first matching local wall time at or after `start`, searched field by field.
    private func nextWallTime(from start: LocalTime, limit: Int) -> LocalTime? {
        var time = start
        while time.year <= limit {
            guard months.contains(time.month) else {
                time = time.month == 12 ? LocalTime(year: time.year + 1, month: 1, day: 1) : LocalTime(year: time.year, month: time.month + 1, day: 1)
                continue
            }
            guard time.day <= LocalTime.days(inMonth: time.month, year: time.year),
                matches(day: time.day, month: time.month, weekday: time.weekday)
            else {
                time = time.nextDay()
                continue
            }
            guard let hour = hours.filter({ $0 >= time.hour }).min() else {
                time = time.nextDay()
                continue
            }
            if hour > time.hour {
                time.hour = hour
                time.minute = 0
            }
            guard let minute = minutes.filter({ $0 >= time.minute }).min() else {
                time.minute = 0
                if time.hour == 23 { time = time.nextDay() } else { time.hour += 1 }
                continue
            }
            time.minute = minute
            return time
        }
        return nil
    }

    /// The instant (seconds since 1970) a local wall time names in `zone`: the earlier of two in
    /// a repeated hour, the first instant after the gap for a time a spring-forward skips.
    static func instant(of wall: LocalTime, in zone: TimeZone) -> Int64 {
        let naive = wall.seconds
        // The offsets in force half a day either side: a zone changes its offset at most once in a day.
        let offsets = [naive - 43_200, naive + 43_200].map { Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval($0)))) }
        let valid = Set(offsets).map { naive - $0 }.filter { candidate in
            Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(candidate)))) == naive - candidate
        }
        if let first = valid.min() { return first }
        // In a gap: the change happens between the two readings; find its instant.
        let before = offsets[0]
        var low = naive - offsets.max()!
        var high = naive - offsets.min()!
        while high - low > 1 {
            let middle = (low + high) / 2
            if Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(middle)))) == before { low = middle } else { high = middle }
        }
        return high
    }
}

/// A local wall-clock time to the minute, with the calendar arithmetic cron needs (proleptic
/// Gregorian), free of any time zone.
struct LocalTime: Equatable {
    var year: Int
    var month: Int
    var day: Int
    var hour = 0
    var minute = 0

    init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
    }

    /// The wall time `seconds` after 1970-01-01 00:00, seconds dropped.
    init(seconds: Int64) {
        let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
        let rest = Int(seconds - Int64(days) * 86_400)
        (year, month, day) = Self.civil(fromDays: days)
        hour = rest / 3600
        minute = rest % 3600 / 60
    }

    /// Seconds after 1970-01-01 00:00 of this wall time, read as if it were UTC.
    var seconds: Int64 { Int64(Self.days(year: year, month: month, day: day)) * 86_400 + Int64(hour * 3600 + minute * 60) }

    /// 0 for Sunday … 6 for Saturday.
    var weekday: Int {
        let days = Self.days(year: year, month: month, day: day)
        return ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday (4)
    }

    func nextMinute() -> LocalTime { LocalTime(seconds: seconds + 60) }

    func nextDay() -> LocalTime {
        var next = LocalTime(seconds: Int64(Self.days(year: year, month: month, day: day) + 1) * 86_400)
        next.hour = 0
        next.minute = 0
        return next
    }

    static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date `days` after 1970-01-01.
    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
