import ConveneCore
import ConveneStore
import Foundation

/// Staff actions on members — warn, silence, suspend, lift — each checked by Policy in its scope
/// and audited in the same transaction, and the audit log for those who may read it.
struct Moderation: Sendable {
    let store: any ConveneStore
    let directory: NetworkDirectory
    let now: @Sendable () -> Date

    /// Every action of the API; those on content come with the flags and review queue.
    static let actions = ["hide", "unhide", "lock", "unlock", "pin", "unpin", "delete", "warn", "silence", "suspend", "lift", "resolve_flag"]
    static let reasonLength = 1_000

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
    }

    /// Takes a staff action; returns the sanction it made or lifted and its audit row.
    func act(_ request: ActionRequest, by principal: Principal) async throws -> (Sanction, AuditEntry) {
        guard let actorID = principal.userID else { throw ConveneError(.unauthenticated, "Sign in to do that.") }
        let reason = request.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.count <= Self.reasonLength else {
            throw ConveneError.invalid("reason", "Give a reason of 1–\(Self.reasonLength) characters.")
        }
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
        case let other where Self.actions.contains(other):
            throw ConveneError.invalid("action", "\(other) is not available yet; this server takes warn, silence, suspend and lift.")
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

    /// The caller's own sanctions, newest first.
    func sanctions(of userID: Int64) async throws -> [Sanction] {
        try await store.sanctions(userID: userID)
    }

    private func scope(slug: String?, by principal: Principal) async throws -> (PolicyTarget, Int64?) {
        guard let slug else { return (.network, nil) }
        let community = try await directory.readable(slug: slug, by: principal)
        return (directory.target(community), community.id)
    }

    private func sanctionScope(_ sanction: Sanction, by principal: Principal) async throws -> PolicyTarget {
        guard let communityID = sanction.communityID else { return .network }
        return directory.target(try await directory.readable(id: communityID, by: principal))
    }
}
