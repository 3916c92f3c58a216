import ConveneCore
import ConveneStore
import Foundation

/// Staff actions — on members (warn, silence, suspend, lift), on messages (hide, unhide, pin,
/// unpin, delete), on channels (lock, unlock) and on review items (resolve_flag) — each checked by
/// Policy in its scope and audited in the same transaction; the audit log for those who may read
/// it; flags and the review queue (Moderation+Review.swift).
struct Moderation: Sendable {
    let store: any ConveneStore
    let directory: NetworkDirectory
    let messaging: Messaging
    let forums: Forums
    let fanout: Fanout
    /// Flags from distinct members that hide a message pending review.
    let flagHideThreshold: Int
    let now: @Sendable () -> Date

    /// Every action of the API.
    static let actions = [
        "hide", "unhide", "lock", "unlock", "pin", "unpin", "delete", "warn", "silence", "suspend", "lift", "resolve_flag", "approve", "reject",
    ]
    static let reasonLength = 1_000

    /// What a staff action changed, and its audit row.
    struct Outcome: Sendable {
        var sanction: Sanction?
        var message: Message?
        var channel: Channel?
        var reviewItem: ReviewItem?
        var pending: PendingMessage?
        var question: Question?
        var answer: Answer?
        var audit: AuditEntry
    }

    struct Target: Decodable, Sendable {
        var type: String
        var id: Int64
    }

    struct ActionRequest: Decodable, Sendable {
        var action: String
        var target: Target
        /// The community's slug; absent for the whole network.
        var community: String?
        var reason: String
        var until: Date?
        /// For `resolve_flag`: `resolved` (the flags were right; the default) or `rejected`.
        var outcome: String?
    }

    /// Takes a staff action; returns what it changed and its audit row.
    func act(_ request: ActionRequest, by principal: Principal) async throws -> Outcome {
        guard principal.userID != nil else { throw ConveneError(.unauthenticated, "Sign in to do that.") }
        let reason = request.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.count <= Self.reasonLength else {
            throw ConveneError.invalid("reason", "Give a reason of 1–\(Self.reasonLength) characters.")
        }
        if request.action != "resolve_flag", request.outcome != nil {
            throw ConveneError.invalid("outcome", "Only resolve_flag takes an outcome.")
        }
        switch request.action {
        case "warn", "silence", "suspend", "lift":
            let (sanction, audit) = try await sanction(request, by: principal)
            return Outcome(sanction: sanction, audit: audit)
        case "hide" where ["question", "answer"].contains(request.target.type), "unhide" where ["question", "answer"].contains(request.target.type):
            guard request.until == nil else { throw ConveneError.invalid("until", "\(request.action) takes no end time.") }
            let post: VoteTarget = request.target.type == "question" ? .question : .answer
            let (question, answer, audit) = try await forums.hide(post, id: request.target.id, hidden: request.action == "hide", reason: reason, by: principal)
            return Outcome(question: question, answer: answer, audit: audit)
        case "hide", "unhide", "pin", "unpin", "delete":
            return try await moderateMessage(request, reason: reason, by: principal)
        case "lock", "unlock":
            return try await lockChannel(request, reason: reason, by: principal)
        case "resolve_flag":
            return try await settle(request, reason: reason, by: principal)
        case "approve", "reject":
            return try await decidePending(request, reason: reason, by: principal)
        default:
            throw ConveneError.invalid("action", "action must be one of \(Self.actions.joined(separator: ", ")).")
        }
    }

