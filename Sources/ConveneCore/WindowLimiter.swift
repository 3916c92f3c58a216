public import Foundation

/// Counts events per key in a sliding window (failed logins, messages sent) and says how long a key
/// must wait once it has reached the limit. A pure value: the caller supplies the clock and keeps
/// it behind a lock.
public struct WindowLimiter: Sendable {
    public let limit: Int
    public let window: TimeInterval
    /// The most keys remembered; beyond it the stalest are forgotten, so memory stays bounded.
    public let capacity: Int
    private var events: [String: [Date]] = [:]

    /// - Parameters:
    ///   - limit: events allowed within `window` before the key waits.
    ///   - window: how far back events count, in seconds.
    ///   - capacity: the most keys kept.
    public init(limit: Int, window: TimeInterval, capacity: Int = 100_000) {
        self.limit = max(1, limit)
        self.window = window
        self.capacity = max(1, capacity)
    }

    /// Seconds to wait before the next event, or nil when `key` may act now.
    /// - Parameters:
    ///   - key: who acts.
    ///   - now: the time.
    ///   - limit: a lower limit for this key (new members), at most the limiter's own.
    public mutating func retryAfter(_ key: String, now: Date, limit lower: Int? = nil) -> Int? {
        guard var times = events[key] else { return nil }
        times.removeAll { now.timeIntervalSince($0) >= window }
        events[key] = times.isEmpty ? nil : times
        let limit = min(max(1, lower ?? self.limit), self.limit)
        guard times.count >= limit else { return nil }
        // The event whose leaving the window frees a place.
        let blocking = times[times.count - limit]
        return max(1, Int((window - now.timeIntervalSince(blocking)).rounded(.up)))
    }

    public mutating func record(_ key: String, now: Date) {
        if events[key] == nil && events.count >= capacity {
            evictStalest(now: now)
        }
        var times = events[key, default: []]
        times.removeAll { now.timeIntervalSince($0) >= window }
        times.append(now)
        if times.count > limit { times.removeFirst(times.count - limit) }
        events[key] = times
    }

    public mutating func reset(_ key: String) {
        events[key] = nil
    }

    private mutating func evictStalest(now: Date) {
        events = events.filter { _, times in times.contains { now.timeIntervalSince($0) < window } }
        if events.count >= capacity, let stalest = events.min(by: { ($0.value.last ?? .distantPast) < ($1.value.last ?? .distantPast) }) {
            events[stalest.key] = nil
        }
    }
}
