public import Foundation

/// The rules for a member's first days in a community: fewer links per message and a lower send
/// rate, so an account made to spam does little harm before anyone notices. Moderators and above
/// are exempt.
public struct NewMemberLimits: Sendable, Hashable {
    /// How long a member counts as new after joining; 0 turns the rules off.
    public var days: Int
    /// Links allowed in one message while new.
    public var links: Int
    /// Messages per minute while new (the general rate applies when it is lower).
    public var messagesPerMinute: Int

    /// - Parameters:
    ///   - days: days after joining that the rules hold.
    ///   - links: links per message while new.
    ///   - messagesPerMinute: send rate while new.
    public init(days: Int, links: Int, messagesPerMinute: Int) {
        self.days = days
        self.links = links
        self.messagesPerMinute = messagesPerMinute
    }

    /// Whether a member who joined at `joinedAt` is still new at `now`.
    public func isNew(joinedAt: Date?, now: Date) -> Bool {
        guard days > 0, let joinedAt else { return false }
        return now.timeIntervalSince(joinedAt) < Double(days) * 86_400
    }

    /// Refuses a body with more links than a new member may post.
    public func check(body: String, field: String = "body") throws(ConveneError) {
        let count = Self.linkCount(body)
        guard count > links else { return }
        throw .invalid(
            field, "For their first \(days) days in a community, members post at most \(links) link\(links == 1 ? "" : "s") a message; this one has \(count).")
    }

    /// The links in a text: each `http://`, `https://` or bare `www.` address, case-insensitively.
    public static func linkCount(_ text: String) -> Int {
        let lower = text.lowercased()
        var count = 0
        var rest = lower[...]
        while let range = rest.range(of: "://") {
            let scheme = rest[..<range.lowerBound].suffix(5)
            if scheme.hasSuffix("http") || scheme.hasSuffix("https") { count += 1 }
            rest = rest[range.upperBound...]
        }
        var bare = lower[...]
        while let range = bare.range(of: "www.") {
            let before = bare[..<range.lowerBound].last
            if before == nil || !(before!.isLetter || before!.isNumber || before! == "/" || before! == ".") { count += 1 }
            bare = bare[range.upperBound...]
        }
        return count
    }
}
