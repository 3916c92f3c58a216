import ConveneCore
import ConveneStore
import Foundation

/// Flags and the review queue: members flag messages and members; flags on one target gather in
/// one open review item of its community; enough of them hide a message until a moderator settles
/// the item; a privacy flag goes to the community's leads at once.
extension Moderation {
    static let noteLength = 1_000

    struct FlagRequest: Decodable, Sendable {
        var target: Target
        var reason: String
        var note: String?
        /// The community's slug, for a flag on a member (a message names its own).
        var community: String?
    }

    /// Files the caller's flag; hides the message when it reaches the threshold.
    func flag(_ request: FlagRequest, by principal: Principal) async throws -> FiledFlag {
        guard let userID = principal.userID else { throw ConveneError(.unauthenticated, "Sign in to do that.") }
        guard let reason = FlagReason(rawValue: request.reason) else {
            throw ConveneError.invalid("reason", "reason must be one of \(FlagReason.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        let note = request.note?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (note?.count ?? 0) <= Self.noteLength else { throw ConveneError.invalid("note", "A note is at most \(Self.noteLength) characters.") }
        if reason == .other, note?.isEmpty ?? true { throw ConveneError.invalid("note", "Say what is wrong when the reason is other.") }
        let community: Community
        let targetType: ReviewTargetType
        switch request.target.type {
        case "message":
            let (message, found, _) = try await messaging.messageAccess(request.target.id, by: principal)
            guard message.authorID != userID else { throw ConveneError.invalid("target.id", "You cannot flag your own message.") }
            guard !message.deleted else { throw ConveneError(.conflict, "That message was deleted.") }
            (community, targetType) = (found, .message)
        case "user":
            guard let slug = request.community else {
                throw ConveneError.invalid("community", "Flagging a member needs the community where it happened.")
            }
            community = try await directory.readable(slug: slug, by: principal)
            guard request.target.id != userID else { throw ConveneError.invalid("target.id", "You cannot flag yourself.") }
            guard try await store.user(id: request.target.id) != nil else { throw ConveneError.notFound("The user") }
            let member = try await store.principal(userID: request.target.id, now: now())
            guard Policy.role(of: member, in: directory.target(community).scope) >= .member else {
                throw ConveneError.invalid("target.id", "That user is not a member of \(community.slug).")
            }
            targetType = .user
        case "question", "answer":
            let post: VoteTarget = request.target.type == "question" ? .question : .answer
            let (author, found) = try await forums.post(post, request.target.id, by: principal).authorAndCommunity
            guard author != userID else { throw ConveneError.invalid("target.id", "You cannot flag your own \(post.rawValue).") }
            (community, targetType) = (found, post == .question ? .question : .answer)
        case "comment":
            throw ConveneError.invalid("target.type", "Flags on comments are not taken yet; flag a message, question, answer or user.")
        default:
            throw ConveneError.invalid("target.type", "target.type must be message, question, answer or user.")
        }
        try Policy.require(.flagContent, by: principal, on: directory.target(community))
        let filed = try await store.fileFlag(
            NewFlag(
                communityID: community.id, targetType: targetType, targetID: request.target.id, userID: userID, reason: reason,
                note: note?.isEmpty == false ? note : nil),
            hideThreshold: flagHideThreshold, now: now())
        if let hidden = filed.hidden {
            fanout.event(channel: hidden.channelID, seq: hidden.seq, frame: ServerFrame.event(hidden))
        }
        if filed.hidPost, let post = targetType.post { await forums.announceHidden(post, request.target.id, hidden: true) }
        if reason.escalates {
            let frame = ServerFrame.reviewItem(filed.item)
            for lead in try await leads(of: community) { fanout.toUser(lead, frame: frame) }
        }
        return filed
    }

    /// The users who hold the lead role (or above) in a community: its leads, its steering
    /// committee, the network's admins.
    private func leads(of community: Community) async throws -> Set<Int64> {
        var leads: Set<Int64> = []
        let target = directory.target(community)
        for userID in Set(try await store.grants(reachingCommunity: community.id).map(\.userID)) {
            if Policy.role(of: try await store.principal(userID: userID, now: now()), in: target.scope) >= .lead { leads.insert(userID) }
        }
        return leads
    }

    /// An item with everything a reviewer needs to decide it.
    struct QueueEntry: Sendable {
        var item: ReviewItem
        var flags: [Flag]
        /// The flagged message, text included even when hidden.
        var message: Message?
        /// Up to two messages before and after it in its channel.
        var context: [Message]
        /// The flagged member.
        var user: User?
        /// The flagged question, or the question of the flagged answer.
        var question: Question?
        var answer: Answer?
    }

    /// The review queue: one community's (its moderators), or — with no community — every
    /// community the caller moderates (all of them for network admins).
    func queue(communitySlug: String?, state: ReviewState, offset: Int, limit: Int, by principal: Principal) async throws -> [QueueEntry] {
        let communityIDs = try await moderated(communitySlug: communitySlug, by: principal)
        var entries: [QueueEntry] = []
        for item in try await store.reviewItems(communityIDs: communityIDs, state: state, offset: offset, limit: limit) {
            entries.append(try await entry(item))
        }
        return entries
    }

    /// The communities whose queues the caller reads: the one named (its moderators), or every
    /// one the caller moderates (nil, meaning all, for network admins).
    func moderated(communitySlug: String?, by principal: Principal) async throws -> [Int64]? {
        if let communitySlug {
            let community = try await directory.readable(slug: communitySlug, by: principal)
            try Policy.require(.readReviewQueue, by: principal, on: directory.target(community))
            return [community.id]
        }
        if Policy.check(.readReviewQueue, by: principal, on: .network).isSuccess { return nil }
        let communityIDs = try await directory.communities(for: principal)
            .filter { Policy.check(.readReviewQueue, by: principal, on: directory.target($0)).isSuccess }.map(\.id)
        guard !communityIDs.isEmpty else { throw ConveneError.forbidden("You moderate no community.") }
        return communityIDs
    }

    /// One item of the queue, for the moderators of its community.
    func queueEntry(id: Int64, by principal: Principal) async throws -> QueueEntry {
        let item = try await reviewable(id, by: principal, .readReviewQueue)
        return try await entry(item)
    }

    private func entry(_ item: ReviewItem) async throws -> QueueEntry {
        var entry = QueueEntry(item: item, flags: try await store.flags(reviewItemID: item.id), context: [])
        switch item.targetType {
        case .message:
            entry.message = try await store.message(id: item.targetID)
            if let message = entry.message {
                entry.context =
                    try await store.messages(channelID: message.channelID, afterSeq: nil, beforeSeq: message.seq, limit: 2)
                    + store.messages(channelID: message.channelID, afterSeq: message.seq, beforeSeq: nil, limit: 2)
            }
        case .user:
            entry.user = try await store.user(id: item.targetID)
        case .question:
            entry.question = try await store.question(id: item.targetID)
        case .answer:
            entry.answer = try await store.answer(id: item.targetID)
            if let answer = entry.answer { entry.question = try await store.question(id: answer.questionID) }
        }
        return entry
    }

    /// The item, after the Policy allowed `action` in its community.
    private func reviewable(_ id: Int64, by principal: Principal, _ action: Action) async throws -> ReviewItem {
        guard let item = try await store.reviewItem(id: id) else { throw ConveneError.notFound("The review item") }
        try Policy.require(action, by: principal, on: try await scope(communityID: item.communityID, by: principal))
        return item
    }

    /// Settles an open item (`resolve_flag`): resolved, or rejected — which shows a message the
    /// flags hid again. Nobody settles an item about themselves or their own message.
    func settle(_ request: ActionRequest, reason: String, by principal: Principal) async throws -> Outcome {
        guard request.target.type == "review_item" else { throw ConveneError.invalid("target.type", "resolve_flag takes a review_item target.") }
        guard request.until == nil else { throw ConveneError.invalid("until", "resolve_flag takes no end time.") }
        guard let outcome = ReviewState(rawValue: request.outcome ?? "resolved"), outcome != .open else {
            throw ConveneError.invalid("outcome", "outcome must be resolved or rejected.")
        }
        let item = try await reviewable(request.target.id, by: principal, .moderateContent)
        let actorID = principal.userID!
        let aboutActor =
            switch item.targetType {
            case .user: item.targetID == actorID
            case .message: try await store.message(id: item.targetID)?.authorID == actorID
            case .question: try await store.question(id: item.targetID)?.authorID == actorID
            case .answer: try await store.answer(id: item.targetID)?.authorID == actorID
            }
        guard !aboutActor else { throw ConveneError.forbidden("An item about you or your own message is settled by another moderator.") }
        guard
            let (settled, audit, event) = try await store.settleReviewItem(
                id: item.id, as: outcome, by: actorID,
                audit: NewAuditEntry(
                    communityID: item.communityID, actorID: actorID, action: "resolve_flag", targetType: "review_item", targetID: item.id,
                    reason: reason),
                now: now())
        else { throw ConveneError(.conflict, "That review item was settled already.") }
        if let event { fanout.event(channel: event.channelID, seq: event.seq, frame: ServerFrame.event(event)) }
        if outcome == .rejected, let post = item.targetType.post { await forums.announceHidden(post, item.targetID, hidden: false) }
        return Outcome(message: event?.message, reviewItem: settled, audit: audit)
    }

    /// Assigns an open item to one of the community's moderators, or to nobody.
    func assign(itemID: Int64, to assigneeID: Int64?, by principal: Principal) async throws -> ReviewItem {
        let item = try await reviewable(itemID, by: principal, .moderateContent)
        if let assigneeID {
            guard try await store.user(id: assigneeID) != nil else { throw ConveneError.invalid("user_id", "There is no user \(assigneeID).") }
            let assignee = try await store.principal(userID: assigneeID, now: now())
            guard Policy.check(.readReviewQueue, by: assignee, on: try await scope(communityID: item.communityID, by: principal)).isSuccess else {
                throw ConveneError.invalid("user_id", "Only a moderator of the community can take a review item.")
            }
        }
        guard let assigned = try await store.assignReviewItem(id: item.id, to: assigneeID) else {
            throw ConveneError(.conflict, "That review item was settled already.")
        }
        return assigned
    }
}
