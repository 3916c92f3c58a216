public import Foundation
public import ConveneCore
import GRDB

extension SQLiteStore: NetworkStore {
    public func seed(_ network: SeedNetwork, now: Date) async throws -> SeedReport {
        try network.validate()
        return try await write { db in
            var report = SeedReport()
            try db.execute(
                sql: "INSERT INTO network (key, value) VALUES ('name', ?), ('description', ?) ON CONFLICT DO NOTHING",
                arguments: [network.network.name, network.network.description])
            for state in network.states {
                try db.execute(
                    sql: "INSERT INTO states (code, name, timezone) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    arguments: [state.code, state.name, state.timezone])
                report.states += db.changesCount
            }
            for organization in network.organizations {
                try db.execute(
                    sql: "INSERT INTO organizations (slug, name, kind, state, city) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    arguments: [organization.slug, organization.name, organization.kind.rawValue, organization.state, organization.city])
                report.organizations += db.changesCount
            }
            for community in network.communities {
                try db.execute(
                    sql: """
                        INSERT INTO communities (slug, name, description, timezone, readiness, visibility, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                        """,
                    arguments: [
                        community.slug, community.name, community.description, community.timezone, community.readiness.rawValue,
                        community.visibility.rawValue, now,
                    ])
                report.communities += db.changesCount
                let id = try Int64.fetchOne(db, sql: "SELECT id FROM communities WHERE slug = ?", arguments: [community.slug])!
                for state in community.states {
                    try db.execute(
                        sql: "INSERT INTO community_states (community_id, state) VALUES (?, ?) ON CONFLICT DO NOTHING", arguments: [id, state])
                }
                for slug in community.organizations {
                    try db.execute(
                        sql: """
                            INSERT INTO community_organizations (community_id, organization_id)
                            SELECT ?, id FROM organizations WHERE slug = ? ON CONFLICT DO NOTHING
                            """, arguments: [id, slug])
                }
                for committee in network.committees {
                    try db.execute(
                        sql: "INSERT INTO committees (community_id, slug, name, purpose, confers) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        arguments: [id, committee.slug, committee.name, committee.purpose, StoreEncoding.list(committee.grants)])
                    report.committees += db.changesCount
                }
                for channel in network.defaults.channels {
                    try db.execute(
                        sql: """
                            INSERT INTO channels (community_id, name, topic, announcement_only, created_at)
                            VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                            """, arguments: [id, channel.name, channel.topic, channel.announcementOnly ?? false, now])
                    report.channels += db.changesCount
                }
                for tag in network.defaults.tags {
                    try db.execute(
                        sql: "INSERT INTO tags (community_id, slug, name) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                        arguments: [id, tag.slug, tag.name])
                    report.tags += db.changesCount
                }
                for series in network.defaults.callSeries {
                    try db.execute(
                        sql: """
                            INSERT INTO call_series (community_id, title, description, timezone, dtstart, duration_minutes, rrule, until,
                                                     semester, created_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                            """,
                        arguments: [
                            id, series.title, series.description, community.timezone, series.dtstart, series.durationMinutes, series.rrule,
                            series.until, series.semester, now,
                        ])
                    report.callSeries += db.changesCount
                }
            }
            return report
        }
    }

    public func states() async throws -> [USState] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM states ORDER BY name").map { USState(code: $0["code"], name: $0["name"], timezone: $0["timezone"]) }
        }
    }

    public func organizations() async throws -> [Organization] {
        try await read { db in try Row.fetchAll(db, sql: "SELECT * FROM organizations ORDER BY name").compactMap(Self.organization) }
    }

    public func organization(slug: String) async throws -> Organization? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM organizations WHERE slug = ?", arguments: [slug]).flatMap(Self.organization) }
    }

    public func organizations(communityID: Int64) async throws -> [Organization] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT o.* FROM organizations o JOIN community_organizations co ON co.organization_id = o.id
                    WHERE co.community_id = ? ORDER BY o.name
                    """, arguments: [communityID]
            ).compactMap(Self.organization)
        }
    }

    private static let communitySelect = """
        SELECT c.*,
               (SELECT COUNT(*) FROM memberships m WHERE m.community_id = c.id) AS member_count,
               (SELECT group_concat(state, ',') FROM (SELECT state FROM community_states s WHERE s.community_id = c.id ORDER BY state))
                   AS state_list
        FROM communities c
        """

    public func communities() async throws -> [Community] {
        try await read { db in try Row.fetchAll(db, sql: "\(Self.communitySelect) ORDER BY c.id").compactMap(Self.community) }
    }

    public func community(slug: String) async throws -> Community? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "\(Self.communitySelect) WHERE c.slug = ?"), arguments: [slug]).flatMap(Self.community)
        }
    }

    public func community(id: Int64) async throws -> Community? {
        try await read { db in try Row.fetchOne(db.cachedStatement(sql: "\(Self.communitySelect) WHERE c.id = ?"), arguments: [id]).flatMap(Self.community) }
    }

    public func committees(communityID: Int64) async throws -> [Committee] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM committees WHERE community_id = ? ORDER BY id", arguments: [communityID]).map {
                Committee(
                    id: $0["id"], communityID: $0["community_id"], slug: $0["slug"], name: $0["name"], purpose: $0["purpose"],
                    confers: StoreEncoding.roles(fromList: $0["confers"]))
            }
        }
    }

    public func channels(communityID: Int64) async throws -> [Channel] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM channels WHERE community_id = ? ORDER BY id", arguments: [communityID]).map {
                Self.channel($0)
            }
        }
    }

    public func tags(communityID: Int64) async throws -> [Tag] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT slug, name FROM tags WHERE community_id = ? ORDER BY slug", arguments: [communityID]).map {
                Tag(slug: $0["slug"], name: $0["name"])
            }
        }
    }

    public func putTag(communityID: Int64, _ tag: Tag) async throws -> Bool {
        try await write { db in
            let exists = try Bool.fetchOne(db, sql: "SELECT 1 FROM tags WHERE community_id = ? AND slug = ?", arguments: [communityID, tag.slug]) != nil
            try db.execute(
                sql: "INSERT INTO tags (community_id, slug, name) VALUES (?, ?, ?) ON CONFLICT (community_id, slug) DO UPDATE SET name = excluded.name",
                arguments: [communityID, tag.slug, tag.name])
            return !exists
        }
    }

    public func callSeries(communityID: Int64) async throws -> [CallSeries] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM call_series WHERE community_id = ? ORDER BY dtstart", arguments: [communityID]).map(Self.callSeries)
        }
    }

    public func callSeries(id: Int64) async throws -> CallSeries? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM call_series WHERE id = ?", arguments: [id]).map(Self.callSeries) }
    }

    static func callSeries(_ row: Row) -> CallSeries {
        CallSeries(
            id: row["id"], communityID: row["community_id"], title: row["title"], description: row["description"], timezone: row["timezone"],
            dtstart: row["dtstart"], durationMinutes: row["duration_minutes"], rrule: row["rrule"], until: row["until"], semester: row["semester"],
            exdates: ForumSQL.tags(fromJSON: row["exdates"]), capacity: row["capacity"], createdAt: row["created_at"])
    }

    public func join(communityID: Int64, userID: Int64, now: Date) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO memberships (community_id, user_id, joined_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                arguments: [communityID, userID, now])
            return db.changesCount > 0
        }
    }

    public func joinedAt(communityID: Int64, userID: Int64) async throws -> Date? {
        try await read { db in
            try Date.fetchOne(db, sql: "SELECT joined_at FROM memberships WHERE community_id = ? AND user_id = ?", arguments: [communityID, userID])
        }
    }

    public func members(communityID: Int64, after: Int64?, limit: Int) async throws -> [Member] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT u.*, m.joined_at FROM memberships m JOIN users u ON u.id = m.user_id
                    WHERE m.community_id = ? AND u.id > ? ORDER BY u.id LIMIT ?
                    """, arguments: [communityID, after ?? 0, limit]
            ).map { Member(user: $0.user(), joinedAt: $0["joined_at"], role: .member) }
        }
    }

    public func grants(reachingCommunity communityID: Int64) async throws -> [Grant] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM grants WHERE scope_kind = 'network' OR community_id = ? ORDER BY id", arguments: [communityID])
                .compactMap(Self.grant)
        }
    }

    public func createGrant(userID: Int64, role: Role, scope: Scope, grantedBy: Int64?, now: Date) async throws -> Grant {
        let key = StoreEncoding.scopeKey(scope)
        return try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO grants (user_id, role, scope_kind, community_id, committee_id, scope_key, granted_by, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                    """,
                arguments: [userID, role.rawValue, scope.kind, scope.communityID, scope.committeeID, key, grantedBy, now])
            let row = try Row.fetchOne(
                db, sql: "SELECT * FROM grants WHERE user_id = ? AND role = ? AND scope_key = ?", arguments: [userID, role.rawValue, key])
            return row.flatMap(Self.grant)!
        }
    }

    public func grant(id: Int64) async throws -> Grant? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM grants WHERE id = ?", arguments: [id]).flatMap(Self.grant) }
    }

    public func deleteGrant(id: Int64) async throws {
        try await write { db in try db.execute(sql: "DELETE FROM grants WHERE id = ?", arguments: [id]) }
    }

    public func statusReport(now: Date) async throws -> [StateStatus] {
        let since = now.addingTimeInterval(-30 * 86_400)
        return try await read { db in
            let communities = try Row.fetchAll(
                db,
                sql: """
                    SELECT cs.state, c.slug, c.name, c.readiness,
                           (SELECT COUNT(*) FROM memberships m WHERE m.community_id = c.id) AS members
                    FROM community_states cs JOIN communities c ON c.id = cs.community_id
                    WHERE c.visibility = 'public'
                    ORDER BY c.name
                    """)
            let organizations = try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM organizations GROUP BY state")
            let people = try Row.fetchAll(
                db,
                sql: """
                    SELECT cs.state, COUNT(DISTINCT m.user_id) AS members,
                           COUNT(DISTINCT CASE WHEN m.joined_at >= ? THEN m.user_id END) AS new_members
                    FROM community_states cs
                    JOIN communities c ON c.id = cs.community_id AND c.visibility = 'public'
                    JOIN memberships m ON m.community_id = cs.community_id
                    GROUP BY cs.state
                    """, arguments: [since])
            var organizationCounts: [String: Int] = [:]
            for row in organizations { organizationCounts[row["state"]] = row["n"] }
            var memberCounts: [String: (Int, Int)] = [:]
            for row in people { memberCounts[row["state"]] = (row["members"], row["new_members"]) }
            var byState: [String: [StateStatus.CommunityStatus]] = [:]
            for row in communities {
                guard let readiness = Readiness(rawValue: row["readiness"]) else { continue }
                byState[row["state"], default: []].append(
                    .init(slug: row["slug"], name: row["name"], readiness: readiness, members: row["members"]))
            }
            return try Row.fetchAll(db, sql: "SELECT code, name FROM states ORDER BY name").map { row in
                let code: String = row["code"]
                let list = byState[code] ?? []
                let level = StoreEncoding.highest(list.map(\.readiness))
                let counts = memberCounts[code] ?? (0, 0)
                return StateStatus(
                    code: code, name: row["name"], readiness: level, communities: list, organizations: organizationCounts[code] ?? 0,
                    members: counts.0, newMembers30d: counts.1)
            }
        }
    }

    static func organization(_ row: Row) -> Organization? {
        guard let kind = OrganizationKind(rawValue: row["kind"]) else { return nil }
        return Organization(id: row["id"], slug: row["slug"], name: row["name"], kind: kind, state: row["state"], city: row["city"])
    }

    static func community(_ row: Row) -> Community? {
        guard let readiness = Readiness(rawValue: row["readiness"]), let visibility = Visibility(rawValue: row["visibility"]) else {
            return nil
        }
        let states = (row["state_list"] as String?).map { $0.split(separator: ",").map(String.init) } ?? []
        return Community(
            id: row["id"], slug: row["slug"], name: row["name"], description: row["description"], states: states, timezone: row["timezone"],
            readiness: readiness, visibility: visibility, memberCount: row["member_count"], createdAt: row["created_at"])
    }
}
