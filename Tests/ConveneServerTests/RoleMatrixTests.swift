import ConveneCore
import ConveneStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Synchronization
import Testing
@testable import ConveneServer

/// Every registered HTTP route, asked by every kind of caller — anonymous, suspended, silenced, a
/// member of another community, member, facilitator, moderator, lead, admin — on its own objects
/// and on others'. Each route has a rule here; a route without one fails the test, so a new route
/// cannot ship without saying who may call it.
@Suite("Role × route matrix", .timeLimit(.minutes(2)))
struct RoleMatrixTests {
    /// Who a caller is in Ohio, the community every case acts in.
    struct Caller: Sendable {
        var name: String
        var token: String?
        var user: User?
        var role: Role
        var silenced = false
        var suspended = false
    }

    /// Who may call a route.
    enum Rule: Sendable, CustomStringConvertible {
        /// Anyone, signed in or not (probes, public pages, signing up and in).
        case open
        /// Any account, whatever its sanctions: it concerns only the caller's own things.
        case signedIn
        /// The role in Ohio or above; a suspension there refuses everything, a silence every write.
        /// `.guest` reads need no account (Ohio is public).
        case ohio(Role, write: Bool)
        /// Nobody (another member's message is edited by no one).
        case nobody
        /// Any account that may read Ohio (it is public): not anonymous, not suspended there.
        case ohioAccount

        func allows(_ caller: Caller) -> Bool {
            switch self {
            case .open: true
            case .signedIn: caller.token != nil
            case .nobody: false
            case .ohioAccount: caller.token != nil && !caller.suspended
            case .ohio(let role, let write):
                !caller.suspended && !(write && caller.silenced) && (role == .guest || (caller.token != nil && caller.role >= role))
            }
        }

        var description: String {
            switch self {
            case .open: "open"
            case .signedIn: "signed in"
            case .nobody: "nobody"
            case .ohioAccount: "any account in Ohio"
            case .ohio(let role, let write): "\(role.rawValue)+ in Ohio\(write ? ", write" : "")"
            }
        }
    }

    /// A request for one caller: the concrete path, the body, and the token when not the caller's own.
    struct Request: @unchecked Sendable {
        var path: String
        /// JSON values only.
        var body: [String: Any]?
        var token: String??
    }

    struct Case: Sendable {
        var method: HTTPRequest.Method
        /// The route as registered.
        var route: String
        var variant: String
        var rule: Rule
        var request: @Sendable (Caller) async throws -> Request
    }

    /// The world the cases act in.
    struct World: Sendable {
        let app: TestApp
        let ohio: Community
        let general: Int64
        /// An Ohio member whose messages are "others'" for every caller.
        let other: User
        /// An Ohio moderator who takes the actions that get appealed.
        let actor: User
        let reviewItem: Int64

        func message(by author: Int64?) async throws -> Int64 {
            let outcome = try await app.store.append(
                [
                    NewMessage(
                        channelID: general, authorID: author ?? other.id, body: "text \(UUID().uuidString)", bodyHTML: "<p>text</p>", threadID: nil,
                        nonce: UUID().uuidString)
                ], now: app.clock.now())
            guard case .created(let message) = outcome[0] else { throw ConveneError(.conflict, "setup: no message") }
            return message.id
        }

        func freshUser() async throws -> User {
            let user = try await app.store.createUser(
                NewUser(email: "\(UUID().uuidString.prefix(12).lowercased())@example.org", passwordHash: "$2b$04$notarealhash", displayName: "Fresh"),
                now: app.clock.now())
            _ = try await app.store.join(communityID: ohio.id, userID: user.id, now: app.clock.now())
            return user
        }

        /// A warning of `user` by the actor, and its audit row's id.
        func warning(of user: Int64) async throws -> Int64 {
            try await app.store.addSanction(
                NewSanction(userID: user, kind: .warn, communityID: ohio.id, reason: "setup", createdBy: actor.id, endsAt: nil),
                audit: NewAuditEntry(communityID: ohio.id, actorID: actor.id, action: "warn", targetType: "user", targetID: user, reason: "setup"),
                now: app.clock.now()
            ).1.id
        }

        /// A question of `author`'s (others' when nil), tagged with one of Ohio's tags.
        func question(by author: Int64?) async throws -> Question {
            let tag = try #require(try await app.store.tags(communityID: ohio.id).first?.slug)
            return try await app.store.createQuestion(
                communityID: ohio.id, authorID: author ?? other.id, title: "How?", body: "Asking.", bodyHTML: "<p>Asking.</p>", tags: [tag],
                now: app.clock.now())
        }

        /// An answer by `author` (others' when nil) to a question of `asker`'s (others' when nil).
        func answer(by author: Int64?, askedBy asker: Int64? = nil) async throws -> Answer {
            let question = try await question(by: asker)
            return try await app.store.createAnswer(
                questionID: question.id, authorID: author ?? other.id, body: "Like so.", bodyHTML: "<p>Like so.</p>", now: app.clock.now())
        }

        /// An accepted answer (others') to a question of `asker`'s (others' when nil).
        func acceptedAnswer(askedBy asker: Int64?) async throws -> Int64 {
            let answer = try await answer(by: nil, askedBy: asker)
            _ = try await app.store.setAccepted(
                questionID: answer.questionID, answerID: answer.id, by: actor.id,
                audit: NewAuditEntry(communityID: ohio.id, actorID: actor.id, action: "accept", targetType: "answer", targetID: answer.id, reason: "setup"),
                now: app.clock.now())
            return answer.id
        }

        func appeal(by user: Int64) async throws -> Int64 {
            try await app.store.createAppeal(actionID: try await warning(of: user), userID: user, text: "please", now: app.clock.now()).id
        }
    }

