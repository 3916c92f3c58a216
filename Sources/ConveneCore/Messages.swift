public import Foundation

/// A chat message as stored and shown. A deleted message keeps its place (seq) with no body.
public struct Message: Sendable, Hashable, Codable {
    public var id: Int64
    public var channelID: Int64
    public var communityID: Int64
    /// The sequence number of the event that created it.
    public var seq: Int64
    public var authorID: Int64
    public var authorName: String
    public var body: String
    public var bodyHTML: String
    public var threadID: Int64?
    public var replyCount: Int
    public var createdAt: Date
    public var editedAt: Date?
    public var deleted: Bool
    /// Reactions, each emoji once with who gave it, ordered by the earliest reaction still given.
    public var reactions: [Reaction]
    /// When a moderator pinned it to its channel (nil when not pinned).
    public var pinnedAt: Date?
    /// Hidden pending review (by members' flags or a moderator): it keeps its place, and readers see
    /// that it is hidden but not its text. The store keeps the text for the reviewers.
    public var hidden: Bool

    /// - Parameters:
    ///   - id: row id.
    ///   - channelID: its channel.
    ///   - communityID: the channel's community.
    ///   - seq: the channel sequence number of its creation.
    ///   - authorID: who wrote it.
    ///   - authorName: the author's display name.
    ///   - body: markdown source (empty once deleted).
    ///   - bodyHTML: rendered, safe HTML.
    ///   - threadID: the thread root it replies to.
    ///   - replyCount: replies in its thread, for a root.
    ///   - createdAt: when it was committed.
    ///   - editedAt: last edit.
    ///   - deleted: whether it was deleted.
    ///   - reactions: its reactions.
    ///   - pinnedAt: when it was pinned.
    ///   - hidden: whether it is hidden pending review.
    public init(
        id: Int64, channelID: Int64, communityID: Int64, seq: Int64, authorID: Int64, authorName: String, body: String, bodyHTML: String,
        threadID: Int64?, replyCount: Int, createdAt: Date, editedAt: Date?, deleted: Bool, reactions: [Reaction] = [], pinnedAt: Date? = nil,
        hidden: Bool = false
    ) {
        self.id = id
        self.channelID = channelID
        self.communityID = communityID
        self.seq = seq
        self.authorID = authorID
        self.authorName = authorName
        self.body = body
        self.bodyHTML = bodyHTML
        self.threadID = threadID
        self.replyCount = replyCount
        self.createdAt = createdAt
        self.editedAt = editedAt
        self.deleted = deleted
        self.reactions = reactions
        self.pinnedAt = pinnedAt
        self.hidden = hidden
    }
}

/// One emoji on a message and who reacted with it.
public struct Reaction: Sendable, Hashable, Codable {
    public var emoji: String
    public var users: [Int64]
    public var count: Int { users.count }

    public init(emoji: String, users: [Int64]) {
        self.emoji = emoji
        self.users = users
    }

    /// At most this many different emoji on one message.
    public static let distinctLimit = 20

    /// The reactions of a message from its (emoji, user) rows in the order they were given:
    /// each emoji once, in order of first use, with its users in order.
    public static func summarize(_ given: [(emoji: String, userID: Int64)]) -> [Reaction] {
        var reactions: [Reaction] = []
        var index: [String: Int] = [:]
        for (emoji, user) in given {
            if let at = index[emoji] {
                reactions[at].users.append(user)
            } else {
                index[emoji] = reactions.count
                reactions.append(Reaction(emoji: emoji, users: [user]))
            }
        }
        return reactions
    }
}

/// Where a user has read up to in a channel, and how many messages from others lie beyond it.
public struct ReadState: Sendable, Hashable {
    /// The last seq the user marked read (0 when never).
    public var readSeq: Int64
    /// Messages by others after `readSeq`, not deleted. With no marker, those since the user
    /// joined the community: older history does not count as unread.
    public var unread: Int

    public init(readSeq: Int64, unread: Int) {
        self.readSeq = readSeq
        self.unread = unread
    }
}

/// A message about to be appended to a channel.
public struct NewMessage: Sendable, Hashable {
    public var channelID: Int64
    public var authorID: Int64
    public var body: String
    public var bodyHTML: String
    public var threadID: Int64?
    /// The client's idempotency key: the same author and nonce give the same message.
    public var nonce: String
    /// Users the message mentions who may read it: each gets a notification, stored with it.
    public var mentions: [Int64]

    /// - Parameters:
    ///   - channelID: target channel.
    ///   - authorID: the sender.
    ///   - body: validated markdown.
    ///   - bodyHTML: its rendering.
    ///   - threadID: thread root, if a reply.
    ///   - nonce: idempotency key.
    ///   - mentions: users to notify.
    public init(channelID: Int64, authorID: Int64, body: String, bodyHTML: String, threadID: Int64?, nonce: String, mentions: [Int64] = []) {
        self.channelID = channelID
        self.authorID = authorID
        self.body = body
        self.bodyHTML = bodyHTML
        self.threadID = threadID
        self.nonce = nonce
        self.mentions = mentions
    }
}

