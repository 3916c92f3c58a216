import ConveneCore
import Foundation
import Hummingbird

/// `/api/v1/communities/{slug}/questions`, `/api/v1/questions/…`, `/api/v1/answers/…`.
struct ForumRoutes {
    let accounts: Accounts
    let forums: Forums
    let settings: Settings
    let readCache: ReadCache

    struct AskBody: Decodable {
        var title: String
        var body: String
        var tags: [String]

        struct PromoteBody: Decodable {
            var title: String
            var tags: [String]
        }
    }

    struct AnswerBody: Decodable {
        var body: String
    }

    struct EditBody: Decodable {
        var title: String?
        var body: String?
        var tags: [String]?
        var reason: String?
    }

    struct RollbackBody: Decodable {
        var revision: Int
        var reason: String?
    }

    struct RevisionView: Encodable {
        var number: Int
        var title: String?
        var body: String
        var tags: [String]?
        var editor: Author
        var reason: String?
        var createdAt: Date
        /// Lines of the body against the revision before: `" "` kept, `"-"` removed, `"+"` added.
        var diff: [LineDiff.Line]

        init(_ revision: PostRevision, diff: [LineDiff.Line]) {
            number = revision.number
            title = revision.title
            body = revision.body
            tags = revision.tags
            editor = Author(id: revision.editorID, displayName: revision.editorName)
            reason = revision.reason
            createdAt = revision.createdAt
            self.diff = diff
        }
    }

    struct VoteBody: Decodable {
        var value: Int
    }

    typealias Author = MessageView.Author

    struct QuestionView: Encodable {
        var id: Int64
        var communityId: Int64
        var author: Author
        var title: String
        var body: String
        var bodyHtml: String
        var tags: [String]
        var score: Int
        var answerCount: Int
        var acceptedAnswerId: Int64?
        var createdAt: Date
        var lastActivityAt: Date
        var closed: Bool
        var closedAt: Date?
        var closeReason: CloseReason?
        var duplicateOf: Int64?
        /// Promoted from a channel thread: its first message and channel.
        var sourceMessageId: Int64?
        var sourceChannelId: Int64?
        /// The call it was asked in and left unanswered.
        var sourceOccurrenceId: String?
        /// Hidden by flags or a moderator (seen only by moderators and its author).
        var hidden: Bool

        init(_ question: Question) {
            id = question.id
            communityId = question.communityID
            author = Author(id: question.authorID, displayName: question.authorName)
            title = question.title
            body = question.body
            bodyHtml = question.bodyHTML
            tags = question.tags
            score = question.score
            answerCount = question.answerCount
            acceptedAnswerId = question.acceptedAnswerID
            createdAt = question.createdAt
            lastActivityAt = question.lastActivityAt
            closed = question.closedAt != nil
            closedAt = question.closedAt
            closeReason = question.closeReason
            duplicateOf = question.duplicateOf
            sourceMessageId = question.sourceMessageID
            sourceChannelId = question.sourceChannelID
            sourceOccurrenceId = question.sourceOccurrence
            hidden = question.hiddenAt != nil
        }
    }

    struct AnswerView: Encodable {
        var id: Int64
        var questionId: Int64
        var author: Author
        var body: String
        var bodyHtml: String
        var score: Int
        var accepted: Bool
        var acceptedAt: Date?
        var acceptedBy: Int64?
        /// Marked outdated by a moderator, with why.
        var outdated: Bool
        var outdatedAt: Date?
        var outdatedNote: String?
        /// The day a moderator wants it looked at again.
        var reviewBy: Date?
        var createdAt: Date
        /// Hidden by flags or a moderator: its text is withheld from all but moderators and its author.
        var hidden: Bool
        /// The caller's vote (−1, 0, +1), on a question page.
        var myVote: Int?
        /// Its comments, oldest first, on a question page.
        var comments: [CommentView]?

