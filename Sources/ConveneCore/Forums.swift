public import Foundation

/// A question in a community's Q&A forum.
public struct Question: Sendable, Hashable, Codable {
    public var id: Int64
    public var communityID: Int64
    public var authorID: Int64
    public var authorName: String
    public var title: String
    public var body: String
    public var bodyHTML: String
    /// 1–5 of the community's tag slugs.
    public var tags: [String]
    /// The sum of its votes.
    public var score: Int
    public var answerCount: Int
    public var acceptedAnswerID: Int64?
    public var createdAt: Date
    /// The latest question, answer or accept.
    public var lastActivityAt: Date
    /// Closed by a moderator: no new answers or comments until reopened.
    public var closedAt: Date?
    public var closedBy: Int64?
    public var closeReason: CloseReason?
    /// The canonical question, when closed as its duplicate.
    public var duplicateOf: Int64?
    /// The channel thread it was promoted from: its first message and channel.
    public var sourceMessageID: Int64?
    public var sourceChannelID: Int64?
    /// The call it was asked in and left unanswered (the occurrence's id).
    public var sourceOccurrence: String?
    /// Hidden by flags or a moderator: only moderators and its author see it.
    public var hiddenAt: Date?

    public init(
        id: Int64, communityID: Int64, authorID: Int64, authorName: String, title: String, body: String, bodyHTML: String, tags: [String], score: Int,
        answerCount: Int, acceptedAnswerID: Int64?, createdAt: Date, lastActivityAt: Date, closedAt: Date? = nil, closedBy: Int64? = nil,
        closeReason: CloseReason? = nil, duplicateOf: Int64? = nil, sourceMessageID: Int64? = nil, sourceChannelID: Int64? = nil,
        sourceOccurrence: String? = nil, hiddenAt: Date? = nil
    ) {
        self.id = id
        self.communityID = communityID
        self.authorID = authorID
        self.authorName = authorName
        self.title = title
        self.body = body
        self.bodyHTML = bodyHTML
        self.tags = tags
        self.score = score
        self.answerCount = answerCount
        self.acceptedAnswerID = acceptedAnswerID
        self.createdAt = createdAt
        self.lastActivityAt = lastActivityAt
        self.closedAt = closedAt
        self.closedBy = closedBy
        self.closeReason = closeReason
        self.duplicateOf = duplicateOf
        self.sourceMessageID = sourceMessageID
        self.sourceChannelID = sourceChannelID
        self.sourceOccurrence = sourceOccurrence
        self.hiddenAt = hiddenAt
    }
}

/// Why a question was closed.
public enum CloseReason: String, Sendable, Codable, CaseIterable {
    /// Asked before: `duplicate_of` names the canonical question.
    case duplicate
    case offTopic = "off_topic"
    case resolvedElsewhere = "resolved_elsewhere"
}

/// A member watching a community's forum, one of its tags, or a question: told of new questions
/// (forum, tag) or new answers (question).
public struct ForumWatch: Sendable, Hashable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case forum, tag, question
    }

    public var id: Int64
    public var userID: Int64
    public var communityID: Int64
    public var kind: Kind
    public var questionID: Int64?
    public var tag: String?
    public var createdAt: Date

    public init(id: Int64, userID: Int64, communityID: Int64, kind: Kind, questionID: Int64?, tag: String?, createdAt: Date) {
        self.id = id
        self.userID = userID
        self.communityID = communityID
        self.kind = kind
        self.questionID = questionID
        self.tag = tag
        self.createdAt = createdAt
    }
}

/// An accepted answer with its question: an entry of the knowledge base.
public struct KnowledgeEntry: Sendable, Hashable {
    public var question: Question
    public var answer: Answer
    /// Who accepted it.
    public var acceptedByName: String

    public init(question: Question, answer: Answer, acceptedByName: String) {
        self.question = question
        self.answer = answer
        self.acceptedByName = acceptedByName
    }
}

/// An answer to a question.
public struct Answer: Sendable, Hashable, Codable {
    public var id: Int64
    public var questionID: Int64
    public var communityID: Int64
    public var authorID: Int64
    public var authorName: String
    public var body: String
    public var bodyHTML: String
    public var score: Int
    public var createdAt: Date
    /// When it was accepted, and by whom (the asker or a moderator); nil when it is not the accepted one.
    public var acceptedAt: Date?
    public var acceptedBy: Int64?
    /// Marked outdated by a moderator (an accepted answer that no longer holds), with why.
    public var outdatedAt: Date?
    public var outdatedBy: Int64?
    public var outdatedNote: String?
    /// When a moderator wants it looked at again.
    public var reviewBy: Date?
    /// Hidden by flags or a moderator: its text only for moderators and its author.
    public var hiddenAt: Date?

    public init(
        id: Int64, questionID: Int64, communityID: Int64, authorID: Int64, authorName: String, body: String, bodyHTML: String, score: Int,
        createdAt: Date, acceptedAt: Date? = nil, acceptedBy: Int64? = nil, outdatedAt: Date? = nil, outdatedBy: Int64? = nil,
        outdatedNote: String? = nil, reviewBy: Date? = nil, hiddenAt: Date? = nil
    ) {
        self.id = id
        self.questionID = questionID
        self.communityID = communityID
        self.authorID = authorID
        self.authorName = authorName
        self.body = body
        self.bodyHTML = bodyHTML
        self.score = score
        self.createdAt = createdAt
        self.acceptedAt = acceptedAt
        self.acceptedBy = acceptedBy
        self.outdatedAt = outdatedAt
        self.outdatedBy = outdatedBy
        self.outdatedNote = outdatedNote
        self.reviewBy = reviewBy
        self.hiddenAt = hiddenAt
    }
}

