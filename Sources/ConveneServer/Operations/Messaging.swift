import ConveneCore
import ConveneRealtime
import ConveneStore
import Foundation

/// Channels and messages: one function per operation, shared by HTTP and the stream.
/// Sends go through one group committer, so sends that arrive together share a transaction.
struct Messaging: Sendable {
    let store: any ConveneStore
    let directory: NetworkDirectory
    let committer: GroupCommitter<NewMessage, AppendOutcome>
    let limits: SendLimits
    /// Fewer links and a lower rate in a member's first days in a community.
    let newMembers: NewMemberLimits
    let now: @Sendable () -> Date

    let fanout: Fanout
    let notifications: Notifications

    init(
        store: any ConveneStore, directory: NetworkDirectory, fanout: Fanout, notifications: Notifications, metrics: ServerMetrics,
        limits: SendLimits, newMembers: NewMemberLimits, now: @escaping @Sendable () -> Date
    ) {
        self.store = store
        self.directory = directory
        self.limits = limits
        self.newMembers = newMembers
        self.fanout = fanout
        self.notifications = notifications
        self.now = now
        committer = GroupCommitter { batch in
            let outcomes: [AppendOutcome]
            do {
                outcomes = try await store.append(batch, now: now())
            } catch {
                return batch.map { _ in .failure(error) }
            }
            // After the commit and before any ack: batches commit one at a time, so each channel's
            // events are published in seq order. Each event is encoded once for all subscribers.
            for case .created(let message) in outcomes {
                metrics.messageCommitted()
                let event = ChannelEvent(channelID: message.channelID, seq: message.seq, kind: .messageCreated, message: message, createdAt: message.createdAt)
                fanout.event(channel: message.channelID, seq: message.seq, frame: ServerFrame.event(event))
            }
            return outcomes.map { .success($0) }
        }
    }

    /// The channels of a community the caller may read, with the caller's read state in each
    /// (nil for a guest, or a signed-in user who is not a member).
    func channels(slug: String, by principal: Principal) async throws -> [(Channel, ReadState?)] {
        let community = try await directory.readable(slug: slug, by: principal)
        var reads: [Int64: ReadState]?
        if let userID = principal.userID, principal.memberships.contains(community.id) {
            reads = try await store.readStates(communityID: community.id, userID: userID)
        }
        return try await readableChannels(of: community, by: principal).map { channel in
            (channel, reads.map { $0[channel.id] ?? ReadState(readSeq: 0, unread: 0) })
        }
    }

    /// The channels of a (readable) community the Policy lets the caller read.
    private func readableChannels(of community: Community, by principal: Principal) async throws -> [Channel] {
        var joined: Set<Int64> = []
        if let userID = principal.userID {
            joined = try await store.privateChannelIDs(communityID: community.id, userID: userID)
        }
        return try await store.channels(communityID: community.id).filter { channel in
            Policy.check(.readChannel, by: principal, on: target(community, channel, isMember: joined.contains(channel.id))).isSuccess
        }
    }

    /// Full-text search over the messages the caller may read: in one community, or in every
    /// community the caller may read. Best match first; `hasMore` when another page follows.
    func search(_ q: String, communitySlug: String?, limit: Int, offset: Int, by principal: Principal) async throws
        -> (messages: [Message], hasMore: Bool)
    {
        let terms = try Validation.searchTerms(q)
        let communities = try await directory.searched(communitySlug, by: principal)
        var channelIDs: [Int64] = []
        for community in communities {
            channelIDs += try await readableChannels(of: community, by: principal).map(\.id)
        }
        let found = try await store.searchMessages(terms: terms, channelIDs: channelIDs, limit: limit + 1, offset: offset)
        return (Array(found.prefix(limit)), found.count > limit)
    }

    /// Moves the caller's read marker in a channel forward to `seq` and tells the caller's other
    /// connections; returns the marker and what is left unread.
    func markRead(channelID: Int64, seq: Int64, by principal: Principal, except connection: UInt64? = nil) async throws -> ReadState {
        let (channel, community) = try await access(.readChannel, channelID: channelID, by: principal)
        guard let userID = principal.userID else { throw ConveneError(.unauthenticated, "Sign in to do that.") }
        guard seq >= 0, seq <= channel.lastSeq else {
            throw ConveneError.invalid("seq", "seq must be 0–\(channel.lastSeq), the channel's latest.")
        }
        let marker = try await store.markRead(channelID: channelID, userID: userID, seq: seq, now: now())
        let state = try await store.readStates(communityID: community.id, userID: userID)[channelID] ?? ReadState(readSeq: marker, unread: 0)
        fanout.toUser(userID, frame: ServerFrame.read(ref: nil, channel: channelID, state: state), except: connection)
        return state
    }

