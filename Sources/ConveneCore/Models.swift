public import Foundation

public struct User: Sendable, Hashable, Codable {
    public var id: Int64
    public var email: String
    public var displayName: String
    public var organizationID: Int64?
    public var createdAt: Date

    /// - Parameters:
    ///   - id: row id.
    ///   - email: normalised email address.
    ///   - displayName: the name others see.
    ///   - organizationID: the district or office the user belongs to, if any.
    ///   - createdAt: registration time.
    public init(id: Int64, email: String, displayName: String, organizationID: Int64?, createdAt: Date) {
        self.id = id
        self.email = email
        self.displayName = displayName
        self.organizationID = organizationID
        self.createdAt = createdAt
    }
}

public enum OrganizationKind: String, Sendable, Codable, CaseIterable {
    case district
    case regionalOffice = "regional_office"
    case countyOffice = "county_office"
    case serviceCenter = "service_center"
    case boces
    case resa
}

public struct Organization: Sendable, Hashable, Codable {
    public var id: Int64
    public var slug: String
    public var name: String
    public var kind: OrganizationKind
    public var state: String
    public var city: String?

    /// - Parameters:
    ///   - id: row id.
    ///   - slug: stable identifier from the seeds.
    ///   - name: the organization's name.
    ///   - kind: district, regional office, …
    ///   - state: two-letter state code.
    ///   - city: where it is based.
    public init(id: Int64, slug: String, name: String, kind: OrganizationKind, state: String, city: String?) {
        self.id = id
        self.slug = slug
        self.name = name
        self.kind = kind
        self.state = state
        self.city = city
    }
}

public struct USState: Sendable, Hashable, Codable {
    public var code: String
    public var name: String
    public var timezone: String

    /// - Parameters:
    ///   - code: two-letter code.
    ///   - name: full name.
    ///   - timezone: IANA zone of most of its people.
    public init(code: String, name: String, timezone: String) {
        self.code = code
        self.name = name
        self.timezone = timezone
    }
}

/// Where a community stands on the programme's rubric.
public enum Readiness: String, Sendable, Codable, CaseIterable {
    case initiating = "Initiating"
    case improving = "Improving"
    case innovating = "Innovating"
}

public enum Visibility: String, Sendable, Codable, CaseIterable {
    /// Anyone may read; any signed-in user may join.
    case `public`
    /// Only members and staff may read; members are added by its leads.
    case `private`
}

public struct Community: Sendable, Hashable, Codable {
    public var id: Int64
    public var slug: String
    public var name: String
    public var description: String
    public var states: [String]
    public var timezone: String
    public var readiness: Readiness
    public var visibility: Visibility
    public var memberCount: Int
    public var createdAt: Date

    /// - Parameters:
    ///   - id: row id.
    ///   - slug: URL name.
    ///   - name: display name.
    ///   - description: what the community is for.
    ///   - states: state codes it serves; empty for the national community.
    ///   - timezone: IANA zone its calls are scheduled in.
    ///   - readiness: level on the rubric.
    ///   - visibility: public or private.
    ///   - memberCount: how many users joined.
    ///   - createdAt: creation time.
    public init(
        id: Int64, slug: String, name: String, description: String, states: [String], timezone: String,
        readiness: Readiness, visibility: Visibility, memberCount: Int, createdAt: Date
    ) {
        self.id = id
        self.slug = slug
        self.name = name
        self.description = description
        self.states = states
        self.timezone = timezone
        self.readiness = readiness
        self.visibility = visibility
        self.memberCount = memberCount
        self.createdAt = createdAt
    }
}

public struct Committee: Sendable, Hashable, Codable {
    public var id: Int64
    public var communityID: Int64
    public var slug: String
    public var name: String
    public var purpose: String
    /// Roles a member of this committee holds in its community (steering → lead, …).
    public var confers: [Role]

    /// - Parameters:
    ///   - id: row id.
    ///   - communityID: the community it belongs to.
    ///   - slug: stable name within the community.
    ///   - name: display name.
    ///   - purpose: what the committee does.
    ///   - confers: roles its members hold in the community.
    public init(id: Int64, communityID: Int64, slug: String, name: String, purpose: String, confers: [Role]) {
        self.id = id
        self.communityID = communityID
        self.slug = slug
        self.name = name
        self.purpose = purpose
        self.confers = confers
    }
}

public struct Member: Sendable, Hashable, Codable {
    public var user: User
    public var joinedAt: Date
    /// The member's highest role in the community, grants and committees included.
    public var role: Role

    /// - Parameters:
    ///   - user: the member.
    ///   - joinedAt: when they joined.
    ///   - role: their effective role there.
    public init(user: User, joinedAt: Date, role: Role) {
        self.user = user
        self.joinedAt = joinedAt
        self.role = role
    }
}

public struct Channel: Sendable, Hashable, Codable {
    public var id: Int64
    public var communityID: Int64
    public var name: String
    public var topic: String
    public var isPrivate: Bool
    public var announcementOnly: Bool
    /// Seconds a member must wait between messages here; 0 for none.
    public var slowModeSeconds: Int
    /// The seq of the channel's latest event; 0 before the first.
    public var lastSeq: Int64
    public var createdAt: Date
    /// Locked by a moderator: only moderators and leads may post until it is unlocked.
    public var locked: Bool

