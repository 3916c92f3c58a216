public import Foundation
public import ConveneCore
import GRDB

extension SQLiteStore: AccountStore {
    public func createUser(_ user: NewUser, now: Date) async throws -> User {
        try await write { db in
            if try Int64.fetchOne(db, sql: "SELECT id FROM users WHERE email = ?", arguments: [user.email]) != nil {
                throw ConveneError(.conflict, "An account with that email already exists.", field: "email")
            }
            var inviteCommunity: Int64?
            var inviteID: Int64?
            if let codeHash = user.inviteCodeHash {
                guard
                    let invite = try Row.fetchOne(
                        db, sql: "SELECT id, community_id, email, expires_at, used_by FROM invites WHERE code_hash = ?",
                        arguments: [codeHash])
                else { throw ConveneError.invalid("invite", "That invite code is not known.") }
                if invite["used_by"] as Int64? != nil { throw ConveneError.invalid("invite", "That invite has been used.") }
                if (invite["expires_at"] as Date) <= now { throw ConveneError.invalid("invite", "That invite has expired.") }
                if let email = invite["email"] as String?, email != user.email {
                    throw ConveneError.invalid("invite", "That invite is for another email address.")
                }
                inviteID = invite["id"]
                inviteCommunity = invite["community_id"]
            }
            try db.execute(
                sql: "INSERT INTO users (email, password_hash, display_name, organization_id, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [user.email, user.passwordHash, user.displayName, user.organizationID, now])
            let id = db.lastInsertedRowID
            if let inviteID {
                try db.execute(sql: "UPDATE invites SET used_by = ?, used_at = ? WHERE id = ?", arguments: [id, now, inviteID])
            }
            if let inviteCommunity {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO memberships (community_id, user_id, joined_at) VALUES (?, ?, ?)",
                    arguments: [inviteCommunity, id, now])
            }
            return User(id: id, email: user.email, displayName: user.displayName, organizationID: user.organizationID, createdAt: now)
        }
    }