    func createChannel(
        slug: String, name rawName: String, topic rawTopic: String?, isPrivate: Bool, announcementOnly: Bool, slowModeSeconds: Int,
        by principal: Principal
    ) async throws -> Channel {
        let community = try await directory.readable(slug: slug, by: principal)
        try Policy.require(.createChannel, by: principal, on: directory.target(community))
        let name = try Validation.channelName(rawName)
        let topic = try Validation.topic(rawTopic ?? "")
        guard (0...21_600).contains(slowModeSeconds) else {
            throw ConveneError.invalid("slow_mode_seconds", "slow_mode_seconds must be 0–21600.")
        }
        return try await store.createChannel(
            communityID: community.id, name: name, topic: topic, isPrivate: isPrivate, announcementOnly: announcementOnly,
            slowModeSeconds: slowModeSeconds, createdBy: principal.userID, now: now())
    }

    /// Adds a community member to a private channel (moderators and leads).
    func addMember(channelID: Int64, userID: Int64, by principal: Principal) async throws -> Bool {
        let (channel, community) = try await access(.readChannel, channelID: channelID, by: principal)
        try Policy.require(.manageChannelMembers, by: principal, on: directory.target(community))
        guard channel.isPrivate else { throw ConveneError(.conflict, "Everyone in the community can already read this public channel.") }
        let member = try await store.principal(userID: userID, now: now())
        guard try await store.user(id: userID) != nil, member.memberships.contains(community.id) else {
            throw ConveneError.invalid("user_id", "User \(userID) is not a member of \(community.slug).")
        }
        return try await store.addChannelMember(channelID: channelID, userID: userID, now: now())
    }

    /// What sending came to.
    enum PostOutcome: Sendable {
        /// Stored (`created` false for a retry of a stored message).
        case posted(Message, created: Bool)
        /// Held for a moderator's approval by a watched word.
        case held(PendingMessage)
    }

    /// Sends a message once per nonce: a repeated nonce returns the original message (`created` false),
    /// and is refused when it was used for a different message. The community's watched words
    /// censor it, refuse it, hold it for approval or flag it for review.
    func post(channelID: Int64, body rawBody: String, threadID: Int64?, nonce rawNonce: String, by principal: Principal) async throws
        -> PostOutcome
    {
        let (channel, community) = try await access(.postMessage, channelID: channelID, by: principal)
        let body = try Validation.messageBody(rawBody)
        let nonce = try Validation.nonce(rawNonce, field: "nonce")
        let userID = principal.userID!
        // Moderators and above send unpaced, and are neither held nor flagged by watched words.
        let unpaced = Policy.check(.sendUnpaced, by: principal, on: directory.target(community)).isSuccess
        let screening = WatchedWords.screen(body, with: try await store.watchedWords(communityID: community.id), exempt: unpaced)
        // A retry of a stored or held message is answered before the rules.
        if try await store.messages(authorID: userID, nonce: nonce) == nil {
            // Only a body that holds an approve word can have been held; when the word has gone since,
            // posting is right too: an approval finds the posted message by the same nonce.
            if screening.heldBy != nil, let pending = try await store.pendingMessage(authorID: userID, nonce: nonce) {
                guard pending.channelID == channel.id, pending.body == screening.body, pending.threadID == threadID else {
                    throw ConveneError(.conflict, "That idempotency key was already used for a different message.")
                }
                return .held(pending)
            }
            if !unpaced {
                let isNew = try await isNewMember(principal, in: community)
                if isNew { try newMembers.check(body: body) }
                try limits.check(userID: userID, channel: channel, now: now(), newMemberRate: isNew ? newMembers.messagesPerMinute : nil)
            }
            if let word = screening.blockedBy {
                throw ConveneError.invalid("body", "This community does not allow “\(word.pattern)”; the message was not sent.")
            }
            if let word = screening.heldBy {
                if !unpaced { limits.sent(userID: userID, channel: channel, now: now()) }
                return .held(
                    try await store.holdMessage(
                        NewPendingMessage(
                            communityID: community.id, channelID: channel.id, authorID: userID, body: screening.body, threadID: threadID, nonce: nonce,
                            watchedWord: word.pattern),
                        now: now()))
            }
        }
        let (message, created) = try await append(
            channel: channel, community: community, authorID: userID, body: screening.body, threadID: threadID, nonce: nonce)
        if created {
            if !unpaced { limits.sent(userID: userID, channel: channel, now: now()) }
            if let word = screening.flaggedBy {
                _ = try await store.flagByWatchedWord(communityID: community.id, target: .message, id: message.id, word: word.pattern, now: now())
            }
        }
        return .posted(message, created: created)
    }