/// A short comment on a question or an answer.
public struct Comment: Sendable, Hashable, Codable {
    public var id: Int64
    public var questionID: Int64
    public var targetType: VoteTarget
    public var targetID: Int64
    public var authorID: Int64
    public var authorName: String
    public var body: String
    public var bodyHTML: String
    public var createdAt: Date

    public init(
        id: Int64, questionID: Int64, targetType: VoteTarget, targetID: Int64, authorID: Int64, authorName: String, body: String, bodyHTML: String,
        createdAt: Date
    ) {
        self.id = id
        self.questionID = questionID
        self.targetType = targetType
        self.targetID = targetID
        self.authorID = authorID
        self.authorName = authorName
        self.body = body
        self.bodyHTML = bodyHTML
        self.createdAt = createdAt
    }
}

/// Which questions a list shows.
public enum QuestionFilter: String, Sendable, CaseIterable {
    case all
    /// No answers yet.
    case unanswered
    /// No accepted answer.
    case unsolved
    /// An accepted answer.
    case solved
}

/// How a list is ordered.
public enum QuestionSort: String, Sendable, CaseIterable {
    /// Latest activity first.
    case activity
    /// Highest score first.
    case votes
    /// Newest first.
    case newest
}

/// What is voted on.
public enum VoteTarget: String, Sendable, Codable, CaseIterable {
    case question
    case answer
}

extension Validation {
    /// A question's title: 1–200 characters once trimmed, no control characters.
    public static func questionTitle(_ raw: String, field: String = "title") throws(ConveneError) -> String {
        let title = raw.trimmingWhitespace()
        guard (1...200).contains(title.count) else { throw .invalid(field, "A title is 1–200 characters.") }
        guard !title.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalid(field, "A title cannot contain control characters.")
        }
        return title
    }

    /// A question's or answer's body: 1–50 000 characters once trimmed.
    public static func postBody(_ raw: String, field: String = "body") throws(ConveneError) -> String {
        let body = raw.trimmingWhitespace()
        guard !body.isEmpty else { throw .invalid(field, "Write something.") }
        guard body.count <= 50_000 else { throw .invalid(field, "A post has at most 50000 characters.") }
        return body
    }

    /// 1–5 distinct tags, each one of the community's.
    public static func questionTags(_ raw: [String], allowed: Set<String>, field: String = "tags") throws(ConveneError) -> [String] {
        var tags: [String] = []
        for tag in raw.map({ $0.trimmingWhitespace().lowercased() }) where !tags.contains(tag) { tags.append(tag) }
        guard (1...5).contains(tags.count) else { throw .invalid(field, "Give 1–5 tags.") }
        if let unknown = tags.first(where: { !allowed.contains($0) }) {
            throw .invalid(field, "“\(unknown)” is not one of this community's tags: \(allowed.sorted().joined(separator: ", ")).")
        }
        return tags
    }

    /// A comment: 1–2 000 characters once trimmed.
    public static func commentBody(_ raw: String, field: String = "body") throws(ConveneError) -> String {
        let body = raw.trimmingWhitespace()
        guard (1...2_000).contains(body.count) else { throw .invalid(field, "A comment is 1–2000 characters.") }
        return body
    }

    /// A vote: −1, 0 (taking one's vote back) or +1.
    public static func vote(_ value: Int, field: String = "value") throws(ConveneError) -> Int {
        guard (-1...1).contains(value) else { throw .invalid(field, "value must be -1, 0 or 1.") }
        return value
    }
}

/// One version of a question or answer: the first as posted, then one per edit or rollback.
public struct PostRevision: Sendable, Hashable, Codable {
    /// 1 for the post as first written.
    public var number: Int
    /// The title, for a question.
    public var title: String?
    public var body: String
    /// The tags, for a question.
    public var tags: [String]?
    public var editorID: Int64
    public var editorName: String
    public var reason: String?
    public var createdAt: Date

    public init(
        number: Int, title: String?, body: String, tags: [String]?, editorID: Int64, editorName: String, reason: String?, createdAt: Date
    ) {
        self.number = number
        self.title = title
        self.body = body
        self.tags = tags
        self.editorID = editorID
        self.editorName = editorName
        self.reason = reason
        self.createdAt = createdAt
    }
}

/// An edit about to be stored: the new text (and, for a question, title and tags).
public struct PostEdit: Sendable, Hashable {
    public var title: String?
    public var body: String
    public var bodyHTML: String
    public var tags: [String]?
    public var editorID: Int64
    public var reason: String?

    public init(title: String?, body: String, bodyHTML: String, tags: [String]?, editorID: Int64, reason: String?) {
        self.title = title
        self.body = body
        self.bodyHTML = bodyHTML
        self.tags = tags
        self.editorID = editorID
        self.reason = reason
    }
}
