public import ConveneCore
public import Foundation
import GRDB

extension SQLiteStore: MessageStore {
    public func createChannel(
        communityID: Int64, name: String, topic: String, isPrivate: Bool, announcementOnly: Bool, slowModeSeconds: Int, createdBy: Int64?,
        now: Date
    ) async throws -> ConveneCore.Channel {
        try await write { db in
            if try Int64.fetchOne(db, sql: "SELECT id FROM channels WHERE community_id = ? AND name = ?", arguments: [communityID, name]) != nil {
                throw ConveneError(.conflict, "This community already has a channel named \(name).", field: "name")
            }
            try db.execute(
                sql: """
                    INSERT INTO channels (community_id, name, topic, private, announcement_only, slow_mode_seconds, created_by, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [communityID, name, topic, isPrivate, announcementOnly, slowModeSeconds, createdBy, now])
            let id = db.lastInsertedRowID
            if isPrivate, let createdBy {
                try db.execute(sql: "INSERT INTO channel_members (channel_id, user_id, added_at) VALUES (?, ?, ?)", arguments: [id, createdBy, now])
            }
            return try Row.fetchOne(db, sql: "SELECT * FROM channels WHERE id = ?", arguments: [id]).map(Self.channel)!
        }
    }

    public func channel(id: Int64) async throws -> ConveneCore.Channel? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM channels WHERE id = ?", arguments: [id]).map(Self.channel) }
    }

    public func isChannelMember(channelID: Int64, userID: Int64) async throws -> Bool {
        try await read { db in
            try Int.fetchOne(db, sql: "SELECT 1 FROM channel_members WHERE channel_id = ? AND user_id = ?", arguments: [channelID, userID]) != nil
        }
    }

    public func addChannelMember(channelID: Int64, userID: Int64, now: Date) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO channel_members (channel_id, user_id, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                arguments: [channelID, userID, now])
            return db.changesCount > 0
        }
    }

    public func privateChannelIDs(communityID: Int64, userID: Int64) async throws -> Set<Int64> {
        try await read { db in
            try Int64.fetchSet(
                db,
                sql: """
                    SELECT c.id FROM channels c JOIN channel_members cm ON cm.channel_id = c.id
                    WHERE c.community_id = ? AND cm.user_id = ? AND c.private = 1
                    """, arguments: [communityID, userID])
        }
    }

    public func append(_ batch: [NewMessage], now: Date) async throws -> [AppendOutcome] {
        try await write { db in
            try batch.map { message in try Self.append(message, now: now, db) }
        }
    }

    private static func append(_ new: NewMessage, now: Date, _ db: Database) throws -> AppendOutcome {
        if let existing = try Row.fetchOne(
            db, sql: "\(messageSelect) WHERE m.author_id = ? AND m.nonce = ?", arguments: [new.authorID, new.nonce])
        {
            return .duplicate(message(existing))
        }
        guard let channel = try Row.fetchOne(db, sql: "SELECT community_id, last_seq FROM channels WHERE id = ?", arguments: [new.channelID]) else {
            return .rejected(.notFound("The channel"))
        }
        if let threadID = new.threadID {
            let root = try Row.fetchOne(db, sql: "SELECT channel_id, thread_id, deleted FROM messages WHERE id = ?", arguments: [threadID])
            guard let root, root["channel_id"] as Int64 == new.channelID, root["thread_id"] as Int64? == nil, !(root["deleted"] as Bool) else {
                return .rejected(.invalid("thread_id", "thread_id must be a message of this channel that starts a thread."))
            }
            try db.execute(sql: "UPDATE messages SET reply_count = reply_count + 1 WHERE id = ?", arguments: [threadID])
        }
        let seq = (channel["last_seq"] as Int64) + 1
        try db.execute(sql: "UPDATE channels SET last_seq = ? WHERE id = ?", arguments: [seq, new.channelID])
        try db.execute(
            sql: """
                INSERT INTO messages (channel_id, community_id, seq, author_id, body, body_html, thread_id, nonce, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [new.channelID, channel["community_id"] as Int64, seq, new.authorID, new.body, new.bodyHTML, new.threadID, new.nonce, now])
        let id = db.lastInsertedRowID
        try db.execute(
            sql: "INSERT INTO channel_events (channel_id, seq, type, message_id, created_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [new.channelID, seq, ChannelEvent.Kind.messageCreated.rawValue, id, now])
        for user in Set(new.mentions) where user != new.authorID {
            try db.execute(
                sql: """
                    INSERT INTO notifications (user_id, kind, community_id, channel_id, message_id, actor_id, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [user, UserNotification.Kind.mention.rawValue, channel["community_id"] as Int64, new.channelID, id, new.authorID, now])
        }
        return .created(message(try Row.fetchOne(db, sql: "\(messageSelect) WHERE m.id = ?", arguments: [id])!))
    }

    public func messages(channelID: Int64, afterSeq: Int64?, beforeSeq: Int64?, limit: Int) async throws -> [Message] {
        try await read { db in
            if let afterSeq {
                return try Row.fetchAll(
                    db, sql: "\(Self.messageSelect) WHERE m.channel_id = ? AND m.seq > ? ORDER BY m.seq LIMIT ?",
                    arguments: [channelID, afterSeq, limit]
                ).map(Self.message)
            }
            return try Row.fetchAll(
                db, sql: "\(Self.messageSelect) WHERE m.channel_id = ? AND m.seq < ? ORDER BY m.seq DESC LIMIT ?",
                arguments: [channelID, beforeSeq ?? Int64.max, limit]
            ).map(Self.message).reversed()
        }
    }

    public func message(id: Int64) async throws -> Message? {
        try await read { db in try Row.fetchOne(db, sql: "\(Self.messageSelect) WHERE m.id = ?", arguments: [id]).map(Self.message) }
    }

    public func threadReplies(rootID: Int64, limit: Int) async throws -> [Message] {
        try await read { db in
            try Row.fetchAll(db, sql: "\(Self.messageSelect) WHERE m.thread_id = ? ORDER BY m.seq LIMIT ?", arguments: [rootID, limit]).map(Self.message)
        }
    }

    public func change(_ change: MessageChange, audit: NewAuditEntry?, now: Date) async throws -> (event: ChannelEvent, audit: AuditEntry?)? {
        try await write { db in
            // Only a staff change is audited with the message as it was; a member's pays no extra read.
            let before =
                audit == nil ? nil : try Row.fetchOne(db, sql: "\(Self.messageSelect) WHERE m.id = ?", arguments: [change.messageID]).map(Self.message)
            guard let event = try Self.change(db, change, now: now) else { return nil }
            guard var audit else { return (event, nil) }
            if case .delete = change { try Self.settleOpenItem(db, message: change.messageID, by: audit.actorID, now: now) }
            if case .hide(_, _, true) = change { try Self.settleOpenItem(db, message: change.messageID, by: audit.actorID, now: now) }
            audit.before = before.map(AuditChain.json)
            audit.after = AuditChain.json(event.message)
            return (event, try Self.appendAudit(db, audit, now: now))
        }
    }

    /// A staff hide or delete settles what members flagged about the message.
    static func settleOpenItem(_ db: Database, message: Int64, by actorID: Int64, now: Date) throws {
        try db.execute(
            sql: "UPDATE review_items SET state = 'resolved', settled_by = ?, settled_at = ? WHERE target_type = 'message' AND target_id = ? AND state = 'open'",
            arguments: [actorID, now, message])
    }

    /// Applies a change inside a write and gives its event the channel's next seq; nil when it changes nothing.
    static func change(_ db: Database, _ change: MessageChange, now: Date) throws -> ChannelEvent? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM messages WHERE id = ?", arguments: [change.messageID]) else {
            throw ConveneError.notFound("The message")
        }
        guard !(row["deleted"] as Bool) else { throw ConveneError(.conflict, "That message was deleted.") }
        let channelID: Int64 = row["channel_id"]
        func keepRevision(by: Int64) throws {
            try db.execute(
                sql: "INSERT INTO message_revisions (message_id, community_id, body, replaced_at, replaced_by) VALUES (?, ?, ?, ?, ?)",
                arguments: [change.messageID, row["community_id"] as Int64, row["body"] as String, now, by])
        }
        let kind: ChannelEvent.Kind
        switch change {
        case .edit(let id, let editor, let body, let html):
            if row["body"] as String == body { return nil }
            try keepRevision(by: editor)
            try db.execute(sql: "UPDATE messages SET body = ?, body_html = ?, edited_at = ? WHERE id = ?", arguments: [body, html, now, id])
            kind = .messageEdited
        case .delete(let id, let deletedBy):
            try keepRevision(by: deletedBy)
            try db.execute(sql: "UPDATE messages SET deleted = 1, pinned_at = NULL, pinned_by = NULL WHERE id = ?", arguments: [id])
            if let root = row["thread_id"] as Int64? {
                try db.execute(sql: "UPDATE messages SET reply_count = reply_count - 1 WHERE id = ?", arguments: [root])
            }
            kind = .messageDeleted
        case .react(let id, let userID, let emoji, let on):
            if on {
                let emojis = try String.fetchSet(db, sql: "SELECT emoji FROM message_reactions WHERE message_id = ?", arguments: [id])
                if !emojis.contains(emoji) && emojis.count >= Reaction.distinctLimit {
                    throw ConveneError.invalid("emoji", "A message has at most \(Reaction.distinctLimit) different reactions.")
                }
                try db.execute(
                    sql: "INSERT INTO message_reactions (message_id, user_id, emoji, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    arguments: [id, userID, emoji, now])
            } else {
                try db.execute(sql: "DELETE FROM message_reactions WHERE message_id = ? AND user_id = ? AND emoji = ?", arguments: [id, userID, emoji])
            }
            if db.changesCount == 0 { return nil }
            let given = try Row.fetchAll(db, sql: "SELECT emoji, user_id FROM message_reactions WHERE message_id = ? ORDER BY id", arguments: [id])
                .map { (emoji: $0["emoji"] as String, userID: $0["user_id"] as Int64) }
            try db.execute(
                sql: "UPDATE messages SET reactions = ? WHERE id = ?", arguments: [StoreEncoding.json(Reaction.summarize(given)), id])
            kind = .reactionChanged
        case .pin(let id, let by, let pinned):
            if ((row["pinned_at"] as Date?) != nil) == pinned { return nil }
            if pinned {
                let count = try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM messages WHERE channel_id = ? AND pinned_at IS NOT NULL", arguments: [channelID]) ?? 0
                if count >= StoreEncoding.pinLimit {
                    throw ConveneError(.conflict, "This channel has \(StoreEncoding.pinLimit) pinned messages; unpin one first.")
                }
            }
            try db.execute(
                sql: "UPDATE messages SET pinned_at = ?, pinned_by = ? WHERE id = ?", arguments: [pinned ? now : nil, pinned ? by : nil, id])
            kind = pinned ? .messagePinned : .messageUnpinned
        case .hide(let id, let by, let hidden):
            if ((row["hidden_at"] as Date?) != nil) == hidden { return nil }
            try db.execute(sql: "UPDATE messages SET hidden_at = ?, hidden_by = ? WHERE id = ?", arguments: [hidden ? now : nil, hidden ? by : nil, id])
            kind = hidden ? .messageHidden : .messageUnhidden
        }
        let seq = try Int64.fetchOne(db, sql: "SELECT last_seq FROM channels WHERE id = ?", arguments: [channelID])! + 1
        try db.execute(sql: "UPDATE channels SET last_seq = ? WHERE id = ?", arguments: [seq, channelID])
        try db.execute(
            sql: "INSERT INTO channel_events (channel_id, seq, type, message_id, created_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [channelID, seq, kind.rawValue, change.messageID, now])
        let message = Self.message(try Row.fetchOne(db, sql: "\(Self.messageSelect) WHERE m.id = ?", arguments: [change.messageID])!)
        return ChannelEvent(channelID: channelID, seq: seq, kind: kind, message: message, createdAt: now)
    }

    public func pinnedMessages(channelID: Int64) async throws -> [Message] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "\(Self.messageSelect) WHERE m.channel_id = ? AND m.pinned_at IS NOT NULL ORDER BY m.pinned_at DESC, m.id DESC",
                arguments: [channelID]
            ).map(Self.message)
        }
    }

    public func searchMessages(terms: [String], channelIDs: [Int64], limit: Int, offset: Int) async throws -> [Message] {
        guard !terms.isEmpty, !channelIDs.isEmpty else { return [] }
        let match = Self.ftsMatch(terms)
        return try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT m.*, u.display_name AS author_name
                    FROM messages_fts f JOIN messages m ON m.id = f.rowid JOIN users u ON u.id = m.author_id
                    WHERE messages_fts MATCH ? AND m.deleted = 0 AND m.hidden_at IS NULL AND m.channel_id IN (\(databaseQuestionMarks(count: channelIDs.count)))
                    ORDER BY bm25(messages_fts), m.id DESC LIMIT ? OFFSET ?
                    """,
                arguments: StatementArguments([match]) + StatementArguments(channelIDs) + StatementArguments([limit, offset])
            ).map(Self.message)
        }
    }

    /// An FTS5 query holding every term: each word quoted (so nothing in it is query syntax), the
    /// last one also a prefix.
    static func ftsMatch(_ terms: [String]) -> String {
        terms.enumerated().map { index, term in "\"\(term)\"" + (index == terms.count - 1 ? "*" : "") }.joined(separator: " ")
    }

    public func markRead(channelID: Int64, userID: Int64, seq: Int64, now: Date) async throws -> Int64 {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO channel_reads (channel_id, user_id, seq, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (user_id, channel_id) DO UPDATE SET seq = MAX(seq, excluded.seq), updated_at = excluded.updated_at
                    """, arguments: [channelID, userID, seq, now])
            return try Int64.fetchOne(db, sql: "SELECT seq FROM channel_reads WHERE channel_id = ? AND user_id = ?", arguments: [channelID, userID])!
        }
    }

    public func readStates(communityID: Int64, userID: Int64) async throws -> [Int64: ReadState] {
        try await read { db in
            var states: [Int64: ReadState] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT r.channel_id, r.seq FROM channel_reads r JOIN channels c ON c.id = r.channel_id WHERE c.community_id = ? AND r.user_id = ?",
                arguments: [communityID, userID])
            {
                states[row["channel_id"]] = ReadState(readSeq: row["seq"], unread: 0)
            }
            let joined = try Date.fetchOne(
                db, sql: "SELECT joined_at FROM memberships WHERE community_id = ? AND user_id = ?", arguments: [communityID, userID])
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT m.channel_id, COUNT(*) AS unread FROM messages m
                    LEFT JOIN channel_reads r ON r.channel_id = m.channel_id AND r.user_id = ?
                    WHERE m.community_id = ? AND m.deleted = 0 AND m.author_id <> ?
                      AND CASE WHEN r.seq IS NULL THEN m.created_at > ? ELSE m.seq > r.seq END
                    GROUP BY m.channel_id
                    """, arguments: [userID, communityID, userID, joined ?? Date.distantFuture])
            {
                states[row["channel_id"], default: ReadState(readSeq: 0, unread: 0)].unread = row["unread"]
            }
            return states
        }
    }

    public func revisions(messageID: Int64) async throws -> [MessageRevision] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM message_revisions WHERE message_id = ? ORDER BY id", arguments: [messageID]).map {
                MessageRevision(body: $0["body"], replacedAt: $0["replaced_at"], replacedBy: $0["replaced_by"])
            }
        }
    }

    public func messages(authorID: Int64, nonce: String) async throws -> Message? {
        try await read { db in
            try Row.fetchOne(db, sql: "\(Self.messageSelect) WHERE m.author_id = ? AND m.nonce = ?", arguments: [authorID, nonce]).map(Self.message)
        }
    }

    public func events(channelID: Int64, afterSeq: Int64, limit: Int) async throws -> [ChannelEvent] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT e.seq AS event_seq, e.type AS event_type, e.created_at AS event_at, m.*, u.display_name AS author_name
                    FROM channel_events e JOIN messages m ON m.id = e.message_id JOIN users u ON u.id = m.author_id
                    WHERE e.channel_id = ? AND e.seq > ? ORDER BY e.seq LIMIT ?
                    """, arguments: [channelID, afterSeq, limit]
            ).compactMap { row in
                guard let kind = ChannelEvent.Kind(rawValue: row["event_type"]) else { return nil }
                return ChannelEvent(channelID: channelID, seq: row["event_seq"], kind: kind, message: Self.message(row), createdAt: row["event_at"])
            }
        }
    }

    static let messageSelect = "SELECT m.*, u.display_name AS author_name FROM messages m JOIN users u ON u.id = m.author_id"

    static func message(_ row: Row) -> Message {
        let deleted: Bool = row["deleted"]
        return Message(
            id: row["id"], channelID: row["channel_id"], communityID: row["community_id"], seq: row["seq"], authorID: row["author_id"],
            authorName: row["author_name"], body: deleted ? "" : row["body"], bodyHTML: deleted ? "" : row["body_html"], threadID: row["thread_id"],
            replyCount: row["reply_count"], createdAt: row["created_at"], editedAt: row["edited_at"], deleted: deleted,
            reactions: deleted ? [] : StoreEncoding.reactions(fromJSON: row["reactions"]), pinnedAt: row["pinned_at"],
            hidden: (row["hidden_at"] as Date?) != nil)
    }

    static func channel(_ row: Row) -> ConveneCore.Channel {
        ConveneCore.Channel(
            id: row["id"], communityID: row["community_id"], name: row["name"], topic: row["topic"], isPrivate: row["private"],
            announcementOnly: row["announcement_only"], slowModeSeconds: row["slow_mode_seconds"], lastSeq: row["last_seq"],
            createdAt: row["created_at"], locked: row["locked"])
    }
}