    /// Appends a message through the group committer, its mentions notified; a nonce the author
    /// used for this very message returns it (`created` false), for another one is a conflict.
    private func append(channel: Channel, community: Community, authorID: Int64, body: String, threadID: Int64?, nonce: String) async throws
        -> (Message, created: Bool)
    {
        let mentions = try await readers(mentionedIn: body, channel: channel, community: community, authorID: authorID)
        let outcome = try await committer.submit(
            NewMessage(
                channelID: channel.id, authorID: authorID, body: body, bodyHTML: Markdown.html(body), threadID: threadID, nonce: nonce, mentions: mentions))
        switch outcome {
        case .created(let message):
            if !mentions.isEmpty { await notifications.deliver(causedBy: message.id) }
            return (message, true)
        case .duplicate(let message):
            guard message.channelID == channel.id, message.body == body, message.threadID == threadID else {
                throw ConveneError(.conflict, "That idempotency key was already used for a different message.")
            }
            return (message, false)
        case .rejected(let error):
            throw error
        }
    }

    /// Posts a held message as its author sent it (a moderator approved it); posting it twice
    /// gives the same message, by its nonce.
    func publish(_ pending: PendingMessage) async throws -> Message {
        guard let channel = try await store.channel(id: pending.channelID), let community = try await store.community(id: channel.communityID) else {
            throw ConveneError.notFound("The channel")
        }
        return try await append(
            channel: channel, community: community, authorID: pending.authorID, body: pending.body, threadID: pending.threadID, nonce: pending.nonce
        ).0
    }

    /// Whether a member (below the roles that send unpaced: the caller asks Policy) is in their
    /// first days in the community.
    private func isNewMember(_ principal: Principal, in community: Community) async throws -> Bool {
        guard newMembers.days > 0, let userID = principal.userID else { return false }
        return newMembers.isNew(joinedAt: try await store.joinedAt(communityID: community.id, userID: userID), now: now())
    }

    /// The members named in `body` (see `Mentions`) who may read the channel, but the author:
    /// a mention never tells anyone about a channel they cannot read.
    private func readers(mentionedIn body: String, channel: Channel, community: Community, authorID: Int64) async throws -> [Int64] {
        let keys = Mentions.keys(in: body)
        guard !keys.isEmpty else { return [] }
        var readers: [Int64] = []
        for userID in try await store.members(communityID: community.id, nameKeys: Set(keys)).prefix(50) where userID != authorID {
            let principal = try await store.principal(userID: userID, now: now())
            let isMember = channel.isPrivate ? try await store.isChannelMember(channelID: channel.id, userID: userID) : false
            if Policy.check(.readChannel, by: principal, on: target(community, channel, isMember: isMember)).isSuccess {
                readers.append(userID)
            }
        }
        return readers
    }

