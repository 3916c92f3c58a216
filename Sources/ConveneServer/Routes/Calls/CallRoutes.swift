import ConveneCore
import Foundation
import Hummingbird

/// `/api/v1/call-series/…`: call series and their occurrences.
struct CallRoutes {
    let accounts: Accounts
    let calls: Calls

    struct OccurrenceView: Encodable {
        var id: String
        var seriesId: Int64
        var startsAt: Date
        var endsAt: Date
        /// The start on the series' own clock, and that clock.
        var localStart: String
        var timezone: String
        /// `scheduled` (moving and cancelling single occurrences come with overrides).
        var status: String
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
                    occurrences: occurrences.map {
                        OccurrenceView(
                            id: $0.id, seriesId: $0.seriesID, startsAt: $0.startsAt, endsAt: $0.endsAt, localStart: $0.localStart.description,
                            timezone: series.timezone, status: "scheduled")
                    }))
        }
    }
}
