import Foundation
import Testing
@testable import ConveneServer

@Suite("TURN credentials")
struct TURNCredentialsTests {
    @Test("the username is expiry:user and the password the base64 HMAC-SHA1 under the shared secret, as coturn's use-auth-secret checks")
    func coturnScheme() {
        let credential = TURNCredentials.mint(user: 42, secret: "north-star", now: Date(timeIntervalSince1970: 1_791_000_000), lifetime: 43_200)
        #expect(credential.username == "1791043200:42")
        // Python: base64.b64encode(hmac.new(b"north-star", b"1791043200:42", hashlib.sha1).digest())
        #expect(credential.credential == "8f1FutoLwxu2C9MXRA1ZH/Z2WNU=")
        #expect(credential.expiresAt == Date(timeIntervalSince1970: 1_791_043_200))
        #expect(TURNCredentials.mint(user: 43, secret: "north-star", now: Date(timeIntervalSince1970: 1_791_000_000)).credential != credential.credential)
    }
}
