import ConveneCore
import Testing

@Suite("Mentions")
struct MentionsTests {
    @Test("@Name and @**Full Name** both give the name's key, each name once, in order")
    func forms() {
        #expect(Mentions.keys(in: "@**Ann Lee** and @bob, then @AnnLee again") == ["annlee", "bob"])
        #expect(Mentions.keys(in: "Thanks @María.") == ["maría"])
        #expect(Mentions.keys(in: "(@sam-k) @jo_x: hi") == ["sam-k", "jo_x"])
        #expect(Mentions.key("  Ann  Lee ") == "annlee")
    }

    @Test("email addresses, code and lone at-signs mention nobody")
    func notMentions() {
        #expect(Mentions.keys(in: "write to ann@example.org").isEmpty)
        #expect(Mentions.keys(in: "use `@bob` in code").isEmpty)
        #expect(Mentions.keys(in: "```\n@bob\n```\nafter").isEmpty)
        #expect(Mentions.keys(in: "@ alone, @@, @**unclosed").isEmpty)
        #expect(Mentions.keys(in: "```\n@inside\n```\n@outside") == ["outside"])
    }

    @Test("at most twenty names are read from one message")
    func limit() {
        let body = (1...30).map { "@user\($0)" }.joined(separator: " ")
        #expect(Mentions.keys(in: body).count == Mentions.limit)
    }
}
