import ConveneCore
import ConveneStore
import Foundation

/// Q&A forums: questions, answers, votes and accepted answers — one function per operation,
/// each asking Policy in the question's community.
struct Forums: Sendable {
    let store: any ConveneStore
    let directory: NetworkDirectory
    let messaging: Messaging
    let fanout: Fanout
    let notifications: Notifications
    let now: @Sendable () -> Date

    /// A page of a community's questions, and the community.
    func questions(slug: String, filter: QuestionFilter, sort: QuestionSort, tag: String?, offset: Int, limit: Int, by principal: Principal)
        async throws -> (Community, [Question])
    {
        let community = try await directory.readable(slug: slug, by: principal)
        return (community, try await store.questions(communityID: community.id, filter: filter, sort: sort, tag: tag, offset: offset, limit: limit))
    }

    /// Adds a tag to a community's forum, or renames one (its moderators); true when it is new.
    func putTag(slug: String, tag rawTag: String, name rawName: String, by principal: Principal) async throws -> (Tag, created: Bool) {
        let community = try await directory.readable(slug: slug, by: principal)
        try Policy.require(.manageTags, by: principal, on: directory.target(community))
        let tag = Tag(slug: try Validation.slug(rawTag, field: "tag"), name: rawName.trimmingCharacters(in: .whitespacesAndNewlines))
        guard (1...80).contains(tag.name.count) else { throw ConveneError.invalid("name", "A tag's name is 1–80 characters.") }
        return (tag, try await store.putTag(communityID: community.id, tag))
    }

    /// Asks a question in a community, with 1–5 of its tags.
    func ask(slug: String, title rawTitle: String, body rawBody: String, tags rawTags: [String], by principal: Principal) async throws -> Question {
        let community = try await directory.readable(slug: slug, by: principal)
        try Policy.require(.askQuestion, by: principal, on: directory.target(community))
        let title = try Validation.questionTitle(rawTitle)
        let body = try Validation.postBody(rawBody)
        let tags = try Validation.questionTags(rawTags, allowed: Set(try await store.tags(communityID: community.id).map(\.slug)))
        let screened = try await screen([("title", title), ("body", body)], in: community, by: principal)
        let (cleanTitle, cleanBody) = (screened.texts[0], screened.texts[1])
        return try await publish(
            in: community, author: principal.userID!, title: cleanTitle, body: cleanBody, tags: tags, screened: screened, mentionsIn: cleanBody)
    }

    /// Stores a new question and does what follows one: watchers of its forum and tags told
    /// (`also` added, mentions in `mentionsIn` outranking both), the flag a watched word files,
    /// the author's watch, the live note. A question a watched word holds tells nobody: it is not
    /// there for them until a moderator shows it.
    func publish(
        in community: Community, author: Int64, title: String, body: String, tags: [String], source: QuestionSource? = nil, screened: Screened,
        also: Notify = [:], mentionsIn mentioned: String
    ) async throws -> Question {
        var notify: Notify = [:]
        if screened.heldBy == nil {
            for user in try await store.watchers(communityID: community.id, tags: tags) { notify[user] = .newQuestion }
            notify.merge(also) { $1 }
            notify = try await notices(notify, mentionsIn: mentioned, community: community, actor: author)
        }
        let (question, notified) = try await store.createQuestion(
            communityID: community.id, authorID: author, title: title, body: body, bodyHTML: Markdown.html(body), tags: tags, source: source,
            heldBy: screened.heldBy, notify: notify, now: now())
        if let word = screened.flaggedBy, screened.heldBy == nil {
            _ = try await store.flagByWatchedWord(communityID: community.id, target: .question, id: question.id, word: word, now: now())
        }
        await autoWatch(question, userID: author)
        await notifications.deliver(ids: notified)
        if screened.heldBy == nil { live(question.id, "question.created", ForumRoutes.QuestionView(question)) }
        return question
    }

