import Synchronization

/// Someone who receives a channel's events: a stream connection.
public protocol Subscriber: AnyObject, Sendable {
    var subscriberID: UInt64 { get }
    /// Called on the publisher's task: must not wait (queue the frame and return).
    func deliver(channel: Int64, seq: Int64, frame: String)
    /// A frame outside the channel's sequence (typing): delivered now or not at all, never replayed.
    func deliverEphemeral(channel: Int64, frame: String)
    /// A frame for this subscriber's user, whatever it subscribed to (read markers, notifications).
    func deliverToUser(frame: String)
}

/// Per-channel subscriber sets. Publishing hands one encoded frame to each subscriber without
/// awaiting anything, so fan-out costs the same whatever any one client does.
public final class Hub: Sendable {
    private let subscribers = Mutex<[Int64: [UInt64: any Subscriber]]>([:])
    /// Every open connection by its user, for frames addressed to a person rather than a channel.
    private let users = Mutex<[Int64: [UInt64: any Subscriber]]>([:])

    public init() {}

    /// Adds a connection of `user`'s to the per-user set.
    public func attach(_ subscriber: any Subscriber, user: Int64) {
        users.withLock { $0[user, default: [:]][subscriber.subscriberID] = subscriber }
    }

    public func detach(_ subscriberID: UInt64, user: Int64) {
        users.withLock { all in
            all[user]?[subscriberID] = nil
            if all[user]?.isEmpty == true { all[user] = nil }
        }
    }

    /// Sends `frame` to each of `user`'s open connections (but `except`).
    public func publish(toUser user: Int64, frame: String, except: UInt64? = nil) {
        let targets = users.withLock { $0[user].map { Array($0.values) } ?? [] }
        for subscriber in targets where subscriber.subscriberID != except {
            subscriber.deliverToUser(frame: frame)
        }
    }

    /// How many connections `user` has open on this node.
    public func connectionCount(ofUser user: Int64) -> Int {
        users.withLock { $0[user]?.count ?? 0 }
    }

    public func subscribe(_ subscriber: any Subscriber, to channel: Int64) {
        subscribers.withLock { $0[channel, default: [:]][subscriber.subscriberID] = subscriber }
    }

    public func unsubscribe(_ subscriberID: UInt64, from channel: Int64) {
        subscribers.withLock { all in
            all[channel]?[subscriberID] = nil
            if all[channel]?.isEmpty == true { all[channel] = nil }
        }
    }

    /// Sends `frame` (the event `seq` of `channel`, encoded once) to everyone subscribed.
    public func publish(channel: Int64, seq: Int64, frame: String) {
        let targets = subscribers.withLock { $0[channel].map { Array($0.values) } ?? [] }
        for subscriber in targets {
            subscriber.deliver(channel: channel, seq: seq, frame: frame)
        }
    }

    /// Sends an ephemeral frame (not part of the channel's sequence) to every subscriber but `sender`.
    public func publishEphemeral(channel: Int64, frame: String, except sender: UInt64) {
        let targets = subscribers.withLock { $0[channel].map { Array($0.values) } ?? [] }
        for subscriber in targets where subscriber.subscriberID != sender {
            subscriber.deliverEphemeral(channel: channel, frame: frame)
        }
    }

    public func subscriberCount(of channel: Int64) -> Int {
        subscribers.withLock { $0[channel]?.count ?? 0 }
    }
}
