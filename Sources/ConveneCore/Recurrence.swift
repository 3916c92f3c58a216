public import Foundation

/// A call series' recurrence: the RRULE subset the product takes (RFC 5545 §3.3.10) — FREQ
/// WEEKLY or MONTHLY, INTERVAL, BYDAY (with ordinals in a monthly rule: `2TU`, `-1FR`),
/// BYMONTHDAY (negative counts from the month's end), COUNT, UNTIL — with EXDATEs, expanded in
/// the series' own time zone so every occurrence keeps its local wall-clock time across
/// daylight-saving changes. Pure: no clock, no store.
public struct Recurrence: Sendable, Hashable {
    public enum Frequency: String, Sendable, Hashable {
        case weekly = "WEEKLY"
        case monthly = "MONTHLY"
    }

    /// A weekday of BYDAY, with its ordinal in the month (`2TU`: 2; `-1FR`: -1; none: every one).
    public struct Weekday: Sendable, Hashable {
        /// 1 = Sunday … 7 = Saturday, as `Calendar` counts.
        public var weekday: Int
        public var ordinal: Int?
    }

    /// A local wall-clock time, minute precision.
    public struct LocalTime: Sendable, Hashable, Comparable, CustomStringConvertible {
        public var year: Int
        public var month: Int
        public var day: Int
        public var hour: Int
        public var minute: Int

        public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0) {
            (self.year, self.month, self.day, self.hour, self.minute) = (year, month, day, hour, minute)
        }

        /// `2026-09-08T16:00` (or a day alone, `2026-09-08`, at 00:00).
        public init?(_ text: String) {
            let parts = text.split(separator: "T", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count) else { return nil }
            let date = parts[0].split(separator: "-", omittingEmptySubsequences: false)
            guard date.count == 3, date[0].count == 4, date[1].count == 2, date[2].count == 2,
                let year = Int(date[0]), let month = Int(date[1]), let day = Int(date[2])
            else { return nil }
            var (hour, minute) = (0, 0)
            if parts.count == 2 {
                let time = parts[1].split(separator: ":", omittingEmptySubsequences: false)
                guard (2...3).contains(time.count), time[0].count == 2, time[1].count == 2, let h = Int(time[0]), let m = Int(time[1]),
                    (0..<24).contains(h), (0..<60).contains(m), time.count == 2 || time[2] == "00"
                else { return nil }
                (hour, minute) = (h, m)
            }
            guard (1...12).contains(month), (1...Recurrence.days(inMonth: month, year: year)).contains(day) else { return nil }
            self.init(year: year, month: month, day: day, hour: hour, minute: minute)
        }

        /// `2026-09-08T16:00`.
        public var description: String {
            String(format: "%04d-%02d-%02dT%02d:%02d", year, month, day, hour, minute)
        }

        /// `20260908T1600`, for occurrence ids.
        public var compact: String {
            String(format: "%04d%02d%02dT%02d%02d", year, month, day, hour, minute)
        }