    static func cases(_ world: World) -> [Case] {
        let general = world.general
        let fixed: (String, [String: Any]?) -> @Sendable (Caller) async throws -> Request = { path, body in
            let request = Request(path: path, body: body)
            return { _ in request }
        }
        let ownMessage: @Sendable (Caller) async throws -> Int64 = { try await world.message(by: $0.user?.id) }
        /// Ohio's fall call series.
        let fallSeries: @Sendable () async throws -> Int64 = {
            try #require(try await world.app.store.callSeries(communityID: world.ohio.id).first).id
        }
        let othersMessage: @Sendable (Caller) async throws -> Int64 = { _ in try await world.message(by: nil) }
        return [
            Case(method: .get, route: "/healthz", variant: "", rule: .open, request: fixed("/healthz", nil)),
            Case(method: .get, route: "/readyz", variant: "", rule: .open, request: fixed("/readyz", nil)),
            Case(method: .get, route: "/metrics", variant: "", rule: .open, request: fixed("/metrics", nil)),
            Case(method: .get, route: "/api/v1/openapi.yaml", variant: "", rule: .open, request: fixed("/api/v1/openapi.yaml", nil)),
            Case(method: .get, route: "/", variant: "", rule: .open, request: fixed("/", nil)),
            Case(method: .get, route: "/status", variant: "", rule: .open, request: fixed("/status", nil)),
            Case(method: .get, route: "/app/{file}", variant: "", rule: .open, request: fixed("/app/app.js", nil)),
            Case(method: .get, route: "/app/views/{file}", variant: "", rule: .open, request: fixed("/app/views/channel.js", nil)),
            Case(method: .get, route: "/api/v1/status", variant: "", rule: .open, request: fixed("/api/v1/status", nil)),
            Case(method: .get, route: "/api/v1/organizations", variant: "", rule: .open, request: fixed("/api/v1/organizations", nil)),
            Case(method: .get, route: "/api/v1/communities", variant: "", rule: .open, request: fixed("/api/v1/communities", nil)),
            Case(
                method: .post, route: "/api/v1/auth/register", variant: "", rule: .open,
                request: { _ in
                    Request(
                        path: "/api/v1/auth/register",
                        body: ["email": "\(UUID().uuidString.prefix(12).lowercased())@example.org", "password": "correct horse battery", "display_name": "New"])
                }),
            Case(
                method: .post, route: "/api/v1/auth/login", variant: "", rule: .open,
                request: fixed("/api/v1/auth/login", ["email": "loginer@example.org", "password": "correct horse battery"])),
            Case(
                method: .post, route: "/api/v1/auth/logout", variant: "a session of the caller's", rule: .signedIn,
                request: { caller in
                    guard let user = caller.user else { return Request(path: "/api/v1/auth/logout") }
                    let token: String? = try await world.app.test { client in
                        try await client.call(.post, "/api/v1/auth/login", json: ["email": user.email, "password": "correct horse battery"]).string("token")
                    }
                    return Request(path: "/api/v1/auth/logout", token: .some(token))
                }),
            Case(method: .get, route: "/api/v1/me", variant: "", rule: .signedIn, request: fixed("/api/v1/me", nil)),
            Case(
                method: .patch, route: "/api/v1/me", variant: "", rule: .signedIn,
                request: { Request(path: "/api/v1/me", body: ["display_name": $0.user?.displayName ?? "Anyone"]) }),
            Case(method: .get, route: "/api/v1/me/sanctions", variant: "", rule: .signedIn, request: fixed("/api/v1/me/sanctions", nil)),
            Case(method: .get, route: "/api/v1/notifications", variant: "", rule: .signedIn, request: fixed("/api/v1/notifications", nil)),
            Case(method: .post, route: "/api/v1/notifications/read", variant: "", rule: .signedIn, request: fixed("/api/v1/notifications/read", ["all": true])),
            Case(
                method: .post, route: "/api/v1/messages/{id}/promote", variant: "own thread", rule: .ohio(.member, write: true),
                request: { caller in
                    let tag = try #require(try await world.app.store.tags(communityID: world.ohio.id).first?.slug)
                    return Request(path: "/api/v1/messages/\(try await ownMessage(caller))/promote", body: ["title": "From chat", "tags": [tag]])
                }),
            Case(
                method: .post, route: "/api/v1/messages/{id}/promote", variant: "others' thread", rule: .ohio(.moderator, write: true),
                request: { caller in
                    let tag = try #require(try await world.app.store.tags(communityID: world.ohio.id).first?.slug)
                    return Request(path: "/api/v1/messages/\(try await othersMessage(caller))/promote", body: ["title": "From chat", "tags": [tag]])
                }),
            Case(
                method: .get, route: "/api/v1/call-series/{id}/occurrences", variant: "", rule: .ohio(.guest, write: false),
                request: { _ in
                    let series = try #require(try await world.app.store.callSeries(communityID: world.ohio.id).first)
                    return Request(path: "/api/v1/call-series/\(series.id)/occurrences?from=2026-09-01T00:00:00Z&to=2026-12-31T00:00:00Z")
                }),
            Case(
                method: .post, route: "/api/v1/communities/{slug}/call-series", variant: "", rule: .ohio(.facilitator, write: true),
                request: fixed(
                    "/api/v1/communities/ohio/call-series",
                    ["title": "Coaching", "timezone": "America/New_York", "dtstart": "2026-10-20T08:30", "duration_minutes": 30, "rrule": "FREQ=WEEKLY"])),
            Case(
                method: .patch, route: "/api/v1/call-series/{id}", variant: "", rule: .ohio(.facilitator, write: true),
                request: { _ in Request(path: "/api/v1/call-series/\(try await fallSeries())", body: ["description": "Second Tuesdays."]) }),
            Case(
                method: .delete, route: "/api/v1/call-series/{id}", variant: "", rule: .ohio(.facilitator, write: true),
                request: { _ in
                    let made = try await world.app.store.createCallSeries(
                        CallSeries(
                            id: 0, communityID: world.ohio.id, title: "Doomed", description: "", timezone: "America/New_York", dtstart: "2026-10-20T08:30",
                            durationMinutes: 30, rrule: "FREQ=WEEKLY;COUNT=2", until: nil, semester: nil, exdates: [], capacity: nil),
                        createdBy: world.actor.id, now: world.app.clock.now())
                    return Request(path: "/api/v1/call-series/\(made.id)")
                }),
            Case(
                method: .patch, route: "/api/v1/occurrences/{id}", variant: "", rule: .ohio(.facilitator, write: true),
                request: { _ in
                    let series = try #require(try await world.app.store.callSeries(communityID: world.ohio.id).first)
                    return Request(path: "/api/v1/occurrences/\(series.id)-20261013T1600", body: ["status": "cancelled"])
                }),
            Case(
                method: .post, route: "/api/v1/occurrences/{id}/rsvp", variant: "", rule: .ohio(.member, write: true),
                request: { _ in
                    let series = try #require(try await world.app.store.callSeries(communityID: world.ohio.id).first)
                    return Request(path: "/api/v1/occurrences/\(series.id)-20261110T1600/rsvp", body: ["status": "going"])
                }),
            Case(
                method: .post, route: "/api/v1/call-series/{id}/rsvp", variant: "", rule: .ohio(.member, write: true),
                request: { _ in
                    let series = try #require(try await world.app.store.callSeries(communityID: world.ohio.id).first)
                    return Request(path: "/api/v1/call-series/\(series.id)/rsvp", body: ["status": "maybe"])
                }),
            Case(method: .post, route: "/api/v1/preview", variant: "", rule: .signedIn, request: fixed("/api/v1/preview", ["body": "**Hi**"])),
            Case(
                method: .put, route: "/api/v1/communities/{slug}/tags/{tag}", variant: "", rule: .ohio(.moderator, write: true),
                request: fixed("/api/v1/communities/ohio/tags/coaching", ["name": "Coaching"])),
            Case(
                method: .get, route: "/api/v1/occurrences/{id}/attendance", variant: "", rule: .ohio(.facilitator, write: false),
                request: { _ in Request(path: "/api/v1/occurrences/\(try await fallSeries())-20261110T1600/attendance") }),
            Case(
                method: .get, route: "/api/v1/occurrences/{id}/attendance.csv", variant: "", rule: .ohio(.facilitator, write: false),
                request: { _ in Request(path: "/api/v1/occurrences/\(try await fallSeries())-20261110T1600/attendance.csv") }),
            Case(
                method: .get, route: "/api/v1/call-series/{id}/attendance", variant: "", rule: .ohio(.facilitator, write: false),
                request: { _ in Request(path: "/api/v1/call-series/\(try await fallSeries())/attendance") }),
            Case(
                method: .get, route: "/api/v1/call-series/{id}/attendance.csv", variant: "", rule: .ohio(.facilitator, write: false),
                request: { _ in Request(path: "/api/v1/call-series/\(try await fallSeries())/attendance.csv") }),
            Case(
                method: .get, route: "/api/v1/occurrences/{id}/agenda", variant: "", rule: .ohio(.guest, write: false),
                request: { _ in Request(path: "/api/v1/occurrences/\(try await fallSeries())-20261013T1600/agenda") }),
            Case(
                method: .get, route: "/api/v1/occurrences/{id}/notes", variant: "", rule: .ohio(.guest, write: false),
                request: { _ in Request(path: "/api/v1/occurrences/\(try await fallSeries())-20261013T1600/notes") }),
            Case(
                method: .get, route: "/api/v1/occurrences/{id}/agenda/revisions", variant: "", rule: .ohio(.guest, write: false),
                request: { _ in Request(path: "/api/v1/occurrences/\(try await fallSeries())-20261013T1600/agenda/revisions") }),
            Case(
                method: .get, route: "/api/v1/occurrences/{id}/notes/revisions", variant: "", rule: .ohio(.guest, write: false),
                request: { _ in Request(path: "/api/v1/occurrences/\(try await fallSeries())-20261013T1600/notes/revisions") }),
            Case(
                method: .put, route: "/api/v1/occurrences/{id}/agenda", variant: "", rule: .ohio(.facilitator, write: true),
                request: { _ in
                    let id = "\(try await fallSeries())-20261013T1600"
                    let base = try await world.app.store.occurrenceTexts(seriesID: try await fallSeries(), occurrence: "2026-10-13T16:00", kind: .agenda).count
                    return Request(path: "/api/v1/occurrences/\(id)/agenda", body: ["body": "Agenda", "base_revision": base])
                }),
            Case(
                method: .put, route: "/api/v1/occurrences/{id}/notes", variant: "", rule: .ohio(.member, write: true),
                request: { _ in
                    let id = "\(try await fallSeries())-20261013T1600"
                    let base = try await world.app.store.occurrenceTexts(seriesID: try await fallSeries(), occurrence: "2026-10-13T16:00", kind: .notes).count
                    return Request(path: "/api/v1/occurrences/\(id)/notes", body: ["body": "Notes", "base_revision": base])
                }),
            Case(
                method: .get, route: "/api/v1/communities/{slug}/calendar.ics", variant: "", rule: .ohio(.guest, write: false),
                request: fixed("/api/v1/communities/ohio/calendar.ics", nil)),
            Case(method: .post, route: "/api/v1/me/calendar-token", variant: "", rule: .signedIn, request: fixed("/api/v1/me/calendar-token", nil)),
            Case(
                method: .delete, route: "/api/v1/me/calendar-token", variant: "own", rule: .signedIn,
                request: { caller in
                    if let user = caller.user {
                        try await world.app.store.setCalendarToken(userID: user.id, tokenHash: Tokens.hash("t\(user.id)"), now: world.app.clock.now())
                    }
                    return Request(path: "/api/v1/me/calendar-token")
                }),
            Case(
                method: .get, route: "/api/v1/calendar/{token}.ics", variant: "", rule: .open,
                request: { _ in
                    try await world.app.store.setCalendarToken(userID: world.other.id, tokenHash: Tokens.hash("matrix"), now: world.app.clock.now())
                    return Request(path: "/api/v1/calendar/matrix.ics")
                }),
            Case(method: .get, route: "/api/v1/watches", variant: "", rule: .signedIn, request: fixed("/api/v1/watches", nil)),
            Case(
                method: .post, route: "/api/v1/watches", variant: "Ohio's forum", rule: .ohioAccount,
                request: fixed("/api/v1/watches", ["community": "ohio"])),
            Case(
                method: .post, route: "/api/v1/watches", variant: "a question", rule: .ohioAccount,
                request: { _ in Request(path: "/api/v1/watches", body: ["question_id": try await world.question(by: nil).id]) }),
            Case(
                method: .delete, route: "/api/v1/watches/{id}", variant: "own", rule: .signedIn,
                request: { caller in
                    guard let user = caller.user else { return Request(path: "/api/v1/watches/1") }
                    let (watch, _) = try await world.app.store.watch(
                        userID: user.id, communityID: world.ohio.id, kind: .forum, questionID: nil, tag: nil, now: world.app.clock.now())
                    return Request(path: "/api/v1/watches/\(watch.id)")
                }),
            Case(method: .post, route: "/api/v1/stream/tickets", variant: "", rule: .signedIn, request: fixed("/api/v1/stream/tickets", nil)),
            Case(method: .post, route: "/api/v1/invites", variant: "", rule: .ohio(.lead, write: true), request: fixed("/api/v1/invites", ["community": "ohio"])),
            Case(method: .get, route: "/api/v1/communities/{slug}", variant: "", rule: .ohio(.guest, write: false), request: fixed("/api/v1/communities/ohio", nil)),
            Case(
                method: .post, route: "/api/v1/communities/{slug}/join", variant: "another community", rule: .signedIn,
                request: fixed("/api/v1/communities/colorado/join", nil)),
            Case(
                method: .get, route: "/api/v1/communities/{slug}/members", variant: "", rule: .ohio(.member, write: false),
                request: fixed("/api/v1/communities/ohio/members", nil)),
            Case(
                method: .post, route: "/api/v1/communities/{slug}/grants", variant: "", rule: .ohio(.lead, write: true),
                request: { _ in
                    Request(path: "/api/v1/communities/ohio/grants", body: ["user_id": try await world.freshUser().id, "role": "facilitator"])
                }),
            Case(
                method: .delete, route: "/api/v1/communities/{slug}/grants/{id}", variant: "", rule: .ohio(.lead, write: true),
                request: { _ in
                    let grant = try await world.app.store.createGrant(
                        userID: try await world.freshUser().id, role: .facilitator, scope: .community(world.ohio.id), grantedBy: nil,
                        now: world.app.clock.now())
                    return Request(path: "/api/v1/communities/ohio/grants/\(grant.id)")
                }),
            Case(
                method: .get, route: "/api/v1/communities/{slug}/channels", variant: "", rule: .ohio(.guest, write: false),
                request: fixed("/api/v1/communities/ohio/channels", nil)),
            Case(
                method: .post, route: "/api/v1/communities/{slug}/channels", variant: "", rule: .ohio(.moderator, write: true),
                request: { _ in Request(path: "/api/v1/communities/ohio/channels", body: ["name": "c-\(UUID().uuidString.prefix(8).lowercased())"]) }),
            Case(
                method: .post, route: "/api/v1/channels/{id}/members", variant: "a private channel", rule: .ohio(.moderator, write: true),
                request: { _ in
                    let channel = try await world.app.store.createChannel(
                        communityID: world.ohio.id, name: "p-\(UUID().uuidString.prefix(8).lowercased())", topic: "", isPrivate: true,
                        announcementOnly: false, slowModeSeconds: 0, createdBy: nil, now: world.app.clock.now())
                    return Request(path: "/api/v1/channels/\(channel.id)/members", body: ["user_id": world.other.id])
                }),
            Case(
                method: .get, route: "/api/v1/channels/{id}/messages", variant: "", rule: .ohio(.member, write: false),
                request: fixed("/api/v1/channels/\(general)/messages", nil)),
            Case(
                method: .post, route: "/api/v1/channels/{id}/messages", variant: "", rule: .ohio(.member, write: true),
                request: fixed("/api/v1/channels/\(general)/messages", ["body": "hello"])),
            Case(
                method: .post, route: "/api/v1/channels/{id}/read", variant: "", rule: .ohio(.member, write: false),
                request: fixed("/api/v1/channels/\(general)/read", ["seq": 0])),
            Case(
                method: .get, route: "/api/v1/channels/{id}/pins", variant: "", rule: .ohio(.member, write: false),
                request: fixed("/api/v1/channels/\(general)/pins", nil)),
            Case(
                method: .patch, route: "/api/v1/messages/{id}", variant: "own", rule: .ohio(.member, write: true),
                request: { Request(path: "/api/v1/messages/\(try await ownMessage($0))", body: ["body": "edited"]) }),
            Case(
                method: .patch, route: "/api/v1/messages/{id}", variant: "others'", rule: .nobody,
                request: { Request(path: "/api/v1/messages/\(try await othersMessage($0))", body: ["body": "edited"]) }),
            Case(
                method: .delete, route: "/api/v1/messages/{id}", variant: "own", rule: .ohio(.member, write: true),
                request: { Request(path: "/api/v1/messages/\(try await ownMessage($0))") }),
            Case(
                method: .delete, route: "/api/v1/messages/{id}", variant: "others'", rule: .ohio(.moderator, write: true),
                request: { Request(path: "/api/v1/messages/\(try await othersMessage($0))") }),
            Case(
                method: .get, route: "/api/v1/messages/{id}/revisions", variant: "own", rule: .ohio(.member, write: false),
                request: { Request(path: "/api/v1/messages/\(try await ownMessage($0))/revisions") }),
            Case(
                method: .get, route: "/api/v1/messages/{id}/revisions", variant: "others'", rule: .ohio(.moderator, write: false),
                request: { Request(path: "/api/v1/messages/\(try await othersMessage($0))/revisions") }),
            Case(
                method: .post, route: "/api/v1/messages/{id}/reactions", variant: "others'", rule: .ohio(.member, write: true),
                request: { Request(path: "/api/v1/messages/\(try await othersMessage($0))/reactions", body: ["emoji": "🎉", "on": true]) }),
            Case(
                method: .put, route: "/api/v1/messages/{id}/pin", variant: "others'", rule: .ohio(.moderator, write: true),
                request: { Request(path: "/api/v1/messages/\(try await othersMessage($0))/pin") }),
            Case(
                method: .delete, route: "/api/v1/messages/{id}/pin", variant: "others'", rule: .ohio(.moderator, write: true),
                request: { Request(path: "/api/v1/messages/\(try await othersMessage($0))/pin") }),
            Case(
                method: .get, route: "/api/v1/search", variant: "in Ohio", rule: .ohio(.guest, write: false),
                request: fixed("/api/v1/search?q=text&community=ohio", nil)),
            Case(
                method: .get, route: "/api/v1/search", variant: "questions in Ohio", rule: .ohio(.guest, write: false),
                request: fixed("/api/v1/search?kind=question&q=text&community=ohio", nil)),
            Case(
                method: .get, route: "/api/v1/knowledge", variant: "in Ohio", rule: .ohio(.guest, write: false),
                request: fixed("/api/v1/knowledge?community=ohio&q=start", nil)),
            Case(
                method: .get, route: "/api/v1/knowledge", variant: "past review in Ohio", rule: .ohio(.moderator, write: false),
                request: fixed("/api/v1/knowledge?community=ohio&due=true", nil)),
            Case(
                method: .post, route: "/api/v1/flags", variant: "others' answer", rule: .ohio(.member, write: true),
                request: { _ in Request(path: "/api/v1/flags", body: ["target": ["type": "answer", "id": try await world.answer(by: nil).id], "reason": "spam"]) }),
            Case(
                method: .post, route: "/api/v1/moderation/actions", variant: "hide a question", rule: .ohio(.moderator, write: true),
                request: { _ in
                    Request(
                        path: "/api/v1/moderation/actions",
                        body: ["action": "hide", "target": ["type": "question", "id": try await world.question(by: nil).id], "reason": "Off-topic"])
                }),
            Case(
                method: .post, route: "/api/v1/flags", variant: "others' message", rule: .ohio(.member, write: true),
                request: { Request(path: "/api/v1/flags", body: ["target": ["type": "message", "id": try await othersMessage($0)], "reason": "spam"]) }),
            Case(
                method: .post, route: "/api/v1/moderation/actions", variant: "warn a member", rule: .ohio(.moderator, write: true),
                request: fixed(
                    "/api/v1/moderation/actions",
                    ["action": "warn", "target": ["type": "user", "id": world.other.id], "community": "ohio", "reason": "matrix"])),
            Case(
                method: .post, route: "/api/v1/moderation/actions", variant: "hide a message", rule: .ohio(.moderator, write: true),
                request: {
                    Request(
                        path: "/api/v1/moderation/actions",
                        body: ["action": "hide", "target": ["type": "message", "id": try await othersMessage($0)], "reason": "matrix"])
                }),
            Case(
                method: .get, route: "/api/v1/moderation/queue", variant: "", rule: .ohio(.moderator, write: false),
                request: fixed("/api/v1/moderation/queue?community=ohio", nil)),
            Case(
                method: .get, route: "/api/v1/moderation/queue/{id}", variant: "", rule: .ohio(.moderator, write: false),
                request: fixed("/api/v1/moderation/queue/\(world.reviewItem)", nil)),
            Case(
                method: .post, route: "/api/v1/moderation/queue/{id}/assign", variant: "to nobody", rule: .ohio(.moderator, write: true),
                request: fixed("/api/v1/moderation/queue/\(world.reviewItem)/assign", ["user_id": NSNull()])),
            Case(
                method: .get, route: "/api/v1/communities/{slug}/questions", variant: "", rule: .ohio(.guest, write: false),
                request: fixed("/api/v1/communities/ohio/questions?filter=unsolved&sort=votes", nil)),
            Case(
                method: .get, route: "/api/v1/communities/{slug}/questions.atom", variant: "", rule: .ohio(.guest, write: false),
                request: fixed("/api/v1/communities/ohio/questions.atom", nil)),
            Case(
                method: .post, route: "/api/v1/communities/{slug}/questions", variant: "", rule: .ohio(.member, write: true),
                request: { _ in
                    let tag = try #require(try await world.app.store.tags(communityID: world.ohio.id).first?.slug)
                    return Request(path: "/api/v1/communities/ohio/questions", body: ["title": "How do we start?", "body": "Ideas?", "tags": [tag]])
                }),
            Case(
                method: .get, route: "/api/v1/questions/{id}", variant: "", rule: .ohio(.guest, write: false),
                request: { _ in Request(path: "/api/v1/questions/\(try await world.question(by: nil).id)") }),
            Case(
                method: .post, route: "/api/v1/questions/{id}/answers", variant: "", rule: .ohio(.member, write: true),
                request: { _ in Request(path: "/api/v1/questions/\(try await world.question(by: nil).id)/answers", body: ["body": "Try this."]) }),
            Case(
                method: .post, route: "/api/v1/questions/{id}/vote", variant: "others'", rule: .ohio(.member, write: true),
                request: { _ in Request(path: "/api/v1/questions/\(try await world.question(by: nil).id)/vote", body: ["value": 1]) }),
            Case(
                method: .post, route: "/api/v1/questions/{id}/vote", variant: "own", rule: .nobody,
                request: { Request(path: "/api/v1/questions/\(try await world.question(by: $0.user?.id).id)/vote", body: ["value": 1]) }),
            Case(
                method: .post, route: "/api/v1/answers/{id}/vote", variant: "others'", rule: .ohio(.member, write: true),
                request: { _ in Request(path: "/api/v1/answers/\(try await world.answer(by: nil).id)/vote", body: ["value": -1]) }),
            Case(
                method: .post, route: "/api/v1/answers/{id}/vote", variant: "own", rule: .nobody,
                request: { Request(path: "/api/v1/answers/\(try await world.answer(by: $0.user?.id).id)/vote", body: ["value": 1]) }),
            Case(
                method: .patch, route: "/api/v1/questions/{id}", variant: "own", rule: .ohio(.member, write: true),
                request: { Request(path: "/api/v1/questions/\(try await world.question(by: $0.user?.id).id)", body: ["body": "Edited."]) }),
            Case(
                method: .patch, route: "/api/v1/questions/{id}", variant: "others'", rule: .ohio(.moderator, write: true),
                request: { _ in Request(path: "/api/v1/questions/\(try await world.question(by: nil).id)", body: ["title": "Edited title"]) }),
            Case(
                method: .patch, route: "/api/v1/answers/{id}", variant: "own", rule: .ohio(.member, write: true),
                request: { Request(path: "/api/v1/answers/\(try await world.answer(by: $0.user?.id).id)", body: ["body": "Edited."]) }),
            Case(
                method: .patch, route: "/api/v1/answers/{id}", variant: "others'", rule: .ohio(.moderator, write: true),
                request: { _ in Request(path: "/api/v1/answers/\(try await world.answer(by: nil).id)", body: ["body": "Edited."]) }),
            Case(
                method: .get, route: "/api/v1/questions/{id}/revisions", variant: "", rule: .ohio(.guest, write: false),
                request: { _ in Request(path: "/api/v1/questions/\(try await world.question(by: nil).id)/revisions") }),
            Case(
                method: .get, route: "/api/v1/answers/{id}/revisions", variant: "", rule: .ohio(.guest, write: false),
                request: { _ in Request(path: "/api/v1/answers/\(try await world.answer(by: nil).id)/revisions") }),
            Case(
                method: .post, route: "/api/v1/questions/{id}/rollback", variant: "", rule: .ohio(.moderator, write: true),
                request: { _ in Request(path: "/api/v1/questions/\(try await world.question(by: nil).id)/rollback", body: ["revision": 1]) }),
            Case(
                method: .post, route: "/api/v1/answers/{id}/rollback", variant: "", rule: .ohio(.moderator, write: true),
                request: { _ in Request(path: "/api/v1/answers/\(try await world.answer(by: nil).id)/rollback", body: ["revision": 1]) }),
            Case(
                method: .post, route: "/api/v1/answers/{id}/curate", variant: "an accepted answer", rule: .ohio(.moderator, write: true),
                request: { _ in
                    Request(path: "/api/v1/answers/\(try await world.acceptedAnswer(askedBy: nil))/curate", body: ["outdated": true, "note": "Policy changed."])
                }),
            Case(
                method: .post, route: "/api/v1/questions/{id}/close", variant: "off-topic", rule: .ohio(.moderator, write: true),
                request: { _ in Request(path: "/api/v1/questions/\(try await world.question(by: nil).id)/close", body: ["reason": "off_topic"]) }),
            Case(
                method: .post, route: "/api/v1/questions/{id}/reopen", variant: "a closed one", rule: .ohio(.moderator, write: true),
                request: { _ in
                    let question = try await world.question(by: nil)
                    _ = try await world.app.store.setClosed(
                        questionID: question.id, reason: .offTopic, duplicateOf: nil, by: world.actor.id,
                        audit: NewAuditEntry(
                            communityID: world.ohio.id, actorID: world.actor.id, action: "close", targetType: "question", targetID: question.id,
                            reason: "setup"),
                        now: world.app.clock.now())
                    return Request(path: "/api/v1/questions/\(question.id)/reopen")
                }),
            Case(
                method: .post, route: "/api/v1/questions/{id}/comments", variant: "", rule: .ohio(.member, write: true),
                request: { _ in Request(path: "/api/v1/questions/\(try await world.question(by: nil).id)/comments", body: ["body": "Which grade?"]) }),
            Case(
                method: .post, route: "/api/v1/answers/{id}/comments", variant: "", rule: .ohio(.member, write: true),
                request: { _ in Request(path: "/api/v1/answers/\(try await world.answer(by: nil).id)/comments", body: ["body": "Thanks!"]) }),
            Case(
                method: .post, route: "/api/v1/answers/{id}/accept", variant: "on own question", rule: .ohio(.member, write: true),
                request: { Request(path: "/api/v1/answers/\(try await world.answer(by: nil, askedBy: $0.user?.id).id)/accept") }),
            Case(
                method: .post, route: "/api/v1/answers/{id}/accept", variant: "on others' question", rule: .ohio(.moderator, write: true),
                request: { _ in Request(path: "/api/v1/answers/\(try await world.answer(by: nil).id)/accept") }),
            Case(
                method: .delete, route: "/api/v1/answers/{id}/accept", variant: "on own question", rule: .ohio(.member, write: true),
                request: { Request(path: "/api/v1/answers/\(try await world.acceptedAnswer(askedBy: $0.user?.id))/accept") }),
            Case(
                method: .delete, route: "/api/v1/answers/{id}/accept", variant: "on others' question", rule: .ohio(.moderator, write: true),
                request: { _ in Request(path: "/api/v1/answers/\(try await world.acceptedAnswer(askedBy: nil))/accept") }),
            Case(
                method: .get, route: "/api/v1/moderation/pending", variant: "", rule: .ohio(.moderator, write: false),
                request: fixed("/api/v1/moderation/pending?community=ohio", nil)),
            Case(
                method: .get, route: "/api/v1/communities/{slug}/watched-words", variant: "", rule: .ohio(.moderator, write: false),
                request: fixed("/api/v1/communities/ohio/watched-words", nil)),
            Case(
                method: .post, route: "/api/v1/communities/{slug}/watched-words", variant: "", rule: .ohio(.moderator, write: true),
                request: { _ in Request(path: "/api/v1/communities/ohio/watched-words", body: ["word": "w\(UUID().uuidString.prefix(8).lowercased())", "action": "flag"]) }),
            Case(
                method: .delete, route: "/api/v1/communities/{slug}/watched-words/{id}", variant: "", rule: .ohio(.moderator, write: true),
                request: { _ in
                    let (word, _) = try await world.app.store.addWatchedWord(
                        communityID: world.ohio.id, pattern: "w\(UUID().uuidString.prefix(8).lowercased())", action: .flag, by: world.actor.id,
                        audit: NewAuditEntry(
                            communityID: world.ohio.id, actorID: world.actor.id, action: "watch_word", targetType: "community", targetID: world.ohio.id,
                            reason: "setup"),
                        now: world.app.clock.now())
                    return Request(path: "/api/v1/communities/ohio/watched-words/\(word.id)")
                }),
            Case(
                method: .post, route: "/api/v1/moderation/actions", variant: "approve a held message", rule: .ohio(.moderator, write: true),
                request: { _ in
                    let held = try await world.app.store.holdMessage(
                        NewPendingMessage(
                            communityID: world.ohio.id, channelID: world.general, authorID: world.other.id, body: "held", threadID: nil,
                            nonce: UUID().uuidString, watchedWord: "held"),
                        now: world.app.clock.now())
                    return Request(
                        path: "/api/v1/moderation/actions", body: ["action": "approve", "target": ["type": "pending_message", "id": held.id], "reason": "fine"])
                }),
            Case(
                method: .get, route: "/api/v1/moderation/audit", variant: "", rule: .ohio(.lead, write: false),
                request: fixed("/api/v1/moderation/audit?community=ohio", nil)),
            Case(
                method: .post, route: "/api/v1/appeals", variant: "an action against the caller", rule: .signedIn,
                request: { caller in
                    guard let user = caller.user else { return Request(path: "/api/v1/appeals", body: ["action_id": 1, "text": "please"]) }
                    return Request(path: "/api/v1/appeals", body: ["action_id": try await world.warning(of: user.id), "text": "please"])
                }),
            Case(
                method: .get, route: "/api/v1/appeals/{id}", variant: "own", rule: .signedIn,
                request: { caller in Request(path: "/api/v1/appeals/\(try await world.appeal(by: caller.user?.id ?? world.other.id))") }),
            Case(
                method: .get, route: "/api/v1/appeals/{id}", variant: "others'", rule: .ohio(.moderator, write: false),
                request: { _ in Request(path: "/api/v1/appeals/\(try await world.appeal(by: world.other.id))") }),
            Case(
                method: .post, route: "/api/v1/appeals/{id}/decide", variant: "others'", rule: .ohio(.moderator, write: true),
                request: { _ in Request(path: "/api/v1/appeals/\(try await world.appeal(by: world.other.id))/decide", body: ["outcome": "upheld"]) }),
        ]
    }