    /// A question page: the question, its answers (the accepted one first), their comments, and the caller's votes.
    struct Page: Sendable {
        var question: Question
        var community: Community
        var answers: [Answer]
        var comments: [Comment]
        var votes: (question: Int, answers: [Int64: Int])
        /// Questions closed as duplicates of this one.
        var duplicates: [Question]

        /// The authors of the hidden answers (whose text is withheld from the page's other readers).
        var hiddenAnswerAuthors: Set<Int64> { Set(answers.filter { $0.hiddenAt != nil }.map(\.authorID)) }
    }

    func page(questionID: Int64, by principal: Principal) async throws -> Page {
        let (question, community) = try await readable(questionID, by: principal)
        var page = try await contents(of: question, in: community) { !seesHidden(principal, in: community, author: $0) }
        page.votes = try await votes(questionID: questionID, by: principal)
        return page
    }

    /// The page as every reader who sees no hidden post on it reads it, without anyone's votes
    /// (see `readsAlike`); nil when the question is not there or is hidden. Checks nobody's access.
    func sharedPage(questionID: Int64) async throws -> Page? {
        guard let question = try await store.question(id: questionID), question.hiddenAt == nil,
            let community = try await store.community(id: question.communityID)
        else { return nil }
        return try await contents(of: question, in: community) { _ in true }
    }

    /// The page's posts, the text of a hidden answer withheld when `withheld(author)`.
    private func contents(of question: Question, in community: Community, withheld: (_ author: Int64) -> Bool) async throws -> Page {
        var answers = try await store.answers(questionID: question.id)
        // A hidden answer keeps its place; its text is for its author and the moderators.
        for index in answers.indices where answers[index].hiddenAt != nil && withheld(answers[index].authorID) {
            answers[index].body = ""
            answers[index].bodyHTML = ""
        }
        return Page(
            question: question, community: community, answers: answers, comments: try await store.comments(questionID: question.id), votes: (0, [:]),
            duplicates: try await store.duplicates(of: question.id).filter { $0.hiddenAt == nil })
    }

    /// The caller's votes on a question and its answers (none for a guest).
    func votes(questionID: Int64, by principal: Principal) async throws -> (question: Int, answers: [Int64: Int]) {
        guard let userID = principal.userID else { return (0, [:]) }
        return try await store.votes(userID: userID, questionID: questionID)
    }

    /// Whether `principal` reads the page of `question` as every reader who sees no hidden post
    /// does (so a shared copy serves them); throws as `readable` does when they may not read it.
    func readsAlike(_ question: Question, in community: Community, hiddenAnswerAuthors: Set<Int64>, by principal: Principal) throws -> Bool {
        try requireReadable(question, in: community, by: principal)
        return question.hiddenAt == nil && !hiddenAnswerAuthors.contains { seesHidden(principal, in: community, author: $0) }
    }

    /// Comments on a question or an answer (members of its community).
    func comment(on target: VoteTarget, id: Int64, body rawBody: String, by principal: Principal) async throws -> Comment {
        let post = try await post(target, id, by: principal)
        let (question, community) = (post.question, post.community)
        try Policy.require(.comment, by: principal, on: directory.target(community))
        try Self.open(question, "comments")
        let screened = try await screen([("body", try Validation.commentBody(rawBody))], in: community, by: principal)
        if let word = screened.heldBy {
            throw ConveneError.invalid("body", "This community holds posts with “\(word)” for approval, and a comment cannot wait for it: rephrase, or answer instead.")
        }
        let body = screened.texts[0]
        let author = principal.userID!
        let notify = try await notices([post.author: .comment], mentionsIn: body, community: community, actor: author)
        let (comment, notified) = try await store.createComment(
            on: target, id: id, authorID: author, body: body, bodyHTML: Markdown.html(body), notify: notify, now: now())
        await notifications.deliver(ids: notified)
        live(question.id, "comment.created", ForumRoutes.CommentView(comment))
        return comment
    }

