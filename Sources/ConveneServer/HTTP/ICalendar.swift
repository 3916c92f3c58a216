import ConveneCore
import Foundation

/// An iCalendar feed (RFC 5545) of call series: one recurring VEVENT per series (RRULE, EXDATE)
/// and one per moved or cancelled occurrence (RECURRENCE-ID, SEQUENCE, STATUS), each zone's
/// VTIMEZONE built from the zone's own transitions. Written as content lines: escaped, folded at
/// 75 octets, ended by CRLF.
struct ICalendar {
    var name: String
    var timezone: String
    var series: [(CallSeries, [OccurrenceOverride])]

    static let contentType = "text/calendar; charset=utf-8"

    func text() throws(ConveneError) -> String {
        var lines = [
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Convene//Calls//EN", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
            "X-WR-CALNAME:" + Self.escape(name), "X-WR-TIMEZONE:" + timezone, "REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-PUBLISHED-TTL:PT1H",
        ]
        var zones: [String: (from: Date, to: Date)] = [:]
        var events: [String] = []
        for (series, overrides) in series {
            let (zone, start, rule, exdates) = try series.schedule()
            let first = Recurrence.instant(start, in: zone)
            // A series without an end gets its zone's changes for ten years.
            let last = rule.until.map { Recurrence.instant($0, in: zone) } ?? first.addingTimeInterval(10 * 366 * 86_400)
            let span = zones[zone.identifier]
            zones[zone.identifier] = (min(span?.from ?? first, first), max(span?.to ?? last, last))
            let duration = TimeInterval(series.durationMinutes * 60)
            let tzid = "TZID=" + zone.identifier
            events += [
                "BEGIN:VEVENT", "UID:" + Self.uid(series), "DTSTAMP:" + Self.utc(series.createdAt),
                "DTSTART;\(tzid):" + Self.local(start), "DTEND;\(tzid):" + Self.local(Recurrence.instant(start, in: zone).addingTimeInterval(duration), in: zone),
                "RRULE:" + Self.rrule(rule, zone: zone),
            ]
            if !exdates.isEmpty { events.append("EXDATE;\(tzid):" + exdates.sorted().map(Self.local).joined(separator: ",")) }
            events += Self.texts(series) + ["SEQUENCE:0", "STATUS:CONFIRMED", "END:VEVENT"]
            for change in overrides where !exdates.contains(change.originalStart) {
                let moved = change.start ?? change.originalStart
                let startsAt = Recurrence.instant(moved, in: zone)
                events += [
                    "BEGIN:VEVENT", "UID:" + Self.uid(series), "DTSTAMP:" + Self.utc(change.updatedAt),
                    "RECURRENCE-ID;\(tzid):" + Self.local(change.originalStart), "DTSTART;\(tzid):" + Self.local(moved),
                    "DTEND;\(tzid):" + Self.local(startsAt.addingTimeInterval(duration), in: zone),
                ]
                events += Self.texts(series) + ["SEQUENCE:\(change.sequence)", "STATUS:" + (change.cancelled ? "CANCELLED" : "CONFIRMED"), "END:VEVENT"]
            }
        }
        for (identifier, span) in zones.sorted(by: { $0.key < $1.key }) {
            lines += Self.vtimezone(TimeZone(identifier: identifier)!, from: span.from.addingTimeInterval(-366 * 86_400), to: span.to.addingTimeInterval(366 * 86_400))
        }
        lines += events
        lines.append("END:VCALENDAR")
        return lines.map(Self.fold).joined(separator: "\r\n") + "\r\n"
    }

    static func uid(_ series: CallSeries) -> String { "call-series-\(series.id)@convene" }

    static func texts(_ series: CallSeries) -> [String] {
        var texts = ["SUMMARY:" + escape(series.title)]
        if !series.description.isEmpty { texts.append("DESCRIPTION:" + escape(series.description)) }
        return texts
    }

