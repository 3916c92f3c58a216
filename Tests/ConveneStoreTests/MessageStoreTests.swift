import ConveneCore
import ConveneStore
import Foundation
import Testing

@Suite("Messages in the store")
struct MessageStoreTests {
    static func message(_ channel: Int64, _ author: Int64, _ nonce: String, thread: Int64? = nil) -> NewMessage {
        NewMessage(channelID: channel, authorID: author, body: "hello \(nonce)", bodyHTML: "<p>hello \(nonce)</p>", threadID: thread, nonce: nonce)
    }

    /// A seeded store with two users and the id of Ohio's `general` channel.
    static func setUp(_ store: any ConveneStore) async throws -> (channel: Int64, ann: User, bob: User) {
        _ = try await store.seed(try StoreFixture.seeds(), now: StoreFixture.now)
        let ohio = try #require(try await store.community(slug: "ohio"))
        let general = try #require(try await store.channels(communityID: ohio.id).first { $0.name == "general" })
        return (general.id, try await StoreFixture.user(store, "ann@example.org"), try await StoreFixture.user(store, "bob@example.org"))
    }

    @Test("concurrent appends number a channel's messages 1…N with no gap and no repeat", arguments: StoreFixture.Kind.allCases)
    func gapFree(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            let (channel, ann, bob) = try await Self.setUp(store)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<8 {
                    group.addTask {
                        for index in 0..<10 {
                            let author = index % 2 == 0 ? ann.id : bob.id
                            _ = try await store.append(
                                [Self.message(channel, author, "t\(task)-\(index)-a"), Self.message(channel, author, "t\(task)-\(index)-b")],
                                now: StoreFixture.now)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let messages = try await store.messages(channelID: channel, afterSeq: 0, beforeSeq: nil, limit: 500)
            #expect(messages.map(\.seq) == Array(1...160))
            let events = try await store.events(channelID: channel, afterSeq: 0, limit: 500)
            #expect(events.map(\.seq) == Array(1...160))
            #expect(events.allSatisfy { $0.kind == .messageCreated })
            #expect(Set(messages.map { $0.body }).count == 160)
        }
    }

    @Test("a repeated nonce returns the original message and stores nothing", arguments: StoreFixture.Kind.allCases)
    func nonceDedupe(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            let (channel, ann, bob) = try await Self.setUp(store)
            let first = try await store.append([Self.message(channel, ann.id, "n1")], now: StoreFixture.now)
            guard case .created(let original) = first[0] else {
                Issue.record("not created: \(first)")
                return
            }
            let again = try await store.append(
                [Self.message(channel, ann.id, "n1"), Self.message(channel, bob.id, "n1"), Self.message(channel, bob.id, "n1")], now: StoreFixture.now)
            #expect(again[0] == .duplicate(original))
            guard case .created(let bobs) = again[1] else {
                Issue.record("another author's nonce is theirs: \(again[1])")
                return
            }
            #expect(again[2] == .duplicate(bobs))
            #expect(try await store.messages(channelID: channel, afterSeq: 0, beforeSeq: nil, limit: 10).map(\.seq) == [1, 2])
        }
    }

    @Test("replies count on their thread root; a root from elsewhere is refused and uses no seq", arguments: StoreFixture.Kind.allCases)
    func threads(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            let (channel, ann, bob) = try await Self.setUp(store)
            let ohio = try #require(try await store.community(slug: "ohio"))
            let other = try #require(try await store.channels(communityID: ohio.id).first { $0.name != "general" })
            guard case .created(let root) = try await store.append([Self.message(channel, ann.id, "root")], now: StoreFixture.now)[0],
                case .created(let elsewhere) = try await store.append([Self.message(other.id, ann.id, "elsewhere")], now: StoreFixture.now)[0]
            else {
                Issue.record("setup failed")
                return
            }
            let outcomes = try await store.append(
                [
                    Self.message(channel, bob.id, "reply", thread: root.id),
                    Self.message(channel, bob.id, "wrong-channel", thread: elsewhere.id),
                ], now: StoreFixture.now)
            guard case .created(let reply) = outcomes[0] else {
                Issue.record("reply refused: \(outcomes[0])")
                return
            }
            guard case .rejected(let error) = outcomes[1] else {
                Issue.record("a root from another channel was accepted")
                return
            }
            #expect(error.field == "thread_id")
            let nested = try await store.append([Self.message(channel, bob.id, "nested", thread: reply.id)], now: StoreFixture.now)
            guard case .rejected = nested[0] else {
                Issue.record("a reply to a reply was accepted")
                return
            }
            let messages = try await store.messages(channelID: channel, afterSeq: 0, beforeSeq: nil, limit: 10)
            #expect(messages.map(\.seq) == [1, 2])
            #expect(messages.first?.replyCount == 1)
            #expect(messages.last?.threadID == root.id)
        }
    }