    func answer(questionID: Int64, body rawBody: String, by principal: Principal) async throws -> Answer {
        let (question, community) = try await readable(questionID, by: principal)
        try Policy.require(.answerQuestion, by: principal, on: directory.target(community))
        try Self.open(question, "answers")
        let screened = try await screen([("body", try Validation.postBody(rawBody))], in: community, by: principal)
        let body = screened.texts[0]
        let author = principal.userID!
        let held = screened.heldBy != nil
        let watchers = held ? [] : try await store.watchers(questionID: question.id)
        let notify =
            held
            ? [:]
            : try await notices(
                Dictionary(watchers.map { ($0, .newAnswer) }, uniquingKeysWith: { first, _ in first }), mentionsIn: body, community: community, actor: author)
        let (answer, notified) = try await store.createAnswer(
            questionID: question.id, authorID: author, body: body, bodyHTML: Markdown.html(body), heldBy: screened.heldBy, notify: notify, now: now())
        if let word = screened.flaggedBy, !held {
            _ = try await store.flagByWatchedWord(communityID: community.id, target: .answer, id: answer.id, word: word, now: now())
        }
        await autoWatch(question, userID: author)
        await notifications.deliver(ids: notified)
        if !held { live(question.id, "answer.created", ForumRoutes.AnswerView(answer)) }
        return answer
    }

    /// Votes −1, 0 or +1 on a question or answer of someone else's; returns the new score.
    func vote(_ target: VoteTarget, id: Int64, value rawValue: Int, by principal: Principal) async throws -> Int {
        let post = try await post(target, id, by: principal)
        let (questionID, community) = (post.question.id, post.community)
        var policyTarget = directory.target(community)
        policyTarget.callerIsOwner = post.author == principal.userID
        try Policy.require(.vote, by: principal, on: policyTarget)
        let value = try Validation.vote(rawValue)
        let score = try await store.vote(target, id: id, userID: principal.userID!, value: value, now: now())
        live(questionID, "vote.changed", VoteChange(target: target, id: id, score: score))
        return score
    }

    struct VoteChange: Encodable, Sendable {
        var target: VoteTarget
        var id: Int64
        var score: Int
    }

    /// Accepts an answer (the asker, or a moderator or lead), in place of any other; audited.
    /// Unaccepting (`accepted` false) takes the mark off the answer that has it.
    func accept(answerID: Int64, accepted: Bool, by principal: Principal) async throws -> (Question, AuditEntry) {
        guard let answer = try await store.answer(id: answerID) else { throw ConveneError.notFound("The answer") }
        let (question, community) = try await readable(answer.questionID, by: principal)
        var target = directory.target(community)
        target.callerIsOwner = question.authorID == principal.userID
        try Policy.require(.acceptAnswer, by: principal, on: target)
        if !accepted, question.acceptedAnswerID != answer.id { throw ConveneError(.conflict, "That answer is not the accepted one.") }
        let notify = accepted ? try await notices([answer.authorID: .accepted], mentionsIn: "", community: community, actor: principal.userID!) : [:]
        guard
            let changed = try await store.setAccepted(
                questionID: question.id, answerID: accepted ? answer.id : nil, by: principal.userID!,
                audit: NewAuditEntry(
                    communityID: community.id, actorID: principal.userID!, action: accepted ? "accept" : "unaccept", targetType: "answer",
                    targetID: answer.id, reason: accepted ? "Accepted." : "Unaccepted."),
                notify: notify, now: now())
        else { throw ConveneError(.conflict, "That answer is accepted already.") }
        await notifications.deliver(ids: changed.notifications)
        live(question.id, accepted ? "answer.accepted" : "answer.unaccepted", ForumRoutes.QuestionView(changed.0))
        return (changed.0, changed.1)
    }

    static let reasonLength = 300

    /// A closed question takes nothing new.
    private static func open(_ question: Question, _ what: String) throws(ConveneError) {
        guard question.closedAt == nil else {
            throw ConveneError(.conflict, "This question is closed (\(question.closeReason?.rawValue ?? "closed")): it takes no new \(what).")
        }
    }

