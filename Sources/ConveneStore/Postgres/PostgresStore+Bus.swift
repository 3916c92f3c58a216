public import ConveneCore
import Foundation
import PostgresNIO
import Synchronization

/// LISTEN/NOTIFY on one channel: every node of a PostgreSQL store hears what the others commit.
extension PostgresStore: EventBus {
    static let busChannel = "convene_bus"

    public func announce(_ note: String) async throws {
        try await whileBusOpen { try await self.execute("SELECT pg_notify(\(Self.busChannel), \(note))") }
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
                        await handler(notification.payload)
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
