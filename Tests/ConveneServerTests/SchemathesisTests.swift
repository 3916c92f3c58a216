import Foundation
import Testing

/// Hostile input over HTTP: schemathesis against the served OpenAPI document.
@Suite("reliability: schemathesis against openapi.yaml", .timeLimit(.minutes(6)))
struct SchemathesisTests {
    @Test("schemathesis, signed in as a member and as an admin, over every operation of openapi.yaml with at least 2 000 cases: no 5xx, no undocumented status, content type or header, no body breaking its schema")
    func schemathesis() async throws {
        let data = try CLITests.scratch()
        let (status, output) = try await ForumFeedTests.python("Tests/Reliability/schemathesis_run.py", [CLITests.binary.path, data])
        print(output.split(separator: "\n").suffix(4).joined(separator: "\n"))
        #expect(status == 0, "\(output.split(separator: "\n").filter { $0.hasPrefix("FAIL") }.prefix(40).joined(separator: "\n"))")
    }
}
