import Hummingbird
import ConveneCore
import Foundation

/// `/api/v1/organizations` and `/api/v1/communities/*`.
struct CommunityRoutes {
    let accounts: Accounts
    let directory: NetworkDirectory
    let settings: Settings
    /// Told when someone joins, so their open connections show them online there at once.
    let presence: Presence

    struct GrantBody: Decodable {
        var userId: Int64
        var role: String
        var committee: String?
    }

    struct JoinResponse: Encodable {
        var community: CommunityView
        var joined: Bool
        var newlyJoined: Bool
    }

    struct MembersResponse: Encodable {
        var members: [MemberView]
        var nextAfter: Int64?
    }

    func add(to router: some RouterMethods<AppRequestContext>) {
        router.get("/api/v1/organizations") { _, _ in
            try JSON.response(["organizations": try await directory.organizations()])
        }
        router.get("/api/v1/communities") { _, context in
            let principal = try await accounts.principal(context.auth)
            return try JSON.response(["communities": try await directory.communities(for: principal).map(CommunityView.init)])
        }
        router.get("/api/v1/communities/{slug}") { _, context in
            let principal = try await accounts.principal(context.auth)
            return try JSON.response(try await directory.community(slug: try context.slug(), for: principal))
        }
        router.post("/api/v1/communities/{slug}/join") { _, context in
            _ = try context.requireAuth()
            let principal = try await accounts.principal(context.auth)
            let (community, newlyJoined) = try await directory.join(slug: try context.slug(), by: principal)
            if newlyJoined, let user = principal.userID { presence.joined(user: user, community: community.id) }
            return try JSON.response(JoinResponse(community: CommunityView(community), joined: true, newlyJoined: newlyJoined))
        }
        router.get("/api/v1/communities/{slug}/members") { request, context in
            let principal = try await accounts.principal(context.auth)
            let limit = try Query.int(request, "limit", default: 50, range: 1...200)
            let after = try Query.int(request, "after", default: 0, range: 0...Int.max)
            let members = try await directory.members(slug: try context.slug(), after: Int64(after), limit: limit, by: principal)
            return try JSON.response(MembersResponse(members: members, nextAfter: members.count == limit ? members.last?.user.id : nil))
        }
        router.post("/api/v1/communities/{slug}/grants") { request, context in
            _ = try context.requireAuth()
            let body = try await request.decodeJSON(GrantBody.self, limit: settings.maxBodyBytes)
            guard let role = Role(rawValue: body.role) else {
                throw ConveneError.invalid("role", "role must be one of member, facilitator, moderator, lead.")
            }
            let principal = try await accounts.principal(context.auth)
            let grant = try await directory.grant(slug: try context.slug(), userID: body.userId, role: role, committeeSlug: body.committee, by: principal)
            return try JSON.response(grant, status: .created)
        }
        router.delete("/api/v1/communities/{slug}/grants/{id}") { request, context in
            _ = try context.requireAuth()
            let id = try request.id("id", context: context, what: "The grant")
            try await directory.revoke(slug: try context.slug(), grantID: id, by: try await accounts.principal(context.auth))
            return Response(status: .noContent)
        }
    }
}

/// Query-string parameters with the API's errors.
enum Query {
    static func int(_ request: Request, _ name: String, default value: Int, range: ClosedRange<Int>) throws(ConveneError) -> Int {
        guard let raw = request.uri.queryParameters.get(name) else { return value }
        guard let number = Int(raw), range.contains(number) else {
            throw ConveneError.invalid(name, "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound).")
        }
        return number
    }

    /// `offset` and `limit` (default 20, at most 100).
    static func page(_ request: Request) throws(ConveneError) -> (offset: Int, limit: Int) {
        (try int(request, "offset", default: 0, range: 0...1_000_000), try int(request, "limit", default: 20, range: 1...100))
    }

    /// One of an enumeration's raw values.
    static func choice<T: RawRepresentable & CaseIterable>(_ request: Request, _ name: String, default value: T) throws(ConveneError) -> T
    where T.RawValue == String {
        guard let raw = request.uri.queryParameters.get(name) else { return value }
        guard let choice = T(rawValue: raw) else {
            throw ConveneError.invalid(name, "\(name) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        return choice
    }

    static func bool(_ request: Request, _ name: String, default value: Bool) throws(ConveneError) -> Bool {
        switch request.uri.queryParameters.get(name) {
        case nil: return value
        case "true", "1": return true
        case "false", "0": return false
        default: throw ConveneError.invalid(name, "\(name) must be true or false.")
        }
    }
}
