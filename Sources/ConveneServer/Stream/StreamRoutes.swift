import ConveneCore
import ConveneRealtime
import ConveneStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket

/// `GET /api/v1/stream` (the WebSocket) and `POST /api/v1/stream/tickets`. Stream ops are thin
/// adapters over the same operations as HTTP: decode → operation → encode.
struct StreamRoutes {
    let accounts: Accounts
    let messaging: Messaging
    let forums: Forums
    let callRooms: CallRooms
    let store: any ConveneStore
    let hub: Hub
    let presence: Presence
    let metrics: ServerMetrics
    let tickets: StreamTickets
    let drain: StreamDrain
    let settings: Settings

    func add(to router: some RouterMethods<AppRequestContext>) {
        router.post("/api/v1/stream/tickets") { _, context in
            let auth = try context.requireAuth()
            let (ticket, expires) = try await tickets.issue(tokenHash: auth.tokenHash, now: accounts.now())
            return try JSON.response(TicketResponse(ticket: ticket, expiresAt: expires), status: .created)
        }
        router.ws(
            "/api/v1/stream",
            shouldUpgrade: { request, context in
                // A plain GET reaches this closure too, and an `.upgrade` answer to it would be an empty 200.
                guard request.headers[values: .upgrade].contains(where: { $0.lowercased().contains("websocket") }) else {
                    throw ConveneError(.badRequest, "This is the WebSocket stream; send an upgrade request (Upgrade: websocket).")
                }
                // Browsers send an http(s) Origin (or "null"); native clients may send their ws:// URL.
                for origin in request.headers[values: .origin]
                where origin.hasPrefix("http://") || origin.hasPrefix("https://") || origin == "null" {
                    guard AuthenticationMiddleware.isAllowed(origin: origin, host: request.head.authority, allowed: settings.allowedOrigins) else {
                        throw ConveneError.forbidden("Stream connections from \(origin) are not accepted.")
                    }
                }
                _ = try context.requireAuth()
                guard !drain.isDraining else {
                    throw ConveneError(.unavailable, "This node is shutting down; connect again in a moment.")
                }
                guard metrics.admitStream() else {
                    context.logger.warning("stream refused: the node is at its connection limit", metadata: ["limit": "\(metrics.streamLimit)"])
                    throw ConveneError(.unavailable, "This node is at its connection limit; try again shortly.")
                }
                return .upgrade([:])
            },
            onUpgrade: { inbound, outbound, context in
                guard let auth = context.requestContext.auth else { return }
                try await serve(auth: auth, inbound: inbound, outbound: outbound, channel: context.requestContext.channel, logger: context.logger)
            })
        if settings.webSocketEcho {
            // The stream's WebSocket layer alone, for conformance suites: every message comes back as it came.
            router.ws("/api/v1/stream/echo") { inbound, outbound, _ in
                for try await message in inbound.messages(maxSize: settings.maxFrameBytes) {
                    switch message {
                    case .text(let text): try await outbound.write(.text(text))
                    case .binary(let bytes): try await outbound.write(.binary(bytes))
                    }
                }
            }
        }
    }

    struct TicketResponse: Encodable {
        var ticket: String
        var expiresAt: Date
    }

    /// One connection's life: a writer draining its outbox, and a reader handling its frames in order.
    func serve(
        auth: Authenticated, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any NIOCore.Channel, logger: Logger
    ) async throws {
        metrics.streamOpened()
        var ending = ServerMetrics.Close.error
        defer { metrics.streamClosed(ending) }
        let connection = StreamConnection(userID: auth.user.id, store: store, hub: hub, outboxLimit: settings.outboxFrames, logger: logger)
        // Upgraded just as the drain began: it closes at once, going away.
        if !drain.register(connection) { connection.close(.goingAway) }
        defer { drain.unregister(connection) }
        connection.send(ServerFrame.ready(user: auth.user.id, session: String(connection.subscriberID)))
        let memberships: Set<Int64>
        do {
            memberships = try await store.principal(userID: auth.user.id, now: accounts.now()).memberships
        } catch {
            connection.close()
            throw error
        }
        presence.connected(user: auth.user.id, name: auth.user.displayName, communities: memberships, connection: connection.subscriberID)
        defer { presence.disconnected(user: auth.user.id, connection: connection.subscriberID) }
        ending = .normal
        do {
            try await run(connection, auth: auth, inbound: inbound, outbound: outbound, channel: channel, logger: logger, ending: &ending)
        } catch {
            await callRooms.disconnected(connection)
            throw error
        }
        await callRooms.disconnected(connection)
    }

