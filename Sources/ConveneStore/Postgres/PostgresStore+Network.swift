public import ConveneCore
public import Foundation
import PostgresNIO

extension PostgresStore: NetworkStore {
    public func seed(_ network: SeedNetwork, now: Date) async throws -> SeedReport {
        try network.validate()
        return try await transaction { connection in
            let logger = self.logger
            var report = SeedReport()
            try await connection.query(
                "INSERT INTO network (key, value) VALUES ('name', \(network.network.name)), ('description', \(network.network.description)) ON CONFLICT DO NOTHING",
                logger: logger)
            for state in network.states {
                report.states += try await connection.count(
                    "INSERT INTO states (code, name, timezone) VALUES (\(state.code), \(state.name), \(state.timezone)) ON CONFLICT DO NOTHING RETURNING 1",
                    logger)
            }
            for organization in network.organizations {
                report.organizations += try await connection.count(
                    """
                    INSERT INTO organizations (slug, name, kind, state, city)
                    VALUES (\(organization.slug), \(organization.name), \(organization.kind.rawValue), \(organization.state), \(organization.city))
                    ON CONFLICT DO NOTHING RETURNING 1
                    """, logger)
            }
            for community in network.communities {
                report.communities += try await connection.count(
                    """
                    INSERT INTO communities (slug, name, description, timezone, readiness, visibility, created_at)
                    VALUES (\(community.slug), \(community.name), \(community.description), \(community.timezone),
                            \(community.readiness.rawValue), \(community.visibility.rawValue), \(now))
                    ON CONFLICT DO NOTHING RETURNING 1
                    """, logger)
                let id = try await connection.rows("SELECT id FROM communities WHERE slug = \(community.slug)", logger)[0]["id"].decode(Int64.self)
                for state in community.states {
                    try await connection.query(
                        "INSERT INTO community_states (community_id, state) VALUES (\(id), \(state)) ON CONFLICT DO NOTHING", logger: logger)
                }
                for slug in community.organizations {
                    try await connection.query(
                        """
                        INSERT INTO community_organizations (community_id, organization_id)
                        SELECT \(id), id FROM organizations WHERE slug = \(slug) ON CONFLICT DO NOTHING
                        """, logger: logger)
                }
                for committee in network.committees {
                    report.committees += try await connection.count(
                        """
                        INSERT INTO committees (community_id, slug, name, purpose, confers)
                        VALUES (\(id), \(committee.slug), \(committee.name), \(committee.purpose), \(StoreEncoding.list(committee.grants)))
                        ON CONFLICT DO NOTHING RETURNING 1
                        """, logger)
                }
                for channel in network.defaults.channels {
                    report.channels += try await connection.count(
                        """
                        INSERT INTO channels (community_id, name, topic, announcement_only, created_at)
                        VALUES (\(id), \(channel.name), \(channel.topic), \(channel.announcementOnly ?? false), \(now))
                        ON CONFLICT DO NOTHING RETURNING 1
                        """, logger)
                }
                for tag in network.defaults.tags {
                    report.tags += try await connection.count(
                        "INSERT INTO tags (community_id, slug, name) VALUES (\(id), \(tag.slug), \(tag.name)) ON CONFLICT DO NOTHING RETURNING 1", logger)
                }
                for series in network.defaults.callSeries {
                    report.callSeries += try await connection.count(
                        """
                        INSERT INTO call_series (community_id, title, description, timezone, dtstart, duration_minutes, rrule, until, semester, created_at)
                        VALUES (\(id), \(series.title), \(series.description), \(community.timezone), \(series.dtstart), \(series.durationMinutes),
                                \(series.rrule), \(series.until), \(series.semester), \(now))
                        ON CONFLICT DO NOTHING RETURNING 1
                        """, logger)
                }
            }
            return report
        }
    }

    public func states() async throws -> [USState] {
        try await rows("SELECT * FROM states ORDER BY name").map {
            USState(code: try $0["code"].decode(String.self), name: try $0["name"].decode(String.self), timezone: try $0["timezone"].decode(String.self))
        }
    }

    public func organizations() async throws -> [Organization] {
        try await rows("SELECT * FROM organizations ORDER BY name").compactMap { try $0.organization() }
    }

    public func organization(slug: String) async throws -> Organization? {
        try await rows("SELECT * FROM organizations WHERE slug = \(slug)").first?.organization()
    }

