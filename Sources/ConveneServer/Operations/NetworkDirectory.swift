import ConveneCore
import ConveneStore
import Foundation

/// Organizations, communities, membership, grants, invites and the status report.
struct NetworkDirectory: Sendable {
    let store: any ConveneStore
    let now: @Sendable () -> Date

    func organizations() async throws -> [Organization] {
        try await store.organizations()
    }

    /// The community a search names (404 when the caller may not read it), or every one the caller may read.
    func searched(_ slug: String?, by principal: Principal) async throws -> [Community] {
        if let slug { return [try await readable(slug: slug, by: principal)] }
        return try await communities(for: principal)
    }

    /// Communities the caller may read.
    func communities(for principal: Principal) async throws -> [Community] {
        try await store.communities().filter { community in
            (try? Policy.require(.readCommunity, by: principal, on: target(community))) != nil
        }
    }

    func community(slug: String, for principal: Principal) async throws -> CommunityDetailView {
        let community = try await readable(slug: slug, by: principal)
        async let organizations = store.organizations(communityID: community.id)
        async let committees = store.committees(communityID: community.id)
        async let channels = store.channels(communityID: community.id)
        async let tags = store.tags(communityID: community.id)
        async let series = store.callSeries(communityID: community.id)
        return CommunityDetailView(
            community: CommunityView(community),
            organizations: try await organizations,
            committees: try await committees.map(CommitteeView.init),
            channels: try await channels.filter { !$0.isPrivate }.map { ChannelView($0) },
            tags: try await tags,
            callSeries: try await series.map(CallSeriesView.init),
            yourRole: Policy.role(of: principal, in: .community(community.id)),
            joined: principal.memberships.contains(community.id))
    }

    /// Joins a public community; joining twice is not an error.
    func join(slug: String, by principal: Principal) async throws -> (Community, newlyJoined: Bool) {
        let community = try await readable(slug: slug, by: principal)
        try Policy.require(.joinCommunity, by: principal, on: target(community))
        let joined = try await store.join(communityID: community.id, userID: principal.userID!, now: now())
        return (try await store.community(id: community.id) ?? community, joined)
    }

    func members(slug: String, after: Int64?, limit: Int, by principal: Principal) async throws -> [MemberView] {
        let community = try await readable(slug: slug, by: principal)
        try Policy.require(.listMembers, by: principal, on: target(community))
        async let members = store.members(communityID: community.id, after: after, limit: limit)
        async let grants = store.grants(reachingCommunity: community.id)
        async let committees = store.committees(communityID: community.id)
        let grantsByUser = Dictionary(grouping: try await grants, by: \.userID)
        let committeeRoles = Dictionary(uniqueKeysWithValues: try await committees.map { ($0.id, $0.confers) })
        return try await members.map { member in
            let principal = Principal(
                userID: member.user.id, grants: grantsByUser[member.user.id] ?? [], memberships: [community.id],
                committeeRoles: committeeRoles)
            return MemberView(user: PublicUserView(member.user), joinedAt: member.joinedAt, role: Policy.role(of: principal, in: .community(community.id)))
        }
    }

    func grant(slug: String, userID: Int64, role: Role, committeeSlug: String?, by principal: Principal) async throws -> GrantView {
        let community = try await readable(slug: slug, by: principal)
        let (scope, committee) = try await scope(in: community, committeeSlug: committeeSlug)
        try Policy.require(committee == nil ? .manageGrants : .manageCommitteeMembers, by: principal, on: .init(scope: scope, visibility: community.visibility))
        guard role != .guest else { throw ConveneError.invalid("role", "guest is what everyone has; grant member or above.") }
        guard Policy.mayGrant(role, in: scope, by: principal) else {
            throw ConveneError.forbidden("You cannot grant \(role.rawValue) here: it is above your own role or reserved to the network.")
        }
        guard try await store.user(id: userID) != nil else { throw ConveneError.invalid("user_id", "There is no user \(userID).") }
        let grant = try await store.createGrant(userID: userID, role: role, scope: scope, grantedBy: principal.userID, now: now())
        _ = try await store.join(communityID: community.id, userID: userID, now: now())
        return view(grant, community: community, committee: committee)
    }

