import ConveneCore
import ConveneStore
import Foundation

/// Call series and their occurrences — the monthly best-practices call and its kin.
struct Calls: Sendable {
    let store: any ConveneStore
    let directory: NetworkDirectory
    let notifications: Notifications
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

    /// The series' occurrences starting in `from..<to` (from now, a year, by default; at most two
    /// years), moved and cancelled ones as their overrides say.
    func occurrences(seriesID: Int64, from: Date?, to: Date?, by principal: Principal) async throws -> (CallSeries, [Occurrence]) {
        let (series, _) = try await self.series(seriesID, by: principal)
        let start = from ?? now()
        let end = to ?? start.addingTimeInterval(Self.defaultWindow)
        guard end > start else { throw ConveneError.invalid("to", "to must be after from.") }
        guard end.timeIntervalSince(start) <= Self.longestWindow else { throw ConveneError.invalid("to", "A window spans at most two years.") }
        return (series, try series.occurrences(from: start, to: end, overrides: try await store.overrides(seriesIDs: [series.id])))
    }

    struct NewSeries: Decodable, Sendable {
        var title: String
        var description: String?
        var timezone: String
        var dtstart: String
        var durationMinutes: Int
        var rrule: String
        var until: String?
        var exdates: [String]?
        var capacity: Int?
        var semester: String?
    }

    /// Creates a series in a community (its facilitators and above). The first start must be one
    /// the rule yields, and so must every exdate.
    func create(slug: String, _ new: NewSeries, by principal: Principal) async throws -> CallSeries {
        let community = try await directory.readable(slug: slug, by: principal)
        try Policy.require(.manageCalls, by: principal, on: directory.target(community))
        guard (5...480).contains(new.durationMinutes) else { throw ConveneError.invalid("duration_minutes", "duration_minutes is 5–480.") }
        if let semester = new.semester { _ = try Validation.slug(semester, field: "semester") }
        let series = try Self.checked(
            CallSeries(
                id: 0, communityID: community.id, title: new.title, description: new.description ?? "", timezone: new.timezone, dtstart: new.dtstart,
                durationMinutes: new.durationMinutes, rrule: new.rrule, until: new.until, semester: new.semester, exdates: new.exdates ?? [],
                capacity: new.capacity))
        return try await store.createCallSeries(series, createdBy: principal.userID!, now: now())
    }

    /// The series with its title and description trimmed, if every field holds: a first start the
    /// rule yields, a last day not before it, exdates the rule yields, a capacity in range.
    static func checked(_ series: CallSeries) throws -> CallSeries {
        var series = series
        series.title = series.title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(series.title.count) else { throw ConveneError.invalid("title", "A title is 1–200 characters.") }
        series.description = series.description.trimmingCharacters(in: .whitespacesAndNewlines)
        guard series.description.count <= 5_000 else { throw ConveneError.invalid("description", "A description is at most 5 000 characters.") }
        if let capacity = series.capacity, !(1...10_000).contains(capacity) { throw ConveneError.invalid("capacity", "capacity is 1–10 000.") }
        let (_, start, rule, exdates) = try series.schedule()
        guard rule.matches(start) else { throw ConveneError.invalid("dtstart", "dtstart must be one of the rule's own occurrences.") }
        if let until = series.until, let day = Recurrence.LocalTime(until), day < Recurrence.LocalTime(year: start.year, month: start.month, day: start.day) {
            throw ConveneError.invalid("until", "until is before dtstart.")
        }
        guard exdates.count <= 100 else { throw ConveneError.invalid("exdates", "At most 100 exdates.") }
        if let last = exdates.max() {
            let yielded = Set(rule.localStarts(from: start, through: last))
            for (index, text) in series.exdates.enumerated() where !yielded.contains(Recurrence.LocalTime(text)!) {
                throw ConveneError.invalid("exdates[\(index)]", "\(text) is not one of the series' occurrences.")
            }
        }
        return series
    }

    struct SeriesChange: Decodable, Sendable {
        var title: String?
        var description: String?
        /// A new capacity; null takes it away; absent leaves it.
        var capacity: Int??
        /// A new last day; null: no last day; absent leaves it.
        var until: String??

