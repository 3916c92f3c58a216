import ConveneCore
import ConveneStore
import Foundation

/// Single-use, 30-second tickets for opening the stream where a browser cannot send a header:
/// `POST /api/v1/stream/tickets`, then `GET /api/v1/stream?ticket=…`. Kept hashed in the store,
/// so a ticket issued by one node opens the stream on any node of the same store.
struct StreamTickets: Sendable {
    let store: any AccountStore
    let lifetime: TimeInterval = 30

    /// A new ticket for the session with `tokenHash`.
    func issue(tokenHash: String, now: Date) async throws -> (ticket: String, expires: Date) {
        let ticket = Tokens.random(bytes: 24)
        let expires = now.addingTimeInterval(lifetime)
        try await store.createStreamTicket(ticketHash: Tokens.hash(ticket), tokenHash: tokenHash, now: now, expiresAt: expires)
        return (ticket, expires)
    }

    /// The session token hash a ticket stands for, once; nil when unknown, used or expired.
    func redeem(_ ticket: String, now: Date) async throws -> String? {
        try await store.redeemStreamTicket(ticketHash: Tokens.hash(ticket), now: now)
    }
}
