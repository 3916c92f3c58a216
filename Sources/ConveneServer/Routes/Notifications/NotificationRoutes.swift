import ConveneCore
import Foundation
import Hummingbird

/// `/api/v1/notifications`: the caller's own notifications.
struct NotificationRoutes {
    let accounts: Accounts
    let notifications: Notifications
    let settings: Settings

    struct ListResponse: Encodable {
        var notifications: [NotificationView]
        var unreadCount: Int
        var hasMore: Bool
    }

    struct ReadBody: Decodable {
        var ids: [Int64]?
        var all: Bool?
    }

    func add(to router: some RouterMethods<AppRequestContext>) {
        router.get("/api/v1/notifications") { request, context in
            let auth = try context.requireAuth()
            let limit = try Query.int(request, "limit", default: 50, range: 1...200)
            let before = try Query.optionalInt64(request, "before_id")
            let unreadOnly = try Query.bool(request, "unread", default: false)
            let page = try await notifications.list(userID: auth.user.id, beforeID: before, unreadOnly: unreadOnly, limit: limit)
            return try JSON.response(
                ListResponse(notifications: page.notifications.map(NotificationView.init), unreadCount: page.unread, hasMore: page.hasMore))
        }
        router.post("/api/v1/notifications/read") { request, context in
            let auth = try context.requireAuth()
            let body = try await request.decodeJSON(ReadBody.self, limit: settings.maxBodyBytes)
            let ids: [Int64]?
            switch (body.ids, body.all) {
            case (nil, true?): ids = nil
            case (let given?, nil), (let given?, false?): ids = given
            default: throw ConveneError.invalid("ids", "Give ids, or all: true (not both).")
            }
            let unread = try await notifications.markRead(userID: auth.user.id, ids: ids)
            return try JSON.response(["unread_count": unread])
        }
    }
}