        public static func < (lhs: LocalTime, rhs: LocalTime) -> Bool {
            (lhs.year, lhs.month, lhs.day, lhs.hour, lhs.minute) < (rhs.year, rhs.month, rhs.day, rhs.hour, rhs.minute)
        }
    }

    public var frequency: Frequency
    public var interval: Int
    public var byDay: [Weekday]
    public var byMonthDay: [Int]
    public var count: Int?
    /// The last local day (inclusive) an occurrence may start on.
    public var until: LocalTime?

    /// The most occurrences one expansion yields.
    public static let maximumOccurrences = 2_000

    public static let weekdayCodes = ["SU": 1, "MO": 2, "TU": 3, "WE": 4, "TH": 5, "FR": 6, "SA": 7]

    /// Parses `FREQ=MONTHLY;BYDAY=2TU;…`. Every rule part outside the subset, a malformed value,
    /// or COUNT with UNTIL is a `validation_failed` naming `field`.
    public init(parsing text: String, field: String = "rrule") throws(ConveneError) {
        var frequency: Frequency?
        var interval = 1
        var byDay: [Weekday] = []
        var byMonthDay: [Int] = []
        var count: Int?
        var until: LocalTime?
        var seen: Set<String> = []
        let body = text.hasPrefix("RRULE:") ? String(text.dropFirst(6)) : text
        for part in body.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, !pair[1].isEmpty else { throw .invalid(field, "“\(part)” is not NAME=VALUE.") }
            let (name, value) = (pair[0].uppercased(), pair[1].uppercased())
            guard seen.insert(name).inserted else { throw .invalid(field, "\(name) is given twice.") }
            switch name {
            case "FREQ":
                guard let parsed = Frequency(rawValue: value) else { throw .invalid(field, "FREQ must be WEEKLY or MONTHLY.") }
                frequency = parsed
            case "INTERVAL":
                guard let number = Int(value), (1...12).contains(number) else { throw .invalid(field, "INTERVAL must be 1–12.") }
                interval = number
            case "COUNT":
                guard let number = Int(value), (1...Self.maximumOccurrences).contains(number) else {
                    throw .invalid(field, "COUNT must be 1–\(Self.maximumOccurrences).")
                }
                count = number
            case "UNTIL":
                // A day (20261231) or a date-time (20261231T235959, Z or local): its day is the last.
                let digits = value.prefix(8)
                guard digits.count == 8, digits.allSatisfy(\.isNumber),
                    let day = LocalTime("\(digits.prefix(4))-\(digits.dropFirst(4).prefix(2))-\(digits.suffix(2))")
                else { throw .invalid(field, "UNTIL must be a date, YYYYMMDD.") }
                until = LocalTime(year: day.year, month: day.month, day: day.day, hour: 23, minute: 59)
            case "BYDAY":
                for item in value.split(separator: ",") {
                    let code = String(item.suffix(2))
                    guard let weekday = Self.weekdayCodes[code] else { throw .invalid(field, "“\(item)” is not a BYDAY value.") }
                    let prefix = item.dropLast(2)
                    var ordinal: Int?
                    if !prefix.isEmpty {
                        guard let number = Int(prefix), number != 0, (-5...5).contains(number) else {
                            throw .invalid(field, "A BYDAY ordinal is 1–5 or -1 – -5.")
                        }
                        ordinal = number
                    }
                    byDay.append(Weekday(weekday: weekday, ordinal: ordinal))
                }
            case "BYMONTHDAY":
                for item in value.split(separator: ",") {
                    guard let day = Int(item), day != 0, (-31...31).contains(day) else { throw .invalid(field, "BYMONTHDAY values are 1–31 or -1 – -31.") }
                    byMonthDay.append(day)
                }
            case "WKST" where value == "MO":
                break
            default:
                throw .invalid(field, "\(name) is not supported; use FREQ, INTERVAL, BYDAY, BYMONTHDAY, COUNT, UNTIL.")
            }
        }
        guard let frequency else { throw .invalid(field, "FREQ is required.") }
        if count != nil, until != nil { throw .invalid(field, "COUNT and UNTIL cannot both be given.") }
        if frequency == .weekly {
            if byDay.contains(where: { $0.ordinal != nil }) { throw .invalid(field, "A weekly rule's BYDAY takes no ordinals.") }
            if !byMonthDay.isEmpty { throw .invalid(field, "BYMONTHDAY goes with FREQ=MONTHLY.") }
        }
        if !byDay.isEmpty, !byMonthDay.isEmpty { throw .invalid(field, "Give BYDAY or BYMONTHDAY, not both.") }
        self.frequency = frequency
        self.interval = interval
        self.byDay = byDay
        self.byMonthDay = byMonthDay
        self.count = count
        self.until = until
    }

    /// The local start times the rule yields from `start` (its first, which must itself match the
    /// rule), in order, without `exdates`, up to `through` (inclusive) and the rule's own end.
    public func localStarts(from start: LocalTime, through: LocalTime, exdates: Set<LocalTime> = []) -> [LocalTime] {
        var result: [LocalTime] = []
        var produced = 0
        var period = 0
        let last = min(through, until ?? through)
        while produced < (count ?? Self.maximumOccurrences), result.count < Self.maximumOccurrences, period < 12 * 200 {
            let days = candidates(period: period, from: start)
            period += 1
            guard let firstDay = days.first else {
                if periodStart(period - 1, from: start) > last { break }
                continue
            }
            if firstDay > last { break }
            for day in days where day >= start {
                guard produced < (count ?? Self.maximumOccurrences), day <= last else { break }
                produced += 1
                if !exdates.contains(day) { result.append(day) }
            }
        }
        return result
    }

    /// Whether `start` is one of the rule's own occurrences (a series' first start must be).
    public func matches(_ start: LocalTime) -> Bool {
        candidates(period: 0, from: start).contains(start)
    }

    /// The days (at the start's time) of one period — a week or a month, `period × INTERVAL` after the start's.
    private func candidates(period: Int, from start: LocalTime) -> [LocalTime] {
        let at = { (year: Int, month: Int, day: Int) in LocalTime(year: year, month: month, day: day, hour: start.hour, minute: start.minute) }
        switch frequency {
        case .monthly:
            let monthIndex = (start.year * 12 + start.month - 1) + period * interval
            let (year, month) = (monthIndex / 12, monthIndex % 12 + 1)
            let length = Self.days(inMonth: month, year: year)
            var days: Set<Int> = []
            if !byDay.isEmpty {
                for rule in byDay {
                    let matching = (1...length).filter { Self.weekday(year: year, month: month, day: $0) == rule.weekday }
                    if let ordinal = rule.ordinal {
                        let index = ordinal > 0 ? ordinal - 1 : matching.count + ordinal
                        if matching.indices.contains(index) { days.insert(matching[index]) }
                    } else {
                        days.formUnion(matching)
                    }
                }
            } else if !byMonthDay.isEmpty {
                for day in byMonthDay {
                    let resolved = day > 0 ? day : length + day + 1
                    if (1...length).contains(resolved) { days.insert(resolved) }
                }
            } else if start.day <= length {
                days.insert(start.day)
            }
            return days.sorted().map { at(year, month, $0) }
        case .weekly:
            // Weeks begin on Monday (WKST=MO).
            let monday = Self.adding(days: -((Self.weekday(year: start.year, month: start.month, day: start.day) + 5) % 7), to: start)
            let weekStart = Self.adding(days: period * interval * 7, to: monday)
            let weekdays = byDay.isEmpty ? [Self.weekday(year: start.year, month: start.month, day: start.day)] : byDay.map(\.weekday)
            return weekdays.map { weekday in Self.adding(days: (weekday + 5) % 7, to: weekStart) }.sorted().map { at($0.year, $0.month, $0.day) }
        }
    }

    private func periodStart(_ period: Int, from start: LocalTime) -> LocalTime {
        switch frequency {
        case .monthly:
            let monthIndex = (start.year * 12 + start.month - 1) + period * interval
            return LocalTime(year: monthIndex / 12, month: monthIndex % 12 + 1, day: 1)
        case .weekly:
            return Self.adding(days: period * interval * 7, to: start)
        }
    }

    // MARK: Calendar arithmetic on the proleptic Gregorian calendar, free of any time zone

    private static let gregorian: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// 1 = Sunday … 7 = Saturday.
    static func weekday(year: Int, month: Int, day: Int) -> Int {
        gregorian.component(.weekday, from: gregorian.date(from: DateComponents(year: year, month: month, day: day))!)
    }

    static func adding(days: Int, to time: LocalTime) -> LocalTime {
        let date = gregorian.date(byAdding: .day, value: days, to: gregorian.date(from: DateComponents(year: time.year, month: time.month, day: time.day))!)!
        let parts = gregorian.dateComponents([.year, .month, .day], from: date)
        return LocalTime(year: parts.year!, month: parts.month!, day: parts.day!, hour: time.hour, minute: time.minute)
    }

    /// The instant a local time names in `zone`. A time that a spring-forward gap skips is taken
    /// as the same wall time after the gap (16:00 never falls in one; 02:30 can).
    public static func instant(_ time: LocalTime, in zone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let components = DateComponents(year: time.year, month: time.month, day: time.day, hour: time.hour, minute: time.minute)
        return calendar.date(from: components)!
    }
}

