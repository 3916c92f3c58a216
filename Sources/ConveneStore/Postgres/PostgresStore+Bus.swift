public import ConveneCore
import Foundation
import PostgresNIO
import Synchronization

/// LISTEN/NOTIFY on one channel: every node of a PostgreSQL store hears what the others commit.
/// A note longer than NOTIFY carries (a WebRTC offer relayed to another node) is kept in
/// `bus_spill` and announced by its row id; listeners read it back before handing it on, so notes
/// of any length arrive whole and in the order announced.
extension PostgresStore: EventBus {
    static let busChannel = "convene_bus"
    /// The longest note sent as it is (PostgreSQL's limit is 8000 bytes).
    static let notifyLimit = 7_900
    static let spillPrefix = "spill:"

    public func announce(_ note: String) async throws {
        try await whileBusOpen {
            var payload = note
            if note.utf8.count > Self.notifyLimit {
                let id = try await self.rows("INSERT INTO bus_spill (note, created_at) VALUES (\(note), now()) RETURNING id")[0]["id"].decode(Int64.self)
                payload = Self.spillPrefix + String(id)
                if id % 100 == 0 { try await self.execute("DELETE FROM bus_spill WHERE created_at < now() - interval '10 minutes'") }
            }
            try await self.execute("SELECT pg_notify(\(Self.busChannel), \(payload))")
        }
    }

    /// The note a payload stands for: itself, or the spilled note it names (nil when that is gone).
    private func resolve(_ payload: String) async -> String? {
        guard payload.hasPrefix(Self.spillPrefix), let id = Int64(payload.dropFirst(Self.spillPrefix.count)) else { return payload }
        return try? await rows("SELECT note FROM bus_spill WHERE id = \(id)").first?["note"].decode(String.self)
    }

    /// Runs a bus call; once the store has stopped, any failure is `EventBusStopped`.
    private func whileBusOpen<T>(_ body: () async throws -> T) async throws -> T {
        guard !stopped.load(ordering: .acquiring) else { throw EventBusStopped() }
        do {
            return try await body()
        } catch {
            if stopped.load(ordering: .acquiring) { throw EventBusStopped() }
            throw error
        }
    }

    public func listen(listening: @escaping @Sendable () async -> Void, handler: @escaping @Sendable (String) async -> Void) async throws {
        try await whileBusOpen {
            let id = listenConnections.wrappingAdd(1, ordering: .relaxed).newValue
            let connection = try await PostgresConnection.connect(configuration: listenConfiguration, id: id, logger: logger)
            do {
                try await connection.listen(on: Self.busChannel) { notifications in
                    await listening()
                    for try await notification in notifications {
                        if let note = await self.resolve(notification.payload) { await handler(note) }
                    }
                }
            } catch {
                try? await connection.close()
                throw error
            }
            try? await connection.close()
        }
    }

    public func lastSeqs(channelIDs: [Int64]) async throws -> [Int64: Int64] {
        try await whileBusOpen {
            var seqs: [Int64: Int64] = [:]
            for row in try await rows("SELECT id, last_seq FROM channels WHERE id = ANY(\(channelIDs))") {
                seqs[try row["id"].decode(Int64.self)] = try row["last_seq"].decode(Int64.self)
            }
            return seqs
        }
    }
}
