public import ConveneCore
public import Foundation
import GRDB

/// Live rooms of calls and their logs.
extension SQLiteStore: CallRoomStore {
    public func callRoom(seriesID: Int64, communityID: Int64, occurrence: String, lobbyMinutes: Int) async throws -> StoredRoom {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO call_rooms (series_id, community_id, occurrence, lobby_minutes) VALUES (?, ?, ?, ?)
                    ON CONFLICT (series_id, occurrence) DO NOTHING
                    """,
                arguments: [seriesID, communityID, occurrence, lobbyMinutes])
            return Self.room(try Row.fetchOne(db, sql: "SELECT * FROM call_rooms WHERE series_id = ? AND occurrence = ?", arguments: [seriesID, occurrence])!)
        }
    }

    public func callRoom(id: Int64) async throws -> StoredRoom? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM call_rooms WHERE id = ?", arguments: [id]).map(Self.room) }
    }

    public func callRooms(seriesID: Int64) async throws -> [StoredRoom] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM call_rooms WHERE series_id = ? ORDER BY occurrence", arguments: [seriesID]).map(Self.room)
        }
    }

    public func roomRecords(roomID: Int64, afterSeq: Int) async throws -> [RoomRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM call_room_records WHERE room_id = ? AND seq > ? ORDER BY seq", arguments: [roomID, afterSeq]).map {
                RoomRecord(seq: $0["seq"], at: $0["at"], actorID: $0["actor_id"], command: $0["command"])
            }
        }
    }

    public func appendRoomRecord(roomID: Int64, _ record: RoomRecord) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO call_room_records (room_id, seq, at, actor_id, command) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                arguments: [roomID, record.seq, record.at, record.actorID, record.command])
            return db.changesCount > 0
        }
    }

    public func setRoomChannel(roomID: Int64, channelID: Int64) async throws -> StoredRoom {
        try await write { db in
            try db.execute(sql: "UPDATE call_rooms SET channel_id = ? WHERE id = ? AND channel_id IS NULL", arguments: [channelID, roomID])
            return Self.room(try Row.fetchOne(db, sql: "SELECT * FROM call_rooms WHERE id = ?", arguments: [roomID])!)
        }
    }

    static func room(_ row: Row) -> StoredRoom {
        StoredRoom(id: row["id"], seriesID: row["series_id"], communityID: row["community_id"], occurrence: row["occurrence"], channelID: row["channel_id"],
            lobbyMinutes: row["lobby_minutes"])
    }
}
