public import ConveneCore
public import Foundation
import PostgresNIO

extension PostgresStore: ReviewStore {
    public func fileFlag(_ new: NewFlag, hideThreshold: Int, now: Date) async throws -> FiledFlag {
        try await transaction { connection in
            let logger = self.logger
            let type = new.targetType.rawValue
            if try await connection.count(
                "SELECT 1 FROM flags WHERE target_type = \(type) AND target_id = \(new.targetID) AND user_id = \(new.userID)", logger) > 0
            {
                throw ConveneError(.conflict, "You flagged this already; a member flags each thing once.")
            }
            try await connection.query(
                """
                INSERT INTO review_items (community_id, target_type, target_id, created_at) VALUES (\(new.communityID), \(type), \(new.targetID), \(now))
                ON CONFLICT (target_type, target_id) WHERE state = 'open' DO NOTHING
                """, logger: logger)
            // The row lock makes concurrent flags on one target count one after another.
            let itemID = try await connection.rows(
                "SELECT id FROM review_items WHERE target_type = \(type) AND target_id = \(new.targetID) AND state = 'open' FOR UPDATE", logger)[0][
                    "id"
                ].decode(Int64.self)
            let flagID = try await connection.rows(
                """
                INSERT INTO flags (review_item_id, community_id, target_type, target_id, user_id, reason, note, created_at)
                VALUES (\(itemID), \(new.communityID), \(type), \(new.targetID), \(new.userID), \(new.reason.rawValue), \(new.note), \(now))
                RETURNING id
                """, logger)[0]["id"].decode(Int64.self)
            let item = try await connection.rows(
                """
                UPDATE review_items SET flag_count = flag_count + 1, escalated = escalated OR \(new.reason.escalates)
                WHERE id = \(itemID) RETURNING *
                """, logger)[0].reviewItem()
            var hidden: ConveneCore.ChannelEvent?
            if new.targetType == .message, item.flagCount >= hideThreshold,
                try await connection.count(
                    "SELECT 1 FROM messages WHERE id = \(new.targetID) AND NOT deleted AND hidden_at IS NULL", logger) > 0
            {
                hidden = try await self.change(connection, .hide(messageID: new.targetID, by: nil, hidden: true), now: now)
            }
            var hidPost = false
            if let post = new.targetType.post, item.flagCount >= hideThreshold {
                hidPost =
                    try await connection.count(
                        "UPDATE \(unescaped: ForumSQL.table(post)) SET hidden_at = \(now) WHERE id = \(new.targetID) AND hidden_at IS NULL RETURNING 1",
                        logger) > 0
            }
            let flag = try await connection.rows(PostgresQuery(unsafeSQL: "\(Self.flagSelect) WHERE f.id = \(flagID)"), logger)[0].flag()
            return FiledFlag(flag: flag, item: item, hidden: hidden, hidPost: hidPost)
        }
    }

    public func reviewItems(communityIDs: [Int64]?, state: ReviewState, offset: Int, limit: Int) async throws -> [ReviewItem] {
        try await queuePage(
            "SELECT * FROM review_items", table: "review_items", state: state.rawValue, communityIDs: communityIDs,
            order: state == .open ? "escalated DESC, id ASC" : "id DESC", offset: offset, limit: limit
        ).map { try $0.reviewItem() }
    }

    /// One page of a moderation queue's rows (`select` over `table`) in `state`, of these
    /// communities (nil: all), in `order`.
    func queuePage(_ select: String, table: String, state: String, communityIDs: [Int64]?, order: String, offset: Int, limit: Int) async throws
        -> [PostgresRandomAccessRow]
    {
        if let communityIDs, communityIDs.isEmpty { return [] }
        var bindings = PostgresBindings()
        bindings.append(state)
        bindings.append(Int64(limit))
        bindings.append(Int64(offset))
        var scope = ""
        if let communityIDs {
            bindings.append(communityIDs)
            scope = "AND \(table).community_id = ANY($4)"
        }
        return try await rows(
            PostgresQuery(unsafeSQL: "\(select) WHERE \(table).state = $1 \(scope) ORDER BY \(order) LIMIT $2 OFFSET $3", binds: bindings))
    }

    public func reviewItem(id: Int64) async throws -> ReviewItem? {
        try await rows("SELECT * FROM review_items WHERE id = \(id)").first?.reviewItem()
    }

