import ConveneCore
import ConveneStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import ConveneServer

@Suite("the forum's Atom feed", .timeLimit(.minutes(2)))
struct ForumFeedTests {
    /// Runs a Python test script from Tests/ and returns its exit status and output, without
    /// blocking a thread of the cooperative pool while it runs.
    /// Runs a Python script of the repository; one still running after `timeout` seconds is
    /// stopped (SIGTERM, then SIGKILL), so a hung script fails its test instead of the suite.
    static func python(_ script: String, _ arguments: [String], timeout: Double = 600) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", TestApp.root.appendingPathComponent(script).path] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let watchdog = Task {
            try await Task.sleep(for: .seconds(timeout))
            process.terminate()
            try await Task.sleep(for: .seconds(10))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        defer { watchdog.cancel() }
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (status, process.terminationReason == .uncaughtSignal || status == -1 ? text + "\nFAIL: \(script) was stopped after \(Int(timeout)) s" : text)
    }

    @Test("feedparser reads the community's feed as Atom 1.0 with no error, entry for entry the questions the API lists, and a tag's feed as that tag's questions",
        arguments: TestApp.StoreKind.allCases)
    func feedparserReadsTheFeed(store: TestApp.StoreKind) async throws {
        try await TestApp.with(store) { app in
            try await app.live { client, port async throws in
                let (_, ann, bob, _) = try await StreamTests.setUp(app, client)
                let ohio = try #require(try await app.store.community(slug: "ohio"))
                let tags = try await app.store.tags(communityID: ohio.id).map(\.slug)
                try #require(tags.count >= 2)
                let titles = [
                    "How do you start advisory periods?", #"<b>Tom & Jerry</b> "quoted" 'too' — and 🎉"#, "Who runs your SEL committee?",
                    #"Brackets ]]> and a backslash \ in a title"#,
                ]
                var first = 0
                for (index, title) in titles.enumerated() {
                    app.clock.advance(60)
                    let asked = try await client.call(
                        .post, "/api/v1/communities/ohio/questions",
                        json: [
                            "title": title, "body": "Plain words first, then **bold** <script>alert(1)</script> & a bell\u{7}.", "tags": [tags[index % 2]],
                        ],
                        token: index % 2 == 0 ? ann : bob)
                    #expect(asked.status == .created, "\(asked.body)")
                    if index == 0 { first = try #require(asked.object["id"] as? Int) }
                }
                app.clock.advance(60)
                let answered = try await client.call(.post, "/api/v1/questions/\(first)/answers", json: ["body": "A circle."], token: bob)
                #expect(answered.status == .created)

                let run = try await Self.python("Tests/Feeds/atom_feed.py", ["http://127.0.0.1:\(port)", "ohio", tags[0]])
                #expect(run.status == 0, "\(run.output)")
            }
        }
    }

    @Test("the feed answers with the Atom content type; a private community's feed is not found for outsiders; a bad tag is an empty feed")
    func feedAccess() async throws {
        let app = try await TestApp.make(private: true)
        try await app.test { client async throws in
            let (_, ann, _, _) = try await StreamTests.setUp(app, client)
            let feed = try await client.call(.get, "/api/v1/communities/ohio/questions.atom")
            #expect(feed.status == .ok)
            #expect(feed.headers[.contentType] == "application/atom+xml; charset=utf-8")
            #expect(feed.body.hasPrefix(#"<?xml version="1.0" encoding="utf-8"?>"#))
            #expect(feed.body.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"))
            #expect(try await client.call(.get, "/api/v1/communities/steering-circle/questions.atom").status == .notFound)
            #expect(try await client.call(.get, "/api/v1/communities/steering-circle/questions.atom", token: ann).status == .notFound)
            #expect(try await client.call(.get, "/api/v1/communities/nowhere/questions.atom").status == .notFound)
            let none = try await client.call(.get, "/api/v1/communities/ohio/questions.atom?tag=no-such-tag")
            #expect(none.status == .ok)
            #expect(!none.body.contains("<entry>"))
        }
    }

    @Test("XML escaping keeps markup as text and drops characters XML cannot carry")
    func escaping() {
        #expect(AtomFeed.escape(#"<a href="x">Tom & 'Jerry'</a>"#) == "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;")
        #expect(AtomFeed.escape("bell\u{7}, tab\tkept, é and 🎉 kept") == "bell, tab\tkept, é and 🎉 kept")
        #expect(AtomFeed.escape("\u{FFFE}\u{FFFF}ok") == "ok")
    }
}
