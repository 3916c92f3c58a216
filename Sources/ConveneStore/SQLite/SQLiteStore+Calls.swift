public import ConveneCore
public import Foundation
import GRDB

/// Call series and the moves and cancellations of their occurrences.
extension SQLiteStore {
    public func createCallSeries(_ series: CallSeries, createdBy: Int64, now: Date) async throws -> CallSeries {
        try await write { db in
            if let semester = series.semester,
                try Bool.fetchOne(db, sql: "SELECT 1 FROM call_series WHERE community_id = ? AND semester = ?", arguments: [series.communityID, semester])
                    != nil
            {
                throw ConveneError(.conflict, "This community has a series for \(semester) already.")
            }
            try db.execute(
                sql: """
                    INSERT INTO call_series (community_id, title, description, timezone, dtstart, duration_minutes, rrule, until, semester,
                                             exdates, capacity, created_by, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    series.communityID, series.title, series.description, series.timezone, series.dtstart, series.durationMinutes, series.rrule,
                    series.until, series.semester, ForumSQL.json(series.exdates), series.capacity, createdBy, now,
                ])
            return Self.callSeries(try Row.fetchOne(db, sql: "SELECT * FROM call_series WHERE id = ?", arguments: [db.lastInsertedRowID])!)
        }
    }

    public func updateCallSeries(_ series: CallSeries) async throws -> CallSeries {
        try await write { db in
            try db.execute(
                sql: "UPDATE call_series SET title = ?, description = ?, capacity = ?, until = ? WHERE id = ?",
                arguments: [series.title, series.description, series.capacity, series.until, series.id])
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM call_series WHERE id = ?", arguments: [series.id]) else {
                throw ConveneError.notFound("The call series")
            }
            return Self.callSeries(row)
        }
    }

    public func deleteCallSeries(id: Int64) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM call_series WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    public func overrides(seriesIDs: [Int64]) async throws -> [OccurrenceOverride] {
        guard !seriesIDs.isEmpty else { return [] }
        return try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM occurrence_overrides WHERE series_id IN (\(databaseQuestionMarks(count: seriesIDs.count))) ORDER BY original_start",
                arguments: StatementArguments(seriesIDs)
            ).map(Self.override)
        }
    }

    public func setOverride(seriesID: Int64, originalStart: String, start: String?, cancelled: Bool, by userID: Int64, now: Date) async throws
        -> OccurrenceOverride
    {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO occurrence_overrides (series_id, original_start, start, cancelled, sequence, updated_by, updated_at)
                    VALUES (?, ?, ?, ?, 1, ?, ?)
                    ON CONFLICT (series_id, original_start) DO UPDATE SET start = excluded.start, cancelled = excluded.cancelled,
                        sequence = occurrence_overrides.sequence + 1, updated_by = excluded.updated_by, updated_at = excluded.updated_at
                    """, arguments: [seriesID, originalStart, start, cancelled, userID, now])
            return Self.override(
                try Row.fetchOne(
                    db, sql: "SELECT * FROM occurrence_overrides WHERE series_id = ? AND original_start = ?", arguments: [seriesID, originalStart])!)
        }
    }

    public func setRSVP(seriesID: Int64, occurrence: String?, userID: Int64, status: RSVP.Status, now: Date) async throws -> RSVP {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO rsvps (series_id, occurrence, user_id, status, going_since, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (series_id, occurrence, user_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at,
                        going_since = CASE WHEN excluded.status != 'going' THEN NULL ELSE COALESCE(rsvps.going_since, excluded.going_since) END
                    """, arguments: [seriesID, occurrence ?? "", userID, status.rawValue, status == .going ? now : nil, now])
            return Self.rsvp(
                try Row.fetchOne(
                    db, sql: "SELECT * FROM rsvps WHERE series_id = ? AND occurrence = ? AND user_id = ?", arguments: [seriesID, occurrence ?? "", userID])!)
        }
    }

    public func rsvps(seriesID: Int64) async throws -> [RSVP] {
        try await read { db in try Row.fetchAll(db, sql: "SELECT * FROM rsvps WHERE series_id = ?", arguments: [seriesID]).map(Self.rsvp) }
    }

    public func setCalendarToken(userID: Int64, tokenHash: String, now: Date) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO calendar_tokens (user_id, token_hash, created_at) VALUES (?, ?, ?)
                    ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at
                    """, arguments: [userID, tokenHash, now])
        }
    }

    public func deleteCalendarToken(userID: Int64) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM calendar_tokens WHERE user_id = ?", arguments: [userID])
            return db.changesCount > 0
        }
    }

    public func calendarTokenUser(tokenHash: String) async throws -> Int64? {
        try await read { db in try Int64.fetchOne(db, sql: "SELECT user_id FROM calendar_tokens WHERE token_hash = ?", arguments: [tokenHash]) }
    }

    public func occurrenceTexts(seriesID: Int64, occurrence: String, kind: OccurrenceText.Kind) async throws -> [OccurrenceText] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT t.*, u.display_name AS editor_name FROM occurrence_texts t JOIN users u ON u.id = t.editor_id
                    WHERE t.series_id = ? AND t.occurrence = ? AND t.kind = ? ORDER BY t.number
                    """, arguments: [seriesID, occurrence, kind.rawValue]
            ).map(Self.occurrenceText)
        }
    }

    public func saveOccurrenceText(
        seriesID: Int64, occurrence: String, kind: OccurrenceText.Kind, body: String, base: Int, editorID: Int64, now: Date
    ) async throws -> OccurrenceText? {
        try await write { db in
            let latest =
                try Int.fetchOne(
                    db, sql: "SELECT MAX(number) FROM occurrence_texts WHERE series_id = ? AND occurrence = ? AND kind = ?",
                    arguments: [seriesID, occurrence, kind.rawValue]) ?? 0
            guard latest == base else { return nil }
            try db.execute(
                sql: "INSERT INTO occurrence_texts (series_id, occurrence, kind, number, body, editor_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [seriesID, occurrence, kind.rawValue, latest + 1, body, editorID, now])
            return try Row.fetchOne(
                db,
                sql: """
                    SELECT t.*, u.display_name AS editor_name FROM occurrence_texts t JOIN users u ON u.id = t.editor_id
                    WHERE t.series_id = ? AND t.occurrence = ? AND t.kind = ? AND t.number = ?
                    """, arguments: [seriesID, occurrence, kind.rawValue, latest + 1]
            ).map(Self.occurrenceText)
        }
    }

    static func occurrenceText(_ row: Row) -> OccurrenceText {
        OccurrenceText(
            kind: OccurrenceText.Kind(rawValue: row["kind"]) ?? .notes, number: row["number"], body: row["body"], editorID: row["editor_id"],
            editorName: row["editor_name"], createdAt: row["created_at"])
    }

    static func rsvp(_ row: Row) -> RSVP {
        let occurrence: String = row["occurrence"]
        return RSVP(
            seriesID: row["series_id"], occurrence: occurrence.isEmpty ? nil : Recurrence.LocalTime(occurrence), userID: row["user_id"],
            status: RSVP.Status(rawValue: row["status"]) ?? .declined, goingSince: row["going_since"], updatedAt: row["updated_at"])
    }

    static func override(_ row: Row) -> OccurrenceOverride {
        OccurrenceOverride(
            seriesID: row["series_id"], originalStart: Recurrence.LocalTime(row["original_start"])!,
            start: (row["start"] as String?).flatMap(Recurrence.LocalTime.init), cancelled: row["cancelled"], sequence: row["sequence"],
            updatedAt: row["updated_at"])
    }
}
