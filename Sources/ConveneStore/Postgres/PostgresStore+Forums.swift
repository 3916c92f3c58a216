public import ConveneCore
public import Foundation
import PostgresNIO

extension PostgresStore: ForumStore {
    public func createQuestion(
        communityID: Int64, authorID: Int64, title: String, body: String, bodyHTML: String, tags: [String], source: QuestionSource?, heldBy: String?,
        notify: Notify, now: Date
    ) async throws -> (Question, notifications: [Int64]) {
        try await transaction { connection in
            let from = ForumSQL.columns(source)
            if let message = from.message {
                // The message's row lock puts two promotions of one thread one after the other.
                _ = try await connection.rows("SELECT 1 FROM messages WHERE id = \(message) FOR UPDATE", self.logger)
                if let promoted = try await connection.rows("SELECT id FROM questions WHERE source_message_id = \(message)", self.logger).first {
                    throw ForumSQL.promotedAlready(try promoted["id"].decode(Int64.self))
                }
            }
            let callQuestion = from.callQuestion.map { Int32(clamping: $0) }
            if let occurrence = from.occurrence,
                let carried = try await connection.rows(
                    "SELECT id FROM questions WHERE source_occurrence = \(occurrence) AND source_call_question = \(callQuestion)", self.logger
                ).first
            {
                throw ForumSQL.carriedAlready(try carried["id"].decode(Int64.self))
            }
            let id = try await connection.rows(
                """
                INSERT INTO questions (community_id, author_id, title, body, body_html, tags, created_at, last_activity_at, source_message_id,
                                       source_channel_id, source_occurrence, source_call_question)
                VALUES (\(communityID), \(authorID), \(title), \(body), \(bodyHTML), \(ForumSQL.json(tags)), \(now), \(now), \(from.message),
                        \(from.channel), \(from.occurrence), \(callQuestion))
                RETURNING id
                """, self.logger)[0]["id"].decode(Int64.self)
            try await self.setTags(connection, question: id, community: communityID, tags)
            try await self.recordRevision(
                connection, .question, id, community: communityID, title: title, body: body, tags: tags, editor: authorID, reason: nil, now: now)
            try await self.hold(connection, .question, id, community: communityID, by: heldBy, now: now)
            let notified = try await self.notify(
                connection, notify, community: communityID, question: id, post: (.question, id), actor: authorID, now: now)
            return (try await connection.rows(Self.questionQuery(id: id), self.logger)[0].question(), notified)
        }
    }

    public func question(id: Int64) async throws -> Question? {
        try await rows(Self.questionQuery(id: id)).first?.question()
    }

    public func questions(communityID: Int64, filter: QuestionFilter, sort: QuestionSort, tag: String?, offset: Int, limit: Int) async throws
        -> [Question]
    {
        var bindings = PostgresBindings()
        bindings.append(communityID)
        bindings.append(Int64(limit))
        bindings.append(Int64(offset))
        var tagged = ""
        if let tag {
            bindings.append(tag)
            tagged = "AND EXISTS (SELECT 1 FROM question_tags t WHERE t.question_id = q.id AND t.tag = $4)"
        }
        return try await rows(
            PostgresQuery(
                unsafeSQL:
                    "\(ForumSQL.questionSelect) WHERE q.community_id = $1 \(ForumSQL.condition(filter)) \(tagged) \(ForumSQL.order(sort)) LIMIT $2 OFFSET $3",
                binds: bindings)
        ).map { try $0.question() }
    }