    /// Hides, unhides, pins, unpins or deletes another member's message, through the channel's
    /// own operations, so subscribers get the event as from any other door.
    private func moderateMessage(_ request: ActionRequest, reason: String, by principal: Principal) async throws -> Outcome {
        guard request.target.type == "message" else { throw ConveneError.invalid("target.type", "\(request.action) takes a message target.") }
        guard request.until == nil else { throw ConveneError.invalid("until", "\(request.action) takes no end time.") }
        let (message, community, _) = try await messaging.messageAccess(request.target.id, by: principal)
        try Policy.require(.moderateContent, by: principal, on: directory.target(community))
        let change: Messaging.StaffChange
        switch request.action {
        case "hide", "unhide":
            change = try await messaging.hide(messageID: message.id, hidden: request.action == "hide", reason: reason, by: principal)
        case "pin", "unpin":
            change = try await messaging.pin(messageID: message.id, pinned: request.action == "pin", reason: reason, by: principal)
        default:
            guard message.authorID != principal.userID else {
                throw ConveneError.invalid("target.id", "That is your own message: delete it in the channel.")
            }
            let deleted = try await messaging.delete(messageID: message.id, reason: reason, by: principal)
            change = (deleted.message, deleted.seq, deleted.audit)
        }
        guard let audit = change.audit else {
            let state = ["hide": "hidden", "unhide": "shown", "pin": "pinned", "unpin": "not pinned"][request.action] ?? "so"
            throw ConveneError(.conflict, "That message is \(state) already.")
        }
        return Outcome(message: change.message, audit: audit)
    }

    /// Locks a channel (only moderators and leads may post in it) or unlocks it.
    private func lockChannel(_ request: ActionRequest, reason: String, by principal: Principal) async throws -> Outcome {
        guard request.target.type == "channel" else { throw ConveneError.invalid("target.type", "\(request.action) takes a channel target.") }
        guard request.until == nil else { throw ConveneError.invalid("until", "\(request.action) takes no end time.") }
        let (channel, community) = try await messaging.access(.readChannel, channelID: request.target.id, by: principal)
        try Policy.require(.moderateContent, by: principal, on: directory.target(community))
        let locked = request.action == "lock"
        guard
            let (changed, audit) = try await store.setChannelLocked(
                id: channel.id, locked: locked,
                audit: NewAuditEntry(
                    communityID: community.id, actorID: principal.userID!, action: request.action, targetType: "channel", targetID: channel.id,
                    reason: reason),
                now: now())
        else { throw ConveneError(.conflict, "That channel is \(locked ? "locked" : "unlocked") already.") }
        return Outcome(channel: changed, audit: audit)
    }

    /// Warns, silences, suspends, or lifts a sanction; returns the sanction and its audit row.
    private func sanction(_ request: ActionRequest, by principal: Principal) async throws -> (Sanction, AuditEntry) {
        let actorID = principal.userID!
        let reason = request.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        switch request.action {
        case "warn", "silence", "suspend":
            let kind = SanctionKind(rawValue: request.action)!
            guard request.target.type == "user" else { throw ConveneError.invalid("target.type", "\(request.action) takes a user target.") }
            guard request.target.id != actorID else { throw ConveneError.invalid("target.id", "You cannot sanction yourself.") }
            guard try await store.user(id: request.target.id) != nil else { throw ConveneError.notFound("The user") }
            if let until = request.until {
                guard kind != .warn else { throw ConveneError.invalid("until", "A warning has no end time.") }
                guard until > now() else { throw ConveneError.invalid("until", "until must be in the future.") }
            }
            let (scope, communityID) = try await scope(slug: request.community, by: principal)
            try Policy.require(.sanctionMember, by: principal, on: scope)
            let target = try await store.principal(userID: request.target.id, now: now())
            guard Policy.role(of: target, in: scope.scope) < Policy.role(of: principal, in: scope.scope) else {
                throw ConveneError.forbidden("That member holds a role here at least as high as yours.")
            }
            return try await store.addSanction(
                NewSanction(userID: request.target.id, kind: kind, communityID: communityID, reason: reason, createdBy: actorID, endsAt: request.until),
                audit: NewAuditEntry(
                    communityID: communityID, actorID: actorID, action: request.action, targetType: "user", targetID: request.target.id, reason: reason),
                now: now())
        case "lift":
            guard request.target.type == "sanction" else { throw ConveneError.invalid("target.type", "lift takes a sanction target.") }
            guard request.until == nil else { throw ConveneError.invalid("until", "lift takes no end time.") }
            guard let sanction = try await store.sanction(id: request.target.id) else { throw ConveneError.notFound("The sanction") }
            let scope = try await sanctionScope(sanction, by: principal)
            try Policy.require(.sanctionMember, by: principal, on: scope)
            guard
                let lifted = try await store.liftSanction(
                    id: sanction.id, by: actorID,
                    audit: NewAuditEntry(
                        communityID: sanction.communityID, actorID: actorID, action: "lift", targetType: "sanction", targetID: sanction.id, reason: reason),
                    now: now())
            else { throw ConveneError(.conflict, "That sanction was lifted already.") }
            return lifted
        default:
            throw ConveneError.invalid("action", "action must be one of \(Self.actions.joined(separator: ", ")).")
        }
    }