    private func run(
        _ connection: StreamConnection, auth: Authenticated, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
        channel: any NIOCore.Channel, logger: Logger, ending: inout ServerMetrics.Close
    ) async throws {
        /// How each of the connection's two tasks ended.
        enum Ended { case writer, watcherIdle, watcherDropped }
        try await withThrowingTaskGroup(of: Ended.self) { group in
            group.addTask {
                while let frames = await connection.outbox.next() {
                    for frame in frames { try await outbound.write(.text(frame)) }
                }
                switch connection.outbox.closure {
                case .overflowed:
                    try await outbound.close(.unknown(1013), reason: "Too slow to keep up; resume from your last seq.")
                case .goingAway:
                    try await outbound.close(.goingAway, reason: "The node is shutting down; reconnect and resume from your last seq.")
                case .finished, nil:
                    break
                }
                return .writer
            }
            group.addTask {
                // A client that stopped reading leaves the writer blocked on a full socket, where no
                // close frame can reach it: after a grace period the connection is dropped.
                await connection.outbox.closed()
                guard connection.outbox.closure == .overflowed else { return .watcherIdle }
                try await Task.sleep(for: .seconds(2))
                channel.close(promise: nil)
                return .watcherDropped
            }
            do {
                for try await message in inbound.messages(maxSize: settings.maxFrameBytes) {
                    if message.size > settings.maxFrameBytes {
                        // Closed by handshake, reading on until the client answers, so the 1009
                        // reaches it (an abrupt close with its bytes unread would reset the socket).
                        ending = .tooLarge
                        try await outbound.close(.messageTooLarge, reason: "Messages are limited to \(settings.maxFrameBytes) bytes.")
                        break
                    }
                    guard case .text(let text) = message else {
                        connection.send(ServerFrame.error(ref: nil, ConveneError(.badRequest, "Send JSON text frames.")))
                        continue
                    }
                    await handle(text, on: connection, auth: auth, logger: logger)
                    if connection.outbox.closure != nil { break }
                }
            } catch {
                ending = connection.outbox.closure == .overflowed ? .slowConsumer : .error
                connection.close()
                throw error
            }
            if connection.outbox.closure == .overflowed { ending = .slowConsumer }
            connection.close()
            // The writer ends by itself once the outbox is closed, after what was queued and its
            // close frame (going away, too slow): it is cut short only when the watcher dropped a
            // client that stopped reading. (Cancelling it as soon as the idle watcher returned lost
            // the drain's 1001 now and then: the client got 1000, or no close frame at all.)
            while let result = await group.nextResult() {
                switch result {
                case .failure(let error) where !(error is CancellationError):
                    group.cancelAll()
                    throw error
                case .success(.watcherIdle):
                    continue
                default:
                    group.cancelAll()
                }
            }
        }
    }

