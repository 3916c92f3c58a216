import ConveneCore
import ConveneRealtime
import Foundation

/// A client frame: a JSON object with `op`, an optional `ref` echoed in the reply, and the fields
/// of the ops (`subscribe {channel, since?}`, `unsubscribe {channel}`, `send {channel, body, nonce,
/// thread?}`, `ping`). Every field is typed, so a mistyped one is a `validation_failed` naming it.
struct ClientFrame: Decodable {
    /// A `ref` is a string or an integer, echoed as it came.
    enum Ref: Decodable, Sendable {
        case string(String)
        case number(Int64)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int64.self) {
                self = .number(number)
            } else {
                let string = try container.decode(String.self)
                guard string.utf8.count <= 128 else {
                    throw DecodingError.dataCorruptedError(in: container, debugDescription: "ref is longer than 128 bytes")
                }
                self = .string(string)
            }
        }

        /// The ref as a JSON value.
        var json: String {
            switch self {
            case .number(let number): "\(number)"
            case .string(let string): ServerFrame.quoted(string)
            }
        }
    }

    /// Only the ref, read leniently so that even a malformed frame's error can name its ref.
    struct RefOnly: Decodable {
        var ref: Ref?
    }

    var op: String
    var ref: Ref?
    var channel: Int64?
    var since: Int64?
    var body: String?
    var nonce: String?
    var thread: Int64?
    var message: Int64?
    var emoji: String?
    var seq: Int64?
    var community: Int64?
    var question: Int64?
    var status: String?
    var on: Bool?
    /// Call rooms: the occurrence (its string id), and the ops' fields.
    var occurrence: String?
    var user: Int64?
    var raised: Bool?
    var locked: Bool?
    var muted: Bool?
    var text: String?
    var to: Int64?
    var kind: String?

    /// Parses a text frame. Not a JSON object → `bad_request`; a missing `op` or a mistyped field
    /// → `validation_failed` naming the field. The ref, when it can be read, comes back either way.
    static func parse(_ text: String) -> (frame: ClientFrame?, ref: String?, error: ConveneError?) {
        let data = Data(text.utf8)
        let ref = (try? JSON.decoder.decode(RefOnly.self, from: data))?.ref?.json
        do {
            return (try JSON.decoder.decode(ClientFrame.self, from: data), ref, nil)
        } catch let error as DecodingError {
            switch error {
            case .keyNotFound(let key, let context):
                let field = JSON.field(of: context.codingPath + [key]) ?? key.stringValue
                return (nil, ref, .invalid(field, "\(field) is required."))
            case .typeMismatch(_, let context), .valueNotFound(_, let context):
                if let field = JSON.field(of: context.codingPath) {
                    return (nil, ref, .invalid(field, "\(field) has the wrong type."))
                }
                return (nil, ref, ConveneError(.badRequest, "A frame must be a JSON object."))
            case .dataCorrupted(let context):
                if let field = JSON.field(of: context.codingPath) {
                    return (nil, ref, .invalid(field, "\(field) has an invalid value."))
                }
                return (nil, ref, ConveneError(.badRequest, "A frame must be a JSON object."))
            @unknown default:
                return (nil, ref, ConveneError(.badRequest, "A frame must be a JSON object."))
            }
        } catch {
            return (nil, ref, ConveneError(.badRequest, "A frame must be a JSON object."))
        }
    }

    func require<T>(_ value: T?, _ field: String) throws(ConveneError) -> T {
        guard let value else { throw .invalid(field, "\(field) is required.") }
        return value
    }
}

/// Server frames, encoded once each with the API's JSON conventions.
enum ServerFrame {
    struct Event: Encodable {
        var op = "event"
        var channel: Int64
        var seq: Int64
        var type: String
        var data: MessageView
    }

    static func event(_ event: ChannelEvent) -> String {
        encode(Event(channel: event.channelID, seq: event.seq, type: event.kind.rawValue, data: MessageView(event.message)))
    }

    static func ready(user: Int64, session: String) -> String {
        object(["op": "\"ready\"", "user": "\(user)", "session": quoted(session)])
    }

    static func ack(ref: String?, message: Int64, seq: Int64) -> String {
        object(["op": "\"ack\"", "ref": ref, "message": "\(message)", "seq": "\(seq)"])
    }

    static func subscribed(ref: String?, channel: Int64, since: Int64) -> String {
        object(["op": "\"subscribed\"", "ref": ref, "channel": "\(channel)", "since": "\(since)"])
    }

    static func questionFollowed(ref: String?, question: Int64, on: Bool) -> String {
        object(["op": on ? "\"question_followed\"" : "\"question_unfollowed\"", "ref": ref, "question": "\(question)"])
    }

    /// A change on a question page: `type` and its `data` (the new or changed answer, comment,
    /// question or score).
    static func questionEvent(question: Int64, type: String, data: some Encodable) -> String {
        encode(QuestionEvent(question: question, type: type, data: data))
    }

