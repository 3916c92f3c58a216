extension Policy {
    /// The role × action table, generated from `requiredRole` so the docs cannot drift from the
    /// code: for each action, which roles of a community may take it in a public and in a private
    /// community (own objects and channel rules noted under the table).
    public static func markdownTable() -> String {
        let roles = Role.allCases
        var lines = [
            "# Who may do what",
            "",
            "Generated from `Policy` by `convene policy` (a test fails when this file and the code differ).",
            "Each cell: allowed in a public community / in a private one. A role reaches its community and its",
            "committees; network grants reach every community. Silenced members are refused every action marked",
            "write (`403 silenced`); suspended members every action in the sanction's scope (`403 suspended`).",
            "",
            "| action | write | " + roles.map(\.rawValue).joined(separator: " | ") + " |",
            "|---|---|" + roles.map { _ in "---|" }.joined(),
        ]
        for action in Action.allCases {
            let publicRole = requiredRole(action, on: PolicyTarget(scope: .community(1), visibility: .public))
            let privateRole = requiredRole(action, on: PolicyTarget(scope: .community(1), visibility: .private))
            let cells = roles.map { role -> String in
                let mark = { (needed: Role) in role >= needed && (role != .guest || !action.requiresAccount) ? "✓" : "–" }
                return "\(mark(publicRole)) / \(mark(privateRole))"
            }
            lines.append("| `\(action.rawValue)` | \(action.isWrite ? "yes" : "no") | " + cells.joined(separator: " | ") + " |")
        }
        lines += [
            "",
            "Own objects: the author of a message may delete it and read its revisions as a member; the asker",
            "accepts an answer to their question and edits their own posts as a member; the author of a thread's first message promotes",
            "it to a question as a member (from a private channel only moderators do); the author of a hidden post still reads it;",
            "nobody votes on their own post; only the",
            "author edits it. Private channels: reading and posting need being added to the channel, or the",
            "moderator role. Announcement-only and locked channels: posting needs the moderator role. Sanctions: nobody",
            "sanctions themselves or a member whose role in the scope is as high as theirs.",
            "",
        ]
        return lines.joined(separator: "\n")
    }
}
