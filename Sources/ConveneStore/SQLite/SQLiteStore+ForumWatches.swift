public import ConveneCore
public import Foundation
import GRDB

/// Who watches which forum, tag and question.
extension SQLiteStore {
    public func watch(userID: Int64, communityID: Int64, kind: ForumWatch.Kind, questionID: Int64?, tag: String?, now: Date) async throws
        -> (ForumWatch, created: Bool)
    {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO forum_watches (user_id, community_id, kind, question_id, tag, created_at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (user_id, community_id, kind, question_id, tag) DO NOTHING
                    """, arguments: [userID, communityID, kind.rawValue, questionID ?? 0, tag ?? "", now])
            let created = db.changesCount > 0
            let row = try Row.fetchOne(
                db, sql: "SELECT * FROM forum_watches WHERE user_id = ? AND community_id = ? AND kind = ? AND question_id = ? AND tag = ?",
                arguments: [userID, communityID, kind.rawValue, questionID ?? 0, tag ?? ""])!
            return (Self.watch(row), created)
        }
    }

    public func unwatch(id: Int64, userID: Int64) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM forum_watches WHERE id = ? AND user_id = ?", arguments: [id, userID])
            return db.changesCount > 0
        }
    }

    public func watches(userID: Int64) async throws -> [ForumWatch] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM forum_watches WHERE user_id = ? ORDER BY id", arguments: [userID]).map(Self.watch)
        }
    }

    public func watchers(questionID: Int64) async throws -> [Int64] {
        try await read { db in
            try Int64.fetchAll(db, sql: "SELECT user_id FROM forum_watches WHERE kind = 'question' AND question_id = ?", arguments: [questionID])
        }
    }

    public func watchers(communityID: Int64, tags: [String]) async throws -> [Int64] {
        try await read { db in
            try Int64.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT user_id FROM forum_watches WHERE community_id = ?
                    AND (kind = 'forum' OR (kind = 'tag' AND tag IN (\(databaseQuestionMarks(count: max(tags.count, 1))))))
                    """, arguments: [communityID] + StatementArguments(tags.isEmpty ? [""] : tags))
        }
    }

    static func watch(_ row: Row) -> ForumWatch {
        let kind = ForumWatch.Kind(rawValue: row["kind"]) ?? .forum
        return ForumWatch(
            id: row["id"], userID: row["user_id"], communityID: row["community_id"], kind: kind,
            questionID: kind == .question ? row["question_id"] : nil, tag: kind == .tag ? row["tag"] : nil, createdAt: row["created_at"])
    }
}

/// Hiding questions and answers.
extension SQLiteStore {
    public func setHidden(_ target: VoteTarget, id: Int64, hidden: Bool, by actorID: Int64, audit: NewAuditEntry, now: Date) async throws
        -> (question: Question?, answer: Answer?, audit: AuditEntry)?
    {
        try await write { db in
            func post() throws -> (question: Question?, answer: Answer?, json: String?) {
                switch target {
                case .question:
                    let question = try Self.question(db, id: id)
                    return (question, nil, question.map(AuditChain.json))
                case .answer:
                    let answer = try Row.fetchOne(db, sql: "\(ForumSQL.answerSelect) WHERE a.id = ?", arguments: [id]).map(Self.answer)
                    return (nil, answer, answer.map(AuditChain.json))
                }
            }
            guard let before = try post().json else { throw ConveneError.notFound(target == .question ? "The question" : "The answer") }
            try db.execute(sql: ForumSQL.hide(target, hidden: hidden), arguments: hidden ? [now, actorID, id] : [id])
            guard db.changesCount > 0 else { return nil }
            if hidden {
                try db.execute(
                    sql: "UPDATE review_items SET state = 'resolved', settled_by = ?, settled_at = ? WHERE target_type = ? AND target_id = ? AND state = 'open'",
                    arguments: [actorID, now, target.rawValue, id])
            }
            let after = try post()
            var audit = audit
            audit.before = before
            audit.after = after.json
            return (after.question, after.answer, try Self.appendAudit(db, audit, now: now))
        }
    }
}