    public func createAnswer(questionID: Int64, authorID: Int64, body: String, bodyHTML: String, heldBy: String?, notify: Notify, now: Date)
        async throws
        -> (Answer, notifications: [Int64])
    {
        try await transaction { connection in
            guard
                let communityID = try await connection.rows(
                    "UPDATE questions SET answer_count = answer_count + 1, last_activity_at = \(now) WHERE id = \(questionID) RETURNING community_id",
                    self.logger
                ).first?["community_id"].decode(Int64.self)
            else { throw ConveneError.notFound("The question") }
            let id = try await connection.rows(
                """
                INSERT INTO answers (question_id, community_id, author_id, body, body_html, created_at)
                VALUES (\(questionID), \(communityID), \(authorID), \(body), \(bodyHTML), \(now)) RETURNING id
                """, self.logger)[0]["id"].decode(Int64.self)
            try await self.recordRevision(
                connection, .answer, id, community: communityID, title: nil, body: body, tags: nil, editor: authorID, reason: nil, now: now)
            try await self.hold(connection, .answer, id, community: communityID, by: heldBy, now: now)
            let notified = try await self.notify(
                connection, notify, community: communityID, question: questionID, post: (.answer, id), actor: authorID, now: now)
            return (try await connection.rows(Self.answerQuery(where: "a.id = $1", id), self.logger)[0].answer(), notified)
        }
    }

    public func answer(id: Int64) async throws -> Answer? {
        try await rows(Self.answerQuery(where: "a.id = $1", id)).first?.answer()
    }

    public func answers(questionID: Int64) async throws -> [Answer] {
        try await rows(Self.answerQuery(where: "a.question_id = $1 \(ForumSQL.answerOrder)", questionID)).map { try $0.answer() }
    }

    public func vote(_ target: VoteTarget, id: Int64, userID: Int64, value: Int, now: Date) async throws -> Int {
        try await transaction { connection in
            let table = ForumSQL.table(target)
            // The target's row lock puts concurrent votes on it one after another, so each counts.
            guard try await connection.count(PostgresQuery(unsafeSQL: "SELECT 1 FROM \(table) WHERE id = \(id) FOR UPDATE"), self.logger) > 0 else {
                throw ConveneError.notFound(target == .question ? "The question" : "The answer")
            }
            let kind = target.rawValue
            let old = try await connection.rows(
                "SELECT value FROM votes WHERE target_type = \(kind) AND target_id = \(id) AND user_id = \(userID)", self.logger
            ).first?["value"].decode(Int32.self) ?? 0
            if value == 0 {
                try await connection.query(
                    "DELETE FROM votes WHERE target_type = \(kind) AND target_id = \(id) AND user_id = \(userID)", logger: self.logger)
            } else {
                try await connection.query(
                    """
                    INSERT INTO votes (target_type, target_id, user_id, value, created_at) VALUES (\(kind), \(id), \(userID), \(Int32(value)), \(now))
                    ON CONFLICT (target_type, target_id, user_id) DO UPDATE SET value = EXCLUDED.value
                    """, logger: self.logger)
            }
            var bindings = PostgresBindings()
            bindings.append(Int32(value) - old)
            bindings.append(id)
            return Int(
                try await connection.rows(
                    PostgresQuery(unsafeSQL: "UPDATE \(table) SET score = score + $1 WHERE id = $2 RETURNING score", binds: bindings), self.logger
                )[0]["score"].decode(Int32.self))
        }
    }

    public func votes(userID: Int64, questionID: Int64) async throws -> (question: Int, answers: [Int64: Int]) {
        let question = try await rows(
            "SELECT value FROM votes WHERE target_type = 'question' AND target_id = \(questionID) AND user_id = \(userID)"
        ).first?["value"].decode(Int32.self) ?? 0
        var answers: [Int64: Int] = [:]
        for row in try await rows(
            """
            SELECT target_id, value FROM votes
            WHERE target_type = 'answer' AND target_id IN (SELECT id FROM answers WHERE question_id = \(questionID)) AND user_id = \(userID)
            """)
        {
            answers[try row["target_id"].decode(Int64.self)] = Int(try row["value"].decode(Int32.self))
        }
        return (Int(question), answers)
    }

