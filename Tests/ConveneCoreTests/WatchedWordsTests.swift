import ConveneCore
import Foundation
import Testing

@Suite("Watched words")
struct WatchedWordsTests {
    static func word(_ pattern: String, _ action: WatchedAction, id: Int64 = 1) -> WatchedWord {
        WatchedWord(id: id, communityID: 1, pattern: pattern, action: action, createdBy: 1, createdAt: Date(timeIntervalSince1970: 0))
    }

    @Test("a pattern matches whole words and phrases, ignoring case; * stands for letters within a word", arguments: [
        ("casino", "Visit the CASINO tonight", 1),
        ("casino", "casinos are not this", 0),
        ("casino*", "casinos and casino", 2),
        ("free money", "get Free  money? no: free money!", 1),
        ("free money", "free moneyball", 0),
        ("o'brien", "ask O'Brien", 1),
        ("ssn", "my SSN: 123", 1),
        ("a.b", "axb a.b", 1),
    ])
    func matching(pattern: String, text: String, count: Int) {
        #expect(WatchedWords.ranges(of: pattern, in: text).count == count)
    }

    @Test("patterns are normalised, and nonsense is refused")
    func patterns() throws {
        #expect(try WatchedWords.pattern("  Free   Money ") == "free money")
        for bad in ["", "   ", "***", "a(b)", String(repeating: "x", count: 101), "[x]"] {
            #expect(throws: ConveneError.self, "\(bad)") { try WatchedWords.pattern(bad) }
        }
    }

    @Test("censored words become marks of the same length; block, hold and flag are found in the censored text; moderators are neither held nor flagged")
    func screening() {
        let words = [Self.word("darn", .censor), Self.word("casino", .block, id: 2), Self.word("raffle", .approve, id: 3), Self.word("bet*", .flag, id: 4)]
        #expect(WatchedWords.screen("Darn it, darn!", with: words).body == "■■■■ it, ■■■■!")
        let blocked = WatchedWords.screen("casino raffle betting", with: words)
        #expect(blocked.blockedBy?.id == 2)
        #expect(blocked.heldBy?.id == 3)
        #expect(blocked.flaggedBy?.id == 4)
        let moderator = WatchedWords.screen("raffle betting", with: words, exempt: true)
        #expect(moderator.heldBy == nil)
        #expect(moderator.flaggedBy == nil)
        #expect(WatchedWords.screen("nothing to see", with: words) == Screening(body: "nothing to see"))
    }
}
