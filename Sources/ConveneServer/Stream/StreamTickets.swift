import ConveneCore
import Foundation
import Synchronization

/// Single-use, 30-second tickets for opening the stream where a browser cannot send a header:
/// `POST /api/v1/stream/tickets`, then `GET /api/v1/stream?ticket=…`. Kept in this node's memory,
/// hashed; a ticket is for the node that issued it.
final class StreamTickets: Sendable {
    private struct Entry {
        var tokenHash: String
        var expires: Date
    }

    private let entries = Mutex<[String: Entry]>([:])
    let lifetime: TimeInterval = 30

    /// A new ticket for the session with `tokenHash`.
    func issue(tokenHash: String, now: Date) -> (ticket: String, expires: Date) {
        let ticket = Tokens.random(bytes: 24)
        let expires = now.addingTimeInterval(lifetime)
        entries.withLock { entries in
            entries = entries.filter { $0.value.expires > now }
            entries[Tokens.hash(ticket)] = Entry(tokenHash: tokenHash, expires: expires)
        }
        return (ticket, expires)
    }

    /// The session token hash a ticket stands for, once; nil when unknown, used or expired.
    func redeem(_ ticket: String, now: Date) -> String? {
        entries.withLock { entries in
            guard let entry = entries.removeValue(forKey: Tokens.hash(ticket)), entry.expires > now else { return nil }
            return entry.tokenHash
        }
    }
}
