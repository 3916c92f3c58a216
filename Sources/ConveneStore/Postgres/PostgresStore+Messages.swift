public import ConveneCore
public import Foundation
import Logging
import PostgresNIO

extension PostgresStore: MessageStore {
    public func createChannel(
        communityID: Int64, name: String, topic: String, isPrivate: Bool, announcementOnly: Bool, slowModeSeconds: Int, createdBy: Int64?,
        now: Date
    ) async throws -> ConveneCore.Channel {
        try await transaction { connection in
            if try await connection.count("SELECT 1 FROM channels WHERE community_id = \(communityID) AND name = \(name)", self.logger) > 0 {
                throw ConveneError(.conflict, "This community already has a channel named \(name).", field: "name")
            }
            let row = try await connection.rows(
                """
                INSERT INTO channels (community_id, name, topic, private, announcement_only, slow_mode_seconds, created_by, created_at)
                VALUES (\(communityID), \(name), \(topic), \(isPrivate), \(announcementOnly), \(Int32(slowModeSeconds)), \(createdBy), \(now))
                RETURNING *
                """, self.logger)[0]
            let channel = try row.channel()
            if isPrivate, let createdBy {
                try await connection.query(
                    "INSERT INTO channel_members (channel_id, user_id, added_at) VALUES (\(channel.id), \(createdBy), \(now))", logger: self.logger)
            }
            return channel
        }
    }

    public func channel(id: Int64) async throws -> ConveneCore.Channel? {
        try await rows("SELECT * FROM channels WHERE id = \(id)").first?.channel()
    }

    public func isChannelMember(channelID: Int64, userID: Int64) async throws -> Bool {
        try await rows("SELECT 1 FROM channel_members WHERE channel_id = \(channelID) AND user_id = \(userID)").count > 0
    }

    public func addChannelMember(channelID: Int64, userID: Int64, now: Date) async throws -> Bool {
        try await rows(
            "INSERT INTO channel_members (channel_id, user_id, added_at) VALUES (\(channelID), \(userID), \(now)) ON CONFLICT DO NOTHING RETURNING 1"
        ).count > 0
    }

    public func privateChannelIDs(communityID: Int64, userID: Int64) async throws -> Set<Int64> {
        Set(
            try await rows(
                """
                SELECT c.id FROM channels c JOIN channel_members cm ON cm.channel_id = c.id
                WHERE c.community_id = \(communityID) AND cm.user_id = \(userID) AND c.private
                """
            ).map { try $0["id"].decode(Int64.self) })
    }

