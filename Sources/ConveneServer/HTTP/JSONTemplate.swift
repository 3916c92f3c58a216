import Foundation
import NIOCore

/// A JSON document encoded once for many readers, with a few numbers that differ per reader (a
/// question page's `my_vote`s) filled in per response by copying bytes: encoding a 40 kB page
/// with `JSONEncoder` costs close to a millisecond, copying it a few microseconds.
///
/// The document is encoded with a marker number in each slot, and the encoder's bytes are cut
/// where the markers are. A marker is found as `"key":number`, which nothing else in the output
/// can spell: a quote inside a string value is escaped, so `"key":` only appears as a key.
struct JSONTemplate: Sendable {
    /// The bytes around the slots: one more than there are slots.
    private let segments: [ByteBuffer]
    /// The slot whose number follows each segment, in document order.
    private let slotAfter: [Int]
    private let bytes: Int

    /// The number put in slot `slot` while the document is encoded: far past any count or id the
    /// documents hold, and distinct per slot.
    static func marker(_ slot: Int) -> Int { 8_765_432_100_000 + slot }

    /// Cuts `encoded` (made with `marker(slot)` as the value of `key` in each of `slots` slots) at
    /// the markers; nil when they are not all there, once each. One pass over the bytes.
    init?(_ encoded: Data, key: String, slots: Int) {
        let pattern = Array("\"\(key)\":".utf8)
        var cuts: [(slot: Int, at: Int, length: Int)] = []
        encoded.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var index = 0
            while index + pattern.count <= bytes.count {
                guard bytes[index] == pattern[0], memcmp(bytes.baseAddress! + index, pattern, pattern.count) == 0 else {
                    index += 1
                    continue
                }
                let start = index + pattern.count
                var end = start
                var number = 0
                while end < bytes.count, end - start < 18, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end]) {
                    number = number * 10 + Int(bytes[end] - UInt8(ascii: "0"))
                    end += 1
                }
                let slot = number - Self.marker(0)
                if end > start, (0..<slots).contains(slot) { cuts.append((slot, start, end - start)) }
                index = end
            }
        }
        guard cuts.count == slots, Set(cuts.map(\.slot)).count == slots else { return nil }
        let whole = ByteBuffer(bytes: encoded)
        var segments: [ByteBuffer] = []
        var start = 0
        for cut in cuts {
            segments.append(whole.getSlice(at: start, length: cut.at - start)!)
            start = cut.at + cut.length
        }
        segments.append(whole.getSlice(at: start, length: whole.readableBytes - start)!)
        self.segments = segments
        self.slotAfter = cuts.map(\.slot)
        self.bytes = whole.readableBytes
    }

    /// The document with `values[slot]` in each slot.
    func render(_ values: [Int]) -> ByteBuffer {
        precondition(values.count == slotAfter.count, "one value per slot")
        var out = ByteBufferAllocator().buffer(capacity: bytes)
        for (index, segment) in segments.enumerated() {
            out.writeImmutableBuffer(segment)
            if index < slotAfter.count { out.writeString(String(values[slotAfter[index]])) }
        }
        return out
    }
}
