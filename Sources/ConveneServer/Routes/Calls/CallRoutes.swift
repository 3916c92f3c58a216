import ConveneCore
import ConveneStore
import Foundation
import Hummingbird

/// `/api/v1/call-series/…`: call series and their occurrences.
struct CallRoutes {
    let accounts: Accounts
    let calls: Calls
    let settings: Settings

    struct OccurrenceView: Encodable {
        var id: String
        var seriesId: Int64
        var startsAt: Date
        var endsAt: Date
        /// The start on the series' own clock, and that clock.
        var localStart: String
        /// The start the rule gave it, when it was moved.
        var originalStart: String?
        var timezone: String
        var status: Occurrence.Status
        /// How many times it was moved, cancelled or restored.
        var sequence: Int
        var rsvpCounts: Counts?
        /// The caller's own answer, when signed in and given.
        var myRsvp: Standing?

        struct Counts: Encodable {
            /// Going with a place (all who said going, without a capacity).
            var going: Int
            var maybe: Int
            var declined: Int
            /// Going, waiting for a place.
            var waitlisted: Int
        }

        struct Standing: Encodable {
            var status: RSVP.Status
            var waitlisted: Bool
            var waitlistPosition: Int?
        }

        init(_ occurrence: Occurrence, timezone: String, answers: Calls.Answers? = nil) {
            id = occurrence.id
            seriesId = occurrence.seriesID
            startsAt = occurrence.startsAt
            endsAt = occurrence.endsAt
            localStart = occurrence.localStart.description
            originalStart = occurrence.localStart == occurrence.originalStart ? nil : occurrence.originalStart.description
            self.timezone = timezone
            status = occurrence.status
            sequence = occurrence.sequence
            if let answers {
                rsvpCounts = Counts(going: answers.going, maybe: answers.maybe, declined: answers.declined, waitlisted: answers.waitlisted)
                myRsvp = answers.mine.map { Standing(status: $0.status, waitlisted: $0.waitlisted, waitlistPosition: $0.waitlistPosition) }
            }
        }
    }

    struct OccurrencesResponse: Encodable {
        var series: CallSeriesView
        var occurrences: [OccurrenceView]
    }

    struct RSVPBody: Decodable {
        var status: String
    }

    struct RSVPResponse: Encodable {
        var seriesId: Int64
        /// The occurrence answered for; absent for the whole series.
        var occurrenceId: String?
        var status: RSVP.Status
        /// For one occurrence with a capacity: whether the going waits for a place, and where.
        var waitlisted: Bool?
        var waitlistPosition: Int?
    }

    private func rsvpResponse(_ answered: (CallSeries, RSVP), occurrence: String?) async throws -> Response {
        let (series, rsvp) = answered
        var response = RSVPResponse(seriesId: series.id, occurrenceId: occurrence, status: rsvp.status)
        if let original = rsvp.occurrence {
            let standing = RSVP.standings(try await calls.store.rsvps(seriesID: series.id), occurrence: original, capacity: series.capacity)[rsvp.userID]
            response.waitlisted = standing?.waitlisted
            response.waitlistPosition = standing?.waitlistPosition
        }
        return try JSON.response(response)
    }

    struct TextBody: Decodable {
        var body: String
        /// The revision the writer started from (0 when there was none).
        var baseRevision: Int
    }

    struct TextView: Encodable {
        var kind: OccurrenceText.Kind
        var revision: Int
        var body: String
        var bodyHtml: String
        var editor: MessageView.Author?
        var updatedAt: Date?

        init(kind: OccurrenceText.Kind, _ text: OccurrenceText?) {
            self.kind = kind
            revision = text?.number ?? 0
            body = text?.body ?? ""
            bodyHtml = Markdown.html(body)
            editor = text.map { MessageView.Author(id: $0.editorID, displayName: $0.editorName) }
            updatedAt = text?.createdAt
        }
    }

    struct TextRevisionView: Encodable {
        var revision: Int
        var body: String
        var editor: MessageView.Author
        var createdAt: Date
        var diff: [LineDiff.Line]
    }

    /// An RFC 3339 time from the query, when given.
    static func time(_ request: Request, _ name: String) throws(ConveneError) -> Date? {
        guard let raw = request.uri.queryParameters.get(name) else { return nil }
        guard let date = try? Date(String(raw), strategy: .iso8601) else {
            throw ConveneError.invalid(name, "\(name) must be an RFC 3339 time, e.g. 2026-09-01T00:00:00Z.")
        }
        return date
    }

