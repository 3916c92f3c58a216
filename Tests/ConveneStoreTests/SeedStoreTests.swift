import ConveneCore
import ConveneStore
import Foundation
import Testing

@Suite("Seeds in the store")
struct SeedStoreTests {
    @Test("the seed network loads: 35 organizations, a national community and one per state", arguments: StoreFixture.Kind.allCases)
    func loads(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            let seeds = try StoreFixture.seeds()
            let report = try await store.seed(seeds, now: StoreFixture.now)
            #expect(report.organizations == 35)
            let organizations = try await store.organizations()
            #expect(organizations.count == 35)
            #expect(organizations.contains { $0.name == "Regional Office of Education #33" && $0.kind == .regionalOffice && $0.state == "IL" })
            #expect(organizations.contains { $0.name == "Nassau BOCES" && $0.kind == .boces })
            let communities = try await store.communities()
            let states = Set(organizations.map(\.state))
            #expect(communities.count == states.count + 1)
            #expect(communities.contains { $0.slug == "national" && $0.states.isEmpty })
            for state in states {
                #expect(communities.contains { $0.states == [state] }, "no community for \(state)")
            }
            let national = try #require(try await store.community(slug: "national"))
            #expect(try await store.organizations(communityID: national.id).count == 35)
            let committees = try await store.committees(communityID: national.id)
            #expect(Set(committees.map(\.slug)) == ["steering", "recruiting-communications", "forums-calls-tools", "events", "model-schools"])
            #expect(committees.first { $0.slug == "steering" }?.confers == [.lead])
            #expect(Set(committees.first { $0.slug == "forums-calls-tools" }?.confers ?? []) == [.moderator, .facilitator])
            #expect(try await store.channels(communityID: national.id).contains { $0.name == "announcements" && $0.announcementOnly })
            #expect(try await store.tags(communityID: national.id).count == seeds.defaults.tags.count)
            let series = try await store.callSeries(communityID: national.id)
            #expect(series.count == seeds.defaults.callSeries.count)
            #expect(series.allSatisfy { $0.rrule.contains("FREQ=MONTHLY") && $0.timezone == national.timezone })
        }
    }

    @Test("seeding twice adds nothing and duplicates nothing", arguments: StoreFixture.Kind.allCases)
    func idempotent(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            let seeds = try StoreFixture.seeds()
            let first = try await store.seed(seeds, now: StoreFixture.now)
            let communities = try await store.communities()
            let organizations = try await store.organizations()
            let second = try await store.seed(seeds, now: StoreFixture.now)
            #expect(first.total > 0)
            #expect(second.total == 0)
            #expect(try await store.communities() == communities)
            #expect(try await store.organizations() == organizations)
            let california = try #require(try await store.community(slug: "california"))
            #expect(try await store.channels(communityID: california.id).count == seeds.defaults.channels.count)
        }
    }

    @Test("a seed file with a broken reference writes nothing", arguments: StoreFixture.Kind.allCases)
    func brokenSeedWritesNothing(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            var seeds = try StoreFixture.seeds()
            seeds.communities[1].organizations.append("no-such-district")
            await #expect(throws: ConveneError.self) { try await store.seed(seeds, now: StoreFixture.now) }
            #expect(try await store.communities().isEmpty)
            #expect(try await store.organizations().isEmpty)
        }
    }

    @Test("the status report counts organizations, members and recent joins per state", arguments: StoreFixture.Kind.allCases)
    func statusReport(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            _ = try await store.seed(try StoreFixture.seeds(), now: StoreFixture.now)
            let california = try #require(try await store.community(slug: "california"))
            let ann = try await StoreFixture.user(store, "ann@example.org")
            let bob = try await StoreFixture.user(store, "bob@example.org")
            _ = try await store.join(communityID: california.id, userID: ann.id, now: StoreFixture.now.addingTimeInterval(-40 * 86_400))
            _ = try await store.join(communityID: california.id, userID: bob.id, now: StoreFixture.now)
            let report = try await store.statusReport(now: StoreFixture.now)
            let row = try #require(report.first { $0.code == "CA" })
            #expect(row.organizations == 7)
            #expect(row.members == 2)
            #expect(row.newMembers30d == 1)
            #expect(row.readiness == california.readiness)
            #expect(report.first { $0.code == "TX" }?.members == 0)
        }
    }
}