    /// Closes a question (moderators): as a duplicate of another in its community — pointing to that
    /// one's canonical question — off-topic, or resolved elsewhere. Audited.
    func close(questionID: Int64, reason rawReason: String, duplicateOf: Int64?, by principal: Principal) async throws -> (Question, AuditEntry) {
        let (question, community) = try await readable(questionID, by: principal)
        try Policy.require(.closeQuestion, by: principal, on: directory.target(community))
        guard let reason = CloseReason(rawValue: rawReason) else {
            throw ConveneError.invalid("reason", "reason must be one of \(CloseReason.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        var canonical: Int64?
        if reason == .duplicate {
            guard let duplicateOf else { throw ConveneError.invalid("duplicate_of", "A duplicate names the question it repeats.") }
            guard let original = try await store.question(id: duplicateOf), original.communityID == community.id else {
                throw ConveneError.invalid("duplicate_of", "There is no question \(duplicateOf) in this community.")
            }
            canonical = original.duplicateOf ?? original.id
            guard canonical != question.id else { throw ConveneError.invalid("duplicate_of", "A question cannot duplicate itself.") }
        } else if duplicateOf != nil {
            throw ConveneError.invalid("duplicate_of", "Only a question closed as a duplicate names another.")
        }
        guard
            let closed = try await store.setClosed(
                questionID: question.id, reason: reason, duplicateOf: canonical, by: principal.userID!,
                audit: NewAuditEntry(
                    communityID: community.id, actorID: principal.userID!, action: "close", targetType: "question", targetID: question.id,
                    reason: reason.rawValue + (canonical.map { " of \($0)" } ?? "")),
                now: now())
        else { throw ConveneError(.conflict, "This question is closed already.") }
        live(question.id, "question.closed", ForumRoutes.QuestionView(closed.0))
        dropCanonicalPage(of: closed.0)
        return closed
    }

    /// A curation: `outdated` marks (with `note`) or clears the mark; `reviewBy` is absent (left as
    /// it is), null (cleared) or a day `YYYY-MM-DD`.
    struct Curation: Decodable, Sendable {
        var outdated: Bool?
        var note: String?
        var reviewBy: String??

        enum CodingKeys: String, CodingKey { case outdated, note, reviewBy }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            outdated = try container.decodeIfPresent(Bool.self, forKey: .outdated)
            note = try container.decodeIfPresent(String.self, forKey: .note)
            if container.contains(.reviewBy) {
                reviewBy = .some(try container.decodeNil(forKey: .reviewBy) ? nil : try container.decode(String.self, forKey: .reviewBy))
            }
        }
    }

    static let noteLength = 500

    /// Marks an accepted answer outdated with a note, or clears the mark, and sets or clears its
    /// review-by day (moderators). Audited.
    func curate(answerID: Int64, _ curation: Curation, by principal: Principal) async throws -> (Answer, AuditEntry) {
        guard let answer = try await store.answer(id: answerID) else { throw ConveneError.notFound("The answer") }
        let (_, community) = try await readable(answer.questionID, by: principal)
        try Policy.require(.curateAnswer, by: principal, on: directory.target(community))
        let note = curation.note?.trimmingCharacters(in: .whitespacesAndNewlines)
        if curation.outdated == true {
            guard let note, (1...Self.noteLength).contains(note.count) else {
                throw ConveneError.invalid("note", "Say in 1–\(Self.noteLength) characters what no longer holds.")
            }
            guard answer.acceptedAt != nil else { throw ConveneError(.conflict, "Only the accepted answer is marked outdated.") }
        } else if note != nil {
            throw ConveneError.invalid("note", "A note goes with outdated: true.")
        }
        var reviewBy: Date??
        if let day = curation.reviewBy {
            if let day {
                guard let date = Self.day(day) else { throw ConveneError.invalid("review_by", "review_by is a day, YYYY-MM-DD.") }
                guard date > now() else { throw ConveneError.invalid("review_by", "review_by must be after today.") }
                reviewBy = .some(date)
            } else {
                reviewBy = .some(nil)
            }
        }
        guard curation.outdated != nil || reviewBy != nil else { throw ConveneError.invalid("outdated", "Give outdated, review_by, or both.") }
        guard
            let curated = try await store.curate(
                answerID: answer.id, outdated: curation.outdated, note: note, reviewBy: reviewBy, by: principal.userID!,
                audit: NewAuditEntry(
                    communityID: community.id, actorID: principal.userID!, action: "curate", targetType: "answer", targetID: answer.id,
                    reason: note ?? "Review date."),
                now: now())
        else { throw ConveneError(.conflict, "The answer is marked so already.") }
        live(answer.questionID, "answer.curated", ForumRoutes.AnswerView(curated.0))
        return curated
    }

    /// A calendar day at 00:00 UTC.
    static func day(_ text: String) -> Date? {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, text.count == 10 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: parts[0], month: parts[1], day: parts[2])
        guard components.isValidDate(in: calendar) else { return nil }
        return calendar.date(from: components)
    }

