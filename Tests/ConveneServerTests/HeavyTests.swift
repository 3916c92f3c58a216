import Synchronization

/// The tests that load both cores for tens of seconds — the crash, shutdown and storm harnesses and
/// the browser — run one at a time, and only once no other test's node has been up for a few
/// seconds. Started together with the rest (Swift Testing starts every test at once), they starved
/// it on two cores: the other tests' seeding transactions sat idle past their time limits.
enum HeavyTests {
    private struct State {
        var nodes = 0
        var heavy = false
        /// Since when no node has been up (the start counts: the others have not begun yet).
        var quietSince: ContinuousClock.Instant? = .now
    }

    private static let state = Mutex(State())
    static let quiet: Duration = .seconds(5)

    /// Counts a test's node while `body` runs (`TestApp.with` wraps every node in it).
    static func node<T>(_ body: () async throws -> T) async rethrows -> T {
        state.withLock {
            $0.nodes += 1
            $0.quietSince = nil
        }
        defer {
            state.withLock {
                $0.nodes -= 1
                if $0.nodes == 0 { $0.quietSince = .now }
            }
        }
        return try await body()
    }

    /// Runs `body` alone among the heavy tests, once no node has been up for `quiet`.
    static func run<T>(_ body: () async throws -> T) async throws -> T {
        while true {
            let go = state.withLock { state -> Bool in
                guard !state.heavy, let since = state.quietSince, ContinuousClock.now - since >= quiet else { return false }
                state.heavy = true
                return true
            }
            if go { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        defer { state.withLock { $0.heavy = false } }
        return try await body()
    }
}
