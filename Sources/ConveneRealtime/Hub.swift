import Synchronization

/// Someone who receives a channel's events: a stream connection.
public protocol Subscriber: AnyObject, Sendable {
    var subscriberID: UInt64 { get }
    /// Called on the publisher's task: must not wait (queue the frame and return).
    func deliver(channel: Int64, seq: Int64, frame: String)
    /// A frame outside the channel's sequence (typing): delivered now or not at all, never replayed.
    func deliverEphemeral(channel: Int64, frame: String)
    /// A frame addressed to this connection outside any channel sequence: for its user (read
    /// markers, notifications) or for a community it watches (presence).
    func deliverDirect(frame: String)
}

/// Subscribers grouped by a key (a channel, a user, a community), each set guarded by one lock.
final class SubscriberSets: Sendable {
    private let sets = Mutex<[Int64: [UInt64: any Subscriber]]>([:])

    func add(_ subscriber: any Subscriber, to key: Int64) {
        sets.withLock { $0[key, default: [:]][subscriber.subscriberID] = subscriber }
    }

    func remove(_ subscriberID: UInt64, from key: Int64) {
        sets.withLock { all in
            all[key]?[subscriberID] = nil
            if all[key]?.isEmpty == true { all[key] = nil }
        }
    }

    /// A copy of the key's set, taken under the lock so delivering happens outside it.
    func members(of key: Int64) -> [any Subscriber] {
        sets.withLock { $0[key].map { Array($0.values) } ?? [] }
    }

    var keys: [Int64] {
        sets.withLock { Array($0.keys) }
    }

    func count(of key: Int64) -> Int {
        sets.withLock { $0[key]?.count ?? 0 }
    }
}

/// Who receives what: per-channel subscribers, each user's connections, each community's presence
/// watchers. Publishing hands one encoded frame to each subscriber without awaiting anything, so
/// fan-out costs the same whatever any one client does.
public final class Hub: Sendable {
    private let channels = SubscriberSets()
    /// Every open connection by its user, for frames addressed to a person rather than a channel.
    private let users = SubscriberSets()
    /// Connections watching a community's presence.
    private let watchers = SubscriberSets()
    /// Connections following a question page.
    private let questions = SubscriberSets()

    public init() {}

    public func subscribe(_ subscriber: any Subscriber, to channel: Int64) {
        channels.add(subscriber, to: channel)
    }

    public func unsubscribe(_ subscriberID: UInt64, from channel: Int64) {
        channels.remove(subscriberID, from: channel)
    }

    /// Sends `frame` (the event `seq` of `channel`, encoded once) to everyone subscribed.
    public func publish(channel: Int64, seq: Int64, frame: String) {
        for subscriber in channels.members(of: channel) {
            subscriber.deliver(channel: channel, seq: seq, frame: frame)
        }
    }

    /// Sends an ephemeral frame (not part of the channel's sequence) to every subscriber but `sender`.
    public func publishEphemeral(channel: Int64, frame: String, except sender: UInt64) {
        for subscriber in channels.members(of: channel) where subscriber.subscriberID != sender {
            subscriber.deliverEphemeral(channel: channel, frame: frame)
        }
    }

    /// The channels with at least one subscriber.
    public func subscribedChannels() -> [Int64] {
        channels.keys
    }

    public func subscriberCount(of channel: Int64) -> Int {
        channels.count(of: channel)
    }

    /// Adds a connection of `user`'s to the per-user set.
    public func attach(_ subscriber: any Subscriber, user: Int64) {
        users.add(subscriber, to: user)
    }

    public func detach(_ subscriberID: UInt64, user: Int64) {
        users.remove(subscriberID, from: user)
    }

    /// Sends `frame` to each of `user`'s open connections (but `except`).
    public func publish(toUser user: Int64, frame: String, except: UInt64? = nil) {
        for subscriber in users.members(of: user) where subscriber.subscriberID != except {
            subscriber.deliverDirect(frame: frame)
        }
    }

    public func watchPresence(_ subscriber: any Subscriber, community: Int64) {
        watchers.add(subscriber, to: community)
    }

    public func unwatchPresence(_ subscriberID: UInt64, community: Int64) {
        watchers.remove(subscriberID, from: community)
    }

    public func followQuestion(_ subscriber: any Subscriber, question: Int64) {
        questions.add(subscriber, to: question)
    }

    public func unfollowQuestion(_ subscriberID: UInt64, question: Int64) {
        questions.remove(subscriberID, from: question)
    }

    /// Sends a question page's frame (a new answer, a vote, an accept) to everyone following it.
    public func publish(question: Int64, frame: String) {
        for subscriber in questions.members(of: question) { subscriber.deliverDirect(frame: frame) }
    }

    public func followerCount(of question: Int64) -> Int {
        questions.count(of: question)
    }

    /// Sends a presence frame to everyone watching `community`.
    public func publishPresence(community: Int64, frame: String) {
        for subscriber in watchers.members(of: community) { subscriber.deliverDirect(frame: frame) }
    }
}
