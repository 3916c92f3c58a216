import Foundation

/// Everything a user can ask to do that needs permission. Each case names the scope it is asked in.
public enum Action: String, Sendable, CaseIterable, Codable {
    case readCommunity = "community.read"
    case joinCommunity = "community.join"
    case listMembers = "community.members.list"
    case manageGrants = "community.grants.manage"
    case manageCommitteeMembers = "committee.members.manage"
    case createCommunityInvite = "community.invite.create"
    case administerNetwork = "network.administer"
    case createChannel = "channel.create"
    case manageChannelMembers = "channel.members.manage"
    case readChannel = "channel.read"
    case postMessage = "message.post"
    /// Editing needs the message's author; nobody edits another's words.
    case editMessage = "message.edit"
    /// The author deletes their own message; moderators delete any.
    case deleteMessage = "message.delete"
    /// Earlier texts of edited and deleted messages: moderators, and the author.
    case readRevisions = "message.revisions.read"
    /// Sending without the pace rules (messages per minute, slow mode).
    case sendUnpaced = "message.send_unpaced"
    /// Reacting to a message: whoever may read the channel, announcement-only included.
    case reactMessage = "message.react"
    /// Pinning a message to its channel, and unpinning it.
    case pinMessage = "message.pin"
    /// Warning, silencing and suspending members, and lifting it.
    case sanctionMember = "moderation.sanction"
    /// Reading (and exporting) the audit log.
    case readAudit = "moderation.audit.read"
    /// Flagging a message or a member for the moderators.
    case flagContent = "moderation.flag"
    /// Reading the review queue, with the flagged content in full.
    case readReviewQueue = "moderation.queue.read"
    /// Hiding and unhiding messages, locking channels, settling and assigning review items.
    case moderateContent = "moderation.content"
    /// Asking a question in a community's forum.
    case askQuestion = "question.ask"
    /// Answering a question.
    case answerQuestion = "answer.post"
    /// Voting on a question or answer (never one's own).
    case vote = "post.vote"
    /// Accepting (or unaccepting) an answer: the asker, or moderators.
    case acceptAnswer = "answer.accept"
    /// Commenting on a question or answer.
    case comment = "comment.post"
    /// Editing a question or answer: its author, or moderators.
    case editPost = "post.edit"
    /// Rolling a question or answer back to an earlier revision.
    case rollbackPost = "post.rollback"
    /// Closing a question (as a duplicate, off-topic, resolved elsewhere) and reopening it.
    case closeQuestion = "question.close"
    /// Marking an accepted answer outdated and setting its review-by date.
    case curateAnswer = "answer.curate"
    /// Watching a community's forum, one of its tags or a question: any account that may read it.
    case watchForum = "forum.watch"
    /// Turning a channel thread into a forum question: its first message's author, or moderators
    /// (only moderators from a private channel).
    case promoteThread = "thread.promote"
    /// Reading a hidden question or answer: its moderators, and its author.
    case readHiddenPost = "post.hidden.read"
    /// Adding a community's forum tags and renaming them.
    case manageTags = "tags.manage"
    /// Creating call series and moving or cancelling their occurrences.
    case manageCalls = "calls.manage"
    /// Answering a call's invitation: going, maybe, declined.
    case rsvpCall = "calls.rsvp"
    /// The knowledge base's list of accepted answers past their review-by day.
    case reviewKnowledge = "knowledge.review"

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
        case .createChannel: (.moderator, .moderator)
        case .manageChannelMembers: (.moderator, .moderator)
        case .readChannel: (.member, .member)
        case .postMessage: (.member, .member)
        case .editMessage: (.member, .member)
        case .deleteMessage: (.moderator, .moderator)
        case .readRevisions: (.moderator, .moderator)
        case .sendUnpaced: (.moderator, .moderator)
        case .reactMessage: (.member, .member)
        case .pinMessage: (.moderator, .moderator)
        case .sanctionMember: (.moderator, .moderator)
        case .readAudit: (.lead, .lead)
        case .flagContent: (.member, .member)
        case .readReviewQueue: (.moderator, .moderator)
        case .moderateContent: (.moderator, .moderator)
        case .askQuestion: (.member, .member)
        case .answerQuestion: (.member, .member)
        case .vote: (.member, .member)
        case .acceptAnswer: (.moderator, .moderator)
        case .comment: (.member, .member)
        case .editPost: (.moderator, .moderator)
        case .rollbackPost: (.moderator, .moderator)
        case .closeQuestion: (.moderator, .moderator)
        case .curateAnswer: (.moderator, .moderator)
        case .reviewKnowledge: (.moderator, .moderator)
        case .watchForum: (.guest, .member)
        case .promoteThread: (.moderator, .moderator)
        case .manageCalls: (.facilitator, .facilitator)
        case .readHiddenPost: (.moderator, .moderator)
        case .manageTags: (.moderator, .moderator)
        case .rsvpCall: (.member, .member)
        }
    }

    /// Whether the action changes something: a silence refuses these.
    public var isWrite: Bool {
        switch self {
        case .readCommunity, .listMembers, .readChannel, .readRevisions, .readAudit, .sendUnpaced, .readReviewQueue, .reviewKnowledge, .watchForum, .readHiddenPost: false
        default: true
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

/// What the Policy needs to know about a channel an action concerns.
public struct ChannelAccess: Sendable, Hashable {
    public var isPrivate: Bool
    public var announcementOnly: Bool
    /// Whether the caller was added to this (private) channel.
    public var callerIsMember: Bool
    /// Locked by a moderator: only moderators and leads may post.
    public var locked: Bool

    /// - Parameters:
    ///   - isPrivate: only added members (and moderators) may read and post.
    ///   - announcementOnly: only moderators and leads may post.
    ///   - callerIsMember: the caller was added to the channel.
    ///   - locked: only moderators and leads may post.
    public init(isPrivate: Bool, announcementOnly: Bool, callerIsMember: Bool, locked: Bool = false) {
        self.isPrivate = isPrivate
        self.announcementOnly = announcementOnly
        self.callerIsMember = callerIsMember
        self.locked = locked
    }
}

/// What an action is asked about.
public struct PolicyTarget: Sendable, Hashable {
    public var scope: Scope
    public var visibility: Visibility
    public var channel: ChannelAccess?
    /// Whether the caller owns the object (wrote the message, asked the question…).
    public var callerIsOwner: Bool

    /// - Parameters:
    ///   - scope: network, a community, or a committee.
    ///   - visibility: the community's visibility (`.public` for the network).
    ///   - channel: the channel concerned, for channel actions.
    ///   - callerIsOwner: the caller owns the object acted on.
    public init(scope: Scope, visibility: Visibility, channel: ChannelAccess? = nil, callerIsOwner: Bool = false) {
        self.scope = scope
        self.visibility = visibility
        self.channel = channel
        self.callerIsOwner = callerIsOwner
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
        if let sanction = principal.sanctions.first(where: { $0.kind == .suspend && $0.reaches(target.scope) }) {
            return .failure(ConveneError(.suspended, "You are suspended \(sanction.communityID == nil ? "from the network" : "in this community")\(Self.until(sanction))."))
        }
        if action.isWrite, let sanction = principal.sanctions.first(where: { $0.kind == .silence && $0.reaches(target.scope) }) {
            return .failure(ConveneError(.silenced, "You are silenced \(sanction.communityID == nil ? "on the network" : "in this community")\(Self.until(sanction)): you may read but not write."))
        }
        if action == .editMessage && !target.callerIsOwner {
            return .failure(.forbidden("Only its author can edit a message."))
        }
        if action == .vote && target.callerIsOwner {
            return .failure(.forbidden("Nobody votes on their own post."))
        }
        let needed = requiredRole(action, on: target)
        let held = role(of: principal, in: target.scope)
        if held >= needed { return .success(()) }
        if action == .readCommunity {
            // A private community's existence is not disclosed to outsiders.
            return .failure(.notFound("The community"))
        }
        if action == .readChannel, target.channel?.isPrivate == true {
            return .failure(.notFound("The channel"))
        }
        if !principal.isAuthenticated {
            return .failure(ConveneError(.unauthenticated, "Sign in to do that."))
        }
        if action == .postMessage, target.channel?.locked == true {
            return .failure(.forbidden("This channel is locked: only its moderators may post until it is unlocked."))
        }
        return .failure(.forbidden("This needs the \(needed.rawValue) role here; you have \(held.rawValue)."))
    }

    /// The lowest role that may take `action` on `target`: the action's table entry, raised for
    /// private channels the caller was not added to and for posting in announcement-only channels.
    public static func requiredRole(_ action: Action, on target: PolicyTarget) -> Role {
        var needed = target.visibility == .public ? action.minimumRole.public : action.minimumRole.private
        if let channel = target.channel, action == .readChannel || action == .postMessage {
            if channel.isPrivate && !channel.callerIsMember { needed = max(needed, .moderator) }
            if action == .postMessage && (channel.announcementOnly || channel.locked) { needed = max(needed, .moderator) }
        }
        if target.callerIsOwner
            && (action == .deleteMessage || action == .readRevisions || action == .acceptAnswer || action == .editPost || action == .promoteThread
                || action == .readHiddenPost)
        {
            needed = .member
        }
        // A private channel's words reach the forum only through its moderators.
        if action == .promoteThread, target.channel?.isPrivate == true { needed = max(needed, .moderator) }
        return needed
    }

    private static func until(_ sanction: Sanction) -> String {
        sanction.endsAt.map { " until \($0.formatted(.iso8601))" } ?? ""
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
