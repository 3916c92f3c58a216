import ConveneCore
import Foundation
import Hummingbird

/// `GET /api/v1/search`: full-text search over what the caller may read.
struct SearchRoutes {
    let accounts: Accounts
    let messaging: Messaging

    struct SearchResponse: Encodable {
        var kind: String
        var messages: [MessageView]
        var hasMore: Bool
    }

    func add(to router: some RouterMethods<AppRequestContext>) {
        router.get("/api/v1/search") { request, context in
            let parameters = request.uri.queryParameters
            guard let q = parameters.get("q") else { throw ConveneError.invalid("q", "q is required.") }
            let kind = parameters.get("kind") ?? "message"
            guard kind == "message" else {
                throw ConveneError.invalid("kind", "kind must be message; questions become searchable with the forums.")
            }
            var slug: String?
            if let community = parameters.get("community") {
                slug = try Validation.slug(community, field: "community")
            }
            let limit = try Query.int(request, "limit", default: 20, range: 1...100)
            let offset = try Query.int(request, "offset", default: 0, range: 0...1_000)
            let found = try await messaging.search(q, communitySlug: slug, limit: limit, offset: offset, by: try await accounts.principal(context.auth))
            return try JSON.response(SearchResponse(kind: kind, messages: found.messages.map(MessageView.init), hasMore: found.hasMore))
        }
    }
}
