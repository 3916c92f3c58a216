public import ConveneCore
public import Foundation
import PostgresNIO

/// Call series and the moves and cancellations of their occurrences.
extension PostgresStore {
    public func createCallSeries(_ series: CallSeries, createdBy: Int64, now: Date) async throws -> CallSeries {
        try await transaction { connection in
            if let semester = series.semester {
                // The community's row lock puts two creations of one semester one after the other.
                _ = try await connection.rows("SELECT 1 FROM communities WHERE id = \(series.communityID) FOR UPDATE", self.logger)
                if try await connection.count(
                    "SELECT 1 FROM call_series WHERE community_id = \(series.communityID) AND semester = \(semester)", self.logger) > 0
                {
                    throw ConveneError(.conflict, "This community has a series for \(semester) already.")
                }
            }
            let capacity = series.capacity.map { Int32($0) }
            return try await connection.rows(
                """
                INSERT INTO call_series (community_id, title, description, timezone, dtstart, duration_minutes, rrule, until, semester,
                                         exdates, capacity, created_by, created_at)
                VALUES (\(series.communityID), \(series.title), \(series.description), \(series.timezone), \(series.dtstart),
                        \(Int32(series.durationMinutes)), \(series.rrule), \(series.until), \(series.semester), \(ForumSQL.json(series.exdates)),
                        \(capacity), \(createdBy), \(now))
                RETURNING *
                """, self.logger)[0].callSeries()
        }
    }

    public func updateCallSeries(_ series: CallSeries) async throws -> CallSeries {
        let capacity = series.capacity.map { Int32($0) }
        guard
            let row = try await rows(
                """
                UPDATE call_series SET title = \(series.title), description = \(series.description), capacity = \(capacity), until = \(series.until)
                WHERE id = \(series.id) RETURNING *
                """
            ).first
        else { throw ConveneError.notFound("The call series") }
        return try row.callSeries()
    }

    public func deleteCallSeries(id: Int64) async throws -> Bool {
        try await rows("DELETE FROM call_series WHERE id = \(id) RETURNING 1").count > 0
    }

    public func overrides(seriesIDs: [Int64]) async throws -> [OccurrenceOverride] {
        guard !seriesIDs.isEmpty else { return [] }
        return try await rows("SELECT * FROM occurrence_overrides WHERE series_id = ANY(\(seriesIDs)) ORDER BY original_start").map { try $0.override() }
    }

    public func setOverride(seriesID: Int64, originalStart: String, start: String?, cancelled: Bool, by userID: Int64, now: Date) async throws
        -> OccurrenceOverride
    {
        try await rows(
            """
            INSERT INTO occurrence_overrides (series_id, original_start, start, cancelled, sequence, updated_by, updated_at)
            VALUES (\(seriesID), \(originalStart), \(start), \(cancelled), 1, \(userID), \(now))
            ON CONFLICT (series_id, original_start) DO UPDATE SET start = EXCLUDED.start, cancelled = EXCLUDED.cancelled,
                sequence = occurrence_overrides.sequence + 1, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at
            RETURNING *
            """)[0].override()
    }
}

extension PostgresStore {
    public func setRSVP(seriesID: Int64, occurrence: String?, userID: Int64, status: RSVP.Status, now: Date) async throws -> RSVP {
        let goingSince: Date? = status == .going ? now : nil
        return try await rows(
            """
            INSERT INTO rsvps (series_id, occurrence, user_id, status, going_since, updated_at)
            VALUES (\(seriesID), \(occurrence ?? ""), \(userID), \(status.rawValue), \(goingSince), \(now))
            ON CONFLICT (series_id, occurrence, user_id) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at,
                going_since = CASE WHEN EXCLUDED.status <> 'going' THEN NULL ELSE COALESCE(rsvps.going_since, EXCLUDED.going_since) END
            RETURNING *
            """)[0].rsvp()
    }

    public func rsvps(seriesID: Int64) async throws -> [RSVP] {
        try await rows("SELECT * FROM rsvps WHERE series_id = \(seriesID)").map { try $0.rsvp() }
    }

