public import Foundation
public import Logging
public import ConveneCore
import NIOSSL
import PostgresNIO
import Synchronization

/// The multi-node store: PostgreSQL through postgres-nio's connection pool. The client only serves
/// queries while its pool runs: `whileRunning` keeps it running around a body.
public final class PostgresStore: StoreMaintenance {
    let client: PostgresClient
    let logger: Logger
    /// host:port, for messages.
    let endpoint: String
    /// Set once the pool has stopped (`whileRunning` returned, or its task was cancelled): it is
    /// gone for good, and the event bus's loops end instead of retrying.
    let stopped = Atomic(false)
    /// The event bus listens on a connection of its own, outside the pool: a LISTEN connection
    /// that the server drops (or an operator terminates) never disturbs the pool the queries use.
    let listenConfiguration: PostgresConnection.Configuration
    let listenConnections = Atomic(0)

    /// - Parameters:
    ///   - url: `postgres://user:password@host:port/database?sslmode=disable|prefer|require`.
    ///   - logger: where the pool logs in the background.
    ///   - maximumConnections: the most connections the pool opens (it opens them as queries need them).
    public init(url: String, logger: Logger, maximumConnections: Int = 16) throws(ConveneError) {
        var configuration = try Self.configuration(url)
        configuration.options.maximumConnections = maximumConnections
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        listenConfiguration = try Self.connectionConfiguration(url)
        endpoint = "\(configuration.host ?? "?"):\(configuration.port ?? 5432)"
        self.logger = logger
    }

    /// Keeps the pool running while `body` runs, and stops it after.
    public func whileRunning<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await self.client.run()
                self.stopped.store(true, ordering: .releasing)
                return nil
            }
            defer {
                stopped.store(true, ordering: .releasing)
                group.cancelAll()
            }
            return try await body()
        }
    }

    /// What a `database.url` names.
    struct Endpoint {
        var host: String
        var port: Int
        var username: String
        var password: String?
        var database: String?
        /// disable, prefer or require.
        var sslmode: String

        init(_ url: String) throws(ConveneError) {
            guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
                let host = components.host, !host.isEmpty
            else {
                throw .invalid("database.url", "database.url must look like postgres://user:password@host:5432/database.")
            }
            let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
            self.host = host
            port = components.port ?? 5432
            username = components.user ?? "postgres"
            password = components.password
            self.database = database.isEmpty ? nil : database
            sslmode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
            guard ["disable", "prefer", "require"].contains(sslmode) else { throw .invalid("database.url", "sslmode must be disable, prefer or require.") }
        }
    }

    static func configuration(_ url: String) throws(ConveneError) -> PostgresClient.Configuration {
        let endpoint = try Endpoint(url)
        let tls: PostgresClient.Configuration.TLS =
            switch endpoint.sslmode {
            case "prefer": .prefer(.makeClientConfiguration())
            case "require": .require(.makeClientConfiguration())
            default: .disable
            }
        return PostgresClient.Configuration(
            host: endpoint.host, port: endpoint.port, username: endpoint.username, password: endpoint.password, database: endpoint.database, tls: tls)
    }

    /// The same server for a single connection (the event bus's LISTEN).
    static func connectionConfiguration(_ url: String) throws(ConveneError) -> PostgresConnection.Configuration {
        let endpoint = try Endpoint(url)
        let tls: PostgresConnection.Configuration.TLS
        do {
            tls =
                switch endpoint.sslmode {
                case "prefer": .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
                case "require": .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
                default: .disable
                }
        } catch {
            throw ConveneError(.unavailable, "TLS for PostgreSQL could not be set up: \(error).")
        }
        return PostgresConnection.Configuration(
            host: endpoint.host, port: endpoint.port, username: endpoint.username, password: endpoint.password, database: endpoint.database, tls: tls)
    }

    @discardableResult
    public func migrate() async throws -> [String] {
        try await transaction { connection in
            // Two nodes starting together must not both apply a migration.
            try await connection.query("SELECT pg_advisory_xact_lock(72616)", logger: self.logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS convene_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)", logger: self.logger)
            let applied = Set(try await connection.rows("SELECT name FROM convene_migrations", self.logger).map { try $0["name"].decode(String.self) })
            var now: [String] = []
            for migration in PostgresMigrations.all where !applied.contains(migration.name) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                }
                try await connection.query("INSERT INTO convene_migrations (name, applied_at) VALUES (\(migration.name), now())", logger: self.logger)
                now.append(migration.name)
            }
            return now
        }
    }

    /// Fails with `unavailable` when the server does not answer in time, instead of waiting forever
    /// while the pool retries its connections.
    public func waitUntilReachable(timeout: Duration = .seconds(10)) async throws {
        guard try await withTimeout(timeout, { try await self.execute("SELECT 1") }) != nil else {
            throw ConveneError(.unavailable, "PostgreSQL did not answer within \(timeout) at \(endpoint).")
        }
    }

    /// `body`'s result, or nil when `timeout` passes first (the body is cancelled).
    func withTimeout<T: Sendable>(_ timeout: Duration, _ body: @Sendable @escaping () async throws -> T) async throws -> T? {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }

    public func isReady() async -> Bool {
        guard let rows = try? await withTimeout(.seconds(2), { try await self.rows("SELECT name FROM convene_migrations") }) ?? nil else {
            return false
        }
        let applied = Set(rows.compactMap { try? $0["name"].decode(String.self) })
        return PostgresMigrations.all.allSatisfy { applied.contains($0.name) }
    }

    /// Runs `body` in a transaction; constraint violations become API errors, a domain error thrown
    /// inside comes out as itself.
    func transaction<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as PostgresTransactionError {
            throw Self.translate(error.closureError ?? error.commitError ?? error.beginError ?? error)
        } catch {
            throw Self.translate(error)
        }
    }

    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        do {
            return try await client.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
        } catch {
            throw Self.translate(error)
        }
    }

    func execute(_ query: PostgresQuery) async throws {
        _ = try await rows(query)
    }

    static func translate(_ error: any Error) -> any Error {
        if let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] {
            switch state {
            case "23505": return ConveneError(.conflict, "That already exists.")
            case "23503": return ConveneError(.conflict, "That refers to something that does not exist.")
            default: break
            }
        }
        return error
    }
}

