public import Foundation

/// What a sanction does to its member within its scope.
public enum SanctionKind: String, Sendable, Codable, CaseIterable {
    /// Recorded and shown to the member; restricts nothing.
    case warn
    /// Read-only: every write is refused with `silenced`.
    case silence
    /// Shut out: every action is refused with `suspended`.
    case suspend
}

/// A warning, silence or suspension of one member, in one community or the whole network.
public struct Sanction: Sendable, Hashable, Codable {
    public var id: Int64
    public var userID: Int64
    public var kind: SanctionKind
    /// The community it holds in; nil for the whole network.
    public var communityID: Int64?
    public var reason: String
    public var createdBy: Int64
    public var createdAt: Date
    /// When it ends by itself; nil holds until lifted.
    public var endsAt: Date?
    public var liftedAt: Date?
    public var liftedBy: Int64?

    public init(
        id: Int64, userID: Int64, kind: SanctionKind, communityID: Int64?, reason: String, createdBy: Int64, createdAt: Date, endsAt: Date?,
        liftedAt: Date? = nil, liftedBy: Int64? = nil
    ) {
        self.id = id
        self.userID = userID
        self.kind = kind
        self.communityID = communityID
        self.reason = reason
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.endsAt = endsAt
        self.liftedAt = liftedAt
        self.liftedBy = liftedBy
    }

    /// Whether it restricts anything at `now`: a silence or suspension not lifted and not ended.
    public func restricts(at now: Date) -> Bool {
        kind != .warn && liftedAt == nil && (endsAt.map { $0 > now } ?? true)
    }

    /// Whether it holds in `scope`: a network sanction everywhere, a community's in that community
    /// and its committees.
    public func reaches(_ scope: Scope) -> Bool {
        communityID == nil || communityID == scope.communityID
    }
}

/// A sanction about to be imposed.
public struct NewSanction: Sendable, Hashable, Codable {
    public var userID: Int64
    public var kind: SanctionKind
    public var communityID: Int64?
    public var reason: String
    public var createdBy: Int64
    public var endsAt: Date?

    public init(userID: Int64, kind: SanctionKind, communityID: Int64?, reason: String, createdBy: Int64, endsAt: Date?) {
        self.userID = userID
        self.kind = kind
        self.communityID = communityID
        self.reason = reason
        self.createdBy = createdBy
        self.endsAt = endsAt
    }
}

/// One staff action as the audit log keeps it. Rows are only ever appended; each carries the
/// hash of the one before, so an altered or removed row breaks the chain from there on.
public struct AuditEntry: Sendable, Hashable, Codable {
    public var id: Int64
    /// The community acted in; nil for the network.
    public var communityID: Int64?
    public var actorID: Int64
    /// What was done: `silence`, `suspend`, `lift`, `warn`, …
    public var action: String
    public var targetType: String
    public var targetID: Int64
    public var reason: String
    /// JSON of the target before and after, when there is one.
    public var before: String?
    public var after: String?
    /// Whole milliseconds, so the hash survives every store's time precision.
    public var createdAt: Date
    public var previousHash: String
    public var hash: String

    public init(
        id: Int64, communityID: Int64?, actorID: Int64, action: String, targetType: String, targetID: Int64, reason: String, before: String?,
        after: String?, createdAt: Date, previousHash: String, hash: String
    ) {
        self.id = id
        self.communityID = communityID
        self.actorID = actorID
        self.action = action
        self.targetType = targetType
        self.targetID = targetID
        self.reason = reason
        self.before = before
        self.after = after
        self.createdAt = createdAt
        self.previousHash = previousHash
        self.hash = hash
    }

    /// The text the row's hash is taken over: every field but the hash, the previous hash first,
    /// separated by a character no field may hold unescaped.
    public var chainedText: String {
        let millis = Int64((createdAt.timeIntervalSince1970 * 1000).rounded())
        return [
            previousHash, "\(id)", communityID.map { "\($0)" } ?? "", "\(actorID)", action, targetType, "\(targetID)", reason, before ?? "",
            after ?? "", "\(millis)",
        ].map { $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\u{1F}", with: "\\u001f") }
            .joined(separator: "\u{1F}")
    }

    /// The hash of the row before the first.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// `date` cut to whole milliseconds, as audit rows keep it.
    public static func millisecondTime(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }
}

/// A staff action about to be audited.
public struct NewAuditEntry: Sendable, Hashable {
    public var communityID: Int64?
    public var actorID: Int64
    public var action: String
    public var targetType: String
    public var targetID: Int64
    public var reason: String
    public var before: String?
    public var after: String?