    public func editQuestion(id: Int64, _ edit: PostEdit, now: Date) async throws -> Question? {
        try await transaction { connection in
            guard try await connection.count("SELECT 1 FROM questions WHERE id = \(id) FOR UPDATE", self.logger) > 0,
                let before = try await connection.rows(Self.questionQuery(id: id), self.logger).first?.question()
            else { throw ConveneError.notFound("The question") }
            let title = edit.title ?? before.title
            let tags = edit.tags ?? before.tags
            if title == before.title && edit.body == before.body && tags == before.tags { return nil }
            try await self.recordOriginal(
                connection, .question, id, community: before.communityID, title: before.title, body: before.body, tags: before.tags,
                author: before.authorID, at: before.createdAt)
            try await connection.query(
                """
                UPDATE questions SET title = \(title), body = \(edit.body), body_html = \(edit.bodyHTML), tags = \(ForumSQL.json(tags)),
                                     last_activity_at = \(now) WHERE id = \(id)
                """, logger: self.logger)
            try await connection.query("DELETE FROM question_tags WHERE question_id = \(id)", logger: self.logger)
            try await self.setTags(connection, question: id, community: before.communityID, tags)
            try await self.recordRevision(
                connection, .question, id, community: before.communityID, title: title, body: edit.body, tags: tags, editor: edit.editorID,
                reason: edit.reason, now: now)
            return try await connection.rows(Self.questionQuery(id: id), self.logger)[0].question()
        }
    }

    public func editAnswer(id: Int64, _ edit: PostEdit, now: Date) async throws -> Answer? {
        try await transaction { connection in
            guard try await connection.count("SELECT 1 FROM answers WHERE id = \(id) FOR UPDATE", self.logger) > 0,
                let before = try await connection.rows(Self.answerQuery(where: "a.id = $1", id), self.logger).first?.answer()
            else { throw ConveneError.notFound("The answer") }
            if edit.body == before.body { return nil }
            try await self.recordOriginal(
                connection, .answer, id, community: before.communityID, title: nil, body: before.body, tags: nil, author: before.authorID,
                at: before.createdAt)
            try await connection.query("UPDATE answers SET body = \(edit.body), body_html = \(edit.bodyHTML) WHERE id = \(id)", logger: self.logger)
            try await connection.query("UPDATE questions SET last_activity_at = \(now) WHERE id = \(before.questionID)", logger: self.logger)
            try await self.recordRevision(
                connection, .answer, id, community: before.communityID, title: nil, body: edit.body, tags: nil, editor: edit.editorID, reason: edit.reason,
                now: now)
            return try await connection.rows(Self.answerQuery(where: "a.id = $1", id), self.logger)[0].answer()
        }
    }

    public func revisions(of target: VoteTarget, id: Int64) async throws -> [PostRevision] {
        var bindings = PostgresBindings()
        bindings.append(target.rawValue)
        bindings.append(id)
        return try await rows(
            PostgresQuery(unsafeSQL: "\(ForumSQL.revisionSelect) WHERE r.target_type = $1 AND r.target_id = $2 ORDER BY r.number", binds: bindings)
        ).map { row in
            PostRevision(
                number: Int(try row["number"].decode(Int32.self)), title: try row["title"].decode(String?.self), body: try row["body"].decode(String.self),
                tags: try row["tags"].decode(String?.self).map(ForumSQL.tags(fromJSON:)), editorID: try row["editor_id"].decode(Int64.self),
                editorName: try row["editor_name"].decode(String.self), reason: try row["reason"].decode(String?.self),
                createdAt: try row["created_at"].decode(Date.self))
        }
    }

    func setTags(_ connection: PostgresConnection, question: Int64, community: Int64, _ tags: [String]) async throws {
        for tag in tags {
            try await connection.query(
                "INSERT INTO question_tags (question_id, community_id, tag) VALUES (\(question), \(community), \(tag))", logger: logger)
        }
    }

    /// Appends the post's next version (callers hold the post's row lock, so numbers do not collide).
    func recordRevision(
        _ connection: PostgresConnection, _ target: VoteTarget, _ id: Int64, community: Int64, title: String?, body: String, tags: [String]?,
        editor: Int64, reason: String?, now: Date
    ) async throws {
        let kind = target.rawValue
        let number =
            (try await connection.rows("SELECT MAX(number) AS n FROM post_revisions WHERE target_type = \(kind) AND target_id = \(id)", logger)[0]["n"]
                .decode(Int32?.self) ?? 0) + 1
        try await connection.query(
            """
            INSERT INTO post_revisions (community_id, target_type, target_id, number, title, body, tags, editor_id, reason, created_at)
            VALUES (\(community), \(kind), \(id), \(number), \(title), \(body), \(tags.map(ForumSQL.json)), \(editor), \(reason), \(now))
            """, logger: logger)
    }

