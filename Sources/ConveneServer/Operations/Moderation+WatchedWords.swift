import ConveneCore
import ConveneStore
import Foundation

/// Watched words per community — block, approve (hold for approval), flag, censor — and the
/// messages they hold, approved or rejected by the community's moderators.
extension Moderation {
    struct WatchRequest: Decodable, Sendable {
        var word: String
        var action: String
    }

    /// A community's watched words, for its moderators.
    func watchedWords(slug: String, by principal: Principal) async throws -> [WatchedWord] {
        let community = try await directory.readable(slug: slug, by: principal)
        try Policy.require(.readReviewQueue, by: principal, on: directory.target(community))
        return try await store.watchedWords(communityID: community.id)
    }

    /// Watches a word in a community; audited.
    func watch(slug: String, _ request: WatchRequest, by principal: Principal) async throws -> (WatchedWord, AuditEntry) {
        let community = try await directory.readable(slug: slug, by: principal)
        try Policy.require(.moderateContent, by: principal, on: directory.target(community))
        let pattern = try WatchedWords.pattern(request.word)
        guard let action = WatchedAction(rawValue: request.action) else {
            throw ConveneError.invalid("action", "action must be one of \(WatchedAction.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        return try await store.addWatchedWord(
            communityID: community.id, pattern: pattern, action: action, by: principal.userID!,
            audit: NewAuditEntry(
                communityID: community.id, actorID: principal.userID!, action: "watch_word", targetType: "community", targetID: community.id,
                reason: "\(action.rawValue): \(pattern)"),
            now: now())
    }

    /// Stops watching a word; audited.
    func unwatch(slug: String, id: Int64, by principal: Principal) async throws -> AuditEntry {
        let community = try await directory.readable(slug: slug, by: principal)
        try Policy.require(.moderateContent, by: principal, on: directory.target(community))
        guard let word = try await store.watchedWord(id: id), word.communityID == community.id,
            let audit = try await store.removeWatchedWord(
                id: id,
                audit: NewAuditEntry(
                    communityID: community.id, actorID: principal.userID!, action: "unwatch_word", targetType: "community", targetID: community.id,
                    reason: "\(word.action.rawValue): \(word.pattern)"),
                now: now())
        else { throw ConveneError.notFound("The watched word") }
        return audit
    }

    /// Held messages of one community or of every community the caller moderates.
    func pending(communitySlug: String?, state: PendingState, offset: Int, limit: Int, by principal: Principal) async throws -> [PendingMessage] {
        try await store.pendingMessages(
            communityIDs: try await moderated(communitySlug: communitySlug, by: principal), state: state, offset: offset, limit: limit)
    }

    /// Approves a held message — it is posted as its author sent it — or rejects it; audited, and
    /// told to the author's open connections.
    func decidePending(_ request: ActionRequest, reason: String, by principal: Principal) async throws -> Outcome {
        guard request.target.type == "pending_message" else {
            throw ConveneError.invalid("target.type", "\(request.action) takes a pending_message target.")
        }
        guard request.until == nil else { throw ConveneError.invalid("until", "\(request.action) takes no end time.") }
        guard let pending = try await store.pendingMessage(id: request.target.id) else { throw ConveneError.notFound("The pending message") }
        try Policy.require(.moderateContent, by: principal, on: try await scope(communityID: pending.communityID, by: principal))
        guard pending.state == .open else { throw ConveneError(.conflict, "That message was \(pending.state.rawValue) already.") }
        let approved = request.action == "approve"
        // Posting first: a second approval finds the message by its nonce, and only one decision is kept.
        let message = approved ? try await messaging.publish(pending) : nil
        guard
            let (decided, audit) = try await store.decidePending(
                id: pending.id, approved: approved, messageID: message?.id, by: principal.userID!,
                audit: NewAuditEntry(
                    communityID: pending.communityID, actorID: principal.userID!, action: request.action, targetType: "pending_message",
                    targetID: pending.id, reason: reason),
                now: now())
        else { throw ConveneError(.conflict, "That message was decided already.") }
        fanout.toUser(pending.authorID, frame: ServerFrame.pendingDecided(decided))
        return Outcome(message: message, pending: decided, audit: audit)
    }
}
