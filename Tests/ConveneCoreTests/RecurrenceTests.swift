import ConveneCore
import Foundation
import Testing

@Suite("Recurrence")
struct RecurrenceTests {
    typealias Local = Recurrence.LocalTime

    static func local(_ text: String) -> Local { Local(text)! }
    static func utc(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    static func series(_ rrule: String, dtstart: String, zone: String = "America/New_York", until: String? = nil, minutes: Int = 60) -> CallSeries {
        CallSeries(
            id: 7, communityID: 1, title: "Call", description: "", timezone: zone, dtstart: dtstart, durationMinutes: minutes, rrule: rrule, until: until,
            semester: nil)
    }

    @Test("the second Tuesday of each month keeps 16:00 local across the November change of clocks")
    func secondTuesdayAcrossDST() throws {
        let series = Self.series("FREQ=MONTHLY;BYDAY=2TU", dtstart: "2026-09-08T16:00", until: "2026-12-31", minutes: 90)
        let occurrences = try series.occurrences(from: Self.utc("2026-01-01T00:00:00Z"), to: Self.utc("2028-01-01T00:00:00Z"))
        #expect(occurrences.map(\.localStart.description) == ["2026-09-08T16:00", "2026-10-13T16:00", "2026-11-10T16:00", "2026-12-08T16:00"])
        #expect(occurrences[0].startsAt == Self.utc("2026-09-08T20:00:00Z"), "EDT, UTC−4")
        #expect(occurrences[2].startsAt == Self.utc("2026-11-10T21:00:00Z"), "EST, UTC−5")
        #expect(occurrences[2].endsAt == Self.utc("2026-11-10T22:30:00Z"))
        #expect(occurrences.map(\.id) == ["7-20260908T1600", "7-20261013T1600", "7-20261110T1600", "7-20261208T1600"])
    }

    @Test("the last Friday of each month, COUNT 4, across the March change of clocks")
    func lastFriday() throws {
        let series = Self.series("FREQ=MONTHLY;BYDAY=-1FR;COUNT=4", dtstart: "2027-01-29T09:30")
        let occurrences = try series.occurrences(from: Self.utc("2027-01-01T00:00:00Z"), to: Self.utc("2028-01-01T00:00:00Z"))
        #expect(occurrences.map(\.localStart.description) == ["2027-01-29T09:30", "2027-02-26T09:30", "2027-03-26T09:30", "2027-04-30T09:30"])
        #expect(occurrences[1].startsAt == Self.utc("2027-02-26T14:30:00Z"))
        #expect(occurrences[2].startsAt == Self.utc("2027-03-26T13:30:00Z"))
    }

    @Test("an EXDATE removes one occurrence and still counts toward COUNT; the window picks the same ids as the whole")
    func exdatesAndWindows() throws {
        var series = Self.series("FREQ=MONTHLY;BYDAY=2TU;COUNT=4", dtstart: "2026-09-08T16:00")
        series.exdates = ["2026-10-13T16:00"]
        let all = try series.occurrences(from: Self.utc("2026-01-01T00:00:00Z"), to: Self.utc("2028-01-01T00:00:00Z"))
        #expect(all.map(\.localStart.description) == ["2026-09-08T16:00", "2026-11-10T16:00", "2026-12-08T16:00"])
        series.exdates = []
        let window = try series.occurrences(from: Self.utc("2026-11-01T00:00:00Z"), to: Self.utc("2026-12-01T00:00:00Z"))
        #expect(window.map(\.id) == ["7-20261110T1600"])
        #expect(try series.occurrences(from: Self.utc("2026-11-10T21:00:00Z"), to: Self.utc("2026-11-10T21:00:01Z")).count == 1, "from is inclusive")
        #expect(try series.occurrences(from: Self.utc("2026-11-10T20:00:00Z"), to: Self.utc("2026-11-10T21:00:00Z")).isEmpty, "to is exclusive")
    }

    @Test("weekly on Mondays and Wednesdays every other week, Mondays starting the week")
    func weekly() throws {
        let rule = try Recurrence(parsing: "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE,MO;COUNT=5")
        #expect(rule.localStarts(from: Self.local("2026-09-07T15:00"), through: Self.local("2027-12-31T00:00")).map(\.description) == [
            "2026-09-07T15:00", "2026-09-09T15:00", "2026-09-21T15:00", "2026-09-23T15:00", "2026-10-05T15:00",
        ])
        let plain = try Recurrence(parsing: "FREQ=WEEKLY")
        #expect(plain.localStarts(from: Self.local("2026-12-27T10:00"), through: Self.local("2027-01-10T10:00")).map(\.description) == [
            "2026-12-27T10:00", "2027-01-03T10:00", "2027-01-10T10:00",
        ], "a Sunday start, across the year's end")
    }

    @Test("BYMONTHDAY counts from either end and skips months without the day; a fifth Friday only where there is one")
    func monthDays() throws {
        let last = try Recurrence(parsing: "FREQ=MONTHLY;BYMONTHDAY=-1")
        #expect(last.localStarts(from: Self.local("2028-01-31T12:00"), through: Self.local("2028-04-30T12:00")).map(\.description) == [
            "2028-01-31T12:00", "2028-02-29T12:00", "2028-03-31T12:00", "2028-04-30T12:00",
        ])
        let thirtyFirst = try Recurrence(parsing: "FREQ=MONTHLY;BYMONTHDAY=31;COUNT=3")
        #expect(thirtyFirst.localStarts(from: Self.local("2026-01-31T12:00"), through: Self.local("2027-12-31T12:00")).map(\.description) == [
            "2026-01-31T12:00", "2026-03-31T12:00", "2026-05-31T12:00",
        ])
        let fifthFriday = try Recurrence(parsing: "FREQ=MONTHLY;BYDAY=5FR;COUNT=3")
        #expect(fifthFriday.localStarts(from: Self.local("2026-01-30T09:00"), through: Self.local("2027-12-31T12:00")).map(\.description) == [
            "2026-01-30T09:00", "2026-05-29T09:00", "2026-07-31T09:00",
        ])
        let quarterly = try Recurrence(parsing: "FREQ=MONTHLY;INTERVAL=3;BYDAY=1WE;UNTIL=20270401")
        #expect(quarterly.localStarts(from: Self.local("2026-10-07T08:00"), through: Self.local("2030-01-01T00:00")).map(\.description) == [
            "2026-10-07T08:00", "2027-01-06T08:00",
        ])
    }

    @Test("an override moves an occurrence (keeping its id, listed in its new place, found from a window it moved into) or cancels it")
    func overrides() throws {
        let series = Self.series("FREQ=MONTHLY;BYDAY=2TU;COUNT=4", dtstart: "2026-09-08T16:00")
        let moved = OccurrenceOverride(
            seriesID: 7, originalStart: Self.local("2026-10-13T16:00"), start: Self.local("2026-11-20T09:00"), cancelled: false, sequence: 1, updatedAt: .now)
        let cancelled = OccurrenceOverride(
            seriesID: 7, originalStart: Self.local("2026-12-08T16:00"), start: nil, cancelled: true, sequence: 2, updatedAt: .now)
        let all = try series.occurrences(from: Self.utc("2026-01-01T00:00:00Z"), to: Self.utc("2028-01-01T00:00:00Z"), overrides: [moved, cancelled])
        #expect(all.map(\.id) == ["7-20260908T1600", "7-20261110T1600", "7-20261013T1600", "7-20261208T1600"], "in order of their starts")
        #expect(all[2].localStart.description == "2026-11-20T09:00")
        #expect(all[2].startsAt == Self.utc("2026-11-20T14:00:00Z"))
        #expect(all[3].status == .cancelled)
        #expect(all[3].sequence == 2)
        let november = try series.occurrences(from: Self.utc("2026-11-15T00:00:00Z"), to: Self.utc("2026-12-01T00:00:00Z"), overrides: [moved])
        #expect(november.map(\.id) == ["7-20261013T1600"], "moved into the window from outside it")
        #expect(Occurrence.parse(id: "7-20261013T1600")?.originalStart == Self.local("2026-10-13T16:00"))
        #expect(Occurrence.parse(id: "7-2026101316000") == nil)
        #expect(Occurrence.parse(id: "x-20261013T1600") == nil)
    }

    @Test("the first to say going hold the places; the rest wait in that order and move up when one declines; an occurrence's own answer outranks the series'")
    func waitlist() {
        let occurrence = Self.local("2026-10-13T16:00")
        let t0 = Self.utc("2026-09-01T00:00:00Z")
        func rsvp(_ user: Int64, _ status: RSVP.Status, series: Bool = false, at minutes: Double) -> RSVP {
            let when = t0.addingTimeInterval(minutes * 60)
            return RSVP(seriesID: 7, occurrence: series ? nil : occurrence, userID: user, status: status, goingSince: status == .going ? when : nil, updatedAt: when)
        }
        var answers = [rsvp(1, .going, series: true, at: 1), rsvp(2, .going, at: 2), rsvp(3, .going, at: 3), rsvp(4, .going, at: 4), rsvp(5, .maybe, at: 5)]
        var standings = RSVP.standings(answers, occurrence: occurrence, capacity: 2)
        #expect(standings[1]?.waitlisted == false)
        #expect(standings[2]?.waitlisted == false)
        #expect(standings[3]?.waitlistPosition == 1)
        #expect(standings[4]?.waitlistPosition == 2)
        #expect(standings[5]?.status == .maybe)
        answers.append(rsvp(2, .declined, at: 6))
        answers.removeAll { $0.userID == 2 && $0.status == .going }
        standings = RSVP.standings(answers, occurrence: occurrence, capacity: 2)
        #expect(standings[3]?.waitlisted == false, "promoted in order")
        #expect(standings[4]?.waitlistPosition == 1)
        answers.append(rsvp(1, .maybe, at: 7))
        standings = RSVP.standings(answers, occurrence: occurrence, capacity: 2)
        #expect(standings[1]?.status == .maybe, "the occurrence's own answer")
        #expect(standings[4]?.waitlisted == false)
        #expect(RSVP.standings(answers, occurrence: Self.local("2026-11-10T16:00"), capacity: 2)[1]?.status == .going, "the series' answer elsewhere")
        #expect(RSVP.standings(answers, occurrence: occurrence, capacity: nil).values.allSatisfy { !$0.waitlisted })
    }

    @Test("London's last-Sunday-of-March change: 18:00 local stays 18:00")
    func europeanDST() throws {
        let series = Self.series("FREQ=WEEKLY;COUNT=2", dtstart: "2027-03-21T18:00", zone: "Europe/London")
        let occurrences = try series.occurrences(from: Self.utc("2027-01-01T00:00:00Z"), to: Self.utc("2028-01-01T00:00:00Z"))
        #expect(occurrences.map(\.startsAt) == [Self.utc("2027-03-21T18:00:00Z"), Self.utc("2027-03-28T17:00:00Z")])
    }

    @Test("a rule outside the subset, or malformed, is refused naming the field; a start the rule does not yield does not match")
    func refusals() {
        for text in [
            "FREQ=DAILY", "FREQ=MONTHLY;BYSETPOS=1", "FREQ=MONTHLY;COUNT=2;UNTIL=20270101", "FREQ=WEEKLY;BYDAY=2TU", "FREQ=MONTHLY;INTERVAL=0",
            "FREQ=MONTHLY;BYDAY=XX", "FREQ=MONTHLY;BYDAY=6TU", "BYDAY=TU", "FREQ=MONTHLY;FREQ=WEEKLY", "FREQ=MONTHLY;BYMONTHDAY=0", "FREQ=MONTHLY;UNTIL=2027",
            "FREQ=MONTHLY;BYDAY=2TU;BYMONTHDAY=3", "FREQ",
        ] {
            #expect(throws: ConveneError.self, "\(text)") { try Recurrence(parsing: text) }
            #expect((try? Recurrence(parsing: text)) == nil)
        }
        let rule = try! Recurrence(parsing: "FREQ=MONTHLY;BYDAY=2TU")
        #expect(rule.matches(Self.local("2026-09-08T16:00")))
        #expect(!rule.matches(Self.local("2026-09-09T16:00")))
        #expect(Local("2026-02-30T10:00") == nil)
        #expect(Local("2026-09-08T24:00") == nil)
        #expect(Local("2026-09-08") == Local(year: 2026, month: 9, day: 8))
        #expect(throws: ConveneError.self) { try Self.series("FREQ=MONTHLY", dtstart: "2026-09-08T16:00", zone: "Mars/Olympus").occurrences(from: .now, to: .now) }
    }
}