    /// Decodes one frame, runs its operation, and queues the reply (an `error` frame with the
    /// request's `ref` when anything is wrong; the connection stays open).
    func handle(_ text: String, on connection: StreamConnection, auth: Authenticated, logger: Logger) async {
        let (parsed, ref, parseError) = ClientFrame.parse(text)
        guard let frame = parsed else {
            connection.send(ServerFrame.error(ref: ref, parseError ?? ConveneError(.badRequest, "A frame must be a JSON object.")))
            return
        }
        do {
            switch frame.op {
            case "ping":
                connection.send(ServerFrame.pong(ref: ref))
            case "subscribe":
                let channelID = try frame.require(frame.channel, "channel")
                let principal = try await store.principal(userID: auth.user.id, now: accounts.now())
                let (channel, _) = try await messaging.access(.readChannel, channelID: channelID, by: principal)
                let since = frame.since ?? channel.lastSeq
                guard since >= 0 else { throw ConveneError.invalid("since", "since must be 0 or more.") }
                guard since <= channel.lastSeq else {
                    throw ConveneError.invalid("since", "since is past the channel's latest seq (\(channel.lastSeq)).")
                }
                connection.send(ServerFrame.subscribed(ref: ref, channel: channelID, since: since))
                connection.subscribe(channel: channelID, since: since)
            case "unsubscribe":
                let channelID = try frame.require(frame.channel, "channel")
                connection.unsubscribe(channel: channelID)
                connection.send(ServerFrame.unsubscribed(ref: ref, channel: channelID))
            case "send":
                let channelID = try frame.require(frame.channel, "channel")
                let body = try frame.require(frame.body, "body")
                let nonce = try frame.require(frame.nonce, "nonce")
                let principal = try await store.principal(userID: auth.user.id, now: accounts.now())
                switch try await messaging.post(channelID: channelID, body: body, threadID: frame.thread, nonce: nonce, by: principal) {
                case .posted(let message, _): connection.send(ServerFrame.ack(ref: ref, message: message.id, seq: message.seq))
                case .held(let pending): connection.send(ServerFrame.held(ref: ref, pending))
                }
            case "typing":
                let channelID = try frame.require(frame.channel, "channel")
                let principal = try await store.principal(userID: auth.user.id, now: accounts.now())
                _ = try await messaging.access(.postMessage, channelID: channelID, by: principal)
                if connection.shouldAnnounceTyping(in: channelID, now: Date()) {
                    messaging.fanout.ephemeral(
                        channel: channelID, frame: ServerFrame.typing(channel: channelID, user: auth.user.id, name: auth.user.displayName),
                        except: connection.subscriberID)
                }
            case "edit":
                let messageID = try frame.require(frame.message, "message")
                let body = try frame.require(frame.body, "body")
                let principal = try await store.principal(userID: auth.user.id, now: accounts.now())
                let (message, seq) = try await messaging.edit(messageID: messageID, body: body, by: principal)
                connection.send(ServerFrame.ack(ref: ref, message: message.id, seq: seq ?? message.seq))
            case "delete":
                let messageID = try frame.require(frame.message, "message")
                let principal = try await store.principal(userID: auth.user.id, now: accounts.now())
                let (message, seq, _) = try await messaging.delete(messageID: messageID, by: principal)
                connection.send(ServerFrame.ack(ref: ref, message: message.id, seq: seq))
            case "read":
                let channelID = try frame.require(frame.channel, "channel")
                let seq = try frame.require(frame.seq, "seq")
                let principal = try await store.principal(userID: auth.user.id, now: accounts.now())
                let state = try await messaging.markRead(channelID: channelID, seq: seq, by: principal, except: connection.subscriberID)
                connection.send(ServerFrame.read(ref: ref, channel: channelID, state: state))
            case "watch_presence":
                let communityID = try frame.require(frame.community, "community")
                let principal = try await store.principal(userID: auth.user.id, now: accounts.now())
                let community = try await messaging.directory.readable(id: communityID, by: principal)
                try Policy.require(.listMembers, by: principal, on: messaging.directory.target(community))
                connection.watchPresence(community: communityID, true)
                connection.send(ServerFrame.presenceState(ref: ref, community: communityID, entries: presence.snapshot(community: communityID)))
            case "follow_question":
                let questionID = try frame.require(frame.question, "question")
                let principal = try await store.principal(userID: auth.user.id, now: accounts.now())
                _ = try await forums.question(questionID, by: principal)
                connection.follow(question: questionID, true)
                connection.send(ServerFrame.questionFollowed(ref: ref, question: questionID, on: true))
            case "unfollow_question":
                let questionID = try frame.require(frame.question, "question")
                connection.follow(question: questionID, false)
                connection.send(ServerFrame.questionFollowed(ref: ref, question: questionID, on: false))
            case "unwatch_presence":
                let communityID = try frame.require(frame.community, "community")
                connection.watchPresence(community: communityID, false)
                connection.send(ServerFrame.presenceUnwatched(ref: ref, community: communityID))
            case "presence":
                let raw = try frame.require(frame.status, "status")
                guard let status = PresenceStatus(rawValue: raw), status != .offline else {
                    throw ConveneError.invalid("status", "status must be online or away.")
                }
                presence.choose(user: auth.user.id, status: status)
                connection.send(ServerFrame.presenceSet(ref: ref, status: status))
            case "react":
                let messageID = try frame.require(frame.message, "message")
                let emoji = try frame.require(frame.emoji, "emoji")
                let principal = try await store.principal(userID: auth.user.id, now: accounts.now())
                let (message, seq) = try await messaging.react(messageID: messageID, emoji: emoji, on: frame.on ?? true, by: principal)
                connection.send(ServerFrame.ack(ref: ref, message: message.id, seq: seq ?? message.seq))
            case let op where op.hasPrefix("call."):
                try await handleCall(frame, text: text, on: connection, auth: auth, ref: ref)
            default:
                throw ConveneError(.badRequest, "Unknown op \(frame.op).", field: "op")
            }
        } catch let error as ConveneError {
            connection.send(ServerFrame.error(ref: ref, error))
        } catch {
            logger.error("stream op failed", metadata: ["op": "\(frame.op)", "error": "\(String(reflecting: error))"])
            connection.send(ServerFrame.error(ref: ref, ConveneError(.internalError, "Something went wrong on the server; it has been logged.")))
        }
    }
}

