import ConveneCore
import Foundation

/// The parts of the forum's queries both adapters share, so a list means the same on each.
enum ForumSQL {
    static let questionSelect = "SELECT q.*, u.display_name AS author_name FROM questions q JOIN users u ON u.id = q.author_id"
    static let answerSelect = "SELECT a.*, u.display_name AS author_name FROM answers a JOIN users u ON u.id = a.author_id"
    static let revisionSelect = "SELECT r.*, u.display_name AS editor_name FROM post_revisions r JOIN users u ON u.id = r.editor_id"
    static let commentSelect = "SELECT c.*, u.display_name AS author_name FROM comments c JOIN users u ON u.id = c.author_id"
    /// The question a comment's target belongs to, and its community.
    static func owner(_ target: VoteTarget) -> String {
        target == .question ? "SELECT id AS question_id, community_id FROM questions WHERE id = " : "SELECT question_id, community_id FROM answers WHERE id = "
    }
    /// Accepted first, then by score, then oldest.
    static let answerOrder = "ORDER BY (a.accepted_at IS NULL), a.score DESC, a.id"

    /// Lists, search, feeds and the knowledge base leave hidden questions out.
    static func condition(_ filter: QuestionFilter) -> String {
        "AND q.hidden_at IS NULL " + filterCondition(filter)
    }

    private static func filterCondition(_ filter: QuestionFilter) -> String {
        switch filter {
        case .all: ""
        case .unanswered: "AND q.answer_count = 0"
        case .unsolved: "AND q.accepted_answer_id IS NULL"
        case .solved: "AND q.accepted_answer_id IS NOT NULL"
        }
    }

    static func order(_ sort: QuestionSort) -> String {
        switch sort {
        case .activity: "ORDER BY q.last_activity_at DESC, q.id DESC"
        case .votes: "ORDER BY q.score DESC, q.id DESC"
        case .newest: "ORDER BY q.id DESC"
        }
    }

    static func json(_ tags: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(tags)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func tags(fromJSON json: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
    }

    /// Applies a curation to an answer as both stores store it: marking outdated keeps the first
    /// mark's time unless the note changes; clearing drops mark and note.
    static func curate(_ answer: inout Answer, outdated: Bool?, note: String?, reviewBy: Date??, by actorID: Int64, now: Date) {
        switch outdated {
        case true?:
            if answer.outdatedAt == nil || answer.outdatedNote != note {
                answer.outdatedAt = AuditEntry.millisecondTime(now)
                answer.outdatedBy = actorID
                answer.outdatedNote = note
            }
        case false?:
            answer.outdatedAt = nil
            answer.outdatedBy = nil
            answer.outdatedNote = nil
        case nil:
            break
        }
        if let reviewBy { answer.reviewBy = reviewBy }
    }

    /// An open review item for a watched word (the word kept when one is open already).
    static let watchedWordItem = """
        INSERT INTO review_items (community_id, target_type, target_id, created_at, watched_word) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (target_type, target_id) WHERE state = 'open' DO UPDATE SET watched_word = EXCLUDED.watched_word
        """

    /// A thread promoted twice.
    static func promotedAlready(_ question: Int64) -> ConveneError {
        ConveneError(.conflict, "This thread became question \(question) already.")
    }

    static func carriedAlready(_ question: Int64) -> ConveneError {
        ConveneError(.conflict, "This call question became question \(question) already.")
    }

    /// The columns a question's source fills: thread message and channel, call occurrence and question.
    static func columns(_ source: QuestionSource?) -> (message: Int64?, channel: Int64?, occurrence: String?, callQuestion: Int?) {
        switch source {
        case .thread(let message): (message.id, message.channelID, nil, nil)
        case .call(let occurrence, let question): (nil, nil, occurrence, question)
        case nil: (nil, nil, nil, nil)
        }
    }

    /// The post's own table, for hiding.
    static func hide(_ target: VoteTarget, hidden: Bool) -> String {
        "UPDATE \(table(target)) SET hidden_at = \(hidden ? "?" : "NULL"), hidden_by = \(hidden ? "?" : "NULL") WHERE id = ? AND hidden_at IS \(hidden ? "" : "NOT ")NULL"
    }

    /// The table a vote's target lives in.
    static func table(_ target: VoteTarget) -> String {
        target == .question ? "questions" : "answers"
    }
}
