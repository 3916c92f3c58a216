public import ConveneCore
import Foundation
import PostgresNIO

/// LISTEN/NOTIFY on one channel: every node of a PostgreSQL store hears what the others commit.
extension PostgresStore: EventBus {
    static let busChannel = "convene_bus"

    public func announce(_ note: String) async throws {
        try await execute("SELECT pg_notify(\(Self.busChannel), \(note))")
    }

    public func listen(_ handler: @escaping @Sendable (String) async -> Void) async throws {
        try await client.withConnection { connection in
            try await connection.listen(on: Self.busChannel) { notifications in
                for try await notification in notifications {
                    await handler(notification.payload)
                }
            }
        }
    }
}
