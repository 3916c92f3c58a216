import ConveneCore
import ConveneStore
import Foundation
import Logging

/// Reminders of calls, a day and an hour before, to everyone going (with a place) or maybe —
/// stored as notifications and pushed live. The store keeps one reminder per person, kind and
/// occurrence (a unique index), so a restart, a late sweep or a second node sweeping the same
/// minute tells nobody twice. A sweep that comes late sends only what is still timely: within
/// the last hour the hour's reminder, never a day's.
struct Reminders: Sendable {
    let store: any ConveneStore
    let notifications: Notifications
    let logger: Logger
    let now: @Sendable () -> Date

    static let interval: Duration = .seconds(60)
    static let dayBefore: TimeInterval = 86_400
    static let hourBefore: TimeInterval = 3_600

    /// One sweep over every series; returns how many reminders it stored now.
    @discardableResult func sweep() async throws -> Int {
        let now = now()
        var stored = 0
        for community in try await store.communities() {
            for series in try await store.callSeries(communityID: community.id) {
                let overrides = try await store.overrides(seriesIDs: [series.id])
                guard let upcoming = try? series.occurrences(from: now, to: now.addingTimeInterval(Self.dayBefore), overrides: overrides) else {
                    logger.warning("reminders: a series does not expand", metadata: ["series": "\(series.id)"])
                    continue
                }
                let live = upcoming.filter { $0.status == .scheduled }
                guard !live.isEmpty else { continue }
                let rsvps = try await store.rsvps(seriesID: series.id)
                for occurrence in live {
                    let kind: UserNotification.Kind = occurrence.startsAt.timeIntervalSince(now) <= Self.hourBefore ? .reminderHour : .reminderDay
                    let users = RSVP.standings(rsvps, occurrence: occurrence.originalStart, capacity: series.capacity).filter { _, standing in
                        (standing.status == .going && !standing.waitlisted) || standing.status == .maybe
                    }.map(\.key)
                    guard !users.isEmpty else { continue }
                    let ids = try await store.addCallNotifications(
                        kind: kind, seriesID: series.id, communityID: community.id, occurrenceID: occurrence.id, users: users, now: now)
                    stored += ids.count
                    await notifications.deliver(ids: ids)
                }
            }
        }
        return stored
    }

    /// Sweeps every minute until cancelled.
    func run() async {
        while !Task.isCancelled {
            do {
                try await sweep()
            } catch {
                logger.error("reminders: a sweep failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: Self.interval)
        }
    }
}
