public import Foundation

/// Counts failures per key in a sliding window and says how long a key must wait once it has
/// reached the limit. A pure value: the caller supplies the clock and keeps it behind a lock.
public struct FailureThrottle: Sendable {
    public let limit: Int
    public let window: TimeInterval
    /// The most keys remembered; beyond it the stalest are forgotten, so memory stays bounded.
    public let capacity: Int
    private var failures: [String: [Date]] = [:]

    /// - Parameters:
    ///   - limit: failures allowed within `window` before the key waits.
    ///   - window: how far back failures count, in seconds.
    ///   - capacity: the most keys kept.
    public init(limit: Int, window: TimeInterval, capacity: Int = 100_000) {
        self.limit = max(1, limit)
        self.window = window
        self.capacity = max(1, capacity)
    }

    /// Seconds to wait before the next attempt, or nil when `key` may try now.
    public mutating func retryAfter(_ key: String, now: Date) -> Int? {
        guard var times = failures[key] else { return nil }
        times.removeAll { now.timeIntervalSince($0) >= window }
        failures[key] = times.isEmpty ? nil : times
        guard times.count >= limit, let oldest = times.first else { return nil }
        return max(1, Int((window - now.timeIntervalSince(oldest)).rounded(.up)))
    }

    public mutating func recordFailure(_ key: String, now: Date) {
        if failures[key] == nil && failures.count >= capacity {
            evictStalest(now: now)
        }
        var times = failures[key, default: []]
        times.removeAll { now.timeIntervalSince($0) >= window }
        times.append(now)
        if times.count > limit { times.removeFirst(times.count - limit) }
        failures[key] = times
    }

    public mutating func reset(_ key: String) {
        failures[key] = nil
    }

    private mutating func evictStalest(now: Date) {
        failures = failures.filter { _, times in times.contains { now.timeIntervalSince($0) < window } }
        if failures.count >= capacity, let stalest = failures.min(by: { ($0.value.last ?? .distantPast) < ($1.value.last ?? .distantPast) }) {
            failures[stalest.key] = nil
        }
    }
}
