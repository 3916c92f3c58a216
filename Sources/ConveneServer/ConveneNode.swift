public import ConveneCore
public import ConveneStore
public import Logging
import Foundation
import Hummingbird
import ServiceLifecycle
import UnixSignals

/// Opening the store, seeding and serving: what the CLI commands do, in one place.
public enum ConveneNode {
    /// Opens and migrates the store the settings name for the duration of `body`: SQLite (creating
    /// the data directory if needed) or PostgreSQL (its connection pool runs until `body` returns).
    public static func withStore<T: Sendable>(
        _ settings: Settings, logger: Logger, _ body: @Sendable @escaping (any ConveneStore) async throws -> T
    ) async throws -> T {
        switch try settings.database() {
        case .sqlite(let path):
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            }
            let store = try SQLiteStore(path: path)
            try await migrate(store, name: path, logger: logger)
            return try await body(store)
        case .postgres(let url):
            let store = try PostgresStore(url: url, logger: logger)
            return try await store.whileRunning {
                try await store.waitUntilReachable()
                try await migrate(store, name: "postgres", logger: logger)
                return try await body(store)
            }
        }
    }

    private static func migrate(_ store: any ConveneStore, name: String, logger: Logger) async throws {
        let applied = try await store.migrate()
        if !applied.isEmpty { logger.info("migrated", metadata: ["database": "\(name)", "applied": "\(applied)"]) }
    }

    /// Reads and checks a seed file.
    public static func loadSeeds(path: String) throws -> SeedNetwork {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConveneError.invalid("seeds.path", "No seed file at \(path).")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let network: SeedNetwork
        do {
            network = try decoder.decode(SeedNetwork.self, from: data)
        } catch {
            throw ConveneError.invalid("seeds.path", "\(path) is not a valid seed file: \(error)")
        }
        try network.validate()
        return network
    }

    /// Seeds an empty network on first start, when the settings allow it.
    public static func seedIfEmpty(_ store: any ConveneStore, settings: Settings, logger: Logger) async throws {
        guard settings.seedOnFirstStart, try await store.communities().isEmpty else { return }
        guard FileManager.default.fileExists(atPath: settings.seedsPath) else {
            logger.warning("no seed file; starting with an empty network", metadata: ["seeds": "\(settings.seedsPath)"])
            return
        }
        let report = try await store.seed(try loadSeeds(path: settings.seedsPath), now: Date())
        logger.info(
            "seeded the network",
            metadata: ["communities": "\(report.communities)", "organizations": "\(report.organizations)", "channels": "\(report.channels)"])
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully.
    public static func serve(_ settings: Settings, logger: Logger) async throws {
        try await withStore(settings, logger: logger) { store in
            try await seedIfEmpty(store, settings: settings, logger: logger)
            let services = try ConveneServices(settings: settings, store: store)
            let app = try buildApplication(services, logger: logger)
            // The event bus and the reminders run beside the server and stop with it.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await services.fanout.run() }
                group.addTask { await services.reminders.run() }
                defer { group.cancelAll() }
                // The stream's drain comes after the server in the group, so SIGTERM reaches it first
                // (a group stops its services last to first).
                var configuration = ServiceGroupConfiguration(
                    services: [app, services.drain], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
                // A client that never answers the close handshake cannot hold the process: past 8 s
                // the rest is cancelled, so the node is gone within 10 s of SIGTERM.
                configuration.maximumGracefulShutdownDuration = .seconds(8)
                let group = ServiceGroup(configuration: configuration)
                try await group.run()
            }
        }
    }

    /// Routes swift-log to JSON lines or text on standard error at the configured level.
    public static func bootstrapLogging(_ settings: Settings) {
        let level = Logger.Level(rawValue: settings.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                settings.logFormat == .json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

extension ConveneNode {
    /// The CLI's `user create`: the same validation and hashing as registration, no invite needed.
    public static func createUser(
        store: any ConveneStore, settings: Settings, email rawEmail: String, password: String, name: String, admin: Bool
    ) async throws -> User {
        let resources = try Resources.load()
        let email = try Validation.email(rawEmail)
        try Validation.password(password, commonPasswords: resources.commonPasswords)
        let displayName = try Validation.displayName(name, field: "name")
        let hash = try await PasswordHasher(cost: settings.bcryptCost).hash(password)
        let user = try await store.createUser(NewUser(email: email, passwordHash: hash, displayName: displayName), now: Date())
        if admin {
            _ = try await store.createGrant(userID: user.id, role: .admin, scope: .network, grantedBy: nil, now: Date())
        }
        return user
    }
}

extension ConveneNode {
    public enum AuditCheck: Sendable, Equatable {
        case intact(rows: Int)
        case broken(row: Int64, reason: String)
    }

    /// The CLI's `audit verify`: reads the whole log in id order, a page at a time, and checks
    /// that every row follows the one before and matches its own hash.
    public static func verifyAudit(_ store: any ConveneStore) async throws -> AuditCheck {
        var previous = AuditEntry.genesisHash
        var after: Int64 = 0
        var rows = 0
        while true {
            let page = try await store.auditEntries(communityID: nil, afterID: after, limit: 1_000)
            guard let last = page.last else { return .intact(rows: rows) }
            do {
                previous = try AuditChain.verify(page, after: previous)
            } catch {
                return .broken(row: error.id, reason: error.reason)
            }
            rows += page.count
            after = last.id
        }
    }
}
