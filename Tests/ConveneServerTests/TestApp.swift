import ConveneCore
import ConveneStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Logging
import Testing
@testable import ConveneServer

/// A clock tests move by hand.
final class TestClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_790_000_000))
    func now() -> Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// A seeded server over a fresh SQLite file, with bcrypt at its lowest cost so tests stay quick.
struct TestApp {
    let store: any ConveneStore
    let clock: TestClock
    let settings: Settings
    let services: ConveneServices

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func make(private privateCommunity: Bool = false, _ configure: (inout Settings) -> Void = { _ in }) async throws -> TestApp {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("convene-http-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: folder.appendingPathComponent("t.sqlite").path)
        return try await make(store: store, private: privateCommunity, configure)
    }

    /// Which store a test runs on: SQLite always, PostgreSQL too when `POSTGRES_URL` names a server.
    enum StoreKind: String, CaseIterable, CustomStringConvertible, Sendable {
        case sqlite, postgres
        var description: String { rawValue }

        static var allCases: [StoreKind] {
            ProcessInfo.processInfo.environment["POSTGRES_URL"].map { _ in [.sqlite, .postgres] } ?? [.sqlite]
        }
    }

    /// A seeded node on a fresh store of `kind` for the duration of `body` (a PostgreSQL store gets
    /// a new database, and its connection pool runs until `body` returns).
    static func with<T: Sendable>(
        _ kind: StoreKind, _ configure: @escaping @Sendable (inout Settings) -> Void = { _ in }, _ body: @Sendable (TestApp) async throws -> T
    ) async throws -> T {
        try await HeavyTests.node { try await node(kind, configure, body) }
    }

    private static func node<T: Sendable>(
        _ kind: StoreKind, _ configure: @escaping @Sendable (inout Settings) -> Void, _ body: @Sendable (TestApp) async throws -> T
    ) async throws -> T {
        switch kind {
        case .sqlite:
            return try await body(try await make(configure))
        case .postgres:
            let base = try #require(ProcessInfo.processInfo.environment["POSTGRES_URL"])
            var components = try #require(URLComponents(string: base))
            let name = "convene_app_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16))"
            try await PostgresStore.createDatabase(named: name, serverURL: base, logger: logger)
            components.path = "/\(name)"
            let store = try PostgresStore(url: try #require(components.string), logger: logger, maximumConnections: 4)
            return try await store.whileRunning {
                try await store.waitUntilReachable(timeout: .seconds(30))
                return try await body(try await make(store: store, configure))
            }
        }
    }

    /// A node over `store` (migrated and seeded here unless it already was).
    static func make(store: any ConveneStore, private privateCommunity: Bool = false, _ configure: (inout Settings) -> Void = { _ in }) async throws
        -> TestApp
    {
        var settings = Settings()
        settings.bcryptCost = 4
        // Every test user joins "now"; the new-member rules are off unless a test is about them.
        settings.newMemberDays = 0
        configure(&settings)
        try await store.migrate()
        var seeds = try ConveneNode.loadSeeds(path: root.appendingPathComponent("seeds/network.json").path)
        if privateCommunity {
            var hidden = seeds.communities[1]
            hidden.slug = "steering-circle"
            hidden.name = "Steering Circle"
            hidden.visibility = .private
            seeds.communities.append(hidden)
        }
        _ = try await store.seed(seeds, now: Date(timeIntervalSince1970: 1_790_000_000))
        let clock = TestClock()
        let services = try ConveneServices(settings: settings, store: store, now: { clock.now() })
        return TestApp(store: store, clock: clock, settings: settings, services: services)
    }

    /// The server's log: warnings and worse, so a failing test's lines are not buried under request logs.
    static var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }

    func test<Value: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        try await buildApplication(services, logger: Self.logger).test(.router) { client in try await body(client) }
    }

    /// The same, against a live server on a free port (for the stream).
    func live<Value: Sendable>(_ body: @Sendable (any TestClientProtocol, Int) async throws -> Value) async throws -> Value {
        try await live { client, port, _ in try await body(client, port) }
    }

    /// The same, with the live server's services (its hub, for instance) at hand.
    func live<Value: Sendable>(_ body: @Sendable (any TestClientProtocol, Int, ConveneServices) async throws -> Value) async throws -> Value {
        var settings = services.settings
        settings.port = 0
        let liveServices = try ConveneServices(settings: settings, store: store, now: { clock.now() })
        // The node's event bus runs beside it, as `convene serve` runs it.
        let bus = Task { await liveServices.fanout.run() }
        defer { bus.cancel() }
        return try await buildApplication(liveServices, logger: Self.logger).test(.live) { client in
            try await body(client, try #require(client.port), liveServices)
        }
    }

    /// A user made the way the CLI makes one; returns a bearer token from a real login.
    func user(_ client: any TestClientProtocol, _ name: String, admin: Bool = false) async throws -> (User, String) {
        let email = "\(name.lowercased().replacingOccurrences(of: " ", with: "."))@example.org"
        let user = try await ConveneNode.createUser(
            store: store, settings: settings, email: email, password: "correct horse battery", name: name, admin: admin)
        let reply = try await client.call(.post, "/api/v1/auth/login", json: ["email": email, "password": "correct horse battery"])
        return (user, try #require(reply.string("token")))
    }
}

/// A response with its body parsed as JSON.
struct Reply {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: String
    let json: Any?

    var object: [String: Any] { json as? [String: Any] ?? [:] }
    func string(_ key: String) -> String? { object[key] as? String }
    func array(_ key: String) -> [[String: Any]] { object[key] as? [[String: Any]] ?? [] }
    var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
    var errorField: String? { (object["error"] as? [String: Any])?["field"] as? String }
    var errorMessage: String? { (object["error"] as? [String: Any])?["message"] as? String }
}

extension TestClientProtocol {
    func call(
        _ method: HTTPRequest.Method, _ uri: String, json: Any? = nil, raw: String? = nil, token: String? = nil, headers: HTTPFields = [:]
    ) async throws -> Reply {
        var fields = headers
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            if fields[.contentType] == nil { fields[.contentType] = "application/json" }
        } else if let raw {
            body = ByteBuffer(string: raw)
            if fields[.contentType] == nil { fields[.contentType] = "application/json" }
        }
        if let token { fields[.authorization] = "Bearer \(token)" }
        let response = try await executeRequest(uri: uri, method: method, headers: fields, body: body)
        let text = String(buffer: response.body)
        return Reply(status: response.status, headers: response.headers, body: text, json: try? JSONSerialization.jsonObject(with: Data(text.utf8)))
    }
}
