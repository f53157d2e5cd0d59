import Foundation

/// cookiecutter's `{% now %}`: arrow's `now(timezone)`, shifted, then Python's `strftime`.
enum Clock {
    static func format(_ date: Date, timezone: String, shift: (sign: String, text: String)?, format: String) throws -> String {
        let zone: TimeZone? =
            switch timezone.lowercased() {
            case "utc", "z": TimeZone(identifier: "UTC")
            case "local": TimeZone.current
            default: TimeZone(identifier: timezone)
            }
        guard let zone else { throw TemplateError.type("unknown time zone '\(timezone)'") }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var moment = date
        if let shift {
            for parameter in shift.text.split(separator: ",") {
                let parts = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, let amount = Double(parts[1]) else {
                    throw TemplateError.type("bad time shift '\(parameter)'; use for example 'days=1, hours=2'")
                }
                guard abs(amount) < 1e7 else { throw TemplateError.type("time shift '\(parameter)' is out of range") }
                let signed = shift.sign == "-" ? -amount : amount
                let unit: Calendar.Component? =
                    switch parts[0] {
                    case "years": .year
                    case "months": .month
                    case "weeks": .weekOfYear
                    case "days": .day
                    case "hours": .hour
                    case "minutes": .minute
                    case "seconds": .second
                    default: nil
                    }
                guard let unit else { throw TemplateError.type("unknown time shift unit '\(parts[0])'") }
                if [.year, .month].contains(unit) {
                    moment = calendar.date(byAdding: unit, value: Int(signed), to: moment) ?? moment
                } else {
                    let seconds: Double =
                        switch unit {
                        case .weekOfYear: 604_800
                        case .day: 86_400
                        case .hour: 3_600
                        case .minute: 60
                        default: 1
                        }
                    moment = moment.addingTimeInterval(signed * seconds)
                }
            }
        }
        return strftime(moment, format, calendar: calendar)
    }

    static func strftime(_ date: Date, _ format: String, calendar: Calendar) -> String {
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday, .nanosecond], from: date)
        let year = parts.year ?? 1970
        let month = parts.month ?? 1
        let day = parts.day ?? 1
        let hour = parts.hour ?? 0
        let minute = parts.minute ?? 0
        let second = parts.second ?? 0
        let weekday = (parts.weekday ?? 1) - 1  // 0 = Sunday
        let dayOfYear = calendar.ordinality(of: .day, in: .year, for: date) ?? 1
        let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
        let days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let offset = calendar.timeZone.secondsFromGMT(for: date)
        var out = ""
        var scalars = format.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == "%", let code = scalars.next() else {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch code {
            case "Y": out += String(year)
            case "y": out += two(year % 100)
            case "m": out += two(month)
            case "d": out += two(day)
            case "e": out += day < 10 ? " \(day)" : "\(day)"
            case "H": out += two(hour)
            case "I": out += two(hour % 12 == 0 ? 12 : hour % 12)
            case "M": out += two(minute)
            case "S": out += two(second)
            case "f": out += String(format: "%06d", (parts.nanosecond ?? 0) / 1000)
            case "p": out += hour < 12 ? "AM" : "PM"
            case "B": out += months[month - 1]
            case "b", "h": out += String(months[month - 1].prefix(3))
            case "A": out += days[weekday]
            case "a": out += String(days[weekday].prefix(3))
            case "w": out += String(weekday)
            case "j": out += String(format: "%03d", dayOfYear)
            case "z": out += (offset < 0 ? "-" : "+") + two(abs(offset) / 3600) + two(abs(offset) % 3600 / 60)
            case "Z": out += calendar.timeZone.identifier == "UTC" ? "UTC" : (calendar.timeZone.abbreviation(for: date) ?? "")
            case "F": out += "\(year)-\(two(month))-\(two(day))"
            case "T": out += "\(two(hour)):\(two(minute)):\(two(second))"
            case "%": out += "%"
            default: out += "%" + String(code)
            }
        }
        return out
    }
}