        init(_ answer: Answer, myVote: Int? = nil, comments: [CommentView]? = nil) {
            id = answer.id
            questionId = answer.questionID
            author = Author(id: answer.authorID, displayName: answer.authorName)
            body = answer.body
            bodyHtml = answer.bodyHTML
            score = answer.score
            accepted = answer.acceptedAt != nil
            acceptedAt = answer.acceptedAt
            acceptedBy = answer.acceptedBy
            outdated = answer.outdatedAt != nil
            outdatedAt = answer.outdatedAt
            outdatedNote = answer.outdatedNote
            reviewBy = answer.reviewBy
            createdAt = answer.createdAt
            hidden = answer.hiddenAt != nil
            self.myVote = myVote
            self.comments = comments
        }
    }

    struct CommentView: Encodable {
        var id: Int64
        /// What it comments on: `question` or `answer`, and its id.
        var targetType: VoteTarget
        var targetId: Int64
        var author: Author
        var body: String
        var bodyHtml: String
        var createdAt: Date

        init(_ comment: Comment) {
            id = comment.id
            targetType = comment.targetType
            targetId = comment.targetID
            author = Author(id: comment.authorID, displayName: comment.authorName)
            body = comment.body
            bodyHtml = comment.bodyHTML
            createdAt = comment.createdAt
        }
    }

    /// A question page.
    struct PageView: Encodable {
        var question: QuestionView
        /// Comments on the question, oldest first (each answer carries its own).
        var comments: [CommentView]
        var answers: [AnswerView]
        var myVote: Int
        /// Another answer scores higher than the accepted one.
        var acceptedOutscored: Bool
        /// Questions closed as duplicates of this one.
        var duplicates: [DuplicateView]

        /// `page` with `vote(0)` as the caller's vote on the question and `vote(i + 1)` on its i-th answer.
        init(_ page: Forums.Page, vote: (Int) -> Int) {
            let accepted = page.answers.first { $0.id == page.question.acceptedAnswerID }
            func comments(_ target: VoteTarget, _ id: Int64) -> [CommentView] {
                page.comments.filter { $0.targetType == target && $0.targetID == id }.map(CommentView.init)
            }
            question = QuestionView(page.question)
            self.comments = comments(.question, page.question.id)
            answers = page.answers.enumerated().map { AnswerView($1, myVote: vote($0 + 1), comments: comments(.answer, $1.id)) }
            myVote = vote(0)
            acceptedOutscored = accepted.map { accepted in page.answers.contains { $0.score > accepted.score } } ?? false
            duplicates = page.duplicates.map { DuplicateView(id: $0.id, title: $0.title) }
        }
    }

    struct DuplicateView: Encodable {
        var id: Int64
        var title: String
    }

    struct CloseBody: Decodable {
        var reason: String
        var duplicateOf: Int64?
    }

    struct PromoteResponse: Encodable {
        var question: QuestionView
        /// The reply in the thread pointing to the question; null when the channel's rules refused it.
        var backLink: MessageView?
    }

    struct WatchBody: Decodable {
        var questionId: Int64?
        var community: String?
        var tag: String?
    }

    struct WatchView: Encodable {
        var id: Int64
        var kind: ForumWatch.Kind
        var communityId: Int64
        var questionId: Int64?
        var tag: String?
        var createdAt: Date

        init(_ watch: ForumWatch) {
            id = watch.id
            kind = watch.kind
            communityId = watch.communityID
            questionId = watch.questionID
            tag = watch.tag
            createdAt = watch.createdAt
        }
    }

    struct QuestionsResponse: Encodable {
        var questions: [QuestionView]
        var nextOffset: Int?
    }

    struct TagBody: Decodable {
        var name: String
    }

    /// A page to share between its readers, their votes left to fill in; nil when the template
    /// cannot be cut (then each reader gets their own page).
    static func shared(_ page: Forums.Page) throws -> ReadCache.Page? {
        guard
            let template = JSONTemplate(try JSON.encoder.encode(PageView(page, vote: JSONTemplate.marker)), key: "my_vote", slots: page.answers.count + 1)
        else { return nil }
        return ReadCache.Page(
            question: page.question, community: page.community, hiddenAnswerAuthors: page.hiddenAnswerAuthors, answerIDs: page.answers.map(\.id),
            template: template)
    }

