import ConveneRealtime
import Testing

@Suite("Subscription cursor")
struct SubscriptionCursorTests {
    @Test("live events that arrive during a replay are delivered after it, once, in order")
    func heldDuringReplay() {
        var cursor = SubscriptionCursor(since: 3)
        #expect(cursor.live(seq: 6, frame: "e6") == .held)
        #expect(cursor.live(seq: 5, frame: "e5") == .held)
        let fourth = cursor.replayed(seq: 4)
        let fifth = cursor.replayed(seq: 5)
        let fifthAgain = cursor.replayed(seq: 5)
        #expect(fourth && fifth && !fifthAgain)
        let end = cursor.endReplay()
        #expect(end.frames == ["e6"])
        #expect(!end.stillMissing)
        #expect(!cursor.replaying)
        #expect(cursor.live(seq: 6, frame: "e6") == .drop)
        #expect(cursor.live(seq: 7, frame: "e7") == .deliver("e7"))
        #expect(cursor.lastSeq == 7)
    }

    @Test("an event that skips ahead sends the cursor back to the store")
    func gap() {
        var cursor = SubscriptionCursor(since: 0)
        _ = cursor.endReplay()
        #expect(cursor.live(seq: 1, frame: "e1") == .deliver("e1"))
        #expect(cursor.live(seq: 3, frame: "e3") == .catchUp(after: 1))
        #expect(cursor.replaying)
        let first = cursor.endReplay()
        #expect(first.stillMissing)
        let second_ = cursor.replayed(seq: 2)
        #expect(second_)
        let second = cursor.endReplay()
        #expect(second.frames == ["e3"])
        #expect(!second.stillMissing)
    }
}

@Suite("Outbox")
struct OutboxTests {
    @Test("the writer takes everything queued at once")
    func batches() async {
        let outbox = Outbox(limit: 10)
        #expect(outbox.push("a"))
        #expect(outbox.push("b"))
        #expect(await outbox.next() == ["a", "b"])
        outbox.close()
        #expect(await outbox.next() == nil)
        #expect(!outbox.push("c"))
    }

    @Test("a queue past its bound closes as overflowed and drops what it held")
    func overflow() async {
        let outbox = Outbox(limit: 3)
        for frame in ["1", "2", "3"] { #expect(outbox.push(frame)) }
        #expect(!outbox.push("4"))
        #expect(outbox.closure == .overflowed)
        #expect(await outbox.next() == nil)
    }

    @Test("a replay waits for the writer instead of overflowing")
    func replayWaits() async {
        let outbox = Outbox(limit: 4)
        let writer = Task {
            var received: [String] = []
            while received.count < 20, let frames = await outbox.next() { received += frames }
            return received
        }
        for index in 0..<20 { #expect(await outbox.pushWaitingForSpace("\(index)")) }
        #expect(await writer.value == (0..<20).map(String.init))
        #expect(outbox.closure == nil)
    }
}
