import ConveneCore
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

        init(_ occurrence: Occurrence, timezone: String) {
            id = occurrence.id
            seriesId = occurrence.seriesID
            startsAt = occurrence.startsAt
            endsAt = occurrence.endsAt
            localStart = occurrence.localStart.description
            originalStart = occurrence.localStart == occurrence.originalStart ? nil : occurrence.originalStart.description
            self.timezone = timezone
            status = occurrence.status
            sequence = occurrence.sequence
        }
    }

    struct OccurrencesResponse: Encodable {
        var series: CallSeriesView
        var occurrences: [OccurrenceView]
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
            let (series, occurrences) = try await calls.occurrences(
                seriesID: id, from: try Self.time(request, "from"), to: try Self.time(request, "to"), by: try await accounts.principal(context.auth))
            return try JSON.response(
                OccurrencesResponse(
                    series: CallSeriesView(series),
                    occurrences: occurrences.map { OccurrenceView($0, timezone: series.timezone) }))
        }
        router.post("/api/v1/communities/{slug}/call-series") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let body = try await request.decodeJSON(Calls.NewSeries.self, limit: settings.maxBodyBytes)
            return try JSON.response(CallSeriesView(try await calls.create(slug: try context.slug(), body, by: principal)), status: .created)
        }
        router.patch("/api/v1/occurrences/{id}") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            guard let id = context.parameters.get("id") else { throw ConveneError.notFound("The occurrence") }
            let body = try await request.decodeJSON(Calls.Change.self, limit: settings.maxBodyBytes)
            let (series, occurrence) = try await calls.change(occurrenceID: id, body, by: principal)
            return try JSON.response(OccurrenceView(occurrence, timezone: series.timezone))
        }
        router.get("/api/v1/communities/{slug}/calendar.ics") { _, context in
            let (community, series) = try await calls.calendar(slug: try context.slug(), by: try await accounts.principal(context.auth))
            let text = try ICalendar(name: "\(community.name) — calls", timezone: community.timezone, series: series).text()
            return Response(
                status: .ok, headers: [.contentType: ICalendar.contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
    }
}
