import ConveneCore
import ConveneStore
import Foundation

/// Hidden posts, who sees them, and the watched words that screen posts.
extension Forums {
    /// A post's texts screened with the community's watched words: censored words replaced, a
    /// blocking word refused (422 naming the field), and the word that holds or flags the post —
    /// neither for moderators, as for messages.
    struct Screened {
        var texts: [String]
        var heldBy: String?
        var flaggedBy: String?
    }

    func screen(_ fields: [(name: String, text: String)], in community: Community, by principal: Principal) async throws -> Screened {
        let words = try await store.watchedWords(communityID: community.id)
        let exempt = Policy.check(.sendUnpaced, by: principal, on: directory.target(community)).isSuccess
        var screened = Screened(texts: [])
        for field in fields {
            let screening = WatchedWords.screen(field.text, with: words, exempt: exempt)
            if let word = screening.blockedBy {
                throw ConveneError.invalid(field.name, "This community does not allow “\(word.pattern)”; nothing was saved.")
            }
            screened.texts.append(screening.body)
            screened.heldBy = screened.heldBy ?? screening.heldBy?.pattern
            screened.flaggedBy = screened.flaggedBy ?? screening.flaggedBy?.pattern
        }
        return screened
    }

    /// Whether the caller reads a hidden post of `author`'s in the community (Policy's
    /// `post.hidden.read`: its moderators, and the author).
    func seesHidden(_ principal: Principal, in community: Community, author: Int64) -> Bool {
        var target = directory.target(community)
        target.callerIsOwner = author == principal.userID
        return Policy.check(.readHiddenPost, by: principal, on: target).isSuccess
    }

    /// Hides a question or answer, or shows it again (moderators); audited, and followers of the
    /// question page are told.
    func hide(_ target: VoteTarget, id: Int64, hidden: Bool, reason: String, by principal: Principal) async throws
        -> (Question?, Answer?, AuditEntry)
    {
        let community = try await post(target, id, by: principal).community
        try Policy.require(.moderateContent, by: principal, on: directory.target(community))
        guard
            let changed = try await store.setHidden(
                target, id: id, hidden: hidden, by: principal.userID!,
                audit: NewAuditEntry(
                    communityID: community.id, actorID: principal.userID!, action: hidden ? "hide" : "unhide", targetType: target.rawValue,
                    targetID: id, reason: reason),
                now: now())
        else { throw ConveneError(.conflict, "That \(target.rawValue) is \(hidden ? "hidden" : "shown") already.") }
        await announceHidden(target, id, hidden: hidden)
        return (changed.question, changed.answer, changed.audit)
    }

    /// Tells a question page's followers that a post was hidden (its id only) or shown again (in full).
    func announceHidden(_ target: VoteTarget, _ id: Int64, hidden: Bool) async {
        let type = "\(target.rawValue).\(hidden ? "hidden" : "shown")"
        switch target {
        case .question:
            guard let question = try? await store.question(id: id) else { return }
            if hidden { live(question.id, type, HiddenPost(id: id)) } else { live(question.id, type, ForumRoutes.QuestionView(question)) }
            dropCanonicalPage(of: question)
        case .answer:
            guard let answer = try? await store.answer(id: id) else { return }
            if hidden { live(answer.questionID, type, HiddenPost(id: id)) } else { live(answer.questionID, type, ForumRoutes.AnswerView(answer)) }
        }
    }

    struct HiddenPost: Encodable, Sendable {
        var id: Int64
    }
}
