import ConveneCore
import ConveneStore
import Foundation
import Testing

@Suite("Accounts in the store")
struct AccountStoreTests {
    @Test("an email registers once", arguments: StoreFixture.Kind.allCases)
    func uniqueEmail(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            _ = try await StoreFixture.user(store, "ann@example.org")
            await #expect(throws: ConveneError(.conflict, "An account with that email already exists.", field: "email")) {
                _ = try await StoreFixture.user(store, "ann@example.org")
            }
        }
    }

    @Test("a session ends when idle too long, at its absolute expiry, or when deleted", arguments: StoreFixture.Kind.allCases)
    func sessionExpiry(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            let ann = try await StoreFixture.user(store, "ann@example.org")
            let t0 = StoreFixture.now
            _ = try await store.createSession(userID: ann.id, tokenHash: "idle", csrfToken: "c", now: t0, expiresAt: t0.addingTimeInterval(10_000))
            _ = try await store.createSession(userID: ann.id, tokenHash: "absolute", csrfToken: "c", now: t0, expiresAt: t0.addingTimeInterval(300))
            _ = try await store.createSession(userID: ann.id, tokenHash: "logout", csrfToken: "c", now: t0, expiresAt: t0.addingTimeInterval(10_000))

            // Used every 100 s the idle session lives past the idle limit of 150 s.
            for step in 1...4 {
                #expect(try await store.session(tokenHash: "idle", now: t0.addingTimeInterval(Double(step) * 100), idleTimeout: 150) != nil)
            }
            #expect(try await store.session(tokenHash: "idle", now: t0.addingTimeInterval(600), idleTimeout: 150) == nil)
            #expect(try await store.session(tokenHash: "absolute", now: t0.addingTimeInterval(100), idleTimeout: 1_000)?.user == ann)
            #expect(try await store.session(tokenHash: "absolute", now: t0.addingTimeInterval(300), idleTimeout: 1_000) == nil)
            try await store.deleteSession(tokenHash: "logout")
            #expect(try await store.session(tokenHash: "logout", now: t0, idleTimeout: 1_000) == nil)
        }
    }

    @Test("a session is read with its user's principal: the grants and memberships as they stand at that read", arguments: StoreFixture.Kind.allCases)
    func sessionWithPrincipal(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            _ = try await store.seed(try StoreFixture.seeds(), now: StoreFixture.now)
            let ann = try await StoreFixture.user(store, "ann@example.org")
            let ohio = try #require(try await store.community(slug: "ohio"))
            let t0 = StoreFixture.now
            _ = try await store.createSession(userID: ann.id, tokenHash: "ann", csrfToken: "c", now: t0, expiresAt: t0.addingTimeInterval(10_000))
            let before = try #require(try await store.session(tokenHash: "ann", now: t0, idleTimeout: 1_000)?.principal)
            #expect(before.userID == ann.id)
            #expect(before.memberships.isEmpty && before.grants.isEmpty)
            _ = try await store.join(communityID: ohio.id, userID: ann.id, now: t0)
            _ = try await store.createGrant(userID: ann.id, role: .moderator, scope: .community(ohio.id), grantedBy: nil, now: t0)
            let after = try #require(try await store.session(tokenHash: "ann", now: t0, idleTimeout: 1_000)?.principal)
            #expect(after.memberships == [ohio.id])
            #expect(after.grants.map(\.role) == [.moderator])
            #expect(after == (try await store.principal(userID: ann.id)), "the same principal the store reads alone")
        }
    }

    @Test("an invite is redeemed once, before it expires, by its addressee, and joins its community", arguments: StoreFixture.Kind.allCases)
    func invites(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            _ = try await store.seed(try StoreFixture.seeds(), now: StoreFixture.now)
            let ohio = try #require(try await store.community(slug: "ohio"))
            let t0 = StoreFixture.now
            _ = try await store.createInvite(codeHash: "open", communityID: ohio.id, createdBy: nil, email: nil, now: t0, expiresAt: t0.addingTimeInterval(60))
            _ = try await store.createInvite(codeHash: "old", communityID: nil, createdBy: nil, email: nil, now: t0, expiresAt: t0.addingTimeInterval(-1))
            _ = try await store.createInvite(codeHash: "bob", communityID: nil, createdBy: nil, email: "bob@example.org", now: t0, expiresAt: t0.addingTimeInterval(60))

            let ann = try await store.createUser(NewUser(email: "ann@example.org", passwordHash: "h", displayName: "Ann", inviteCodeHash: "open"), now: t0)
            #expect(try await store.principal(userID: ann.id).memberships == [ohio.id])
            for (email, code) in [("cid@example.org", "open"), ("cid@example.org", "old"), ("cid@example.org", "bob"), ("cid@example.org", "nope")] {
                await #expect(throws: ConveneError.self) {
                    _ = try await store.createUser(NewUser(email: email, passwordHash: "h", displayName: "C", inviteCodeHash: code), now: t0)
                }
            }
            #expect(try await store.user(email: "cid@example.org") == nil)
            _ = try await store.createUser(NewUser(email: "bob@example.org", passwordHash: "h", displayName: "Bob", inviteCodeHash: "bob"), now: t0)
        }
    }

    @Test("a principal carries grants, memberships and what its committees confer", arguments: StoreFixture.Kind.allCases)
    func principal(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            _ = try await store.seed(try StoreFixture.seeds(), now: StoreFixture.now)
            let texas = try #require(try await store.community(slug: "texas"))
            let steering = try #require(try await store.committees(communityID: texas.id).first { $0.slug == "steering" })
            let ann = try await StoreFixture.user(store, "ann@example.org")
            let first = try await store.createGrant(
                userID: ann.id, role: .member, scope: .committee(community: texas.id, committee: steering.id), grantedBy: nil, now: StoreFixture.now)
            let again = try await store.createGrant(
                userID: ann.id, role: .member, scope: .committee(community: texas.id, committee: steering.id), grantedBy: nil, now: StoreFixture.now)
            #expect(first == again)
            let principal = try await store.principal(userID: ann.id)
            #expect(principal.grants.count == 1)
            #expect(Policy.role(of: principal, in: .community(texas.id)) == .lead)
            try await store.deleteGrant(id: first.id)
            #expect(Policy.role(of: try await store.principal(userID: ann.id), in: .community(texas.id)) == .guest)
        }
    }

    @Test("the SQLite file commits durably: WAL journal and synchronous=FULL")
    func durability() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("convene-durable-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: folder.appendingPathComponent("d.sqlite").path)
        try await store.migrate()
        let pragmas = try await store.pragmas()
        #expect(pragmas.journalMode == "wal")
        #expect(pragmas.synchronous == 2)
        #expect(pragmas.foreignKeys)
        #expect(try await store.integrityCheck() == "ok")
    }
}