    /// Reopens a closed question (moderators). Audited.
    func reopen(questionID: Int64, by principal: Principal) async throws -> (Question, AuditEntry) {
        let (question, community) = try await readable(questionID, by: principal)
        try Policy.require(.closeQuestion, by: principal, on: directory.target(community))
        guard
            let reopened = try await store.setClosed(
                questionID: question.id, reason: nil, duplicateOf: nil, by: principal.userID!,
                audit: NewAuditEntry(
                    communityID: community.id, actorID: principal.userID!, action: "reopen", targetType: "question", targetID: question.id,
                    reason: "Reopened."),
                now: now())
        else { throw ConveneError(.conflict, "This question is open.") }
        live(question.id, "question.reopened", ForumRoutes.QuestionView(reopened.0))
        dropCanonicalPage(of: question)
        return reopened
    }

    /// Edits a question (title, body, tags) or an answer (body): its author, or a moderator. Each
    /// edit is a revision; an edit that changes nothing returns the post as it is.
    func edit(
        _ target: VoteTarget, id: Int64, title rawTitle: String?, body rawBody: String?, tags rawTags: [String]?, reason rawReason: String?,
        by principal: Principal, action: Action = .editPost
    ) async throws -> (question: Question?, answer: Answer?) {
        let post = try await post(target, id, by: principal)
        let (questionID, community, current) = (post.question.id, post.community, post.body)
        var policyTarget = directory.target(community)
        policyTarget.callerIsOwner = post.author == principal.userID
        try Policy.require(action, by: principal, on: policyTarget)
        let reason = rawReason?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (reason?.count ?? 0) <= Self.reasonLength else { throw ConveneError.invalid("reason", "A reason is at most \(Self.reasonLength) characters.") }
        if target == .answer, rawTitle != nil || rawTags != nil { throw ConveneError.invalid(rawTitle != nil ? "title" : "tags", "An answer has no title or tags.") }
        let newTitle = try rawTitle.map { raw throws(ConveneError) in try Validation.questionTitle(raw) }
        let newBody = try rawBody.map { raw throws(ConveneError) in try Validation.postBody(raw) }
        var tags: [String]?
        if let rawTags { tags = try Validation.questionTags(rawTags, allowed: Set(try await store.tags(communityID: community.id).map(\.slug))) }
        let screened = try await screen([("title", newTitle ?? ""), ("body", newBody ?? "")], in: community, by: principal)
        if let word = screened.heldBy {
            // An edit would slip past the approval a new post waits for.
            throw ConveneError.invalid(newBody != nil ? "body" : "title", "This community holds posts with “\(word)” for approval: that edit was not saved.")
        }
        let body = newBody == nil ? current : screened.texts[1]
        let edit = PostEdit(
            title: newTitle == nil ? nil : screened.texts[0], body: body, bodyHTML: Markdown.html(body), tags: tags, editorID: principal.userID!,
            reason: reason?.isEmpty == false ? reason : nil)
        if let word = screened.flaggedBy {
            _ = try await store.flagByWatchedWord(
                communityID: community.id, target: target == .question ? .question : .answer, id: id, word: word, now: now())
        }
        switch target {
        case .question:
            guard let edited = try await store.editQuestion(id: id, edit, now: now()) else { return (try await store.question(id: id), nil) }
            live(questionID, "question.edited", ForumRoutes.QuestionView(edited))
            dropCanonicalPage(of: edited)
            return (edited, nil)
        case .answer:
            guard let edited = try await store.editAnswer(id: id, edit, now: now()) else { return (nil, try await store.answer(id: id)) }
            live(questionID, "answer.edited", ForumRoutes.AnswerView(edited))
            return (nil, edited)
        }
    }

