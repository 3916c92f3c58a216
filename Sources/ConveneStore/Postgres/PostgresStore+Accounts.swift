public import ConveneCore
public import Foundation
import PostgresNIO

extension PostgresStore: AccountStore {
    public func createUser(_ user: NewUser, now: Date) async throws -> User {
        try await transaction { connection in
            let logger = self.logger
            if try await connection.count("SELECT 1 FROM users WHERE email = \(user.email)", logger) > 0 {
                throw ConveneError(.conflict, "An account with that email already exists.", field: "email")
            }
            var inviteID: Int64?
            var inviteCommunity: Int64?
            if let codeHash = user.inviteCodeHash {
                guard
                    let invite = try await connection.rows(
                        "SELECT id, community_id, email, expires_at, used_by FROM invites WHERE code_hash = \(codeHash) FOR UPDATE", logger
                    ).first
                else { throw ConveneError.invalid("invite", "That invite code is not known.") }
                if try invite["used_by"].decode(Int64?.self) != nil { throw ConveneError.invalid("invite", "That invite has been used.") }
                if try invite["expires_at"].decode(Date.self) <= now { throw ConveneError.invalid("invite", "That invite has expired.") }
                if let email = try invite["email"].decode(String?.self), email != user.email {
                    throw ConveneError.invalid("invite", "That invite is for another email address.")
                }
                inviteID = try invite["id"].decode(Int64.self)
                inviteCommunity = try invite["community_id"].decode(Int64?.self)
            }
            let row = try await connection.rows(
                """
                INSERT INTO users (email, password_hash, display_name, organization_id, created_at)
                VALUES (\(user.email), \(user.passwordHash), \(user.displayName), \(user.organizationID), \(now)) RETURNING *
                """, logger)
            let created = try row[0].user()
            if let inviteID {
                try await connection.query("UPDATE invites SET used_by = \(created.id), used_at = \(now) WHERE id = \(inviteID)", logger: logger)
            }
            if let inviteCommunity {
                try await connection.query(
                    "INSERT INTO memberships (community_id, user_id, joined_at) VALUES (\(inviteCommunity), \(created.id), \(now)) ON CONFLICT DO NOTHING",
                    logger: logger)
            }
            return created
        }
    }

    public func user(id: Int64) async throws -> User? {
        try await rows("SELECT * FROM users WHERE id = \(id)").first?.user()
    }

    public func user(email: String) async throws -> User? {
        try await rows("SELECT * FROM users WHERE email = \(email)").first?.user()
    }

    public func updateUser(id: Int64, displayName: String?, organizationID: Int64??) async throws -> User {
        try await transaction { connection in
            if let displayName {
                try await connection.query("UPDATE users SET display_name = \(displayName) WHERE id = \(id)", logger: self.logger)
            }
            if let organizationID {
                try await connection.query("UPDATE users SET organization_id = \(organizationID) WHERE id = \(id)", logger: self.logger)
            }
            guard let row = try await connection.rows("SELECT * FROM users WHERE id = \(id)", self.logger).first else {
                throw ConveneError.notFound("The user")
            }
            return try row.user()
        }
    }

    public func credentials(email: String) async throws -> (user: User, passwordHash: String)? {
        guard let row = try await rows("SELECT * FROM users WHERE email = \(email)").first else { return nil }
        return (try row.user(), try row["password_hash"].decode(String.self))
    }

    public func createSession(userID: Int64, tokenHash: String, csrfToken: String, now: Date, expiresAt: Date) async throws -> Session {
        try await transaction { connection in
            try await connection.query("DELETE FROM sessions WHERE user_id = \(userID) AND expires_at <= \(now)", logger: self.logger)
            let rows = try await connection.rows(
                """
                INSERT INTO sessions (user_id, token_hash, csrf_token, created_at, last_used_at, expires_at)
                VALUES (\(userID), \(tokenHash), \(csrfToken), \(now), \(now), \(expiresAt)) RETURNING id
                """, self.logger)
            return Session(
                id: try rows[0]["id"].decode(Int64.self), userID: userID, csrfToken: csrfToken, createdAt: now, lastUsedAt: now,
                expiresAt: expiresAt)
        }
    }

