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

    /// Whether the caller sees hidden posts' text in the community: its moderators do.
    func seesHidden(_ principal: Principal, in community: Community) -> Bool {
        Policy.check(.moderateContent, by: principal, on: directory.target(community)).isSuccess
    }

    /// A question or answer's author and community, for whoever may read it (a hidden answer:
    /// its moderators and author only).
    func postAccess(_ target: VoteTarget, _ id: Int64, by principal: Principal) async throws -> (author: Int64, community: Community) {
        let (author, questionID, _) = try await post(target, id)
        let (_, community) = try await readable(questionID, by: principal)
        if target == .answer, try await store.answer(id: id)?.hiddenAt != nil, author != principal.userID, !seesHidden(principal, in: community) {
            throw ConveneError.notFound("The answer")
        }
        return (author, community)
    }

    /// Hides a question or answer, or shows it again (moderators); audited, and followers of the
    /// question page are told.
    func hide(_ target: VoteTarget, id: Int64, hidden: Bool, reason: String, by principal: Principal) async throws
        -> (Question?, Answer?, AuditEntry)
    {
        let (_, community) = try await postAccess(target, id, by: principal)
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
        case .answer:
            guard let answer = try? await store.answer(id: id) else { return }
            if hidden { live(answer.questionID, type, HiddenPost(id: id)) } else { live(answer.questionID, type, ForumRoutes.AnswerView(answer)) }
        }
    }

    struct HiddenPost: Encodable, Sendable {
        var id: Int64
    }
}
