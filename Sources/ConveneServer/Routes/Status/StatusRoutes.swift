import Hummingbird
import ConveneCore

/// `/api/v1/status`: the public status report, per state.
struct StatusRoutes {
    let directory: NetworkDirectory

    struct StatusResponse: Encodable {
        struct Totals: Encodable {
            var states: Int
            var communities: Int
            var organizations: Int
        }
        var states: [StateStatusView]
        var totals: Totals
    }

    func add(to router: some RouterMethods<AppRequestContext>) {
        router.get("/api/v1/status") { _, _ in
            let states = try await directory.status()
            let communities = try await directory.communities(for: .anonymous)
            let organizations = try await directory.organizations()
            var response = try JSON.response(
                StatusResponse(
                    states: states.map(StateStatusView.init),
                    totals: .init(states: states.count, communities: communities.count, organizations: organizations.count)))
            response.headers[.cacheControl] = "public, max-age=60"
            return response
        }
    }
}
