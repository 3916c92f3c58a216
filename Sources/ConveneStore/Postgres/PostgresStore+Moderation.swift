public import ConveneCore
public import Foundation
import PostgresNIO

extension PostgresStore: ModerationStore {
    /// The advisory lock that keeps audit appends, from every node, one at a time.
    static let auditLock: Int64 = 7_243_001

    public func addSanction(_ new: NewSanction, audit: NewAuditEntry, now: Date) async throws -> (Sanction, AuditEntry) {
        try await transaction { connection in
            let rows = try await connection.rows(
                """
                INSERT INTO sanctions (user_id, kind, community_id, reason, created_by, created_at, ends_at)
                VALUES (\(new.userID), \(new.kind.rawValue), \(new.communityID), \(new.reason), \(new.createdBy), \(now), \(new.endsAt))
                RETURNING *
                """, self.logger)
            let sanction = try rows[0].sanction()
            var audit = audit
            audit.after = AuditChain.json(sanction)
            return (sanction, try await self.appendAudit(connection, audit, now: now))
        }
    }

    public func liftSanction(id: Int64, by actorID: Int64, audit: NewAuditEntry, now: Date) async throws -> (Sanction, AuditEntry)? {
        try await transaction { connection in
            guard let before = try await connection.rows("SELECT * FROM sanctions WHERE id = \(id) FOR UPDATE", self.logger).first?.sanction(),
                before.liftedAt == nil
            else { return nil }
            let after = try await connection.rows(
                "UPDATE sanctions SET lifted_at = \(now), lifted_by = \(actorID) WHERE id = \(id) RETURNING *", self.logger)[0].sanction()
            var audit = audit
            audit.before = AuditChain.json(before)
            audit.after = AuditChain.json(after)
            return (after, try await self.appendAudit(connection, audit, now: now))
        }
    }

    public func sanction(id: Int64) async throws -> Sanction? {
        try await rows("SELECT * FROM sanctions WHERE id = \(id)").first?.sanction()
    }

    public func sanctions(userID: Int64) async throws -> [Sanction] {
        try await rows("SELECT * FROM sanctions WHERE user_id = \(userID) ORDER BY id DESC").map { try $0.sanction() }
    }

    public func appendAudit(_ entry: NewAuditEntry, now: Date) async throws -> AuditEntry {
        try await transaction { connection in try await self.appendAudit(connection, entry, now: now) }
    }

    public func auditEntries(communityID: Int64?, afterID: Int64?, limit: Int) async throws -> [AuditEntry] {
        let rows =
            if let communityID {
                try await rows("SELECT * FROM audit_log WHERE community_id = \(communityID) AND id > \(afterID ?? 0) ORDER BY id LIMIT \(limit)")
            } else {
                try await rows("SELECT * FROM audit_log WHERE id > \(afterID ?? 0) ORDER BY id LIMIT \(limit)")
            }
        return try rows.map { try $0.auditEntry() }
    }

    public func auditEntry(id: Int64) async throws -> AuditEntry? {
        try await rows("SELECT * FROM audit_log WHERE id = \(id)").first?.auditEntry()
    }

    public func createAppeal(actionID: Int64, userID: Int64, text: String, now: Date) async throws -> Appeal {
        try await rows(
            "INSERT INTO appeals (action_id, user_id, text, created_at) VALUES (\(actionID), \(userID), \(text), \(now)) RETURNING *"
        )[0].appeal()
    }

    public func appeal(id: Int64) async throws -> Appeal? {
        try await rows("SELECT * FROM appeals WHERE id = \(id)").first?.appeal()
    }

    public func auditEntries(targetType: String, targetID: Int64) async throws -> [AuditEntry] {
        try await rows("SELECT * FROM audit_log WHERE target_type = \(targetType) AND target_id = \(targetID) ORDER BY id").map { try $0.auditEntry() }
    }

    public func appeals(userID: Int64) async throws -> [Appeal] {
        try await rows("SELECT * FROM appeals WHERE user_id = \(userID) ORDER BY id").map { try $0.appeal() }
    }

