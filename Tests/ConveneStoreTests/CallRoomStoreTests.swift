import ConveneCore
import ConveneStore
import Foundation
import Testing

@Suite("Call rooms in the store")
struct CallRoomStoreTests {
    @Test("one room per occurrence however often asked; a seq is taken once, so two nodes' commands cannot share a place in the log",
        arguments: StoreFixture.Kind.allCases)
    func roomLog(kind: StoreFixture.Kind) async throws {
        try await StoreFixture.with(kind) { store in
            let (_, ann, _) = try await MessageStoreTests.setUp(store)
            let ohio = try #require(try await store.community(slug: "ohio"))
            let series = try #require(try await store.callSeries(communityID: ohio.id).first)
            let rooms = try await withThrowingTaskGroup(of: StoredRoom.self) { group in
                for _ in 0..<8 { group.addTask { try await store.callRoom(seriesID: series.id, communityID: ohio.id, occurrence: "2026-12-08T16:00", lobbyMinutes: 15) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(rooms.map(\.id)).count == 1)
            let room = rooms[0]
            #expect(room.channelID == nil)
            #expect(try await store.callRooms(seriesID: series.id) == [room])
            // Eight writers race for seq 1: exactly one wins.
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        try await store.appendRoomRecord(
                            roomID: room.id, RoomRecord(seq: 1, at: StoreFixture.now, actorID: ann.id, command: "{\"n\":\(index)}"))
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(wins == 1)
            #expect(try await store.appendRoomRecord(roomID: room.id, RoomRecord(seq: 2, at: StoreFixture.now.addingTimeInterval(1), actorID: ann.id, command: "{}")))
            let records = try await store.roomRecords(roomID: room.id, afterSeq: 0)
            #expect(records.map(\.seq) == [1, 2])
            #expect(records[1].at == StoreFixture.now.addingTimeInterval(1))
            #expect(try await store.roomRecords(roomID: room.id, afterSeq: 1).map(\.seq) == [2])
            let channel = try await store.createChannel(
                communityID: ohio.id, name: "call-chat", topic: "", isPrivate: true, announcementOnly: false, slowModeSeconds: 0, createdBy: nil,
                now: StoreFixture.now)
            let other = try await store.createChannel(
                communityID: ohio.id, name: "call-chat-2", topic: "", isPrivate: true, announcementOnly: false, slowModeSeconds: 0, createdBy: nil,
                now: StoreFixture.now)
            #expect(try await store.setRoomChannel(roomID: room.id, channelID: channel.id).channelID == channel.id)
            #expect(try await store.setRoomChannel(roomID: room.id, channelID: other.id).channelID == channel.id, "the first channel stays")
            #expect(try await store.callRoom(id: room.id)?.channelID == channel.id)
        }
    }
}
