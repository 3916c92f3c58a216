/// The roles of DESIGN.md, lowest to highest. A higher role may do everything a lower one may.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case guest, member, facilitator, moderator, lead, admin

    var rank: Int {
        switch self {
        case .guest: 0
        case .member: 1
        case .facilitator: 2
        case .moderator: 3
        case .lead: 4
        case .admin: 5
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}

/// Where a grant applies: the whole network, one community, or one committee of a community.
public enum Scope: Sendable, Hashable, Codable {
    case network
    case community(Int64)
    case committee(community: Int64, committee: Int64)

    public var kind: String {
        switch self {
        case .network: "network"
        case .community: "community"
        case .committee: "committee"
        }
    }

    public var communityID: Int64? {
        switch self {
        case .network: nil
        case .community(let id): id
        case .committee(let community, _): community
        }
    }

    public var committeeID: Int64? {
        if case .committee(_, let id) = self { return id }
        return nil
    }
}

/// `(user, role, scope)`: the only way a user holds more than guest or member rights.
public struct Grant: Sendable, Hashable, Codable {
    public var id: Int64
    public var userID: Int64
    public var role: Role
    public var scope: Scope
    public var grantedBy: Int64?

    /// - Parameters:
    ///   - id: the grant's row id.
    ///   - userID: who holds it.
    ///   - role: what it grants.
    ///   - scope: where it applies.
    ///   - grantedBy: who granted it; nil for grants made by the CLI or seeds.
    public init(id: Int64, userID: Int64, role: Role, scope: Scope, grantedBy: Int64?) {
        self.id = id
        self.userID = userID
        self.role = role
        self.scope = scope
        self.grantedBy = grantedBy
    }
}