    public init(
        communityID: Int64?, actorID: Int64, action: String, targetType: String, targetID: Int64, reason: String, before: String? = nil,
        after: String? = nil
    ) {
        self.communityID = communityID
        self.actorID = actorID
        self.action = action
        self.targetType = targetType
        self.targetID = targetID
        self.reason = reason
        self.before = before
        self.after = after
    }
}

/// How an appeal was decided.
public enum AppealOutcome: String, Sendable, Codable, CaseIterable {
    /// The action stands.
    case upheld
    /// The action is undone: a sanction is lifted.
    case overturned
}

/// A member's appeal against a staff action taken against them: one per action, decided by a
/// moderator who did not take the action.
public struct Appeal: Sendable, Hashable, Codable {
    public var id: Int64
    /// The audit row of the action appealed.
    public var actionID: Int64
    public var userID: Int64
    public var text: String
    public var createdAt: Date
    public var outcome: AppealOutcome?
    public var note: String?
    public var decidedBy: Int64?
    public var decidedAt: Date?

    public init(
        id: Int64, actionID: Int64, userID: Int64, text: String, createdAt: Date, outcome: AppealOutcome? = nil, note: String? = nil,
        decidedBy: Int64? = nil, decidedAt: Date? = nil
    ) {
        self.id = id
        self.actionID = actionID
        self.userID = userID
        self.text = text
        self.createdAt = createdAt
        self.outcome = outcome
        self.note = note
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
    }
}

/// Why a member flags something.
public enum FlagReason: String, Sendable, Codable, CaseIterable {
    case spam
    case harassment
    case offTopic = "off_topic"
    /// Personal data that must not be shared — a student's, above all. Escalated to the community's leads.
    case privacy
    case other

    /// Whether the review item goes to the community's leads at once.
    public var escalates: Bool { self == .privacy }
}

/// What a flag or review item is about.
public enum ReviewTargetType: String, Sendable, Codable, CaseIterable {
    case message
    case user
    case question
    case answer

    /// The forum post type, for a question or an answer.
    public var post: VoteTarget? {
        switch self {
        case .question: .question
        case .answer: .answer
        case .message, .user: nil
        }
    }
}

/// Where a review item stands: open until a moderator settles it — resolved (the flags were right;
/// what they pointed at stays hidden or was dealt with) or rejected (they were not; a message the
/// flags hid is shown again).
public enum ReviewState: String, Sendable, Codable, CaseIterable {
    case open
    case resolved
    case rejected
}

/// One member's flag on one target, filed with the open review item of that target.
public struct Flag: Sendable, Hashable, Codable {
    public var id: Int64
    public var reviewItemID: Int64
    public var userID: Int64
    public var userName: String
    public var reason: FlagReason
    public var note: String?
    public var createdAt: Date

    public init(id: Int64, reviewItemID: Int64, userID: Int64, userName: String, reason: FlagReason, note: String?, createdAt: Date) {
        self.id = id
        self.reviewItemID = reviewItemID
        self.userID = userID
        self.userName = userName
        self.reason = reason
        self.note = note
        self.createdAt = createdAt
    }
}

/// A flag about to be filed.
public struct NewFlag: Sendable, Hashable {
    public var communityID: Int64
    public var targetType: ReviewTargetType
    public var targetID: Int64
    public var userID: Int64
    public var reason: FlagReason
    public var note: String?

    public init(communityID: Int64, targetType: ReviewTargetType, targetID: Int64, userID: Int64, reason: FlagReason, note: String?) {
        self.communityID = communityID
        self.targetType = targetType
        self.targetID = targetID
        self.userID = userID
        self.reason = reason
        self.note = note
    }
}

/// One entry of a community's review queue: everything flagged about one target while it is open.
/// A target has at most one open item; flags on it after the item was settled open a new one.
public struct ReviewItem: Sendable, Hashable, Codable {
    public var id: Int64
    public var communityID: Int64
    public var targetType: ReviewTargetType
    public var targetID: Int64
    public var state: ReviewState
    /// A privacy flag sends the item to the community's leads.
    public var escalated: Bool
    public var assigneeID: Int64?
    public var flagCount: Int
    public var createdAt: Date
    public var settledBy: Int64?
    public var settledAt: Date?
    /// The watched word that put the message here, when one did.
    public var watchedWord: String?

    public init(
        id: Int64, communityID: Int64, targetType: ReviewTargetType, targetID: Int64, state: ReviewState, escalated: Bool, assigneeID: Int64?,
        flagCount: Int, createdAt: Date, settledBy: Int64? = nil, settledAt: Date? = nil, watchedWord: String? = nil
    ) {
        self.id = id
        self.communityID = communityID
        self.targetType = targetType
        self.targetID = targetID
        self.state = state
        self.escalated = escalated
        self.assigneeID = assigneeID
        self.flagCount = flagCount
        self.createdAt = createdAt
        self.settledBy = settledBy
        self.settledAt = settledAt
        self.watchedWord = watchedWord
    }
}
