import ConveneCore
import ConveneRealtime
import ConveneStore
import Foundation

/// Attendance, read from the rooms' logs: every join and leave is a command the room stored.
extension Calls {
    struct PersonAttendance: Sendable {
        var person: Attendance.Person
        var name: String
        var organization: Organization?
    }

    struct OccurrenceAttendance: Sendable {
        var occurrence: Occurrence
        /// When the call was on: from going live (or the scheduled start) to its end (or the scheduled end).
        var window: ClosedRange<Date>
        var people: [PersonAttendance]
        var organizations: [(Attendance.Organization, Organization?)]
    }

    /// Who came to one call, for how long, per person and per organization (its facilitators and above).
    func attendance(occurrenceID: String, by principal: Principal) async throws -> OccurrenceAttendance {
        let (series, community, occurrence) = try await scheduled(occurrenceID, by: principal)
        try Policy.require(.manageCalls, by: principal, on: directory.target(community))
        let room = try await store.callRooms(seriesID: series.id).first { $0.occurrence == occurrence.originalStart.description }
        return try await report(occurrence, room: room, organizations: try await organizationsByID())
    }

    struct SeriesAttendance: Sendable {
        var series: CallSeries
        var from: Date
        var to: Date
        /// The calls in the window that had anyone in their room.
        var calls: [OccurrenceAttendance]
        var organizations: [OrganizationTally]
    }

    struct OrganizationTally: Sendable {
        var organization: Organization?
        var callsAttended: Int
        var people: Int
        var minutes: Int
    }

    /// Which organizations came to how many of a series' calls between `from` and `to` (by
    /// default the year before now).
    func attendance(seriesID: Int64, from: Date?, to: Date?, by principal: Principal) async throws -> SeriesAttendance {
        let (series, community) = try await self.series(seriesID, by: principal)
        try Policy.require(.manageCalls, by: principal, on: directory.target(community))
        let end = to ?? now()
        let start = from ?? end.addingTimeInterval(-Self.defaultWindow)
        let (_, occurrences) = try await self.occurrences(seriesID: seriesID, from: start, to: end, by: principal)
        let rooms = Dictionary(try await store.callRooms(seriesID: series.id).map { ($0.occurrence, $0) }, uniquingKeysWith: { first, _ in first })
        let organizations = try await organizationsByID()
        var calls: [OccurrenceAttendance] = []
        for occurrence in occurrences {
            guard let room = rooms[occurrence.originalStart.description] else { continue }
            let report = try await report(occurrence, room: room, organizations: organizations)
            if !report.people.isEmpty { calls.append(report) }
        }
        let attended = Attendance.callsAttended(calls.map { $0.organizations.map(\.0) })
        var tallies: [Int64?: OrganizationTally] = [:]
        var people: [Int64?: Set<Int64>] = [:]
        for call in calls {
            for entry in call.people where entry.person.minutes > 0 {
                let key = entry.person.organizationID
                var tally = tallies[key] ?? OrganizationTally(organization: entry.organization, callsAttended: attended[key] ?? 0, people: 0, minutes: 0)
                tally.minutes += entry.person.minutes
                people[key, default: []].insert(entry.person.user)
                tally.people = people[key]!.count
                tallies[key] = tally
            }
        }
        let sorted = tallies.values.sorted {
            ($1.callsAttended, $0.organization?.name ?? "\u{10FFFF}") < ($0.callsAttended, $1.organization?.name ?? "\u{10FFFF}")
        }
        return SeriesAttendance(series: series, from: start, to: end, calls: calls, organizations: sorted)
    }

    private func organizationsByID() async throws -> [Int64: Organization] {
        Dictionary(try await store.organizations().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// One call's report from its room's log (an empty one when it never had a room).
    private func report(_ occurrence: Occurrence, room: StoredRoom?, organizations: [Int64: Organization]) async throws -> OccurrenceAttendance {
        var log: [(command: CallRoom.Command, at: Date)] = []
        if let room {
            let decoder = JSONDecoder()
            log = try await store.roomRecords(roomID: room.id, afterSeq: 0).compactMap { record in
                (try? decoder.decode(CallRoom.Command.self, from: Data(record.command.utf8))).map { (command: $0, at: record.at) }
            }
        }
        let history = CallRoom.history(startsAt: occurrence.startsAt, lobbyOpens: TimeInterval((room?.lobbyMinutes ?? 0) * 60), log: log)
        let from = history.liveAt ?? occurrence.startsAt
        let window = from...max(from, history.endedAt ?? occurrence.endsAt)
        var organizationOf: [Int64: Int64] = [:]
        for user in Set(history.stays.map { $0.user }) {
            if let organization = try await store.user(id: user)?.organizationID { organizationOf[user] = organization }
        }
        let (people, rolled) = Attendance.report(stays: history.stays, window: window, now: now(), organizations: organizationOf)
        return OccurrenceAttendance(
            occurrence: occurrence, window: window,
            people: people.map {
                PersonAttendance(person: $0, name: history.names[$0.user] ?? "", organization: $0.organizationID.flatMap { organizations[$0] })
            },
            organizations: rolled.map { ($0, $0.organizationID.flatMap { organizations[$0] }) })
    }
}
