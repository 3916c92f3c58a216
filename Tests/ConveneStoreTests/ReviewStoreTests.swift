import ConveneCore
import ConveneStore
import Foundation
import Testing

@Suite("Flags and review items in the store")
struct ReviewStoreTests {
    @Test("flags gather in one open item per target; the threshold hides the message at the next seq; a member flags once; rejecting shows it again",
        arguments: StoreFixture.Kind.allCases)
    func flagsAndSettling(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            let (channel, ann, bob) = try await MessageStoreTests.setUp(store)
            let cy = try await StoreFixture.user(store, "cy@example.org")
            guard case .created(let message) = try await store.append([MessageStoreTests.message(channel, ann.id, "m")], now: StoreFixture.now)[0] else {
                Issue.record("setup failed")
                return
            }
            let community = message.communityID
            func flag(_ user: User, _ reason: FlagReason) -> NewFlag {
                NewFlag(communityID: community, targetType: .message, targetID: message.id, userID: user.id, reason: reason, note: nil)
            }
            let first = try await store.fileFlag(flag(bob, .spam), hideThreshold: 2, now: StoreFixture.now)
            #expect(first.item.flagCount == 1)
            #expect(first.hidden == nil)
            #expect(first.flag.userName == "bob@example.org")
            await #expect(throws: ConveneError.self) { try await store.fileFlag(flag(bob, .other), hideThreshold: 2, now: StoreFixture.now) }
            let second = try await store.fileFlag(flag(cy, .privacy), hideThreshold: 2, now: StoreFixture.now)
            #expect(second.item.id == first.item.id, "a second open item for one target")
            #expect(second.item.flagCount == 2)
            #expect(second.item.escalated)
            let hidden = try #require(second.hidden)
            #expect(hidden.kind == .messageHidden)
            #expect(hidden.seq == 2)
            #expect(try await store.message(id: message.id)?.hidden == true)
            #expect(try await store.flags(reviewItemID: first.item.id).map(\.reason) == [.spam, .privacy])
            #expect(try await store.reviewItems(communityIDs: [community], state: .open, offset: 0, limit: 10).map(\.id) == [first.item.id])
            #expect(try await store.reviewItems(communityIDs: [community + 1], state: .open, offset: 0, limit: 10).isEmpty)

            let audit = NewAuditEntry(communityID: community, actorID: ann.id, action: "resolve_flag", targetType: "review_item", targetID: first.item.id, reason: "fine")
            let settled = try #require(try await store.settleReviewItem(id: first.item.id, as: .rejected, by: ann.id, audit: audit, now: StoreFixture.now))
            #expect(settled.item.state == .rejected)
            #expect(settled.event?.kind == .messageUnhidden)
            #expect(settled.event?.seq == 3)
            #expect(settled.audit.before?.contains("\"state\":\"open\"") == true)
            #expect(try await store.settleReviewItem(id: first.item.id, as: .resolved, by: ann.id, audit: audit, now: StoreFixture.now) == nil)
            #expect(try await store.assignReviewItem(id: first.item.id, to: ann.id) == nil, "a settled item was assigned")
            #expect(try await store.events(channelID: channel, afterSeq: 0, limit: 10).map(\.kind) == [.messageCreated, .messageHidden, .messageUnhidden])
        }
    }

    @Test("a staff hide is audited with the message before and after, and settles the message's open item; a member's change is not audited",
        arguments: StoreFixture.Kind.allCases)
    func staffChange(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            let (channel, ann, bob) = try await MessageStoreTests.setUp(store)
            guard case .created(let message) = try await store.append([MessageStoreTests.message(channel, ann.id, "m")], now: StoreFixture.now)[0] else {
                Issue.record("setup failed")
                return
            }
            let filed = try await store.fileFlag(
                NewFlag(communityID: message.communityID, targetType: .message, targetID: message.id, userID: bob.id, reason: .spam, note: nil),
                hideThreshold: 3, now: StoreFixture.now)
            _ = try await store.change(.react(messageID: message.id, userID: bob.id, emoji: "🎉", on: true), now: StoreFixture.now)
            #expect(try await store.auditEntries(communityID: nil, afterID: nil, limit: 10).isEmpty)
            let audit = NewAuditEntry(communityID: message.communityID, actorID: bob.id, action: "hide", targetType: "message", targetID: message.id, reason: "spam")
            let (event, row) = try #require(try await store.change(.hide(messageID: message.id, by: bob.id, hidden: true), audit: audit, now: StoreFixture.now))
            #expect(event.message.hidden)
            let written = try #require(row)
            #expect(written.before?.contains("\"hidden\":false") == true)
            #expect(written.after?.contains("\"hidden\":true") == true)
            #expect(try await store.reviewItem(id: filed.item.id)?.state == .resolved)
            #expect(try await store.change(.hide(messageID: message.id, by: bob.id, hidden: true), audit: audit, now: StoreFixture.now) == nil)
        }
    }
}
