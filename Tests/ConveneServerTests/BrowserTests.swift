import ConveneCore
import ConveneStore
import Foundation
import HummingbirdTesting
import Testing
@testable import ConveneServer

/// The web client in Debian's headless Chromium, driven by selenium (`Tests/Browser/web_client.py`)
/// against a live server. CI installs chromium, chromium-driver and selenium and sets
/// `CONVENE_BROWSER_TESTS=1`, so there the test always runs; elsewhere it runs when Chromium is there.
/// It runs after the other tests, alone among the heavy ones (`HeavyTests`), hence the long limit.
@Suite("web client in Chromium", .timeLimit(.minutes(15)))
struct BrowserTests {
    static var available: Bool {
        ProcessInfo.processInfo.environment["CONVENE_BROWSER_TESTS"] == "1"
            || (FileManager.default.fileExists(atPath: "/usr/bin/chromium") && FileManager.default.fileExists(atPath: "/usr/bin/chromedriver"))
    }

    @Test("two sessions: a message live, offline and back with each missed message once, ask → answer → accept, a hidden message gone, RSVP → lobby → admitted → both peers connected",
        .enabled(if: available))
    func webClient() async throws {
        try await HeavyTests.run {
            try await TestApp.with(.sqlite) { app in
                try await app.live { client, port async throws in
                    // The October call's lobby is open on the server's clock (sessions are made after the jump).
                    let start = try #require(ISO8601DateFormatter().date(from: "2026-10-13T20:00:00Z"))
                    app.clock.advance(start.timeIntervalSince(app.clock.now()) - 600)
                    _ = try await app.user(client, "Admin", admin: true)
                    let fall = try #require(try await CallsHTTPTests.ohioSeries(client).first?["id"] as? Int)
                    let (status, output) = try await ForumFeedTests.python(
                        "Tests/Browser/web_client.py", ["http://127.0.0.1:\(port)", "admin@example.org", "correct horse battery", "\(fall)-20261013T1600"])
                    print(output)
                    #expect(status == 0, "\(output.split(separator: "\n").filter { $0.hasPrefix("FAIL") }.joined(separator: "\n"))")
                }
            }
        }
    }
}
