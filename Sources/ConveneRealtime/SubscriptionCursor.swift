/// Where one connection stands in one channel's event sequence. Live events that arrive while
/// missed ones are replayed from the store wait here, and are delivered after the replay without
/// duplicates; an event that skips ahead of the cursor means some were missed, and sends the
/// connection back to the store. A pure value: the connection keeps it behind a lock.
public struct SubscriptionCursor: Sendable, Equatable {
    /// The last seq delivered to the client.
    public private(set) var lastSeq: Int64
    /// Whether events are being read from the store.
    public private(set) var replaying: Bool
    private var buffered: [Int64: String] = [:]

    /// - Parameters:
    ///   - since: the last seq the client has; replay starts after it.
    public init(since: Int64) {
        lastSeq = since
        replaying = true
    }

    public enum LiveAction: Sendable, Equatable {
        /// Send this frame now.
        case deliver(String)
        /// Already delivered (or older): nothing to send.
        case drop
        /// Held until the replay ends.
        case held
        /// Events after `after` are missing: replay them from the store.
        case catchUp(after: Int64)
    }

    /// A live event from the hub.
    public mutating func live(seq: Int64, frame: String) -> LiveAction {
        if seq <= lastSeq { return .drop }
        if replaying {
            buffered[seq] = frame
            return .held
        }
        if seq == lastSeq + 1 {
            lastSeq = seq
            return .deliver(frame)
        }
        buffered[seq] = frame
        replaying = true
        return .catchUp(after: lastSeq)
    }

    /// An event read from the store during replay; true when it is the next one and must be sent.
    public mutating func replayed(seq: Int64) -> Bool {
        guard replaying, seq == lastSeq + 1 else { return false }
        lastSeq = seq
        buffered[seq] = nil
        return true
    }

    /// The store has nothing after `lastSeq`: the held events that follow on go out, and the cursor is
    /// live again — unless a held event still leaves a gap, when the store must be read once more.
    public mutating func endReplay() -> (frames: [String], stillMissing: Bool) {
        var frames: [String] = []
        while let frame = buffered.removeValue(forKey: lastSeq + 1) {
            frames.append(frame)
            lastSeq += 1
        }
        buffered = buffered.filter { $0.key > lastSeq }
        if buffered.isEmpty {
            replaying = false
            return (frames, false)
        }
        return (frames, true)
    }
}
