import ConveneCore
import Foundation
import Testing

/// The Policy matrix: every role × scope against every action.
@Suite("Policy")
struct PolicyTests {
    static let community: Int64 = 10
    static let otherCommunity: Int64 = 20
    static let steering: Int64 = 100
    static let forums: Int64 = 101
    static let events: Int64 = 102

    static let committeeRoles: [Int64: [Role]] = [steering: [.lead], forums: [.moderator, .facilitator], events: [.member]]

    /// The callers of the matrix, by name.
    enum Caller: String, CaseIterable {
        case anonymous, outsider, member, facilitator, moderator, lead, otherCommunityLead, networkModerator, admin
        case steeringMember, forumsMember, eventsMember

        var principal: Principal {
            let here = PolicyTests.community
            func grant(_ role: Role, _ scope: Scope) -> Grant { Grant(id: 1, userID: 7, role: role, scope: scope, grantedBy: nil) }
            switch self {
            case .anonymous: return .anonymous
            case .outsider: return Principal(userID: 7)
            case .member: return Principal(userID: 7, memberships: [here])
            case .facilitator: return Principal(userID: 7, grants: [grant(.facilitator, .community(here))], memberships: [here])
            case .moderator: return Principal(userID: 7, grants: [grant(.moderator, .community(here))], memberships: [here])
            case .lead: return Principal(userID: 7, grants: [grant(.lead, .community(here))], memberships: [here])
            case .otherCommunityLead:
                return Principal(userID: 7, grants: [grant(.lead, .community(PolicyTests.otherCommunity))], memberships: [PolicyTests.otherCommunity])
            case .networkModerator: return Principal(userID: 7, grants: [grant(.moderator, .network)])
            case .admin: return Principal(userID: 7, grants: [grant(.admin, .network)])
            case .steeringMember:
                return Principal(
                    userID: 7, grants: [grant(.member, .committee(community: here, committee: PolicyTests.steering))],
                    committeeRoles: PolicyTests.committeeRoles)
            case .forumsMember:
                return Principal(
                    userID: 7, grants: [grant(.member, .committee(community: here, committee: PolicyTests.forums))],
                    committeeRoles: PolicyTests.committeeRoles)
            case .eventsMember:
                return Principal(
                    userID: 7, grants: [grant(.member, .committee(community: here, committee: PolicyTests.events))],
                    committeeRoles: PolicyTests.committeeRoles)
            }
        }

        /// The role this caller should hold in the community under test.
        var expectedRole: Role {
            switch self {
            case .anonymous, .outsider, .otherCommunityLead: .guest
            case .member, .eventsMember: .member
            case .facilitator: .facilitator
            case .moderator, .networkModerator, .forumsMember: .moderator
            case .lead, .steeringMember: .lead
            case .admin: .admin
            }
        }
    }

    @Test("each caller holds the expected role in the community", arguments: Caller.allCases)
    func roleInCommunity(caller: Caller) {
        #expect(Policy.role(of: caller.principal, in: .community(Self.community)) == caller.expectedRole)
    }

    @Test("community grants do not reach another community", arguments: Caller.allCases)
    func roleElsewhere(caller: Caller) {
        let role = Policy.role(of: caller.principal, in: .community(Self.otherCommunity))
        switch caller {
        case .admin: #expect(role == .admin)
        case .networkModerator: #expect(role == .moderator)
        case .otherCommunityLead: #expect(role == .lead)
        default: #expect(role == .guest)
        }
    }

    @Test("every action × caller × visibility follows the minimum-role table", arguments: Action.allCases)
    func matrix(action: Action) {
        for caller in Caller.allCases {
            for visibility in Visibility.allCases {
                let target = PolicyTarget(scope: .community(Self.community), visibility: visibility)
                let result = Policy.check(action, by: caller.principal, on: target)
                let needed = visibility == .public ? action.minimumRole.public : action.minimumRole.private
                // The matrix target owns nothing; editing needs ownership (tested with owners below).
                let shouldAllow = caller.expectedRole >= needed && (caller.principal.isAuthenticated || !action.requiresAccount)
                    && action != .editMessage
                switch result {
                case .success:
                    #expect(shouldAllow, "\(caller) may not \(action.rawValue) in a \(visibility) community")
                case .failure(let error):
                    #expect(!shouldAllow, "\(caller) should \(action.rawValue) in a \(visibility) community: \(error)")
                    if !caller.principal.isAuthenticated && action != .readCommunity {
                        #expect(error.code == .unauthenticated)
                    }
                }
            }
        }
    }

    @Test("a private community is not found, not forbidden, for outsiders")
    func privateCommunityIsHidden() {
        let target = PolicyTarget(scope: .community(Self.community), visibility: .private)
        guard case .failure(let error) = Policy.check(.readCommunity, by: Caller.outsider.principal, on: target) else {
            Issue.record("an outsider read a private community")
            return
        }
        #expect(error.code == .notFound)
    }

    @Test("only admins administer the network")
    func networkAdministration() {
        for caller in Caller.allCases {
            let allowed = (try? Policy.require(.administerNetwork, by: caller.principal, on: .network)) != nil
            #expect(allowed == (caller == .admin), "\(caller)")
        }
    }