    /// Routes this matrix leaves to another test, and why.
    static let elsewhere: Set<String> = [
        "GET /api/v1/stream"  // the WebSocket upgrade: its ops are checked op by op on the stream
    ]

    /// The nine callers and the world they act in.
    static func setUp(_ app: TestApp, _ client: any TestClientProtocol) async throws -> ([Caller], World) {
        let ohio = try #require(try await app.store.community(slug: "ohio"))
        let now = app.clock.now()
        var callers = [Caller(name: "anonymous", role: .guest)]
        func make(_ name: String, role: Role, joinOhio: Bool = true, admin: Bool = false) async throws -> Caller {
            let (user, token) = try await app.user(client, name, admin: admin)
            if joinOhio { _ = try await app.store.join(communityID: ohio.id, userID: user.id, now: now) }
            if role > .member && !admin {
                _ = try await app.store.createGrant(userID: user.id, role: role, scope: .community(ohio.id), grantedBy: nil, now: now)
            }
            return Caller(name: name, token: token, user: user, role: role)
        }
        let (actor, _) = try await app.user(client, "Actor")
        _ = try await app.store.createGrant(userID: actor.id, role: .moderator, scope: .community(ohio.id), grantedBy: nil, now: now)
        var suspended = try await make("Suspended", role: .member)
        var silenced = try await make("Silenced", role: .member)
        for (caller, kind) in [(suspended, SanctionKind.suspend), (silenced, .silence)] {
            _ = try await app.store.addSanction(
                NewSanction(userID: caller.user!.id, kind: kind, communityID: ohio.id, reason: "matrix", createdBy: actor.id, endsAt: nil),
                audit: NewAuditEntry(
                    communityID: ohio.id, actorID: actor.id, action: kind.rawValue, targetType: "user", targetID: caller.user!.id, reason: "matrix"),
                now: now)
        }
        suspended.suspended = true
        silenced.silenced = true
        var outsider = try await make("Outsider", role: .guest, joinOhio: false)
        outsider.name = "another community's member"
        _ = try await client.call(.post, "/api/v1/communities/texas/join", token: outsider.token)
        callers += [
            suspended, silenced, outsider, try await make("Member", role: .member), try await make("Facilitator", role: .facilitator),
            try await make("Moderator", role: .moderator), try await make("Lead", role: .lead),
            try await make("Admin", role: .admin, joinOhio: false, admin: true),
        ]
        _ = try await app.user(client, "Loginer")
        let (other, _) = try await app.user(client, "Other")
        _ = try await app.store.join(communityID: ohio.id, userID: other.id, now: now)
        let general = try #require(try await app.store.channels(communityID: ohio.id).first { $0.name == "general" }?.id)
        var world = World(app: app, ohio: ohio, general: general, other: other, actor: actor, reviewItem: 0)
        let flagged = try await world.message(by: actor.id)
        world = World(
            app: app, ohio: ohio, general: general, other: other, actor: actor,
            reviewItem: try await app.store.fileFlag(
                NewFlag(communityID: ohio.id, targetType: .message, targetID: flagged, userID: other.id, reason: .spam, note: nil), hideThreshold: 99,
                now: now
            ).item.id)
        return (callers, world)
    }

