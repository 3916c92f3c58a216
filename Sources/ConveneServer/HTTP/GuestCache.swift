import Foundation
import Hummingbird
import Synchronization

/// Responses to readers who are not signed in, kept for a moment: a public question page or
/// question list is the same for every guest, and guests (feed readers, search engines, people
/// following a link) are most of a public forum's readers. A signed-in reader always gets a
/// fresh answer (their votes, their hidden posts, their grants).
///
/// Every change to a question — asked, answered, voted, accepted, edited, hidden… on any node —
/// reaches `Fanout.toQuestion`, which drops that question's page and every list at once. An
/// entry lives `lifetime` at most, so a guest reads something older only when a bus note between
/// nodes was lost, and then by less than that.
final class GuestCache: Sendable {
    enum Key: Hashable, Sendable {
        case page(Int64)
        case list(String)
    }

    struct Entry: Sendable {
        var body: ByteBuffer
        var stored: ContinuousClock.Instant
    }

    static let lifetime: Duration = .seconds(1)
    /// Entries kept at most; past it, the expired go, then everything.
    static let capacity = 10_000

    /// Pages by question and lists by key, kept apart so a change drops its page and every list
    /// at once, without walking the rest.
    private struct Entries {
        var pages: [Int64: Entry] = [:]
        var lists: [String: Entry] = [:]

        var count: Int { pages.count + lists.count }

        subscript(key: Key) -> Entry? {
            get {
                switch key {
                case .page(let question): pages[question]
                case .list(let name): lists[name]
                }
            }
            set {
                switch key {
                case .page(let question): pages[question] = newValue
                case .list(let name): lists[name] = newValue
                }
            }
        }
    }

    private let entries = Mutex(Entries())

    /// The stored body for `key`, when it is fresh.
    func body(_ key: Key, now: ContinuousClock.Instant = .now) -> ByteBuffer? {
        entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            guard now - entry.stored < Self.lifetime else {
                entries[key] = nil
                return nil
            }
            return entry.body
        }
    }

    func store(_ key: Key, body: ByteBuffer, now: ContinuousClock.Instant = .now) {
        entries.withLock { entries in
            if entries.count >= Self.capacity {
                entries.pages = entries.pages.filter { now - $0.value.stored < Self.lifetime }
                entries.lists = entries.lists.filter { now - $0.value.stored < Self.lifetime }
                if entries.count >= Self.capacity { entries = Entries() }
            }
            entries[key] = Entry(body: body, stored: now)
        }
    }

    /// Drops a question's page and every list (the question changed, or is new).
    func invalidate(question: Int64) {
        entries.withLock { entries in
            entries.pages[question] = nil
            entries.lists.removeAll()
        }
    }

    /// Answers a GET with the JSON `encode` makes: for a guest from the cache when it holds a
    /// fresh copy (kept otherwise); for a signed-in caller always fresh. Errors are never kept.
    func respond(
        _ key: Key, guest: Bool, contentType: String = "application/json; charset=utf-8", _ encode: () async throws -> ByteBuffer
    ) async throws -> Response {
        if guest, let body = body(key) { return Self.response(body, contentType) }
        let body = try await encode()
        if guest { store(key, body: body) }
        return Self.response(body, contentType)
    }

    private static func response(_ body: ByteBuffer, _ contentType: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: body))
    }
}
