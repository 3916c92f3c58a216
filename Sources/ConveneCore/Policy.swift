/// Everything a user can ask to do that needs permission. Each case names the scope it is asked in.
public enum Action: String, Sendable, CaseIterable, Codable {
    case readCommunity = "community.read"
    case joinCommunity = "community.join"
    case listMembers = "community.members.list"
    case manageGrants = "community.grants.manage"
    case manageCommitteeMembers = "committee.members.manage"
    case createCommunityInvite = "community.invite.create"
    case administerNetwork = "network.administer"

    /// The lowest role that may take the action, for a public community and a private one.
    public var minimumRole: (public: Role, private: Role) {
        switch self {
        case .readCommunity: (.guest, .member)
        case .joinCommunity: (.guest, .lead)  // a private community is joined by being added
        case .listMembers: (.member, .member)
        case .manageGrants: (.lead, .lead)
        case .manageCommitteeMembers: (.lead, .lead)
        case .createCommunityInvite: (.lead, .lead)
        case .administerNetwork: (.admin, .admin)
        }
    }

    /// Whether a signed-in user is needed even when the role required is `guest`.
    public var requiresAccount: Bool {
        switch self {
        case .readCommunity: false
        default: true
        }
    }
}

/// What an action is asked about.
public struct PolicyTarget: Sendable, Hashable {
    public var scope: Scope
    public var visibility: Visibility

    /// - Parameters:
    ///   - scope: network, a community, or a committee.
    ///   - visibility: the community's visibility (`.public` for the network).
    public init(scope: Scope, visibility: Visibility) {
        self.scope = scope
        self.visibility = visibility
    }

    public static let network = PolicyTarget(scope: .network, visibility: .public)
}

/// The single answer to "may this user do this here?". Routes and stream ops call it and nothing else.
public enum Policy {
    /// The caller's highest role in a scope: network grants reach everywhere; a committee's members
    /// hold the roles it confers in its community; joining makes a member.
    public static func role(of principal: Principal, in scope: Scope) -> Role {
        guard principal.isAuthenticated else { return .guest }
        var role = Role.guest
        for grant in principal.grants {
            switch (grant.scope, scope) {
            case (.network, _):
                role = max(role, grant.role)
            case (.community(let granted), _) where granted == scope.communityID:
                role = max(role, grant.role)
            case (.committee(let community, let committee), _) where community == scope.communityID:
                for conferred in principal.committeeRoles[committee] ?? [] {
                    role = max(role, conferred)
                }
                if committee == scope.committeeID {
                    role = max(role, grant.role)
                }
            default:
                break
            }
        }
        if let community = scope.communityID, principal.memberships.contains(community) {
            role = max(role, .member)
        }
        return role
    }

    /// Allows or refuses `action`; a refusal is the error the API returns.
    public static func check(_ action: Action, by principal: Principal, on target: PolicyTarget) -> Result<Void, ConveneError> {
        if action.requiresAccount && !principal.isAuthenticated {
            return .failure(ConveneError(.unauthenticated, "Sign in to do that."))
        }
        let needed = target.visibility == .public ? action.minimumRole.public : action.minimumRole.private
        let held = role(of: principal, in: target.scope)
        if held >= needed { return .success(()) }
        if action == .readCommunity {
            // A private community's existence is not disclosed to outsiders.
            return .failure(.notFound("The community"))
        }
        if !principal.isAuthenticated {
            return .failure(ConveneError(.unauthenticated, "Sign in to do that."))
        }
        return .failure(.forbidden("This needs the \(needed.rawValue) role here; you have \(held.rawValue)."))
    }

    public static func require(_ action: Action, by principal: Principal, on target: PolicyTarget) throws(ConveneError) {
        if case .failure(let error) = check(action, by: principal, on: target) { throw error }
    }

    /// Whether `principal` may grant `role` in `scope`: never above their own role there, never
    /// `admin` below the network (admins are made by the CLI), and only by those who manage grants.
    public static func mayGrant(_ role: Role, in scope: Scope, by principal: Principal) -> Bool {
        if role == .admin { return false }
        let held = Policy.role(of: principal, in: scope)
        return held >= .lead && role <= held
    }
}