    /// A page of the audit log: one community's (its leads), or every row (network admins).
    func audit(communitySlug: String?, afterID: Int64?, limit: Int, by principal: Principal) async throws -> [AuditEntry] {
        let (scope, communityID) = try await scope(slug: communitySlug, by: principal)
        try Policy.require(.readAudit, by: principal, on: scope)
        return try await store.auditEntries(communityID: communityID, afterID: afterID, limit: limit)
    }

    static let appealLength = 2_000
    /// The actions a member may appeal: sanctions against them, a hide of their message, the
    /// rejection of their held message. (A delete is not: deleted text cannot be restored yet.)
    static let appealable: Set<String> = ["warn", "silence", "suspend", "hide", "reject"]

    struct AppealRequest: Decodable, Sendable {
        var actionId: Int64
        var text: String
    }

    struct DecideRequest: Decodable, Sendable {
        var outcome: String
        var note: String?
    }

    /// The member an action was taken against appeals it, once.
    func appeal(_ request: AppealRequest, by principal: Principal) async throws -> Appeal {
        guard let userID = principal.userID else { throw ConveneError(.unauthenticated, "Sign in to do that.") }
        let text = request.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.count <= Self.appealLength else { throw ConveneError.invalid("text", "Give your appeal in 1–\(Self.appealLength) characters.") }
        guard let action = try await store.auditEntry(id: request.actionId) else { throw ConveneError.notFound("The action") }
        guard try await member(against: action) == userID else {
            throw ConveneError.forbidden("Only the member an action was taken against may appeal it.")
        }
        guard Self.appealable.contains(action.action) else {
            throw ConveneError.invalid(
                "action_id", "Only warnings, silences, suspensions, hidden messages and rejected held messages can be appealed.")
        }
        do {
            return try await store.createAppeal(actionID: action.id, userID: userID, text: text, now: now())
        } catch let error as ConveneError where error.code == .conflict {
            throw ConveneError(.conflict, "This action was appealed already; an action is appealed once.")
        }
    }

    /// An appeal, for its member and for the moderators of its scope.
    func appeal(id: Int64, by principal: Principal) async throws -> Appeal {
        guard let appeal = try await store.appeal(id: id) else { throw ConveneError.notFound("The appeal") }
        if appeal.userID == principal.userID { return appeal }
        guard let action = try await store.auditEntry(id: appeal.actionID) else { throw ConveneError.notFound("The appeal") }
        try Policy.require(.sanctionMember, by: principal, on: try await scope(communityID: action.communityID, by: principal))
        return appeal
    }

    /// A moderator of the action's scope who did not take it decides; overturning lifts the
    /// sanction. Audited, and told to the member's open connections.
    func decide(appealID: Int64, _ request: DecideRequest, by principal: Principal) async throws -> (Appeal, AuditEntry) {
        guard let deciderID = principal.userID else { throw ConveneError(.unauthenticated, "Sign in to do that.") }
        guard let outcome = AppealOutcome(rawValue: request.outcome) else { throw ConveneError.invalid("outcome", "outcome must be upheld or overturned.") }
        let note = request.note?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (note?.count ?? 0) <= Self.appealLength else { throw ConveneError.invalid("note", "A note is at most \(Self.appealLength) characters.") }
        guard let appeal = try await store.appeal(id: appealID), let action = try await store.auditEntry(id: appeal.actionID) else {
            throw ConveneError.notFound("The appeal")
        }
        try Policy.require(.sanctionMember, by: principal, on: try await scope(communityID: action.communityID, by: principal))
        guard action.actorID != deciderID else { throw ConveneError.forbidden("An appeal is decided by a moderator who did not take the action.") }
        guard appeal.userID != deciderID else { throw ConveneError.forbidden("Nobody decides their own appeal.") }
        guard
            let decided = try await store.decideAppeal(
                id: appeal.id, outcome: outcome, note: note?.isEmpty == false ? note : nil, by: deciderID,
                liftingSanction: outcome == .overturned ? Self.sanctionID(of: action) : nil,
                audit: NewAuditEntry(
                    communityID: action.communityID, actorID: deciderID, action: "appeal.\(outcome.rawValue)", targetType: "appeal", targetID: appeal.id,
                    reason: note?.isEmpty == false ? note! : "Appeal \(outcome.rawValue)."),
                now: now())
        else { throw ConveneError(.conflict, "This appeal was decided already.") }
        if outcome == .overturned { try await undo(action, appealID: appeal.id, by: principal) }
        fanout.toUser(appeal.userID, frame: ServerFrame.appealDecided(decided.0))
        return decided
    }