    /// The caller's votes on a question page: kept with the page (a vote drops both), else read.
    func votes(on question: Int64, by principal: Principal) async throws -> ReadCache.Votes {
        guard let reader = principal.userID else { return (0, [:]) }
        if let kept = readCache.votes(question: question, reader: reader) { return kept }
        let mark = readCache.mark()
        let votes = try await forums.votes(questionID: question, by: principal)
        readCache.store(votes, question: question, reader: reader, since: mark)
        return votes
    }

    func add(to router: some RouterMethods<AppRequestContext>) {
        // A post as it will read: the renderer every message and post goes through, nothing stored.
        router.post("/api/v1/preview") { request, context in
            _ = try context.requireAuth()
            let body = try await request.decodeJSON(AnswerBody.self, limit: settings.maxBodyBytes)
            return try JSON.response(["html": Markdown.html(try Validation.postBody(body.body))])
        }
        router.put("/api/v1/communities/{slug}/tags/{tag}") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            guard let raw = context.parameters.get("tag") else { throw ConveneError.notFound("The tag") }
            let body = try await request.decodeJSON(TagBody.self, limit: settings.maxBodyBytes)
            let (tag, created) = try await forums.putTag(slug: try context.slug(), tag: raw, name: body.name, by: principal)
            return try JSON.response(tag, status: created ? .created : .ok)
        }
        router.get("/api/v1/communities/{slug}/questions") { request, context in
            let (offset, limit) = try Query.page(request)
            let (filter, sort) = (try Query.choice(request, "filter", default: QuestionFilter.all), try Query.choice(request, "sort", default: QuestionSort.activity))
            let tag = request.uri.queryParameters.get("tag").map { String($0) }
            let slug = try context.slug()
            let principal = try await accounts.principal(context.auth)
            let key = "\(slug):\(filter.rawValue):\(sort.rawValue):\(tag ?? ""):\(offset):\(limit)"
            return try await readCache.respond(key, readable: { try forums.directory.requireReadable($0, by: principal) }) {
                let (community, questions) = try await forums.questions(
                    slug: slug, filter: filter, sort: sort, tag: tag, offset: offset, limit: limit, by: principal)
                return ReadCache.Shared(
                    community: community,
                    body: try JSON.bytes(
                        QuestionsResponse(questions: questions.map { QuestionView($0) }, nextOffset: questions.count == limit ? offset + limit : nil)))
            }
        }
        router.get("/api/v1/communities/{slug}/questions.atom") { request, context in
            let slug = try context.slug()
            let tag = request.uri.queryParameters.get("tag").map { String($0) }
            let origin = request.origin(settings)
            let principal = try await accounts.principal(context.auth)
            // The links name the Host and the URI the client used, so the copy is kept per both.
            let key = "atom:\(origin)\(request.uri.string)"
            return try await readCache.respond(key, contentType: AtomFeed.contentType, readable: { try forums.directory.requireReadable($0, by: principal) }) {
                let (community, questions) = try await forums.feed(slug: slug, tag: tag, limit: Self.feedLength, by: principal)
                let path = "/api/v1/communities/\(slug)/questions"
                let feed = AtomFeed(
                    id: origin + path + ".atom" + (tag.map { "?tag=\($0)" } ?? ""),
                    title: "\(community.name) — questions" + (tag.map { " tagged \($0)" } ?? ""),
                    subtitle: "The newest questions asked in \(community.name).", selfLink: origin + (request.uri.string),
                    alternateLink: origin + path + (tag.map { "?tag=\($0)" } ?? ""),
                    updated: questions.map(\.lastActivityAt).max() ?? community.createdAt,
                    entries: questions.map { question in
                        AtomFeed.Entry(
                            id: "\(origin)/api/v1/questions/\(question.id)", title: question.title, link: "\(origin)/api/v1/questions/\(question.id)",
                            published: question.createdAt, updated: question.lastActivityAt, author: question.authorName, categories: question.tags,
                            summary: Self.summary(question), html: question.bodyHTML)
                    })
                return ReadCache.Shared(community: community, body: ByteBuffer(string: feed.xml))
            }
        }
        router.post("/api/v1/communities/{slug}/questions") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let body = try await request.decodeJSON(AskBody.self, limit: settings.maxBodyBytes)
            let question = try await forums.ask(slug: try context.slug(), title: body.title, body: body.body, tags: body.tags, by: principal)
            return try JSON.response(QuestionView(question), status: .created)
        }
        router.get("/api/v1/questions/{id}") { request, context in
            let id = try request.id("id", context: context, what: "The question")
            let principal = try await accounts.principal(context.auth)
            if let shared = try await readCache.page(id, orLoad: { [forums] in try await forums.sharedPage(questionID: id).flatMap(Self.shared) }),
                try forums.readsAlike(shared.question, in: shared.community, hiddenAnswerAuthors: shared.hiddenAnswerAuthors, by: principal)
            {
                return ReadCache.response(shared.render(votes: try await votes(on: id, by: principal)))
            }
            // Hidden text the caller may read, or no page to share (not there, or hidden): the
            // caller's own page, with its own checks.
            let page = try await forums.page(questionID: id, by: principal)
            let votes = page.votes
            return try JSON.response(PageView(page) { $0 == 0 ? votes.question : votes.answers[page.answers[$0 - 1].id] ?? 0 })
        }
        router.post("/api/v1/questions/{id}/answers") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let id = try request.id("id", context: context, what: "The question")
            let body = try await request.decodeJSON(AnswerBody.self, limit: settings.maxBodyBytes)
            return try JSON.response(AnswerView(try await forums.answer(questionID: id, body: body.body, by: principal)), status: .created)
        }
        for target in VoteTarget.allCases {
            router.post("/api/v1/\(target.rawValue)s/{id}/vote") { request, context in
                let principal = try await accounts.principal(try context.requireAuth())
                let id = try request.id("id", context: context, what: target == .question ? "The question" : "The answer")
                let body = try await request.decodeJSON(VoteBody.self, limit: settings.maxBodyBytes)
                let score = try await forums.vote(target, id: id, value: body.value, by: principal)
                return try JSON.response(["score": score, "my_vote": body.value])
            }
        }
        for target in VoteTarget.allCases {
            router.post("/api/v1/\(target.rawValue)s/{id}/comments") { request, context in
                let principal = try await accounts.principal(try context.requireAuth())
                let id = try request.id("id", context: context, what: target == .question ? "The question" : "The answer")
                let body = try await request.decodeJSON(AnswerBody.self, limit: settings.maxBodyBytes)
                return try JSON.response(CommentView(try await forums.comment(on: target, id: id, body: body.body, by: principal)), status: .created)
            }
        }
        for target in VoteTarget.allCases {
            let what = target == .question ? "The question" : "The answer"
            router.patch("/api/v1/\(target.rawValue)s/{id}") { request, context in
                let principal = try await accounts.principal(try context.requireAuth())
                let id = try request.id("id", context: context, what: what)
                let body = try await request.decodeJSON(EditBody.self, limit: settings.maxBodyBytes)
                let edited = try await forums.edit(target, id: id, title: body.title, body: body.body, tags: body.tags, reason: body.reason, by: principal)
                return try respond(edited)
            }
            router.get("/api/v1/\(target.rawValue)s/{id}/revisions") { request, context in
                let id = try request.id("id", context: context, what: what)
                let revisions = try await forums.revisions(target, id: id, by: try await accounts.principal(context.auth))
                return try JSON.response(["revisions": revisions.map { RevisionView($0.0, diff: $0.1) }])
            }
            router.post("/api/v1/\(target.rawValue)s/{id}/rollback") { request, context in
                let principal = try await accounts.principal(try context.requireAuth())
                let id = try request.id("id", context: context, what: what)
                let body = try await request.decodeJSON(RollbackBody.self, limit: settings.maxBodyBytes)
                return try respond(try await forums.rollback(target, id: id, to: body.revision, reason: body.reason, by: principal))
            }
        }
        router.post("/api/v1/answers/{id}/curate") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let id = try request.id("id", context: context, what: "The answer")
            let body = try await request.decodeJSON(Forums.Curation.self, limit: settings.maxBodyBytes)
            let (answer, audit) = try await forums.curate(answerID: id, body, by: principal)
            return try JSON.response(CurateResponse(answer: AnswerView(answer), audit: audit))
        }
        router.post("/api/v1/questions/{id}/close") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let id = try request.id("id", context: context, what: "The question")
            let body = try await request.decodeJSON(CloseBody.self, limit: settings.maxBodyBytes)
            let (question, audit) = try await forums.close(questionID: id, reason: body.reason, duplicateOf: body.duplicateOf, by: principal)
            return try JSON.response(AcceptResponse(question: QuestionView(question), audit: audit))
        }
        router.post("/api/v1/questions/{id}/reopen") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let id = try request.id("id", context: context, what: "The question")
            let (question, audit) = try await forums.reopen(questionID: id, by: principal)
            return try JSON.response(AcceptResponse(question: QuestionView(question), audit: audit))
        }
        router.post("/api/v1/messages/{id}/promote") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let id = try request.id("id", context: context, what: "The message")
            let body = try await request.decodeJSON(AskBody.PromoteBody.self, limit: settings.maxBodyBytes)
            let (question, backLink) = try await forums.promote(messageID: id, title: body.title, tags: body.tags, by: principal)
            return try JSON.response(PromoteResponse(question: QuestionView(question), backLink: backLink.map(MessageView.init)), status: .created)
        }
        router.get("/api/v1/watches") { _, context in
            let watches = try await forums.watches(by: try await accounts.principal(try context.requireAuth()))
            return try JSON.response(["watches": watches.map(WatchView.init)])
        }
        router.post("/api/v1/watches") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            let body = try await request.decodeJSON(WatchBody.self, limit: settings.maxBodyBytes)
            let (watch, created) = try await forums.watch(questionID: body.questionId, slug: body.community, tag: body.tag, by: principal)
            return try JSON.response(WatchView(watch), status: created ? .created : .ok)
        }
        router.delete("/api/v1/watches/{id}") { request, context in
            let principal = try await accounts.principal(try context.requireAuth())
            try await forums.unwatch(id: try request.id("id", context: context, what: "The watch"), by: principal)
            return Response(status: .noContent)
        }
        router.post("/api/v1/answers/{id}/accept") { request, context in
            try await accept(request, context, true)
        }
        router.delete("/api/v1/answers/{id}/accept") { request, context in
            try await accept(request, context, false)
        }
    }

    /// How many questions a feed carries.
    static let feedLength = 50

    /// A line under a feed entry's title: answers, solved or not, closed.
    static func summary(_ question: Question) -> String {
        var parts = [question.answerCount == 1 ? "1 answer" : "\(question.answerCount) answers"]
        parts.append(question.acceptedAnswerID != nil ? "solved" : "not solved yet")
        if let reason = question.closeReason { parts.append("closed (\(reason.rawValue.replacingOccurrences(of: "_", with: " ")))") }
        return parts.joined(separator: " · ")
    }

    private func respond(_ post: (question: Question?, answer: Answer?)) throws -> Response {
        if let question = post.question { return try JSON.response(QuestionView(question)) }
        guard let answer = post.answer else { throw ConveneError.notFound("The post") }
        return try JSON.response(AnswerView(answer))
    }

    private func accept(_ request: Request, _ context: AppRequestContext, _ accepted: Bool) async throws -> Response {
        let principal = try await accounts.principal(try context.requireAuth())
        let id = try request.id("id", context: context, what: "The answer")
        let (question, audit) = try await forums.accept(answerID: id, accepted: accepted, by: principal)
        return try JSON.response(AcceptResponse(question: QuestionView(question), audit: audit))
    }

    struct CurateResponse: Encodable {
        var answer: AnswerView
        var audit: AuditEntry
    }

    struct AcceptResponse: Encodable {
        var question: QuestionView
        var audit: AuditEntry
    }
}
