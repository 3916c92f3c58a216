import ConveneCore
import ConveneStore
import Foundation

/// Channel threads promoted to questions.
extension Forums {
    /// The most replies a promoted thread quotes; past them the question says how many more the channel holds.
    static let promotedReplies = 200

    /// Turns a channel thread (the one `messageID` starts or belongs to) into a question in the
    /// channel's community: its first message and replies quoted with their authors, the question
    /// pointing to the thread and a reply in the thread pointing to the question; everyone who
    /// took part is told. The first message's author or a moderator does it; a thread is promoted
    /// once. The reply is posted by the promoter under the channel's rules: when they refuse it,
    /// the question stands and `backLink` is nil.
    func promote(messageID: Int64, title rawTitle: String, tags rawTags: [String], by principal: Principal) async throws
        -> (question: Question, backLink: Message?)
    {
        guard let message = try await store.message(id: messageID) else { throw ConveneError.notFound("The message") }
        var root = message
        if let threadID = message.threadID {
            guard let first = try await store.message(id: threadID) else { throw ConveneError.notFound("The message") }
            root = first
        }
        let (channel, community) = try await messaging.access(.readChannel, channelID: root.channelID, by: principal)
        var target = messaging.target(community, channel, isMember: true)
        target.callerIsOwner = root.authorID == principal.userID
        try Policy.require(.promoteThread, by: principal, on: target)
        try Policy.require(.askQuestion, by: principal, on: directory.target(community))
        guard !root.deleted, !root.hidden else { throw ConveneError(.conflict, "A deleted or hidden message cannot become a question.") }
        let screened = try await screen([("title", try Validation.questionTitle(rawTitle))], in: community, by: principal)
        let title = screened.texts[0]
        let tags = try Validation.questionTags(rawTags, allowed: Set(try await store.tags(communityID: community.id).map(\.slug)))
        let replies = try await store.threadReplies(rootID: root.id, limit: Self.promotedReplies + 1).filter { !$0.deleted && !$0.hidden }
        let promoter = principal.userID!
        let promoterName = try await store.user(id: promoter)?.displayName ?? "a member"
        let body = Self.quote(
            root, replies: Array(replies.prefix(Self.promotedReplies)),
            more: replies.count > Self.promotedReplies ? max(1, root.replyCount - Self.promotedReplies) : 0, channel: channel.name,
            promoter: promoterName)

        // The quoted messages told their mentions already; the thread's people hear it became a question.
        let question = try await publish(
            in: community, author: promoter, title: title, body: body, tags: tags, source: .thread(root), screened: screened,
            also: Dictionary(([root] + replies).map { ($0.authorID, UserNotification.Kind.promoted) }, uniquingKeysWith: { first, _ in first }),
            mentionsIn: "")
        var backLink: Message?
        do {
            let outcome = try await messaging.post(
                channelID: channel.id, body: "This thread continues as a question in the forum: **\(title)** (question \(question.id)).",
                threadID: root.id, nonce: "promoted-\(root.id)", by: principal)
            if case .posted(let posted, _) = outcome { backLink = posted }
        } catch {
            // The channel's rules refused the reply (or the store failed): the question stands,
            // pointing to the thread; the thread just does not point back.
        }
        return (question, backLink)
    }

    /// A thread as a question's body: each message quoted under its author's name, then where it came from.
    static func quote(_ root: Message, replies: [Message], more: Int, channel: String, promoter: String) -> String {
        func quoted(_ message: Message, _ heading: String) -> String {
            let lines = message.body.split(separator: "\n", omittingEmptySubsequences: false).map { "> " + $0 }
            return (["> **\(message.authorName)** \(heading) (\(message.createdAt.formatted(.iso8601))):", ">"] + lines).joined(separator: "\n")
        }
        var parts = [quoted(root, "wrote in #\(channel)")] + replies.map { quoted($0, "replied") }
        if more > 0 { parts.append("*\(more) more \(more == 1 ? "reply" : "replies") in the channel.*") }
        parts.append("*Promoted from a thread in #\(channel) by \(promoter).*")
        var body = parts.joined(separator: "\n\n")
        if body.count > 50_000 { body = String(body.prefix(49_900)) + "\n\n*(cut: the thread is longer than a question holds)*" }
        return body
    }
}