/// One meeting of a call series.
public struct Occurrence: Sendable, Hashable {
    public enum Status: String, Sendable, Codable {
        case scheduled, cancelled
    }

    /// `{series id}-{original local start, YYYYMMDDTHHMM}`: stable while the series' start and
    /// rule stand, and kept when the occurrence moves.
    public var id: String
    public var seriesID: Int64
    /// The start the rule gave it, on the series' own clock.
    public var originalStart: Recurrence.LocalTime
    /// The start now (moved by an override, or as the rule gave it).
    public var localStart: Recurrence.LocalTime
    public var startsAt: Date
    public var endsAt: Date
    public var status: Status
    /// 0, raised by each override (iCalendar's SEQUENCE).
    public var sequence: Int

    public init(
        id: String, seriesID: Int64, originalStart: Recurrence.LocalTime, localStart: Recurrence.LocalTime, startsAt: Date, endsAt: Date,
        status: Status = .scheduled, sequence: Int = 0
    ) {
        self.id = id
        self.seriesID = seriesID
        self.originalStart = originalStart
        self.localStart = localStart
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.status = status
        self.sequence = sequence
    }

    /// The series and original start an occurrence id names.
    public static func parse(id: String) -> (seriesID: Int64, originalStart: Recurrence.LocalTime)? {
        let parts = id.split(separator: "-")
        guard parts.count == 2, let series = Int64(parts[0]), parts[1].count == 13 else { return nil }
        let text = parts[1]
        let local = "\(text.prefix(4))-\(text.dropFirst(4).prefix(2))-\(text.dropFirst(6).prefix(2))T\(text.dropFirst(9).prefix(2)):\(text.suffix(2))"
        guard text.dropFirst(8).first == "T", let start = Recurrence.LocalTime(local) else { return nil }
        return (series, start)
    }
}

