import ConveneCore
import ConveneStore
import Foundation
import Logging

/// A fresh, migrated store for each test: SQLite in a temporary folder always, and PostgreSQL (a new
/// database on the server `POSTGRES_URL` names) when that variable is set, so every store test
/// runs against both adapters.
enum StoreFixture {
    enum Kind: String, CaseIterable, CustomStringConvertible {
        case sqlite, postgres
        var description: String { rawValue }

        static var allCases: [Kind] {
            ProcessInfo.processInfo.environment["POSTGRES_URL"].map { _ in [.sqlite, .postgres] } ?? [.sqlite]
        }
    }

    static let logger = Logger(label: "store-tests")

    static func with<T: Sendable>(_ kind: Kind, _ body: @Sendable (any ConveneStore) async throws -> T) async throws -> T {
        switch kind {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("convene-store-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let store = try SQLiteStore(path: folder.appendingPathComponent("test.sqlite").path)
            try await store.migrate()
            return try await body(store)
        case .postgres:
            let url = try await freshPostgresDatabase()
            let store = try PostgresStore(url: url, logger: logger, maximumConnections: 4)
            return try await store.whileRunning {
                try await store.migrate()
                return try await body(store)
            }
        }
    }

    /// Creates an empty database on the `POSTGRES_URL` server and returns its URL.
    static func freshPostgresDatabase() async throws -> String {
        guard let base = ProcessInfo.processInfo.environment["POSTGRES_URL"], var components = URLComponents(string: base) else {
            throw ConveneError(.unavailable, "POSTGRES_URL is not set.")
        }
        let name = "convene_test_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16))"
        try await PostgresStore.createDatabase(named: name, serverURL: base, logger: logger)
        components.path = "/\(name)"
        return components.string!
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
