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
    public init(
        id: Int64, channelID: Int64, communityID: Int64, seq: Int64, authorID: Int64, authorName: String, body: String, bodyHTML: String,
        threadID: Int64?, replyCount: Int, createdAt: Date, editedAt: Date?, deleted: Bool
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

    /// - Parameters:
    ///   - channelID: target channel.
    ///   - authorID: the sender.
    ///   - body: validated markdown.
    ///   - bodyHTML: its rendering.
    ///   - threadID: thread root, if a reply.
    ///   - nonce: idempotency key.
    public init(channelID: Int64, authorID: Int64, body: String, bodyHTML: String, threadID: Int64?, nonce: String) {
        self.channelID = channelID
        self.authorID = authorID
        self.body = body
        self.bodyHTML = bodyHTML
        self.threadID = threadID
        self.nonce = nonce
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

    public var messageID: Int64 {
        switch self {
        case .edit(let id, _, _, _), .delete(let id, _): id
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