    @Test("every registered route has a rule, and every caller — anonymous, suspended, silenced, another community's member, member, facilitator, moderator, lead, admin — gets exactly what its rule allows")
    func matrix() async throws {
        let app = try await TestApp.make()
        try await app.test { client async throws in
            let (callers, world) = try await Self.setUp(app, client)
            let cases = Self.cases(world)
            let recorder = RouteRecorder()
            addRoutes(app.services, to: recorder)
            for route in recorder.routes.withLock({ $0 }) {
                let key = "\(route.method.uppercased()) \(route.path)"
                let covered = cases.contains { $0.method.rawValue == route.method.uppercased() && $0.route == route.path } || Self.elsewhere.contains(key)
                #expect(covered, "\(key) has no rule in the role matrix")
            }

            for testCase in cases {
                for caller in callers {
                    let request = try await testCase.request(caller)
                    let token = request.token ?? caller.token
                    let reply = try await client.call(testCase.method, request.path, json: request.body, token: token)
                    let label = "\(testCase.method) \(testCase.route) \(testCase.variant) [\(testCase.rule)] by \(caller.name)"
                    #expect(reply.status.code < 500, "\(label): \(reply.status.code) \(reply.body)")
                    let refused = [401, 403, 404].contains(reply.status.code)
                    if testCase.rule.allows(caller) {
                        #expect(!refused, "\(label) was refused: \(reply.status.code) \(reply.body)")
                    } else {
                        #expect(refused, "\(label) was allowed: \(reply.status.code) \(reply.body.prefix(200))")
                    }
                }
            }
        }
    }

