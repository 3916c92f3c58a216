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

/// Hiding questions and answers.
extension PostgresStore {
    public func setHidden(_ target: VoteTarget, id: Int64, hidden: Bool, by actorID: Int64, audit: NewAuditEntry, now: Date) async throws
        -> (question: Question?, answer: Answer?, audit: AuditEntry)?
    {
        try await transaction { connection in
            let logger = self.logger
            func post() async throws -> (question: Question?, answer: Answer?, json: String?) {
                switch target {
                case .question:
                    let question = try await connection.rows(Self.questionQuery(id: id), logger).first?.question()
                    return (question, nil, question.map(AuditChain.json))
                case .answer:
                    let answer = try await connection.rows(Self.answerQuery(where: "a.id = $1", id), logger).first?.answer()
                    return (nil, answer, answer.map(AuditChain.json))
                }
            }
            let table = ForumSQL.table(target)
            guard try await connection.count("SELECT 1 FROM \(unescaped: table) WHERE id = \(id) FOR UPDATE", logger) > 0,
                let before = try await post().json
            else { throw ConveneError.notFound(target == .question ? "The question" : "The answer") }
            let changed =
                hidden
                ? try await connection.count(
                    "UPDATE \(unescaped: table) SET hidden_at = \(now), hidden_by = \(actorID) WHERE id = \(id) AND hidden_at IS NULL RETURNING 1", logger)
                : try await connection.count(
                    "UPDATE \(unescaped: table) SET hidden_at = NULL, hidden_by = NULL WHERE id = \(id) AND hidden_at IS NOT NULL RETURNING 1", logger)
            guard changed > 0 else { return nil }
            if hidden {
                try await connection.query(
                    """
                    UPDATE review_items SET state = 'resolved', settled_by = \(actorID), settled_at = \(now)
                    WHERE target_type = \(target.rawValue) AND target_id = \(id) AND state = 'open'
                    """, logger: logger)
            }
            let after = try await post()
            var audit = audit
            audit.before = before
            audit.after = after.json
            return (after.question, after.answer, try await self.appendAudit(connection, audit, now: now))
        }
    }
}