    func revoke(slug: String, grantID: Int64, by principal: Principal) async throws {
        let community = try await readable(slug: slug, by: principal)
        guard let grant = try await store.grant(id: grantID), grant.scope.communityID == community.id else {
            throw ConveneError.notFound("The grant")
        }
        let action: Action = grant.scope.committeeID == nil ? .manageGrants : .manageCommitteeMembers
        try Policy.require(action, by: principal, on: .init(scope: grant.scope, visibility: community.visibility))
        guard Policy.mayGrant(grant.role, in: grant.scope, by: principal) else {
            throw ConveneError.forbidden("You cannot revoke a \(grant.role.rawValue) grant: it is above your own role.")
        }
        try await store.deleteGrant(id: grantID)
    }

    func grants(of principal: Principal) async throws -> [GrantView] {
        var views: [GrantView] = []
        for grant in principal.grants {
            guard let communityID = grant.scope.communityID else {
                views.append(GrantView(id: grant.id, userId: grant.userID, role: grant.role, scope: "network"))
                continue
            }
            guard let community = try await store.community(id: communityID) else { continue }
            var committee: Committee?
            if let committeeID = grant.scope.committeeID {
                committee = try await store.committees(communityID: communityID).first { $0.id == committeeID }
            }
            views.append(view(grant, community: community, committee: committee))
        }
        return views
    }

    /// Creates an invite code for a community (its leads) or for the network (admins).
    func invite(communitySlug: String?, email rawEmail: String?, days: Int?, by principal: Principal) async throws -> (code: String, Invite) {
        let days = days ?? 14
        guard (1...90).contains(days) else { throw ConveneError.invalid("expires_in_days", "expires_in_days must be 1–90.") }
        let email = try rawEmail.map { raw throws(ConveneError) in try Validation.email(raw) }
        var communityID: Int64?
        if let communitySlug {
            let community = try await readable(slug: communitySlug, by: principal)
            try Policy.require(.createCommunityInvite, by: principal, on: target(community))
            communityID = community.id
        } else {
            try Policy.require(.administerNetwork, by: principal, on: .network)
        }
        let code = Tokens.random(bytes: 12)
        let start = now()
        let invite = try await store.createInvite(
            codeHash: Tokens.hash(code), communityID: communityID, createdBy: principal.userID, email: email, now: start,
            expiresAt: start.addingTimeInterval(Double(days) * 86_400))
        return (code, invite)
    }

    func status() async throws -> [StateStatus] {
        try await store.statusReport(now: now())
    }

    // MARK: - helpers

    /// The community, or 404 when it does not exist or the caller may not see it.
    func readable(slug: String, by principal: Principal) async throws -> Community {
        try readable(try await store.community(slug: slug), by: principal)
    }

    /// The same, by id (the stream names communities by id).
    func readable(id: Int64, by principal: Principal) async throws -> Community {
        try readable(try await store.community(id: id), by: principal)
    }

    private func readable(_ found: Community?, by principal: Principal) throws -> Community {
        guard let community = found else { throw ConveneError.notFound("The community") }
        try requireReadable(community, by: principal)
        return community
    }

    /// Throws as `readable` does when `principal` may not read `community` (one already at hand).
    func requireReadable(_ community: Community, by principal: Principal) throws {
        try Policy.require(.readCommunity, by: principal, on: target(community))
    }

    func target(_ community: Community) -> PolicyTarget {
        PolicyTarget(scope: .community(community.id), visibility: community.visibility)
    }

    private func scope(in community: Community, committeeSlug: String?) async throws -> (Scope, Committee?) {
        guard let committeeSlug else { return (.community(community.id), nil) }
        guard let committee = try await store.committees(communityID: community.id).first(where: { $0.slug == committeeSlug }) else {
            throw ConveneError.invalid("committee", "\(community.slug) has no committee \(committeeSlug).")
        }
        return (.committee(community: community.id, committee: committee.id), committee)
    }

    private func view(_ grant: Grant, community: Community, committee: Committee?) -> GrantView {
        GrantView(
            id: grant.id, userId: grant.userID, role: grant.role, scope: grant.scope.kind, community: community.slug,
            committee: committee?.slug)
    }
}
