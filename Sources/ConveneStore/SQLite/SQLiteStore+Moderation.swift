public import ConveneCore
public import Foundation
import GRDB

extension SQLiteStore: ModerationStore {
    public func addSanction(_ new: NewSanction, audit: NewAuditEntry, now: Date) async throws -> (Sanction, AuditEntry) {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO sanctions (user_id, kind, community_id, reason, created_by, created_at, ends_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [new.userID, new.kind.rawValue, new.communityID, new.reason, new.createdBy, now, new.endsAt])
            let sanction = try Self.sanction(db, id: db.lastInsertedRowID)!
            var audit = audit
            audit.after = AuditChain.json(sanction)
            return (sanction, try Self.appendAudit(db, audit, now: now))
        }
    }

    public func liftSanction(id: Int64, by actorID: Int64, audit: NewAuditEntry, now: Date) async throws -> (Sanction, AuditEntry)? {
        try await write { db in
            guard let before = try Self.sanction(db, id: id), before.liftedAt == nil else { return nil }
            try db.execute(sql: "UPDATE sanctions SET lifted_at = ?, lifted_by = ? WHERE id = ?", arguments: [now, actorID, id])
            let after = try Self.sanction(db, id: id)!
            var audit = audit
            audit.before = AuditChain.json(before)
            audit.after = AuditChain.json(after)
            return (after, try Self.appendAudit(db, audit, now: now))
        }
    }

    public func sanction(id: Int64) async throws -> Sanction? {
        try await read { db in try Self.sanction(db, id: id) }
    }

    public func sanctions(userID: Int64) async throws -> [Sanction] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM sanctions WHERE user_id = ? ORDER BY id DESC", arguments: [userID]).map(Self.sanction)
        }
    }

    public func appendAudit(_ entry: NewAuditEntry, now: Date) async throws -> AuditEntry {
        try await write { db in try Self.appendAudit(db, entry, now: now) }
    }

    public func auditEntries(communityID: Int64?, afterID: Int64?, limit: Int) async throws -> [AuditEntry] {
        try await read { db in
            let rows =
                if let communityID {
                    try Row.fetchAll(
                        db, sql: "SELECT * FROM audit_log WHERE community_id = ? AND id > ? ORDER BY id LIMIT ?",
                        arguments: [communityID, afterID ?? 0, limit])
                } else {
                    try Row.fetchAll(db, sql: "SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?", arguments: [afterID ?? 0, limit])
                }
            return rows.map(Self.auditEntry)
        }
    }

    public func auditEntry(id: Int64) async throws -> AuditEntry? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM audit_log WHERE id = ?", arguments: [id]).map(Self.auditEntry) }
    }

    public func createAppeal(actionID: Int64, userID: Int64, text: String, now: Date) async throws -> Appeal {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO appeals (action_id, user_id, text, created_at) VALUES (?, ?, ?, ?)", arguments: [actionID, userID, text, now])
            return try Self.appeal(db, id: db.lastInsertedRowID)!
        }
    }

    public func appeal(id: Int64) async throws -> Appeal? {
        try await read { db in try Self.appeal(db, id: id) }
    }

    public func auditEntries(targetType: String, targetID: Int64) async throws -> [AuditEntry] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log WHERE target_type = ? AND target_id = ? ORDER BY id", arguments: [targetType, targetID])
                .map(Self.auditEntry)
        }
    }

    public func appeals(userID: Int64) async throws -> [Appeal] {
        try await read { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM appeals WHERE user_id = ? ORDER BY id", arguments: [userID]).compactMap { try Self.appeal(db, id: $0) }
        }
    }

    public func decideAppeal(
        id: Int64, outcome: AppealOutcome, note: String?, by deciderID: Int64, liftingSanction: Int64?, audit: NewAuditEntry, now: Date
    ) async throws -> (Appeal, AuditEntry)? {
        try await write { db in
            guard let before = try Self.appeal(db, id: id), before.outcome == nil else { return nil }
            try db.execute(
                sql: "UPDATE appeals SET outcome = ?, note = ?, decided_by = ?, decided_at = ? WHERE id = ?",
                arguments: [outcome.rawValue, note, deciderID, now, id])
            if let liftingSanction {
                try db.execute(
                    sql: "UPDATE sanctions SET lifted_at = ?, lifted_by = ? WHERE id = ? AND lifted_at IS NULL",
                    arguments: [now, deciderID, liftingSanction])
            }
            let after = try Self.appeal(db, id: id)!
            var audit = audit
            audit.before = AuditChain.json(before)
            audit.after = AuditChain.json(after)
            return (after, try Self.appendAudit(db, audit, now: now))
        }
    }

    static func appeal(_ db: Database, id: Int64) throws -> Appeal? {
        try Row.fetchOne(db, sql: "SELECT * FROM appeals WHERE id = ?", arguments: [id]).map { row in
            Appeal(
                id: row["id"], actionID: row["action_id"], userID: row["user_id"], text: row["text"], createdAt: row["created_at"],
                outcome: (row["outcome"] as String?).flatMap(AppealOutcome.init), note: row["note"], decidedBy: row["decided_by"],
                decidedAt: row["decided_at"])
        }
    }

    /// Appends after the last row; the single writer keeps the chain in order.
    static func appendAudit(_ db: Database, _ new: NewAuditEntry, now: Date) throws -> AuditEntry {
        let last = try Row.fetchOne(db, sql: "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
        let entry = AuditChain.next(
            id: (last?["id"] as Int64? ?? 0) + 1, new, previousHash: last?["hash"] ?? AuditEntry.genesisHash, now: now)
        try db.execute(
            sql: """
                INSERT INTO audit_log (id, community_id, actor_id, action, target_type, target_id, reason, before_json, after_json,
                                       created_at_ms, previous_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                entry.id, entry.communityID, entry.actorID, entry.action, entry.targetType, entry.targetID, entry.reason, entry.before, entry.after,
                Int64((entry.createdAt.timeIntervalSince1970 * 1000).rounded()), entry.previousHash, entry.hash,
            ])
        return entry
    }

    static func sanction(_ db: Database, id: Int64) throws -> Sanction? {
        try Row.fetchOne(db, sql: "SELECT * FROM sanctions WHERE id = ?", arguments: [id]).map(sanction)
    }

    static func sanction(_ row: Row) -> Sanction {
        Sanction(
            id: row["id"], userID: row["user_id"], kind: SanctionKind(rawValue: row["kind"]) ?? .warn, communityID: row["community_id"],
            reason: row["reason"], createdBy: row["created_by"], createdAt: row["created_at"], endsAt: row["ends_at"], liftedAt: row["lifted_at"],
            liftedBy: row["lifted_by"])
    }

    static func auditEntry(_ row: Row) -> AuditEntry {
        AuditEntry(
            id: row["id"], communityID: row["community_id"], actorID: row["actor_id"], action: row["action"], targetType: row["target_type"],
            targetID: row["target_id"], reason: row["reason"], before: row["before_json"], after: row["after_json"],
            createdAt: Date(timeIntervalSince1970: Double(row["created_at_ms"] as Int64) / 1000), previousHash: row["previous_hash"],
            hash: row["hash"])
    }
}