    public func occurrenceTexts(seriesID: Int64, occurrence: String, kind: OccurrenceText.Kind) async throws -> [OccurrenceText] {
        try await rows(
            """
            SELECT t.*, u.display_name AS editor_name FROM occurrence_texts t JOIN users u ON u.id = t.editor_id
            WHERE t.series_id = \(seriesID) AND t.occurrence = \(occurrence) AND t.kind = \(kind.rawValue) ORDER BY t.number
            """
        ).map { try $0.occurrenceText() }
    }

    public func saveOccurrenceText(
        seriesID: Int64, occurrence: String, kind: OccurrenceText.Kind, body: String, base: Int, editorID: Int64, now: Date
    ) async throws -> OccurrenceText? {
        try await transaction { connection in
            // The series' row lock puts two saves one after the other, so the second sees the first.
            _ = try await connection.rows("SELECT 1 FROM call_series WHERE id = \(seriesID) FOR UPDATE", self.logger)
            let latest =
                try await connection.rows(
                    "SELECT MAX(number) AS latest FROM occurrence_texts WHERE series_id = \(seriesID) AND occurrence = \(occurrence) AND kind = \(kind.rawValue)",
                    self.logger
                ).first?["latest"].decode(Int32?.self).map(Int.init) ?? 0
            guard latest == base else { return nil }
            let number = Int32(latest + 1)
            try await connection.query(
                """
                INSERT INTO occurrence_texts (series_id, occurrence, kind, number, body, editor_id, created_at)
                VALUES (\(seriesID), \(occurrence), \(kind.rawValue), \(number), \(body), \(editorID), \(now))
                """, logger: self.logger)
            return try await connection.rows(
                """
                SELECT t.*, u.display_name AS editor_name FROM occurrence_texts t JOIN users u ON u.id = t.editor_id
                WHERE t.series_id = \(seriesID) AND t.occurrence = \(occurrence) AND t.kind = \(kind.rawValue) AND t.number = \(number)
                """, self.logger
            ).first?.occurrenceText()
        }
    }

    public func setCalendarToken(userID: Int64, tokenHash: String, now: Date) async throws {
        _ = try await rows(
            """
            INSERT INTO calendar_tokens (user_id, token_hash, created_at) VALUES (\(userID), \(tokenHash), \(now))
            ON CONFLICT (user_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = EXCLUDED.created_at
            """)
    }

    public func deleteCalendarToken(userID: Int64) async throws -> Bool {
        try await rows("DELETE FROM calendar_tokens WHERE user_id = \(userID) RETURNING 1").count > 0
    }

    public func calendarTokenUser(tokenHash: String) async throws -> Int64? {
        try await rows("SELECT user_id FROM calendar_tokens WHERE token_hash = \(tokenHash)").first?["user_id"].decode(Int64.self)
    }
}

extension PostgresRandomAccessRow {
    func occurrenceText() throws -> OccurrenceText {
        OccurrenceText(
            kind: OccurrenceText.Kind(rawValue: try self["kind"].decode(String.self)) ?? .notes, number: Int(try self["number"].decode(Int32.self)),
            body: try self["body"].decode(String.self), editorID: try self["editor_id"].decode(Int64.self),
            editorName: try self["editor_name"].decode(String.self), createdAt: try self["created_at"].decode(Date.self))
    }

    func rsvp() throws -> RSVP {
        let occurrence = try self["occurrence"].decode(String.self)
        return RSVP(
            seriesID: try self["series_id"].decode(Int64.self), occurrence: occurrence.isEmpty ? nil : Recurrence.LocalTime(occurrence),
            userID: try self["user_id"].decode(Int64.self), status: RSVP.Status(rawValue: try self["status"].decode(String.self)) ?? .declined,
            goingSince: try self["going_since"].decode(Date?.self), updatedAt: try self["updated_at"].decode(Date.self))
    }

    func override() throws -> OccurrenceOverride {
        OccurrenceOverride(
            seriesID: try self["series_id"].decode(Int64.self), originalStart: Recurrence.LocalTime(try self["original_start"].decode(String.self))!,
            start: try self["start"].decode(String?.self).flatMap(Recurrence.LocalTime.init), cancelled: try self["cancelled"].decode(Bool.self),
            sequence: Int(try self["sequence"].decode(Int32.self)), updatedAt: try self["updated_at"].decode(Date.self))
    }
}