    /// A stream op for one caller: the frame to send (its `ref` is added).
    struct OpCase: Sendable {
        var op: String
        var variant: String
        var rule: Rule
        var frame: @Sendable (Caller) async throws -> [String: Int64OrString]
    }

    enum Int64OrString: Sendable {
        case int(Int64)
        case string(String)

        var json: Any {
            switch self {
            case .int(let value): value
            case .string(let value): value
            }
        }
    }

    static func opCases(_ world: World) -> [OpCase] {
        let general = Int64OrString.int(world.general)
        let own: @Sendable (Caller) async throws -> Int64OrString = { .int(try await world.message(by: $0.user?.id)) }
        let others: @Sendable (Caller) async throws -> Int64OrString = { _ in .int(try await world.message(by: nil)) }
        let occurrence: @Sendable () async throws -> Int64OrString = {
            let series = try #require(try await world.app.store.callSeries(communityID: world.ohio.id).first)
            return .string("\(series.id)-20261013T1600")
        }
        return [
            OpCase(op: "ping", variant: "", rule: .signedIn, frame: { _ in [:] }),
            OpCase(op: "subscribe", variant: "", rule: .ohio(.member, write: false), frame: { _ in ["channel": general] }),
            OpCase(op: "unsubscribe", variant: "", rule: .signedIn, frame: { _ in ["channel": general] }),
            OpCase(
                op: "send", variant: "", rule: .ohio(.member, write: true),
                frame: { _ in ["channel": general, "body": .string("hi"), "nonce": .string(UUID().uuidString)] }),
            OpCase(op: "typing", variant: "", rule: .ohio(.member, write: true), frame: { _ in ["channel": general] }),
            OpCase(op: "edit", variant: "own", rule: .ohio(.member, write: true), frame: { ["message": try await own($0), "body": .string("edited")] }),
            OpCase(op: "edit", variant: "others'", rule: .nobody, frame: { ["message": try await others($0), "body": .string("edited")] }),
            OpCase(op: "delete", variant: "own", rule: .ohio(.member, write: true), frame: { ["message": try await own($0)] }),
            OpCase(op: "delete", variant: "others'", rule: .ohio(.moderator, write: true), frame: { ["message": try await others($0)] }),
            OpCase(op: "react", variant: "others'", rule: .ohio(.member, write: true), frame: { ["message": try await others($0), "emoji": .string("🎉")] }),
            OpCase(op: "read", variant: "", rule: .ohio(.member, write: false), frame: { _ in ["channel": general, "seq": .int(0)] }),
            OpCase(op: "watch_presence", variant: "", rule: .ohio(.member, write: false), frame: { _ in ["community": .int(world.ohio.id)] }),
            OpCase(op: "unwatch_presence", variant: "", rule: .signedIn, frame: { _ in ["community": .int(world.ohio.id)] }),
            OpCase(op: "follow_question", variant: "", rule: .ohioAccount, frame: { _ in ["question": .int(try await world.question(by: nil).id)] }),
            OpCase(op: "unfollow_question", variant: "", rule: .signedIn, frame: { _ in ["question": .int(try await world.question(by: nil).id)] }),
            OpCase(op: "presence", variant: "", rule: .signedIn, frame: { _ in ["status": .string("away")] }),
            // Entering a call room is for Ohio's members (its lobby is not open at the matrix's
            // time: they get conflict, the others a refusal). Every other room op acts in a room
            // the connection entered — the room's own rules (CallRoomTests, CallRoomStreamTests)
            // decide there — so without entering, any caller gets conflict.
            OpCase(op: "call.join", variant: "", rule: .ohio(.member, write: true), frame: { _ in ["occurrence": try await occurrence()] }),
            OpCase(op: "call.knock", variant: "", rule: .ohio(.member, write: true), frame: { _ in ["occurrence": try await occurrence()] }),
        ] + [
            ("call.leave", [:]), ("call.admit", ["user": .int(world.other.id)]), ("call.deny", ["user": .int(world.other.id)]),
            ("call.hand", ["raised": .int(1)]), ("call.mute", [:]), ("call.mute_all", [:]), ("call.remove", ["user": .int(world.other.id)]),
            ("call.lock", ["locked": .int(1)]), ("call.cohost", ["user": .int(world.other.id)]), ("call.start", [:]), ("call.end", [:]),
            ("call.ask", ["text": .string("Why?")]), ("call.upvote", ["question": .int(1)]), ("call.answered", ["question": .int(1)]),
            ("call.chat", ["body": .string("hi"), "nonce": .string("n")]),
            ("call.signal", ["to": .int(world.other.id), "kind": .string("offer"), "data": .string("v=0")]),
        ].map { (op: String, fields: [String: Int64OrString]) in
            OpCase(op: op, variant: "without entering", rule: .signedIn) { _ in fields.merging(["occurrence": try await occurrence()]) { $1 } }
        }
    }