    /// Edits the caller's own message; the old text is kept as a revision, and subscribers get a
    /// `message.edited` event. Returns the message and the event's seq (nil when nothing changed).
    func edit(messageID: Int64, body rawBody: String, by principal: Principal) async throws -> (Message, seq: Int64?) {
        let (message, community, channel) = try await messageAccess(messageID, by: principal)
        try Policy.require(.editMessage, by: principal, on: target(community, channel, owner: message.authorID == principal.userID))
        let written = try Validation.messageBody(rawBody)
        let unpaced = Policy.check(.sendUnpaced, by: principal, on: directory.target(community)).isSuccess
        if !unpaced, try await isNewMember(principal, in: community) { try newMembers.check(body: written) }
        let screening = WatchedWords.screen(written, with: try await store.watchedWords(communityID: community.id), exempt: unpaced)
        if let word = screening.blockedBy {
            throw ConveneError.invalid("body", "This community does not allow “\(word.pattern)”; the edit was not saved.")
        }
        if let word = screening.heldBy {
            // An edit would bypass the approval a new message waits for.
            throw ConveneError.invalid("body", "This community holds messages with “\(word.pattern)” for approval: post it as a new message.")
        }
        let body = screening.body
        let (editedMessage, editedSeq, _) = try await apply(
            .edit(messageID: messageID, editorID: principal.userID!, body: body, bodyHTML: Markdown.html(body)), to: message)
        if editedSeq != nil, let word = screening.flaggedBy {
            _ = try await store.flagByWatchedWord(communityID: community.id, target: .message, id: messageID, word: word.pattern, now: now())
        }
        // Whoever the edit newly mentions is told, once per message, as a new message would tell them.
        if editedSeq != nil, !Mentions.keys(in: body).isEmpty {
            let readers = try await readers(mentionedIn: body, channel: channel, community: community, authorID: message.authorID)
            let added = try await store.addMentions(messageID: messageID, users: readers, actorID: principal.userID!, now: now())
            if !added.isEmpty { await notifications.deliver(causedBy: messageID, to: Set(added)) }
        }
        return (editedMessage, editedSeq)
    }

    /// Adds (`on`) or takes back the caller's reaction; subscribers get a `reaction.changed` event.
    /// Returns the message and the event's seq (nil when the reaction was already so).
    func react(messageID: Int64, emoji rawEmoji: String, on: Bool, by principal: Principal) async throws -> (Message, seq: Int64?) {
        let (message, community, channel) = try await messageAccess(messageID, by: principal)
        try Policy.require(.reactMessage, by: principal, on: target(community, channel, owner: message.authorID == principal.userID))
        let emoji = try Validation.emoji(rawEmoji)
        let (reacted, seq, _) = try await apply(.react(messageID: messageID, userID: principal.userID!, emoji: emoji, on: on), to: message)
        return (reacted, seq)
    }

    /// Pins or unpins a message in its channel (moderators and leads); subscribers get a
    /// `message.pinned` / `message.unpinned` event, and the audit log a row. Returns the message,
    /// the event's seq and the audit row (nil both when it was so already).
    func pin(messageID: Int64, pinned: Bool, reason: String? = nil, by principal: Principal) async throws -> StaffChange {
        let (message, community, channel) = try await messageAccess(messageID, by: principal)
        try Policy.require(.pinMessage, by: principal, on: target(community, channel, owner: message.authorID == principal.userID))
        let action = pinned ? "pin" : "unpin"
        return try await apply(
            .pin(messageID: messageID, by: principal.userID!, pinned: pinned), to: message,
            audit: audit(action, message, reason: reason ?? (pinned ? "Pinned in the channel." : "Unpinned in the channel."), by: principal))
    }

    /// Hides a message pending review, or shows it again (moderators and leads): readers keep its
    /// place but not its text. Subscribers get a `message.hidden` / `message.unhidden` event, the
    /// audit log a row; hiding settles the message's open review item.
    func hide(messageID: Int64, hidden: Bool, reason: String, by principal: Principal) async throws -> StaffChange {
        let (message, community, channel) = try await messageAccess(messageID, by: principal)
        try Policy.require(.moderateContent, by: principal, on: target(community, channel, owner: message.authorID == principal.userID))
        return try await apply(
            .hide(messageID: messageID, by: principal.userID!, hidden: hidden), to: message,
            audit: audit(hidden ? "hide" : "unhide", message, reason: reason, by: principal))
    }

    /// What a staff change to a message came to; `seq` and `audit` are nil when it changed nothing.
    typealias StaffChange = (message: Message, seq: Int64?, audit: AuditEntry?)

    private func audit(_ action: String, _ message: Message, reason: String, by principal: Principal) -> NewAuditEntry {
        NewAuditEntry(
            communityID: message.communityID, actorID: principal.userID!, action: action, targetType: "message", targetID: message.id, reason: reason)
    }

    /// The channel's pinned messages, the latest pin first.
    func pins(channelID: Int64, by principal: Principal) async throws -> [Message] {
        _ = try await access(.readChannel, channelID: channelID, by: principal)
        return try await store.pinnedMessages(channelID: channelID)
    }

