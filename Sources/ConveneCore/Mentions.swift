/// `@name` mentions in a message body. A name is written `@**Display Name**` (any name, spaces
/// and all) or `@DisplayName` (letters, digits, `.`, `_`, `-`; spaces in the name left out).
/// Both match a display name case-insensitively, spaces ignored: `@**Ann Lee**`, `@AnnLee` and
/// `@annlee` all name "Ann Lee". Text in code spans and fenced blocks mentions nobody, and an `@`
/// inside a word (an email address) is not a mention.
public enum Mentions {
    /// At most this many different names are read from one message.
    public static let limit = 20

    /// The key a display name is matched by: lower-cased, without white space.
    public static func key(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { !$0.properties.isWhitespace })
    }

    /// The keys of the names mentioned in `body`, each once, in order of first mention.
    public static func keys(in body: String) -> [String] {
        var keys: [String] = []
        for line in prose(body) {
            let characters = Array(line)
            var index = 0
            while index < characters.count, keys.count < limit {
                defer { index += 1 }
                guard characters[index] == "@" else { continue }
                if index > 0, characters[index - 1].isLetter || characters[index - 1].isNumber || characters[index - 1] == "@" { continue }
                var name = ""
                if characters[index + 1..<characters.count].starts(with: ["*", "*"]) {
                    var end = index + 3
                    while end + 1 < characters.count, !(characters[end] == "*" && characters[end + 1] == "*") { end += 1 }
                    guard end + 1 < characters.count else { continue }
                    name = String(characters[(index + 3)..<end])
                    index = end + 1
                } else {
                    var end = index + 1
                    while end < characters.count, characters[end].isLetter || characters[end].isNumber || "._-".contains(characters[end]) {
                        end += 1
                    }
                    // A trailing '.' or '-' ends the sentence, not the name.
                    while end > index + 1, ".-".contains(characters[end - 1]) { end -= 1 }
                    name = String(characters[(index + 1)..<end])
                    index = end - 1
                }
                let key = key(name)
                if !key.isEmpty, key.count <= 80, !keys.contains(key) { keys.append(key) }
            }
        }
        return keys
    }

    /// The body's lines outside fenced code blocks, with inline code spans blanked.
    private static func prose(_ body: String) -> [String] {
        var lines: [String] = []
        var fenced = false
        for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.drop(while: { $0 == " " }).hasPrefix("```") {
                fenced.toggle()
                continue
            }
            if fenced { continue }
            var kept = ""
            var inCode = false
            for character in line {
                if character == "`" {
                    inCode.toggle()
                    kept.append(" ")
                } else {
                    kept.append(inCode ? " " : character)
                }
            }
            lines.append(kept)
        }
        return lines
    }
}