    public func user(id: Int64) async throws -> User? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ?", arguments: [id])?.user() }
    }

    public func user(email: String) async throws -> User? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM users WHERE email = ?", arguments: [email])?.user() }
    }

    public func updateUser(id: Int64, displayName: String?, organizationID: Int64??) async throws -> User {
        try await write { db in
            if let displayName {
                try db.execute(sql: "UPDATE users SET display_name = ? WHERE id = ?", arguments: [displayName, id])
            }
            if let organizationID {
                try db.execute(sql: "UPDATE users SET organization_id = ? WHERE id = ?", arguments: [organizationID, id])
            }
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ?", arguments: [id]) else {
                throw ConveneError.notFound("The user")
            }
            return row.user()
        }
    }

    public func credentials(email: String) async throws -> (user: User, passwordHash: String)? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE email = ?", arguments: [email]) else { return nil }
            return (row.user(), row["password_hash"])
        }
    }

    public func createSession(userID: Int64, tokenHash: String, csrfToken: String, now: Date, expiresAt: Date) async throws -> Session {
        try await write { db in
            // Expired sessions of this user go when they sign in again, so the table does not grow without bound.
            try db.execute(sql: "DELETE FROM sessions WHERE user_id = ? AND expires_at <= ?", arguments: [userID, now])
            try db.execute(
                sql: """
                    INSERT INTO sessions (user_id, token_hash, csrf_token, created_at, last_used_at, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [userID, tokenHash, csrfToken, now, now, expiresAt])
            return Session(
                id: db.lastInsertedRowID, userID: userID, csrfToken: csrfToken, createdAt: now, lastUsedAt: now, expiresAt: expiresAt)
        }
    }

    public func session(tokenHash: String, now: Date, idleTimeout: TimeInterval) async throws -> (session: Session, user: User, principal: Principal)? {
        // One read for all three: a hop to a reader connection costs more than the queries.
        let found: (Session, User, Principal)? = try await read { db in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: """
                        SELECT s.id AS s_id, s.user_id, s.csrf_token, s.created_at AS s_created_at, s.last_used_at, s.expires_at,
                               u.id, u.email, u.display_name, u.organization_id, u.created_at
                        FROM sessions s JOIN users u ON u.id = s.user_id
                        WHERE s.token_hash = ?
                        """), arguments: [tokenHash])
            else { return nil }
            let session = Session(
                id: row["s_id"], userID: row["user_id"], csrfToken: row["csrf_token"], createdAt: row["s_created_at"],
                lastUsedAt: row["last_used_at"], expiresAt: row["expires_at"])
            return (session, row.user(), try Self.principal(db, userID: session.userID))
        }
        guard let found else { return nil }
        var session = found.0
        let (user, principal) = (found.1, found.2)
        guard session.expiresAt > now, now.timeIntervalSince(session.lastUsedAt) < idleTimeout else {
            try await deleteSession(tokenHash: tokenHash)
            return nil
        }
        // Refresh idle time at most once a minute: a write per request would serialise every reader on the lock.
        if now.timeIntervalSince(session.lastUsedAt) >= 60 {
            let id = session.id
            try await write { db in try db.execute(sql: "UPDATE sessions SET last_used_at = ? WHERE id = ?", arguments: [now, id]) }
            session.lastUsedAt = now
        }
        return (session, user, principal)
    }

    public func deleteSession(tokenHash: String) async throws {
        try await write { db in try db.execute(sql: "DELETE FROM sessions WHERE token_hash = ?", arguments: [tokenHash]) }
    }

    public func createStreamTicket(ticketHash: String, tokenHash: String, now: Date, expiresAt: Date) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM stream_tickets WHERE expires_at <= ?", arguments: [now])
            try db.execute(
                sql: "INSERT INTO stream_tickets (ticket_hash, token_hash, expires_at) VALUES (?, ?, ?)", arguments: [ticketHash, tokenHash, expiresAt])
        }
    }

    public func redeemStreamTicket(ticketHash: String, now: Date) async throws -> String? {
        try await write { db in
            try String.fetchOne(
                db, sql: "DELETE FROM stream_tickets WHERE ticket_hash = ? AND expires_at > ? RETURNING token_hash", arguments: [ticketHash, now])
        }
    }

    public func createInvite(codeHash: String, communityID: Int64?, createdBy: Int64?, email: String?, now: Date, expiresAt: Date)
        async throws -> Invite
    {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO invites (code_hash, community_id, created_by, email, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [codeHash, communityID, createdBy, email, now, expiresAt])
            return Invite(
                id: db.lastInsertedRowID, communityID: communityID, createdBy: createdBy, email: email, createdAt: now, expiresAt: expiresAt)
        }
    }

    public func principal(userID: Int64) async throws -> Principal {
        try await read { db in try Self.principal(db, userID: userID) }
    }

    static func principal(_ db: Database, userID: Int64) throws -> Principal {
        let grants = try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM grants WHERE user_id = ?"), arguments: [userID]).compactMap(Self.grant)
        let memberships = try Int64.fetchSet(db.cachedStatement(sql: "SELECT community_id FROM memberships WHERE user_id = ?"), arguments: [userID])
        let committeeIDs = grants.compactMap(\.scope.committeeID)
        var committeeRoles: [Int64: [Role]] = [:]
        if !committeeIDs.isEmpty {
            let rows = try Row.fetchAll(
                db, sql: "SELECT id, confers FROM committees WHERE id IN (\(committeeIDs.map { _ in "?" }.joined(separator: ",")))",
                arguments: StatementArguments(committeeIDs))
            for row in rows {
                committeeRoles[row["id"]] = StoreEncoding.roles(fromList: row["confers"])
            }
        }
        let sanctions = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM sanctions WHERE user_id = ? AND lifted_at IS NULL AND kind <> 'warn'"), arguments: [userID]
        ).map(Self.sanction)
        return Principal(userID: userID, grants: grants, memberships: memberships, committeeRoles: committeeRoles, sanctions: sanctions)
    }

    static func grant(_ row: Row) -> Grant? {
        guard let role = Role(rawValue: row["role"]) else { return nil }
        let scope: Scope
        switch row["scope_kind"] as String {
        case "network": scope = .network
        case "community": scope = .community(row["community_id"])
        case "committee": scope = .committee(community: row["community_id"], committee: row["committee_id"])
        default: return nil
        }
        return Grant(id: row["id"], userID: row["user_id"], role: role, scope: scope, grantedBy: row["granted_by"])
    }
}