    /// - Parameters:
    ///   - id: row id.
    ///   - communityID: owning community.
    ///   - name: channel name, unique in its community.
    ///   - topic: what it is about.
    ///   - isPrivate: whether only added members may read it.
    ///   - announcementOnly: whether only moderators and leads may post.
    ///   - slowModeSeconds: seconds between a member's messages.
    ///   - lastSeq: the latest event's seq.
    ///   - createdAt: creation time.
    ///   - locked: whether only moderators and leads may post.
    public init(
        id: Int64, communityID: Int64, name: String, topic: String, isPrivate: Bool, announcementOnly: Bool, slowModeSeconds: Int = 0,
        lastSeq: Int64 = 0, createdAt: Date, locked: Bool = false
    ) {
        self.id = id
        self.communityID = communityID
        self.name = name
        self.topic = topic
        self.isPrivate = isPrivate
        self.announcementOnly = announcementOnly
        self.slowModeSeconds = slowModeSeconds
        self.lastSeq = lastSeq
        self.createdAt = createdAt
        self.locked = locked
    }
}

public struct Tag: Sendable, Hashable, Codable {
    public var slug: String
    public var name: String

    /// - Parameters:
    ///   - slug: the tag as written on questions.
    ///   - name: its display name.
    public init(slug: String, name: String) {
        self.slug = slug
        self.name = name
    }
}

/// One row of the public status report: a state and where its communities stand.
public struct StateStatus: Sendable, Hashable, Codable {
    public struct CommunityStatus: Sendable, Hashable, Codable {
        public var slug: String
        public var name: String
        public var readiness: Readiness
        public var members: Int

        /// - Parameters:
        ///   - slug: community slug.
        ///   - name: community name.
        ///   - readiness: its level.
        ///   - members: its member count.
        public init(slug: String, name: String, readiness: Readiness, members: Int) {
            self.slug = slug
            self.name = name
            self.readiness = readiness
            self.members = members
        }
    }

    public var code: String
    public var name: String
    /// The highest level reached by a community of the state.
    public var readiness: Readiness?
    public var communities: [CommunityStatus]
    public var organizations: Int
    public var members: Int
    /// Members who joined one of the state's communities in the last 30 days.
    public var newMembers30d: Int

    /// - Parameters:
    ///   - code: state code.
    ///   - name: state name.
    ///   - readiness: highest level among its communities.
    ///   - communities: the state's communities.
    ///   - organizations: partner organizations in the state.
    ///   - members: distinct members of its communities.
    ///   - newMembers30d: joins in the last 30 days.
    public init(
        code: String, name: String, readiness: Readiness?, communities: [CommunityStatus], organizations: Int, members: Int,
        newMembers30d: Int
    ) {
        self.code = code
        self.name = name
        self.readiness = readiness
        self.communities = communities
        self.organizations = organizations
        self.members = members
        self.newMembers30d = newMembers30d
    }
}

/// A signed-in session. The token itself is never stored: only its SHA-256.
public struct Session: Sendable, Hashable {
    public var id: Int64
    public var userID: Int64
    public var csrfToken: String
    public var createdAt: Date
    public var lastUsedAt: Date
    public var expiresAt: Date

    /// - Parameters:
    ///   - id: row id.
    ///   - userID: whose session.
    ///   - csrfToken: the value cookie-authenticated writes must echo in `X-CSRF-Token`.
    ///   - createdAt: login time.
    ///   - lastUsedAt: last authenticated request (for idle expiry).
    ///   - expiresAt: absolute expiry.
    public init(id: Int64, userID: Int64, csrfToken: String, createdAt: Date, lastUsedAt: Date, expiresAt: Date) {
        self.id = id
        self.userID = userID
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.expiresAt = expiresAt
    }
}

/// A recurring call as the seeds and the API describe it: local start time in a time zone plus an RRULE.
public struct CallSeries: Sendable, Hashable, Codable {
    public var id: Int64
    public var communityID: Int64
    public var title: String
    public var description: String
    public var timezone: String
    public var dtstart: String
    public var durationMinutes: Int
    public var rrule: String
    public var until: String?
    public var semester: String?
    /// Local starts the rule yields that do not take place ("2026-10-13T16:00").
    public var exdates: [String]
    /// Going RSVPs an occurrence takes; nil for no limit.
    public var capacity: Int?
    public var createdAt: Date

    /// - Parameters:
    ///   - id: row id.
    ///   - communityID: owning community.
    ///   - title: e.g. "Monthly Best Practices Call — Fall 2026".
    ///   - description: what the calls are for.
    ///   - timezone: IANA zone of `dtstart`.
    ///   - dtstart: first start, local time ("2026-09-08T16:00").
    ///   - durationMinutes: length of each call.
    ///   - rrule: recurrence rule ("FREQ=MONTHLY;BYDAY=2TU").
    ///   - until: last date, local ("2026-12-31").
    ///   - semester: the programme semester it belongs to.
    public init(
        id: Int64, communityID: Int64, title: String, description: String, timezone: String, dtstart: String, durationMinutes: Int,
        rrule: String, until: String?, semester: String?, exdates: [String] = [], capacity: Int? = nil, createdAt: Date = Date(timeIntervalSince1970: 0)
    ) {
        self.id = id
        self.communityID = communityID
        self.title = title
        self.description = description
        self.timezone = timezone
        self.dtstart = dtstart
        self.durationMinutes = durationMinutes
        self.rrule = rrule
        self.until = until
        self.semester = semester
        self.exdates = exdates
        self.capacity = capacity
        self.createdAt = createdAt
    }
}
