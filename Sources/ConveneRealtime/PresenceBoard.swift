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
///
/// With several nodes, each board also holds what the other nodes announced of their own
/// connections (`remote(node:changes:)`), and publishes the best of them: a user online on any
/// node is online (`online` over `away` over `offline`). Its own connections' changes wait in
/// `takeAnnouncements()` for the other nodes; a node that falls silent is `forget`-ten.
public struct PresenceBoard: Sendable {
    public struct Change: Sendable, Hashable, Codable {
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
    /// This node's own status of each user, as last announced; absent means offline.
    private var local: [Int64: Change] = [:]
    /// What the other nodes announced of their connections, by node.
    private var remote: [String: [Int64: Change]] = [:]
    /// What watchers were last told, per user; absent means offline.
    private var published: [Int64: Change] = [:]
    /// Users whose remote statuses changed since the last flush.
    private var touched: Set<Int64> = []
    private var announcements: [Change] = []
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

    /// A connected user joined a community: its watchers see them from the next flush.
    public mutating func joined(user: Int64, community: Int64) {
        people[user]?.communities.insert(community)
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

    /// Another node's announced changes of its own connections.
    public mutating func remote(node: String, changes: [Change]) {
        for change in changes {
            remote[node, default: [:]][change.user] = change.status == .offline ? nil : change
            touched.insert(change.user)
        }
    }

    /// A node that stopped answering: its users count as gone from it.
    public mutating func forget(node: String) {
        guard let users = remote.removeValue(forKey: node) else { return }
        touched.formUnion(users.keys)
    }

    /// The nodes whose announcements the board holds.
    public var remoteNodes: Set<String> { Set(remote.keys) }

    /// The changes to publish now, each user once, with the communities to tell.
    public mutating func flush(now: Date) -> [Change] {
        var users = touched
        touched = []
        for (user, person) in people {
            let status: PresenceStatus
            if let gone = person.goneSince {
                guard now.timeIntervalSince(gone) >= grace else { continue }
                status = .offline
                people[user] = nil
            } else {
                status = person.chosen
            }
            guard status != local[user]?.status ?? .offline || (status != .offline && person.communities.sorted() != local[user]?.communities) else {
                continue
            }
            let change = Change(user: user, name: person.name, communities: person.communities.sorted(), status: status)
            announcements.append(change)
            local[user] = status == .offline ? nil : change
            users.insert(user)
        }
        var changes: [Change] = []
        for user in users {
            let candidates = ([local[user]] + remote.values.map { $0[user] }).compactMap { $0 }
            let best = candidates.max { Self.rank($0.status) < Self.rank($1.status) }
            if let best {
                let shown = Change(
                    user: user, name: best.name, communities: Array(Set(candidates.flatMap(\.communities))).sorted(), status: best.status)
                if best.status != published[user]?.status || shown.communities != published[user]?.communities { changes.append(shown) }
                published[user] = shown
            } else if let before = published.removeValue(forKey: user) {
                changes.append(Change(user: user, name: before.name, communities: before.communities, status: .offline))
            }
        }
        return changes.sorted { $0.user < $1.user }
    }

    /// This node's own changes made by flushes since the last call, for the other nodes.
    public mutating func takeAnnouncements() -> [Change] {
        defer { announcements = [] }
        return announcements
    }

    /// Every user this node itself shows online or away: what a node that just started listening
    /// needs to hear.
    public var localState: [Change] {
        local.values.sorted { $0.user < $1.user }
    }

    private static func rank(_ status: PresenceStatus) -> Int {
        switch status {
        case .online: 2
        case .away: 1
        case .offline: 0
        }
    }

    /// When the earliest pending offline falls due, if any.
    public var nextDeadline: Date? {
        people.values.compactMap { $0.goneSince?.addingTimeInterval(grace) }.min()
    }

    /// Who is published as online or away in a community.
    public func snapshot(community: Int64) -> [Entry] {
        published.values.filter { $0.communities.contains(community) }
            .map { Entry(user: $0.user, name: $0.name, status: $0.status) }
            .sorted { $0.user < $1.user }
    }
}
