public import ConveneCore
public import Foundation
import PostgresNIO

/// Who watches which forum, tag and question.
extension PostgresStore {
    public func watch(userID: Int64, communityID: Int64, kind: ForumWatch.Kind, questionID: Int64?, tag: String?, now: Date) async throws
        -> (ForumWatch, created: Bool)
    {
        let question = questionID ?? 0
        let tag = tag ?? ""
        let inserted = try await rows(
            """
            INSERT INTO forum_watches (user_id, community_id, kind, question_id, tag, created_at)
            VALUES (\(userID), \(communityID), \(kind.rawValue), \(question), \(tag), \(now))
            ON CONFLICT (user_id, community_id, kind, question_id, tag) DO NOTHING RETURNING *
            """)
        if let row = inserted.first { return (try row.watch(), true) }
        let existing = try await rows(
            """
            SELECT * FROM forum_watches
            WHERE user_id = \(userID) AND community_id = \(communityID) AND kind = \(kind.rawValue) AND question_id = \(question) AND tag = \(tag)
            """)
        return (try existing[0].watch(), false)
    }

    public func unwatch(id: Int64, userID: Int64) async throws -> Bool {
        try await rows("DELETE FROM forum_watches WHERE id = \(id) AND user_id = \(userID) RETURNING 1").count > 0
    }

    public func watches(userID: Int64) async throws -> [ForumWatch] {
        try await rows("SELECT * FROM forum_watches WHERE user_id = \(userID) ORDER BY id").map { try $0.watch() }
    }

    public func watchers(questionID: Int64) async throws -> [Int64] {
        try await rows("SELECT user_id FROM forum_watches WHERE kind = 'question' AND question_id = \(questionID)").map {
            try $0["user_id"].decode(Int64.self)
        }
    }

    public func watchers(communityID: Int64, tags: [String]) async throws -> [Int64] {
        try await rows(
            """
            SELECT DISTINCT user_id FROM forum_watches WHERE community_id = \(communityID)
            AND (kind = 'forum' OR (kind = 'tag' AND tag = ANY(\(tags))))
            """
        ).map { try $0["user_id"].decode(Int64.self) }
    }
}

extension PostgresRandomAccessRow {
    func watch() throws -> ForumWatch {
        let kind = ForumWatch.Kind(rawValue: try self["kind"].decode(String.self)) ?? .forum
        return ForumWatch(
            id: try self["id"].decode(Int64.self), userID: try self["user_id"].decode(Int64.self), communityID: try self["community_id"].decode(Int64.self),
            kind: kind, questionID: kind == .question ? try self["question_id"].decode(Int64.self) : nil,
            tag: kind == .tag ? try self["tag"].decode(String.self) : nil, createdAt: try self["created_at"].decode(Date.self))
    }
}
