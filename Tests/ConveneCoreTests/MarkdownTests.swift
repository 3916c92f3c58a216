import ConveneCore
import Testing

@Suite("Markdown to safe HTML")
struct MarkdownTests {
    @Test("the usual syntax renders")
    func syntax() {
        #expect(Markdown.html("Hello **world**") == "<p>Hello <strong>world</strong></p>")
        #expect(Markdown.html("an *idea* and `code`") == "<p>an <em>idea</em> and <code>code</code></p>")
        #expect(Markdown.html("one\ntwo\n\nthree") == "<p>one<br>two</p><p>three</p>")
        #expect(Markdown.html("- a\n- b") == "<ul><li>a</li><li>b</li></ul>")
        #expect(Markdown.html("> quoted") == "<blockquote>quoted</blockquote>")
        #expect(Markdown.html("```\nlet x = 1 < 2\n```") == "<pre><code>let x = 1 &lt; 2</code></pre>")
        #expect(
            Markdown.html("see [CASEL](https://casel.org/guide?a=1&b=2)")
                == "<p>see <a href=\"https://casel.org/guide?a=1&amp;b=2\" rel=\"nofollow noopener noreferrer\">CASEL</a></p>")
        #expect(
            Markdown.html("at https://example.org/x.")
                == "<p>at <a href=\"https://example.org/x\" rel=\"nofollow noopener noreferrer\">https://example.org/x</a>.</p>")
        #expect(Markdown.html("snake_case_name") == "<p>snake_case_name</p>")
    }

    /// Inputs that try to get markup or script through. None may leave a tag, an attribute or a
    /// URL scheme the renderer did not write itself.
    static let corpus = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[click](vbscript:msgbox(1))",
        "[x](https://ok.example\"onmouseover=\"alert(1))",
        "[x](https://ok.example' onmouseover='alert(1))",
        "[<img src=x onerror=alert(1)>](https://ok.example)",
        "https://ok.example/\"><script>alert(1)</script>",
        "`<script>alert(1)</script>`",
        "```\n</code></pre><script>alert(1)</script>\n```",
        "**<svg onload=alert(1)>**",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<style>body{display:none}</style>",
        "\"><script>alert(document.cookie)</script>",
        "[x](//evil.example)",
        "[x]( javascript:alert(1))",
        "<<script>script>alert(1)<</script>/script>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "> <script>alert(1)</script>",
        "- <b onclick=alert(1)>x</b>",
        "\u{0}<script>",
    ]

    @Test("an XSS corpus stays inert", arguments: corpus)
    func inert(input: String) {
        let html = Markdown.html(input)
        let allowedTags: Set = ["p", "br", "strong", "em", "code", "pre", "ul", "li", "blockquote", "a"]
        var index = html.startIndex
        while let open = html[index...].firstIndex(of: "<") {
            let close = html[open...].firstIndex(of: ">") ?? html.endIndex
            let tag = html[html.index(after: open)..<close]
            let name = tag.drop { $0 == "/" }.prefix { $0.isLetter }
            #expect(allowedTags.contains(String(name)), "unexpected tag <\(tag)> in \(html)")
            if name == "a" && !tag.hasPrefix("/") {
                #expect(tag.hasPrefix("a href=\"https://") || tag.hasPrefix("a href=\"http://") || tag.hasPrefix("a href=\"mailto:"), "\(tag)")
                #expect(tag.hasSuffix("rel=\"nofollow noopener noreferrer\""), "\(tag)")
                #expect(tag.filter { $0 == "\"" }.count == 4, "attribute break-out in \(tag)")
            } else {
                #expect(!tag.contains("="), "attribute in <\(tag)>")
            }
            index = close == html.endIndex ? close : html.index(after: close)
        }
        #expect(!html.lowercased().contains("javascript:") || !html.contains("href=\"javascript"))
    }
}
