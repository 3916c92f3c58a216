public import ConveneCore
public import Configuration
import Foundation

/// Every setting of a Convene node. Defaults here equal `Config/convene.json` (a test holds them equal).
public struct Settings: Sendable, Equatable {
    public enum RegistrationMode: String, Sendable, Equatable {
        case open, invite
    }

    public enum LogFormat: String, Sendable, Equatable {
        case text, json
    }

    public var host = "127.0.0.1"
    public var port = 8080
    /// PEM files for serving HTTPS (and wss) directly; both empty serves plain HTTP (behind a proxy that terminates TLS).
    public var tlsCertificatePath = ""
    public var tlsKeyPath = ""
    public var dataDir = "data"
    /// Empty: SQLite at `<data dir>/convene.sqlite`. `sqlite:PATH` names another file; `postgres://…` selects PostgreSQL.
    public var databaseURL = ""
    public var seedsPath = "seeds/network.json"
    public var seedOnFirstStart = true
    /// Serves `/api/v1/stream/echo`, a WebSocket that sends back every message, through the
    /// stream's own WebSocket configuration: for protocol conformance suites (Autobahn), never on
    /// in production.
    public var webSocketEcho = false
    public var registrationMode = RegistrationMode.open
    /// When non-empty, only addresses in these domains may register.
    public var allowedEmailDomains: [String] = []
    public var sessionIdleMinutes = 20_160
    public var sessionAbsoluteDays = 30
    public var bcryptCost = 12
    /// Origins allowed for browser requests and stream upgrades besides the server's own.
    public var allowedOrigins: [String] = []
    /// Proxies (IP addresses) whose `X-Forwarded-For` names the client; from anyone else it is ignored.
    public var trustedProxies: [String] = []
    public var loginFailuresPerAccount = 5
    public var loginFailuresPerAddress = 50
    public var loginWindowSeconds = 900
    public var maxBodyBytes = 1_048_576
    /// Largest stream message a client may send; larger closes the socket with 1009.
    public var maxFrameBytes = 65_536
    /// Messages a member may send per minute, across channels (moderators are exempt).
    public var messagesPerMinute = 30
    /// Frames queued for one stream connection before it counts as too slow and is closed (1013).
    public var outboxFrames = 1_024
    /// Seconds a user whose last stream connection closed still shows as online before going offline.
    public var presenceGraceSeconds = 10
    /// Stream connections the node accepts at once; 0 takes the open-file limit less a reserve.
    public var streamConnections = 0
    /// Flags from distinct members that hide a message until a moderator reviews it.
    public var flagHideThreshold = 3
    /// Days after joining a community that a member counts as new there; 0 for never.
    public var newMemberDays = 3
    /// Links a new member may put in one message.
    public var newMemberLinks = 2
    /// Messages a new member may send per minute.
    public var newMemberMessagesPerMinute = 6

    /// The rules for new members, as configured.
    public var newMemberLimits: NewMemberLimits {
        NewMemberLimits(days: newMemberDays, links: newMemberLinks, messagesPerMinute: newMemberMessagesPerMinute)
    }
    /// Minutes before a call's start that its room's lobby opens.
    public var callLobbyMinutes = 15
    /// Participants a room connects peer to peer (mesh); above it the room offers audio only or the SFU.
    public var callMeshLimit = 6
    /// An external SFU's join page offered when a room is past its mesh limit; empty for none.
    public var callSFUURL = ""
    /// STUN servers given to every participant.
    public var callSTUNURLs: [String] = []
    /// TURN servers, with credentials minted per user from `callTURNSecret` (coturn's `use-auth-secret`).
    public var callTURNURLs: [String] = []
    public var callTURNSecret = ""
    /// How long a minted TURN credential works.
    public var callTURNTTLSeconds = 43_200
    /// The largest `data` of one `call.signal` (an SDP offer, an ICE candidate), in bytes of JSON.
    public var callSignalBytes = 16_384
    public var logLevel = "info"
    public var logFormat = LogFormat.text