    @Test("history reads forward after a seq and backward before one, always in ascending order", arguments: StoreFixture.Kind.allCases)
    func history(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            let (channel, ann, _) = try await Self.setUp(store)
            _ = try await store.append((1...30).map { Self.message(channel, ann.id, "h\($0)") }, now: StoreFixture.now)
            #expect(try await store.messages(channelID: channel, afterSeq: 10, beforeSeq: nil, limit: 5).map(\.seq) == [11, 12, 13, 14, 15])
            #expect(try await store.messages(channelID: channel, afterSeq: nil, beforeSeq: 10, limit: 3).map(\.seq) == [7, 8, 9])
            #expect(try await store.messages(channelID: channel, afterSeq: nil, beforeSeq: nil, limit: 2).map(\.seq) == [29, 30])
            #expect(try await store.events(channelID: channel, afterSeq: 28, limit: 10).map(\.seq) == [29, 30])
        }
    }

    @Test("channel names are unique per community and a private channel's creator is its member", arguments: StoreFixture.Kind.allCases)
    func channels(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            let (_, ann, bob) = try await Self.setUp(store)
            let ohio = try #require(try await store.community(slug: "ohio"))
            let texas = try #require(try await store.community(slug: "texas"))
            let hidden = try await store.createChannel(
                communityID: ohio.id, name: "leads", topic: "", isPrivate: true, announcementOnly: false, slowModeSeconds: 0, createdBy: ann.id,
                now: StoreFixture.now)
            await #expect(throws: ConveneError.self) {
                _ = try await store.createChannel(
                    communityID: ohio.id, name: "leads", topic: "", isPrivate: false, announcementOnly: false, slowModeSeconds: 0, createdBy: ann.id,
                    now: StoreFixture.now)
            }
            _ = try await store.createChannel(
                communityID: texas.id, name: "leads", topic: "", isPrivate: false, announcementOnly: false, slowModeSeconds: 30, createdBy: nil,
                now: StoreFixture.now)
            #expect(try await store.isChannelMember(channelID: hidden.id, userID: ann.id))
            #expect(!(try await store.isChannelMember(channelID: hidden.id, userID: bob.id)))
            #expect(try await store.addChannelMember(channelID: hidden.id, userID: bob.id, now: StoreFixture.now))
            #expect(!(try await store.addChannelMember(channelID: hidden.id, userID: bob.id, now: StoreFixture.now)))
            #expect(try await store.privateChannelIDs(communityID: ohio.id, userID: bob.id) == [hidden.id])
        }
    }
}

@Suite("Message edits and deletes in the store")
struct MessageChangeStoreTests {
    @Test("an edit keeps the old text as a revision and takes the next seq; a delete leaves a tombstone", arguments: StoreFixture.Kind.allCases)
    func editAndDelete(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            let (channel, ann, bob) = try await MessageStoreTests.setUp(store)
            guard case .created(let root) = try await store.append([MessageStoreTests.message(channel, ann.id, "root")], now: StoreFixture.now)[0],
                case .created(let reply) = try await store.append([MessageStoreTests.message(channel, bob.id, "reply", thread: root.id)], now: StoreFixture.now)[0]
            else {
                Issue.record("setup failed")
                return
            }
            let later = StoreFixture.now.addingTimeInterval(60)
            let edited = try #require(
                try await store.change(.edit(messageID: root.id, editorID: ann.id, body: "root, edited", bodyHTML: "<p>root, edited</p>"), now: later))
            #expect(edited.seq == 3)
            #expect(edited.kind == .messageEdited)
            #expect(edited.message.body == "root, edited")
            #expect(edited.message.editedAt == later)
            #expect(try await store.change(.edit(messageID: root.id, editorID: ann.id, body: "root, edited", bodyHTML: "x"), now: later) == nil)

