import Foundation
import Testing

/// Hostile input over HTTP: schemathesis against the served OpenAPI document. It loads both cores
/// for about a minute, so it runs alone after the other tests (`HeavyTests`), hence the long limit.
@Suite("reliability: schemathesis against openapi.yaml", .timeLimit(.minutes(15)))
struct SchemathesisTests {
    @Test("schemathesis, signed in as a member and as an admin, over every operation of openapi.yaml with at least 2 000 cases: no 5xx, no undocumented status, content type or header, no body breaking its schema")
    func schemathesis() async throws {
        try await HeavyTests.run {
            try await ReliabilityTests.script("Tests/Reliability/schemathesis_run.py", [CLITests.binary.path, try CLITests.scratch()], summaryLines: 4)
        }
    }
}
