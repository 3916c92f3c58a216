public import ConveneCore
public import Foundation
import PostgresNIO

extension PostgresStore: WatchedWordStore {
    public func watchedWords(communityID: Int64) async throws -> [WatchedWord] {
        try await rows("SELECT * FROM watched_words WHERE community_id = \(communityID) ORDER BY id").map { try $0.watchedWord() }
    }

    public func watchedWord(id: Int64) async throws -> WatchedWord? {
        try await rows("SELECT * FROM watched_words WHERE id = \(id)").first?.watchedWord()
    }

    public func addWatchedWord(communityID: Int64, pattern: String, action: WatchedAction, by actorID: Int64, audit: NewAuditEntry, now: Date)
        async throws -> (WatchedWord, AuditEntry)
    {
        try await transaction { connection in
            let inserted = try await connection.rows(
                """
                INSERT INTO watched_words (community_id, pattern, action, created_by, created_at)
                VALUES (\(communityID), \(pattern), \(action.rawValue), \(actorID), \(now))
                ON CONFLICT (community_id, pattern) DO NOTHING RETURNING *
                """, self.logger)
            guard let word = try inserted.first?.watchedWord() else {
                throw ConveneError(.conflict, "This community watches “\(pattern)” already; remove it to change what it does.")
            }
            var audit = audit
            audit.after = AuditChain.json(word)
            return (word, try await self.appendAudit(connection, audit, now: now))
        }
    }

    public func removeWatchedWord(id: Int64, audit: NewAuditEntry, now: Date) async throws -> AuditEntry? {
        try await transaction { connection in
            guard let word = try await connection.rows("DELETE FROM watched_words WHERE id = \(id) RETURNING *", self.logger).first?.watchedWord() else {
                return nil
            }
            var audit = audit
            audit.before = AuditChain.json(word)
            return try await self.appendAudit(connection, audit, now: now)
        }
    }

    public func flagByWatchedWord(communityID: Int64, target: ReviewTargetType, id: Int64, word: String, now: Date) async throws -> ReviewItem {
        try await rows(Self.watchedWordItem(communityID: communityID, target: target, id: id, word: word, now: now))[0].reviewItem()
    }

    static func watchedWordItem(communityID: Int64, target: ReviewTargetType, id: Int64, word: String, now: Date) -> PostgresQuery {
        var bindings = PostgresBindings()
        bindings.append(communityID)
        bindings.append(target.rawValue)
        bindings.append(id)
        bindings.append(now)
        bindings.append(word)
        return PostgresQuery(unsafeSQL: ForumSQL.watchedWordItem + " RETURNING *", binds: bindings)
    }

    public func holdMessage(_ new: NewPendingMessage, now: Date) async throws -> PendingMessage {
        try await transaction { connection in
            try await connection.query(
                """
                INSERT INTO pending_messages (community_id, channel_id, author_id, body, thread_id, nonce, watched_word, created_at)
                VALUES (\(new.communityID), \(new.channelID), \(new.authorID), \(new.body), \(new.threadID), \(new.nonce), \(new.watchedWord), \(now))
                ON CONFLICT (author_id, nonce) DO NOTHING
                """, logger: self.logger)
            return try await connection.rows(Self.pendingQuery(authorID: new.authorID, nonce: new.nonce), self.logger)[0].pending()
        }
    }

    public func pendingMessages(communityIDs: [Int64]?, state: PendingState, offset: Int, limit: Int) async throws -> [PendingMessage] {
        try await queuePage(
            Self.pendingSelect, table: "p", state: state.rawValue, communityIDs: communityIDs, order: "p.id \(state == .open ? "ASC" : "DESC")",
            offset: offset, limit: limit
        ).map { try $0.pending() }
    }

    public func pendingMessage(id: Int64) async throws -> PendingMessage? {
        var bindings = PostgresBindings()
        bindings.append(id)
        return try await rows(PostgresQuery(unsafeSQL: "\(Self.pendingSelect) WHERE p.id = $1", binds: bindings)).first?.pending()
    }

    public func pendingMessage(authorID: Int64, nonce: String) async throws -> PendingMessage? {
        try await rows(Self.pendingQuery(authorID: authorID, nonce: nonce)).first?.pending()
    }

    public func decidePending(id: Int64, approved: Bool, messageID: Int64?, by actorID: Int64, audit: NewAuditEntry, now: Date) async throws
        -> (PendingMessage, AuditEntry)?
    {
        try await transaction { connection in
            var bindings = PostgresBindings()
            bindings.append(id)
            let select = PostgresQuery(unsafeSQL: "\(Self.pendingSelect) WHERE p.id = $1 FOR UPDATE OF p", binds: bindings)
            guard let before = try await connection.rows(select, self.logger).first?.pending(), before.state == .open else { return nil }
            let state = (approved ? PendingState.approved : .rejected).rawValue
            try await connection.query(
                """
                UPDATE pending_messages SET state = \(state), decided_by = \(actorID), decided_at = \(now), message_id = \(messageID) WHERE id = \(id)
                """, logger: self.logger)
            var after = before
            after.state = approved ? .approved : .rejected
            after.decidedBy = actorID
            after.decidedAt = now
            after.messageID = messageID
            var audit = audit
            audit.before = AuditChain.json(before)
            audit.after = AuditChain.json(after)
            return (after, try await self.appendAudit(connection, audit, now: now))
        }
    }

    static let pendingSelect = "SELECT p.*, u.display_name AS author_name FROM pending_messages p JOIN users u ON u.id = p.author_id"

    static func pendingQuery(authorID: Int64, nonce: String) -> PostgresQuery {
        var bindings = PostgresBindings()
        bindings.append(authorID)
        bindings.append(nonce)
        return PostgresQuery(unsafeSQL: "\(pendingSelect) WHERE p.author_id = $1 AND p.nonce = $2", binds: bindings)
    }
}

extension PostgresRandomAccessRow {
    func watchedWord() throws -> WatchedWord {
        WatchedWord(
            id: try self["id"].decode(Int64.self), communityID: try self["community_id"].decode(Int64.self),
            pattern: try self["pattern"].decode(String.self), action: WatchedAction(rawValue: try self["action"].decode(String.self)) ?? .flag,
            createdBy: try self["created_by"].decode(Int64.self), createdAt: try self["created_at"].decode(Date.self))
    }

    func pending() throws -> PendingMessage {
        PendingMessage(
            id: try self["id"].decode(Int64.self), communityID: try self["community_id"].decode(Int64.self),
            channelID: try self["channel_id"].decode(Int64.self), authorID: try self["author_id"].decode(Int64.self),
            authorName: try self["author_name"].decode(String.self), body: try self["body"].decode(String.self),
            threadID: try self["thread_id"].decode(Int64?.self), nonce: try self["nonce"].decode(String.self),
            watchedWord: try self["watched_word"].decode(String.self), state: PendingState(rawValue: try self["state"].decode(String.self)) ?? .open,
            createdAt: try self["created_at"].decode(Date.self), decidedBy: try self["decided_by"].decode(Int64?.self),
            decidedAt: try self["decided_at"].decode(Date?.self), messageID: try self["message_id"].decode(Int64?.self))
    }
}
