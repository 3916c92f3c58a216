import ConveneCore
import Foundation

/// How domain values are written into columns, the same for every adapter.
enum StoreEncoding {
    /// The unique key of a grant's scope: one grant per user, role and scope.
    static func scopeKey(_ scope: Scope) -> String {
        switch scope {
        case .network: "network"
        case .community(let id): "community:\(id)"
        case .committee(_, let id): "committee:\(id)"
        }
    }

    /// Roles a committee confers, stored comma-separated.
    static func roles(fromList list: String) -> [Role] {
        list.split(separator: ",").compactMap { Role(rawValue: String($0)) }
    }

    static func list(_ roles: [Role]) -> String {
        roles.map(\.rawValue).joined(separator: ",")
    }

    /// A message's reactions, kept beside it as JSON so reading a message costs no second query.
    static func json(_ reactions: [Reaction]) -> String {
        String(decoding: (try? JSONEncoder().encode(reactions)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func reactions(fromJSON json: String) -> [Reaction] {
        (try? JSONDecoder().decode([Reaction].self, from: Data(json.utf8))) ?? []
    }

    /// Pins a channel may hold at once.
    static let pinLimit = 50

    static let readinessOrder: [Readiness] = [.initiating, .improving, .innovating]

    /// The highest level among a state's communities.
    static func highest(_ levels: [Readiness]) -> Readiness? {
        levels.max { readinessOrder.firstIndex(of: $0)! < readinessOrder.firstIndex(of: $1)! }
    }
}
