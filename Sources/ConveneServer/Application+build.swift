public import Hummingbird
import HummingbirdWebSocket
import HummingbirdWSCompression
import HummingbirdCore
import HummingbirdTLS
import ConveneRealtime
public import Logging
public import ConveneStore
import ConveneCore
import Logging
public import Foundation

/// Everything a request handler needs, built once per process.
public struct ConveneServices: Sendable {
    let settings: Settings
    let store: any ConveneStore
    let accounts: Accounts
    let directory: NetworkDirectory
    let messaging: Messaging
    let notifications: Notifications
    let moderation: Moderation
    let forums: Forums
    let calls: Calls
    /// The live rooms of calls on this node.
    let callRooms: CallRooms
    let reminders: Reminders
    let hub: Hub
    /// The hub, and the other nodes through the store's event bus.
    let fanout: Fanout
    let presence: Presence
    /// Question pages, lists and feeds, kept a moment for their readers (invalidated by the fan-out).
    let readCache: ReadCache
    let metrics: ServerMetrics
    let tickets: StreamTickets
    let resources: Resources
    /// Stream connections, closed going away on SIGTERM before the HTTP server stops.
    let drain: StreamDrain

    /// - Parameters:
    ///   - settings: the node's settings.
    ///   - store: the migrated store.
    ///   - now: the clock (tests move it).
    public init(settings: Settings, store: any ConveneStore, now: @escaping @Sendable () -> Date = Date.init) throws {
        self.settings = settings
        self.store = store
        resources = try Resources.load()
        let hasher = PasswordHasher(cost: settings.bcryptCost)
        accounts = Accounts(
            store: store, settings: settings, hasher: hasher, decoyHash: hasher.makeDecoyHash(),
            throttle: LoginThrottle(
                perAccount: settings.loginFailuresPerAccount, perAddress: settings.loginFailuresPerAddress,
                window: TimeInterval(settings.loginWindowSeconds)),
            commonPasswords: resources.commonPasswords, now: now)
        directory = NetworkDirectory(store: store, now: now)
        hub = Hub()
        drain = StreamDrain()
        metrics = ServerMetrics(streamLimit: settings.streamConnections > 0 ? settings.streamConnections : ServerMetrics.defaultStreamLimit())
        readCache = ReadCache()
        fanout = Fanout(
            hub: hub, store: store, readCache: readCache, metrics: metrics, presenceGrace: TimeInterval(settings.presenceGraceSeconds), logger: Logger(label: "convene.bus"))
        presence = fanout.presence
        tickets = StreamTickets(store: store)
        notifications = Notifications(store: store, fanout: fanout, now: now)
        messaging = Messaging(
            store: store, directory: directory, fanout: fanout, notifications: notifications, metrics: metrics,
            limits: SendLimits(messagesPerMinute: settings.messagesPerMinute), newMembers: settings.newMemberLimits, now: now)
        forums = Forums(store: store, directory: directory, messaging: messaging, fanout: fanout, notifications: notifications, now: now)
        calls = Calls(store: store, directory: directory, notifications: notifications, now: now)
        reminders = Reminders(store: store, notifications: notifications, logger: Logger(label: "convene.reminders"), now: now)
        callRooms = CallRooms(
            store: store, calls: calls, directory: directory, messaging: messaging, forums: forums, fanout: fanout, settings: settings,
            logger: Logger(label: "convene.calls"), now: now)
        moderation = Moderation(
            store: store, directory: directory, messaging: messaging, forums: forums, fanout: fanout, flagHideThreshold: settings.flagHideThreshold, now: now)
    }
}

/// The router: middleware in order (errors outermost, so every failure becomes the API's body), then
/// each area's routes.
public func buildRouter(_ services: ConveneServices) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: LogRequestsMiddleware(.info))
    router.add(middleware: MetricsMiddleware(metrics: services.metrics))
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: ErrorMiddleware())
    router.add(
        middleware: AuthenticationMiddleware(accounts: services.accounts, allowedOrigins: services.settings.allowedOrigins, tickets: services.tickets))
    addRoutes(services, to: router)
    return router
}

/// Every area's routes; tests call it with a recorder to list them.
func addRoutes(_ services: ConveneServices, to router: some RouterMethods<AppRequestContext>) {
    SystemRoutes(store: services.store, resources: services.resources, metrics: services.metrics, drain: services.drain).add(to: router)
    AuthRoutes(accounts: services.accounts, directory: services.directory, settings: services.settings).add(to: router)
    CommunityRoutes(accounts: services.accounts, directory: services.directory, settings: services.settings, presence: services.presence).add(to: router)
    StatusRoutes(directory: services.directory).add(to: router)
    ChannelRoutes(accounts: services.accounts, messaging: services.messaging, settings: services.settings).add(to: router)
    SearchRoutes(accounts: services.accounts, messaging: services.messaging, forums: services.forums).add(to: router)
    NotificationRoutes(accounts: services.accounts, notifications: services.notifications, settings: services.settings).add(to: router)
    ModerationRoutes(accounts: services.accounts, moderation: services.moderation, settings: services.settings).add(to: router)
    CallRoutes(accounts: services.accounts, calls: services.calls, settings: services.settings).add(to: router)
    ForumRoutes(accounts: services.accounts, forums: services.forums, settings: services.settings, readCache: services.readCache).add(to: router)
    StreamRoutes(
        accounts: services.accounts, messaging: services.messaging, forums: services.forums, callRooms: services.callRooms, store: services.store,
        hub: services.hub, presence: services.presence, metrics: services.metrics,
        tickets: services.tickets,
        drain: services.drain,
        settings: services.settings
    ).add(to: router)
}

/// The whole HTTP application for `services`, listening where the settings say, over TLS when
/// they name a certificate and key.
public func buildApplication(_ services: ConveneServices, logger: Logger) throws -> some ApplicationProtocol {
    let router = buildRouter(services)
    // The frame decoder's own cap sits above the message limit: a message over the limit but under
    // the cap is refused by the stream with a 1009 close handshake; only a frame past the cap meets
    // the decoder's abrupt close.
    let frameCap = services.settings.maxFrameBytes * 4
    let webSocket = WebSocketServerConfiguration(
        maxFrameSize: frameCap,
        extensions: [.perMessageDeflate(maxDecompressedFrameSize: frameCap)],
        autoPing: .enabled(timePeriod: .seconds(30)),
        // A text message that is not UTF-8 closes the connection with 1007 (RFC 6455 §8.1).
        validateUTF8: true)
    let http = HTTPServerBuilder.http1WebSocketUpgradeAnsweringMalformedRequests(webSocketRouter: router, configuration: .init(ws: webSocket))
    let server = try services.settings.tlsConfiguration().map { try HTTPServerBuilder.tls(http, tlsConfiguration: $0) } ?? http
    return Application(
        router: router,
        server: server,
        configuration: .init(address: .hostname(services.settings.host, port: services.settings.port), serverName: "Convene"),
        logger: logger)
}
