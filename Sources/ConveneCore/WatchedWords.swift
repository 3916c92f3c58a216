public import Foundation

/// What a watched word does to a message that holds it.
public enum WatchedAction: String, Sendable, Codable, CaseIterable {
    /// The message is refused (`422`, field `body`), naming the word.
    case block
    /// The message waits for a moderator's approval before anyone sees it.
    case approve
    /// The message is posted and put in the review queue.
    case flag
    /// The word is replaced by ■ marks in the stored text.
    case censor
}

/// A word or phrase a community watches for. `*` stands for any letters or digits within a word
/// (`spam*` watches "spammer" too); matching ignores case and never matches inside a longer word.
public struct WatchedWord: Sendable, Hashable, Codable {
    public var id: Int64
    public var communityID: Int64
    public var pattern: String
    public var action: WatchedAction
    public var createdBy: Int64
    public var createdAt: Date

    public init(id: Int64, communityID: Int64, pattern: String, action: WatchedAction, createdBy: Int64, createdAt: Date) {
        self.id = id
        self.communityID = communityID
        self.pattern = pattern
        self.action = action
        self.createdBy = createdBy
        self.createdAt = createdAt
    }
}

/// What the watched words make of a message.
public struct Screening: Sendable, Hashable {
    /// The text to store: censored words replaced.
    public var body: String
    /// The first blocking word found; the message is refused.
    public var blockedBy: WatchedWord?
    /// The first word that holds the message for approval.
    public var heldBy: WatchedWord?
    /// The first word that flags the message for review.
    public var flaggedBy: WatchedWord?

    public init(body: String, blockedBy: WatchedWord? = nil, heldBy: WatchedWord? = nil, flaggedBy: WatchedWord? = nil) {
        self.body = body
        self.blockedBy = blockedBy
        self.heldBy = heldBy
        self.flaggedBy = flaggedBy
    }
}

public enum WatchedWords {
    /// A pattern as stored: trimmed, lower-cased, inner spaces folded; 1–100 characters of letters,
    /// digits, spaces, `'`, `-`, `.` and `*`, with at least one letter or digit.
    public static func pattern(_ raw: String, field: String = "word") throws(ConveneError) -> String {
        let words = raw.lowercased().split(whereSeparator: \.isWhitespace)
        let pattern = words.joined(separator: " ")
        guard (1...100).contains(pattern.count) else { throw .invalid(field, "A watched word is 1–100 characters.") }
        guard pattern.allSatisfy({ $0.isLetter || $0.isNumber || " '-.*".contains($0) }) else {
            throw .invalid(field, "A watched word holds letters, digits, spaces, ', -, . and * (any letters within a word).")
        }
        guard pattern.contains(where: { $0.isLetter || $0.isNumber }) else { throw .invalid(field, "A watched word needs a letter or a digit.") }
        return pattern
    }

    /// Where `pattern` stands in `text` as a whole word or phrase, ignoring case.
    public static func ranges(of pattern: String, in text: String) -> [Range<String.Index>] {
        let wordCharacter = "[\\p{L}\\p{N}]"
        let body = pattern.map { $0 == "*" ? "\(wordCharacter)*" : NSRegularExpression.escapedPattern(for: String($0)) }.joined()
        guard let expression = try? NSRegularExpression(pattern: "(?<!\(wordCharacter))\(body)(?!\(wordCharacter))", options: [.caseInsensitive])
        else { return [] }
        return expression.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { Range($0.range, in: text) }
    }

    /// Applies a community's watched words to a message: censors first, then finds what blocks,
    /// holds or flags it. `exempt` callers (moderators) are neither held nor flagged.
    public static func screen(_ body: String, with words: [WatchedWord], exempt: Bool = false) -> Screening {
        var screening = Screening(body: body)
        for word in words where word.action == .censor {
            for range in ranges(of: word.pattern, in: screening.body).reversed() {
                screening.body.replaceSubrange(range, with: String(repeating: "■", count: screening.body[range].count))
            }
        }
        for word in words where word.action != .censor && !ranges(of: word.pattern, in: screening.body).isEmpty {
            switch word.action {
            case .block: screening.blockedBy = screening.blockedBy ?? word
            case .approve where !exempt: screening.heldBy = screening.heldBy ?? word
            case .flag where !exempt: screening.flaggedBy = screening.flaggedBy ?? word
            default: break
            }
        }
        return screening
    }
}

/// Where a held message stands.
public enum PendingState: String, Sendable, Codable, CaseIterable {
    case open
    case approved
    case rejected
}

/// A message a watched word held for a moderator's approval: not in its channel (no seq, no
/// event) until approved, when it is posted as its author sent it, under the author's nonce.
public struct PendingMessage: Sendable, Hashable, Codable {
    public var id: Int64
    public var communityID: Int64
    public var channelID: Int64
    public var authorID: Int64
    public var authorName: String
    public var body: String
    public var threadID: Int64?
    public var nonce: String
    public var watchedWord: String
    public var state: PendingState
    public var createdAt: Date
    public var decidedBy: Int64?
    public var decidedAt: Date?
    /// The message it became, once approved.
    public var messageID: Int64?

    public init(
        id: Int64, communityID: Int64, channelID: Int64, authorID: Int64, authorName: String, body: String, threadID: Int64?, nonce: String,
        watchedWord: String, state: PendingState, createdAt: Date, decidedBy: Int64? = nil, decidedAt: Date? = nil, messageID: Int64? = nil
    ) {
        self.id = id
        self.communityID = communityID
        self.channelID = channelID
        self.authorID = authorID
        self.authorName = authorName
        self.body = body
        self.threadID = threadID
        self.nonce = nonce
        self.watchedWord = watchedWord
        self.state = state
        self.createdAt = createdAt
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
        self.messageID = messageID
    }
}
