public import Foundation
import GRDB
import ConveneCore

/// The embedded store: one SQLite file in WAL mode, every commit synced (`synchronous=FULL`).
public final class SQLiteStore: StoreMaintenance {
    let pool: DatabasePool

    /// Opens (creating if needed) the database at `path`. Does not migrate: call `migrate()`.
    /// - Parameters:
    ///   - path: the database file; its folder must exist.
    ///   - busyTimeout: how long a writer waits for the lock before failing.
    public init(path: String, busyTimeout: TimeInterval = 5) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(busyTimeout)
        pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB sets synchronous=NORMAL when it enables WAL, which can lose the last commits on power
        // loss. An ack promises durability, so the pool's single writer connection syncs every commit.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
    }

    /// Applies every migration not yet applied; returns the names applied now.
    @discardableResult
    public func migrate() async throws -> [String] {
        let migrator = SQLiteMigrations.migrator
        let before = try await pool.read { db in try migrator.appliedMigrations(db) }
        try migrator.migrate(pool)
        let after = try await pool.read { db in try migrator.appliedMigrations(db) }
        return after.filter { !before.contains($0) }
    }

    /// Whether migrations are all applied and the file answers a query.
    public func isReady() async -> Bool {
        let migrator = SQLiteMigrations.migrator
        return (try? await pool.read { db in try migrator.hasCompletedMigrations(db) }) ?? false
    }

    /// `PRAGMA integrity_check`, "ok" when the file is sound.
    public func integrityCheck() async throws -> String {
        try await pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
    }

    /// The durability settings in force on a connection: journal mode, synchronous level (2 = FULL), foreign keys.
    public func pragmas() async throws -> (journalMode: String, synchronous: Int, foreignKeys: Bool) {
        try await pool.write { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "",
                try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1,
                try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") ?? false
            )
        }
    }

    /// Runs `body` in a write transaction, turning constraint violations into API errors, and a
    /// full disk or a failing one into `unavailable` (503): the transaction rolled back, nothing
    /// was saved, and the same write succeeds once space returns.
    func write<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(body)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw ConveneError(.conflict, "That already exists.")
        } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
            throw ConveneError(.unavailable, "The server's disk is full, so nothing was saved. Try again later.")
        } catch let error as DatabaseError where error.resultCode == .SQLITE_IOERR {
            throw ConveneError(.unavailable, "The server could not write to its disk, so nothing was saved. Try again later.")
        }
    }

    func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }
}

extension Row {
    func user(prefix: String = "") -> User {
        User(
            id: self["\(prefix)id"],
            email: self["\(prefix)email"],
            displayName: self["\(prefix)display_name"],
            organizationID: self["\(prefix)organization_id"],
            createdAt: self["\(prefix)created_at"]
        )
    }
}
