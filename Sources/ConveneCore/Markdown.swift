/// Markdown → safe HTML for message and post bodies. A deliberately small dialect: paragraphs,
/// line breaks, `code`, fenced code blocks, **bold**, *italic*, [links](https://…), bare
/// http(s) links, "- " lists and "> " quotes. Every character of the input reaches the output
/// escaped unless it is markdown syntax; links take only http, https and mailto URLs. No raw
/// HTML passes through, so the output is safe to insert as HTML.
public enum Markdown {
    public static func html(_ source: String) -> String {
        var output = ""
        var paragraph: [Substring] = []
        var list: [Substring] = []
        var quote: [Substring] = []
        var code: [Substring]?

        func flushParagraph() {
            guard !paragraph.isEmpty else { return }
            output += "<p>" + paragraph.map { inline($0) }.joined(separator: "<br>") + "</p>"
            paragraph = []
        }
        func flushList() {
            guard !list.isEmpty else { return }
            output += "<ul>" + list.map { "<li>" + inline($0) + "</li>" }.joined() + "</ul>"
            list = []
        }
        func flushQuote() {
            guard !quote.isEmpty else { return }
            output += "<blockquote>" + quote.map { inline($0) }.joined(separator: "<br>") + "</blockquote>"
            quote = []
        }
        func flushAll() {
            flushParagraph()
            flushList()
            flushQuote()
        }

        let lines = source.replacingCarriageReturns().split(separator: "\n", omittingEmptySubsequences: false)
        for line in lines {
            if var block = code {
                if line.trimmingSpaces().hasPrefix("```") {
                    output += "<pre><code>" + escape(block.joined(separator: "\n")) + "</code></pre>"
                    code = nil
                } else {
                    block.append(line)
                    code = block
                }
                continue
            }
            let trimmed = line.trimmingSpaces()
            if trimmed.hasPrefix("```") {
                flushAll()
                code = []
            } else if trimmed.isEmpty {
                flushAll()
            } else if trimmed.hasPrefix("- ") || trimmed.hasPrefix("* ") {
                flushParagraph()
                flushQuote()
                list.append(trimmed.dropFirst(2))
            } else if trimmed.hasPrefix(">") {
                flushParagraph()
                flushList()
                quote.append(trimmed.dropFirst().trimmingSpaces())
            } else {
                flushList()
                flushQuote()
                paragraph.append(trimmed)
            }
        }
        if let block = code {
            // An unclosed fence still shows its text, as code.
            output += "<pre><code>" + escape(block.joined(separator: "\n")) + "</code></pre>"
        }
        flushAll()
        return output
    }

    /// Escapes text for an HTML element or a double-quoted attribute.
    public static func escape<S: StringProtocol>(_ text: S) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            case "\u{0}": result += "\u{FFFD}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// A link target that may be rendered: http(s) or mailto, no spaces, quotes or control characters.
    public static func safeURL<S: StringProtocol>(_ raw: S) -> String? {
        let url = String(raw)
        guard !url.isEmpty, url.count <= 2048,
            !url.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == " " || $0 == "\"" || $0 == "<" || $0 == ">" || $0 == "`" })
        else { return nil }
        let lower = url.lowercased()
        if lower.hasPrefix("https://") || lower.hasPrefix("http://") {
            return url.count > (lower.hasPrefix("https://") ? 8 : 7) ? url : nil
        }
        if lower.hasPrefix("mailto:") && url.count > 7 { return url }
        return nil
    }

    static func link(_ url: String, _ label: String) -> String {
        "<a href=\"\(escape(url))\" rel=\"nofollow noopener noreferrer\">\(label)</a>"
    }

    /// Inline syntax of one line.
    static func inline(_ line: Substring) -> String {
        let characters = Array(line)
        var output = ""
        var index = 0
        var bold = false
        var italic = false

        func starts(_ token: String, at position: Int) -> Bool {
            let token = Array(token)
            guard position + token.count <= characters.count else { return false }
            return Array(characters[position..<position + token.count]) == token
        }
        func find(_ character: Character, from start: Int) -> Int? {
            var position = start
            while position < characters.count {
                if characters[position] == character { return position }
                position += 1
            }
            return nil
        }

        while index < characters.count {
            let character = characters[index]
            if character == "`", let end = find("`", from: index + 1) {
                output += "<code>" + escape(String(characters[(index + 1)..<end])) + "</code>"
                index = end + 1
            } else if starts("**", at: index) {
                output += bold ? "</strong>" : "<strong>"
                bold.toggle()
                index += 2
            } else if character == "*" || (character == "_" && (index == 0 || !characters[index - 1].isLetter || italic)) {
                output += italic ? "</em>" : "<em>"
                italic.toggle()
                index += 1
            } else if character == "[", let close = find("]", from: index + 1), close + 1 < characters.count, characters[close + 1] == "(",
                let end = find(")", from: close + 2), let url = safeURL(String(characters[(close + 2)..<end]))
            {
                output += link(url, escape(String(characters[(index + 1)..<close])))
                index = end + 1
            } else if starts("https://", at: index) || starts("http://", at: index) {
                var end = index
                while end < characters.count, !characters[end].isWhitespace { end += 1 }
                // Trailing punctuation ends a sentence, not the URL.
                while end > index, [".", ",", ")", "!", "?", ";", ":"].contains(characters[end - 1]) { end -= 1 }
                let candidate = String(characters[index..<end])
                if let url = safeURL(candidate) {
                    output += link(url, escape(candidate))
                } else {
                    output += escape(candidate)
                }
                index = max(end, index + 1)
            } else {
                output += escape(String(character))
                index += 1
            }
        }
        if italic { output += "</em>" }
        if bold { output += "</strong>" }
        return output
    }
}

extension StringProtocol {
    func trimmingSpaces() -> Substring {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return slice
    }

    func replacingCarriageReturns() -> String {
        String(self).split(separator: "\r\n", omittingEmptySubsequences: false).joined(separator: "\n")
            .split(separator: "\r", omittingEmptySubsequences: false).joined(separator: "\n")
    }
}