    /// The rule as RFC 5545 writes it beside a DTSTART with a TZID: UNTIL in UTC.
    static func rrule(_ rule: Recurrence, zone: TimeZone) -> String {
        var parts = ["FREQ=" + rule.frequency.rawValue]
        if rule.interval != 1 { parts.append("INTERVAL=\(rule.interval)") }
        let codes = Dictionary(uniqueKeysWithValues: Recurrence.weekdayCodes.map { ($1, $0) })
        if !rule.byDay.isEmpty {
            parts.append("BYDAY=" + rule.byDay.map { ($0.ordinal.map(String.init) ?? "") + codes[$0.weekday]! }.joined(separator: ","))
        }
        if !rule.byMonthDay.isEmpty { parts.append("BYMONTHDAY=" + rule.byMonthDay.map(String.init).joined(separator: ",")) }
        if let count = rule.count { parts.append("COUNT=\(count)") }
        if let until = rule.until { parts.append("UNTIL=" + utc(Recurrence.instant(until, in: zone))) }
        return parts.joined(separator: ";")
    }

    /// A zone's observances over a span: each change of offset as its own STANDARD or DAYLIGHT
    /// component, after one that holds from 1970 with the offset before the first change.
    static func vtimezone(_ zone: TimeZone, from: Date, to: Date) -> [String] {
        var lines = ["BEGIN:VTIMEZONE", "TZID:" + zone.identifier]
        var transitions: [Date] = []
        var cursor = from
        while let next = zone.nextDaylightSavingTimeTransition(after: cursor), next < to {
            transitions.append(next)
            cursor = next
        }
        let initial = (transitions.first ?? from).addingTimeInterval(-1)
        let initialOffset = zone.secondsFromGMT(for: initial)
        lines += observance(
            zone.isDaylightSavingTime(for: initial) ? "DAYLIGHT" : "STANDARD", start: "19700101T000000", from: initialOffset, to: initialOffset,
            name: zone.abbreviation(for: initial))
        for transition in transitions {
            let before = zone.secondsFromGMT(for: transition.addingTimeInterval(-1))
            let after = zone.secondsFromGMT(for: transition)
            lines += observance(
                zone.isDaylightSavingTime(for: transition) ? "DAYLIGHT" : "STANDARD", start: local(transition, offset: before), from: before, to: after,
                name: zone.abbreviation(for: transition))
        }
        lines.append("END:VTIMEZONE")
        return lines
    }

    private static func observance(_ kind: String, start: String, from: Int, to: Int, name: String?) -> [String] {
        var lines = ["BEGIN:" + kind, "DTSTART:" + start, "TZOFFSETFROM:" + offset(from), "TZOFFSETTO:" + offset(to)]
        if let name { lines.append("TZNAME:" + escape(name)) }
        lines.append("END:" + kind)
        return lines
    }

    /// `-0500`.
    static func offset(_ seconds: Int) -> String {
        let minutes = abs(seconds) / 60
        return (seconds < 0 ? "-" : "+") + String(format: "%02d%02d", minutes / 60, minutes % 60)
    }

    /// `20260908T160000` for a local time.
    static func local(_ time: Recurrence.LocalTime) -> String {
        String(format: "%04d%02d%02dT%02d%02d00", time.year, time.month, time.day, time.hour, time.minute)
    }

    /// The wall-clock time an instant shows in a zone.
    static func local(_ date: Date, in zone: TimeZone) -> String {
        local(date, offset: zone.secondsFromGMT(for: date))
    }

    static func local(_ date: Date, offset: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date.addingTimeInterval(TimeInterval(offset)))
        return String(format: "%04d%02d%02dT%02d%02d%02d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!)
    }

    /// `20260908T200000Z`.
    static func utc(_ date: Date) -> String {
        local(date, offset: 0) + "Z"
    }

    /// TEXT escaping: backslash, semicolon, comma, and line breaks as `\n`.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\n", "\r\n", "\r": out += "\\n"
            default:
                if character.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) { out.append(character) }
            }
        }
        return out
    }

    /// A content line folded so no line is longer than 75 octets, never inside a UTF-8 sequence;
    /// each continuation begins with a space.
    static func fold(_ line: String) -> String {
        var lines: [String] = []
        var current = ""
        var octets = 0
        for scalar in line.unicodeScalars {
            let size = String(scalar).utf8.count
            if octets + size > 75 {
                lines.append(current)
                current = " "
                octets = 1
            }
            current.unicodeScalars.append(scalar)
            octets += size
        }
        lines.append(current)
        return lines.joined(separator: "\r\n")
    }
}
