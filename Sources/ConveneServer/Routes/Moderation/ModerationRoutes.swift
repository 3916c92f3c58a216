import ConveneCore
import Foundation
import Hummingbird

/// `/api/v1/moderation/…`: staff actions on members and the audit log; `/api/v1/me/sanctions`.
struct ModerationRoutes {
    let accounts: Accounts
    let moderation: Moderation
    let settings: Settings

    struct SanctionView: Encodable {
        var sanction: Sanction
        /// Whether it restricts the member now (a warning never does).
        var inForce: Bool

        enum CodingKeys: String, CodingKey { case id, userId, kind, communityId, reason, createdBy, createdAt, endsAt, liftedAt, liftedBy, inForce }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(sanction.id, forKey: .id)
            try container.encode(sanction.userID, forKey: .userId)
            try container.encode(sanction.kind, forKey: .kind)
            try container.encode(sanction.communityID, forKey: .communityId)
            try container.encode(sanction.reason, forKey: .reason)
            try container.encode(sanction.createdBy, forKey: .createdBy)
            try container.encode(sanction.createdAt, forKey: .createdAt)
            try container.encode(sanction.endsAt, forKey: .endsAt)
            try container.encode(sanction.liftedAt, forKey: .liftedAt)
            try container.encode(sanction.liftedBy, forKey: .liftedBy)
            try container.encode(inForce, forKey: .inForce)
        }
    }

    struct ActionResponse: Encodable {
        var sanction: SanctionView
        var audit: AuditEntry
    }

    struct DecisionResponse: Encodable {
        var appeal: Appeal
        var audit: AuditEntry
    }

    struct AuditResponse: Encodable {
        var entries: [AuditEntry]
        /// Pass as `after_id` for the next page; nil on the last.
        var nextAfterId: Int64?
    }

    func add(to router: some RouterMethods<AppRequestContext>) {
        router.post("/api/v1/moderation/actions") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let body = try await request.decodeJSON(Moderation.ActionRequest.self, limit: settings.maxBodyBytes)
            let (sanction, audit) = try await moderation.act(body, by: principal)
            return try JSON.response(
                ActionResponse(sanction: SanctionView(sanction: sanction, inForce: sanction.restricts(at: accounts.now())), audit: audit), status: .created)
        }
        router.get("/api/v1/moderation/audit") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let limit = try Query.int(request, "limit", default: 100, range: 1...1000)
            let after = try Query.optionalInt64(request, "after_id")
            let format = request.uri.queryParameters.get("format") ?? "json"
            guard format == "json" || format == "csv" else { throw ConveneError.invalid("format", "format must be json or csv.") }
            let entries = try await moderation.audit(
                communitySlug: request.uri.queryParameters.get("community"), afterID: after, limit: limit, by: principal)
            if format == "csv" {
                return Response(
                    status: .ok,
                    headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"convene-audit.csv\""],
                    body: .init(byteBuffer: ByteBuffer(string: AuditCSV.render(entries))))
            }
            return try JSON.response(AuditResponse(entries: entries, nextAfterId: entries.count == limit ? entries.last?.id : nil))
        }
        router.post("/api/v1/appeals") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let body = try await request.decodeJSON(Moderation.AppealRequest.self, limit: settings.maxBodyBytes)
            return try JSON.response(["appeal": try await moderation.appeal(body, by: principal)], status: .created)
        }
        router.get("/api/v1/appeals/{id}") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let id = try request.id("id", context: context, what: "The appeal")
            return try JSON.response(["appeal": try await moderation.appeal(id: id, by: principal)])
        }
        router.post("/api/v1/appeals/{id}/decide") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let id = try request.id("id", context: context, what: "The appeal")
            let body = try await request.decodeJSON(Moderation.DecideRequest.self, limit: settings.maxBodyBytes)
            let (appeal, audit) = try await moderation.decide(appealID: id, body, by: principal)
            return try JSON.response(DecisionResponse(appeal: appeal, audit: audit))
        }
        router.get("/api/v1/me/sanctions") { _, context in
            let auth = try context.requireAuth()
            let now = accounts.now()
            let sanctions = try await moderation.sanctions(of: auth.user.id)
            return try JSON.response(["sanctions": sanctions.map { SanctionView(sanction: $0, inForce: $0.restricts(at: now)) }])
        }
    }
}

/// The audit log as CSV (RFC 4180), safe to open in a spreadsheet: a cell that would start a
/// formula is prefixed with an apostrophe.
enum AuditCSV {
    static let header = ["id", "created_at", "community_id", "actor_id", "action", "target_type", "target_id", "reason", "before", "after", "previous_hash", "hash"]

    static func render(_ entries: [AuditEntry]) -> String {
        var lines = [header.joined(separator: ",")]
        for entry in entries {
            let cells = [
                "\(entry.id)", entry.createdAt.formatted(.iso8601), entry.communityID.map { "\($0)" } ?? "", "\(entry.actorID)", entry.action,
                entry.targetType, "\(entry.targetID)", entry.reason, entry.before ?? "", entry.after ?? "", entry.previousHash, entry.hash,
            ]
            lines.append(cells.map(cell).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func cell(_ value: String) -> String {
        var text = value
        if let first = text.first, "=+-@\t\r".contains(first) { text = "'" + text }
        guard text.contains(where: { ",\"\r\n".contains($0) }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
