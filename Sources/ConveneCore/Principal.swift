public import Foundation

/// Who is asking: the user (nil when anonymous) and everything that decides their rights.
public struct Principal: Sendable, Hashable {
    public var userID: Int64?
    public var grants: [Grant]
    /// Communities the user has joined.
    public var memberships: Set<Int64>
    /// For each committee the user sits on, the roles it confers in its community.
    public var committeeRoles: [Int64: [Role]]
    /// The silences and suspensions restricting the user now.
    public var sanctions: [Sanction]

    /// - Parameters:
    ///   - userID: the user, or nil for an anonymous caller.
    ///   - grants: every grant the user holds.
    ///   - memberships: ids of the communities the user joined.
    ///   - committeeRoles: committee id → roles that committee confers in its community.
    ///   - sanctions: the silences and suspensions in force.
    public init(
        userID: Int64?, grants: [Grant] = [], memberships: Set<Int64> = [], committeeRoles: [Int64: [Role]] = [:], sanctions: [Sanction] = []
    ) {
        self.userID = userID
        self.grants = grants
        self.memberships = memberships
        self.committeeRoles = committeeRoles
        self.sanctions = sanctions
    }

    /// The principal as it stands at `now`: sanctions that ended by then no longer restrict, so a
    /// silence or suspension lifts itself at its end time.
    public func asOf(_ now: Date) -> Principal {
        var principal = self
        principal.sanctions.removeAll { !$0.restricts(at: now) }
        return principal
    }

    public static let anonymous = Principal(userID: nil)

    public var isAuthenticated: Bool { userID != nil }
}
