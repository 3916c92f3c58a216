import HummingbirdBcrypt
import NIOPosix

/// Bcrypt on NIO's blocking thread pool: a hash takes a quarter second at cost 12 and must not hold
/// an event loop or a cooperative-pool thread that long.
struct PasswordHasher: Sendable {
    let cost: Int

    init(cost: Int) {
        self.cost = cost
    }

    /// A real hash of a random string, verified against when the account does not exist, so a
    /// login for an unknown email takes as long as one for a known email. Made once, at start.
    func makeDecoyHash() -> String {
        Bcrypt.hash(Tokens.random(), cost: UInt8(cost))
    }

    func hash(_ password: String) async throws -> String {
        let cost = UInt8(self.cost)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }
}
