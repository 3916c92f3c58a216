public import ConveneCore
public import Foundation
import GRDB

extension SQLiteStore: ForumStore {
    public func createQuestion(
        communityID: Int64, authorID: Int64, title: String, body: String, bodyHTML: String, tags: [String], source: QuestionSource?, heldBy: String?,
        notify: Notify, now: Date
    ) async throws -> (Question, notifications: [Int64]) {
        try await write { db in
            let from = ForumSQL.columns(source)
            if let message = from.message,
                let promoted = try Int64.fetchOne(db, sql: "SELECT id FROM questions WHERE source_message_id = ?", arguments: [message])
            {
                throw ForumSQL.promotedAlready(promoted)
            }
            if let occurrence = from.occurrence,
                let carried = try Int64.fetchOne(
                    db, sql: "SELECT id FROM questions WHERE source_occurrence = ? AND source_call_question = ?", arguments: [occurrence, from.callQuestion])
            {
                throw ForumSQL.carriedAlready(carried)
            }
            try db.execute(
                sql: """
                    INSERT INTO questions (community_id, author_id, title, body, body_html, tags, created_at, last_activity_at, source_message_id,
                                           source_channel_id, source_occurrence, source_call_question)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    communityID, authorID, title, body, bodyHTML, ForumSQL.json(tags), now, now, from.message, from.channel, from.occurrence,
                    from.callQuestion,
                ])
            let id = db.lastInsertedRowID
            try Self.setTags(db, question: id, community: communityID, tags)
            try Self.recordRevision(
                db, .question, id, community: communityID, title: title, body: body, tags: tags, editor: authorID, reason: nil, now: now)
            try Self.hold(db, .question, id, community: communityID, by: heldBy, now: now)
            let notified = try Self.notify(db, notify, community: communityID, question: id, post: (.question, id), actor: authorID, now: now)
            return (try Self.question(db, id: id)!, notified)
        }
    }

    public func question(id: Int64) async throws -> Question? {
        try await read { db in try Self.question(db, id: id) }
    }

    public func questions(communityID: Int64, filter: QuestionFilter, sort: QuestionSort, tag: String?, offset: Int, limit: Int) async throws
        -> [Question]
    {
        try await read { db in
            let tagged = tag == nil ? "" : "AND EXISTS (SELECT 1 FROM question_tags t WHERE t.question_id = q.id AND t.tag = ?)"
            return try Row.fetchAll(
                db,
                sql: "\(ForumSQL.questionSelect) WHERE q.community_id = ? \(ForumSQL.condition(filter)) \(tagged) \(ForumSQL.order(sort)) LIMIT ? OFFSET ?",
                arguments: [communityID] + StatementArguments(tag.map { [$0] } ?? []) + [limit, offset]
            ).map(Self.question)
        }
    }

    public func createAnswer(questionID: Int64, authorID: Int64, body: String, bodyHTML: String, heldBy: String?, notify: Notify, now: Date)
        async throws
        -> (Answer, notifications: [Int64])
    {
        try await write { db in
            guard let communityID = try Int64.fetchOne(db, sql: "SELECT community_id FROM questions WHERE id = ?", arguments: [questionID]) else {
                throw ConveneError.notFound("The question")
            }
            try db.execute(
                sql: "INSERT INTO answers (question_id, community_id, author_id, body, body_html, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [questionID, communityID, authorID, body, bodyHTML, now])
            let id = db.lastInsertedRowID
            try db.execute(
                sql: "UPDATE questions SET answer_count = answer_count + 1, last_activity_at = ? WHERE id = ?", arguments: [now, questionID])
            try Self.recordRevision(db, .answer, id, community: communityID, title: nil, body: body, tags: nil, editor: authorID, reason: nil, now: now)
            try Self.hold(db, .answer, id, community: communityID, by: heldBy, now: now)
            let notified = try Self.notify(db, notify, community: communityID, question: questionID, post: (.answer, id), actor: authorID, now: now)
            return (try Row.fetchOne(db, sql: "\(ForumSQL.answerSelect) WHERE a.id = ?", arguments: [id]).map(Self.answer)!, notified)
        }
    }

    public func answer(id: Int64) async throws -> Answer? {
        try await read { db in try Row.fetchOne(db, sql: "\(ForumSQL.answerSelect) WHERE a.id = ?", arguments: [id]).map(Self.answer) }
    }

    public func answers(questionID: Int64) async throws -> [Answer] {
        try await read { db in
            try Row.fetchAll(db, sql: "\(ForumSQL.answerSelect) WHERE a.question_id = ? \(ForumSQL.answerOrder)", arguments: [questionID]).map(Self.answer)
        }
    }

    public func vote(_ target: VoteTarget, id: Int64, userID: Int64, value: Int, now: Date) async throws -> Int {
        try await write { db in
            let table = ForumSQL.table(target)
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM \(table) WHERE id = ?", arguments: [id]) != nil else {
                throw ConveneError.notFound(target == .question ? "The question" : "The answer")
            }
            let old = try Int.fetchOne(
                db, sql: "SELECT value FROM votes WHERE target_type = ? AND target_id = ? AND user_id = ?", arguments: [target.rawValue, id, userID]) ?? 0
            if value == 0 {
                try db.execute(sql: "DELETE FROM votes WHERE target_type = ? AND target_id = ? AND user_id = ?", arguments: [target.rawValue, id, userID])
            } else {
                try db.execute(
                    sql: """
                        INSERT INTO votes (target_type, target_id, user_id, value, created_at) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (target_type, target_id, user_id) DO UPDATE SET value = excluded.value
                        """, arguments: [target.rawValue, id, userID, value, now])
            }
            try db.execute(sql: "UPDATE \(table) SET score = score + ? WHERE id = ?", arguments: [value - old, id])
            return try Int.fetchOne(db, sql: "SELECT score FROM \(table) WHERE id = ?", arguments: [id])!
        }
    }

    public func votes(userID: Int64, questionID: Int64) async throws -> (question: Int, answers: [Int64: Int]) {
        try await read { db in
            let question = try Int.fetchOne(
                db.cachedStatement(sql: "SELECT value FROM votes WHERE target_type = 'question' AND target_id = ? AND user_id = ?"),
                arguments: [questionID, userID]) ?? 0
            var answers: [Int64: Int] = [:]
            for row in try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT target_id, value FROM votes
                        WHERE target_type = 'answer' AND target_id IN (SELECT id FROM answers WHERE question_id = ?) AND user_id = ?
                        """), arguments: [questionID, userID])
            {
                answers[row["target_id"]] = row["value"]
            }
            return (question, answers)
        }
    }

    public func editQuestion(id: Int64, _ edit: PostEdit, now: Date) async throws -> Question? {
        try await write { db in
            guard let before = try Self.question(db, id: id) else { throw ConveneError.notFound("The question") }
            let title = edit.title ?? before.title
            let tags = edit.tags ?? before.tags
            if title == before.title && edit.body == before.body && tags == before.tags { return nil }
            try Self.recordOriginal(db, .question, before.id, community: before.communityID, title: before.title, body: before.body, tags: before.tags,
                author: before.authorID, at: before.createdAt)
            try db.execute(
                sql: "UPDATE questions SET title = ?, body = ?, body_html = ?, tags = ?, last_activity_at = ? WHERE id = ?",
                arguments: [title, edit.body, edit.bodyHTML, ForumSQL.json(tags), now, id])
            try db.execute(sql: "DELETE FROM question_tags WHERE question_id = ?", arguments: [id])
            try Self.setTags(db, question: id, community: before.communityID, tags)
            try Self.recordRevision(
                db, .question, id, community: before.communityID, title: title, body: edit.body, tags: tags, editor: edit.editorID, reason: edit.reason,
                now: now)
            return try Self.question(db, id: id)!
        }
    }

    public func editAnswer(id: Int64, _ edit: PostEdit, now: Date) async throws -> Answer? {
        try await write { db in
            guard let before = try Row.fetchOne(db, sql: "\(ForumSQL.answerSelect) WHERE a.id = ?", arguments: [id]).map(Self.answer) else {
                throw ConveneError.notFound("The answer")
            }
            if edit.body == before.body { return nil }
            try Self.recordOriginal(db, .answer, id, community: before.communityID, title: nil, body: before.body, tags: nil, author: before.authorID,
                at: before.createdAt)
            try db.execute(sql: "UPDATE answers SET body = ?, body_html = ? WHERE id = ?", arguments: [edit.body, edit.bodyHTML, id])
            try db.execute(sql: "UPDATE questions SET last_activity_at = ? WHERE id = ?", arguments: [now, before.questionID])
            try Self.recordRevision(
                db, .answer, id, community: before.communityID, title: nil, body: edit.body, tags: nil, editor: edit.editorID, reason: edit.reason, now: now)
            return try Row.fetchOne(db, sql: "\(ForumSQL.answerSelect) WHERE a.id = ?", arguments: [id]).map(Self.answer)!
        }
    }

    public func revisions(of target: VoteTarget, id: Int64) async throws -> [PostRevision] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "\(ForumSQL.revisionSelect) WHERE r.target_type = ? AND r.target_id = ? ORDER BY r.number", arguments: [target.rawValue, id]
            ).map { row in
                PostRevision(
                    number: row["number"], title: row["title"], body: row["body"], tags: (row["tags"] as String?).map(ForumSQL.tags(fromJSON:)),
                    editorID: row["editor_id"], editorName: row["editor_name"], reason: row["reason"], createdAt: row["created_at"])
            }
        }
    }

    static func setTags(_ db: Database, question: Int64, community: Int64, _ tags: [String]) throws {
        for tag in tags {
            try db.execute(sql: "INSERT INTO question_tags (question_id, community_id, tag) VALUES (?, ?, ?)", arguments: [question, community, tag])
        }
    }

    /// Appends the post's next version.
    static func recordRevision(
        _ db: Database, _ target: VoteTarget, _ id: Int64, community: Int64, title: String?, body: String, tags: [String]?, editor: Int64,
        reason: String?, now: Date
    ) throws {
        let number =
            (try Int.fetchOne(db, sql: "SELECT MAX(number) FROM post_revisions WHERE target_type = ? AND target_id = ?", arguments: [target.rawValue, id])
                ?? 0) + 1
        try db.execute(
            sql: """
                INSERT INTO post_revisions (community_id, target_type, target_id, number, title, body, tags, editor_id, reason, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [community, target.rawValue, id, number, title, body, tags.map(ForumSQL.json), editor, reason, now])
    }

    /// A post stored before revisions were kept gets its text as first written recorded as revision 1.
    static func recordOriginal(
        _ db: Database, _ target: VoteTarget, _ id: Int64, community: Int64, title: String?, body: String, tags: [String]?, author: Int64, at: Date
    ) throws {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM post_revisions WHERE target_type = ? AND target_id = ?", arguments: [target.rawValue, id]) == nil
        else { return }
        try recordRevision(db, target, id, community: community, title: title, body: body, tags: tags, editor: author, reason: nil, now: at)
    }

    public func setClosed(questionID: Int64, reason: CloseReason?, duplicateOf: Int64?, by actorID: Int64, audit: NewAuditEntry, now: Date)
        async throws -> (Question, AuditEntry)?
    {
        try await write { db in
            guard let before = try Self.question(db, id: questionID) else { throw ConveneError.notFound("The question") }
            if (before.closedAt != nil) == (reason != nil) { return nil }
            try db.execute(
                sql: "UPDATE questions SET closed_at = ?, closed_by = ?, close_reason = ?, duplicate_of = ? WHERE id = ?",
                arguments: [reason == nil ? nil : now, reason == nil ? nil : actorID, reason?.rawValue, duplicateOf, questionID])
            let after = try Self.question(db, id: questionID)!
            var audit = audit
            audit.before = AuditChain.json(before)
            audit.after = AuditChain.json(after)
            return (after, try Self.appendAudit(db, audit, now: now))
        }
    }

    /// A post a watched word holds: hidden, with an open review item naming the word.
    static func hold(_ db: Database, _ target: VoteTarget, _ id: Int64, community: Int64, by word: String?, now: Date) throws {
        guard let word else { return }
        try db.execute(sql: "UPDATE \(ForumSQL.table(target)) SET hidden_at = ? WHERE id = ?", arguments: [now, id])
        _ = try flagByWatchedWord(db, communityID: community, target: target == .question ? .question : .answer, id: id, word: word, now: now)
    }

    /// Stores a forum change's notifications with it; returns their ids.
    static func notify(
        _ db: Database, _ notify: Notify, community: Int64, question: Int64, post: (type: UserNotification.PostType, id: Int64), actor: Int64, now: Date
    ) throws -> [Int64] {
        var ids: [Int64] = []
        for (user, kind) in notify.sorted(by: { $0.key < $1.key }) where user != actor {
            try db.execute(
                sql: """
                    INSERT INTO notifications (user_id, kind, community_id, question_id, post_type, post_id, actor_id, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [user, kind.rawValue, community, question, post.type.rawValue, post.id, actor, now])
            ids.append(db.lastInsertedRowID)
        }
        return ids
    }

    public func curate(answerID: Int64, outdated: Bool?, note: String?, reviewBy: Date??, by actorID: Int64, audit: NewAuditEntry, now: Date)
        async throws -> (Answer, AuditEntry)?
    {
        try await write { db in
            guard let before = try Row.fetchOne(db, sql: "\(ForumSQL.answerSelect) WHERE a.id = ?", arguments: [answerID]).map(Self.answer) else {
                throw ConveneError.notFound("The answer")
            }
            var after = before
            ForumSQL.curate(&after, outdated: outdated, note: note, reviewBy: reviewBy, by: actorID, now: now)
            if after == before { return nil }
            try db.execute(
                sql: "UPDATE answers SET outdated_at = ?, outdated_by = ?, outdated_note = ?, review_by = ? WHERE id = ?",
                arguments: [after.outdatedAt, after.outdatedBy, after.outdatedNote, after.reviewBy, answerID])
            var audit = audit
            audit.before = AuditChain.json(before)
            audit.after = AuditChain.json(after)
            return (after, try Self.appendAudit(db, audit, now: now))
        }
    }

    public func duplicates(of questionID: Int64) async throws -> [Question] {
        try await read { db in
            try Row.fetchAll(db, sql: "\(ForumSQL.questionSelect) WHERE q.duplicate_of = ? ORDER BY q.id", arguments: [questionID]).map(Self.question)
        }
    }

    public func createComment(on target: VoteTarget, id: Int64, authorID: Int64, body: String, bodyHTML: String, notify: Notify, now: Date)
        async throws -> (Comment, notifications: [Int64])
    {
        try await write { db in
            guard let owner = try Row.fetchOne(db, sql: "\(ForumSQL.owner(target)) ?", arguments: [id]) else {
                throw ConveneError.notFound(target == .question ? "The question" : "The answer")
            }
            let questionID: Int64 = owner["question_id"]
            try db.execute(
                sql: """
                    INSERT INTO comments (community_id, question_id, target_type, target_id, author_id, body, body_html, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [owner["community_id"] as Int64, questionID, target.rawValue, id, authorID, body, bodyHTML, now])
            let commentID = db.lastInsertedRowID
            try db.execute(sql: "UPDATE questions SET last_activity_at = ? WHERE id = ?", arguments: [now, questionID])
            let notified = try Self.notify(
                db, notify, community: owner["community_id"], question: questionID, post: (.comment, commentID), actor: authorID, now: now)
            return (try Row.fetchOne(db, sql: "\(ForumSQL.commentSelect) WHERE c.id = ?", arguments: [commentID]).map(Self.comment)!, notified)
        }
    }

    public func comments(questionID: Int64) async throws -> [Comment] {
        try await read { db in
            try Row.fetchAll(db, sql: "\(ForumSQL.commentSelect) WHERE c.question_id = ? ORDER BY c.id", arguments: [questionID]).map(Self.comment)
        }
    }

    static func comment(_ row: Row) -> Comment {
        Comment(
            id: row["id"], questionID: row["question_id"], targetType: VoteTarget(rawValue: row["target_type"]) ?? .question, targetID: row["target_id"],
            authorID: row["author_id"], authorName: row["author_name"], body: row["body"], bodyHTML: row["body_html"], createdAt: row["created_at"])
    }

    public func setAccepted(questionID: Int64, answerID: Int64?, by actorID: Int64, audit: NewAuditEntry, notify: Notify, now: Date) async throws
        -> (Question, AuditEntry, notifications: [Int64])?
    {
        try await write { db in
            guard let before = try Self.question(db, id: questionID) else { throw ConveneError.notFound("The question") }
            if before.acceptedAnswerID == answerID { return nil }
            try db.execute(sql: "UPDATE answers SET accepted_at = NULL, accepted_by = NULL WHERE question_id = ?", arguments: [questionID])
            if let answerID {
                try db.execute(sql: "UPDATE answers SET accepted_at = ?, accepted_by = ? WHERE id = ?", arguments: [now, actorID, answerID])
            }
            try db.execute(
                sql: "UPDATE questions SET accepted_answer_id = ?, last_activity_at = ? WHERE id = ?", arguments: [answerID, now, questionID])
            let after = try Self.question(db, id: questionID)!
            var audit = audit
            audit.before = AuditChain.json(before)
            audit.after = AuditChain.json(after)
            let entry = try Self.appendAudit(db, audit, now: now)
            let notified = try answerID.map { answerID in
                try Self.notify(db, notify, community: after.communityID, question: questionID, post: (.answer, answerID), actor: actorID, now: now)
            } ?? []
            return (after, entry, notified)
        }
    }

    static func question(_ db: Database, id: Int64) throws -> Question? {
        try Row.fetchOne(db, sql: "\(ForumSQL.questionSelect) WHERE q.id = ?", arguments: [id]).map(question)
    }

    static func question(_ row: Row) -> Question {
        Question(
            id: row["id"], communityID: row["community_id"], authorID: row["author_id"], authorName: row["author_name"], title: row["title"],
            body: row["body"], bodyHTML: row["body_html"], tags: ForumSQL.tags(fromJSON: row["tags"]), score: row["score"],
            answerCount: row["answer_count"], acceptedAnswerID: row["accepted_answer_id"], createdAt: row["created_at"],
            lastActivityAt: row["last_activity_at"], closedAt: row["closed_at"], closedBy: row["closed_by"],
            closeReason: (row["close_reason"] as String?).flatMap(CloseReason.init), duplicateOf: row["duplicate_of"],
            sourceMessageID: row["source_message_id"], sourceChannelID: row["source_channel_id"], sourceOccurrence: row["source_occurrence"],
            hiddenAt: row["hidden_at"])
    }

    static func answer(_ row: Row) -> Answer {
        Answer(
            id: row["id"], questionID: row["question_id"], communityID: row["community_id"], authorID: row["author_id"], authorName: row["author_name"],
            body: row["body"], bodyHTML: row["body_html"], score: row["score"], createdAt: row["created_at"], acceptedAt: row["accepted_at"],
            acceptedBy: row["accepted_by"], outdatedAt: row["outdated_at"], outdatedBy: row["outdated_by"], outdatedNote: row["outdated_note"],
            reviewBy: row["review_by"], hiddenAt: row["hidden_at"])
    }
}