    struct QuestionEvent<Data: Encodable>: Encodable {
        var op = "question_event"
        var question: Int64
        var type: String
        var data: Data
    }

    static func unsubscribed(ref: String?, channel: Int64) -> String {
        object(["op": "\"unsubscribed\"", "ref": ref, "channel": "\(channel)"])
    }

    static func caughtUp(channel: Int64, seq: Int64) -> String {
        object(["op": "\"caught_up\"", "channel": "\(channel)", "seq": "\(seq)"])
    }

    /// The user's read marker in a channel moved (to the connection that moved it, with its ref,
    /// and to the user's other connections).
    static func read(ref: String?, channel: Int64, state: ReadState) -> String {
        object(["op": "\"read\"", "ref": ref, "channel": "\(channel)", "read_seq": "\(state.readSeq)", "unread_count": "\(state.unread)"])
    }

    /// A new notification for the connection's user, with their unread total.
    static func notification(_ notification: UserNotification, unread: Int) -> String {
        encode(NotificationFrame(notification: NotificationView(notification), unreadCount: unread))
    }

    /// An appeal of the user's was decided.
    static func appealDecided(_ appeal: Appeal) -> String {
        encode(AppealDecidedFrame(appeal: appeal))
    }

    /// A send a watched word held for approval (instead of an `ack`).
    static func held(ref: String?, _ pending: PendingMessage) -> String {
        object(["op": "\"held\"", "ref": ref, "pending": encode(pending)])
    }

    /// A held message of the user's was approved (and posted) or rejected.
    static func pendingDecided(_ pending: PendingMessage) -> String {
        encode(PendingDecidedFrame(pending: pending))
    }

    struct PendingDecidedFrame: Encodable {
        var op = "pending_decided"
        var pending: PendingMessage
    }

    /// An escalated review item, to the community's leads.
    static func reviewItem(_ item: ReviewItem) -> String {
        encode(ReviewItemFrame(item: item))
    }

    struct ReviewItemFrame: Encodable {
        var op = "review_item"
        var item: ReviewItem
    }

    struct AppealDecidedFrame: Encodable {
        var op = "appeal_decided"
        var appeal: Appeal
    }

    /// Some of the user's notifications (`ids`, or all when nil) were marked read.
    static func notificationsRead(ids: [Int64]?, unread: Int) -> String {
        encode(NotificationsReadFrame(ids: ids, unreadCount: unread))
    }

    struct NotificationFrame: Encodable {
        var op = "notification"
        var notification: NotificationView
        var unreadCount: Int
    }

    struct NotificationsReadFrame: Encodable {
        var op = "notifications_read"
        var ids: [Int64]?
        var unreadCount: Int
    }

    static func presence(community: Int64, user: Int64, name: String, status: PresenceStatus) -> String {
        object(["op": "\"presence\"", "community": "\(community)", "user": "\(user)", "name": quoted(name), "status": quoted(status.rawValue)])
    }

    /// Who is online or away in a community, answering `watch_presence`.
    static func presenceState(ref: String?, community: Int64, entries: [PresenceBoard.Entry]) -> String {
        let users = entries.map { PresencePerson(user: $0.user, name: $0.name, status: $0.status) }
        return object(["op": "\"presence_state\"", "ref": ref, "community": "\(community)", "users": encode(users)])
    }

    struct PresencePerson: Encodable {
        var user: Int64
        var name: String
        var status: PresenceStatus
    }

    static func presenceSet(ref: String?, status: PresenceStatus) -> String {
        object(["op": "\"presence_set\"", "ref": ref, "status": quoted(status.rawValue)])
    }

    static func presenceUnwatched(ref: String?, community: Int64) -> String {
        object(["op": "\"presence_unwatched\"", "ref": ref, "community": "\(community)"])
    }

    static func typing(channel: Int64, user: Int64, name: String) -> String {
        object(["op": "\"typing\"", "channel": "\(channel)", "user": "\(user)", "name": quoted(name)])
    }

    static func pong(ref: String?) -> String {
        object(["op": "\"pong\"", "ref": ref])
    }

    static func error(ref: String?, _ error: ConveneError) -> String {
        object([
            "op": "\"error\"", "ref": ref, "code": quoted(error.code.name), "message": quoted(error.message), "field": error.field.map(quoted),
            "retry_after": error.retryAfter.map { "\($0)" },
        ])
    }

    /// A JSON object from already-encoded values, keys sorted, nil values left out.
    private static func object(_ members: [String: String?]) -> String {
        "{" + members.compactMap { key, value in value.map { "\"\(key)\":\($0)" } }.sorted().joined(separator: ",") + "}"
    }

    static func quoted(_ string: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [string], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }

    private static func encode(_ value: some Encodable) -> String {
        (try? JSON.encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
