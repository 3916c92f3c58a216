public import ConveneCore
public import Foundation
import GRDB

extension SQLiteStore: WatchedWordStore {
    public func watchedWords(communityID: Int64) async throws -> [WatchedWord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM watched_words WHERE community_id = ? ORDER BY id", arguments: [communityID]).map(Self.watchedWord)
        }
    }

    public func watchedWord(id: Int64) async throws -> WatchedWord? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM watched_words WHERE id = ?", arguments: [id]).map(Self.watchedWord) }
    }

    public func addWatchedWord(communityID: Int64, pattern: String, action: WatchedAction, by actorID: Int64, audit: NewAuditEntry, now: Date)
        async throws -> (WatchedWord, AuditEntry)
    {
        try await write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM watched_words WHERE community_id = ? AND pattern = ?", arguments: [communityID, pattern]) != nil {
                throw ConveneError(.conflict, "This community watches “\(pattern)” already; remove it to change what it does.")
            }
            try db.execute(
                sql: "INSERT INTO watched_words (community_id, pattern, action, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [communityID, pattern, action.rawValue, actorID, now])
            let word = try Row.fetchOne(db, sql: "SELECT * FROM watched_words WHERE id = ?", arguments: [db.lastInsertedRowID]).map(Self.watchedWord)!
            var audit = audit
            audit.after = AuditChain.json(word)
            return (word, try Self.appendAudit(db, audit, now: now))
        }
    }

    public func removeWatchedWord(id: Int64, audit: NewAuditEntry, now: Date) async throws -> AuditEntry? {
        try await write { db in
            guard let word = try Row.fetchOne(db, sql: "SELECT * FROM watched_words WHERE id = ?", arguments: [id]).map(Self.watchedWord) else {
                return nil
            }
            try db.execute(sql: "DELETE FROM watched_words WHERE id = ?", arguments: [id])
            var audit = audit
            audit.before = AuditChain.json(word)
            return try Self.appendAudit(db, audit, now: now)
        }
    }

    public func flagByWatchedWord(communityID: Int64, target: ReviewTargetType, id: Int64, word: String, now: Date) async throws -> ReviewItem {
        try await write { db in try Self.flagByWatchedWord(db, communityID: communityID, target: target, id: id, word: word, now: now) }
    }

    static func flagByWatchedWord(_ db: Database, communityID: Int64, target: ReviewTargetType, id: Int64, word: String, now: Date) throws -> ReviewItem {
        try db.execute(sql: ForumSQL.watchedWordItem, arguments: [communityID, target.rawValue, id, now, word])
        return try Row.fetchOne(
            db, sql: "SELECT * FROM review_items WHERE target_type = ? AND target_id = ? AND state = 'open'", arguments: [target.rawValue, id]
        ).map(Self.reviewItem)!
    }

    public func holdMessage(_ new: NewPendingMessage, now: Date) async throws -> PendingMessage {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO pending_messages (community_id, channel_id, author_id, body, thread_id, nonce, watched_word, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (author_id, nonce) DO NOTHING
                    """,
                arguments: [new.communityID, new.channelID, new.authorID, new.body, new.threadID, new.nonce, new.watchedWord, now])
            return try Row.fetchOne(db, sql: "\(Self.pendingSelect) WHERE p.author_id = ? AND p.nonce = ?", arguments: [new.authorID, new.nonce])
                .map(Self.pending)!
        }
    }

    public func pendingMessages(communityIDs: [Int64]?, state: PendingState, offset: Int, limit: Int) async throws -> [PendingMessage] {
        try await queuePage(
            Self.pendingSelect, table: "p", state: state.rawValue, communityIDs: communityIDs, order: "p.id \(state == .open ? "ASC" : "DESC")",
            offset: offset, limit: limit, Self.pending)
    }

    public func pendingMessage(id: Int64) async throws -> PendingMessage? {
        try await read { db in try Row.fetchOne(db, sql: "\(Self.pendingSelect) WHERE p.id = ?", arguments: [id]).map(Self.pending) }
    }

    public func pendingMessage(authorID: Int64, nonce: String) async throws -> PendingMessage? {
        try await read { db in
            try Row.fetchOne(db, sql: "\(Self.pendingSelect) WHERE p.author_id = ? AND p.nonce = ?", arguments: [authorID, nonce]).map(Self.pending)
        }
    }

    public func decidePending(id: Int64, approved: Bool, messageID: Int64?, by actorID: Int64, audit: NewAuditEntry, now: Date) async throws
        -> (PendingMessage, AuditEntry)?
    {
        try await write { db in
            guard let before = try Row.fetchOne(db, sql: "\(Self.pendingSelect) WHERE p.id = ?", arguments: [id]).map(Self.pending), before.state == .open
            else { return nil }
            try db.execute(
                sql: "UPDATE pending_messages SET state = ?, decided_by = ?, decided_at = ?, message_id = ? WHERE id = ?",
                arguments: [(approved ? PendingState.approved : .rejected).rawValue, actorID, now, messageID, id])
            let after = try Row.fetchOne(db, sql: "\(Self.pendingSelect) WHERE p.id = ?", arguments: [id]).map(Self.pending)!
            var audit = audit
            audit.before = AuditChain.json(before)
            audit.after = AuditChain.json(after)
            return (after, try Self.appendAudit(db, audit, now: now))
        }
    }

    static let pendingSelect = "SELECT p.*, u.display_name AS author_name FROM pending_messages p JOIN users u ON u.id = p.author_id"

    static func pending(_ row: Row) -> PendingMessage {
        PendingMessage(
            id: row["id"], communityID: row["community_id"], channelID: row["channel_id"], authorID: row["author_id"], authorName: row["author_name"],
            body: row["body"], threadID: row["thread_id"], nonce: row["nonce"], watchedWord: row["watched_word"],
            state: PendingState(rawValue: row["state"]) ?? .open, createdAt: row["created_at"], decidedBy: row["decided_by"],
            decidedAt: row["decided_at"], messageID: row["message_id"])
    }

    static func watchedWord(_ row: Row) -> WatchedWord {
        WatchedWord(
            id: row["id"], communityID: row["community_id"], pattern: row["pattern"], action: WatchedAction(rawValue: row["action"]) ?? .flag,
            createdBy: row["created_by"], createdAt: row["created_at"])
    }
}