    /// Every version of a question or answer with what each changed, for whoever may read it.
    func revisions(_ target: VoteTarget, id: Int64, by principal: Principal) async throws -> [(PostRevision, [LineDiff.Line])] {
        _ = try await post(target, id, by: principal)
        let revisions = try await store.revisions(of: target, id: id)
        return revisions.enumerated().map { index, revision in
            (revision, LineDiff.lines(from: index == 0 ? "" : revisions[index - 1].body, to: revision.body))
        }
    }

    /// Rolls a post back to an earlier revision (moderators): a new revision with that one's text.
    func rollback(_ target: VoteTarget, id: Int64, to number: Int, reason: String?, by principal: Principal) async throws
        -> (question: Question?, answer: Answer?)
    {
        _ = try await post(target, id, by: principal)
        guard let revision = try await store.revisions(of: target, id: id).first(where: { $0.number == number }) else {
            throw ConveneError.invalid("revision", "This post has no revision \(number).")
        }
        let why = "Rolled back to revision \(number)" + (reason.map { ": \($0)" } ?? ".")
        return try await edit(
            target, id: id, title: revision.title, body: revision.body, tags: revision.tags, reason: String(why.prefix(Self.reasonLength)), by: principal,
            action: .rollbackPost)
    }

    /// A question or answer as the caller may reach it.
    struct Post: Sendable {
        var author: Int64
        var body: String
        var question: Question
        var community: Community

        var authorAndCommunity: (Int64, Community) { (author, community) }
    }

    /// A question or answer with its question and community, for whoever may read it (a hidden
    /// one: its author and the moderators only); 404 otherwise.
    func post(_ target: VoteTarget, _ id: Int64, by principal: Principal) async throws -> Post {
        switch target {
        case .question:
            let (question, community) = try await readable(id, by: principal)
            return Post(author: question.authorID, body: question.body, question: question, community: community)
        case .answer:
            guard let answer = try await store.answer(id: id) else { throw ConveneError.notFound("The answer") }
            let (question, community) = try await readable(answer.questionID, by: principal)
            if answer.hiddenAt != nil, !seesHidden(principal, in: community, author: answer.authorID) { throw ConveneError.notFound("The answer") }
            return Post(author: answer.authorID, body: answer.body, question: question, community: community)
        }
    }

    /// The question and its community, after the Policy let the caller read the community (and,
    /// for a hidden question, its moderators and author only); 404 otherwise.
    func readable(_ questionID: Int64, by principal: Principal) async throws -> (Question, Community) {
        guard let question = try await store.question(id: questionID), let community = try await store.community(id: question.communityID) else {
            throw ConveneError.notFound("The question")
        }
        try requireReadable(question, in: community, by: principal)
        return (question, community)
    }

    /// Throws as `readable` does when `principal` may not read `question` of `community`: a
    /// question out of sight is not found.
    func requireReadable(_ question: Question, in community: Community, by principal: Principal) throws {
        do {
            try directory.requireReadable(community, by: principal)
        } catch let error as ConveneError where error.code == .notFound {
            throw ConveneError.notFound("The question")
        }
        if question.hiddenAt != nil, !seesHidden(principal, in: community, author: question.authorID) {
            throw ConveneError.notFound("The question")
        }
    }

}
