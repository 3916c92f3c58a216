/// A line-by-line difference between two texts (longest common subsequence), as a reviewer reads it.
public enum LineDiff {
    public enum Kind: String, Sendable, Codable {
        case same = " "
        case added = "+"
        case removed = "-"
    }

    public struct Line: Sendable, Hashable, Codable {
        public var kind: Kind
        public var text: String

        public init(_ kind: Kind, _ text: String) {
            self.kind = kind
            self.text = text
        }
    }

    /// The lines of `old` and `new` in order: kept, removed (from `old`) and added (in `new`).
    /// Texts are compared whole past 2 000 lines each, so a huge post costs no quadratic table.
    public static func lines(from old: String, to new: String) -> [Line] {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let b = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard a.count <= 2_000, b.count <= 2_000 else {
            return old == new ? a.map { Line(.same, $0) } : a.map { Line(.removed, $0) } + b.map { Line(.added, $0) }
        }
        // lengths[i][j]: the longest common subsequence of a[i...] and b[j...].
        var lengths = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                lengths[i][j] = a[i] == b[j] ? lengths[i + 1][j + 1] + 1 : max(lengths[i + 1][j], lengths[i][j + 1])
            }
        }
        var result: [Line] = []
        var (i, j) = (0, 0)
        while i < a.count && j < b.count {
            if a[i] == b[j] {
                result.append(Line(.same, a[i]))
                i += 1
                j += 1
            } else if lengths[i + 1][j] >= lengths[i][j + 1] {
                result.append(Line(.removed, a[i]))
                i += 1
            } else {
                result.append(Line(.added, b[j]))
                j += 1
            }
        }
        result += a[i...].map { Line(.removed, $0) } + b[j...].map { Line(.added, $0) }
        return result
    }
}