/// Something that happened for one user: a mention in a channel or a forum, or news of a
/// question, answer, comment or accept the user watches or wrote.
public struct UserNotification: Sendable, Hashable {
    public enum Kind: String, Sendable, Codable {
        /// Named with @ in a message, question, answer or comment.
        case mention
        /// A new question in a forum or tag the user watches.
        case newQuestion = "new_question"
        /// A new answer to a question the user watches.
        case newAnswer = "new_answer"
        /// A comment on the user's question or answer.
        case comment
        /// The user's answer was accepted.
        case accepted
        /// A channel thread the user took part in became a question.
        case promoted
        /// A call the user answered going or maybe starts within a day.
        case reminderDay = "reminder_day"
        /// … within an hour.
        case reminderHour = "reminder_hour"
        /// A place freed up at a call the user was waiting for: they are going now.
        case movedUp = "rsvp_moved_up"
    }

    /// The call a reminder is about.
    public struct Call: Sendable, Hashable {
        public var seriesID: Int64
        public var occurrenceID: String
        public var title: String

        public init(seriesID: Int64, occurrenceID: String, title: String) {
            self.seriesID = seriesID
            self.occurrenceID = occurrenceID
            self.title = title
        }
    }

    /// A forum post a notification is about.
    public struct Post: Sendable, Hashable {
        public var type: PostType
        public var id: Int64
        public var questionID: Int64
        public var questionTitle: String

        public init(type: PostType, id: Int64, questionID: Int64, questionTitle: String) {
            self.type = type
            self.id = id
            self.questionID = questionID
            self.questionTitle = questionTitle
        }
    }

    public enum PostType: String, Sendable, Codable {
        case question, answer, comment
    }

    public var id: Int64
    public var userID: Int64
    public var kind: Kind
    public var communityID: Int64
    /// The message, for a notification from a channel.
    public var channelID: Int64?
    public var messageID: Int64?
    public var messageSeq: Int64?
    /// The post, for a notification from a forum.
    public var post: Post?
    /// The call, for a reminder.
    public var call: Call?
    /// The start of the message or post as it is now (empty once deleted or hidden).
    public var excerpt: String
    /// Who caused it; nil for the server's own (reminders).
    public var actorID: Int64?
    public var actorName: String?
    public var createdAt: Date
    public var readAt: Date?

    public init(
        id: Int64, userID: Int64, kind: Kind, communityID: Int64, channelID: Int64?, messageID: Int64?, messageSeq: Int64?, post: Post? = nil,
        call: Call? = nil, excerpt: String, actorID: Int64?, actorName: String?, createdAt: Date, readAt: Date?
    ) {
        self.id = id
        self.userID = userID
        self.kind = kind
        self.communityID = communityID
        self.channelID = channelID
        self.messageID = messageID
        self.messageSeq = messageSeq
        self.post = post
        self.call = call
        self.excerpt = excerpt
        self.actorID = actorID
        self.actorName = actorName
        self.createdAt = createdAt
        self.readAt = readAt
    }

    /// How much of the message a notification shows.
    public static let excerptLength = 200

    public static func excerpt(of body: String) -> String {
        body.count <= excerptLength ? body : String(body.prefix(excerptLength - 1)) + "…"
    }
}

/// What appending one message came to, inside a batch committed together.
public enum AppendOutcome: Sendable, Equatable {
    /// Stored now, with the channel's next seq.
    case created(Message)
    /// The author already used this nonce: the original message.
    case duplicate(Message)
    /// Refused without effect (for example a thread root from another channel).
    case rejected(ConveneError)
}

/// A change to a stored message; each takes the channel's next seq.
public enum MessageChange: Sendable, Hashable {
    case edit(messageID: Int64, editorID: Int64, body: String, bodyHTML: String)
    case delete(messageID: Int64, deletedBy: Int64)
    /// Adds (`on`) or takes back a user's reaction.
    case react(messageID: Int64, userID: Int64, emoji: String, on: Bool)
    /// Pins or unpins a message in its channel.
    case pin(messageID: Int64, by: Int64, pinned: Bool)
    /// Hides a message pending review, or shows it again; `by` is nil when members' flags hid it.
    case hide(messageID: Int64, by: Int64?, hidden: Bool)

    public var messageID: Int64 {
        switch self {
        case .edit(let id, _, _, _), .delete(let id, _), .react(let id, _, _, _), .pin(let id, _, _), .hide(let id, _, _): id
        }
    }
}

