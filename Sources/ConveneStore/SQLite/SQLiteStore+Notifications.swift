public import ConveneCore
public import Foundation
import GRDB

extension SQLiteStore: NotificationStore {
    public func members(communityID: Int64, nameKeys: Set<String>) async throws -> [Int64] {
        guard !nameKeys.isEmpty else { return [] }
        return try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT u.id, u.display_name FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.community_id = ? ORDER BY u.id",
                arguments: [communityID]
            ).filter { nameKeys.contains(Mentions.key($0["display_name"])) }.map { $0["id"] }
        }
    }

    public func notifications(userID: Int64, beforeID: Int64?, unreadOnly: Bool, limit: Int) async throws -> [UserNotification] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    \(Self.notificationSelect) WHERE n.user_id = ? AND n.id < ? \(unreadOnly ? "AND n.read_at IS NULL" : "")
                    ORDER BY n.id DESC LIMIT ?
                    """, arguments: [userID, beforeID ?? Int64.max, limit]
            ).map(Self.notification)
        }
    }

    public func notifications(messageID: Int64) async throws -> [UserNotification] {
        try await read { db in
            try Row.fetchAll(db, sql: "\(Self.notificationSelect) WHERE n.message_id = ? ORDER BY n.id", arguments: [messageID]).map(Self.notification)
        }
    }

    public func notifications(ids: [Int64]) async throws -> [UserNotification] {
        guard !ids.isEmpty else { return [] }
        return try await read { db in
            try Row.fetchAll(
                db, sql: "\(Self.notificationSelect) WHERE n.id IN (\(databaseQuestionMarks(count: ids.count))) ORDER BY n.id",
                arguments: StatementArguments(ids)
            ).map(Self.notification)
        }
    }

    public func addCallNotifications(
        kind: UserNotification.Kind, seriesID: Int64, communityID: Int64, occurrenceID: String, users: [Int64], now: Date
    ) async throws -> [Int64] {
        try await write { db in
            var ids: [Int64] = []
            for user in Set(users).sorted() {
                try db.execute(
                    sql: """
                        INSERT INTO notifications (user_id, kind, community_id, series_id, occurrence_id, created_at) VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT (user_id, kind, occurrence_id) WHERE occurrence_id IS NOT NULL DO NOTHING
                        """, arguments: [user, kind.rawValue, communityID, seriesID, occurrenceID, now])
                if db.changesCount > 0 { ids.append(db.lastInsertedRowID) }
            }
            return ids
        }
    }

    public func addMentions(messageID: Int64, users: [Int64], actorID: Int64, now: Date) async throws -> [Int64] {
        try await write { db in
            guard let message = try Row.fetchOne(db, sql: "SELECT community_id, channel_id FROM messages WHERE id = ?", arguments: [messageID]) else {
                return []
            }
            var added: [Int64] = []
            for user in Set(users).sorted() where user != actorID {
                try db.execute(
                    sql: """
                        INSERT INTO notifications (user_id, kind, community_id, channel_id, message_id, actor_id, created_at)
                        SELECT ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM notifications WHERE message_id = ? AND user_id = ?)
                        """,
                    arguments: [
                        user, UserNotification.Kind.mention.rawValue, message["community_id"] as Int64, message["channel_id"] as Int64, messageID, actorID,
                        now, messageID, user,
                    ])
                if db.changesCount > 0 { added.append(user) }
            }
            return added
        }
    }

    public func unreadNotificationCount(userID: Int64) async throws -> Int {
        try await read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL", arguments: [userID]) ?? 0
        }
    }

    public func markNotificationsRead(userID: Int64, ids: [Int64]?, now: Date) async throws -> Int {
        try await write { db in
            if let ids {
                guard !ids.isEmpty else { return 0 }
                try db.execute(
                    sql: """
                        UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL
                        AND id IN (\(databaseQuestionMarks(count: ids.count)))
                        """, arguments: StatementArguments([now, userID] as [any DatabaseValueConvertible]) + StatementArguments(ids))
            } else {
                try db.execute(sql: "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL", arguments: [now, userID])
            }
            return db.changesCount
        }
    }

    static let notificationSelect = """
        SELECT n.*, m.seq AS message_seq, m.body AS message_body, COALESCE(m.deleted OR m.hidden_at IS NOT NULL, 0) AS message_deleted,
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

    static func notification(_ row: Row) -> UserNotification {
        let post = (row["question_id"] as Int64?).map { question in
            UserNotification.Post(
                type: UserNotification.PostType(rawValue: row["post_type"] ?? "") ?? .question, id: row["post_id"] ?? question, questionID: question,
                questionTitle: row["question_title"] ?? "")
        }
        let call = (row["occurrence_id"] as String?).map { occurrence in
            UserNotification.Call(seriesID: row["series_id"] ?? 0, occurrenceID: occurrence, title: row["series_title"] ?? "")
        }
        let text: String? = call?.title ?? (post == nil ? (row["message_deleted"] ? nil : row["message_body"]) : row["post_body"])
        return UserNotification(
            id: row["id"], userID: row["user_id"], kind: UserNotification.Kind(rawValue: row["kind"]) ?? .mention, communityID: row["community_id"],
            channelID: row["channel_id"], messageID: row["message_id"], messageSeq: row["message_seq"], post: post, call: call,
            excerpt: text.map(UserNotification.excerpt(of:)) ?? "", actorID: row["actor_id"], actorName: row["actor_name"], createdAt: row["created_at"],
            readAt: row["read_at"])
    }
}
