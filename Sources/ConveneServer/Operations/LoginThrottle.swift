import ConveneCore
import Foundation
import Synchronization

/// Failed sign-ins counted per account and per client address; either limit answers 429.
final class LoginThrottle: Sendable {
    private let accounts: Mutex<WindowLimiter>
    private let addresses: Mutex<WindowLimiter>

    init(perAccount: Int, perAddress: Int, window: TimeInterval) {
        accounts = Mutex(WindowLimiter(limit: perAccount, window: window))
        addresses = Mutex(WindowLimiter(limit: perAddress, window: window))
    }

    /// Throws `rate_limited` with Retry-After when either the account or the address has failed too often.
    func check(email: String, address: String, now: Date) throws(ConveneError) {
        let wait = max(
            accounts.withLock { $0.retryAfter(email, now: now) } ?? 0,
            addresses.withLock { $0.retryAfter(address, now: now) } ?? 0)
        if wait > 0 {
            throw ConveneError(.rateLimited, "Too many failed sign-ins; try again in \(wait) seconds.", retryAfter: wait)
        }
    }

    func failed(email: String, address: String, now: Date) {
        accounts.withLock { $0.record(email, now: now) }
        addresses.withLock { $0.record(address, now: now) }
    }

    func succeeded(email: String) {
        accounts.withLock { $0.reset(email) }
    }
}
