import ConveneCore
import Foundation

extension SQLiteStore: EventBus {
    /// A SQLite file serves one node: there is no other node to tell.
    public func announce(_ note: String) async throws {}

    /// Nothing ever arrives: waits until the task is cancelled.
    public func listen(_ handler: @escaping @Sendable (String) async -> Void) async throws {
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
    }
}