    @Test("a committee grant reaches its committee scope but the committee's roles reach the community")
    func committeeScope() {
        let committeeLead = Principal(
            userID: 7, grants: [Grant(id: 1, userID: 7, role: .lead, scope: .committee(community: Self.community, committee: Self.events), grantedBy: nil)],
            committeeRoles: Self.committeeRoles)
        #expect(Policy.role(of: committeeLead, in: .committee(community: Self.community, committee: Self.events)) == .lead)
        #expect(Policy.role(of: committeeLead, in: .community(Self.community)) == .member)
        #expect(Policy.role(of: committeeLead, in: .committee(community: Self.community, committee: Self.steering)) == .member)
    }

    @Test("nobody grants admin, nor a role above their own")
    func mayGrant() {
        let lead = Caller.lead.principal
        let moderator = Caller.moderator.principal
        let admin = Caller.admin.principal
        let here = Scope.community(Self.community)
        #expect(Policy.mayGrant(.lead, in: here, by: lead))
        #expect(Policy.mayGrant(.moderator, in: here, by: lead))
        #expect(!Policy.mayGrant(.admin, in: here, by: lead))
        #expect(!Policy.mayGrant(.admin, in: here, by: admin))
        #expect(Policy.mayGrant(.lead, in: here, by: admin))
        #expect(!Policy.mayGrant(.member, in: here, by: moderator))
        #expect(!Policy.mayGrant(.member, in: .community(Self.otherCommunity), by: lead))
    }

    @Test("docs/POLICY.md is the table the Policy generates (regenerate with: swift run convene policy > docs/POLICY.md)")
    func generatedTable() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try String(contentsOf: root.appendingPathComponent("docs/POLICY.md"), encoding: .utf8)
        #expect(file == Policy.markdownTable())
    }

    static func sanction(_ kind: SanctionKind, in community: Int64?, endsAt: Date? = nil) -> Sanction {
        Sanction(id: 1, userID: 7, kind: kind, communityID: community, reason: "r", createdBy: 1, createdAt: Date(timeIntervalSince1970: 0), endsAt: endsAt)
    }

    @Test("a silenced member reads but every write is refused with silenced, in the sanction's community only", arguments: Action.allCases)
    func silenced(action: Action) {
        var principal = Caller.moderator.principal
        principal.sanctions = [Self.sanction(.silence, in: Self.community)]
        let here = PolicyTarget(scope: .community(Self.community), visibility: .public)
        let outcome = Policy.check(action, by: principal, on: here)
        if action.isWrite {
            var code: ConveneError.Code?
            if case .failure(let error) = outcome { code = error.code }
            #expect(code == .silenced, "\(action)")
        } else {
            #expect(Policy.check(action, by: Caller.moderator.principal, on: here).isAllowed == outcome.isAllowed, "\(action)")
        }
        var elsewhere = principal
        elsewhere.memberships.insert(Self.otherCommunity)
        let there = PolicyTarget(scope: .community(Self.otherCommunity), visibility: .public)
        var codeThere: ConveneError.Code?
        if case .failure(let error) = Policy.check(action, by: elsewhere, on: there) { codeThere = error.code }
        #expect(codeThere != .silenced)
    }

    @Test("a suspended member is refused everything in scope with suspended; a network suspension reaches every community")
    func suspended() {
        var principal = Caller.lead.principal
        principal.sanctions = [Self.sanction(.suspend, in: Self.community)]
        let here = PolicyTarget(scope: .community(Self.community), visibility: .public)
        for action in [Action.readCommunity, .readChannel, .postMessage, .manageGrants] {
            var code: ConveneError.Code?
            if case .failure(let error) = Policy.check(action, by: principal, on: here) { code = error.code }
            #expect(code == .suspended, "\(action)")
        }
        principal.sanctions = [Self.sanction(.suspend, in: nil)]
        let there = PolicyTarget(scope: .community(Self.otherCommunity), visibility: .public)
        var codeThere: ConveneError.Code?
        if case .failure(let error) = Policy.check(.readCommunity, by: principal, on: there) { codeThere = error.code }
        #expect(codeThere == .suspended, "a network suspension did not reach another community")
    }

    @Test("a sanction restricts until its end time or its lifting; a warning never does")
    func sanctionTimes() {
        let start = Date(timeIntervalSince1970: 1_000)
        let timed = Self.sanction(.silence, in: Self.community, endsAt: start.addingTimeInterval(60))
        #expect(timed.restricts(at: start))
        #expect(!timed.restricts(at: start.addingTimeInterval(60)))
        var lifted = Self.sanction(.suspend, in: nil)
        #expect(lifted.restricts(at: start))
        lifted.liftedAt = start
        #expect(!lifted.restricts(at: start))
        #expect(!Self.sanction(.warn, in: nil).restricts(at: start))
    }
}

@Suite("Policy for channels")
struct ChannelPolicyTests {
    typealias Caller = PolicyTests.Caller

