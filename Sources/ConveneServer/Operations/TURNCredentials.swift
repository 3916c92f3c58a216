import Crypto
import Foundation

/// TURN credentials by the shared-secret scheme coturn calls `use-auth-secret` (the "TURN REST
/// API" draft): the username is `{expiry, Unix seconds}:{user id}`, the password the base64
/// HMAC-SHA1 of the username under the secret the relay shares with the server. The relay checks
/// both, and the expiry, without asking the server; each user gets their own, for a limited time.
enum TURNCredentials {
    struct Credential: Encodable, Equatable {
        var username: String
        var credential: String
        var expiresAt: Date
    }

    static func mint(user: Int64, secret: String, now: Date, lifetime: TimeInterval = 12 * 3_600) -> Credential {
        let expires = Date(timeIntervalSince1970: (now.timeIntervalSince1970 + lifetime).rounded(.down))
        let username = "\(Int(expires.timeIntervalSince1970)):\(user)"
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(username.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return Credential(username: username, credential: Data(mac).base64EncodedString(), expiresAt: expires)
    }
}
