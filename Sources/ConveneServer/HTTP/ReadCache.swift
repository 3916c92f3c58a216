import ConveneCore
import Foundation
import Hummingbird
import Synchronization

/// Question pages, question lists and feeds, kept a moment and shared by their readers. A list or
/// a feed reads the same to everyone who may read its community; a question page reads the same
/// to everyone who sees no hidden post on it, but for their own votes, which are filled in per
/// reader (see ``JSONTemplate``). Who may read is checked on every request, against the
/// community kept with the entry; a reader's votes on a page are kept beside it, per reader, and
/// dropped with it.
///
/// Every change to a question — asked, answered, voted, accepted, edited, hidden… on any node —
/// reaches `Fanout.toQuestion`, which drops that question's page, the votes kept with it and every
/// list at once (a vote is such a change, so one's own vote reads back at once); a copy
/// made while a change landed is not kept. An entry lives `lifetime` at most, so a reader sees
/// something older only when a bus note between nodes was lost, and then by less than that.
final class ReadCache: Sendable {
    /// A question page as its plain readers read it, with a slot for each of their votes.
    struct Page: Sendable {
        var question: Question
        var community: Community
        /// The authors of its hidden answers: they and the community's moderators read the page
        /// afresh, with those answers' text.
        var hiddenAnswerAuthors: Set<Int64>
        /// Slot 0 is the reader's vote on the question; slot i + 1 on `answerIDs[i]`.
        var answerIDs: [Int64]
        var template: JSONTemplate

        func render(votes: Votes) -> ByteBuffer {
            template.render([votes.question] + answerIDs.map { votes.answers[$0] ?? 0 })
        }
    }

    /// A reader's votes on a question and on its answers.
    typealias Votes = (question: Int, answers: [Int64: Int])

    /// A list or a feed: one body for everyone who may read `community`.
    struct Shared: Sendable {
        var community: Community
        var body: ByteBuffer
    }

    private struct Entry<Value: Sendable>: Sendable {
        var value: Value
        var stored: ContinuousClock.Instant
    }

    static let lifetime: Duration = .seconds(1)
    /// Entries kept at most; past it, the expired go, then everything.
    static let capacity = 10_000

    /// Pages by question and lists by key, kept apart so a change drops its page and every list
    /// at once, without walking the rest.
    private struct Entries {
        var pages: [Int64: Entry<Page>] = [:]
        var lists: [String: Entry<Shared>] = [:]
        /// Readers' votes by question, then reader.
        var votes: [Int64: [Int64: Entry<Votes>]] = [:]
        var readersVotes = 0
        /// Counts the changes: a copy is kept only when none landed while it was made.
        var changes: UInt64 = 0

        var count: Int { pages.count + lists.count + readersVotes }

        mutating func makeRoom(now: ContinuousClock.Instant) {
            guard count >= ReadCache.capacity else { return }
            pages = pages.filter { now - $0.value.stored < ReadCache.lifetime }
            lists = lists.filter { now - $0.value.stored < ReadCache.lifetime }
            votes = votes.mapValues { $0.filter { now - $0.value.stored < ReadCache.lifetime } }.filter { !$0.value.isEmpty }
            readersVotes = votes.values.reduce(0) { $0 + $1.count }
            if count >= ReadCache.capacity { (pages, lists, votes, readersVotes) = ([:], [:], [:], 0) }
        }
    }

    private let entries = Mutex(Entries())
    /// The pages being read, so that readers who miss at once wait for one read (see `page(_:orLoad:)`).
    private let loading = Mutex<[Int64: Task<Page?, any Error>]>([:])

    /// The mark to pass to `store` for a copy about to be made.
    func mark() -> UInt64 { entries.withLock { $0.changes } }

    func page(_ question: Int64, now: ContinuousClock.Instant = .now) -> Page? {
        entries.withLock { Self.fresh(&$0.pages, question, now: now) }
    }

    func shared(_ key: String, now: ContinuousClock.Instant = .now) -> Shared? {
        entries.withLock { Self.fresh(&$0.lists, key, now: now) }
    }