    public init() {}

    /// Reads every key from `reader`, falling back to the defaults above.
    /// - Parameters:
    ///   - reader: the layered configuration (CLI flags, `CONVENE_*` environment, `Config/convene.json`).
    public init(reader: ConfigReader) throws(ConveneError) {
        let d = Settings()
        host = reader.string(forKey: "server.host", default: d.host)
        port = reader.int(forKey: "server.port", default: d.port)
        tlsCertificatePath = reader.string(forKey: "tls.certificate_path", default: d.tlsCertificatePath)
        tlsKeyPath = reader.string(forKey: "tls.key_path", default: d.tlsKeyPath)
        dataDir = reader.string(forKey: "data.dir", default: d.dataDir)
        databaseURL = reader.string(forKey: "database.url", default: d.databaseURL)
        seedsPath = reader.string(forKey: "seeds.path", default: d.seedsPath)
        seedOnFirstStart = reader.bool(forKey: "seeds.on_first_start", default: d.seedOnFirstStart)
        webSocketEcho = reader.bool(forKey: "debug.websocket_echo", default: d.webSocketEcho)
        let mode = reader.string(forKey: "registration.mode", default: d.registrationMode.rawValue)
        guard let registrationMode = RegistrationMode(rawValue: mode) else {
            throw .invalid("registration.mode", "registration.mode must be open or invite, not \(mode).")
        }
        self.registrationMode = registrationMode
        allowedEmailDomains = reader.stringArray(forKey: "registration.allowed_domains", default: d.allowedEmailDomains)
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        sessionIdleMinutes = reader.int(forKey: "sessions.idle_minutes", default: d.sessionIdleMinutes)
        sessionAbsoluteDays = reader.int(forKey: "sessions.absolute_days", default: d.sessionAbsoluteDays)
        bcryptCost = reader.int(forKey: "security.bcrypt_cost", default: d.bcryptCost)
        allowedOrigins = reader.stringArray(forKey: "security.allowed_origins", default: d.allowedOrigins)
        trustedProxies = reader.stringArray(forKey: "security.trusted_proxies", default: d.trustedProxies)
        loginFailuresPerAccount = reader.int(forKey: "security.login_failures_per_account", default: d.loginFailuresPerAccount)
        loginFailuresPerAddress = reader.int(forKey: "security.login_failures_per_address", default: d.loginFailuresPerAddress)
        loginWindowSeconds = reader.int(forKey: "security.login_window_seconds", default: d.loginWindowSeconds)
        maxBodyBytes = reader.int(forKey: "limits.body_bytes", default: d.maxBodyBytes)
        maxFrameBytes = reader.int(forKey: "limits.frame_bytes", default: d.maxFrameBytes)
        outboxFrames = reader.int(forKey: "limits.outbox_frames", default: d.outboxFrames)
        presenceGraceSeconds = reader.int(forKey: "limits.presence_grace_seconds", default: d.presenceGraceSeconds)
        streamConnections = reader.int(forKey: "limits.stream_connections", default: d.streamConnections)
        messagesPerMinute = reader.int(forKey: "limits.messages_per_minute", default: d.messagesPerMinute)
        flagHideThreshold = reader.int(forKey: "moderation.flag_hide_threshold", default: d.flagHideThreshold)
        newMemberDays = reader.int(forKey: "moderation.new_member_days", default: d.newMemberDays)
        newMemberLinks = reader.int(forKey: "moderation.new_member_links", default: d.newMemberLinks)
        newMemberMessagesPerMinute = reader.int(forKey: "moderation.new_member_messages_per_minute", default: d.newMemberMessagesPerMinute)
        callLobbyMinutes = reader.int(forKey: "calls.lobby_minutes", default: d.callLobbyMinutes)
        callMeshLimit = reader.int(forKey: "calls.mesh_limit", default: d.callMeshLimit)
        callSFUURL = reader.string(forKey: "calls.sfu_url", default: d.callSFUURL)
        callSTUNURLs = reader.stringArray(forKey: "calls.stun_urls", default: d.callSTUNURLs)
        callTURNURLs = reader.stringArray(forKey: "calls.turn_urls", default: d.callTURNURLs)
        callTURNSecret = reader.string(forKey: "calls.turn_secret", default: d.callTURNSecret)
        callTURNTTLSeconds = reader.int(forKey: "calls.turn_ttl_seconds", default: d.callTURNTTLSeconds)
        callSignalBytes = reader.int(forKey: "calls.signal_bytes", default: d.callSignalBytes)
        logLevel = reader.string(forKey: "log.level", default: d.logLevel)
        let format = reader.string(forKey: "log.format", default: d.logFormat.rawValue)
        guard let logFormat = LogFormat(rawValue: format) else { throw .invalid("log.format", "log.format must be text or json, not \(format).") }
        self.logFormat = logFormat
        try validate()
    }

