import ConveneCore
import ConveneStore
import Foundation

/// Call series and their occurrences — the monthly best-practices call and its kin.
struct Calls: Sendable {
    let store: any ConveneStore
    let directory: NetworkDirectory
    let now: @Sendable () -> Date

    /// The longest window one occurrence listing spans.
    static let longestWindow: TimeInterval = 2 * 366 * 86_400
    /// The window when the caller names none: from now, a year.
    static let defaultWindow: TimeInterval = 366 * 86_400

    /// The series, for whoever may read its community; 404 otherwise.
    func series(_ id: Int64, by principal: Principal) async throws -> (CallSeries, Community) {
        guard let series = try await store.callSeries(id: id) else { throw ConveneError.notFound("The call series") }
        do {
            return (series, try await directory.readable(id: series.communityID, by: principal))
        } catch let error as ConveneError where error.code == .notFound {
            throw ConveneError.notFound("The call series")
        }
    }

    /// The series' occurrences starting in `from..<to` (from now, a year, by default; at most two years).
    func occurrences(seriesID: Int64, from: Date?, to: Date?, by principal: Principal) async throws -> (CallSeries, [Occurrence]) {
        let (series, _) = try await self.series(seriesID, by: principal)
        let start = from ?? now()
        let end = to ?? start.addingTimeInterval(Self.defaultWindow)
        guard end > start else { throw ConveneError.invalid("to", "to must be after from.") }
        guard end.timeIntervalSince(start) <= Self.longestWindow else { throw ConveneError.invalid("to", "A window spans at most two years.") }
        return (series, try series.occurrences(from: start, to: end))
    }
}
