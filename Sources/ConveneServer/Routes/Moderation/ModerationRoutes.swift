import ConveneCore
import ConveneStore
import Foundation
import Hummingbird

/// `/api/v1/moderation/…`: staff actions, the review queue and the audit log; `/api/v1/flags`,
/// `/api/v1/appeals`, `/api/v1/me/sanctions`.
struct ModerationRoutes {
    let accounts: Accounts
    let moderation: Moderation
    let settings: Settings

    struct SanctionView: Encodable {
        var sanction: Sanction
        /// Whether it restricts the member now (a warning never does).
        var inForce: Bool
        /// The audit row of the action that imposed it: what an appeal names (`action_id`).
        var actionID: Int64? = nil
        /// The appeal filed against it, if any.
        var appealID: Int64? = nil

        enum CodingKeys: String, CodingKey {
            case id, userId, kind, communityId, reason, createdBy, createdAt, endsAt, liftedAt, liftedBy, inForce, actionId, appealId
        }

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
            try container.encodeIfPresent(actionID, forKey: .actionId)
            try container.encodeIfPresent(appealID, forKey: .appealId)
        }
    }

    /// What an action changed (one of sanction, message, channel, review_item) and its audit row.
    struct ActionResponse: Encodable {
        var sanction: SanctionView?
        var message: MessageView?
        var channel: ChannelView?
        var reviewItem: ReviewItem?
        var pending: PendingMessage?
        var question: ForumRoutes.QuestionView?
        var answer: ForumRoutes.AnswerView?
        var audit: AuditEntry
    }

    /// A watched word as the API shows it.
    struct WatchedWordView: Encodable {
        var id: Int64
        var word: String
        var action: WatchedAction
        var createdBy: Int64
        var createdAt: Date

        init(_ word: WatchedWord) {
            id = word.id
            self.word = word.pattern
            action = word.action
            createdBy = word.createdBy
            createdAt = word.createdAt
        }
    }

    struct WatchResponse: Encodable {
        var watchedWord: WatchedWordView
        var audit: AuditEntry
    }

    struct PendingResponse: Encodable {
        var pending: [PendingMessage]
        var nextOffset: Int?
    }

    struct FlagResponse: Encodable {
        var flag: Flag
        var reviewItem: ReviewItem
        /// Whether this flag hid the message.
        var hidden: Bool
    }

    /// A review item with its flags, how many of each reason, and what was flagged — for a
    /// message its full text (even hidden) and the messages around it.
    struct QueueEntryView: Encodable {
        var item: ReviewItem
        var reasons: [String: Int]
        var flags: [Flag]
        /// A flagged question, or the question of a flagged answer, text included even when hidden.
        var question: ForumRoutes.QuestionView?
        var answer: ForumRoutes.AnswerView?
        var message: MessageView?
        var context: [MessageView]?
        var user: PublicUserView?

        init(_ entry: Moderation.QueueEntry) {
            item = entry.item
            reasons = Dictionary(entry.flags.map { ($0.reason.rawValue, 1) }, uniquingKeysWith: +)
            flags = entry.flags
            message = entry.message.map { MessageView($0, reveal: true) }
            context = entry.message == nil ? nil : entry.context.map { MessageView($0, reveal: true) }
            user = entry.user.map(PublicUserView.init)
            question = entry.question.map { ForumRoutes.QuestionView($0) }
            answer = entry.answer.map { ForumRoutes.AnswerView($0) }
        }
    }

    struct QueueResponse: Encodable {
        var items: [QueueEntryView]
        /// Pass as `offset` for the next page; nil on the last.
        var nextOffset: Int?
    }

    struct AssignRequest: Decodable {
        var userId: Int64?
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
            let outcome = try await moderation.act(body, by: principal)
            return try JSON.response(
                ActionResponse(
                    sanction: outcome.sanction.map { SanctionView(sanction: $0, inForce: $0.restricts(at: accounts.now())) },
                    message: outcome.message.map { MessageView($0) }, channel: outcome.channel.map { ChannelView($0) },
                    reviewItem: outcome.reviewItem, pending: outcome.pending, question: outcome.question.map { ForumRoutes.QuestionView($0) },
                    answer: outcome.answer.map { ForumRoutes.AnswerView($0) }, audit: outcome.audit),
                status: .created)
        }
        router.post("/api/v1/flags") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let body = try await request.decodeJSON(Moderation.FlagRequest.self, limit: settings.maxBodyBytes)
            let filed = try await moderation.flag(body, by: principal)
            return try JSON.response(FlagResponse(flag: filed.flag, reviewItem: filed.item, hidden: filed.hidden != nil), status: .created)
        }
        router.get("/api/v1/moderation/queue") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let (offset, limit) = try Query.page(request)
            let state = try Query.choice(request, "state", default: ReviewState.open)
            let entries = try await moderation.queue(
                communitySlug: request.uri.queryParameters.get("community"), state: state, offset: offset, limit: limit, by: principal)
            return try JSON.response(QueueResponse(items: entries.map(QueueEntryView.init), nextOffset: entries.count == limit ? offset + limit : nil))
        }
        router.get("/api/v1/moderation/pending") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let (offset, limit) = try Query.page(request)
            let state = try Query.choice(request, "state", default: PendingState.open)
            let held = try await moderation.pending(
                communitySlug: request.uri.queryParameters.get("community"), state: state, offset: offset, limit: limit, by: principal)
            return try JSON.response(PendingResponse(pending: held, nextOffset: held.count == limit ? offset + limit : nil))
        }
        router.get("/api/v1/communities/{slug}/watched-words") { _, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let words = try await moderation.watchedWords(slug: try context.slug(), by: principal)
            return try JSON.response(["watched_words": words.map(WatchedWordView.init)])
        }
        router.post("/api/v1/communities/{slug}/watched-words") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let body = try await request.decodeJSON(Moderation.WatchRequest.self, limit: settings.maxBodyBytes)
            let (word, audit) = try await moderation.watch(slug: try context.slug(), body, by: principal)
            return try JSON.response(WatchResponse(watchedWord: WatchedWordView(word), audit: audit), status: .created)
        }
        router.delete("/api/v1/communities/{slug}/watched-words/{id}") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let id = try request.id("id", context: context, what: "The watched word")
            return try JSON.response(["audit": try await moderation.unwatch(slug: try context.slug(), id: id, by: principal)])
        }
        router.get("/api/v1/moderation/queue/{id}") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let id = try request.id("id", context: context, what: "The review item")
            return try JSON.response(QueueEntryView(try await moderation.queueEntry(id: id, by: principal)))
        }
        router.post("/api/v1/moderation/queue/{id}/assign") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let id = try request.id("id", context: context, what: "The review item")
            let body = try await request.decodeJSON(AssignRequest.self, limit: settings.maxBodyBytes)
            return try JSON.response(["review_item": try await moderation.assign(itemID: id, to: body.userId, by: principal)])
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
            return try JSON.response([
                "sanctions": sanctions.map {
                    SanctionView(sanction: $0.sanction, inForce: $0.sanction.restricts(at: now), actionID: $0.actionID, appealID: $0.appeal?.id)
                }
            ])
        }
    }
}

/// The audit log as CSV (see `CSV`).
enum AuditCSV {
    static let header = ["id", "created_at", "community_id", "actor_id", "action", "target_type", "target_id", "reason", "before", "after", "previous_hash", "hash"]

    static func render(_ entries: [AuditEntry]) -> String {
        CSV.render(
            header: header,
            rows: entries.map { entry in
                [
                    "\(entry.id)", entry.createdAt.formatted(.iso8601), entry.communityID.map { "\($0)" } ?? "", "\(entry.actorID)", entry.action,
                    entry.targetType, "\(entry.targetID)", entry.reason, entry.before ?? "", entry.after ?? "", entry.previousHash, entry.hash,
                ]
            })
    }
}
