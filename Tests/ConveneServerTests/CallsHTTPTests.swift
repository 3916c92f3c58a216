import ConveneCore
import ConveneStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import ConveneServer

@Suite("call series occurrences over HTTP", .timeLimit(.minutes(2)))
struct CallsHTTPTests {
    /// Ohio's seeded series: fall first, spring second.
    static func ohioSeries(_ client: any TestClientProtocol) async throws -> [[String: Any]] {
        try await client.call(.get, "/api/v1/communities/ohio").object["call_series"] as? [[String: Any]] ?? []
    }

    @Test("a seeded series lists its second-Tuesday occurrences with stable ids, 16:00 in Ohio on either side of each change of clocks; bad windows are 422",
        arguments: TestApp.StoreKind.allCases)
    func occurrences(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.test { client async throws in
                let series = try await Self.ohioSeries(client)
                try #require(series.count == 2)
                let fall = try #require(series[0]["id"] as? Int)
                let spring = try #require(series[1]["id"] as? Int)
                func list(_ id: Int, _ query: String) async throws -> Reply {
                    try await client.call(.get, "/api/v1/call-series/\(id)/occurrences?\(query)")
                }
                let listed = try await list(fall, "from=2026-01-01T00:00:00Z&to=2027-12-31T00:00:00Z")
                #expect(listed.status == .ok, "\(listed.body)")
                let occurrences = listed.array("occurrences")
                #expect(occurrences.compactMap { $0["id"] as? String } == ["0908", "1013", "1110", "1208"].map { "\(fall)-2026\($0)T1600" })
                #expect(occurrences.compactMap { $0["starts_at"] as? String } == [
                    "2026-09-08T20:00:00Z", "2026-10-13T20:00:00Z", "2026-11-10T21:00:00Z", "2026-12-08T21:00:00Z",
                ])
                #expect(occurrences.first?["ends_at"] as? String == "2026-09-08T21:00:00Z")
                #expect(occurrences.first?["local_start"] as? String == "2026-09-08T16:00")
                #expect(occurrences.first?["timezone"] as? String == "America/New_York")
                #expect(occurrences.allSatisfy { $0["status"] as? String == "scheduled" })
                #expect((listed.object["series"] as? [String: Any])?["semester"] as? String == "fall-2026")

                let springTimes = try await list(spring, "from=2027-03-01T00:00:00Z&to=2027-05-01T00:00:00Z").array("occurrences").compactMap {
                    $0["starts_at"] as? String
                }
                #expect(springTimes == ["2027-03-09T21:00:00Z", "2027-04-13T20:00:00Z"], "the US clocks change on 14 March 2027")
                let again = try await list(fall, "from=2026-11-01T00:00:00Z&to=2026-11-30T00:00:00Z").array("occurrences")
                #expect(again.compactMap { $0["id"] as? String } == ["\(fall)-20261110T1600"], "the same id in any window")

                #expect(try await client.call(.get, "/api/v1/call-series/\(fall)/occurrences").status == .ok, "a year from now by default")
                #expect(try await list(fall, "from=2027-01-01T00:00:00Z&to=2026-01-01T00:00:00Z").errorField == "to")
                #expect(try await list(fall, "from=2026-01-01T00:00:00Z&to=2029-01-01T00:00:00Z").errorField == "to")
                #expect(try await list(fall, "from=yesterday").errorField == "from")
                #expect(try await client.call(.get, "/api/v1/call-series/999999/occurrences").status == .notFound)
            }
        }
    }

    @Test("a private community's series is not found by outsiders")
    func privateSeries() async throws {
        let app = try await TestApp.make(private: true)
        try await app.test { client async throws in
            let (_, ann, _, _) = try await StreamTests.setUp(app, client)
            let circle = try #require(try await app.store.community(slug: "steering-circle"))
            let series = try #require(try await app.store.callSeries(communityID: circle.id).first)
            #expect(try await client.call(.get, "/api/v1/call-series/\(series.id)/occurrences", token: ann).status == .notFound)
            #expect(try await client.call(.get, "/api/v1/call-series/\(series.id)/occurrences").status == .notFound)
        }
    }
}
