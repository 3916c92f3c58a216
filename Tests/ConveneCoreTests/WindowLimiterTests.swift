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