    func allowed(_ action: Action, _ caller: Caller, isPrivate: Bool = false, announcementOnly: Bool = false, added: Bool = false) -> Bool {
        let target = PolicyTarget(
            scope: .community(PolicyTests.community), visibility: .public,
            channel: ChannelAccess(isPrivate: isPrivate, announcementOnly: announcementOnly, callerIsMember: added))
        return Policy.check(action, by: caller.principal, on: target).isAllowed
    }

    /// Whether `caller` may take `action` on an object of theirs (`owner`) or another's, in a public community.
    func check(_ action: Action, _ caller: Caller, owner: Bool) -> Bool {
        Policy.check(action, by: caller.principal, on: PolicyTarget(scope: .community(PolicyTests.community), visibility: .public, callerIsOwner: owner))
            .isAllowed
    }

    @Test("members read and post in public channels; outsiders and other communities' members do neither")
    func publicChannel() {
        for caller in Caller.allCases {
            let isMember = caller.expectedRole >= .member
            #expect(allowed(.readChannel, caller) == isMember, "\(caller)")
            #expect(allowed(.postMessage, caller) == isMember, "\(caller)")
        }
    }

    @Test("only moderators and above post in an announcement-only channel")
    func announcementOnly() {
        for caller in Caller.allCases {
            #expect(allowed(.postMessage, caller, announcementOnly: true) == (caller.expectedRole >= .moderator), "\(caller)")
            #expect(allowed(.readChannel, caller, announcementOnly: true) == (caller.expectedRole >= .member), "\(caller)")
        }
    }

    @Test("authors edit and delete their own messages; moderators delete any but edit none; revisions are for moderators and the author")
    func ownership() {
        for caller in Caller.allCases {
            let member = caller.expectedRole >= .member
            #expect(check(.editMessage, caller, owner: true) == member, "\(caller)")
            #expect(!check(.editMessage, caller, owner: false), "\(caller)")
            #expect(check(.deleteMessage, caller, owner: true) == member, "\(caller)")
            #expect(check(.deleteMessage, caller, owner: false) == (caller.expectedRole >= .moderator), "\(caller)")
            #expect(check(.readRevisions, caller, owner: false) == (caller.expectedRole >= .moderator), "\(caller)")
            #expect(check(.readRevisions, caller, owner: true) == member, "\(caller)")
        }
    }

    @Test("a hidden post is read by the community's moderators and by its author, by nobody else")
    func hiddenPosts() {
        for caller in Caller.allCases {
            #expect(check(.readHiddenPost, caller, owner: false) == (caller.expectedRole >= .moderator), "\(caller)")
            #expect(check(.readHiddenPost, caller, owner: true) == (caller.expectedRole >= .member), "\(caller)")
        }
    }

    @Test("a locked channel takes posts from moderators and above only, and stays readable")
    func locked() {
        for caller in Caller.allCases {
            let target = PolicyTarget(
                scope: .community(PolicyTests.community), visibility: .public,
                channel: ChannelAccess(isPrivate: false, announcementOnly: false, callerIsMember: false, locked: true))
            #expect(Policy.check(.postMessage, by: caller.principal, on: target).isAllowed == (caller.expectedRole >= .moderator), "\(caller)")
            #expect(Policy.check(.readChannel, by: caller.principal, on: target).isAllowed == (caller.expectedRole >= .member), "\(caller)")
        }
    }

    @Test("forum posts: the author edits and the asker accepts as a member, moderators do both for anyone; nobody votes on their own post")
    func forumOwnership() {
        for caller in Caller.allCases {
            let member = caller.expectedRole >= .member
            let moderator = caller.expectedRole >= .moderator
            #expect(check(.editPost, caller, owner: true) == member, "\(caller)")
            #expect(check(.editPost, caller, owner: false) == moderator, "\(caller)")
            #expect(check(.acceptAnswer, caller, owner: true) == member, "\(caller)")
            #expect(check(.acceptAnswer, caller, owner: false) == moderator, "\(caller)")
            #expect(check(.vote, caller, owner: false) == member, "\(caller)")
            #expect(!check(.vote, caller, owner: true), "\(caller) voted on their own post")
        }
    }

    @Test("a private channel is for those added to it, and for moderators and above")
    func privateChannel() {
        for caller in Caller.allCases {
            #expect(allowed(.readChannel, caller, isPrivate: true) == (caller.expectedRole >= .moderator), "\(caller)")
            #expect(allowed(.readChannel, caller, isPrivate: true, added: true) == (caller.expectedRole >= .member), "\(caller)")
            #expect(allowed(.postMessage, caller, isPrivate: true, added: true) == (caller.expectedRole >= .member), "\(caller)")
        }
        let target = PolicyTarget(
            scope: .community(PolicyTests.community), visibility: .public, channel: ChannelAccess(isPrivate: true, announcementOnly: false, callerIsMember: false))
        if case .failure(let error) = Policy.check(.readChannel, by: Caller.member.principal, on: target) {
            #expect(error.code == .notFound)
        } else {
            Issue.record("a member not added read a private channel")
        }
    }
}

extension Result {
    var isAllowed: Bool {
        if case .success = self { return true }
        return false
    }

}