    public func session(tokenHash: String, now: Date, idleTimeout: TimeInterval) async throws -> (session: Session, user: User, principal: Principal)? {
        guard
            let row = try await rows(
                """
                SELECT s.id AS s_id, s.user_id, s.csrf_token, s.created_at AS s_created_at, s.last_used_at, s.expires_at,
                       u.id, u.email, u.display_name, u.organization_id, u.created_at
                FROM sessions s JOIN users u ON u.id = s.user_id
                WHERE s.token_hash = \(tokenHash)
                """
            ).first
        else { return nil }
        var session = Session(
            id: try row["s_id"].decode(Int64.self), userID: try row["user_id"].decode(Int64.self), csrfToken: try row["csrf_token"].decode(String.self),
            createdAt: try row["s_created_at"].decode(Date.self), lastUsedAt: try row["last_used_at"].decode(Date.self),
            expiresAt: try row["expires_at"].decode(Date.self))
        let user = try row.user()
        guard session.expiresAt > now, now.timeIntervalSince(session.lastUsedAt) < idleTimeout else {
            try await deleteSession(tokenHash: tokenHash)
            return nil
        }
        if now.timeIntervalSince(session.lastUsedAt) >= 60 {
            try await execute("UPDATE sessions SET last_used_at = \(now) WHERE id = \(session.id)")
            session.lastUsedAt = now
        }
        return (session, user, try await principal(userID: user.id))
    }

    public func deleteSession(tokenHash: String) async throws {
        try await execute("DELETE FROM sessions WHERE token_hash = \(tokenHash)")
    }

    public func createStreamTicket(ticketHash: String, tokenHash: String, now: Date, expiresAt: Date) async throws {
        try await execute("DELETE FROM stream_tickets WHERE expires_at <= \(now)")
        try await execute("INSERT INTO stream_tickets (ticket_hash, token_hash, expires_at) VALUES (\(ticketHash), \(tokenHash), \(expiresAt))")
    }

    public func redeemStreamTicket(ticketHash: String, now: Date) async throws -> String? {
        try await rows("DELETE FROM stream_tickets WHERE ticket_hash = \(ticketHash) AND expires_at > \(now) RETURNING token_hash")
            .first.map { try $0["token_hash"].decode(String.self) }
    }

    public func createInvite(codeHash: String, communityID: Int64?, createdBy: Int64?, email: String?, now: Date, expiresAt: Date)
        async throws -> Invite
    {
        let rows = try await rows(
            """
            INSERT INTO invites (code_hash, community_id, created_by, email, created_at, expires_at)
            VALUES (\(codeHash), \(communityID), \(createdBy), \(email), \(now), \(expiresAt)) RETURNING id
            """)
        return Invite(
            id: try rows[0]["id"].decode(Int64.self), communityID: communityID, createdBy: createdBy, email: email, createdAt: now,
            expiresAt: expiresAt)
    }

    public func principal(userID: Int64) async throws -> Principal {
        let grants = try await rows("SELECT * FROM grants WHERE user_id = \(userID)").compactMap { try $0.grant() }
        let memberships = Set(try await rows("SELECT community_id FROM memberships WHERE user_id = \(userID)").map { try $0["community_id"].decode(Int64.self) })
        let committeeIDs = grants.compactMap(\.scope.committeeID)
        var committeeRoles: [Int64: [Role]] = [:]
        if !committeeIDs.isEmpty {
            for row in try await rows("SELECT id, confers FROM committees WHERE id = ANY(\(committeeIDs))") {
                committeeRoles[try row["id"].decode(Int64.self)] = StoreEncoding.roles(fromList: try row["confers"].decode(String.self))
            }
        }
        let sanctions = try await rows("SELECT * FROM sanctions WHERE user_id = \(userID) AND lifted_at IS NULL AND kind <> 'warn'").map { try $0.sanction() }
        return Principal(userID: userID, grants: grants, memberships: memberships, committeeRoles: committeeRoles, sanctions: sanctions)
    }
}
