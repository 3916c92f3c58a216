public import Hummingbird
public import HummingbirdWebSocket
public import NIOCore
public import ConveneCore

/// Who made the request, once the authentication middleware has looked.
public struct Authenticated: Sendable {
    public enum Via: Sendable { case cookie, bearer, ticket }
    public var user: User
    public var session: Session
    public var tokenHash: String
    public var via: Via
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

    /// The caller's address as a string, for throttling and logs.
    public var clientAddress: String {
        switch remoteAddress {
        case .v4(let address): address.host
        case .v6(let address): address.host
        case .unixDomainSocket, .none: "local"
        }
    }
}
