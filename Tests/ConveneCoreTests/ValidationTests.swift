import ConveneCore
import Testing

@Suite("Validation")
struct ValidationTests {
    @Test("emails are trimmed and lower-cased")
    func normalisesEmail() throws {
        #expect(try Validation.email("  Ann.Lee@Example.ORG ") == "ann.lee@example.org")
    }

    @Test("malformed emails are refused naming the field", arguments: ["", "ann", "ann@", "@example.org", "ann@example", "a b@example.org", "ann@@x.org", "ann@.example.org"])
    func refusesMalformedEmail(raw: String) {
        #expect(throws: ConveneError.self) { try Validation.email(raw) }
        do {
            _ = try Validation.email(raw)
        } catch {
            #expect(error.code == .validationFailed)
            #expect(error.field == "email")
        }
    }

    @Test("passwords need 10 characters and are not common; no composition rules")
    func passwordRules() throws {
        let common: Set = ["1234567890", "qwertyuiop"]
        #expect(throws: ConveneError.self) { try Validation.password("short", commonPasswords: common) }
        #expect(throws: ConveneError.self) { try Validation.password("1234567890", commonPasswords: common) }
        #expect(throws: ConveneError.self) { try Validation.password("QWERTYUIOP", commonPasswords: common) }
        #expect(throws: ConveneError.self) { try Validation.password(String(repeating: "x", count: 129), commonPasswords: common) }
        try Validation.password("all lower case words", commonPasswords: common)
        try Validation.password("ünïcödé-pässwörd", commonPasswords: common)
    }

    @Test("display names are trimmed, bounded and free of control characters")
    func displayNames() throws {
        #expect(try Validation.displayName("  Ann Lee ") == "Ann Lee")
        #expect(throws: ConveneError.self) { try Validation.displayName("   ") }
        #expect(throws: ConveneError.self) { try Validation.displayName(String(repeating: "a", count: 81)) }
        #expect(throws: ConveneError.self) { try Validation.displayName("Ann\u{0007}") }
    }

    @Test("slugs are lower-case letters, digits and inner dashes")
    func slugs() throws {
        #expect(try Validation.slug("north-carolina") == "north-carolina")
        for bad in ["", "-a", "a-", "A", "a_b", "a b", String(repeating: "a", count: 61)] {
            #expect(throws: ConveneError.self) { try Validation.slug(bad) }
        }
    }

    @Test("a reaction is one emoji or a :short_name:", arguments: ["👍", "🎉", "❤️", "👩🏽‍🏫", "🇺🇸", "1️⃣", ":wave:", ":+1:", ":sel_win-2:"])
    func acceptsEmoji(raw: String) throws {
        #expect(try Validation.emoji(raw) == raw)
    }

    @Test("anything else is refused naming the field", arguments: ["", "a", "1", "#", "👍👍", "ok", "::", ":Wave:", ":two words:", "<img>", ":\(String(repeating: "a", count: 33)):"])
    func refusesOtherReactions(raw: String) {
        do {
            _ = try Validation.emoji(raw)
            Issue.record("accepted \(raw)")
        } catch {
            #expect(error.field == "emoji")
        }
    }
}