    public func validate() throws(ConveneError) {
        guard (0...65_535).contains(port) else { throw .invalid("server.port", "server.port must be 0–65535.") }
        guard tlsCertificatePath.isEmpty == tlsKeyPath.isEmpty else {
            throw .invalid(
                tlsCertificatePath.isEmpty ? "tls.certificate_path" : "tls.key_path", "tls.certificate_path and tls.key_path are set together or not at all.")
        }
        guard (4...31).contains(bcryptCost) else { throw .invalid("security.bcrypt_cost", "security.bcrypt_cost must be 4–31.") }
        guard sessionIdleMinutes > 0 else { throw .invalid("sessions.idle_minutes", "sessions.idle_minutes must be positive.") }
        guard sessionAbsoluteDays > 0 else { throw .invalid("sessions.absolute_days", "sessions.absolute_days must be positive.") }
        guard loginFailuresPerAccount > 0, loginFailuresPerAddress > 0, loginWindowSeconds > 0 else {
            throw .invalid("security", "Login throttling limits must be positive.")
        }
        for proxy in trustedProxies where ClientAddress.normalized(proxy) == nil {
            throw .invalid("security.trusted_proxies", "security.trusted_proxies must list IP addresses; \(proxy) is not one.")
        }
        guard maxBodyBytes >= 1024 else { throw .invalid("limits.body_bytes", "limits.body_bytes must be at least 1024.") }
        guard maxFrameBytes >= 1024 else { throw .invalid("limits.frame_bytes", "limits.frame_bytes must be at least 1024.") }
        guard messagesPerMinute >= 1 else {
            throw .invalid("limits.messages_per_minute", "limits.messages_per_minute must be at least 1.")
        }
        guard outboxFrames >= 16 else { throw .invalid("limits.outbox_frames", "limits.outbox_frames must be at least 16.") }
        guard streamConnections >= 0 else {
            throw .invalid("limits.stream_connections", "limits.stream_connections must be 0 (from the open-file limit) or more.")
        }
        guard (0...3600).contains(presenceGraceSeconds) else {
            throw .invalid("limits.presence_grace_seconds", "limits.presence_grace_seconds must be 0–3600.")
        }
        guard (0...365).contains(newMemberDays) else { throw .invalid("moderation.new_member_days", "moderation.new_member_days must be 0–365.") }
        guard (0...240).contains(callLobbyMinutes) else { throw .invalid("calls.lobby_minutes", "calls.lobby_minutes must be 0–240.") }
        guard (2...50).contains(callMeshLimit) else { throw .invalid("calls.mesh_limit", "calls.mesh_limit must be 2–50.") }
        guard callTURNURLs.isEmpty || !callTURNSecret.isEmpty else {
            throw .invalid("calls.turn_secret", "calls.turn_urls need calls.turn_secret to mint credentials.")
        }
        guard (60...604_800).contains(callTURNTTLSeconds) else {
            throw .invalid("calls.turn_ttl_seconds", "calls.turn_ttl_seconds must be 60–604800.")
        }
        guard (1024...maxFrameBytes).contains(callSignalBytes) else {
            throw .invalid("calls.signal_bytes", "calls.signal_bytes must be 1024 to limits.frame_bytes.")
        }
        guard (0...240).contains(callLobbyMinutes) else { throw .invalid("calls.lobby_minutes", "calls.lobby_minutes must be 0–240.") }
        guard (2...50).contains(callMeshLimit) else { throw .invalid("calls.mesh_limit", "calls.mesh_limit must be 2–50.") }
        guard callTURNURLs.isEmpty || !callTURNSecret.isEmpty else {
            throw .invalid("calls.turn_secret", "calls.turn_urls need calls.turn_secret to mint credentials.")
        }
        guard (60...604_800).contains(callTURNTTLSeconds) else {
            throw .invalid("calls.turn_ttl_seconds", "calls.turn_ttl_seconds must be 60–604800.")
        }
        guard (1024...max(1024, maxFrameBytes)).contains(callSignalBytes) else {
            throw .invalid("calls.signal_bytes", "calls.signal_bytes must be 1024 to limits.frame_bytes.")
        }
        guard newMemberLinks >= 0 else { throw .invalid("moderation.new_member_links", "moderation.new_member_links must be 0 or more.") }
        guard newMemberMessagesPerMinute >= 1 else {
            throw .invalid("moderation.new_member_messages_per_minute", "moderation.new_member_messages_per_minute must be at least 1.")
        }
        guard (1...100).contains(flagHideThreshold) else {
            throw .invalid("moderation.flag_hide_threshold", "moderation.flag_hide_threshold must be 1–100.")
        }
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) else {
            throw .invalid("log.level", "log.level must be one of trace, debug, info, notice, warning, error, critical.")
        }
        _ = try database()
    }

    /// Whether the node serves HTTPS itself.
    public var servesTLS: Bool { !tlsCertificatePath.isEmpty }

    public enum Database: Sendable, Equatable {
        case sqlite(path: String)
        case postgres(url: String)
    }

    /// Which store `database.url` selects.
    public func database() throws(ConveneError) -> Database {
        if databaseURL.isEmpty { return .sqlite(path: (dataDir as NSString).appendingPathComponent("convene.sqlite")) }
        if databaseURL.hasPrefix("sqlite:") {
            var path = String(databaseURL.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path.removeFirst(2) }
            guard !path.isEmpty else { throw .invalid("database.url", "database.url sqlite: needs a file path.") }
            return .sqlite(path: path)
        }
        if databaseURL.hasPrefix("postgres://") || databaseURL.hasPrefix("postgresql://") {
            return .postgres(url: databaseURL)
        }
        throw .invalid("database.url", "database.url must start with sqlite: or postgres:// (or be empty for the default file).")
    }
}

extension ConfigReader {
    /// The layered reader of DESIGN.md: CLI flags over `CONVENE_*` environment variables over the JSON file.
    /// - Parameters:
    ///   - configFile: the JSON file; a missing file is allowed (every key has a default).
    ///   - overrides: values from CLI flags, by config key.
    ///   - environment: the process environment (tests pass their own).
    public static func convene(configFile: String, overrides: [String: ConfigContent] = [:], environment: [String: String]? = nil)
        async throws -> ConfigReader
    {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in overrides {
            values[AbsoluteConfigKey(key.split(separator: ".").map(String.init))] = .init(value, isSecret: false)
        }
        let fileSettings = ConfigReader(
            provider: InMemoryProvider(values: ["filePath": .init(.string(configFile), isSecret: false), "allowMissing": true]))
        let env = environment.map { EnvironmentVariablesProvider(environmentVariables: $0) } ?? EnvironmentVariablesProvider()
        return ConfigReader(providers: [
            InMemoryProvider(name: "flags", values: values),
            env.prefixKeys(with: ["convene"]),
            try await FileProvider<JSONSnapshot>(config: fileSettings),
        ])
    }
}
