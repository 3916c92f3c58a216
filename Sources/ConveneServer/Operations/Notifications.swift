import ConveneCore
import ConveneRealtime
import ConveneStore
import Foundation

/// A user's notifications: stored with the message that causes them (so none is lost to a crash
/// between commit and delivery), pushed live to the user's open connections, listed and marked read.
struct Notifications: Sendable {
    let store: any ConveneStore
    let fanout: Fanout
    let now: @Sendable () -> Date

    /// Pushes the notifications a just-committed message caused to their users' connections. The
    /// notifications are already stored: a user who is offline, or a push that fails, finds them
    /// in the list.
    func deliver(causedBy messageID: Int64, to users: Set<Int64>? = nil) async {
        guard let created = try? await store.notifications(messageID: messageID) else { return }
        await push(created.filter { users?.contains($0.userID) ?? true })
    }

    /// Pushes notifications stored with a just-committed forum change (by their ids).
    func deliver(ids: [Int64]) async {
        guard !ids.isEmpty, let created = try? await store.notifications(ids: ids) else { return }
        await push(created)
    }

    private func push(_ created: [UserNotification]) async {
        for notification in created {
            guard let unread = try? await store.unreadNotificationCount(userID: notification.userID) else { continue }
            fanout.toUser(notification.userID, frame: ServerFrame.notification(notification, unread: unread))
        }
    }

    /// A page of the user's notifications, newest first, and how many are unread in all.
    func list(userID: Int64, beforeID: Int64?, unreadOnly: Bool, limit: Int) async throws
        -> (notifications: [UserNotification], unread: Int, hasMore: Bool)
    {
        let page = try await store.notifications(userID: userID, beforeID: beforeID, unreadOnly: unreadOnly, limit: limit + 1)
        let unread = try await store.unreadNotificationCount(userID: userID)
        return (Array(page.prefix(limit)), unread, page.count > limit)
    }

    /// Marks `ids` (or all, when nil) read and tells the user's connections; returns what is left unread.
    func markRead(userID: Int64, ids: [Int64]?) async throws -> Int {
        if let ids, ids.count > 500 { throw ConveneError.invalid("ids", "Mark at most 500 notifications at a time.") }
        _ = try await store.markNotificationsRead(userID: userID, ids: ids, now: now())
        let unread = try await store.unreadNotificationCount(userID: userID)
        fanout.toUser(userID, frame: ServerFrame.notificationsRead(ids: ids, unread: unread))
        return unread
    }
}
