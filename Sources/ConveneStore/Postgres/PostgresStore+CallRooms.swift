public import ConveneCore
public import Foundation
import PostgresNIO

/// Live rooms of calls and their logs.
extension PostgresStore: CallRoomStore {
    public func callRoom(seriesID: Int64, communityID: Int64, occurrence: String, lobbyMinutes: Int) async throws -> StoredRoom {
        try await execute(
            """
            INSERT INTO call_rooms (series_id, community_id, occurrence, lobby_minutes)
            VALUES (\(seriesID), \(communityID), \(occurrence), \(Int32(lobbyMinutes))) ON CONFLICT DO NOTHING
            """)
        return try await rows("SELECT * FROM call_rooms WHERE series_id = \(seriesID) AND occurrence = \(occurrence)")[0].room()
    }

    public func callRoom(id: Int64) async throws -> StoredRoom? {
        try await rows("SELECT * FROM call_rooms WHERE id = \(id)").first?.room()
    }

    public func callRooms(seriesID: Int64) async throws -> [StoredRoom] {
        try await rows("SELECT * FROM call_rooms WHERE series_id = \(seriesID) ORDER BY occurrence").map { try $0.room() }
    }

    public func roomRecords(roomID: Int64, afterSeq: Int) async throws -> [RoomRecord] {
        try await rows("SELECT * FROM call_room_records WHERE room_id = \(roomID) AND seq > \(Int32(afterSeq)) ORDER BY seq").map {
            RoomRecord(
                seq: Int(try $0["seq"].decode(Int32.self)), at: try $0["at"].decode(Date.self), actorID: try $0["actor_id"].decode(Int64.self),
                command: try $0["command"].decode(String.self))
        }
    }

    public func appendRoomRecord(roomID: Int64, _ record: RoomRecord) async throws -> Bool {
        try await rows(
            """
            INSERT INTO call_room_records (room_id, seq, at, actor_id, command)
            VALUES (\(roomID), \(Int32(record.seq)), \(record.at), \(record.actorID), \(record.command))
            ON CONFLICT DO NOTHING RETURNING 1
            """
        ).count > 0
    }

    public func setRoomChannel(roomID: Int64, channelID: Int64) async throws -> StoredRoom {
        try await execute("UPDATE call_rooms SET channel_id = \(channelID) WHERE id = \(roomID) AND channel_id IS NULL")
        return try await rows("SELECT * FROM call_rooms WHERE id = \(roomID)")[0].room()
    }
}

extension PostgresRandomAccessRow {
    func room() throws -> StoredRoom {
        StoredRoom(
            id: try self["id"].decode(Int64.self), seriesID: try self["series_id"].decode(Int64.self),
            communityID: try self["community_id"].decode(Int64.self), occurrence: try self["occurrence"].decode(String.self),
            channelID: try self["channel_id"].decode(Int64?.self), lobbyMinutes: Int(try self["lobby_minutes"].decode(Int32.self)))
    }
}
