import ConveneCore
import ConveneStore
import Foundation

/// Search over the forums, the knowledge base of accepted answers, and the feed.
extension Forums {
    /// The community and its newest questions, for its feed.
    func feed(slug: String, tag: String?, limit: Int, by principal: Principal) async throws -> (Community, [Question]) {
        let community = try await directory.readable(slug: slug, by: principal)
        return (community, try await store.questions(communityID: community.id, filter: .all, sort: .newest, tag: tag, offset: 0, limit: limit))
    }

    /// Questions the caller may read matching `q` in themselves or their answers (solved ones
    /// ranked higher), in one community or all.
    func search(_ q: String, communitySlug: String?, tag: String?, limit: Int, offset: Int, by principal: Principal) async throws
        -> (questions: [Question], hasMore: Bool)
    {
        let terms = try Validation.searchTerms(q)
        let communities = try await directory.searched(communitySlug, by: principal)
        let found = try await store.searchQuestions(terms: terms, communityIDs: communities.map(\.id), tag: tag, limit: limit + 1, offset: offset)
        return (Array(found.prefix(limit)), found.count > limit)
    }

    /// A page of the knowledge base.
    struct Knowledge: Sendable {
        var entries: [KnowledgeEntry]
        var communities: [Int64: Community]
        var hasMore: Bool
    }

    /// Accepted answers across every community the caller may read (or the one named), matching
    /// `q` when given. `due` lists only those past their review-by day, in the communities where
    /// the caller reviews the knowledge base (moderators and leads).
    func knowledge(q: String?, communitySlug: String?, tag: String?, due: Bool, limit: Int, offset: Int, by principal: Principal) async throws
        -> Knowledge
    {
        let terms = try q.map { raw throws(ConveneError) in try Validation.searchTerms(raw) }
        var communities = try await directory.searched(communitySlug, by: principal)
        if due {
            guard principal.userID != nil else { throw ConveneError(.unauthenticated, "Sign in to see what is past its review date.") }
            if communitySlug != nil {
                for community in communities { try Policy.require(.reviewKnowledge, by: principal, on: directory.target(community)) }
            } else {
                communities = communities.filter { (try? Policy.require(.reviewKnowledge, by: principal, on: directory.target($0))) != nil }
                guard !communities.isEmpty else {
                    throw ConveneError.forbidden("Only a community's moderators and leads see what is past its review date.")
                }
            }
        }
        let found = try await store.knowledge(
            terms: terms, communityIDs: communities.map(\.id), tag: tag, reviewDue: due ? now() : nil, limit: limit + 1, offset: offset)
        return Knowledge(
            entries: Array(found.prefix(limit)), communities: Dictionary(uniqueKeysWithValues: communities.map { ($0.id, $0) }),
            hasMore: found.count > limit)
    }
}
