import ConveneCore
import Foundation
import Testing

@Suite("Window limiter")
struct WindowLimiterTests {
    let start = Date(timeIntervalSince1970: 1_000_000)

    @Test("a key waits once it reaches the limit, until the oldest failure leaves the window")
    func limitAndWindow() {
        var throttle = WindowLimiter(limit: 3, window: 60)
        for second in 0..<3 {
            #expect(throttle.retryAfter("ann", now: start.addingTimeInterval(Double(second))) == nil)
            throttle.record("ann", now: start.addingTimeInterval(Double(second)))
        }
        #expect(throttle.retryAfter("ann", now: start.addingTimeInterval(10)) == 50)
        #expect(throttle.retryAfter("bob", now: start.addingTimeInterval(10)) == nil)
        #expect(throttle.retryAfter("ann", now: start.addingTimeInterval(60)) == nil)
    }

    @Test("a reset forgets the failures")
    func reset() {
        var throttle = WindowLimiter(limit: 1, window: 60)
        throttle.record("ann", now: start)
        #expect(throttle.retryAfter("ann", now: start) != nil)
        throttle.reset("ann")
        #expect(throttle.retryAfter("ann", now: start) == nil)
    }

    @Test("memory stays bounded by the capacity")
    func capacity() {
        var throttle = WindowLimiter(limit: 1, window: 600, capacity: 10)
        for index in 0..<100 {
            throttle.record("key\(index)", now: start.addingTimeInterval(Double(index)))
        }
        let limited = (0..<100).filter { throttle.retryAfter("key\($0)", now: start.addingTimeInterval(100)) != nil }
        #expect(limited.count <= 10)
        #expect(limited.contains(99))
    }
}

@Suite("New-member limits")
struct NewMemberLimitsTests {
    @Test("links are counted by scheme and bare www., not by other text", arguments: [
        ("no links here", 0),
        ("see https://example.org and http://casel.org/guide", 2),
        ("HTTPS://EXAMPLE.ORG twice https://example.org", 2),
        ("www.casel.org and https://www.casel.org", 2),
        ("ftp://files.example.org and mailto:someone", 0),
        ("[the guide](https://casel.org) www.a.org www.b.org", 3),
    ])
    func linkCount(text: String, count: Int) {
        #expect(NewMemberLimits.linkCount(text) == count)
    }

    @Test("a member is new for the configured days after joining; 0 days turns the rules off")
    func newness() {
        let joined = Date(timeIntervalSince1970: 1_000_000)
        let limits = NewMemberLimits(days: 3, links: 1, messagesPerMinute: 2)
        #expect(limits.isNew(joinedAt: joined, now: joined.addingTimeInterval(3 * 86_400 - 1)))
        #expect(!limits.isNew(joinedAt: joined, now: joined.addingTimeInterval(3 * 86_400)))
        #expect(!limits.isNew(joinedAt: nil, now: joined))
        #expect(!NewMemberLimits(days: 0, links: 1, messagesPerMinute: 2).isNew(joinedAt: joined, now: joined))
        #expect(throws: ConveneError.self) { try limits.check(body: "https://a.org https://b.org") }
        #expect(throws: Never.self) { try limits.check(body: "https://a.org") }
    }

    @Test("a lower limit for one key counts the same events, and waits for the right one to leave the window")
    func lowerLimit() {
        var limiter = WindowLimiter(limit: 5, window: 60)
        let start = Date(timeIntervalSince1970: 0)
        for second in [0.0, 10, 20] { limiter.record("u", now: start.addingTimeInterval(second)) }
        let now = start.addingTimeInterval(30)
        #expect(limiter.retryAfter("u", now: now) == nil)
        #expect(limiter.retryAfter("u", now: now, limit: 2) == 40, "the second-newest event (at 10 s) frees a place at 70 s")
        #expect(limiter.retryAfter("u", now: now, limit: 4) == nil)
        #expect(limiter.retryAfter("u", now: now, limit: 50) == nil, "a limit above the limiter's own is the limiter's own")
    }
}
