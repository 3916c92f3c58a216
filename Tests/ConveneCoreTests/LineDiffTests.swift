import ConveneCore
import Testing

@Suite("Line diff")
struct LineDiffTests {
    @Test("kept, removed and added lines come in reading order")
    func diff() {
        let lines = LineDiff.lines(from: "intro\nstep one\nstep two\nend", to: "intro\nstep one, revised\nstep two\nend\nP.S.")
        #expect(lines.map { "\($0.kind.rawValue)\($0.text)" } == [" intro", "-step one", "+step one, revised", " step two", " end", "+P.S."])
    }

    @Test("identical texts are all kept; an empty text adds or removes every line")
    func edges() {
        #expect(LineDiff.lines(from: "a\nb", to: "a\nb").allSatisfy { $0.kind == .same })
        #expect(LineDiff.lines(from: "", to: "x").map(\.kind) == [.removed, .added])
        #expect(LineDiff.lines(from: "a\nb", to: "b").map(\.kind) == [.removed, .same])
    }
}