            let deleted = try #require(try await store.change(.delete(messageID: reply.id, deletedBy: bob.id), now: later))
            #expect(deleted.seq == 4)
            #expect(deleted.message.deleted)
            #expect(deleted.message.body.isEmpty)
            #expect(try await store.message(id: root.id)?.replyCount == 0)
            await #expect(throws: ConveneError.self) {
                _ = try await store.change(.edit(messageID: reply.id, editorID: bob.id, body: "back", bodyHTML: "back"), now: later)
            }
            #expect(try await store.revisions(messageID: root.id).map(\.body) == ["hello root"])
            #expect(try await store.revisions(messageID: reply.id).map(\.body) == ["hello reply"])
            let events = try await store.events(channelID: channel, afterSeq: 0, limit: 10)
            #expect(events.map(\.seq) == [1, 2, 3, 4])
            #expect(events.map(\.kind) == [.messageCreated, .messageCreated, .messageEdited, .messageDeleted])
        }
    }

    @Test("reactions and pins each take the next seq, are kept on the message, and a change to nothing takes none", arguments: StoreFixture.Kind.allCases)
    func reactionsAndPins(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            let (channel, ann, bob) = try await MessageStoreTests.setUp(store)
            guard case .created(let root) = try await store.append([MessageStoreTests.message(channel, ann.id, "root")], now: StoreFixture.now)[0]
            else {
                Issue.record("setup failed")
                return
            }
            let later = StoreFixture.now.addingTimeInterval(60)
            let first = try #require(try await store.change(.react(messageID: root.id, userID: bob.id, emoji: "🎉", on: true), now: later))
            #expect(first.seq == 2)
            #expect(first.kind == .reactionChanged)
            #expect(try await store.change(.react(messageID: root.id, userID: bob.id, emoji: "🎉", on: true), now: later) == nil)
            _ = try await store.change(.react(messageID: root.id, userID: ann.id, emoji: ":wave:", on: true), now: later)
            let third = try #require(try await store.change(.react(messageID: root.id, userID: ann.id, emoji: "🎉", on: true), now: later))
            #expect(third.message.reactions == [Reaction(emoji: "🎉", users: [bob.id, ann.id]), Reaction(emoji: ":wave:", users: [ann.id])])
            let back = try #require(try await store.change(.react(messageID: root.id, userID: bob.id, emoji: "🎉", on: false), now: later))
            // Ordered by the earliest reaction still given: Ann's :wave: came before her 🎉.
            #expect(back.message.reactions == [Reaction(emoji: ":wave:", users: [ann.id]), Reaction(emoji: "🎉", users: [ann.id])])
            #expect(try await store.change(.react(messageID: root.id, userID: bob.id, emoji: "🎉", on: false), now: later) == nil)
            #expect(try await store.message(id: root.id)?.reactions == back.message.reactions)

            let pinned = try #require(try await store.change(.pin(messageID: root.id, by: bob.id, pinned: true), now: later))
            #expect(pinned.kind == .messagePinned)
            #expect(pinned.message.pinnedAt == later)
            #expect(try await store.change(.pin(messageID: root.id, by: bob.id, pinned: true), now: later) == nil)
            #expect(try await store.pinnedMessages(channelID: channel).map(\.id) == [root.id])
            #expect(try await store.revisions(messageID: root.id).isEmpty, "reactions and pins are not revisions")

            _ = try await store.change(.delete(messageID: root.id, deletedBy: ann.id), now: later)
            #expect(try await store.pinnedMessages(channelID: channel).isEmpty, "a deleted message stays pinned")
            await #expect(throws: ConveneError.self) {
                _ = try await store.change(.react(messageID: root.id, userID: bob.id, emoji: "🎉", on: true), now: later)
            }
            let events = try await store.events(channelID: channel, afterSeq: 0, limit: 20)
            #expect(events.map(\.seq) == Array(1...7))
            #expect(events.map(\.kind) == [.messageCreated, .reactionChanged, .reactionChanged, .reactionChanged, .reactionChanged, .messagePinned, .messageDeleted])
            #expect(events.last?.message.reactions == [], "a deleted message shows no reactions")
        }
    }

    @Test("a message takes at most 20 different emoji, and a channel at most 50 pins", arguments: StoreFixture.Kind.allCases)
    func reactionAndPinLimits(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            let (channel, ann, bob) = try await MessageStoreTests.setUp(store)
            let batch = (0..<51).map { MessageStoreTests.message(channel, ann.id, "m\($0)") }
            let messages = try await store.append(batch, now: StoreFixture.now).compactMap { outcome -> Message? in
                if case .created(let message) = outcome { return message }
                return nil
            }
            #expect(messages.count == 51)
            for index in 0..<Reaction.distinctLimit {
                _ = try await store.change(.react(messageID: messages[0].id, userID: bob.id, emoji: ":e\(index):", on: true), now: StoreFixture.now)
            }
            await #expect(throws: ConveneError.self) {
                _ = try await store.change(.react(messageID: messages[0].id, userID: bob.id, emoji: ":one-more:", on: true), now: StoreFixture.now)
            }
            #expect(try await store.change(.react(messageID: messages[0].id, userID: ann.id, emoji: ":e3:", on: true), now: StoreFixture.now) != nil)
            for message in messages.prefix(50) {
                _ = try await store.change(.pin(messageID: message.id, by: bob.id, pinned: true), now: StoreFixture.now)
            }
            await #expect(throws: ConveneError.self) {
                _ = try await store.change(.pin(messageID: messages[50].id, by: bob.id, pinned: true), now: StoreFixture.now)
            }
            #expect(try await store.pinnedMessages(channelID: channel).count == 50)
            #expect(try await store.channel(id: channel)?.lastSeq == 51 + 21 + 50)
        }
    }

    @Test("a read marker only moves forward, and unread counts others' live messages after it, or since joining without one", arguments: StoreFixture.Kind.allCases)
    func readMarkers(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            let (channel, ann, bob) = try await MessageStoreTests.setUp(store)
            let ohio = try #require(try await store.community(slug: "ohio"))
            let before = StoreFixture.now
            _ = try await store.append([MessageStoreTests.message(channel, bob.id, "old")], now: before)
            let joined = before.addingTimeInterval(60)
            _ = try await store.join(communityID: ohio.id, userID: ann.id, now: joined)
            let after = joined.addingTimeInterval(60)
            let outcomes = try await store.append(
                [MessageStoreTests.message(channel, bob.id, "b1"), MessageStoreTests.message(channel, ann.id, "a1"),
                 MessageStoreTests.message(channel, bob.id, "b2"), MessageStoreTests.message(channel, bob.id, "b3")], now: after)
            guard case .created(let b3) = outcomes[3] else {
                Issue.record("setup failed")
                return
            }
            var states = try await store.readStates(communityID: ohio.id, userID: ann.id)
            #expect(states[channel] == ReadState(readSeq: 0, unread: 3), "history from before joining, or one's own message, counted")

            #expect(try await store.markRead(channelID: channel, userID: ann.id, seq: 3, now: after) == 3)
            states = try await store.readStates(communityID: ohio.id, userID: ann.id)
            #expect(states[channel] == ReadState(readSeq: 3, unread: 2))
            #expect(try await store.markRead(channelID: channel, userID: ann.id, seq: 1, now: after) == 3, "the marker moved back")
            _ = try await store.change(.delete(messageID: b3.id, deletedBy: bob.id), now: after)
            #expect(try await store.readStates(communityID: ohio.id, userID: ann.id)[channel] == ReadState(readSeq: 3, unread: 1))
            _ = try await store.markRead(channelID: channel, userID: ann.id, seq: 6, now: after)
            #expect(try await store.readStates(communityID: ohio.id, userID: ann.id)[channel] == ReadState(readSeq: 6, unread: 0))
            #expect(try await store.readStates(communityID: ohio.id, userID: bob.id)[channel]?.unread ?? 0 == 0, "bob is no member: nothing counts")
        }
    }

    @Test("a message's mentions are stored with it; each user lists, counts and marks only their own", arguments: StoreFixture.Kind.allCases)
    func notifications(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            let (channel, ann, bob) = try await MessageStoreTests.setUp(store)
            let ohio = try #require(try await store.community(slug: "ohio"))
            for user in [ann, bob] { _ = try await store.join(communityID: ohio.id, userID: user.id, now: StoreFixture.now) }
            #expect(try await store.members(communityID: ohio.id, nameKeys: [Mentions.key(bob.displayName)]) == [bob.id])
            #expect(try await store.members(communityID: ohio.id, nameKeys: ["nobody"]).isEmpty)

            var mentioning = MessageStoreTests.message(channel, ann.id, "m1")
            mentioning.mentions = [bob.id, ann.id, bob.id]
            guard case .created(let message) = try await store.append([mentioning], now: StoreFixture.now)[0] else {
                Issue.record("not created")
                return
            }
            #expect(try await store.append([mentioning], now: StoreFixture.now)[0] == .duplicate(message))
            let created = try await store.notifications(messageID: message.id)
            #expect(created.map(\.userID) == [bob.id], "the author, or a retry, was notified")
            #expect(created.first?.excerpt == "hello m1")
            #expect(created.first?.actorName == ann.displayName)
            #expect(created.first?.messageSeq == 1)
            #expect(try await store.unreadNotificationCount(userID: bob.id) == 1)
            #expect(try await store.notifications(userID: ann.id, beforeID: nil, unreadOnly: false, limit: 10).isEmpty)

            let id = try #require(created.first?.id)
            #expect(try await store.markNotificationsRead(userID: ann.id, ids: [id], now: StoreFixture.now) == 0, "marked another's")
            #expect(try await store.markNotificationsRead(userID: bob.id, ids: [id], now: StoreFixture.now) == 1)
            #expect(try await store.unreadNotificationCount(userID: bob.id) == 0)
            #expect(try await store.notifications(userID: bob.id, beforeID: nil, unreadOnly: true, limit: 10).isEmpty)
            #expect(try await store.notifications(userID: bob.id, beforeID: nil, unreadOnly: false, limit: 10).first?.readAt == StoreFixture.now)

            _ = try await store.change(.delete(messageID: message.id, deletedBy: ann.id), now: StoreFixture.now)
            #expect(try await store.notifications(messageID: message.id).first?.excerpt == "", "a deleted message's text stays in notifications")
        }
    }

    @Test("search finds live messages with every word, stemmed, the last as a prefix, only in the channels given, and follows edits", arguments: StoreFixture.Kind.allCases)
    func search(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            let (channel, ann, _) = try await MessageStoreTests.setUp(store)
            let ohio = try #require(try await store.community(slug: "ohio"))
            let other = try await store.createChannel(
                communityID: ohio.id, name: "other", topic: "", isPrivate: false, announcementOnly: false, slowModeSeconds: 0, createdBy: nil,
                now: StoreFixture.now)
            func post(_ body: String, in target: Int64 = channel) async throws -> Message {
                let new = NewMessage(channelID: target, authorID: ann.id, body: body, bodyHTML: body, threadID: nil, nonce: body)
                guard case .created(let message) = try await store.append([new], now: StoreFixture.now)[0] else { throw ConveneError(.conflict, "not created") }
                return message
            }
            let agenda = try await post("Monthly meeting agenda: SEL routines")
            let recap = try await post("The meetings were great, thank you all")
            let budget = try await post("Budget for the spring semester")
            let secret = try await post("meeting notes, deleted later")
            _ = try await post("meeting in another channel", in: other.id)
            _ = try await store.change(.delete(messageID: secret.id, deletedBy: ann.id), now: StoreFixture.now)

            let meeting = try await store.searchMessages(terms: ["meeting"], channelIDs: [channel], limit: 10, offset: 0)
            #expect(Set(meeting.map(\.id)) == [agenda.id, recap.id], "stemming, a deleted message, or another channel")
            #expect(try await store.searchMessages(terms: ["monthly", "agenda"], channelIDs: [channel], limit: 10, offset: 0).map(\.id) == [agenda.id])
            #expect(try await store.searchMessages(terms: ["monthly", "budget"], channelIDs: [channel], limit: 10, offset: 0).isEmpty)
            #expect(try await store.searchMessages(terms: ["bud"], channelIDs: [channel], limit: 10, offset: 0).map(\.id) == [budget.id])
            #expect(try await store.searchMessages(terms: ["meeting"], channelIDs: [channel, other.id], limit: 10, offset: 0).count == 3)
            #expect(try await store.searchMessages(terms: ["meeting"], channelIDs: [], limit: 10, offset: 0).isEmpty)
            #expect(try await store.searchMessages(terms: ["meeting"], channelIDs: [channel], limit: 1, offset: 1).count == 1)

            _ = try await store.change(.edit(messageID: budget.id, editorID: ann.id, body: "Calendar for the spring semester", bodyHTML: "x"), now: StoreFixture.now)
            #expect(try await store.searchMessages(terms: ["budget"], channelIDs: [channel], limit: 10, offset: 0).isEmpty, "the old text is still found")
            #expect(try await store.searchMessages(terms: ["calendar"], channelIDs: [channel], limit: 10, offset: 0).map(\.id) == [budget.id])
        }
    }
}
