public import Foundation

/// Who came to a call and for how long, from the room's joins and leaves: per person their first
/// join, last leave and minutes present (overlapping connections counted once, time outside the
/// call's window not at all), and per organization how many of its people came and for how long.
/// Pure: the records come from the store, the report goes to JSON or CSV.
public enum Attendance {
    /// One stay in the room: a join and its leave (nil while still there).
    public struct Stay: Sendable, Hashable {
        public var user: Int64
        public var joinedAt: Date
        public var leftAt: Date?

        public init(user: Int64, joinedAt: Date, leftAt: Date?) {
            self.user = user
            self.joinedAt = joinedAt
            self.leftAt = leftAt
        }
    }

    public struct Person: Sendable, Hashable {
        public var user: Int64
        public var organizationID: Int64?
        public var firstJoin: Date
        /// Nil while still in the room.
        public var lastLeave: Date?
        /// Whole minutes present, overlapping stays counted once.
        public var minutes: Int
    }

    public struct Organization: Sendable, Hashable {
        /// Nil for people of no organization.
        public var organizationID: Int64?
        public var people: Int
        public var minutes: Int

        public init(organizationID: Int64?, people: Int, minutes: Int) {
            self.organizationID = organizationID
            self.people = people
            self.minutes = minutes
        }
    }

    /// The report for one occurrence: stays are clipped to `window` (a stay still open ends at
    /// the window's end, or `now` if earlier); `organizations` maps users to theirs.
    public static func report(stays: [Stay], window: ClosedRange<Date>, now: Date, organizations: [Int64: Int64])
        -> (people: [Person], organizations: [Organization])
    {
        var byUser: [Int64: [Stay]] = [:]
        for stay in stays { byUser[stay.user, default: []].append(stay) }
        var people: [Person] = []
        for (user, stays) in byUser {
            let open = stays.contains { $0.leftAt == nil }
            let intervals = stays.compactMap { stay -> (Date, Date)? in
                let start = max(stay.joinedAt, window.lowerBound)
                let end = min(stay.leftAt ?? min(now, window.upperBound), window.upperBound)
                return end > start ? (start, end) : nil
            }.sorted { $0.0 < $1.0 }
            var seconds: TimeInterval = 0
            var current: (Date, Date)?
            for interval in intervals {
                if let (start, end) = current, interval.0 <= end {
                    current = (start, max(end, interval.1))
                } else {
                    if let (start, end) = current { seconds += end.timeIntervalSince(start) }
                    current = interval
                }
            }
            if let (start, end) = current { seconds += end.timeIntervalSince(start) }
            people.append(
                Person(
                    user: user, organizationID: organizations[user], firstJoin: stays.map(\.joinedAt).min()!,
                    lastLeave: open ? nil : stays.compactMap(\.leftAt).max(), minutes: Int(seconds / 60)))
        }
        people.sort { ($0.firstJoin, $0.user) < ($1.firstJoin, $1.user) }
        var byOrganization: [Int64?: Organization] = [:]
        for person in people {
            var organization = byOrganization[person.organizationID] ?? Organization(organizationID: person.organizationID, people: 0, minutes: 0)
            organization.people += 1
            organization.minutes += person.minutes
            byOrganization[person.organizationID] = organization
        }
        let rolled = byOrganization.values.sorted { ($0.organizationID ?? .max) < ($1.organizationID ?? .max) }
        return (people, rolled)
    }

    /// Per organization, over several occurrences: how many of them it came to (anyone of it
    /// present for at least a minute).
    public static func callsAttended(_ reports: [[Organization]]) -> [Int64?: Int] {
        var counts: [Int64?: Int] = [:]
        for report in reports {
            for organization in report where organization.minutes > 0 { counts[organization.organizationID, default: 0] += 1 }
        }
        return counts
    }
}
