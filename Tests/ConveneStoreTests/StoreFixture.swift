import ConveneCore
import ConveneStore
import Foundation

/// A fresh, migrated store in a temporary folder. SQLite today; the PostgreSQL adapter joins the
/// `kinds` list when it exists, so every store test runs against both.
enum StoreFixture {
    enum Kind: String, CaseIterable, CustomStringConvertible {
        case sqlite
        var description: String { rawValue }
    }

    static func make(_ kind: Kind) async throws -> any ConveneStore {
        switch kind {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("convene-store-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let store = try SQLiteStore(path: folder.appendingPathComponent("test.sqlite").path)
            try await store.migrate()
            return store
        }
    }

    /// The repository's own `seeds/network.json`.
    static func seeds() throws -> SeedNetwork {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let data = try Data(contentsOf: root.appendingPathComponent("seeds/network.json"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(SeedNetwork.self, from: data)
    }

    static let now = Date(timeIntervalSince1970: 1_790_000_000)

    static func user(_ store: any ConveneStore, _ email: String) async throws -> User {
        try await store.createUser(NewUser(email: email, passwordHash: "$2b$04$notarealhash", displayName: email), now: now)
    }
}