    /// A post stored before revisions were kept gets its text as first written recorded as revision 1.
    func recordOriginal(
        _ connection: PostgresConnection, _ target: VoteTarget, _ id: Int64, community: Int64, title: String?, body: String, tags: [String]?,
        author: Int64, at: Date
    ) async throws {
        let kind = target.rawValue
        guard try await connection.count("SELECT 1 FROM post_revisions WHERE target_type = \(kind) AND target_id = \(id)", logger) == 0 else { return }
        try await recordRevision(connection, target, id, community: community, title: title, body: body, tags: tags, editor: author, reason: nil, now: at)
    }

    public func setClosed(questionID: Int64, reason: CloseReason?, duplicateOf: Int64?, by actorID: Int64, audit: NewAuditEntry, now: Date)
        async throws -> (Question, AuditEntry)?
    {
        try await transaction { connection in
            guard try await connection.count("SELECT 1 FROM questions WHERE id = \(questionID) FOR UPDATE", self.logger) > 0,
                let before = try await connection.rows(Self.questionQuery(id: questionID), self.logger).first?.question()
            else { throw ConveneError.notFound("The question") }
            if (before.closedAt != nil) == (reason != nil) { return nil }
            let closedAt: Date? = reason == nil ? nil : now
            let closedBy: Int64? = reason == nil ? nil : actorID
            try await connection.query(
                """
                UPDATE questions SET closed_at = \(closedAt), closed_by = \(closedBy), close_reason = \(reason?.rawValue),
                                     duplicate_of = \(duplicateOf) WHERE id = \(questionID)
                """, logger: self.logger)
            let after = try await connection.rows(Self.questionQuery(id: questionID), self.logger)[0].question()
            var audit = audit
            audit.before = AuditChain.json(before)
            audit.after = AuditChain.json(after)
            return (after, try await self.appendAudit(connection, audit, now: now))
        }
    }

    /// A post a watched word holds: hidden, with an open review item naming the word.
    func hold(_ connection: PostgresConnection, _ target: VoteTarget, _ id: Int64, community: Int64, by word: String?, now: Date) async throws {
        guard let word else { return }
        try await connection.query("UPDATE \(unescaped: ForumSQL.table(target)) SET hidden_at = \(now) WHERE id = \(id)", logger: logger)
        _ = try await connection.query(
            Self.watchedWordItem(communityID: community, target: target == .question ? .question : .answer, id: id, word: word, now: now), logger: logger)
    }

    /// Stores a forum change's notifications with it; returns their ids.
    func notify(
        _ connection: PostgresConnection, _ notify: Notify, community: Int64, question: Int64, post: (type: UserNotification.PostType, id: Int64),
        actor: Int64, now: Date
    ) async throws -> [Int64] {
        var ids: [Int64] = []
        for (user, kind) in notify.sorted(by: { $0.key < $1.key }) where user != actor {
            ids.append(
                try await connection.rows(
                    """
                    INSERT INTO notifications (user_id, kind, community_id, question_id, post_type, post_id, actor_id, created_at)
                    VALUES (\(user), \(kind.rawValue), \(community), \(question), \(post.type.rawValue), \(post.id), \(actor), \(now)) RETURNING id
                    """, self.logger)[0]["id"].decode(Int64.self))
        }
        return ids
    }