    /// The kept page of `question`, or the one `load` reads (nil: none to share), kept. Readers
    /// who miss while it is read wait for that one read instead of each reading the page; a change
    /// to the question meanwhile lets the next reader start a read of its own.
    func page(_ question: Int64, orLoad load: @escaping @Sendable () async throws -> Page?) async throws -> Page? {
        if let kept = page(question) { return kept }
        let task = loading.withLock { loading in
            if let running = loading[question] { return running }
            let mark = mark()
            let task = Task {
                let page = try await load()
                if let page { store(page, since: mark) }
                return page
            }
            loading[question] = task
            return task
        }
        defer { loading.withLock { if $0[question] == task { $0[question] = nil } } }
        return try await task.value
    }

    /// `reader`'s votes on the page of `question`, when kept.
    func votes(question: Int64, reader: Int64, now: ContinuousClock.Instant = .now) -> Votes? {
        entries.withLock { entries in
            guard var readers = entries.votes[question] else { return nil }
            defer { entries.votes[question] = readers.isEmpty ? nil : readers }
            let before = readers.count
            let found = Self.fresh(&readers, reader, now: now)
            entries.readersVotes -= before - readers.count
            return found
        }
    }

    /// The value kept under `key` while it is fresh; an expired one goes.
    private static func fresh<Key: Hashable, Value>(_ kept: inout [Key: Entry<Value>], _ key: Key, now: ContinuousClock.Instant) -> Value? {
        guard let entry = kept[key] else { return nil }
        guard now - entry.stored < lifetime else {
            kept[key] = nil
            return nil
        }
        return entry.value
    }

    /// Keeps `page`, made since `mark`, unless a change landed meanwhile.
    func store(_ page: Page, since mark: UInt64, now: ContinuousClock.Instant = .now) {
        entries.withLock { entries in
            guard entries.changes == mark else { return }
            entries.makeRoom(now: now)
            entries.pages[page.question.id] = Entry(value: page, stored: now)
        }
    }

    /// Keeps `shared` under `key`, made since `mark`, unless a change landed meanwhile.
    func store(_ key: String, _ shared: Shared, since mark: UInt64, now: ContinuousClock.Instant = .now) {
        entries.withLock { entries in
            guard entries.changes == mark else { return }
            entries.makeRoom(now: now)
            entries.lists[key] = Entry(value: shared, stored: now)
        }
    }

    /// Keeps `reader`'s votes on the page of `question`, read since `mark`, unless a change landed meanwhile.
    func store(_ votes: Votes, question: Int64, reader: Int64, since mark: UInt64, now: ContinuousClock.Instant = .now) {
        entries.withLock { entries in
            guard entries.changes == mark else { return }
            entries.makeRoom(now: now)
            if entries.votes[question, default: [:]].updateValue(Entry(value: votes, stored: now), forKey: reader) == nil { entries.readersVotes += 1 }
        }
    }

    /// Drops a question's page, the votes kept with it, and every list (the question changed, or is new).
    func invalidate(question: Int64) {
        loading.withLock { $0[question] = nil }
        entries.withLock { entries in
            entries.changes &+= 1
            entries.pages[question] = nil
            entries.readersVotes -= entries.votes.removeValue(forKey: question)?.count ?? 0
            entries.lists.removeAll()
        }
    }

    /// Answers a GET of a list or feed: from the kept copy when there is one and `readable`
    /// passes its community (it throws otherwise), else made by `make` (which checks access
    /// itself) and kept. Errors are never kept.
    func respond(
        _ key: String, contentType: String = "application/json; charset=utf-8", readable: (Community) throws -> Void,
        _ make: () async throws -> Shared
    ) async throws -> Response {
        if let shared = shared(key) {
            try readable(shared.community)
            return Self.response(shared.body, contentType)
        }
        let mark = mark()
        let shared = try await make()
        store(key, shared, since: mark)
        return Self.response(shared.body, contentType)
    }

    static func response(_ body: ByteBuffer, _ contentType: String = "application/json; charset=utf-8") -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: body))
    }
}