    /// Stores a change (with its audit row, for a staff change) and publishes its event; a change
    /// that changes nothing returns the message as it was.
    private func apply(_ change: MessageChange, to message: Message, audit: NewAuditEntry? = nil) async throws -> StaffChange {
        guard let (event, audited) = try await store.change(change, audit: audit, now: now()) else { return (message, nil, nil) }
        fanout.event(channel: event.channelID, seq: event.seq, frame: ServerFrame.event(event))
        return (event.message, event.seq, audited)
    }

    /// Deletes a message (its author, or a moderator): a tombstone stays at its seq, and subscribers
    /// get a `message.deleted` event. A moderator's delete of another's message is audited and
    /// settles its open review item. Returns the event's seq.
    func delete(messageID: Int64, reason: String? = nil, by principal: Principal) async throws -> (message: Message, seq: Int64, audit: AuditEntry?) {
        let (message, community, channel) = try await messageAccess(messageID, by: principal)
        let own = message.authorID == principal.userID
        try Policy.require(.deleteMessage, by: principal, on: target(community, channel, owner: own))
        let staff = own ? nil : audit("delete", message, reason: reason ?? "Deleted in the channel.", by: principal)
        let (deleted, seq, audited) = try await apply(.delete(messageID: messageID, deletedBy: principal.userID!), to: message, audit: staff)
        guard let seq else { throw ConveneError(.conflict, "That message was deleted.") }
        return (deleted, seq, audited)
    }

    /// Earlier texts of a message, for moderators and its author.
    func revisions(messageID: Int64, by principal: Principal) async throws -> [MessageRevision] {
        let (message, community, channel) = try await messageAccess(messageID, by: principal)
        try Policy.require(.readRevisions, by: principal, on: target(community, channel, owner: message.authorID == principal.userID))
        return try await store.revisions(messageID: messageID)
    }

    /// The message, its community and channel, after the Policy let the caller read the channel; 404 otherwise.
    func messageAccess(_ messageID: Int64, by principal: Principal) async throws -> (Message, Community, Channel) {
        guard let message = try await store.message(id: messageID) else { throw ConveneError.notFound("The message") }
        let (channel, community) = try await access(.readChannel, channelID: message.channelID, by: principal)
        return (message, community, channel)
    }

    func target(_ community: Community, _ channel: Channel, owner: Bool) -> PolicyTarget {
        var target = target(community, channel, isMember: true)
        target.channel = nil
        target.callerIsOwner = owner
        return target
    }

    /// A page of history and whether more lies beyond it in the direction read.
    func history(channelID: Int64, afterSeq: Int64?, beforeSeq: Int64?, limit: Int, by principal: Principal) async throws
        -> (messages: [Message], hasMore: Bool)
    {
        _ = try await access(.readChannel, channelID: channelID, by: principal)
        let page = try await store.messages(channelID: channelID, afterSeq: afterSeq, beforeSeq: beforeSeq, limit: limit + 1)
        guard page.count > limit else { return (page, false) }
        return (afterSeq != nil ? Array(page.prefix(limit)) : Array(page.suffix(limit)), true)
    }

    /// The channel and its community, after the Policy allowed `action` there; 404 for a channel
    /// the caller may not know of.
    func access(_ action: Action, channelID: Int64, by principal: Principal) async throws -> (Channel, Community) {
        guard let channel = try await store.channel(id: channelID), let community = try await store.community(id: channel.communityID) else {
            throw ConveneError.notFound("The channel")
        }
        try Policy.require(.readCommunity, by: principal, on: directory.target(community))
        var isMember = false
        if channel.isPrivate, let userID = principal.userID {
            isMember = try await store.isChannelMember(channelID: channel.id, userID: userID)
        }
        try Policy.require(.readChannel, by: principal, on: target(community, channel, isMember: isMember))
        if action != .readChannel {
            try Policy.require(action, by: principal, on: target(community, channel, isMember: isMember))
        }
        return (channel, community)
    }

    func target(_ community: Community, _ channel: Channel, isMember: Bool) -> PolicyTarget {
        PolicyTarget(
            scope: .community(community.id), visibility: community.visibility,
            channel: ChannelAccess(isPrivate: channel.isPrivate, announcementOnly: channel.announcementOnly, callerIsMember: isMember, locked: channel.locked))
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