    /// The member an action was taken against: the user sanctioned, or the author of the message
    /// hidden or held.
    private func member(against action: AuditEntry) async throws -> Int64? {
        switch action.targetType {
        case "user": action.targetID
        case "message": try await store.message(id: action.targetID)?.authorID
        case "pending_message": try await store.pendingMessage(id: action.targetID)?.authorID
        default: nil
        }
    }

    /// What overturning an appeal undoes besides lifting a sanction (done with the decision): a
    /// hidden message is shown again, a rejected held message is posted. Each is audited as its own
    /// action after the decision.
    private func undo(_ action: AuditEntry, appealID: Int64, by principal: Principal) async throws {
        switch action.action {
        case "hide":
            do {
                _ = try await messaging.hide(messageID: action.targetID, hidden: false, reason: "Appeal \(appealID) overturned the hide.", by: principal)
            } catch let error as ConveneError where error.code == .conflict {
                // Deleted since: nothing left to show.
            }
        case "reject":
            if let pending = try await store.pendingMessage(id: action.targetID) { _ = try await messaging.publish(pending) }
        default:
            break
        }
    }

    /// The sanction an action imposed, read from the action's audit row (its `after`).
    static func sanctionID(of action: AuditEntry) -> Int64? {
        struct Imposed: Decodable { var id: Int64 }
        return action.after.flatMap { try? JSONDecoder().decode(Imposed.self, from: Data($0.utf8)).id }
    }

    func scope(communityID: Int64?, by principal: Principal) async throws -> PolicyTarget {
        guard let communityID else { return .network }
        return directory.target(try await directory.readable(id: communityID, by: principal))
    }

    /// The caller's own sanctions, newest first, each with the audit row of the action that imposed
    /// it (what an appeal names) and the appeal filed against that action, if any.
    func sanctions(of userID: Int64) async throws -> [(sanction: Sanction, actionID: Int64?, appeal: Appeal?)] {
        let sanctions = try await store.sanctions(userID: userID)
        var actionOf: [Int64: Int64] = [:]
        for entry in try await store.auditEntries(targetType: "user", targetID: userID)
        where SanctionKind(rawValue: entry.action) != nil {
            // The imposing row holds the sanction as it was made (`after`).
            if let after = entry.after, let object = try? JSONSerialization.jsonObject(with: Data(after.utf8)) as? [String: Any],
                let id = (object["id"] as? NSNumber)?.int64Value, actionOf[id] == nil
            {
                actionOf[id] = entry.id
            }
        }
        let appeals = Dictionary(try await store.appeals(userID: userID).map { ($0.actionID, $0) }, uniquingKeysWith: { first, _ in first })
        return sanctions.map { sanction in
            let action = actionOf[sanction.id]
            return (sanction, action, action.flatMap { appeals[$0] })
        }
    }

    func scope(slug: String?, by principal: Principal) async throws -> (PolicyTarget, Int64?) {
        guard let slug else { return (.network, nil) }
        let community = try await directory.readable(slug: slug, by: principal)
        return (directory.target(community), community.id)
    }

    private func sanctionScope(_ sanction: Sanction, by principal: Principal) async throws -> PolicyTarget {
        try await scope(communityID: sanction.communityID, by: principal)
    }
}