        enum CodingKeys: String, CodingKey { case title, description, capacity, until }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            title = try container.decodeIfPresent(String.self, forKey: .title)
            description = try container.decodeIfPresent(String.self, forKey: .description)
            if container.contains(.capacity) { capacity = .some(try container.decodeNil(forKey: .capacity) ? nil : try container.decode(Int.self, forKey: .capacity)) }
            if container.contains(.until) { until = .some(try container.decodeNil(forKey: .until) ? nil : try container.decode(String.self, forKey: .until)) }
        }
    }

    /// Changes a series' title, description, capacity or last day (its facilitators and above);
    /// its rule and first start stay, so its occurrences keep their ids. A larger capacity (or
    /// none) moves the waitlist up, and those who move up are told.
    func update(seriesID: Int64, _ change: SeriesChange, by principal: Principal) async throws -> CallSeries {
        let (series, community) = try await self.series(seriesID, by: principal)
        try Policy.require(.manageCalls, by: principal, on: directory.target(community))
        guard change.title != nil || change.description != nil || change.capacity != nil || change.until != nil else {
            throw ConveneError.invalid("title", "Give title, description, capacity or until.")
        }
        var updated = series
        if let title = change.title { updated.title = title }
        if let description = change.description { updated.description = description }
        if let capacity = change.capacity { updated.capacity = capacity }
        if let until = change.until { updated.until = until }
        updated = try Self.checked(updated)
        let before = try await store.rsvps(seriesID: series.id)
        let saved = try await store.updateCallSeries(updated)
        if (saved.capacity ?? .max) > (series.capacity ?? .max) {
            try await tellMovedUp(saved, community: community, before: before, capacityBefore: series.capacity, occurrence: nil)
        }
        return saved
    }

    /// Deletes a series with everything of its calls (its facilitators and above).
    func delete(seriesID: Int64, by principal: Principal) async throws {
        let (_, community) = try await self.series(seriesID, by: principal)
        try Policy.require(.manageCalls, by: principal, on: directory.target(community))
        guard try await store.deleteCallSeries(id: seriesID) else { throw ConveneError.notFound("The call series") }
    }

    struct Change: Decodable, Sendable {
        /// A new local start; null puts it back where the rule has it; absent leaves it.
        var start: String??
        var status: Occurrence.Status?

        enum CodingKeys: String, CodingKey { case start, status }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            status = try container.decodeIfPresent(Occurrence.Status.self, forKey: .status)
            if container.contains(.start) {
                start = .some(try container.decodeNil(forKey: .start) ? nil : try container.decode(String.self, forKey: .start))
            }
        }
    }

    /// An occurrence by its id — one its series' rule yields and no exdate removes — with its
    /// series and community, for whoever may read the community; 404 otherwise.
    func occurrence(_ occurrenceID: String, by principal: Principal) async throws -> (CallSeries, Community, Recurrence.LocalTime) {
        guard let (seriesID, original) = Occurrence.parse(id: occurrenceID) else { throw ConveneError.notFound("The occurrence") }
        let (series, community) = try await series(seriesID, by: principal)
        let (_, start, rule, exdates) = try series.schedule()
        guard !exdates.contains(original), rule.localStarts(from: start, through: original).last == original else {
            throw ConveneError.notFound("The occurrence")
        }
        return (series, community, original)
    }

    /// Moves an occurrence (within `CallSeries.longestMove` of the rule's start) and cancels or
    /// restores it (the series' facilitators and above); its sequence goes up.
    func change(occurrenceID: String, _ change: Change, by principal: Principal) async throws -> (CallSeries, Occurrence) {
        let (series, community, original) = try await occurrence(occurrenceID, by: principal)
        let seriesID = series.id
        try Policy.require(.manageCalls, by: principal, on: directory.target(community))
        let zone = try series.schedule().zone
        guard change.start != nil || change.status != nil else { throw ConveneError.invalid("start", "Give start, status, or both.") }
        let current = try await store.overrides(seriesIDs: [seriesID]).first { $0.originalStart == original }
        var moved = current?.start
        if let requested = change.start {
            if let requested {
                guard let local = Recurrence.LocalTime(requested) else { throw ConveneError.invalid("start", "start is a local time, YYYY-MM-DDTHH:MM.") }
                let distance = abs(Recurrence.instant(local, in: zone).timeIntervalSince(Recurrence.instant(original, in: zone)))
                guard distance <= CallSeries.longestMove else { throw ConveneError.invalid("start", "An occurrence moves at most 60 days.") }
                moved = local == original ? nil : local
            } else {
                moved = nil
            }
        }
        let cancelled = change.status.map { $0 == .cancelled } ?? (current?.cancelled ?? false)
        let saved = try await store.setOverride(
            seriesID: seriesID, originalStart: original.description, start: moved?.description, cancelled: cancelled, by: principal.userID!, now: now())
        return (series, series.occurrence(original, in: zone, change: saved))
    }

    /// An occurrence as it stands (moved, cancelled), with its series and community, for whoever
    /// may read the community; 404 otherwise.
    func scheduled(_ occurrenceID: String, by principal: Principal) async throws -> (CallSeries, Community, Occurrence) {
        let (series, community, original) = try await occurrence(occurrenceID, by: principal)
        let change = try await store.overrides(seriesIDs: [series.id]).first { $0.originalStart == original }
        return (series, community, series.occurrence(original, in: try series.schedule().zone, change: change))
    }

    /// Answers for one occurrence (by its id) or, with `seriesID`, for the whole series (members
    /// of its community); returns the series and the caller's answers.
    func rsvp(occurrenceID: String?, seriesID: Int64?, status raw: String, by principal: Principal) async throws -> (CallSeries, RSVP) {
        guard let status = RSVP.Status(rawValue: raw) else { throw ConveneError.invalid("status", "status must be going, maybe or declined.") }
        var original: Recurrence.LocalTime?
        var series: CallSeries
        var community: Community
        if let occurrenceID {
            (series, community, original) = try await occurrence(occurrenceID, by: principal)
        } else {
            (series, community) = try await self.series(seriesID ?? 0, by: principal)
        }
        try Policy.require(.rsvpCall, by: principal, on: directory.target(community))
        if let original {
            if try await store.overrides(seriesIDs: [series.id]).contains(where: { $0.originalStart == original && $0.cancelled }) {
                throw ConveneError(.conflict, "That call is cancelled.")
            }
        }
        let before = try await store.rsvps(seriesID: series.id)
        let saved = try await store.setRSVP(seriesID: series.id, occurrence: original?.description, userID: principal.userID!, status: status, now: now())
        if series.capacity != nil, status != .going {
            try await tellMovedUp(series, community: community, before: before, capacityBefore: series.capacity, occurrence: original)
        }
        return (series, saved)
    }

    /// Tells whoever a freed place moved up from the waitlist (for one occurrence, or every
    /// upcoming one when a series-wide answer changed), once per occurrence.
    private func tellMovedUp(
        _ series: CallSeries, community: Community, before: [RSVP], capacityBefore: Int?, occurrence: Recurrence.LocalTime?
    ) async throws {
        let after = try await store.rsvps(seriesID: series.id)
        let starts =
            try occurrence.map { [$0] }
            ?? series.occurrences(from: now(), to: now().addingTimeInterval(Self.defaultWindow)).filter { $0.status == .scheduled }.map(\.originalStart)
        for start in starts {
            let was = RSVP.standings(before, occurrence: start, capacity: capacityBefore)
            let moved = RSVP.standings(after, occurrence: start, capacity: series.capacity).filter { user, standing in
                standing.status == .going && !standing.waitlisted && was[user]?.waitlisted == true
            }.map(\.key)
            guard !moved.isEmpty else { continue }
            let ids = try await store.addCallNotifications(
                kind: .movedUp, seriesID: series.id, communityID: community.id, occurrenceID: "\(series.id)-\(start.compact)", users: moved, now: now())
            await notifications.deliver(ids: ids)
        }
    }

    /// Each occurrence's answers: counts, and the caller's own standing when signed in.
    struct Answers: Sendable {
        var going = 0
        var maybe = 0
        var declined = 0
        var waitlisted = 0
        var mine: RSVP.Standing?
    }

    func answers(_ series: CallSeries, _ occurrences: [Occurrence], for userID: Int64?) async throws -> [String: Answers] {
        let rsvps = try await store.rsvps(seriesID: series.id)
        var result: [String: Answers] = [:]
        for occurrence in occurrences {
            var answers = Answers()
            let standings = RSVP.standings(rsvps, occurrence: occurrence.originalStart, capacity: series.capacity)
            for standing in standings.values {
                switch (standing.status, standing.waitlisted) {
                case (.going, true): answers.waitlisted += 1
                case (.going, false): answers.going += 1
                case (.maybe, _): answers.maybe += 1
                case (.declined, _): answers.declined += 1
                }
            }
            answers.mine = userID.flatMap { standings[$0] }
            result[occurrence.id] = answers
        }
        return result
    }

    /// A new private feed token for the caller (the earlier one stops working).
    func issueCalendarToken(by principal: Principal) async throws -> String {
        guard let userID = principal.userID else { throw ConveneError(.unauthenticated, "Sign in to do that.") }
        let token = Tokens.random()
        try await store.setCalendarToken(userID: userID, tokenHash: Tokens.hash(token), now: now())
        return token
    }

    func revokeCalendarToken(by principal: Principal) async throws {
        guard let userID = principal.userID else { throw ConveneError(.unauthenticated, "Sign in to do that.") }
        guard try await store.deleteCalendarToken(userID: userID) else { throw ConveneError.notFound("The calendar token") }
    }

    /// The calls of every community the token's owner belongs to (private ones too); 404 for a
    /// token that is unknown or revoked.
    func memberCalendar(token: String) async throws -> [(CallSeries, [OccurrenceOverride])] {
        guard let userID = try await store.calendarTokenUser(tokenHash: Tokens.hash(token)) else { throw ConveneError.notFound("The calendar") }
        let principal = try await store.principal(userID: userID, now: now())
        var all: [CallSeries] = []
        // The calls the owner may answer: those of the communities they are a member of.
        for community in try await directory.communities(for: principal)
        where Policy.check(.rsvpCall, by: principal, on: directory.target(community)).isSuccess {
            all += try await store.callSeries(communityID: community.id)
        }
        let overrides = try await store.overrides(seriesIDs: all.map(\.id))
        return all.map { one in (one, overrides.filter { $0.seriesID == one.id }) }
    }

    static let textLength = 20_000

    /// Every revision of an occurrence's agenda or notes, for whoever may read the community.
    func texts(occurrenceID: String, kind: OccurrenceText.Kind, by principal: Principal) async throws -> [OccurrenceText] {
        let (series, _, original) = try await occurrence(occurrenceID, by: principal)
        return try await store.occurrenceTexts(seriesID: series.id, occurrence: original.description, kind: kind)
    }

    /// Saves the agenda (facilitators) or the notes (members) as a new revision, on top of
    /// `base` — the revision the writer started from — so two writers cannot overwrite each other
    /// unseen: the second is told to reload (409).
    func saveText(occurrenceID: String, kind: OccurrenceText.Kind, body raw: String, base: Int, by principal: Principal) async throws
        -> OccurrenceText
    {
        let (series, community, original) = try await occurrence(occurrenceID, by: principal)
        try Policy.require(kind == .agenda ? .manageCalls : .rsvpCall, by: principal, on: directory.target(community))
        guard raw.count <= Self.textLength else { throw ConveneError.invalid("body", "At most \(Self.textLength) characters.") }
        guard base >= 0 else { throw ConveneError.invalid("base_revision", "base_revision is 0 or more.") }
        guard
            let saved = try await store.saveOccurrenceText(
                seriesID: series.id, occurrence: original.description, kind: kind, body: raw, base: base, editorID: principal.userID!, now: now())
        else { throw ConveneError(.conflict, "The \(kind.rawValue) changed since revision \(base): reload it and apply your change again.") }
        return saved
    }

    /// A community's series with their overrides, for its calendar feed.
    func calendar(slug: String, by principal: Principal) async throws -> (Community, [(CallSeries, [OccurrenceOverride])]) {
        let community = try await directory.readable(slug: slug, by: principal)
        let series = try await store.callSeries(communityID: community.id)
        let overrides = try await store.overrides(seriesIDs: series.map(\.id))
        return (community, series.map { one in (one, overrides.filter { $0.seriesID == one.id }) })
    }
}