extension StreamRoutes {
    /// The call room ops: each names its `occurrence`; everything but entering needs the
    /// connection to have joined (or knocked on) that room.
    func handleCall(_ frame: ClientFrame, text: String, on connection: StreamConnection, auth: Authenticated, ref: String?) async throws {
        let occurrence = try frame.require(frame.occurrence, "occurrence")
        func command(_ make: (Int64) throws(ConveneError) -> CallRoom.Command) async throws {
            let built = try make(auth.user.id)
            try await callRooms.command(occurrence, built, connection: connection, ref: ref)
        }
        switch frame.op {
        case "call.join":
            let principal = try await store.principal(userID: auth.user.id, now: accounts.now())
            try await callRooms.enter(occurrence, knock: false, connection: connection, principal: principal, name: auth.user.displayName, ref: ref)
        case "call.knock":
            let principal = try await store.principal(userID: auth.user.id, now: accounts.now())
            try await callRooms.enter(occurrence, knock: true, connection: connection, principal: principal, name: auth.user.displayName, ref: ref)
        case "call.leave":
            try await callRooms.leave(occurrence, connection: connection, ref: ref)
        case "call.admit":
            let user = try frame.require(frame.user, "user")
            try await command { .admit(by: $0, user: user) }
        case "call.deny":
            let user = try frame.require(frame.user, "user")
            try await command { .deny(by: $0, user: user) }
        case "call.hand":
            let raised = try frame.require(frame.raised, "raised")
            if let user = frame.user, user != auth.user.id {
                guard !raised else { throw ConveneError.invalid("raised", "Nobody raises another's hand.") }
                try await command { .lowerHand(by: $0, user: user) }
            } else {
                try await command { .raiseHand(user: $0, raised: raised) }
            }
        case "call.mute":
            let user = frame.user ?? auth.user.id
            let muted = frame.muted ?? true
            try await command { .mute(by: $0, user: user, muted: muted) }
        case "call.mute_all":
            try await command { .muteAll(by: $0) }
        case "call.remove":
            let user = try frame.require(frame.user, "user")
            try await command { .remove(by: $0, user: user) }
        case "call.lock":
            let locked = try frame.require(frame.locked, "locked")
            try await command { .lock(by: $0, locked: locked) }
        case "call.cohost":
            let user = try frame.require(frame.user, "user")
            let on = frame.on ?? true
            try await command { .setCohost(by: $0, user: user, cohost: on) }
        case "call.start":
            try await command { .start(by: $0) }
        case "call.end":
            try await command { .end(by: $0) }
        case "call.ask":
            let question = try frame.require(frame.text, "text")
            try await command { .ask(user: $0, text: question) }
        case "call.upvote":
            let question = try frame.require(frame.question, "question")
            try await command { .upvote(user: $0, question: Int(clamping: question)) }
        case "call.answered":
            let question = try frame.require(frame.question, "question")
            try await command { .markAnswered(by: $0, question: Int(clamping: question)) }
        case "call.chat":
            let body = try frame.require(frame.body, "body")
            let nonce = try frame.require(frame.nonce, "nonce")
            let principal = try await store.principal(userID: auth.user.id, now: accounts.now())
            switch try await callRooms.chat(occurrence, body: body, nonce: nonce, connection: connection, principal: principal) {
            case .posted(let message, _): connection.send(ServerFrame.ack(ref: ref, message: message.id, seq: message.seq))
            case .held(let pending): connection.send(ServerFrame.held(ref: ref, pending))
            }
        case "call.signal":
            let to = try frame.require(frame.to, "to")
            let kind = try frame.require(frame.kind, "kind")
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], let data = object["data"],
                !(data is NSNull)
            else { throw ConveneError.invalid("data", "data is required.") }
            let encoded = try JSONSerialization.data(withJSONObject: data, options: [.fragmentsAllowed, .withoutEscapingSlashes])
            try callRooms.signal(occurrence, to: to, kind: kind, data: String(decoding: encoded, as: UTF8.self), connection: connection, ref: ref)
        default:
            throw ConveneError(.badRequest, "Unknown op \(frame.op).", field: "op")
        }
    }
}

extension WebSocketMessage {
    /// The message's length in bytes.
    var size: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .binary(let bytes): bytes.readableBytes
        }
    }
}
