import ConveneCore
import ConveneStore
import Foundation

/// Watches, the notifications forum changes bring, and live question pages.
extension Forums {
    /// What a forum change tells whom: `base` (watchers, the post's author), then every member
    /// of the community `body` mentions (a mention outranks the rest); only those who may read the
    /// community, never the actor (the store leaves the actor out too).
    func notices(_ base: Notify, mentionsIn body: String, community: Community, actor: Int64) async throws -> Notify {
        var notify = base
        let keys = Mentions.keys(in: body)
        if !keys.isEmpty {
            for user in try await store.members(communityID: community.id, nameKeys: Set(keys)) { notify[user] = .mention }
        }
        notify[actor] = nil
        if community.visibility == .private {
            // Watchers of a private community who have left it since are not told.
            let target = directory.target(community)
            for user in notify.keys {
                let principal = try await store.principal(userID: user, now: now())
                if (try? Policy.require(.readCommunity, by: principal, on: target)) == nil { notify[user] = nil }
            }
        }
        return notify
    }

    /// Tells a question page's followers, on every node, of a change.
    func live(_ question: Int64, _ type: String, _ data: some Encodable & Sendable) {
        fanout.toQuestion(question, frame: ServerFrame.questionEvent(question: question, type: type, data: data))
    }

    /// Drops the kept page of the question `question` is closed as a duplicate of: that page lists
    /// its duplicates by title, so closing, reopening, retitling or hiding one changes it.
    func dropCanonicalPage(of question: Question) {
        if let canonical = question.duplicateOf { fanout.dropKept(question: canonical) }
    }

    /// The asker and answerers watch their question from then on (a watch they stopped comes back
    /// only when they answer again).
    func autoWatch(_ question: Question, userID: Int64) async {
        _ = try? await store.watch(userID: userID, communityID: question.communityID, kind: .question, questionID: question.id, tag: nil, now: now())
    }

    /// What to watch: a question (`questionID`), or a community's forum (`slug`), or one of its tags.
    func watch(questionID: Int64?, slug: String?, tag: String?, by principal: Principal) async throws -> (ForumWatch, created: Bool) {
        guard let userID = principal.userID else { throw ConveneError(.unauthenticated, "Sign in to watch.") }
        let community: Community
        let kind: ForumWatch.Kind
        if let questionID {
            guard slug == nil, tag == nil else { throw ConveneError.invalid("question_id", "Watch a question, or a community's forum or tag, not both.") }
            (_, community) = try await readable(questionID, by: principal)
            kind = .question
        } else {
            guard let slug else { throw ConveneError.invalid("community", "Name a question_id, or a community (and a tag).") }
            community = try await directory.readable(slug: slug, by: principal)
            if let tag {
                guard try await store.tags(communityID: community.id).contains(where: { $0.slug == tag }) else {
                    throw ConveneError.invalid("tag", "\(community.name) has no tag \(tag).")
                }
                kind = .tag
            } else {
                kind = .forum
            }
        }
        try Policy.require(.watchForum, by: principal, on: directory.target(community))
        return try await store.watch(userID: userID, communityID: community.id, kind: kind, questionID: questionID, tag: tag, now: now())
    }

    /// The caller's watches.
    func watches(by principal: Principal) async throws -> [ForumWatch] {
        guard let userID = principal.userID else { throw ConveneError(.unauthenticated, "Sign in to see your watches.") }
        return try await store.watches(userID: userID)
    }

    /// Stops one of the caller's watches; 404 when the caller has none with that id.
    func unwatch(id: Int64, by principal: Principal) async throws {
        guard let userID = principal.userID else { throw ConveneError(.unauthenticated, "Sign in to stop watching.") }
        guard try await store.unwatch(id: id, userID: userID) else { throw ConveneError.notFound("The watch") }
    }

    /// The question, when the caller may read it; 404 otherwise.
    func question(_ id: Int64, by principal: Principal) async throws -> Question {
        try await readable(id, by: principal).0
    }
}