/// One occurrence moved to another start, or cancelled.
public struct OccurrenceOverride: Sendable, Hashable {
    public var seriesID: Int64
    public var originalStart: Recurrence.LocalTime
    /// The new local start; nil when not moved.
    public var start: Recurrence.LocalTime?
    public var cancelled: Bool
    public var sequence: Int
    public var updatedAt: Date

    public init(seriesID: Int64, originalStart: Recurrence.LocalTime, start: Recurrence.LocalTime?, cancelled: Bool, sequence: Int, updatedAt: Date) {
        self.seriesID = seriesID
        self.originalStart = originalStart
        self.start = start
        self.cancelled = cancelled
        self.sequence = sequence
        self.updatedAt = updatedAt
    }
}

extension CallSeries {
    /// The series' zone, first start and rule (its `until` folded in), or `validation_failed`
    /// naming the field that does not parse.
    public func schedule() throws(ConveneError) -> (zone: TimeZone, start: Recurrence.LocalTime, rule: Recurrence, exdates: Set<Recurrence.LocalTime>) {
        guard let zone = TimeZone(identifier: timezone) else { throw .invalid("timezone", "\(timezone) is not an IANA time zone.") }
        guard let start = Recurrence.LocalTime(dtstart) else { throw .invalid("dtstart", "dtstart must be a local time, YYYY-MM-DDTHH:MM.") }
        var rule = try Recurrence(parsing: rrule)
        if let until {
            guard let day = Recurrence.LocalTime(until) else { throw .invalid("until", "until must be a day, YYYY-MM-DD.") }
            let end = Recurrence.LocalTime(year: day.year, month: day.month, day: day.day, hour: 23, minute: 59)
            rule.until = min(rule.until ?? end, end)
        }
        var excluded: Set<Recurrence.LocalTime> = []
        for (index, text) in exdates.enumerated() {
            guard let day = Recurrence.LocalTime(text) else { throw .invalid("exdates[\(index)]", "An exdate is a local start, YYYY-MM-DDTHH:MM.") }
            excluded.insert(day)
        }
        return (zone, start, rule, excluded)
    }

    /// How far an override may move an occurrence from the start the rule gave it.
    public static let longestMove: TimeInterval = 60 * 86_400

