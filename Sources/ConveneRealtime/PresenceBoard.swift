public import Foundation

/// What a community's members see of each other.
public enum PresenceStatus: String, Sendable, Codable {
    case online
    case away
    case offline
}

/// Who is connected, and what watchers were last told, with no I/O: the server feeds it connects,
/// disconnects and chosen statuses, and flushes it now and then. A flush reports only statuses
/// that differ from what was last published, so changes in between collapse into one (a quick
/// reconnect, online→away→online), and a user whose last connection closed stays as they were
/// for a grace period before going offline.
public struct PresenceBoard: Sendable {
    public struct Change: Sendable, Hashable {
        public var user: Int64
        public var name: String
        public var communities: [Int64]
        public var status: PresenceStatus

        public init(user: Int64, name: String, communities: [Int64], status: PresenceStatus) {
            self.user = user
            self.name = name
            self.communities = communities
            self.status = status
        }
    }

    public struct Entry: Sendable, Hashable {
        public var user: Int64
        public var name: String
        public var status: PresenceStatus

        public init(user: Int64, name: String, status: PresenceStatus) {
            self.user = user
            self.name = name
            self.status = status
        }
    }

    private struct Person {
        var name: String
        var communities: Set<Int64>
        var connections: Set<UInt64> = []
        var chosen: PresenceStatus = .online
        /// When the last connection closed, while none is open.
        var goneSince: Date?
    }

    private var people: [Int64: Person] = [:]
    /// The status watchers were last told, per user; absent means offline.
    private var published: [Int64: PresenceStatus] = [:]
    /// How long a user without connections keeps their status before going offline.
    public let grace: TimeInterval

    public init(grace: TimeInterval) {
        self.grace = grace
    }

    public mutating func connect(user: Int64, name: String, communities: Set<Int64>, connection: UInt64) {
        var person = people[user] ?? Person(name: name, communities: communities)
        person.name = name
        person.communities = communities
        person.connections.insert(connection)
        person.goneSince = nil
        people[user] = person
    }

    public mutating func disconnect(user: Int64, connection: UInt64, now: Date) {
        guard var person = people[user] else { return }
        person.connections.remove(connection)
        if person.connections.isEmpty { person.goneSince = now }
        people[user] = person
    }

    /// The status a connected user asks to show (`online` or `away`).
    public mutating func choose(user: Int64, status: PresenceStatus) {
        guard status != .offline else { return }
        people[user]?.chosen = status
    }

    /// The changes to publish now, each user once, with the communities to tell.
    public mutating func flush(now: Date) -> [Change] {
        var changes: [Change] = []
        for (user, person) in people {
            let status: PresenceStatus
            if let gone = person.goneSince {
                guard now.timeIntervalSince(gone) >= grace else { continue }
                status = .offline
                people[user] = nil
            } else {
                status = person.chosen
            }
            if status != published[user] ?? .offline {
                changes.append(Change(user: user, name: person.name, communities: person.communities.sorted(), status: status))
            }
            published[user] = status == .offline ? nil : status
        }
        return changes.sorted { $0.user < $1.user }
    }

    /// When the earliest pending offline falls due, if any.
    public var nextDeadline: Date? {
        people.values.compactMap { $0.goneSince?.addingTimeInterval(grace) }.min()
    }

    /// Who is published as online or away in a community.
    public func snapshot(community: Int64) -> [Entry] {
        published.compactMap { user, status in
            guard let person = people[user], person.communities.contains(community) else { return nil }
            return Entry(user: user, name: person.name, status: status)
        }.sorted { $0.user < $1.user }
    }
}
