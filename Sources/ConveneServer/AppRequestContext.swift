public import Hummingbird
public import HummingbirdWebSocket
public import NIOCore
public import ConveneCore
import Foundation
import HTTPTypes

/// Who made the request, once the authentication middleware has looked.
public struct Authenticated: Sendable {
    public enum Via: Sendable { case cookie, bearer, ticket }
    public var user: User
    public var session: Session
    public var tokenHash: String
    public var via: Via
    /// The user's grants, memberships and sanctions, read with the session.
    public var principal: Principal
}

public struct AppRequestContext: RequestContext, RemoteAddressRequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    public let webSocket: WebSocketHandlerReference<AppRequestContext>
    /// The connection, so the stream can drop a client that stopped reading.
    public let channel: any NIOCore.Channel
    public var auth: Authenticated?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        webSocket = .init()
        channel = source.channel
    }

    /// The connection's peer address as a string.
    public var peerAddress: String {
        switch remoteAddress {
        case .v4(let address): address.host
        case .v6(let address): address.host
        case .unixDomainSocket, .none: "local"
        }
    }
}

/// Who the client is when proxies stand between it and the node.
enum ClientAddress {
    /// The client's address: the peer's, unless the peer is a trusted proxy, when the
    /// `X-Forwarded-For` entries are read from the right (the ones the trusted proxies appended)
    /// and the first that is not a trusted proxy is the client. Entries left of it were written by
    /// the client and are not believed.
    static func resolve(peer: String, forwardedFor: [String], trusted: Set<String>) -> String {
        guard !trusted.isEmpty, let peerIP = normalized(peer), trusted.contains(peerIP) else { return peer }
        let entries = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        for entry in entries.reversed() {
            guard let address = normalized(entry) else { return peer }
            if !trusted.contains(address) { return address }
        }
        return peer
    }

    /// An IP address in its canonical text form, or nil when `text` is not one.
    static func normalized(_ text: String) -> String? {
        (try? SocketAddress(ipAddress: text, port: 0))?.ipAddress
    }
}

extension Request {
    /// Whether the client reached us over TLS (directly or through a proxy that says so): then
    /// cookies are Secure and links are https.
    func reachedOverTLS(_ settings: Settings) -> Bool {
        settings.servesTLS || uri.scheme == .https || headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
    }

    /// `scheme://host[:port]` as the client addressed this server, for absolute links.
    func origin(_ settings: Settings) -> String {
        (reachedOverTLS(settings) ? "https://" : "http://") + (head.authority ?? "\(settings.host):\(settings.port)")
    }
}
