import ConveneCore
import Foundation

/// What the API shows of any user to others.
struct PublicUserView: Encodable {
    var id: Int64
    var displayName: String
    var organizationId: Int64?

    init(_ user: User) {
        id = user.id
        displayName = user.displayName
        organizationId = user.organizationID
    }
}

/// What the API shows a user of themselves.
struct SelfUserView: Encodable {
    var id: Int64
    var email: String
    var displayName: String
    var organizationId: Int64?
    var createdAt: Date

    init(_ user: User) {
        id = user.id
        email = user.email
        displayName = user.displayName
        organizationId = user.organizationID
        createdAt = user.createdAt
    }
}

struct GrantView: Encodable {
    var id: Int64
    var userId: Int64
    var role: Role
    var scope: String
    var community: String?
    var committee: String?
}

struct CommunityView: Encodable {
    var id: Int64
    var slug: String
    var name: String
    var description: String
    var states: [String]
    var timezone: String
    var readiness: Readiness
    var visibility: Visibility
    var memberCount: Int

    init(_ community: Community) {
        id = community.id
        slug = community.slug
        name = community.name
        description = community.description
        states = community.states
        timezone = community.timezone
        readiness = community.readiness
        visibility = community.visibility
        memberCount = community.memberCount
    }
}

struct ChannelView: Encodable {
    var id: Int64
    var name: String
    var topic: String
    var `private`: Bool
    var announcementOnly: Bool
    var slowModeSeconds: Int
    var lastSeq: Int64
    /// Only moderators and leads may post while it is locked.
    var locked: Bool
    /// The caller's read marker and unread count, for members.
    var readSeq: Int64?
    var unreadCount: Int?

    init(_ channel: Channel, read: ReadState? = nil) {
        id = channel.id
        name = channel.name
        topic = channel.topic
        `private` = channel.isPrivate
        announcementOnly = channel.announcementOnly
        slowModeSeconds = channel.slowModeSeconds
        lastSeq = channel.lastSeq
        locked = channel.locked
        readSeq = read?.readSeq
        unreadCount = read?.unread
    }
}

struct MessageView: Encodable {
    struct Author: Encodable {
        var id: Int64
        var displayName: String
    }
    var id: Int64
    var channelId: Int64
    var communityId: Int64
    var seq: Int64
    var author: Author
    var body: String
    var bodyHtml: String
    var threadId: Int64?
    var replyCount: Int
    var createdAt: Date
    var editedAt: Date?
    var deleted: Bool
    var reactions: [ReactionView]
    var pinned: Bool
    var pinnedAt: Date?
    /// Hidden pending review: its text is withheld from readers (reviewers see it in the queue).
    var hidden: Bool

    /// A message as its readers see it: a hidden one without its text.
    init(_ message: Message) {
        self.init(message, reveal: false)
    }

    /// - Parameters:
    ///   - message: the message.
    ///   - reveal: show a hidden message's text (the review queue, for its moderators).
    init(_ message: Message, reveal: Bool) {
        id = message.id
        channelId = message.channelID
        communityId = message.communityID
        seq = message.seq
        author = Author(id: message.authorID, displayName: message.authorName)
        let withheld = message.hidden && !reveal
        body = withheld ? "" : message.body
        bodyHtml = withheld ? "" : message.bodyHTML
        threadId = message.threadID
        replyCount = message.replyCount
        createdAt = message.createdAt
        editedAt = message.editedAt
        deleted = message.deleted
        reactions = message.reactions.map { ReactionView(emoji: $0.emoji, count: $0.count, users: $0.users) }
        pinned = message.pinnedAt != nil
        pinnedAt = message.pinnedAt
        hidden = message.hidden
    }
}

struct ReactionView: Encodable {
    var emoji: String
    var count: Int
    var users: [Int64]
}

struct CommitteeView: Encodable {
    var id: Int64
    var slug: String
    var name: String
    var purpose: String
    var confers: [Role]

    init(_ committee: Committee) {
        id = committee.id
        slug = committee.slug
        name = committee.name
        purpose = committee.purpose
        confers = committee.confers
    }
}

struct CallSeriesView: Encodable {
    var id: Int64
    var title: String
    var description: String
    var timezone: String
    var dtstart: String
    var durationMinutes: Int
    var rrule: String
    var until: String?
    var semester: String?
    var exdates: [String]
    var capacity: Int?

    init(_ series: CallSeries) {
        id = series.id
        title = series.title
        description = series.description
        timezone = series.timezone
        dtstart = series.dtstart
        durationMinutes = series.durationMinutes
        rrule = series.rrule
        until = series.until
        semester = series.semester
        exdates = series.exdates
        capacity = series.capacity
    }
}

struct CommunityDetailView: Encodable {
    var community: CommunityView
    var organizations: [Organization]
    var committees: [CommitteeView]
    var channels: [ChannelView]
    var tags: [Tag]
    var callSeries: [CallSeriesView]
    /// The caller's role here (`guest` when signed out or not joined).
    var yourRole: Role
    var joined: Bool
}

struct MemberView: Encodable {
    var user: PublicUserView
    var joinedAt: Date
    var role: Role
}

struct StateStatusView: Encodable {
    var code: String
    var name: String
    var readiness: Readiness?
    var communities: [StateStatus.CommunityStatus]
    var organizations: Int
    var members: Int
    var activity: Activity

    struct Activity: Encodable {
        var newMembers30d: Int

        enum CodingKeys: String, CodingKey {
            case newMembers30d = "new_members_30d"
        }
    }

    init(_ status: StateStatus) {
        code = status.code
        name = status.name
        readiness = status.readiness
        communities = status.communities
        organizations = status.organizations
        members = status.members
        activity = .init(newMembers30d: status.newMembers30d)
    }
}

struct NotificationView: Encodable {
    var id: Int64
    var kind: String
    var communityId: Int64
    /// From a channel: the message.
    var channelId: Int64?
    var messageId: Int64?
    var seq: Int64?
    /// From a forum: the question, and the post (question, answer or comment) it is about.
    var questionId: Int64?
    var questionTitle: String?
    var postType: String?
    var postId: Int64?
    /// For a reminder: the series and the occurrence.
    var seriesId: Int64?
    var occurrenceId: String?
    var excerpt: String
    /// Who caused it; absent for reminders.
    var actor: MessageView.Author?
    var createdAt: Date
    var read: Bool

    init(_ notification: UserNotification) {
        id = notification.id
        kind = notification.kind.rawValue
        communityId = notification.communityID
        channelId = notification.channelID
        messageId = notification.messageID
        seq = notification.messageSeq
        questionId = notification.post?.questionID
        questionTitle = notification.post?.questionTitle
        postType = notification.post?.type.rawValue
        postId = notification.post?.id
        excerpt = notification.excerpt
        seriesId = notification.call?.seriesID
        occurrenceId = notification.call?.occurrenceID
        actor = notification.actorID.map { MessageView.Author(id: $0, displayName: notification.actorName ?? "") }
        createdAt = notification.createdAt
        read = notification.readAt != nil
    }
}
