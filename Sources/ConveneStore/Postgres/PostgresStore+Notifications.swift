public import ConveneCore
public import Foundation
import PostgresNIO

extension PostgresStore: NotificationStore {
    public func members(communityID: Int64, nameKeys: Set<String>) async throws -> [Int64] {
        guard !nameKeys.isEmpty else { return [] }
        return try await rows(
            "SELECT u.id, u.display_name FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.community_id = \(communityID) ORDER BY u.id"
        ).filter { nameKeys.contains(Mentions.key(try $0["display_name"].decode(String.self))) }.map { try $0["id"].decode(Int64.self) }
    }

    public func notifications(userID: Int64, beforeID: Int64?, unreadOnly: Bool, limit: Int) async throws -> [UserNotification] {
        var bindings = PostgresBindings()
        bindings.append(userID)
        bindings.append(beforeID ?? Int64.max)
        bindings.append(Int64(limit))
        let unread = unreadOnly ? "AND n.read_at IS NULL" : ""
        return try await rows(
            PostgresQuery(
                unsafeSQL: "\(Self.notificationSelect) WHERE n.user_id = $1 AND n.id < $2 \(unread) ORDER BY n.id DESC LIMIT $3", binds: bindings)
        ).map { try $0.notification() }
    }

    public func notifications(messageID: Int64) async throws -> [UserNotification] {
        var bindings = PostgresBindings()
        bindings.append(messageID)
        return try await rows(PostgresQuery(unsafeSQL: "\(Self.notificationSelect) WHERE n.message_id = $1 ORDER BY n.id", binds: bindings))
            .map { try $0.notification() }
    }

    public func notifications(ids: [Int64]) async throws -> [UserNotification] {
        guard !ids.isEmpty else { return [] }
        var bindings = PostgresBindings()
        bindings.append(ids)
        return try await rows(PostgresQuery(unsafeSQL: "\(Self.notificationSelect) WHERE n.id = ANY($1) ORDER BY n.id", binds: bindings))
            .map { try $0.notification() }
    }

    public func addCallNotifications(
        kind: UserNotification.Kind, seriesID: Int64, communityID: Int64, occurrenceID: String, users: [Int64], now: Date
    ) async throws -> [Int64] {
        try await transaction { connection in
            var ids: [Int64] = []
            for user in Set(users).sorted() {
                if let row = try await connection.rows(
                    """
                    INSERT INTO notifications (user_id, kind, community_id, series_id, occurrence_id, created_at)
                    VALUES (\(user), \(kind.rawValue), \(communityID), \(seriesID), \(occurrenceID), \(now))
                    ON CONFLICT (user_id, kind, occurrence_id) WHERE occurrence_id IS NOT NULL DO NOTHING RETURNING id
                    """, self.logger
                ).first {
                    ids.append(try row["id"].decode(Int64.self))
                }
            }
            return ids
        }
    }

    public func addMentions(messageID: Int64, users: [Int64], actorID: Int64, now: Date) async throws -> [Int64] {
        try await transaction { connection in
            // The message row lock serialises two edits adding the same mention.
            guard let message = try await connection.rows("SELECT community_id, channel_id FROM messages WHERE id = \(messageID) FOR UPDATE", self.logger).first
            else { return [] }
            let community = try message["community_id"].decode(Int64.self)
            let channel = try message["channel_id"].decode(Int64.self)
            var added: [Int64] = []
            for user in Set(users).sorted() where user != actorID {
                let inserted = try await connection.count(
                    """
                    INSERT INTO notifications (user_id, kind, community_id, channel_id, message_id, actor_id, created_at)
                    SELECT \(user), \(UserNotification.Kind.mention.rawValue), \(community), \(channel), \(messageID), \(actorID), \(now)
                    WHERE NOT EXISTS (SELECT 1 FROM notifications WHERE message_id = \(messageID) AND user_id = \(user))
                    RETURNING 1
                    """, self.logger)
                if inserted > 0 { added.append(user) }
            }
            return added
        }
    }

    public func unreadNotificationCount(userID: Int64) async throws -> Int {
        try await rows("SELECT 1 FROM notifications WHERE user_id = \(userID) AND read_at IS NULL").count
    }

    public func markNotificationsRead(userID: Int64, ids: [Int64]?, now: Date) async throws -> Int {
        if let ids {
            guard !ids.isEmpty else { return 0 }
            return try await rows(
                "UPDATE notifications SET read_at = \(now) WHERE user_id = \(userID) AND read_at IS NULL AND id = ANY(\(ids)) RETURNING 1"
            ).count
        }
        return try await rows("UPDATE notifications SET read_at = \(now) WHERE user_id = \(userID) AND read_at IS NULL RETURNING 1").count
    }

    static let notificationSelect = """
        SELECT n.*, m.seq AS message_seq, m.body AS message_body, COALESCE(m.deleted OR m.hidden_at IS NOT NULL, false) AS message_deleted,
            CASE WHEN fq.hidden_at IS NULL THEN fq.title ELSE '' END AS question_title,
            CASE n.post_type WHEN 'comment' THEN fc.body WHEN 'answer' THEN (CASE WHEN fa.hidden_at IS NULL THEN fa.body END)
                ELSE (CASE WHEN fq.hidden_at IS NULL THEN fq.body END) END AS post_body,
            u.display_name AS actor_name, cs.title AS series_title
        FROM notifications n LEFT JOIN users u ON u.id = n.actor_id LEFT JOIN call_series cs ON cs.id = n.series_id
        LEFT JOIN messages m ON m.id = n.message_id
        LEFT JOIN questions fq ON fq.id = n.question_id
        LEFT JOIN answers fa ON n.post_type = 'answer' AND fa.id = n.post_id
        LEFT JOIN comments fc ON n.post_type = 'comment' AND fc.id = n.post_id
        """
}

extension PostgresRandomAccessRow {
    func notification() throws -> UserNotification {
        var post: UserNotification.Post?
        if let question = try self["question_id"].decode(Int64?.self) {
            post = UserNotification.Post(
                type: UserNotification.PostType(rawValue: try self["post_type"].decode(String?.self) ?? "") ?? .question,
                id: try self["post_id"].decode(Int64?.self) ?? question, questionID: question,
                questionTitle: try self["question_title"].decode(String?.self) ?? "")
        }
        var call: UserNotification.Call?
        if let occurrence = try self["occurrence_id"].decode(String?.self) {
            call = UserNotification.Call(
                seriesID: try self["series_id"].decode(Int64?.self) ?? 0, occurrenceID: occurrence, title: try self["series_title"].decode(String?.self) ?? "")
        }
        var text: String? = call?.title
        if call == nil {
            text =
                post == nil
                ? (try self["message_deleted"].decode(Bool.self) ? nil : try self["message_body"].decode(String?.self))
                : try self["post_body"].decode(String?.self)
        }
        return UserNotification(
            id: try self["id"].decode(Int64.self), userID: try self["user_id"].decode(Int64.self),
            kind: UserNotification.Kind(rawValue: try self["kind"].decode(String.self)) ?? .mention,
            communityID: try self["community_id"].decode(Int64.self), channelID: try self["channel_id"].decode(Int64?.self),
            messageID: try self["message_id"].decode(Int64?.self), messageSeq: try self["message_seq"].decode(Int64?.self), post: post, call: call,
            excerpt: text.map(UserNotification.excerpt(of:)) ?? "", actorID: try self["actor_id"].decode(Int64?.self),
            actorName: try self["actor_name"].decode(String?.self), createdAt: try self["created_at"].decode(Date.self),
            readAt: try self["read_at"].decode(Date?.self))
    }
}