extension PostgresConnection {
    func rows(_ query: PostgresQuery, _ logger: Logger) async throws -> [PostgresRandomAccessRow] {
        try await self.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
    }

    /// Runs a statement and returns how many rows it touched (for `INSERT … ON CONFLICT DO NOTHING RETURNING 1`).
    func count(_ query: PostgresQuery, _ logger: Logger) async throws -> Int {
        try await rows(query, logger).count
    }
}

extension PostgresRandomAccessRow {
    func user() throws -> User {
        User(
            id: try self["id"].decode(Int64.self), email: try self["email"].decode(String.self),
            displayName: try self["display_name"].decode(String.self), organizationID: try self["organization_id"].decode(Int64?.self),
            createdAt: try self["created_at"].decode(Date.self))
    }

    func grant() throws -> Grant? {
        guard let role = Role(rawValue: try self["role"].decode(String.self)) else { return nil }
        let scope: Scope
        switch try self["scope_kind"].decode(String.self) {
        case "network": scope = .network
        case "community": scope = .community(try self["community_id"].decode(Int64.self))
        case "committee":
            scope = .committee(community: try self["community_id"].decode(Int64.self), committee: try self["committee_id"].decode(Int64.self))
        default: return nil
        }
        return Grant(
            id: try self["id"].decode(Int64.self), userID: try self["user_id"].decode(Int64.self), role: role, scope: scope,
            grantedBy: try self["granted_by"].decode(Int64?.self))
    }

    func organization() throws -> Organization? {
        guard let kind = OrganizationKind(rawValue: try self["kind"].decode(String.self)) else { return nil }
        return Organization(
            id: try self["id"].decode(Int64.self), slug: try self["slug"].decode(String.self), name: try self["name"].decode(String.self),
            kind: kind, state: try self["state"].decode(String.self), city: try self["city"].decode(String?.self))
    }

    func community() throws -> Community? {
        guard let readiness = Readiness(rawValue: try self["readiness"].decode(String.self)),
            let visibility = Visibility(rawValue: try self["visibility"].decode(String.self))
        else { return nil }
        let states = try self["state_list"].decode(String?.self).map { $0.split(separator: ",").map(String.init) } ?? []
        return Community(
            id: try self["id"].decode(Int64.self), slug: try self["slug"].decode(String.self), name: try self["name"].decode(String.self),
            description: try self["description"].decode(String.self), states: states, timezone: try self["timezone"].decode(String.self),
            readiness: readiness, visibility: visibility, memberCount: Int(try self["member_count"].decode(Int64.self)),
            createdAt: try self["created_at"].decode(Date.self))
    }
}

extension PostgresStore {
    /// Creates a database on the server of `serverURL` (tests and `convene` setup scripts use it).
    /// - Parameters:
    ///   - name: lower-case letters, digits and underscores.
    ///   - serverURL: a URL of any database on that server the user may connect to.
    ///   - logger: where the connection logs.
    ///
    /// It takes one connection for the statement and closes it, rather than a pool: tests create a
    /// database each, many at once, and a pool per database created would hold connections the
    /// server counts against `max_connections`. A refused connection ("too many clients") fails at
    /// once with the server's words instead of waiting.
    public static func createDatabase(named name: String, serverURL: String, logger: Logger) async throws {
        guard name.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "_" }), !name.isEmpty else {
            throw ConveneError.invalid("name", "A database name is lower-case letters, digits and underscores.")
        }
        var configuration = try connectionConfiguration(serverURL)
        configuration.options.connectTimeout = .seconds(30)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        } catch {
            try? await connection.close()
            throw translate(error)
        }
        try await connection.close()
    }
}
