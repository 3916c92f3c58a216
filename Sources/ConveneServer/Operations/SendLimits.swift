import ConveneCore
import Foundation
import Synchronization

/// The pace rules for sending messages below moderator: a per-user rate (`limits.messages_per_minute`)
/// and each channel's slow mode. Kept in this node's memory.
final class SendLimits: Sendable {
    private let rate: Mutex<WindowLimiter>
    private let lastSend = Mutex<[String: Date]>([:])

    init(messagesPerMinute: Int) {
        rate = Mutex(WindowLimiter(limit: messagesPerMinute, window: 60))
    }

    /// Throws `rate_limited` with the wait when the user sent too much, or too soon in a slow channel.
    /// - Parameters:
    ///   - newMemberRate: the lower rate of a member in their first days, when the sender is one.
    func check(userID: Int64, channel: Channel, now: Date, newMemberRate: Int? = nil) throws(ConveneError) {
        if channel.slowModeSeconds > 0, let last = lastSend.withLock({ $0["\(channel.id):\(userID)"] }) {
            let wait = Double(channel.slowModeSeconds) - now.timeIntervalSince(last)
            if wait > 0 {
                let seconds = Int(wait.rounded(.up))
                throw ConveneError(.rateLimited, "This channel is in slow mode; you can post again in \(seconds) seconds.", retryAfter: seconds)
            }
        }
        if let wait = rate.withLock({ $0.retryAfter("\(userID)", now: now, limit: newMemberRate) }) {
            let why = newMemberRate == nil ? "You are sending too fast" : "New members send at most \(newMemberRate!) messages a minute"
            throw ConveneError(.rateLimited, "\(why); wait \(wait) seconds.", retryAfter: wait)
        }
    }

    /// Counts a message that was stored.
    func sent(userID: Int64, channel: Channel, now: Date) {
        rate.withLock { $0.record("\(userID)", now: now) }
        guard channel.slowModeSeconds > 0 else { return }
        lastSend.withLock { last in
            if last.count > 100_000 {
                // Slow mode lasts at most 6 hours: older entries no longer matter.
                last = last.filter { now.timeIntervalSince($0.value) < 21_600 }
            }
            last["\(channel.id):\(userID)"] = now
        }
    }
}