    public func curate(answerID: Int64, outdated: Bool?, note: String?, reviewBy: Date??, by actorID: Int64, audit: NewAuditEntry, now: Date)
        async throws -> (Answer, AuditEntry)?
    {
        try await transaction { connection in
            guard try await connection.count("SELECT 1 FROM answers WHERE id = \(answerID) FOR UPDATE", self.logger) > 0,
                let before = try await connection.rows(Self.answerQuery(where: "a.id = $1", answerID), self.logger).first?.answer()
            else { throw ConveneError.notFound("The answer") }
            var after = before
            ForumSQL.curate(&after, outdated: outdated, note: note, reviewBy: reviewBy, by: actorID, now: now)
            if after == before { return nil }
            try await connection.query(
                """
                UPDATE answers SET outdated_at = \(after.outdatedAt), outdated_by = \(after.outdatedBy), outdated_note = \(after.outdatedNote),
                                   review_by = \(after.reviewBy) WHERE id = \(answerID)
                """, logger: self.logger)
            var audit = audit
            audit.before = AuditChain.json(before)
            audit.after = AuditChain.json(after)
            return (after, try await self.appendAudit(connection, audit, now: now))
        }
    }

    public func duplicates(of questionID: Int64) async throws -> [Question] {
        var bindings = PostgresBindings()
        bindings.append(questionID)
        return try await rows(PostgresQuery(unsafeSQL: "\(ForumSQL.questionSelect) WHERE q.duplicate_of = $1 ORDER BY q.id", binds: bindings))
            .map { try $0.question() }
    }

    public func createComment(on target: VoteTarget, id: Int64, authorID: Int64, body: String, bodyHTML: String, notify: Notify, now: Date)
        async throws -> (Comment, notifications: [Int64])
    {
        try await transaction { connection in
            var bindings = PostgresBindings()
            bindings.append(id)
            guard let owner = try await connection.rows(PostgresQuery(unsafeSQL: "\(ForumSQL.owner(target)) $1", binds: bindings), self.logger).first else {
                throw ConveneError.notFound(target == .question ? "The question" : "The answer")
            }
            let questionID = try owner["question_id"].decode(Int64.self)
            let communityID = try owner["community_id"].decode(Int64.self)
            let commentID = try await connection.rows(
                """
                INSERT INTO comments (community_id, question_id, target_type, target_id, author_id, body, body_html, created_at)
                VALUES (\(communityID), \(questionID), \(target.rawValue), \(id), \(authorID), \(body), \(bodyHTML), \(now)) RETURNING id
                """, self.logger)[0]["id"].decode(Int64.self)
            try await connection.query("UPDATE questions SET last_activity_at = \(now) WHERE id = \(questionID)", logger: self.logger)
            let notified = try await self.notify(
                connection, notify, community: communityID, question: questionID, post: (.comment, commentID), actor: authorID, now: now)
            var select = PostgresBindings()
            select.append(commentID)
            return (
                try await connection.rows(PostgresQuery(unsafeSQL: "\(ForumSQL.commentSelect) WHERE c.id = $1", binds: select), self.logger)[0].comment(),
                notified
            )
        }
    }

    public func comments(questionID: Int64) async throws -> [Comment] {
        var bindings = PostgresBindings()
        bindings.append(questionID)
        return try await rows(PostgresQuery(unsafeSQL: "\(ForumSQL.commentSelect) WHERE c.question_id = $1 ORDER BY c.id", binds: bindings))
            .map { try $0.comment() }
    }

    public func setAccepted(questionID: Int64, answerID: Int64?, by actorID: Int64, audit: NewAuditEntry, notify: Notify, now: Date) async throws
        -> (Question, AuditEntry, notifications: [Int64])?
    {
        try await transaction { connection in
            guard try await connection.count("SELECT 1 FROM questions WHERE id = \(questionID) FOR UPDATE", self.logger) > 0,
                let before = try await connection.rows(Self.questionQuery(id: questionID), self.logger).first?.question()
            else { throw ConveneError.notFound("The question") }
            if before.acceptedAnswerID == answerID { return nil }
            try await connection.query(
                "UPDATE answers SET accepted_at = NULL, accepted_by = NULL WHERE question_id = \(questionID)", logger: self.logger)
            if let answerID {
                try await connection.query(
                    "UPDATE answers SET accepted_at = \(now), accepted_by = \(actorID) WHERE id = \(answerID)", logger: self.logger)
            }
            try await connection.query(
                "UPDATE questions SET accepted_answer_id = \(answerID), last_activity_at = \(now) WHERE id = \(questionID)", logger: self.logger)
            let after = try await connection.rows(Self.questionQuery(id: questionID), self.logger)[0].question()
            var audit = audit
            audit.before = AuditChain.json(before)
            audit.after = AuditChain.json(after)
            let entry = try await self.appendAudit(connection, audit, now: now)
            var notified: [Int64] = []
            if let answerID {
                notified = try await self.notify(
                    connection, notify, community: after.communityID, question: questionID, post: (.answer, answerID), actor: actorID, now: now)
            }
            return (after, entry, notified)
        }
    }