    public func organizations(communityID: Int64) async throws -> [Organization] {
        try await rows(
            """
            SELECT o.* FROM organizations o JOIN community_organizations co ON co.organization_id = o.id
            WHERE co.community_id = \(communityID) ORDER BY o.name
            """
        ).compactMap { try $0.organization() }
    }

    private static let communitySelect = """
        SELECT c.*,
               (SELECT COUNT(*) FROM memberships m WHERE m.community_id = c.id) AS member_count,
               (SELECT string_agg(state, ',' ORDER BY state) FROM community_states s WHERE s.community_id = c.id) AS state_list
        FROM communities c
        """

    public func communities() async throws -> [Community] {
        try await rows(PostgresQuery(unsafeSQL: "\(Self.communitySelect) ORDER BY c.id")).compactMap { try $0.community() }
    }

    public func community(slug: String) async throws -> Community? {
        var bindings = PostgresBindings()
        bindings.append(slug)
        return try await rows(PostgresQuery(unsafeSQL: "\(Self.communitySelect) WHERE c.slug = $1", binds: bindings)).first?.community()
    }

    public func community(id: Int64) async throws -> Community? {
        var bindings = PostgresBindings()
        bindings.append(id)
        return try await rows(PostgresQuery(unsafeSQL: "\(Self.communitySelect) WHERE c.id = $1", binds: bindings)).first?.community()
    }

    public func committees(communityID: Int64) async throws -> [Committee] {
        try await rows("SELECT * FROM committees WHERE community_id = \(communityID) ORDER BY id").map {
            Committee(
                id: try $0["id"].decode(Int64.self), communityID: try $0["community_id"].decode(Int64.self), slug: try $0["slug"].decode(String.self),
                name: try $0["name"].decode(String.self), purpose: try $0["purpose"].decode(String.self),
                confers: StoreEncoding.roles(fromList: try $0["confers"].decode(String.self)))
        }
    }

    public func channels(communityID: Int64) async throws -> [ConveneCore.Channel] {
        try await rows("SELECT * FROM channels WHERE community_id = \(communityID) ORDER BY id").map { try $0.channel() }
    }

    public func tags(communityID: Int64) async throws -> [Tag] {
        try await rows("SELECT slug, name FROM tags WHERE community_id = \(communityID) ORDER BY slug").map {
            Tag(slug: try $0["slug"].decode(String.self), name: try $0["name"].decode(String.self))
        }
    }

    public func putTag(communityID: Int64, _ tag: Tag) async throws -> Bool {
        // xmax is 0 for a row this statement inserted, and not for one it updated.
        try await rows(
            """
            INSERT INTO tags (community_id, slug, name) VALUES (\(communityID), \(tag.slug), \(tag.name))
            ON CONFLICT (community_id, slug) DO UPDATE SET name = EXCLUDED.name RETURNING (xmax = 0) AS created
            """)[0]["created"].decode(Bool.self)
    }

    public func callSeries(communityID: Int64) async throws -> [CallSeries] {
        try await rows("SELECT * FROM call_series WHERE community_id = \(communityID) ORDER BY dtstart").map { try $0.callSeries() }
    }

    public func callSeries(id: Int64) async throws -> CallSeries? {
        try await rows("SELECT * FROM call_series WHERE id = \(id)").first?.callSeries()
    }

    public func join(communityID: Int64, userID: Int64, now: Date) async throws -> Bool {
        try await rows(
            "INSERT INTO memberships (community_id, user_id, joined_at) VALUES (\(communityID), \(userID), \(now)) ON CONFLICT DO NOTHING RETURNING 1"
        ).count > 0
    }

    public func joinedAt(communityID: Int64, userID: Int64) async throws -> Date? {
        try await rows("SELECT joined_at FROM memberships WHERE community_id = \(communityID) AND user_id = \(userID)").first?["joined_at"]
            .decode(Date.self)
    }

    public func members(communityID: Int64, after: Int64?, limit: Int) async throws -> [Member] {
        try await rows(
            """
            SELECT u.*, m.joined_at FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.community_id = \(communityID) AND u.id > \(after ?? 0) ORDER BY u.id LIMIT \(limit)
            """
        ).map { Member(user: try $0.user(), joinedAt: try $0["joined_at"].decode(Date.self), role: .member) }
    }

    public func grants(reachingCommunity communityID: Int64) async throws -> [Grant] {
        try await rows("SELECT * FROM grants WHERE scope_kind = 'network' OR community_id = \(communityID) ORDER BY id").compactMap { try $0.grant() }
    }