/// An earlier text of a message, kept when it was edited or deleted.
public struct MessageRevision: Sendable, Hashable, Codable {
    public var body: String
    public var replacedAt: Date
    public var replacedBy: Int64

    /// - Parameters:
    ///   - body: the text as it was.
    ///   - replacedAt: when it was edited away or deleted.
    ///   - replacedBy: who did it.
    public init(body: String, replacedAt: Date, replacedBy: Int64) {
        self.body = body
        self.replacedAt = replacedAt
        self.replacedBy = replacedBy
    }
}

/// One entry of a channel's ordered, gap-free event log.
public struct ChannelEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Codable {
        case messageCreated = "message.created"
        case messageEdited = "message.edited"
        case messageDeleted = "message.deleted"
        case reactionChanged = "reaction.changed"
        case messagePinned = "message.pinned"
        case messageUnpinned = "message.unpinned"
        case messageHidden = "message.hidden"
        case messageUnhidden = "message.unhidden"
    }

    public var channelID: Int64
    public var seq: Int64
    public var kind: Kind
    /// The message as it is now (a deleted one has no body).
    public var message: Message
    public var createdAt: Date

    /// - Parameters:
    ///   - channelID: the channel.
    ///   - seq: its position, from 1 with no gaps.
    ///   - kind: what happened.
    ///   - message: the message concerned.
    ///   - createdAt: commit time.
    public init(channelID: Int64, seq: Int64, kind: Kind, message: Message, createdAt: Date) {
        self.channelID = channelID
        self.seq = seq
        self.kind = kind
        self.message = message
        self.createdAt = createdAt
    }
}

extension Validation {
    /// A message body: 1–8 000 characters once trimmed.
    public static func messageBody(_ raw: String, field: String = "body") throws(ConveneError) -> String {
        let body = raw.trimmingWhitespace()
        guard !body.isEmpty else { throw .invalid(field, "A message needs some text.") }
        guard body.count <= 8_000 else { throw .invalid(field, "A message has at most 8000 characters.") }
        return body
    }

    /// A reaction: one emoji (a single grapheme shown as an emoji), or a `:short_name:` of 1–32
    /// lower-case letters, digits, `_`, `+` and `-` for custom ones.
    public static func emoji(_ raw: String, field: String = "emoji") throws(ConveneError) -> String {
        if raw.count == 1, let character = raw.first {
            let scalars = character.unicodeScalars
            let shownAsEmoji =
                scalars.contains { $0.properties.isEmojiPresentation }
                || (scalars.contains { $0.properties.isEmoji } && scalars.contains { $0.value == 0xFE0F || $0.value == 0x20E3 })
            if shownAsEmoji { return raw }
        }
        let name = raw.utf8.dropFirst().dropLast()
        let allowed = name.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F || $0 == 0x2B || $0 == 0x2D
        }
        if raw.hasPrefix(":"), raw.hasSuffix(":"), (1...32).contains(name.count), allowed { return raw }
        throw .invalid(field, "emoji must be one emoji, or a :short_name: of lower-case letters, digits, _, + and -.")
    }

    /// A search: 1–200 characters holding 1–10 words (runs of letters and digits), lower-cased.
    /// Punctuation separates words and is otherwise ignored, so no input is a syntax error.
    public static func searchTerms(_ raw: String, field: String = "q") throws(ConveneError) -> [String] {
        guard raw.count <= 200 else { throw .invalid(field, "A search has at most 200 characters.") }
        let words = raw.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
        guard !words.isEmpty else { throw .invalid(field, "Search for at least one word.") }
        guard words.count <= 10 else { throw .invalid(field, "Search for at most 10 words.") }
        return words
    }

    /// An idempotency key: 1–128 visible ASCII characters.
    public static func nonce(_ raw: String, field: String = "nonce") throws(ConveneError) -> String {
        guard !raw.isEmpty, raw.utf8.count <= 128, raw.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .invalid(field, "\(field) must be 1–128 visible ASCII characters.")
        }
        return raw
    }

    /// A channel name: 1–40 of a-z, 0-9 and '-'.
    public static func channelName(_ raw: String, field: String = "name") throws(ConveneError) -> String {
        let name = raw.trimmingWhitespace().lowercased()
        let allowed = name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
        guard !name.isEmpty, name.utf8.count <= 40, allowed else {
            throw .invalid(field, "A channel name is 1–40 lower-case letters, digits and dashes.")
        }
        return name
    }

    /// A topic: at most 250 characters, no control characters.
    public static func topic(_ raw: String, field: String = "topic") throws(ConveneError) -> String {
        let topic = raw.trimmingWhitespace()
        guard topic.count <= 250 else { throw .invalid(field, "A topic has at most 250 characters.") }
        guard !topic.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalid(field, "A topic cannot contain control characters.")
        }
        return topic
    }
}