    static func questionQuery(id: Int64) -> PostgresQuery {
        var bindings = PostgresBindings()
        bindings.append(id)
        return PostgresQuery(unsafeSQL: "\(ForumSQL.questionSelect) WHERE q.id = $1", binds: bindings)
    }

    static func answerQuery(where condition: String, _ id: Int64) -> PostgresQuery {
        var bindings = PostgresBindings()
        bindings.append(id)
        return PostgresQuery(unsafeSQL: "\(ForumSQL.answerSelect) WHERE \(condition)", binds: bindings)
    }
}

extension PostgresRandomAccessRow {
    func comment() throws -> Comment {
        Comment(
            id: try self["id"].decode(Int64.self), questionID: try self["question_id"].decode(Int64.self),
            targetType: VoteTarget(rawValue: try self["target_type"].decode(String.self)) ?? .question, targetID: try self["target_id"].decode(Int64.self),
            authorID: try self["author_id"].decode(Int64.self), authorName: try self["author_name"].decode(String.self),
            body: try self["body"].decode(String.self), bodyHTML: try self["body_html"].decode(String.self),
            createdAt: try self["created_at"].decode(Date.self))
    }

    func question() throws -> Question {
        Question(
            id: try self["id"].decode(Int64.self), communityID: try self["community_id"].decode(Int64.self),
            authorID: try self["author_id"].decode(Int64.self), authorName: try self["author_name"].decode(String.self),
            title: try self["title"].decode(String.self), body: try self["body"].decode(String.self), bodyHTML: try self["body_html"].decode(String.self),
            tags: ForumSQL.tags(fromJSON: try self["tags"].decode(String.self)), score: Int(try self["score"].decode(Int32.self)),
            answerCount: Int(try self["answer_count"].decode(Int32.self)), acceptedAnswerID: try self["accepted_answer_id"].decode(Int64?.self),
            createdAt: try self["created_at"].decode(Date.self), lastActivityAt: try self["last_activity_at"].decode(Date.self),
            closedAt: try self["closed_at"].decode(Date?.self), closedBy: try self["closed_by"].decode(Int64?.self),
            closeReason: try self["close_reason"].decode(String?.self).flatMap(CloseReason.init), duplicateOf: try self["duplicate_of"].decode(Int64?.self),
            sourceMessageID: try self["source_message_id"].decode(Int64?.self), sourceChannelID: try self["source_channel_id"].decode(Int64?.self),
            sourceOccurrence: try self["source_occurrence"].decode(String?.self), hiddenAt: try self["hidden_at"].decode(Date?.self))
    }

    func answer() throws -> Answer {
        Answer(
            id: try self["id"].decode(Int64.self), questionID: try self["question_id"].decode(Int64.self),
            communityID: try self["community_id"].decode(Int64.self), authorID: try self["author_id"].decode(Int64.self),
            authorName: try self["author_name"].decode(String.self), body: try self["body"].decode(String.self),
            bodyHTML: try self["body_html"].decode(String.self), score: Int(try self["score"].decode(Int32.self)),
            createdAt: try self["created_at"].decode(Date.self), acceptedAt: try self["accepted_at"].decode(Date?.self),
            acceptedBy: try self["accepted_by"].decode(Int64?.self), outdatedAt: try self["outdated_at"].decode(Date?.self),
            outdatedBy: try self["outdated_by"].decode(Int64?.self), outdatedNote: try self["outdated_note"].decode(String?.self),
            reviewBy: try self["review_by"].decode(Date?.self), hiddenAt: try self["hidden_at"].decode(Date?.self))
    }
}