    public func createGrant(userID: Int64, role: Role, scope: Scope, grantedBy: Int64?, now: Date) async throws -> Grant {
        let key = StoreEncoding.scopeKey(scope)
        return try await transaction { connection in
            try await connection.query(
                """
                INSERT INTO grants (user_id, role, scope_kind, community_id, committee_id, scope_key, granted_by, created_at)
                VALUES (\(userID), \(role.rawValue), \(scope.kind), \(scope.communityID), \(scope.committeeID), \(key), \(grantedBy), \(now))
                ON CONFLICT DO NOTHING
                """, logger: self.logger)
            let row = try await connection.rows(
                "SELECT * FROM grants WHERE user_id = \(userID) AND role = \(role.rawValue) AND scope_key = \(key)", self.logger)
            guard let grant = try row.first?.grant() else { throw ConveneError(.internalError, "The grant was not stored.") }
            return grant
        }
    }

    public func grant(id: Int64) async throws -> Grant? {
        try await rows("SELECT * FROM grants WHERE id = \(id)").first?.grant()
    }

    public func deleteGrant(id: Int64) async throws {
        try await execute("DELETE FROM grants WHERE id = \(id)")
    }

    public func statusReport(now: Date) async throws -> [StateStatus] {
        let since = now.addingTimeInterval(-30 * 86_400)
        let communities = try await rows(
            """
            SELECT cs.state, c.slug, c.name, c.readiness,
                   (SELECT COUNT(*) FROM memberships m WHERE m.community_id = c.id) AS members
            FROM community_states cs JOIN communities c ON c.id = cs.community_id
            WHERE c.visibility = 'public'
            ORDER BY c.name
            """)
        let organizations = try await rows("SELECT state, COUNT(*) AS n FROM organizations GROUP BY state")
        let people = try await rows(
            """
            SELECT cs.state, COUNT(DISTINCT m.user_id) AS members,
                   COUNT(DISTINCT CASE WHEN m.joined_at >= \(since) THEN m.user_id END) AS new_members
            FROM community_states cs
            JOIN communities c ON c.id = cs.community_id AND c.visibility = 'public'
            JOIN memberships m ON m.community_id = cs.community_id
            GROUP BY cs.state
            """)
        var organizationCounts: [String: Int] = [:]
        for row in organizations { organizationCounts[try row["state"].decode(String.self)] = Int(try row["n"].decode(Int64.self)) }
        var memberCounts: [String: (Int, Int)] = [:]
        for row in people {
            memberCounts[try row["state"].decode(String.self)] = (Int(try row["members"].decode(Int64.self)), Int(try row["new_members"].decode(Int64.self)))
        }
        var byState: [String: [StateStatus.CommunityStatus]] = [:]
        for row in communities {
            guard let readiness = Readiness(rawValue: try row["readiness"].decode(String.self)) else { continue }
            byState[try row["state"].decode(String.self), default: []].append(
                .init(
                    slug: try row["slug"].decode(String.self), name: try row["name"].decode(String.self), readiness: readiness,
                    members: Int(try row["members"].decode(Int64.self))))
        }
        return try await rows("SELECT code, name FROM states ORDER BY name").map { row in
            let code = try row["code"].decode(String.self)
            let list = byState[code] ?? []
            let counts = memberCounts[code] ?? (0, 0)
            return StateStatus(
                code: code, name: try row["name"].decode(String.self), readiness: StoreEncoding.highest(list.map(\.readiness)), communities: list,
                organizations: organizationCounts[code] ?? 0, members: counts.0, newMembers30d: counts.1)
        }
    }
}

extension PostgresRandomAccessRow {
    func callSeries() throws -> CallSeries {
        CallSeries(
            id: try self["id"].decode(Int64.self), communityID: try self["community_id"].decode(Int64.self), title: try self["title"].decode(String.self),
            description: try self["description"].decode(String.self), timezone: try self["timezone"].decode(String.self),
            dtstart: try self["dtstart"].decode(String.self), durationMinutes: Int(try self["duration_minutes"].decode(Int32.self)),
            rrule: try self["rrule"].decode(String.self), until: try self["until"].decode(String?.self), semester: try self["semester"].decode(String?.self),
            exdates: ForumSQL.tags(fromJSON: try self["exdates"].decode(String.self)), capacity: try self["capacity"].decode(Int32?.self).map(Int.init),
            createdAt: try self["created_at"].decode(Date.self))
    }
}