    public func append(_ batch: [NewMessage], now: Date) async throws -> [AppendOutcome] {
        try await transaction { connection in
            var outcomes: [AppendOutcome] = []
            for message in batch {
                // A savepoint per message: another node committing the same nonce first makes only this one a duplicate.
                try await connection.query("SAVEPOINT append_one", logger: self.logger)
                do {
                    outcomes.append(try await self.append(message, now: now, connection))
                    try await connection.query("RELEASE SAVEPOINT append_one", logger: self.logger)
                } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
                    try await connection.query("ROLLBACK TO SAVEPOINT append_one", logger: self.logger)
                    guard let existing = try await connection.rows(Self.messageQuery(authorID: message.authorID, nonce: message.nonce), self.logger).first else {
                        throw error
                    }
                    outcomes.append(.duplicate(try existing.message()))
                }
            }
            return outcomes
        }
    }

    private func append(_ new: NewMessage, now: Date, _ connection: PostgresConnection) async throws -> AppendOutcome {
        if let existing = try await connection.rows(Self.messageQuery(authorID: new.authorID, nonce: new.nonce), logger).first {
            return .duplicate(try existing.message())
        }
        if let threadID = new.threadID {
            let root = try await connection.rows("SELECT channel_id, thread_id, deleted FROM messages WHERE id = \(threadID) FOR UPDATE", logger).first
            guard let root, try root["channel_id"].decode(Int64.self) == new.channelID, try root["thread_id"].decode(Int64?.self) == nil,
                try !root["deleted"].decode(Bool.self)
            else {
                return .rejected(.invalid("thread_id", "thread_id must be a message of this channel that starts a thread."))
            }
        }
        // The row lock on the channel orders concurrent appends from every node; a rollback gives the number back.
        guard
            let channel = try await connection.rows(
                "UPDATE channels SET last_seq = last_seq + 1 WHERE id = \(new.channelID) RETURNING last_seq, community_id", logger
            ).first
        else { return .rejected(.notFound("The channel")) }
        let seq = try channel["last_seq"].decode(Int64.self)
        if let threadID = new.threadID {
            try await connection.query("UPDATE messages SET reply_count = reply_count + 1 WHERE id = \(threadID)", logger: logger)
        }
        let id = try await connection.rows(
            """
            INSERT INTO messages (channel_id, community_id, seq, author_id, body, body_html, thread_id, nonce, created_at)
            VALUES (\(new.channelID), \(try channel["community_id"].decode(Int64.self)), \(seq), \(new.authorID), \(new.body), \(new.bodyHTML),
                    \(new.threadID), \(new.nonce), \(now))
            RETURNING id
            """, logger)[0]["id"].decode(Int64.self)
        try await connection.query(
            """
            INSERT INTO channel_events (channel_id, seq, type, message_id, created_at)
            VALUES (\(new.channelID), \(seq), \(ConveneCore.ChannelEvent.Kind.messageCreated.rawValue), \(id), \(now))
            """, logger: logger)
        let communityID = try channel["community_id"].decode(Int64.self)
        for user in Set(new.mentions) where user != new.authorID {
            try await connection.query(
                """
                INSERT INTO notifications (user_id, kind, community_id, channel_id, message_id, actor_id, created_at)
                VALUES (\(user), \(UserNotification.Kind.mention.rawValue), \(communityID), \(new.channelID), \(id), \(new.authorID), \(now))
                """, logger: logger)
        }
        return .created(try await connection.rows(Self.messageQuery(id: id), logger)[0].message())
    }

    public func messages(channelID: Int64, afterSeq: Int64?, beforeSeq: Int64?, limit: Int) async throws -> [Message] {
        let select = Self.messageSelect
        var bindings = PostgresBindings()
        bindings.append(channelID)
        if let afterSeq {
            bindings.append(afterSeq)
            bindings.append(Int64(limit))
            return try await rows(PostgresQuery(unsafeSQL: "\(select) WHERE m.channel_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3", binds: bindings))
                .map { try $0.message() }
        }
        bindings.append(beforeSeq ?? Int64.max)
        bindings.append(Int64(limit))
        return try await rows(PostgresQuery(unsafeSQL: "\(select) WHERE m.channel_id = $1 AND m.seq < $2 ORDER BY m.seq DESC LIMIT $3", binds: bindings))
            .map { try $0.message() }.reversed()
    }

    public func message(id: Int64) async throws -> Message? {
        try await rows(Self.messageQuery(id: id)).first?.message()
    }

    public func threadReplies(rootID: Int64, limit: Int) async throws -> [Message] {
        var bindings = PostgresBindings()
        bindings.append(rootID)
        bindings.append(Int64(limit))
        return try await rows(PostgresQuery(unsafeSQL: "\(Self.messageSelect) WHERE m.thread_id = $1 ORDER BY m.seq LIMIT $2", binds: bindings))
            .map { try $0.message() }
    }

    public func change(_ change: MessageChange, audit: NewAuditEntry?, now: Date) async throws
        -> (event: ConveneCore.ChannelEvent, audit: AuditEntry?)?
    {
        try await transaction { connection in
            // Only a staff change is audited with the message as it was (read under the row lock the
            // change takes anyway); a member's pays no extra read.
            var before: Message?
            if audit != nil {
                try await connection.query("SELECT 1 FROM messages WHERE id = \(change.messageID) FOR UPDATE", logger: self.logger)
                before = try await connection.rows(Self.messageQuery(id: change.messageID), self.logger).first?.message()
            }
            guard let event = try await self.change(connection, change, now: now) else { return nil }
            guard var audit else { return (event, nil) }
            switch change {
            case .delete, .hide(_, _, true): try await self.settleOpenItem(connection, message: change.messageID, by: audit.actorID, now: now)
            default: break
            }
            audit.before = before.map(AuditChain.json)
            audit.after = AuditChain.json(event.message)
            return (event, try await self.appendAudit(connection, audit, now: now))
        }
    }

    /// A staff hide or delete settles what members flagged about the message.
    func settleOpenItem(_ connection: PostgresConnection, message: Int64, by actorID: Int64, now: Date) async throws {
        try await connection.query(
            """
            UPDATE review_items SET state = 'resolved', settled_by = \(actorID), settled_at = \(now)
            WHERE target_type = 'message' AND target_id = \(message) AND state = 'open'
            """, logger: logger)
    }

    /// Applies a change inside a transaction and gives its event the channel's next seq; nil when it changes nothing.
    func change(_ connection: PostgresConnection, _ change: MessageChange, now: Date) async throws -> ConveneCore.ChannelEvent? {
        let logger = self.logger
        guard let row = try await connection.rows("SELECT * FROM messages WHERE id = \(change.messageID) FOR UPDATE", logger).first else {
            throw ConveneError.notFound("The message")
        }
        guard try !row["deleted"].decode(Bool.self) else { throw ConveneError(.conflict, "That message was deleted.") }
        let channelID = try row["channel_id"].decode(Int64.self)
        func keepRevision(by: Int64) async throws {
            try await connection.query(
                """
                INSERT INTO message_revisions (message_id, community_id, body, replaced_at, replaced_by)
                VALUES (\(change.messageID), \(try row["community_id"].decode(Int64.self)), \(try row["body"].decode(String.self)), \(now), \(by))
                """, logger: logger)
        }
        let kind: ConveneCore.ChannelEvent.Kind
        switch change {
        case .edit(let id, let editor, let body, let html):
            if try row["body"].decode(String.self) == body { return nil }
            try await keepRevision(by: editor)
            try await connection.query("UPDATE messages SET body = \(body), body_html = \(html), edited_at = \(now) WHERE id = \(id)", logger: logger)
            kind = .messageEdited
        case .delete(let id, let deletedBy):
            try await keepRevision(by: deletedBy)
            try await connection.query("UPDATE messages SET deleted = TRUE, pinned_at = NULL, pinned_by = NULL WHERE id = \(id)", logger: logger)
            if let root = try row["thread_id"].decode(Int64?.self) {
                try await connection.query("UPDATE messages SET reply_count = reply_count - 1 WHERE id = \(root)", logger: logger)
            }
            kind = .messageDeleted
        case .react(let id, let userID, let emoji, let on):
            let changed: Int
            if on {
                let emojis = Set(
                    try await connection.rows("SELECT DISTINCT emoji FROM message_reactions WHERE message_id = \(id)", logger)
                        .map { try $0["emoji"].decode(String.self) })
                if !emojis.contains(emoji) && emojis.count >= Reaction.distinctLimit {
                    throw ConveneError.invalid("emoji", "A message has at most \(Reaction.distinctLimit) different reactions.")
                }
                changed = try await connection.count(
                    """
                    INSERT INTO message_reactions (message_id, user_id, emoji, created_at) VALUES (\(id), \(userID), \(emoji), \(now))
                    ON CONFLICT DO NOTHING RETURNING 1
                    """, logger)
            } else {
                changed = try await connection.count(
                    "DELETE FROM message_reactions WHERE message_id = \(id) AND user_id = \(userID) AND emoji = \(emoji) RETURNING 1", logger)
            }
            if changed == 0 { return nil }
            let given = try await connection.rows("SELECT emoji, user_id FROM message_reactions WHERE message_id = \(id) ORDER BY id", logger)
                .map { (emoji: try $0["emoji"].decode(String.self), userID: try $0["user_id"].decode(Int64.self)) }
            try await connection.query(
                "UPDATE messages SET reactions = \(StoreEncoding.json(Reaction.summarize(given))) WHERE id = \(id)", logger: logger)
            kind = .reactionChanged
        case .pin(let id, let by, let pinned):
            if (try row["pinned_at"].decode(Date?.self) != nil) == pinned { return nil }
            if pinned {
                // The channel row lock serialises pins, so the limit holds under concurrent pins.
                try await connection.query("SELECT 1 FROM channels WHERE id = \(channelID) FOR UPDATE", logger: logger)
                let count = try await connection.count("SELECT 1 FROM messages WHERE channel_id = \(channelID) AND pinned_at IS NOT NULL", logger)
                if count >= StoreEncoding.pinLimit {
                    throw ConveneError(.conflict, "This channel has \(StoreEncoding.pinLimit) pinned messages; unpin one first.")
                }
                try await connection.query("UPDATE messages SET pinned_at = \(now), pinned_by = \(by) WHERE id = \(id)", logger: logger)
            } else {
                try await connection.query("UPDATE messages SET pinned_at = NULL, pinned_by = NULL WHERE id = \(id)", logger: logger)
            }
            kind = pinned ? .messagePinned : .messageUnpinned
        case .hide(let id, let by, let hidden):
            if (try row["hidden_at"].decode(Date?.self) != nil) == hidden { return nil }
            try await connection.query(
                "UPDATE messages SET hidden_at = \(hidden ? now : nil), hidden_by = \(hidden ? by : nil) WHERE id = \(id)", logger: logger)
            kind = hidden ? .messageHidden : .messageUnhidden
        }
        let seq = try await connection.rows(
            "UPDATE channels SET last_seq = last_seq + 1 WHERE id = \(channelID) RETURNING last_seq", logger)[0]["last_seq"].decode(Int64.self)
        try await connection.query(
            """
            INSERT INTO channel_events (channel_id, seq, type, message_id, created_at)
            VALUES (\(channelID), \(seq), \(kind.rawValue), \(change.messageID), \(now))
            """, logger: logger)
        let message = try await connection.rows(Self.messageQuery(id: change.messageID), logger)[0].message()
        return ConveneCore.ChannelEvent(channelID: channelID, seq: seq, kind: kind, message: message, createdAt: now)
    }

    public func pinnedMessages(channelID: Int64) async throws -> [Message] {
        var bindings = PostgresBindings()
        bindings.append(channelID)
        return try await rows(
            PostgresQuery(
                unsafeSQL: "\(Self.messageSelect) WHERE m.channel_id = $1 AND m.pinned_at IS NOT NULL ORDER BY m.pinned_at DESC, m.id DESC",
                binds: bindings)
        ).map { try $0.message() }
    }

    public func searchMessages(terms: [String], channelIDs: [Int64], limit: Int, offset: Int) async throws -> [Message] {
        guard !terms.isEmpty, !channelIDs.isEmpty else { return [] }
        let query = Self.tsQuery(terms)
        var bindings = PostgresBindings()
        bindings.append(query)
        bindings.append(channelIDs)
        bindings.append(Int64(limit))
        bindings.append(Int64(offset))
        return try await rows(
            PostgresQuery(
                unsafeSQL: """
                    \(Self.messageSelect), to_tsquery('english', $1) AS q
                    WHERE to_tsvector('english', m.body) @@ q AND NOT m.deleted AND m.hidden_at IS NULL AND m.channel_id = ANY($2)
                    ORDER BY ts_rank(to_tsvector('english', m.body), q) DESC, m.id DESC LIMIT $3 OFFSET $4
                    """, binds: bindings)
        ).map { try $0.message() }
    }

    /// A tsquery holding every term; words are letters and digits only, so it has no syntax of
    /// the user's; the last is also a prefix.
    static func tsQuery(_ terms: [String]) -> String {
        terms.enumerated().map { index, term in term + (index == terms.count - 1 ? ":*" : "") }.joined(separator: " & ")
    }

    public func markRead(channelID: Int64, userID: Int64, seq: Int64, now: Date) async throws -> Int64 {
        try await rows(
            """
            INSERT INTO channel_reads (channel_id, user_id, seq, updated_at) VALUES (\(channelID), \(userID), \(seq), \(now))
            ON CONFLICT (user_id, channel_id) DO UPDATE SET seq = GREATEST(channel_reads.seq, EXCLUDED.seq), updated_at = EXCLUDED.updated_at
            RETURNING seq
            """)[0]["seq"].decode(Int64.self)
    }

    public func readStates(communityID: Int64, userID: Int64) async throws -> [Int64: ReadState] {
        var states: [Int64: ReadState] = [:]
        for row in try await rows(
            """
            SELECT r.channel_id, r.seq FROM channel_reads r JOIN channels c ON c.id = r.channel_id
            WHERE c.community_id = \(communityID) AND r.user_id = \(userID)
            """)
        {
            states[try row["channel_id"].decode(Int64.self)] = ReadState(readSeq: try row["seq"].decode(Int64.self), unread: 0)
        }
        let joined = try await rows("SELECT joined_at FROM memberships WHERE community_id = \(communityID) AND user_id = \(userID)").first
            .map { try $0["joined_at"].decode(Date.self) } ?? Date.distantFuture
        for row in try await rows(
            """
            SELECT m.channel_id, COUNT(*) AS unread FROM messages m
            LEFT JOIN channel_reads r ON r.channel_id = m.channel_id AND r.user_id = \(userID)
            WHERE m.community_id = \(communityID) AND NOT m.deleted AND m.author_id <> \(userID)
              AND CASE WHEN r.seq IS NULL THEN m.created_at > \(joined) ELSE m.seq > r.seq END
            GROUP BY m.channel_id
            """)
        {
            states[try row["channel_id"].decode(Int64.self), default: ReadState(readSeq: 0, unread: 0)].unread = Int(try row["unread"].decode(Int64.self))
        }
        return states
    }

    public func revisions(messageID: Int64) async throws -> [MessageRevision] {
        try await rows("SELECT * FROM message_revisions WHERE message_id = \(messageID) ORDER BY id").map {
            MessageRevision(
                body: try $0["body"].decode(String.self), replacedAt: try $0["replaced_at"].decode(Date.self),
                replacedBy: try $0["replaced_by"].decode(Int64.self))
        }
    }

    public func messages(authorID: Int64, nonce: String) async throws -> Message? {
        try await rows(Self.messageQuery(authorID: authorID, nonce: nonce)).first?.message()
    }

    public func events(channelID: Int64, afterSeq: Int64, limit: Int) async throws -> [ConveneCore.ChannelEvent] {
        try await rows(
            """
            SELECT e.seq AS event_seq, e.type AS event_type, e.created_at AS event_at, m.*, u.display_name AS author_name
            FROM channel_events e JOIN messages m ON m.id = e.message_id JOIN users u ON u.id = m.author_id
            WHERE e.channel_id = \(channelID) AND e.seq > \(afterSeq) ORDER BY e.seq LIMIT \(Int64(limit))
            """
        ).compactMap { row in
            guard let kind = ConveneCore.ChannelEvent.Kind(rawValue: try row["event_type"].decode(String.self)) else { return nil }
            return ConveneCore.ChannelEvent(
                channelID: channelID, seq: try row["event_seq"].decode(Int64.self), kind: kind, message: try row.message(),
                createdAt: try row["event_at"].decode(Date.self))
        }
    }

    static let messageSelect = "SELECT m.*, u.display_name AS author_name FROM messages m JOIN users u ON u.id = m.author_id"

    static func messageQuery(authorID: Int64, nonce: String) -> PostgresQuery {
        var bindings = PostgresBindings()
        bindings.append(authorID)
        bindings.append(nonce)
        return PostgresQuery(unsafeSQL: "\(messageSelect) WHERE m.author_id = $1 AND m.nonce = $2", binds: bindings)
    }

    static func messageQuery(id: Int64) -> PostgresQuery {
        var bindings = PostgresBindings()
        bindings.append(id)
        return PostgresQuery(unsafeSQL: "\(messageSelect) WHERE m.id = $1", binds: bindings)
    }
}

