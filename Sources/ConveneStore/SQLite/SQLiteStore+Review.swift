public import ConveneCore
public import Foundation
import GRDB

extension SQLiteStore: ReviewStore {
    public func fileFlag(_ new: NewFlag, hideThreshold: Int, now: Date) async throws -> FiledFlag {
        try await write { db in
            let target: StatementArguments = [new.targetType.rawValue, new.targetID]
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM flags WHERE target_type = ? AND target_id = ? AND user_id = ?", arguments: target + [new.userID])
                != nil
            {
                throw ConveneError(.conflict, "You flagged this already; a member flags each thing once.")
            }
            try db.execute(
                sql: """
                    INSERT INTO review_items (community_id, target_type, target_id, created_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (target_type, target_id) WHERE state = 'open' DO NOTHING
                    """, arguments: [new.communityID] + target + [now])
            let itemID = try Int64.fetchOne(
                db, sql: "SELECT id FROM review_items WHERE target_type = ? AND target_id = ? AND state = 'open'", arguments: target)!
            try db.execute(
                sql: """
                    INSERT INTO flags (review_item_id, community_id, target_type, target_id, user_id, reason, note, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [itemID, new.communityID] + target + [new.userID, new.reason.rawValue, new.note, now])
            let flagID = db.lastInsertedRowID
            try db.execute(
                sql: "UPDATE review_items SET flag_count = flag_count + 1, escalated = escalated OR ? WHERE id = ?",
                arguments: [new.reason.escalates, itemID])
            let item = try Self.reviewItem(db, id: itemID)!
            var hidden: ChannelEvent?
            if new.targetType == .message, item.flagCount >= hideThreshold,
                let message = try Row.fetchOne(db, sql: "SELECT deleted, hidden_at FROM messages WHERE id = ?", arguments: [new.targetID]),
                !(message["deleted"] as Bool), (message["hidden_at"] as Date?) == nil
            {
                hidden = try Self.change(db, .hide(messageID: new.targetID, by: nil, hidden: true), now: now)
            }
            var hidPost = false
            if let post = new.targetType.post, item.flagCount >= hideThreshold {
                try db.execute(
                    sql: "UPDATE \(ForumSQL.table(post)) SET hidden_at = ? WHERE id = ? AND hidden_at IS NULL", arguments: [now, new.targetID])
                hidPost = db.changesCount > 0
            }
            let flag = try Row.fetchOne(db, sql: "\(Self.flagSelect) WHERE f.id = ?", arguments: [flagID]).map(Self.flag)!
            return FiledFlag(flag: flag, item: item, hidden: hidden, hidPost: hidPost)
        }
    }

    public func reviewItems(communityIDs: [Int64]?, state: ReviewState, offset: Int, limit: Int) async throws -> [ReviewItem] {
        try await queuePage(
            "SELECT * FROM review_items", table: "review_items", state: state.rawValue, communityIDs: communityIDs,
            order: state == .open ? "escalated DESC, id ASC" : "id DESC", offset: offset, limit: limit, Self.reviewItem)
    }

    /// One page of a moderation queue's rows (`select` over `table`) in `state`, of these
    /// communities (nil: all), in `order`.
    func queuePage<T: Sendable>(
        _ select: String, table: String, state: String, communityIDs: [Int64]?, order: String, offset: Int, limit: Int,
        _ decode: @escaping @Sendable (Row) -> T
    ) async throws -> [T] {
        if let communityIDs, communityIDs.isEmpty { return [] }
        return try await read { db in
            let scope = communityIDs.map { "AND \(table).community_id IN (\(databaseQuestionMarks(count: $0.count)))" } ?? ""
            return try Row.fetchAll(
                db, sql: "\(select) WHERE \(table).state = ? \(scope) ORDER BY \(order) LIMIT ? OFFSET ?",
                arguments: [state] + StatementArguments(communityIDs ?? []) + [limit, offset]
            ).map(decode)
        }
    }

    public func reviewItem(id: Int64) async throws -> ReviewItem? {
        try await read { db in try Self.reviewItem(db, id: id) }
    }

    public func flags(reviewItemID: Int64) async throws -> [Flag] {
        try await read { db in
            try Row.fetchAll(db, sql: "\(Self.flagSelect) WHERE f.review_item_id = ? ORDER BY f.id", arguments: [reviewItemID]).map(Self.flag)
        }
    }

    public func settleReviewItem(id: Int64, as state: ReviewState, by actorID: Int64, audit: NewAuditEntry, now: Date) async throws
        -> (item: ReviewItem, audit: AuditEntry, event: ChannelEvent?)?
    {
        try await write { db in
            guard let before = try Self.reviewItem(db, id: id), before.state == .open else { return nil }
            try db.execute(
                sql: "UPDATE review_items SET state = ?, settled_by = ?, settled_at = ? WHERE id = ?", arguments: [state.rawValue, actorID, now, id])
            var event: ChannelEvent?
            if state == .rejected, before.targetType == .message,
                let message = try Row.fetchOne(db, sql: "SELECT deleted, hidden_at FROM messages WHERE id = ?", arguments: [before.targetID]),
                !(message["deleted"] as Bool), (message["hidden_at"] as Date?) != nil
            {
                event = try Self.change(db, .hide(messageID: before.targetID, by: actorID, hidden: false), now: now)
            }
            if state == .rejected, let post = before.targetType.post {
                // The flags were wrong: a post they hid is shown again.
                try db.execute(sql: "UPDATE \(ForumSQL.table(post)) SET hidden_at = NULL, hidden_by = NULL WHERE id = ?", arguments: [before.targetID])
            }
            let after = try Self.reviewItem(db, id: id)!
            var audit = audit
            audit.before = AuditChain.json(before)
            audit.after = AuditChain.json(after)
            return (after, try Self.appendAudit(db, audit, now: now), event)
        }
    }

    public func assignReviewItem(id: Int64, to assigneeID: Int64?) async throws -> ReviewItem? {
        try await write { db in
            try db.execute(sql: "UPDATE review_items SET assignee_id = ? WHERE id = ? AND state = 'open'", arguments: [assigneeID, id])
            return db.changesCount == 0 ? nil : try Self.reviewItem(db, id: id)
        }
    }

    public func setChannelLocked(id: Int64, locked: Bool, audit: NewAuditEntry, now: Date) async throws -> (channel: ConveneCore.Channel, audit: AuditEntry)? {
        try await write { db in
            guard let before = try Row.fetchOne(db, sql: "SELECT * FROM channels WHERE id = ?", arguments: [id]).map(Self.channel) else {
                throw ConveneError.notFound("The channel")
            }
            if before.locked == locked { return nil }
            try db.execute(sql: "UPDATE channels SET locked = ? WHERE id = ?", arguments: [locked, id])
            var after = before
            after.locked = locked
            var audit = audit
            audit.before = AuditChain.json(before)
            audit.after = AuditChain.json(after)
            return (after, try Self.appendAudit(db, audit, now: now))
        }
    }

    static let flagSelect = "SELECT f.*, u.display_name AS user_name FROM flags f JOIN users u ON u.id = f.user_id"

    static func flag(_ row: Row) -> Flag {
        Flag(
            id: row["id"], reviewItemID: row["review_item_id"], userID: row["user_id"], userName: row["user_name"],
            reason: FlagReason(rawValue: row["reason"]) ?? .other, note: row["note"], createdAt: row["created_at"])
    }

    static func reviewItem(_ db: Database, id: Int64) throws -> ReviewItem? {
        try Row.fetchOne(db, sql: "SELECT * FROM review_items WHERE id = ?", arguments: [id]).map(reviewItem)
    }

    static func reviewItem(_ row: Row) -> ReviewItem {
        ReviewItem(
            id: row["id"], communityID: row["community_id"], targetType: ReviewTargetType(rawValue: row["target_type"]) ?? .message,
            targetID: row["target_id"], state: ReviewState(rawValue: row["state"]) ?? .open, escalated: row["escalated"],
            assigneeID: row["assignee_id"], flagCount: row["flag_count"], createdAt: row["created_at"], settledBy: row["settled_by"],
            settledAt: row["settled_at"], watchedWord: row["watched_word"])
    }
}
