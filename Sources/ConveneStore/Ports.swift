public import ConveneCore
public import Foundation

/// A user about to be stored. The password is already hashed.
public struct NewUser: Sendable {
    public var email: String
    public var passwordHash: String
    public var displayName: String
    /// The district or office the user works for.
    public var organizationID: Int64?
    /// The SHA-256 of an invite code to redeem in the same transaction, when registration is by invite.
    public var inviteCodeHash: String?

    /// - Parameters:
    ///   - email: normalised address.
    ///   - passwordHash: bcrypt hash.
    ///   - displayName: validated name.
    ///   - organizationID: the user's organization, if any.
    ///   - inviteCodeHash: hash of the invite to consume, if any.
    public init(email: String, passwordHash: String, displayName: String, organizationID: Int64? = nil, inviteCodeHash: String? = nil) {
        self.email = email
        self.passwordHash = passwordHash
        self.displayName = displayName
        self.organizationID = organizationID
        self.inviteCodeHash = inviteCodeHash
    }
}

public struct Invite: Sendable, Hashable {
    public var id: Int64
    public var communityID: Int64?
    public var createdBy: Int64?
    public var email: String?
    public var createdAt: Date
    public var expiresAt: Date

    /// - Parameters:
    ///   - id: row id.
    ///   - communityID: the community the invitee joins on registering, if any.
    ///   - createdBy: who made it (nil from the CLI).
    ///   - email: the only address that may use it, if set.
    ///   - createdAt: creation time.
    ///   - expiresAt: when it stops working.
    public init(id: Int64, communityID: Int64?, createdBy: Int64?, email: String?, createdAt: Date, expiresAt: Date) {
        self.id = id
        self.communityID = communityID
        self.createdBy = createdBy
        self.email = email
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// What `seed` added; zeros on a second run.
public struct SeedReport: Sendable, Hashable, Codable {
    public var states = 0
    public var organizations = 0
    public var communities = 0
    public var committees = 0
    public var channels = 0
    public var tags = 0
    public var callSeries = 0

    public init() {}

    public var total: Int { states + organizations + communities + committees + channels + tags + callSeries }
}

/// Users, credentials, sessions and invites.
public protocol AccountStore: Sendable {
    /// Stores a user, redeeming `inviteCodeHash` in the same transaction. Throws `conflict` when the
    /// email is taken and `validation_failed` (field `invite`) when the invite is unknown, used or expired.
    func createUser(_ user: NewUser, now: Date) async throws -> User
    func user(id: Int64) async throws -> User?
    func user(email: String) async throws -> User?
    /// Changes a user's profile; `organizationID` `.some(nil)` clears the organization.
    func updateUser(id: Int64, displayName: String?, organizationID: Int64??) async throws -> User
    /// The user and their password hash, for login.
    func credentials(email: String) async throws -> (user: User, passwordHash: String)?
    func createSession(userID: Int64, tokenHash: String, csrfToken: String, now: Date, expiresAt: Date) async throws -> Session
    /// The live session for a token hash, its idle time refreshed, with its user and the user's
    /// principal (unfiltered by time: see `Principal.asOf`) read with it; nil when unknown, idle too
    /// long or expired.
    func session(tokenHash: String, now: Date, idleTimeout: TimeInterval) async throws -> (session: Session, user: User, principal: Principal)?
    func deleteSession(tokenHash: String) async throws
    /// Keeps a single-use stream ticket (its hash) for the session with `tokenHash`, and drops expired ones.
    func createStreamTicket(ticketHash: String, tokenHash: String, now: Date, expiresAt: Date) async throws
    /// Consumes a ticket: the session token hash it stands for, or nil when unknown, used or expired.
    func redeemStreamTicket(ticketHash: String, now: Date) async throws -> String?
    func createInvite(codeHash: String, communityID: Int64?, createdBy: Int64?, email: String?, now: Date, expiresAt: Date) async throws
        -> Invite
    /// Everything `Policy` needs to know about a user.
    func principal(userID: Int64) async throws -> Principal
}

/// Organizations, communities, committees, memberships, grants and the status report.
public protocol NetworkStore: Sendable {
    /// Adds what the seed describes and is missing; never changes or duplicates what exists.
    func seed(_ network: SeedNetwork, now: Date) async throws -> SeedReport
    func states() async throws -> [USState]
    func organizations() async throws -> [Organization]
    func organization(slug: String) async throws -> Organization?
    func communities() async throws -> [Community]
    func community(slug: String) async throws -> Community?
    func community(id: Int64) async throws -> Community?
    func organizations(communityID: Int64) async throws -> [Organization]
    func committees(communityID: Int64) async throws -> [Committee]
    func channels(communityID: Int64) async throws -> [Channel]
    func tags(communityID: Int64) async throws -> [Tag]
    /// Adds a tag to a community, or renames it; true when it is new.
    func putTag(communityID: Int64, _ tag: Tag) async throws -> Bool
    func callSeries(communityID: Int64) async throws -> [CallSeries]
    func callSeries(id: Int64) async throws -> CallSeries?
    /// Stores a new series (`series.id` is ignored); `conflict` when its community has a series of that semester.
    func createCallSeries(_ series: CallSeries, createdBy: Int64, now: Date) async throws -> CallSeries
    /// Saves what may change of a series once made: its title, description, capacity and last day.
    func updateCallSeries(_ series: CallSeries) async throws -> CallSeries
    /// Deletes a series with its overrides, answers, texts and rooms; false when there was none.
    func deleteCallSeries(id: Int64) async throws -> Bool
    /// The moves and cancellations of these series' occurrences.
    func overrides(seriesIDs: [Int64]) async throws -> [OccurrenceOverride]
    /// Moves one occurrence (`start`, nil: back to the rule's) and cancels or restores it; its
    /// sequence goes up by one each time.
    func setOverride(seriesID: Int64, originalStart: String, start: String?, cancelled: Bool, by userID: Int64, now: Date) async throws
        -> OccurrenceOverride
    /// Stores a member's answer for an occurrence (its original local start) or the whole series
    /// (nil); saying going again keeps one's place in the waitlist.
    func setRSVP(seriesID: Int64, occurrence: String?, userID: Int64, status: RSVP.Status, now: Date) async throws -> RSVP
    /// Every answer for a series, series-wide and per occurrence.
    func rsvps(seriesID: Int64) async throws -> [RSVP]
    /// Stores a call notification (a reminder, a place freed) of `kind` for each of `users` about
    /// an occurrence (its id), each at most once however often asked, on however many nodes;
    /// returns the ids of those stored now.
    func addCallNotifications(
        kind: UserNotification.Kind, seriesID: Int64, communityID: Int64, occurrenceID: String, users: [Int64], now: Date
    ) async throws -> [Int64]
    /// Every revision of an occurrence's agenda or notes, oldest first.
    func occurrenceTexts(seriesID: Int64, occurrence: String, kind: OccurrenceText.Kind) async throws -> [OccurrenceText]
    /// Saves a new revision when the latest is `base` (0 for none yet); nil when another save came first.
    func saveOccurrenceText(
        seriesID: Int64, occurrence: String, kind: OccurrenceText.Kind, body: String, base: Int, editorID: Int64, now: Date
    ) async throws -> OccurrenceText?
    /// Gives the user a calendar feed token (by its hash), in place of any earlier one.
    func setCalendarToken(userID: Int64, tokenHash: String, now: Date) async throws
    /// Revokes the user's calendar token; false when there was none.
    func deleteCalendarToken(userID: Int64) async throws -> Bool
    /// The user a calendar token (by its hash) belongs to.
    func calendarTokenUser(tokenHash: String) async throws -> Int64?
    /// Adds a membership; false when the user was already a member.
    func join(communityID: Int64, userID: Int64, now: Date) async throws -> Bool
    /// When the user joined the community; nil when not a member.
    func joinedAt(communityID: Int64, userID: Int64) async throws -> Date?
    /// Members, oldest first, with `role` left at `.member` (the caller computes roles with Policy).
    func members(communityID: Int64, after: Int64?, limit: Int) async throws -> [Member]
    /// Grants that reach into a community: network grants, its own, and its committees'.
    func grants(reachingCommunity communityID: Int64) async throws -> [Grant]
    /// Stores a grant; an identical existing grant is returned unchanged.
    func createGrant(userID: Int64, role: Role, scope: Scope, grantedBy: Int64?, now: Date) async throws -> Grant
    func grant(id: Int64) async throws -> Grant?
    func deleteGrant(id: Int64) async throws
    func statusReport(now: Date) async throws -> [StateStatus]
}

/// Channels, their members, and the ordered log of what happens in each.
public protocol MessageStore: Sendable {
    /// Throws `conflict` when the community already has a channel of that name.
    func createChannel(
        communityID: Int64, name: String, topic: String, isPrivate: Bool, announcementOnly: Bool, slowModeSeconds: Int, createdBy: Int64?,
        now: Date
    ) async throws -> Channel
    func channel(id: Int64) async throws -> Channel?
    func isChannelMember(channelID: Int64, userID: Int64) async throws -> Bool
    /// Adds a member to a (private) channel; false when already there.
    func addChannelMember(channelID: Int64, userID: Int64, now: Date) async throws -> Bool
    /// The private channels of a community the user was added to.
    func privateChannelIDs(communityID: Int64, userID: Int64) async throws -> Set<Int64>
    /// Appends a batch in one transaction: each message gets its channel's next seq (from 1, no
    /// gaps) and an event at that seq, and each user it mentions a notification; a nonce its
    /// author already used returns the original.
    func append(_ batch: [NewMessage], now: Date) async throws -> [AppendOutcome]
    /// Messages by seq: after `afterSeq` ascending, or the latest before `beforeSeq` (or the latest
    /// of all), returned in ascending order.
    func messages(channelID: Int64, afterSeq: Int64?, beforeSeq: Int64?, limit: Int) async throws -> [Message]
    func message(id: Int64) async throws -> Message?
    /// The replies in a thread, oldest first (deleted and hidden ones too), at most `limit`.
    func threadReplies(rootID: Int64, limit: Int) async throws -> [Message]
    /// Applies a change in one transaction, and gives the channel's next seq to its event
    /// (`message.edited`, `message.deleted`, `reaction.changed`, `message.pinned`/`unpinned`). An
    /// edit or delete keeps the old text as a revision; a delete also unpins. A change that changes
    /// nothing (same text, a reaction already given or not there, a pin already so) returns nil
    /// and takes no seq. Throws `conflict` for a deleted message or a channel at its pin limit, and
    /// `validation_failed` for a new emoji past the per-message limit. A staff change carries its
    /// `audit` row, appended in the same transaction (its `before`/`after` set to the message); a
    /// staff hide or delete also settles the message's open review item as resolved.
    func change(_ change: MessageChange, audit: NewAuditEntry?, now: Date) async throws -> (event: ChannelEvent, audit: AuditEntry?)?
    /// The channel's pinned messages, the latest pin first.
    func pinnedMessages(channelID: Int64) async throws -> [Message]
    /// Earlier texts of a message, oldest first.
    func revisions(messageID: Int64) async throws -> [MessageRevision]
    /// The message an author stored with a nonce, if any.
    func messages(authorID: Int64, nonce: String) async throws -> Message?
    /// Live (not deleted) messages of `channelIDs` holding every word of `terms` (the last also as a
    /// prefix), best match first, then newest; `offset` skips earlier results.
    func searchMessages(terms: [String], channelIDs: [Int64], limit: Int, offset: Int) async throws -> [Message]
    /// Moves the user's read marker in a channel forward to `seq` (never back); returns the marker.
    func markRead(channelID: Int64, userID: Int64, seq: Int64, now: Date) async throws -> Int64
    /// The user's read state in each channel of a community that has a marker or unread messages
    /// (a channel missing from the answer has nothing unread and no marker).
    func readStates(communityID: Int64, userID: Int64) async throws -> [Int64: ReadState]
    /// The channel's events after `afterSeq`, in order, at most `limit`.
    func events(channelID: Int64, afterSeq: Int64, limit: Int) async throws -> [ChannelEvent]
}

/// Notifications: stored with the message that causes them, read and marked by their user.
public protocol NotificationStore: Sendable {
    /// The community's members whose display name has one of `keys` (see `Mentions.key`).
    func members(communityID: Int64, nameKeys: Set<String>) async throws -> [Int64]
    /// The user's notifications, newest first, before `beforeID` when given.
    func notifications(userID: Int64, beforeID: Int64?, unreadOnly: Bool, limit: Int) async throws -> [UserNotification]
    /// The notifications a message caused.
    func notifications(messageID: Int64) async throws -> [UserNotification]
    /// These notifications (those that exist), in id order.
    func notifications(ids: [Int64]) async throws -> [UserNotification]
    /// Mentions added to a stored message (by an edit): a notification for each of `users` the
    /// message has not notified before. Returns the users notified now.
    func addMentions(messageID: Int64, users: [Int64], actorID: Int64, now: Date) async throws -> [Int64]
    func unreadNotificationCount(userID: Int64) async throws -> Int
    /// Marks the user's notifications read: those of `ids` (others' ids are ignored), or all
    /// when nil. Returns how many changed.
    func markNotificationsRead(userID: Int64, ids: [Int64]?, now: Date) async throws -> Int
}

/// How the nodes sharing a store tell each other what they committed. Only a store that several
/// nodes can share has one (PostgreSQL); a SQLite file serves a single node.
/// What an event bus throws once its store has stopped: nothing more will come through it.
public struct EventBusStopped: Error, Sendable {
    public init() {}
}

public protocol EventBus: Sendable {
    /// Sends a note to every node listening on this store (a long one may cost a write).
    func announce(_ note: String) async throws
    /// Calls `listening` once listening has begun, then `handler` with each note any node
    /// announces, in the order announced, until the task is cancelled (or the connection it
    /// listens on fails: then it throws).
    func listen(listening: @escaping @Sendable () async -> Void, handler: @escaping @Sendable (String) async -> Void) async throws
    /// The last seq of each of these channels (those that exist).
    func lastSeqs(channelIDs: [Int64]) async throws -> [Int64: Int64]
}

extension AccountStore {
    /// The principal as it stands at `now` (see `Principal.asOf`).
    public func principal(userID: Int64, now: Date) async throws -> Principal {
        try await principal(userID: userID).asOf(now)
    }
}

/// Sanctions and the audit log. Every change here is audited in the same transaction, and the
/// log has no update or delete.
public protocol ModerationStore: Sendable {
    /// Imposes a sanction and appends `audit` (its `after` set to the sanction) in one transaction.
    func addSanction(_ sanction: NewSanction, audit: NewAuditEntry, now: Date) async throws -> (Sanction, AuditEntry)
    /// Lifts a sanction and appends `audit` (`before` and `after` set); nil when there is no such
    /// sanction or it was lifted already.
    func liftSanction(id: Int64, by actorID: Int64, audit: NewAuditEntry, now: Date) async throws -> (Sanction, AuditEntry)?
    func sanction(id: Int64) async throws -> Sanction?
    /// Every sanction of a user, newest first.
    func sanctions(userID: Int64) async throws -> [Sanction]
    /// Appends a staff action to the audit log.
    func appendAudit(_ entry: NewAuditEntry, now: Date) async throws -> AuditEntry
    /// Audit rows in id order after `afterID`: one community's, or (nil) every row.
    func auditEntries(communityID: Int64?, afterID: Int64?, limit: Int) async throws -> [AuditEntry]
    func auditEntry(id: Int64) async throws -> AuditEntry?
    /// Every audit row about one target (`user` and a user's id: the actions taken on them), in id order.
    func auditEntries(targetType: String, targetID: Int64) async throws -> [AuditEntry]
    /// A member's appeals, oldest first.
    func appeals(userID: Int64) async throws -> [Appeal]
    /// Files an appeal; `conflict` when the action was appealed already.
    func createAppeal(actionID: Int64, userID: Int64, text: String, now: Date) async throws -> Appeal
    func appeal(id: Int64) async throws -> Appeal?
    /// Decides an undecided appeal, lifts `liftingSanction` (when given and still in place) and
    /// appends `audit` (its `before`/`after` set to the appeal), in one transaction; nil when the
    /// appeal was decided already.
    func decideAppeal(
        id: Int64, outcome: AppealOutcome, note: String?, by deciderID: Int64, liftingSanction: Int64?, audit: NewAuditEntry, now: Date
    ) async throws -> (Appeal, AuditEntry)?
}

extension MessageStore {
    /// A member's change, with nothing to audit.
    public func change(_ change: MessageChange, now: Date) async throws -> ChannelEvent? {
        try await self.change(change, audit: nil, now: now)?.event
    }
}

/// What filing a flag came to.
public struct FiledFlag: Sendable, Hashable {
    public var flag: Flag
    /// The target's open review item, the flag counted.
    public var item: ReviewItem
    /// The `message.hidden` event, when this flag brought the message to the hiding threshold.
    public var hidden: ChannelEvent?
    /// This flag brought a question or answer to the threshold, and it is hidden now.
    public var hidPost: Bool

    public init(flag: Flag, item: ReviewItem, hidden: ChannelEvent?, hidPost: Bool = false) {
        self.flag = flag
        self.item = item
        self.hidden = hidden
        self.hidPost = hidPost
    }
}

/// Flags, the review queue, and locking channels.
public protocol ReviewStore: Sendable {
    /// Files a flag in one transaction: opens the target's review item when none is open, counts
    /// the flag on it (an escalating reason escalates the item) and — when the item then holds
    /// `hideThreshold` flags and the target is a message neither deleted nor hidden — hides the
    /// message at its channel's next seq. Throws `conflict` when the member flagged it before.
    func fileFlag(_ flag: NewFlag, hideThreshold: Int, now: Date) async throws -> FiledFlag
    /// Items in `state` of these communities (nil: all), escalated first, then oldest first.
    func reviewItems(communityIDs: [Int64]?, state: ReviewState, offset: Int, limit: Int) async throws -> [ReviewItem]
    func reviewItem(id: Int64) async throws -> ReviewItem?
    /// The item's flags, oldest first.
    func flags(reviewItemID: Int64) async throws -> [Flag]
    /// Settles an open item as `resolved` or `rejected` and appends `audit` (its `before`/`after`
    /// set to the item) in one transaction; rejecting an item whose message is hidden shows the
    /// message again at its channel's next seq. nil when the item is not open.
    func settleReviewItem(id: Int64, as state: ReviewState, by actorID: Int64, audit: NewAuditEntry, now: Date) async throws
        -> (item: ReviewItem, audit: AuditEntry, event: ChannelEvent?)?
    /// Assigns an open item to a moderator, or to nobody; nil when the item is not open.
    func assignReviewItem(id: Int64, to assigneeID: Int64?) async throws -> ReviewItem?
    /// Locks or unlocks a channel and appends `audit` (`before`/`after` set to the channel) in one
    /// transaction; nil when it was so already.
    func setChannelLocked(id: Int64, locked: Bool, audit: NewAuditEntry, now: Date) async throws -> (channel: Channel, audit: AuditEntry)?
}

/// A pending message about to be held.
public struct NewPendingMessage: Sendable, Hashable {
    public var communityID: Int64
    public var channelID: Int64
    public var authorID: Int64
    public var body: String
    public var threadID: Int64?
    public var nonce: String
    public var watchedWord: String

    public init(communityID: Int64, channelID: Int64, authorID: Int64, body: String, threadID: Int64?, nonce: String, watchedWord: String) {
        self.communityID = communityID
        self.channelID = channelID
        self.authorID = authorID
        self.body = body
        self.threadID = threadID
        self.nonce = nonce
        self.watchedWord = watchedWord
    }
}

/// Watched words, and the messages they flag or hold for approval.
public protocol WatchedWordStore: Sendable {
    /// A community's watched words, oldest first.
    func watchedWords(communityID: Int64) async throws -> [WatchedWord]
    func watchedWord(id: Int64) async throws -> WatchedWord?
    /// Adds a word and appends `audit` (its `after` set to the word) in one transaction; `conflict`
    /// when the community watches that pattern already.
    func addWatchedWord(communityID: Int64, pattern: String, action: WatchedAction, by actorID: Int64, audit: NewAuditEntry, now: Date)
        async throws -> (WatchedWord, AuditEntry)
    /// Removes a word and appends `audit` (its `before` set to the word); nil when there is no such word.
    func removeWatchedWord(id: Int64, audit: NewAuditEntry, now: Date) async throws -> AuditEntry?
    /// Puts a message a watched word flagged in the review queue: opens its item (or notes the
    /// word on the open one).
    func flagByWatchedWord(communityID: Int64, target: ReviewTargetType, id: Int64, word: String, now: Date) async throws -> ReviewItem
    /// Holds a message for approval; a nonce its author already had held returns that one.
    func holdMessage(_ message: NewPendingMessage, now: Date) async throws -> PendingMessage
    /// Held messages in `state` of these communities (nil: all): open ones oldest first, others newest first.
    func pendingMessages(communityIDs: [Int64]?, state: PendingState, offset: Int, limit: Int) async throws -> [PendingMessage]
    func pendingMessage(id: Int64) async throws -> PendingMessage?
    func pendingMessage(authorID: Int64, nonce: String) async throws -> PendingMessage?
    /// Decides an open held message (approved with the message it became, or rejected) and appends
    /// `audit` (`before`/`after` set) in one transaction; nil when it was decided already.
    func decidePending(id: Int64, approved: Bool, messageID: Int64?, by actorID: Int64, audit: NewAuditEntry, now: Date) async throws
        -> (PendingMessage, AuditEntry)?
}

/// Where a question came from, besides being asked.
public enum QuestionSource: Sendable {
    /// Promoted from a channel thread (its first message): a thread becomes one question only.
    case thread(Message)
    /// Left unanswered in a call (the occurrence's id, and the question's number in its room):
    /// each becomes one forum question only.
    case call(occurrence: String, question: Int)
}

/// Questions, answers, votes and accepted answers.
public protocol ForumStore: Sendable {
    /// Stores a question and, with it, the notifications `notify` asks for (never to its author);
    /// returns it and their ids. The same holds for answers, comments and accepts.
    /// A question from a thread or a call names it (`source`), and each source becomes one
    /// question only (`conflict` naming it otherwise).
    func createQuestion(
        communityID: Int64, authorID: Int64, title: String, body: String, bodyHTML: String, tags: [String], source: QuestionSource?, heldBy: String?,
        notify: Notify, now: Date
    ) async throws -> (Question, notifications: [Int64])
    func question(id: Int64) async throws -> Question?
    /// A page of a community's questions, optionally with one tag.
    func questions(communityID: Int64, filter: QuestionFilter, sort: QuestionSort, tag: String?, offset: Int, limit: Int) async throws -> [Question]
    /// Adds an answer; the question counts it and its activity moves.
    /// `heldBy` (a watched word) stores the post hidden, with an open review item naming the word,
    /// until a moderator shows it.
    func createAnswer(questionID: Int64, authorID: Int64, body: String, bodyHTML: String, heldBy: String?, notify: Notify, now: Date) async throws
        -> (Answer, notifications: [Int64])
    func answer(id: Int64) async throws -> Answer?
    /// A question's answers: the accepted one first, then by score, then oldest first.
    func answers(questionID: Int64) async throws -> [Answer]
    /// Sets the user's vote on a question or answer (0 takes it back) and returns the new score;
    /// the same vote again changes nothing. Concurrent votes all count.
    func vote(_ target: VoteTarget, id: Int64, userID: Int64, value: Int, now: Date) async throws -> Int
    /// The user's votes on a question and its answers.
    func votes(userID: Int64, questionID: Int64) async throws -> (question: Int, answers: [Int64: Int])
    /// Stores an edit as the question's next revision (the post as first written is revision 1)
    /// and moves its activity, in one transaction; nil when the edit changes nothing.
    func editQuestion(id: Int64, _ edit: PostEdit, now: Date) async throws -> Question?
    /// The same for an answer (title and tags ignored); its question's activity moves.
    func editAnswer(id: Int64, _ edit: PostEdit, now: Date) async throws -> Answer?
    /// Every version of a question or answer, the first as posted, oldest first.
    func revisions(of target: VoteTarget, id: Int64) async throws -> [PostRevision]
    /// Closes a question (`reason` given) or reopens it (nil), appending `audit` (`before`/`after`:
    /// the question) in one transaction; nil when it was so already.
    func setClosed(questionID: Int64, reason: CloseReason?, duplicateOf: Int64?, by actorID: Int64, audit: NewAuditEntry, now: Date) async throws
        -> (Question, AuditEntry)?
    /// Marks an answer outdated with a note (or clears the mark, `outdated` false) and sets its
    /// review-by date (`.some(nil)` clears it; nil leaves it), appending `audit` (`before`/`after`:
    /// the answer) in one transaction; nil when nothing changed.
    func curate(answerID: Int64, outdated: Bool?, note: String?, reviewBy: Date??, by actorID: Int64, audit: NewAuditEntry, now: Date) async throws
        -> (Answer, AuditEntry)?
    /// Questions of these communities holding every term (the last also as a prefix) in their
    /// title and body or in one of their answers, best match first — a solved question's
    /// relevance counting double — then newest; `tag` narrows.
    func searchQuestions(terms: [String], communityIDs: [Int64], tag: String?, limit: Int, offset: Int) async throws -> [Question]
    /// The accepted answers of these communities with their questions: those matching `terms` in
    /// the question or the accepted answer, best first, or without terms the latest accepted
    /// first; `tag` narrows; `reviewDue` keeps those whose review-by day is on or before it
    /// (soonest due first).
    func knowledge(terms: [String]?, communityIDs: [Int64], tag: String?, reviewDue: Date?, limit: Int, offset: Int) async throws
        -> [KnowledgeEntry]
    /// The questions closed as duplicates of this one, oldest first.
    func duplicates(of questionID: Int64) async throws -> [Question]
    /// Adds a comment to a question or answer; the question's activity moves.
    func createComment(on target: VoteTarget, id: Int64, authorID: Int64, body: String, bodyHTML: String, notify: Notify, now: Date) async throws
        -> (Comment, notifications: [Int64])
    /// The comments on a question and its answers, oldest first.
    func comments(questionID: Int64) async throws -> [Comment]
    /// Accepts `answerID` for the question (in place of any other) or, with nil, unaccepts, and
    /// appends `audit` (`before`/`after`: the question) in one transaction; nil when it was so already.
    func setAccepted(questionID: Int64, answerID: Int64?, by actorID: Int64, audit: NewAuditEntry, notify: Notify, now: Date) async throws
        -> (Question, AuditEntry, notifications: [Int64])?
    /// Hides a question or answer (`hidden`) or shows it again, appending `audit` (`before`/`after`:
    /// the post) in one transaction when given; a staff hide settles the post's open review item
    /// as resolved. Nil when it was so already.
    func setHidden(_ target: VoteTarget, id: Int64, hidden: Bool, by actorID: Int64, audit: NewAuditEntry, now: Date) async throws
        -> (question: Question?, answer: Answer?, audit: AuditEntry)?
    /// Watches a community's forum, one of its tags, or a question (idempotent): the watch, and
    /// whether it is new.
    func watch(userID: Int64, communityID: Int64, kind: ForumWatch.Kind, questionID: Int64?, tag: String?, now: Date) async throws
        -> (ForumWatch, created: Bool)
    /// Stops one of the user's watches; false when the user has no such watch.
    func unwatch(id: Int64, userID: Int64) async throws -> Bool
    /// The user's watches, oldest first.
    func watches(userID: Int64) async throws -> [ForumWatch]
    /// Who watches a question.
    func watchers(questionID: Int64) async throws -> [Int64]
    /// Who watches a community's forum or any of these of its tags.
    func watchers(communityID: Int64, tags: [String]) async throws -> [Int64]
}

/// The notifications a forum change stores with it: who is told, and of what.
public typealias Notify = [Int64: UserNotification.Kind]

extension ForumStore {
    public func createQuestion(communityID: Int64, authorID: Int64, title: String, body: String, bodyHTML: String, tags: [String], now: Date)
        async throws -> Question
    {
        try await createQuestion(
            communityID: communityID, authorID: authorID, title: title, body: body, bodyHTML: bodyHTML, tags: tags, source: nil, heldBy: nil, notify: [:],
            now: now
        ).0
    }

    public func createAnswer(questionID: Int64, authorID: Int64, body: String, bodyHTML: String, now: Date) async throws -> Answer {
        try await createAnswer(questionID: questionID, authorID: authorID, body: body, bodyHTML: bodyHTML, heldBy: nil, notify: [:], now: now).0
    }

    public func createComment(on target: VoteTarget, id: Int64, authorID: Int64, body: String, bodyHTML: String, now: Date) async throws -> Comment {
        try await createComment(on: target, id: id, authorID: authorID, body: body, bodyHTML: bodyHTML, notify: [:], now: now).0
    }

    public func setAccepted(questionID: Int64, answerID: Int64?, by actorID: Int64, audit: NewAuditEntry, now: Date) async throws
        -> (Question, AuditEntry)?
    {
        try await setAccepted(questionID: questionID, answerID: answerID, by: actorID, audit: audit, notify: [:], now: now).map { ($0.0, $0.1) }
    }
}

public typealias ConveneStore = AccountStore & NetworkStore & MessageStore & NotificationStore & ModerationStore & ReviewStore & WatchedWordStore
    & ForumStore & CallRoomStore & StoreMaintenance

/// An occurrence's live room as stored: made on first use, with its chat channel once someone needs it.
public struct StoredRoom: Sendable, Hashable {
    public var id: Int64
    public var seriesID: Int64
    public var communityID: Int64
    /// The occurrence's original local start (`Recurrence.LocalTime`'s text).
    public var occurrence: String
    public var channelID: Int64?
    /// Minutes before the start its lobby opens, fixed when the room was made (so its log replays
    /// alike whatever the configuration says later).
    public var lobbyMinutes: Int

    public init(id: Int64, seriesID: Int64, communityID: Int64, occurrence: String, channelID: Int64?, lobbyMinutes: Int) {
        self.id = id
        self.seriesID = seriesID
        self.communityID = communityID
        self.occurrence = occurrence
        self.channelID = channelID
        self.lobbyMinutes = lobbyMinutes
    }
}

/// One accepted command of a room's log: its place, its time, who gave it, and the command as JSON.
public struct RoomRecord: Sendable, Hashable {
    public var seq: Int
    public var at: Date
    public var actorID: Int64
    public var command: String

    public init(seq: Int, at: Date, actorID: Int64, command: String) {
        self.seq = seq
        self.at = at
        self.actorID = actorID
        self.command = command
    }
}

/// The live rooms of calls: each an ordered log of the commands it accepted, from which every node
/// rebuilds the same room (and the attendance is read).
public protocol CallRoomStore: Sendable {
    /// The room of an occurrence (by its original local start), made now (with `lobbyMinutes`) if it is the first ask.
    func callRoom(seriesID: Int64, communityID: Int64, occurrence: String, lobbyMinutes: Int) async throws -> StoredRoom
    func callRoom(id: Int64) async throws -> StoredRoom?
    /// Every room a series has had, by occurrence.
    func callRooms(seriesID: Int64) async throws -> [StoredRoom]
    /// The room's records after `afterSeq`, in order.
    func roomRecords(roomID: Int64, afterSeq: Int) async throws -> [RoomRecord]
    /// Appends a record at `record.seq`; false (and nothing stored) when that seq is taken — another
    /// node's command came first.
    func appendRoomRecord(roomID: Int64, _ record: RoomRecord) async throws -> Bool
    /// Gives the room its chat channel unless it has one; returns the room as it now stands.
    func setRoomChannel(roomID: Int64, channelID: Int64) async throws -> StoredRoom
}

/// Opening, migrating and checking a store.
public protocol StoreMaintenance: Sendable {
    /// Applies pending migrations; returns the names applied now.
    @discardableResult func migrate() async throws -> [String]
    /// Whether the store is migrated and answering.
    func isReady() async -> Bool
}
