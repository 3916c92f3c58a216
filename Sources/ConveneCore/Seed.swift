/// The shape of `seeds/network.json`: the programme's world as data.
public struct SeedNetwork: Sendable, Codable {
    public struct Network: Sendable, Codable {
        public var name: String
        public var description: String
    }

    public struct Organization: Sendable, Codable {
        public var slug: String
        public var name: String
        public var kind: OrganizationKind
        public var state: String
        public var city: String?
    }

    public struct Committee: Sendable, Codable {
        public var slug: String
        public var name: String
        public var purpose: String
        public var grants: [Role]
    }

    public struct Channel: Sendable, Codable {
        public var name: String
        public var topic: String
        public var announcementOnly: Bool?
    }

    public struct CallSeries: Sendable, Codable {
        public var title: String
        public var semester: String
        public var description: String
        public var dtstart: String
        public var durationMinutes: Int
        public var rrule: String
        public var until: String?
    }

    public struct Defaults: Sendable, Codable {
        public var channels: [Channel]
        public var tags: [Tag]
        public var callSeries: [CallSeries]
    }

    public struct Community: Sendable, Codable {
        public var slug: String
        public var name: String
        public var states: [String]
        public var timezone: String
        public var readiness: Readiness
        public var visibility: Visibility
        public var description: String
        public var organizations: [String]
    }

    public var version: Int
    public var network: Network
    public var notes: [String]?
    public var states: [USState]
    public var organizations: [Organization]
    public var committees: [Committee]
    public var defaults: Defaults
    public var communities: [Community]

    /// Checks the references inside the file, so a broken seed file stops before it writes anything.
    public func validate() throws(ConveneError) {
        let stateCodes = Set(states.map(\.code))
        let organizationSlugs = Set(organizations.map(\.slug))
        guard organizationSlugs.count == organizations.count else { throw .invalid("organizations", "Organization slugs repeat.") }
        guard Set(communities.map(\.slug)).count == communities.count else { throw .invalid("communities", "Community slugs repeat.") }
        for organization in organizations where !stateCodes.contains(organization.state) {
            throw .invalid("organizations", "\(organization.slug) names unknown state \(organization.state).")
        }
        for community in communities {
            _ = try Validation.slug(community.slug, field: "communities")
            for state in community.states where !stateCodes.contains(state) {
                throw .invalid("communities", "\(community.slug) names unknown state \(state).")
            }
            for organization in community.organizations where !organizationSlugs.contains(organization) {
                throw .invalid("communities", "\(community.slug) names unknown organization \(organization).")
            }
        }
        for committee in committees {
            _ = try Validation.slug(committee.slug, field: "committees")
            if committee.grants.contains(.admin) { throw .invalid("committees", "A committee cannot confer admin.") }
        }
    }
}