extension PostgresRandomAccessRow {
    func message() throws -> Message {
        let deleted = try self["deleted"].decode(Bool.self)
        return Message(
            id: try self["id"].decode(Int64.self), channelID: try self["channel_id"].decode(Int64.self),
            communityID: try self["community_id"].decode(Int64.self), seq: try self["seq"].decode(Int64.self),
            authorID: try self["author_id"].decode(Int64.self), authorName: try self["author_name"].decode(String.self),
            body: deleted ? "" : try self["body"].decode(String.self), bodyHTML: deleted ? "" : try self["body_html"].decode(String.self),
            threadID: try self["thread_id"].decode(Int64?.self), replyCount: Int(try self["reply_count"].decode(Int32.self)),
            createdAt: try self["created_at"].decode(Date.self), editedAt: try self["edited_at"].decode(Date?.self), deleted: deleted,
            reactions: deleted ? [] : StoreEncoding.reactions(fromJSON: try self["reactions"].decode(String.self)),
            pinnedAt: try self["pinned_at"].decode(Date?.self), hidden: try self["hidden_at"].decode(Date?.self) != nil)
    }

    func channel() throws -> ConveneCore.Channel {
        ConveneCore.Channel(
            id: try self["id"].decode(Int64.self), communityID: try self["community_id"].decode(Int64.self), name: try self["name"].decode(String.self),
            topic: try self["topic"].decode(String.self), isPrivate: try self["private"].decode(Bool.self),
            announcementOnly: try self["announcement_only"].decode(Bool.self), slowModeSeconds: Int(try self["slow_mode_seconds"].decode(Int32.self)),
            lastSeq: try self["last_seq"].decode(Int64.self), createdAt: try self["created_at"].decode(Date.self),
            locked: try self["locked"].decode(Bool.self))
    }
}
