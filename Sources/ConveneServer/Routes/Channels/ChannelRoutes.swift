import ConveneCore
import Foundation
import HTTPTypes
import Hummingbird

/// `/api/v1/communities/{slug}/channels` and `/api/v1/channels/{id}/*`.
struct ChannelRoutes {
    let accounts: Accounts
    let messaging: Messaging
    let settings: Settings

    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let replayed = HTTPField.Name("Idempotent-Replayed")!

    struct CreateChannelBody: Decodable {
        var name: String
        var topic: String?
        var `private`: Bool?
        var announcementOnly: Bool?
        var slowModeSeconds: Int?
    }

    struct MemberBody: Decodable {
        var userId: Int64
    }

    struct PostBody: Decodable {
        var body: String
        var threadId: Int64?
    }

    struct EditBody: Decodable {
        var body: String
    }

    struct ReactBody: Decodable {
        var emoji: String
        var on: Bool?
    }

    struct ReadBody: Decodable {
        var seq: Int64
    }

    struct ReadView: Encodable {
        var channelId: Int64
        var readSeq: Int64
        var unreadCount: Int
    }

    struct HistoryResponse: Encodable {
        var messages: [MessageView]
        var hasMore: Bool
    }

    func add(to router: some RouterMethods<AppRequestContext>) {
        router.get("/api/v1/communities/{slug}/channels") { _, context in
            let principal = try await accounts.principal(context.auth)
            let channels = try await messaging.channels(slug: try context.slug(), by: principal)
            return try JSON.response(["channels": channels.map { ChannelView($0, read: $1) }])
        }
        router.post("/api/v1/communities/{slug}/channels") { request, context in
            _ = try context.requireAuth()
            let body = try await request.decodeJSON(CreateChannelBody.self, limit: settings.maxBodyBytes)
            let channel = try await messaging.createChannel(
                slug: try context.slug(), name: body.name, topic: body.topic, isPrivate: body.private ?? false,
                announcementOnly: body.announcementOnly ?? false, slowModeSeconds: body.slowModeSeconds ?? 0,
                by: try await accounts.principal(context.auth))
            return try JSON.response(ChannelView(channel), status: .created)
        }
        router.post("/api/v1/channels/{id}/members") { request, context in
            _ = try context.requireAuth()
            let id = try request.id("id", context: context, what: "The channel")
            let body = try await request.decodeJSON(MemberBody.self, limit: settings.maxBodyBytes)
            let added = try await messaging.addMember(channelID: id, userID: body.userId, by: try await accounts.principal(context.auth))
            return try JSON.response(["added": added], status: added ? .created : .ok)
        }
        router.get("/api/v1/channels/{id}/messages") { request, context in
            let id = try request.id("id", context: context, what: "The channel")
            let limit = try Query.int(request, "limit", default: 50, range: 1...200)
            let after = try Query.optionalInt64(request, "after_seq")
            let before = try Query.optionalInt64(request, "before_seq")
            if after != nil && before != nil {
                throw ConveneError.invalid("before_seq", "Give after_seq or before_seq, not both.")
            }
            let page = try await messaging.history(
                channelID: id, afterSeq: after, beforeSeq: before, limit: limit, by: try await accounts.principal(context.auth))
            return try JSON.response(HistoryResponse(messages: page.messages.map(MessageView.init), hasMore: page.hasMore))
        }
        router.patch("/api/v1/messages/{id}") { request, context in
            _ = try context.requireAuth()
            let id = try request.id("id", context: context, what: "The message")
            let body = try await request.decodeJSON(EditBody.self, limit: settings.maxBodyBytes)
            let (message, _) = try await messaging.edit(messageID: id, body: body.body, by: try await accounts.principal(context.auth))
            return try JSON.response(MessageView(message))
        }
        router.delete("/api/v1/messages/{id}") { request, context in
            _ = try context.requireAuth()
            let id = try request.id("id", context: context, what: "The message")
            _ = try await messaging.delete(messageID: id, by: try await accounts.principal(context.auth))
            return Response(status: .noContent)
        }
        router.get("/api/v1/messages/{id}/revisions") { request, context in
            _ = try context.requireAuth()
            let id = try request.id("id", context: context, what: "The message")
            let revisions = try await messaging.revisions(messageID: id, by: try await accounts.principal(context.auth))
            return try JSON.response(["revisions": revisions])
        }
        router.post("/api/v1/messages/{id}/reactions") { request, context in
            _ = try context.requireAuth()
            let id = try request.id("id", context: context, what: "The message")
            let body = try await request.decodeJSON(ReactBody.self, limit: settings.maxBodyBytes)
            let (message, _) = try await messaging.react(
                messageID: id, emoji: body.emoji, on: body.on ?? true, by: try await accounts.principal(context.auth))
            return try JSON.response(MessageView(message))
        }
        router.put("/api/v1/messages/{id}/pin") { request, context in
            _ = try context.requireAuth()
            let id = try request.id("id", context: context, what: "The message")
            let (message, _, _) = try await messaging.pin(messageID: id, pinned: true, by: try await accounts.principal(context.auth))
            return try JSON.response(MessageView(message))
        }
        router.delete("/api/v1/messages/{id}/pin") { request, context in
            _ = try context.requireAuth()
            let id = try request.id("id", context: context, what: "The message")
            let (message, _, _) = try await messaging.pin(messageID: id, pinned: false, by: try await accounts.principal(context.auth))
            return try JSON.response(MessageView(message))
        }
        router.post("/api/v1/channels/{id}/read") { request, context in
            _ = try context.requireAuth()
            let id = try request.id("id", context: context, what: "The channel")
            let body = try await request.decodeJSON(ReadBody.self, limit: settings.maxBodyBytes)
            let state = try await messaging.markRead(channelID: id, seq: body.seq, by: try await accounts.principal(context.auth))
            return try JSON.response(ReadView(channelId: id, readSeq: state.readSeq, unreadCount: state.unread))
        }
        router.get("/api/v1/channels/{id}/pins") { request, context in
            let id = try request.id("id", context: context, what: "The channel")
            let pins = try await messaging.pins(channelID: id, by: try await accounts.principal(context.auth))
            return try JSON.response(["messages": pins.map(MessageView.init)])
        }
        router.post("/api/v1/channels/{id}/messages") { request, context in
            _ = try context.requireAuth()
            let id = try request.id("id", context: context, what: "The channel")
            let body = try await request.decodeJSON(PostBody.self, limit: settings.maxBodyBytes)
            let key = try request.headers[Self.idempotencyKey].map { key throws(ConveneError) in try Validation.nonce(key, field: "Idempotency-Key") }
                ?? "http-\(Tokens.random(bytes: 16))"
            switch try await messaging.post(
                channelID: id, body: body.body, threadID: body.threadId, nonce: key, by: try await accounts.principal(context.auth))
            {
            case .posted(let message, let created):
                var response = try JSON.response(MessageView(message), status: .created)
                if !created { response.headers[Self.replayed] = "true" }
                return response
            case .held(let pending):
                return try JSON.response(["pending": pending], status: .accepted)
            }
        }
    }
}

extension AppRequestContext {
    /// The `{slug}` path parameter; 404 when it cannot name a community.
    func slug() throws -> String {
        guard let slug = parameters.get("slug"), (try? Validation.slug(slug)) != nil else {
            throw ConveneError.notFound("The community")
        }
        return slug
    }
}

extension Query {
    static func optionalInt64(_ request: Request, _ name: String) throws(ConveneError) -> Int64? {
        guard let raw = request.uri.queryParameters.get(name) else { return nil }
        guard let number = Int64(raw), number >= 0 else { throw ConveneError.invalid(name, "\(name) must be a whole number ≥ 0.") }
        return number
    }
}
