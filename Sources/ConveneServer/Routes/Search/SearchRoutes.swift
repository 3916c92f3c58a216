import ConveneCore
import Foundation
import Hummingbird

/// `GET /api/v1/search`: full-text search over what the caller may read — messages, or questions
/// with their answers — and `GET /api/v1/knowledge`, the accepted answers of every community.
struct SearchRoutes {
    let accounts: Accounts
    let messaging: Messaging
    let forums: Forums

    enum Kind: String, CaseIterable {
        case message, question
    }

    struct MessagesResponse: Encodable {
        var kind: String
        var messages: [MessageView]
        var hasMore: Bool
    }

    struct QuestionsResponse: Encodable {
        var kind: String
        var questions: [ForumRoutes.QuestionView]
        var hasMore: Bool
    }

    struct KnowledgeResponse: Encodable {
        var entries: [KnowledgeEntryView]
        var hasMore: Bool
    }

    struct CommunityRef: Encodable {
        var id: Int64
        var slug: String
        var name: String
    }

    /// An accepted answer where it came from: community, question, who accepted it and when, and
    /// its curation (outdated mark, review-by day, whether that day has come).
    struct KnowledgeEntryView: Encodable {
        var community: CommunityRef
        var question: ForumRoutes.QuestionView
        var answer: ForumRoutes.AnswerView
        var acceptedBy: MessageView.Author
        var acceptedAt: Date?
        var outdated: Bool
        var reviewBy: Date?
        var pastReview: Bool
    }

    /// A slug query parameter, when given.
    private static func community(_ request: Request) throws(ConveneError) -> String? {
        guard let community = request.uri.queryParameters.get("community") else { return nil }
        return try Validation.slug(String(community), field: "community")
    }

    func add(to router: some RouterMethods<AppRequestContext>) {
        router.get("/api/v1/search") { request, context in
            let parameters = request.uri.queryParameters
            guard let q = parameters.get("q") else { throw ConveneError.invalid("q", "q is required.") }
            let kind = try Query.choice(request, "kind", default: Kind.message)
            let slug = try Self.community(request)
            let limit = try Query.int(request, "limit", default: 20, range: 1...100)
            let offset = try Query.int(request, "offset", default: 0, range: 0...1_000)
            let principal = try await accounts.principal(context.auth)
            switch kind {
            case .message:
                if parameters.get("tag") != nil { throw ConveneError.invalid("tag", "Messages have no tags; tag goes with kind=question.") }
                let found = try await messaging.search(q, communitySlug: slug, limit: limit, offset: offset, by: principal)
                return try JSON.response(MessagesResponse(kind: kind.rawValue, messages: found.messages.map(MessageView.init), hasMore: found.hasMore))
            case .question:
                let found = try await forums.search(
                    q, communitySlug: slug, tag: parameters.get("tag").map { String($0) }, limit: limit, offset: offset, by: principal)
                return try JSON.response(
                    QuestionsResponse(kind: kind.rawValue, questions: found.questions.map { ForumRoutes.QuestionView($0) }, hasMore: found.hasMore))
            }
        }
        router.get("/api/v1/knowledge") { request, context in
            let parameters = request.uri.queryParameters
            let q = parameters.get("q").map { String($0) }.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
            let limit = try Query.int(request, "limit", default: 20, range: 1...100)
            let offset = try Query.int(request, "offset", default: 0, range: 0...1_000)
            let found = try await forums.knowledge(
                q: q, communitySlug: try Self.community(request), tag: parameters.get("tag").map { String($0) }, due: try Query.bool(request, "due", default: false),
                limit: limit, offset: offset, by: try await accounts.principal(context.auth))
            let now = forums.now()
            return try JSON.response(
                KnowledgeResponse(
                    entries: found.entries.compactMap { entry in
                        guard let community = found.communities[entry.question.communityID] else { return nil }
                        return KnowledgeEntryView(
                            community: CommunityRef(id: community.id, slug: community.slug, name: community.name),
                            question: ForumRoutes.QuestionView(entry.question), answer: ForumRoutes.AnswerView(entry.answer),
                            acceptedBy: MessageView.Author(id: entry.answer.acceptedBy ?? 0, displayName: entry.acceptedByName),
                            acceptedAt: entry.answer.acceptedAt, outdated: entry.answer.outdatedAt != nil, reviewBy: entry.answer.reviewBy,
                            pastReview: entry.answer.reviewBy.map { $0 <= now } ?? false)
                    }, hasMore: found.hasMore))
        }
    }
}