    public func decideAppeal(
        id: Int64, outcome: AppealOutcome, note: String?, by deciderID: Int64, liftingSanction: Int64?, audit: NewAuditEntry, now: Date
    ) async throws -> (Appeal, AuditEntry)? {
        try await transaction { connection in
            guard let before = try await connection.rows("SELECT * FROM appeals WHERE id = \(id) FOR UPDATE", self.logger).first?.appeal(),
                before.outcome == nil
            else { return nil }
            let after = try await connection.rows(
                """
                UPDATE appeals SET outcome = \(outcome.rawValue), note = \(note), decided_by = \(deciderID), decided_at = \(now)
                WHERE id = \(id) RETURNING *
                """, self.logger)[0].appeal()
            if let liftingSanction {
                try await connection.query(
                    "UPDATE sanctions SET lifted_at = \(now), lifted_by = \(deciderID) WHERE id = \(liftingSanction) AND lifted_at IS NULL",
                    logger: self.logger)
            }
            var audit = audit
            audit.before = AuditChain.json(before)
            audit.after = AuditChain.json(after)
            return (after, try await self.appendAudit(connection, audit, now: now))
        }
    }

    /// Appends after the last row, holding the audit lock until the transaction ends.
    func appendAudit(_ connection: PostgresConnection, _ new: NewAuditEntry, now: Date) async throws -> AuditEntry {
        _ = try await connection.rows("SELECT pg_advisory_xact_lock(\(Self.auditLock))", logger)
        let last = try await connection.rows("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1", logger).first
        let entry = AuditChain.next(
            id: (try last?["id"].decode(Int64.self) ?? 0) + 1, new, previousHash: try last?["hash"].decode(String.self) ?? AuditEntry.genesisHash,
            now: now)
        let millis = Int64((entry.createdAt.timeIntervalSince1970 * 1000).rounded())
        try await connection.query(
            """
            INSERT INTO audit_log (id, community_id, actor_id, action, target_type, target_id, reason, before_json, after_json,
                                   created_at_ms, previous_hash, hash)
            VALUES (\(entry.id), \(entry.communityID), \(entry.actorID), \(entry.action), \(entry.targetType), \(entry.targetID), \(entry.reason),
                    \(entry.before), \(entry.after), \(millis), \(entry.previousHash), \(entry.hash))
            """, logger: logger)
        return entry
    }
}

extension PostgresRandomAccessRow {
    func sanction() throws -> Sanction {
        Sanction(
            id: try self["id"].decode(Int64.self), userID: try self["user_id"].decode(Int64.self),
            kind: SanctionKind(rawValue: try self["kind"].decode(String.self)) ?? .warn, communityID: try self["community_id"].decode(Int64?.self),
            reason: try self["reason"].decode(String.self), createdBy: try self["created_by"].decode(Int64.self),
            createdAt: try self["created_at"].decode(Date.self), endsAt: try self["ends_at"].decode(Date?.self),
            liftedAt: try self["lifted_at"].decode(Date?.self), liftedBy: try self["lifted_by"].decode(Int64?.self))
    }

    func appeal() throws -> Appeal {
        Appeal(
            id: try self["id"].decode(Int64.self), actionID: try self["action_id"].decode(Int64.self), userID: try self["user_id"].decode(Int64.self),
            text: try self["text"].decode(String.self), createdAt: try self["created_at"].decode(Date.self),
            outcome: try self["outcome"].decode(String?.self).flatMap(AppealOutcome.init), note: try self["note"].decode(String?.self),
            decidedBy: try self["decided_by"].decode(Int64?.self), decidedAt: try self["decided_at"].decode(Date?.self))
    }

    func auditEntry() throws -> AuditEntry {
        AuditEntry(
            id: try self["id"].decode(Int64.self), communityID: try self["community_id"].decode(Int64?.self),
            actorID: try self["actor_id"].decode(Int64.self), action: try self["action"].decode(String.self),
            targetType: try self["target_type"].decode(String.self), targetID: try self["target_id"].decode(Int64.self),
            reason: try self["reason"].decode(String.self), before: try self["before_json"].decode(String?.self),
            after: try self["after_json"].decode(String?.self),
            createdAt: Date(timeIntervalSince1970: Double(try self["created_at_ms"].decode(Int64.self)) / 1000),
            previousHash: try self["previous_hash"].decode(String.self), hash: try self["hash"].decode(String.self))
    }
}