    /// The series' occurrences that start in `from..<to` (after `overrides` moved or cancelled
    /// some), in order of their starts; cancelled ones are listed as such.
    public func occurrences(from: Date, to: Date, overrides: [OccurrenceOverride] = []) throws(ConveneError) -> [Occurrence] {
        let (zone, start, rule, exdates) = try schedule()
        // A moved occurrence may come from up to `longestMove` outside the window.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let last = calendar.dateComponents([.year, .month, .day], from: to.addingTimeInterval(86_400 + Self.longestMove))
        let through = Recurrence.LocalTime(year: last.year!, month: last.month!, day: last.day!, hour: 23, minute: 59)
        let changes = Dictionary(overrides.map { ($0.originalStart, $0) }, uniquingKeysWith: { $1 })
        return rule.localStarts(from: start, through: through, exdates: exdates).compactMap { original in
            let occurrence = occurrence(original, in: zone, change: changes[original])
            return occurrence.startsAt >= from && occurrence.startsAt < to ? occurrence : nil
        }.sorted { ($0.startsAt, $0.id) < ($1.startsAt, $1.id) }
    }

    /// The occurrence the rule puts at `original`, where `change` (its override, if any) moved it
    /// and whether it cancelled it.
    public func occurrence(_ original: Recurrence.LocalTime, in zone: TimeZone, change: OccurrenceOverride?) -> Occurrence {
        let local = change?.start ?? original
        let startsAt = Recurrence.instant(local, in: zone)
        return Occurrence(
            id: "\(id)-\(original.compact)", seriesID: id, originalStart: original, localStart: local, startsAt: startsAt,
            endsAt: startsAt.addingTimeInterval(TimeInterval(durationMinutes * 60)), status: change?.cancelled == true ? .cancelled : .scheduled,
            sequence: change?.sequence ?? 0)
    }
}

/// A member's answer to a call: for one occurrence, or for the whole series (`occurrence` nil),
/// which an occurrence's own answer overrides.
public struct RSVP: Sendable, Hashable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case going, maybe, declined
    }

    public var seriesID: Int64
    /// The occurrence's original local start; nil for the whole series.
    public var occurrence: Recurrence.LocalTime?
    public var userID: Int64
    public var status: Status
    /// When the member last said going: the order of the waitlist.
    public var goingSince: Date?
    public var updatedAt: Date

    public init(seriesID: Int64, occurrence: Recurrence.LocalTime?, userID: Int64, status: Status, goingSince: Date?, updatedAt: Date) {
        self.seriesID = seriesID
        self.occurrence = occurrence
        self.userID = userID
        self.status = status
        self.goingSince = goingSince
        self.updatedAt = updatedAt
    }

    /// Where each member stands for one occurrence: their answer (the occurrence's own, else the
    /// series'), and — when the series has a capacity — whether their going waits for a place:
    /// the first `capacity` to have said going hold the places, the rest wait in that order and
    /// move up as soon as one of them declines.
    public struct Standing: Sendable, Hashable {
        public var status: Status
        public var waitlisted: Bool
        /// 1-based place in the waitlist.
        public var waitlistPosition: Int?
    }

    public static func standings(_ rsvps: [RSVP], occurrence: Recurrence.LocalTime, capacity: Int?) -> [Int64: Standing] {
        var effective: [Int64: RSVP] = [:]
        for rsvp in rsvps where rsvp.occurrence == nil { effective[rsvp.userID] = rsvp }
        for rsvp in rsvps where rsvp.occurrence == occurrence { effective[rsvp.userID] = rsvp }
        var standings = effective.mapValues { Standing(status: $0.status, waitlisted: false) }
        let going = effective.values.filter { $0.status == .going }
            .sorted { ($0.goingSince ?? $0.updatedAt, $0.userID) < ($1.goingSince ?? $1.updatedAt, $1.userID) }
        if let capacity {
            for (index, rsvp) in going.enumerated() where index >= capacity {
                standings[rsvp.userID] = Standing(status: .going, waitlisted: true, waitlistPosition: index - capacity + 1)
            }
        }
        return standings
    }
}

/// An occurrence's agenda (its facilitators write it) or notes (its participants do): every save
/// is a revision, numbered from 1.
public struct OccurrenceText: Sendable, Hashable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case agenda, notes
    }

    public var kind: Kind
    public var number: Int
    public var body: String
    public var editorID: Int64
    public var editorName: String
    public var createdAt: Date

    public init(kind: Kind, number: Int, body: String, editorID: Int64, editorName: String, createdAt: Date) {
        self.kind = kind
        self.number = number
        self.body = body
        self.editorID = editorID
        self.editorName = editorName
        self.createdAt = createdAt
    }
}
