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

    @Test("facilitators create series and move or cancel single occurrences; the listing follows; bad input changes nothing",
        arguments: TestApp.StoreKind.allCases)
    func createAndChange(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.test { client async throws in
                let (_, ann, _, _) = try await StreamTests.setUp(app, client)
                let (_, modToken, _) = try await ReviewQueueHTTPTests.staff(app, client)
                func create(_ changes: [String: Any], _ token: String) async throws -> Reply {
                    var body: [String: Any] = [
                        "title": "Coaching", "timezone": "America/Chicago", "dtstart": "2026-10-20T08:30", "duration_minutes": 45,
                        "rrule": "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=6", "exdates": ["2026-10-22T08:30"], "capacity": 25,
                    ]
                    for (key, value) in changes { body[key] = value }
                    return try await client.call(.post, "/api/v1/communities/ohio/call-series", json: body, token: token)
                }
                #expect(try await create([:], ann).status == .forbidden, "a member")
                #expect(try await create(["timezone": "Mars/Olympus"], modToken).errorField == "timezone")
                #expect(try await create(["dtstart": "2026-10-21T08:30"], modToken).errorField == "dtstart", "a Wednesday")
                #expect(try await create(["rrule": "FREQ=DAILY"], modToken).errorField == "rrule")
                #expect(try await create(["duration_minutes": 0], modToken).errorField == "duration_minutes")
                #expect(try await create(["exdates": ["2026-10-21T08:30"]], modToken).errorField == "exdates[0]")
                #expect(try await create(["title": " "], modToken).errorField == "title")
                #expect(try await create(["semester": "fall-2026"], modToken).status == .conflict, "Ohio has a fall-2026 series")
                let created = try await create([:], modToken)
                #expect(created.status == .created, "\(created.body)")
                let coaching = try #require(created.object["id"] as? Int)
                #expect(created.object["capacity"] as? Int == 25)
                let listed = try await client.call(.get, "/api/v1/call-series/\(coaching)/occurrences?from=2026-10-01T00:00:00Z&to=2027-01-01T00:00:00Z")
                #expect(listed.array("occurrences").compactMap { $0["local_start"] as? String } == [
                    "2026-10-20T08:30", "2026-10-27T08:30", "2026-10-29T08:30", "2026-11-03T08:30", "2026-11-05T08:30",
                ], "COUNT 6 less the exdate")

                let fall = try #require(try await Self.ohioSeries(client).first?["id"] as? Int)
                func change(_ id: String, _ body: [String: Any], _ token: String = modToken) async throws -> Reply {
                    try await client.call(.patch, "/api/v1/occurrences/\(id)", json: body, token: token)
                }
                #expect(try await change("\(fall)-20261110T1600", ["start": "2026-11-12T16:00"], ann).status == .forbidden)
                let moved = try await change("\(fall)-20261110T1600", ["start": "2026-11-12T16:00"])
                #expect(moved.status == .ok, "\(moved.body)")
                #expect(moved.object["starts_at"] as? String == "2026-11-12T21:00:00Z")
                #expect(moved.object["original_start"] as? String == "2026-11-10T16:00")
                #expect(moved.object["sequence"] as? Int == 1)
                let cancelled = try await change("\(fall)-20261208T1600", ["status": "cancelled"])
                #expect(cancelled.object["status"] as? String == "cancelled")
                #expect(try await change("\(fall)-20261013T1600", ["start": "2027-01-13T16:00"]).errorField == "start", "more than 60 days")
                #expect(try await change("\(fall)-20261013T1600", [:]).errorField == "start")
                #expect(try await change("\(fall)-20261014T1600", ["status": "cancelled"]).status == .notFound, "not an occurrence")
                #expect(try await change("\(coaching)-20261022T0830", ["status": "cancelled"]).status == .notFound, "an exdate")
                #expect(try await change("nonsense", ["status": "cancelled"]).status == .notFound)
                #expect(try await change("\(fall)-20261013T1600", ["status": "maybe"]).errorField == "status")
                let fallNow = try await client.call(.get, "/api/v1/call-series/\(fall)/occurrences?from=2026-09-01T00:00:00Z&to=2027-01-01T00:00:00Z")
                #expect(fallNow.array("occurrences").compactMap { "\($0["local_start"] ?? "")/\($0["status"] ?? "")" } == [
                    "2026-09-08T16:00/scheduled", "2026-10-13T16:00/scheduled", "2026-11-12T16:00/scheduled", "2026-12-08T16:00/cancelled",
                ])
                let back = try await change("\(fall)-20261110T1600", ["start": NSNull()])
                #expect(back.object["local_start"] as? String == "2026-11-10T16:00")
                #expect(back.object["sequence"] as? Int == 2)
            }
        }
    }

    @Test("icalendar and recurring-ical-events read the community's feed — RFC 5545 lines, VTIMEZONEs, RRULE, EXDATE, moved and cancelled occurrences — and expand exactly the occurrences the API lists over a year across DST",
        arguments: TestApp.StoreKind.allCases)
    func calendarFeed(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                _ = try await StreamTests.setUp(app, client)
                let (_, modToken, _) = try await ReviewQueueHTTPTests.staff(app, client)
                for series in [
                    [
                        "title": "Coaching; small groups, Tuesdays & Thursdays", "description": "Bring a case.\nOne page, please.", "timezone": "America/Chicago",
                        "dtstart": "2026-10-20T08:30", "duration_minutes": 45, "rrule": "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=12", "exdates": ["2026-10-22T08:30"],
                    ],
                    [
                        "title": "London exchange — a long title that will need folding because it runs well past seventy-five octets ✓",
                        "timezone": "Europe/London", "dtstart": "2026-10-25T18:00", "duration_minutes": 60, "rrule": "FREQ=MONTHLY;BYDAY=-1SU",
                        "until": "2027-06-30",
                    ],
                ] as [[String: Any]] {
                    let created = try await client.call(.post, "/api/v1/communities/ohio/call-series", json: series, token: modToken)
                    #expect(created.status == .created, "\(created.body)")
                }
                let fall = try #require(try await Self.ohioSeries(client).first?["id"] as? Int)
                _ = try await client.call(.patch, "/api/v1/occurrences/\(fall)-20261110T1600", json: ["start": "2026-11-12T16:00"], token: modToken)
                _ = try await client.call(.patch, "/api/v1/occurrences/\(fall)-20261208T1600", json: ["status": "cancelled"], token: modToken)

                let run = try await ForumFeedTests.python(
                    "Tests/Calls/ical_feed.py", ["http://127.0.0.1:\(port)", "ohio", "2026-09-01T00:00:00Z", "2027-09-01T00:00:00Z"])
                #expect(run.status == 0, "\(run.output)")
            }
        }
    }

    @Test("members answer going, maybe or declined for one call or the whole series; past the capacity the going wait in order and move up when a place frees; counts and one's own answer show on the listing",
        arguments: TestApp.StoreKind.allCases)
    func rsvps(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.test { client async throws in
                let (_, ann, bob, tex) = try await StreamTests.setUp(app, client)
                let (_, modToken, cy) = try await ReviewQueueHTTPTests.staff(app, client)
                let (_, dee) = try await app.user(client, "Dee")
                _ = try await client.call(.post, "/api/v1/communities/ohio/join", token: dee)
                let created = try await client.call(
                    .post, "/api/v1/communities/ohio/call-series",
                    json: [
                        "title": "Small circle", "timezone": "America/New_York", "dtstart": "2026-10-06T15:00", "duration_minutes": 30,
                        "rrule": "FREQ=WEEKLY;COUNT=3", "capacity": 2,
                    ], token: modToken)
                let series = try #require(created.object["id"] as? Int, "\(created.body)")
                let first = "\(series)-20261006T1500"
                func answer(_ occurrence: String, _ status: String, _ token: String) async throws -> Reply {
                    try await client.call(.post, "/api/v1/occurrences/\(occurrence)/rsvp", json: ["status": status], token: token)
                }
                func listing(_ token: String?) async throws -> [[String: Any]] {
                    try await client.call(.get, "/api/v1/call-series/\(series)/occurrences?from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z", token: token)
                        .array("occurrences")
                }
                #expect(try await answer(first, "going", ann).object["waitlisted"] as? Bool == false)
                app.clock.advance(1)
                #expect(try await answer(first, "going", bob).object["waitlisted"] as? Bool == false)
                app.clock.advance(1)
                let waiting = try await answer(first, "going", cy)
                #expect(waiting.object["waitlisted"] as? Bool == true)
                #expect(waiting.object["waitlist_position"] as? Int == 1)
                app.clock.advance(1)
                #expect(try await client.call(.post, "/api/v1/call-series/\(series)/rsvp", json: ["status": "going"], token: dee).status == .ok)

                var counts = try #require(try await listing(nil).first?["rsvp_counts"] as? [String: Int])
                #expect(counts == ["going": 2, "maybe": 0, "declined": 0, "waitlisted": 2])
                let second = try #require(try await listing(nil).dropFirst().first?["rsvp_counts"] as? [String: Int])
                #expect(second["going"] == 1, "Dee's answer for the whole series")
                #expect(try await listing(nil).first?["my_rsvp"] == nil)

                #expect(try await answer(first, "declined", bob).object["status"] as? String == "declined")
                let mine = try #require(try await listing(cy).first?["my_rsvp"] as? [String: Any])
                #expect(mine["waitlisted"] as? Bool == false, "Cy moved up")
                let told = try await client.call(.get, "/api/v1/notifications", token: cy).array("notifications")
                #expect(told.first?["kind"] as? String == "rsvp_moved_up", "and is told")
                #expect(told.first?["occurrence_id"] as? String == first)
                #expect(try await client.call(.get, "/api/v1/notifications", token: dee).array("notifications").isEmpty, "Dee still waits")
                let dees = try #require(try await listing(dee).first?["my_rsvp"] as? [String: Any])
                #expect(dees["waitlist_position"] as? Int == 1)
                counts = try #require(try await listing(nil).first?["rsvp_counts"] as? [String: Int])
                #expect(counts == ["going": 2, "maybe": 0, "declined": 1, "waitlisted": 1])
                app.clock.advance(1)
                #expect(try await answer(first, "going", bob).object["waitlist_position"] as? Int == 2, "going again: the end of the line")

                #expect(try await answer(first, "going", tex).status == .forbidden, "another community's member")
                #expect(try await answer(first, "perhaps", ann).errorField == "status")
                #expect(try await answer("\(series)-20261007T1500", "going", ann).status == .notFound)
                #expect(try await answer("\(series)-20261027T1500", "going", ann).status == .notFound, "past COUNT")
                _ = try await client.call(.patch, "/api/v1/occurrences/\(series)-20261013T1500", json: ["status": "cancelled"], token: modToken)
                #expect(try await answer("\(series)-20261013T1500", "going", ann).status == .conflict)

                // A larger capacity moves the waitlist up, and those who move up are told.
                func edit(_ body: [String: Any], _ token: String) async throws -> Reply {
                    try await client.call(.patch, "/api/v1/call-series/\(series)", json: body, token: token)
                }
                #expect(try await edit(["capacity": 3], ann).status == .forbidden)
                let raised = try await edit(["capacity": 3, "title": "  Small circle, larger  "], modToken)
                #expect(raised.status == .ok, "\(raised.body)")
                #expect(raised.object["title"] as? String == "Small circle, larger")
                #expect(try #require(try await listing(dee).first?["my_rsvp"] as? [String: Any])["waitlisted"] as? Bool == false)
                #expect(try await client.call(.get, "/api/v1/notifications", token: dee).array("notifications").first?["kind"] as? String == "rsvp_moved_up")
                #expect(try await edit(["capacity": 0], modToken).errorField == "capacity")
                #expect(try await edit(["until": "2026-01-01"], modToken).errorField == "until")
                #expect(try await edit(["title": ""], modToken).errorField == "title")
                #expect(try await edit([:], modToken).errorField == "title")
                #expect(try await edit(["until": "2026-10-06"], modToken).status == .ok)
                #expect(try await listing(nil).count == 1, "the series ends on its first day now")
                #expect(try await edit(["capacity": NSNull(), "until": NSNull()], modToken).object["capacity"] == nil)
                #expect(try await listing(nil).count == 3)

                #expect(try await client.call(.delete, "/api/v1/call-series/\(series)", token: ann).status == .forbidden)
                #expect(try await client.call(.delete, "/api/v1/call-series/\(series)", token: modToken).status == .noContent)
                #expect(try await client.call(.get, "/api/v1/call-series/\(series)/occurrences").status == .notFound)
                #expect(try await client.call(.delete, "/api/v1/call-series/\(series)", token: modToken).status == .notFound)
            }
        }
    }

    @Test("a member's private feed holds the calls of their communities, private ones too, behind a token they can replace or revoke")
    func memberFeed() async throws {
        let app = try await TestApp.make(private: true)
        try await app.test { client async throws in
            let (_, ann, _, _) = try await StreamTests.setUp(app, client)
            let circle = try #require(try await app.store.community(slug: "steering-circle"))
            let annID = try #require((try await client.call(.get, "/api/v1/me", token: ann).object["user"] as? [String: Any])?["id"] as? Int)
            _ = try await app.store.createGrant(userID: Int64(annID), role: .member, scope: .community(circle.id), grantedBy: nil, now: app.clock.now())
            let ohio = try await app.store.callSeries(communityID: try #require(try await app.store.community(slug: "ohio")).id)
            let texas = try await app.store.callSeries(communityID: try #require(try await app.store.community(slug: "texas")).id)
            let hidden = try await app.store.callSeries(communityID: circle.id)

            #expect(try await client.call(.post, "/api/v1/me/calendar-token").status == .unauthorized)
            let issued = try await client.call(.post, "/api/v1/me/calendar-token", token: ann)
            #expect(issued.status == .created)
            let path = try #require(issued.string("path"))
            let feed = try await client.call(.get, path)
            #expect(feed.status == .ok)
            #expect(feed.headers[.contentType] == "text/calendar; charset=utf-8")
            #expect(feed.body.contains("X-WR-CALNAME:My Convene calls"))
            for series in ohio + hidden { #expect(feed.body.contains("UID:call-series-\(series.id)@convene"), "\(series.title)") }
            for series in texas { #expect(!feed.body.contains("UID:call-series-\(series.id)@convene"), "not a member of Texas") }
            #expect(try await client.call(.get, "/api/v1/communities/steering-circle/calendar.ics").status == .notFound, "the private community has no public feed")

            let replaced = try #require(try await client.call(.post, "/api/v1/me/calendar-token", token: ann).string("path"))
            #expect(try await client.call(.get, path).status == .notFound, "the earlier token stopped working")
            #expect(try await client.call(.get, replaced).status == .ok)
            #expect(try await client.call(.delete, "/api/v1/me/calendar-token", token: ann).status == .noContent)
            #expect(try await client.call(.get, replaced).status == .notFound)
            #expect(try await client.call(.delete, "/api/v1/me/calendar-token", token: ann).status == .notFound)
            #expect(try await client.call(.get, "/api/v1/calendar/not-a-token.ics").status == .notFound)
        }
    }

    @Test("a day and an hour before a call, everyone going with a place or maybe is reminded — stored, pushed live, and never twice, however many sweeps or restarts; the waitlisted, the declined and cancelled calls are not",
        arguments: TestApp.StoreKind.allCases)
    func reminders(store: TestApp.StoreKind) async throws {
        // The clock moves a month on: sessions last longer than that here.
        try await TestApp.with(store, { $0.sessionIdleMinutes = 90 * 1_440 }) { app in
            try await app.live { client, port, services async throws in
                let (_, ann, bob, _) = try await StreamTests.setUp(app, client)
                let (_, modToken, cy) = try await ReviewQueueHTTPTests.staff(app, client)
                let created = try await client.call(
                    .post, "/api/v1/communities/ohio/call-series",
                    json: [
                        "title": "Tiny circle", "timezone": "America/New_York", "dtstart": "2026-10-06T15:00", "duration_minutes": 30,
                        "rrule": "FREQ=WEEKLY;COUNT=2", "capacity": 1,
                    ], token: modToken)
                let series = try #require(created.object["id"] as? Int, "\(created.body)")
                let first = "\(series)-20261006T1500"
                for (token, status) in [(ann, "going"), (bob, "going"), (cy, "maybe")] {
                    app.clock.advance(1)
                    #expect(try await client.call(.post, "/api/v1/occurrences/\(first)/rsvp", json: ["status": status], token: token).status == .ok)
                }
                _ = try await client.call(.patch, "/api/v1/occurrences/\(series)-20261013T1500", json: ["status": "cancelled"], token: modToken)
                _ = try await client.call(.post, "/api/v1/call-series/\(series)/rsvp", json: ["status": "going"], token: cy)
                func remindersOf(_ token: String) async throws -> [[String: Any]] {
                    try await client.call(.get, "/api/v1/notifications", token: token).array("notifications").filter {
                        ($0["kind"] as? String)?.hasPrefix("reminder") == true
                    }
                }
                // 19:00Z on 6 October is the start: first 23 hours before it.
                let start = try Date("2026-10-06T19:00:00Z", strategy: .iso8601)
                app.clock.advance(start.addingTimeInterval(-23 * 3_600).timeIntervalSince(app.clock.now()))
                let stream = StreamClient(port: port, headers: StreamClient.bearer(ann))
                _ = await stream.next()
                let reminders = Reminders(store: app.store, notifications: services.notifications, logger: TestApp.logger, now: { app.clock.now() })
                #expect(try await reminders.sweep() == 2, "Ann going with the place, Cy maybe")
                let pushed = try #require(await stream.framesCollecting(ops: ["notification"], count: 1).first?["notification"] as? [String: Any])
                #expect(pushed["kind"] as? String == "reminder_day")
                #expect(pushed["occurrence_id"] as? String == first)
                #expect(pushed["series_id"] as? Int == series)
                #expect(pushed["excerpt"] as? String == "Tiny circle")
                #expect(pushed["actor"] == nil)
                #expect(try await reminders.sweep() == 0, "a second sweep tells nobody twice")
                let restarted = Reminders(store: app.store, notifications: services.notifications, logger: TestApp.logger, now: { app.clock.now() })
                #expect(try await restarted.sweep() == 0, "nor does a restarted node")
                #expect(try await remindersOf(bob).isEmpty, "waitlisted")

                app.clock.advance(22.5 * 3_600)
                #expect(try await reminders.sweep() == 2)
                #expect(try await remindersOf(ann).compactMap { $0["kind"] as? String } == ["reminder_hour", "reminder_day"])
                #expect(try await remindersOf(cy).count == 2)
                app.clock.advance(7 * 86_400)
                #expect(try await reminders.sweep() == 0, "the next call is cancelled")
                _ = await stream.close()
            }
        }
    }

    @Test("facilitators write an occurrence's agenda, members its notes; each save is a revision on top of the one the writer saw (a stale one is refused), with line diffs",
        arguments: TestApp.StoreKind.allCases)
    func agendaAndNotes(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.test { client async throws in
                let (_, ann, bob, tex) = try await StreamTests.setUp(app, client)
                let (_, modToken, _) = try await ReviewQueueHTTPTests.staff(app, client)
                let fall = try #require(try await Self.ohioSeries(client).first?["id"] as? Int)
                let occurrence = "\(fall)-20261013T1600"
                func save(_ kind: String, _ body: String, base: Int, _ token: String) async throws -> Reply {
                    try await client.call(.put, "/api/v1/occurrences/\(occurrence)/\(kind)", json: ["body": body, "base_revision": base], token: token)
                }
                let empty = try await client.call(.get, "/api/v1/occurrences/\(occurrence)/agenda")
                #expect(empty.object["revision"] as? Int == 0)
                #expect(empty.object["body"] as? String == "")

                #expect(try await save("agenda", "1. Welcome", base: 0, ann).status == .forbidden, "a member does not write the agenda")
                let agenda = try await save("agenda", "1. Welcome\n2. **Circles**", base: 0, modToken)
                #expect(agenda.status == .ok, "\(agenda.body)")
                #expect(agenda.object["revision"] as? Int == 1)
                #expect((agenda.object["body_html"] as? String)?.contains("<strong>Circles</strong>") == true)

                #expect(try await save("notes", "Ann: we start at 4.", base: 0, ann).object["revision"] as? Int == 1)
                #expect(try await save("notes", "Bob: we start at 3.", base: 0, bob).status == .conflict, "Bob wrote over a version he had not seen")
                let second = try await save("notes", "Ann: we start at 4.\nBob: we start at 3.", base: 1, bob)
                #expect(second.object["revision"] as? Int == 2)
                #expect((second.object["editor"] as? [String: Any])?["display_name"] as? String == "Bob")
                #expect(try await save("notes", "x", base: 2, tex).status == .forbidden, "another community's member")

                let revisions = try await client.call(.get, "/api/v1/occurrences/\(occurrence)/notes/revisions").array("revisions")
                #expect(revisions.count == 2)
                let diff = try #require(revisions.last?["diff"] as? [[String: Any]])
                #expect(diff.compactMap { $0["kind"] as? String } == [" ", "+"])
                #expect(try await client.call(.get, "/api/v1/occurrences/\(occurrence)/notes").object["body"] as? String == "Ann: we start at 4.\nBob: we start at 3.")

                #expect(try await save("notes", String(repeating: "x", count: 20_001), base: 2, ann).errorField == "body")
                #expect(try await save("notes", "x", base: -1, ann).errorField == "base_revision")
                #expect(try await client.call(.get, "/api/v1/occurrences/\(fall)-20261014T1600/notes").status == .notFound)
                #expect(try await client.call(.put, "/api/v1/occurrences/\(occurrence)/notes", json: ["body": "x"], token: ann).errorField == "base_revision")
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