    func add(to router: some RouterMethods<AppRequestContext>) {
        router.get("/api/v1/call-series/{id}/occurrences") { request, context in
            let id = try request.id("id", context: context, what: "The call series")
            let principal = try await accounts.principal(context.auth)
            let (series, occurrences) = try await calls.occurrences(
                seriesID: id, from: try Self.time(request, "from"), to: try Self.time(request, "to"), by: principal)
            let answers = try await calls.answers(series, occurrences, for: principal.userID)
            return try JSON.response(
                OccurrencesResponse(
                    series: CallSeriesView(series),
                    occurrences: occurrences.map { OccurrenceView($0, timezone: series.timezone, answers: answers[$0.id]) }))
        }
        router.post("/api/v1/occurrences/{id}/rsvp") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            guard let id = context.parameters.get("id") else { throw ConveneError.notFound("The occurrence") }
            let body = try await request.decodeJSON(RSVPBody.self, limit: settings.maxBodyBytes)
            return try await rsvpResponse(try await calls.rsvp(occurrenceID: id, seriesID: nil, status: body.status, by: principal), occurrence: id)
        }
        router.post("/api/v1/call-series/{id}/rsvp") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let id = try request.id("id", context: context, what: "The call series")
            let body = try await request.decodeJSON(RSVPBody.self, limit: settings.maxBodyBytes)
            return try await rsvpResponse(try await calls.rsvp(occurrenceID: nil, seriesID: id, status: body.status, by: principal), occurrence: nil)
        }
        router.post("/api/v1/communities/{slug}/call-series") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let body = try await request.decodeJSON(Calls.NewSeries.self, limit: settings.maxBodyBytes)
            return try JSON.response(CallSeriesView(try await calls.create(slug: try context.slug(), body, by: principal)), status: .created)
        }
        router.patch("/api/v1/call-series/{id}") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let id = try request.id("id", context: context, what: "The call series")
            let body = try await request.decodeJSON(Calls.SeriesChange.self, limit: settings.maxBodyBytes)
            return try JSON.response(CallSeriesView(try await calls.update(seriesID: id, body, by: principal)))
        }
        router.delete("/api/v1/call-series/{id}") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            try await calls.delete(seriesID: try request.id("id", context: context, what: "The call series"), by: principal)
            return Response(status: .noContent)
        }
        router.patch("/api/v1/occurrences/{id}") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            guard let id = context.parameters.get("id") else { throw ConveneError.notFound("The occurrence") }
            let body = try await request.decodeJSON(Calls.Change.self, limit: settings.maxBodyBytes)
            let (series, occurrence) = try await calls.change(occurrenceID: id, body, by: principal)
            return try JSON.response(OccurrenceView(occurrence, timezone: series.timezone))
        }
        for kind in OccurrenceText.Kind.allCases {
            router.get("/api/v1/occurrences/{id}/\(kind.rawValue)") { _, context in
                guard let id = context.parameters.get("id") else { throw ConveneError.notFound("The occurrence") }
                let texts = try await calls.texts(occurrenceID: id, kind: kind, by: try await accounts.principal(context.auth))
                return try JSON.response(TextView(kind: kind, texts.last))
            }
            router.put("/api/v1/occurrences/{id}/\(kind.rawValue)") { request, context in
                let principal = try await accounts.principal(try context.requireAuth())
                guard let id = context.parameters.get("id") else { throw ConveneError.notFound("The occurrence") }
                let body = try await request.decodeJSON(TextBody.self, limit: settings.maxBodyBytes)
                let saved = try await calls.saveText(occurrenceID: id, kind: kind, body: body.body, base: body.baseRevision, by: principal)
                return try JSON.response(TextView(kind: kind, saved))
            }
            router.get("/api/v1/occurrences/{id}/\(kind.rawValue)/revisions") { _, context in
                guard let id = context.parameters.get("id") else { throw ConveneError.notFound("The occurrence") }
                let texts = try await calls.texts(occurrenceID: id, kind: kind, by: try await accounts.principal(context.auth))
                return try JSON.response([
                    "revisions": texts.enumerated().map { index, text in
                        TextRevisionView(
                            revision: text.number, body: text.body, editor: MessageView.Author(id: text.editorID, displayName: text.editorName),
                            createdAt: text.createdAt, diff: LineDiff.lines(from: index == 0 ? "" : texts[index - 1].body, to: text.body))
                    }
                ])
            }
        }
        router.get("/api/v1/occurrences/{id}/attendance") { _, context in
            guard let id = context.parameters.get("id") else { throw ConveneError.notFound("The occurrence") }
            return try JSON.response(AttendanceView(try await calls.attendance(occurrenceID: id, by: try await accounts.principal(context.auth))))
        }
        router.get("/api/v1/occurrences/{id}/attendance.csv") { _, context in
            guard let id = context.parameters.get("id") else { throw ConveneError.notFound("The occurrence") }
            let report = try await calls.attendance(occurrenceID: id, by: try await accounts.principal(context.auth))
            return Self.csv(AttendanceView.csv(report), filename: "attendance-\(id).csv")
        }
        router.get("/api/v1/call-series/{id}/attendance") { request, context in
            let id = try request.id("id", context: context, what: "The call series")
            let report = try await calls.attendance(
                seriesID: id, from: try Self.time(request, "from"), to: try Self.time(request, "to"), by: try await accounts.principal(context.auth))
            return try JSON.response(SeriesAttendanceView(report))
        }
        router.get("/api/v1/call-series/{id}/attendance.csv") { request, context in
            let id = try request.id("id", context: context, what: "The call series")
            let report = try await calls.attendance(
                seriesID: id, from: try Self.time(request, "from"), to: try Self.time(request, "to"), by: try await accounts.principal(context.auth))
            return Self.csv(SeriesAttendanceView.csv(report), filename: "attendance-series-\(id).csv")
        }
        router.post("/api/v1/me/calendar-token") { _, context in
            let token = try await calls.issueCalendarToken(by: try await accounts.principal(try context.requireAuth()))
            return try JSON.response(["token": token, "path": "/api/v1/calendar/\(token).ics"], status: .created)
        }
        router.delete("/api/v1/me/calendar-token") { _, context in
            try await calls.revokeCalendarToken(by: try await accounts.principal(try context.requireAuth()))
            return Response(status: .noContent)
        }
        router.get("/api/v1/calendar/{token}.ics") { _, context in
            guard let token = context.parameters.get("token") else { throw ConveneError.notFound("The calendar") }
            let series = try await calls.memberCalendar(token: token)
            let text = try ICalendar(name: "My Convene calls", timezone: series.first?.0.timezone ?? "UTC", series: series).text()
            return Response(status: .ok, headers: [.contentType: ICalendar.contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/api/v1/communities/{slug}/calendar.ics") { _, context in
            let (community, series) = try await calls.calendar(slug: try context.slug(), by: try await accounts.principal(context.auth))
            let text = try ICalendar(name: "\(community.name) — calls", timezone: community.timezone, series: series).text()
            return Response(
                status: .ok, headers: [.contentType: ICalendar.contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
    }
}

extension CallRoutes {
    static func csv(_ text: String, filename: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(filename)\""],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    struct OrganizationRef: Encodable {
        var id: Int64
        var slug: String
        var name: String

        init?(_ organization: Organization?) {
            guard let organization else { return nil }
            (id, slug, name) = (organization.id, organization.slug, organization.name)
        }
    }

    /// One call's attendance.
    struct AttendanceView: Encodable {
        var occurrence: String
        var startsAt: Date
        var endsAt: Date
        /// When the call was on (live to ended, or as scheduled): time outside it does not count.
        var window: Window
        var people: [Person]
        var organizations: [OrganizationTotal]

        struct Window: Encodable {
            var from: Date
            var to: Date
        }

        struct Person: Encodable {
            var user: Int64
            var name: String
            var organization: OrganizationRef?
            var firstJoin: Date
            /// Null while still in the room.
            var lastLeave: Date?
            var minutes: Int
        }

        struct OrganizationTotal: Encodable {
            /// Null for people of no organization.
            var organization: OrganizationRef?
            var people: Int
            var minutes: Int
        }

        init(_ report: Calls.OccurrenceAttendance) {
            occurrence = report.occurrence.id
            startsAt = report.occurrence.startsAt
            endsAt = report.occurrence.endsAt
            window = Window(from: report.window.lowerBound, to: report.window.upperBound)
            people = report.people.map {
                Person(
                    user: $0.person.user, name: $0.name, organization: OrganizationRef($0.organization), firstJoin: $0.person.firstJoin,
                    lastLeave: $0.person.lastLeave, minutes: $0.person.minutes)
            }
            organizations = report.organizations.map { OrganizationTotal(organization: OrganizationRef($1), people: $0.people, minutes: $0.minutes) }
        }

        static func csv(_ report: Calls.OccurrenceAttendance) -> String {
            CSV.render(
                header: ["user_id", "name", "organization", "first_join", "last_leave", "minutes"],
                rows: report.people.map {
                    [
                        "\($0.person.user)", $0.name, $0.organization?.name ?? "", $0.person.firstJoin.formatted(.iso8601),
                        $0.person.lastLeave?.formatted(.iso8601) ?? "", "\($0.person.minutes)",
                    ]
                })
        }
    }

    /// A series' attendance over a window, per organization.
    struct SeriesAttendanceView: Encodable {
        var seriesId: Int64
        var from: Date
        var to: Date
        var calls: [Call]
        var organizations: [Tally]

        struct Call: Encodable {
            var occurrence: String
            var startsAt: Date
            var people: Int
            var minutes: Int
        }

        struct Tally: Encodable {
            var organization: OrganizationRef?
            /// Calls at which someone of it was present for at least a minute.
            var callsAttended: Int
            /// Distinct people of it across those calls.
            var people: Int
            var minutes: Int
        }

        init(_ report: Calls.SeriesAttendance) {
            seriesId = report.series.id
            from = report.from
            to = report.to
            calls = report.calls.map {
                Call(occurrence: $0.occurrence.id, startsAt: $0.occurrence.startsAt, people: $0.people.count, minutes: $0.people.reduce(0) { $0 + $1.person.minutes })
            }
            organizations = report.organizations.map {
                Tally(organization: OrganizationRef($0.organization), callsAttended: $0.callsAttended, people: $0.people, minutes: $0.minutes)
            }
        }

        static func csv(_ report: Calls.SeriesAttendance) -> String {
            CSV.render(
                header: ["organization", "calls_attended", "calls_in_window", "people", "minutes"],
                rows: report.organizations.map {
                    [$0.organization?.name ?? "", "\($0.callsAttended)", "\(report.calls.count)", "\($0.people)", "\($0.minutes)"]
                })
        }
    }
}