    /// The ops the stream gateway handles, read from its source (each is a `case "op":` of its switch).
    static func streamOps() throws -> Set<String> {
        let source = try String(
            contentsOf: TestApp.root.appendingPathComponent("Sources/ConveneServer/Stream/StreamRoutes.swift"), encoding: .utf8)
        return Set(source.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("case \""), trimmed.hasSuffix("\":") else { return nil }
            return String(trimmed.dropFirst(6).dropLast(2))
        })
    }

    @Test("every stream op has a rule, and every caller's connection gets exactly what the op's rule allows; nobody opens the stream anonymously")
    func streamMatrix() async throws {
        let app = try await TestApp.make()
        try await app.live { client, port async throws in
            let (callers, world) = try await Self.setUp(app, client)
            let cases = Self.opCases(world)
            let ops = try Self.streamOps()
            #expect(ops.count >= 12)
            for op in ops { #expect(cases.contains { $0.op == op }, "stream op \(op) has no rule in the role matrix") }

            let anonymous = StreamClient(port: port)
            #expect(await anonymous.upgradeFailed(), "an anonymous client opened the stream")

            for caller in callers {
                guard let token = caller.token else { continue }
                let stream = StreamClient(port: port, headers: StreamClient.bearer(token))
                #expect(await stream.next()?["op"] as? String == "ready", "\(caller.name) could not open the stream")
                for (index, testCase) in cases.enumerated() {
                    var frame = try await testCase.frame(caller).mapValues(\.json)
                    frame["op"] = testCase.op
                    frame["ref"] = "op-\(index)"
                    try stream.send(frame)
                    // A ping after each op: its pong closes what the op's reply could be.
                    try stream.send(["op": "ping", "ref": "after-\(index)"])
                    var reply: [String: Any]?
                    while let next = await stream.next(timeout: 10), next["ref"] as? String != "after-\(index)" {
                        if next["ref"] as? String == "op-\(index)" { reply = next }
                    }
                    let label = "stream \(testCase.op) \(testCase.variant) [\(testCase.rule)] by \(caller.name)"
                    let code = reply?["op"] as? String == "error" ? reply?["code"] as? String : nil
                    #expect(code != "internal_error", "\(label): \(String(describing: reply))")
                    let refused = ["unauthenticated", "forbidden", "not_found", "silenced", "suspended"].contains(code ?? "")
                    if testCase.rule.allows(caller) {
                        #expect(!refused, "\(label) was refused: \(String(describing: reply))")
                    } else {
                        #expect(refused, "\(label) was allowed: \(String(describing: reply))")
                    }
                }
                _ = await stream.close()
            }
        }
    }
}