    public func flags(reviewItemID: Int64) async throws -> [Flag] {
        var bindings = PostgresBindings()
        bindings.append(reviewItemID)
        return try await rows(PostgresQuery(unsafeSQL: "\(Self.flagSelect) WHERE f.review_item_id = $1 ORDER BY f.id", binds: bindings))
            .map { try $0.flag() }
    }

    public func settleReviewItem(id: Int64, as state: ReviewState, by actorID: Int64, audit: NewAuditEntry, now: Date) async throws
        -> (item: ReviewItem, audit: AuditEntry, event: ConveneCore.ChannelEvent?)?
    {
        try await transaction { connection in
            let logger = self.logger
            guard let before = try await connection.rows("SELECT * FROM review_items WHERE id = \(id) FOR UPDATE", logger).first?.reviewItem(),
                before.state == .open
            else { return nil }
            let after = try await connection.rows(
                "UPDATE review_items SET state = \(state.rawValue), settled_by = \(actorID), settled_at = \(now) WHERE id = \(id) RETURNING *", logger
            )[0].reviewItem()
            var event: ConveneCore.ChannelEvent?
            if state == .rejected, before.targetType == .message,
                try await connection.count(
                    "SELECT 1 FROM messages WHERE id = \(before.targetID) AND NOT deleted AND hidden_at IS NOT NULL", logger) > 0
            {
                event = try await self.change(connection, .hide(messageID: before.targetID, by: actorID, hidden: false), now: now)
            }
            if state == .rejected, let post = before.targetType.post {
                // The flags were wrong: a post they hid is shown again.
                try await connection.query(
                    "UPDATE \(unescaped: ForumSQL.table(post)) SET hidden_at = NULL, hidden_by = NULL WHERE id = \(before.targetID)", logger: logger)
            }
            var audit = audit
            audit.before = AuditChain.json(before)
            audit.after = AuditChain.json(after)
            return (after, try await self.appendAudit(connection, audit, now: now), event)
        }
    }

    public func assignReviewItem(id: Int64, to assigneeID: Int64?) async throws -> ReviewItem? {
        try await rows("UPDATE review_items SET assignee_id = \(assigneeID) WHERE id = \(id) AND state = 'open' RETURNING *").first?.reviewItem()
    }

    public func setChannelLocked(id: Int64, locked: Bool, audit: NewAuditEntry, now: Date) async throws
        -> (channel: ConveneCore.Channel, audit: AuditEntry)?
    {
        try await transaction { connection in
            guard let before = try await connection.rows("SELECT * FROM channels WHERE id = \(id) FOR UPDATE", self.logger).first?.channel() else {
                throw ConveneError.notFound("The channel")
            }
            if before.locked == locked { return nil }
            let after = try await connection.rows("UPDATE channels SET locked = \(locked) WHERE id = \(id) RETURNING *", self.logger)[0].channel()
            var audit = audit
            audit.before = AuditChain.json(before)
            audit.after = AuditChain.json(after)
            return (after, try await self.appendAudit(connection, audit, now: now))
        }
    }

    static let flagSelect = "SELECT f.*, u.display_name AS user_name FROM flags f JOIN users u ON u.id = f.user_id"
}

extension PostgresRandomAccessRow {
    func flag() throws -> Flag {
        Flag(
            id: try self["id"].decode(Int64.self), reviewItemID: try self["review_item_id"].decode(Int64.self),
            userID: try self["user_id"].decode(Int64.self), userName: try self["user_name"].decode(String.self),
            reason: FlagReason(rawValue: try self["reason"].decode(String.self)) ?? .other, note: try self["note"].decode(String?.self),
            createdAt: try self["created_at"].decode(Date.self))
    }

    func reviewItem() throws -> ReviewItem {
        ReviewItem(
            id: try self["id"].decode(Int64.self), communityID: try self["community_id"].decode(Int64.self),
            targetType: ReviewTargetType(rawValue: try self["target_type"].decode(String.self)) ?? .message,
            targetID: try self["target_id"].decode(Int64.self), state: ReviewState(rawValue: try self["state"].decode(String.self)) ?? .open,
            escalated: try self["escalated"].decode(Bool.self), assigneeID: try self["assignee_id"].decode(Int64?.self),
            flagCount: Int(try self["flag_count"].decode(Int32.self)), createdAt: try self["created_at"].decode(Date.self),
            settledBy: try self["settled_by"].decode(Int64?.self), settledAt: try self["settled_at"].decode(Date?.self),
            watchedWord: try self["watched_word"].decode(String?.self))
    }
}
