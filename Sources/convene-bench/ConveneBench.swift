import ArgumentParser
import Dispatch
import Foundation
import HTTPTypes
import Histogram
import HummingbirdWSClient
import Logging
import NIOWebSocket
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Load and latency benchmarks against a running Convene node, by URL.
@main
struct ConveneBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convene-bench",
        abstract: "Measure a running Convene node: fan-out latency and memory per idle socket; fill a forum for wrk.",
        subcommands: [Fanout.self, Connections.self, ForumFill.self])
}

/// Where the node is and who the bench acts as (an admin, so the send pace rules do not apply).
struct Target: ParsableArguments {
    @Option(help: "Base URL of the node.") var url = "http://127.0.0.1:8080"
    @Option(help: "Email of an admin account (convene user create --admin).") var email: String
    @Option(help: "Its password.") var password: String
    @Option(help: "The server's process id, to read its memory from /proc.") var pid: Int?

    var wsURL: String { Self.webSocketBase(url) }

    static func webSocketBase(_ url: String) -> String {
        url.replacingOccurrences(of: "http://", with: "ws://").replacingOccurrences(of: "https://", with: "wss://")
    }

    func post(_ path: String, _ body: [String: Any], token: String? = nil) async throws -> [String: Any] {
        var request = URLRequest(url: URL(string: url + path)!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        let (data, response) = try await URLSession.shared.data(for: request)
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        guard let status = (response as? HTTPURLResponse)?.statusCode, status < 300 else {
            throw ValidationError("\(path) answered \(String(describing: object["error"] ?? "an error"))")
        }
        return object
    }

    func login() async throws -> String {
        guard let token = try await post("/api/v1/auth/login", ["email": email, "password": password])["token"] as? String else {
            throw ValidationError("Login did not return a token.")
        }
        return token
    }

    /// The server's resident memory in KiB, from /proc/PID/status.
    func serverRSS() -> Int? {
        guard let pid, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }
}

/// Counts shared by many connections.
final class Tally: Sendable {
    let ready = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    let received = Atomic<Int>(0)
    let latencies = Mutex(Histogram<UInt64>(highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .three))
    /// Connections waiting for the end of the run: one suspended continuation each, no polling.
    private let waiting = Mutex<(stopped: Bool, next: UInt64, continuations: [UInt64: CheckedContinuation<Void, Never>])>((false, 0, [:]))

    /// Returns once `stop()` was called, or the task is cancelled.
    func stopped() async {
        let id = waiting.withLock { state in
            state.next += 1
            return state.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = waiting.withLock { state -> Bool in
                    if state.stopped || Task.isCancelled { return true }
                    state.continuations[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            waiting.withLock { $0.continuations.removeValue(forKey: id) }?.resume()
        }
    }

    /// Ends the run: every held connection closes.
    func stop() {
        let continuations = waiting.withLock { state in
            state.stopped = true
            defer { state.continuations = [:] }
            return Array(state.continuations.values)
        }
        for continuation in continuations { continuation.resume() }
    }

    func record(micros: UInt64) {
        _ = latencies.withLock { $0.record(micros) }
        received.add(1, ordering: .relaxed)
    }
}

/// Opens one stream connection, optionally subscribed, and keeps it until `tally.stop()`.
/// `on`: the base URL of the node to connect to (default: the target's).
func holdConnection(
    _ target: Target, on base: String? = nil, token: String, channel: Int?, tally: Tally, onFrame: (@Sendable (String) -> Void)? = nil
) async {
    var configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 20)
    configuration.additionalHeaders = [.authorization: "Bearer \(token)"]
    do {
        _ = try await WebSocketClient.connect(url: (base.map(Target.webSocketBase) ?? target.wsURL) + "/api/v1/stream", configuration: configuration, logger: Logger(label: "bench")) {
            inbound, outbound, _ in
            if let channel {
                try await outbound.write(.text("{\"op\":\"subscribe\",\"channel\":\(channel)}"))
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    await tally.stopped()
                    try await outbound.close(.normalClosure, reason: nil)
                }
                var counted = false
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message else { continue }
                    if !counted && (channel == nil ? text.contains("\"ready\"") : text.contains("\"caught_up\"")) {
                        counted = true
                        tally.ready.add(1, ordering: .relaxed)
                    }
                    onFrame?(text)
                }
                group.cancelAll()
            }
        }
    } catch {
        tally.failed.add(1, ordering: .relaxed)
    }
}

/// Hands out 0, 1, 2, … to concurrent callers.
final class Turns: Sendable {
    private let next = Atomic<Int>(0)
    func take() -> Int { next.add(1, ordering: .relaxed).oldValue }
}

/// Opens `count` connections, `batch` at a time, and waits until they are all ready or failed.
func openConnections(_ count: Int, batch: Int, into group: inout TaskGroup<Void>, tally: Tally, _ open: @escaping @Sendable () async -> Void)
    async
{
    for index in 0..<count {
        group.addTask { await open() }
        if (index + 1) % batch == 0 {
            while tally.ready.load(ordering: .relaxed) + tally.failed.load(ordering: .relaxed) < index + 1 - batch / 2 {
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
    }
    while tally.ready.load(ordering: .relaxed) + tally.failed.load(ordering: .relaxed) < count {
        try? await Task.sleep(for: .milliseconds(20))
    }
}

struct Fanout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "N subscribers in one channel, one sender at R messages/s; send→receive latency.")
    @OptionGroup var target: Target
    @Option(help: "Subscribers.") var subscribers = 50
    @Option(help: "Messages per second.") var rate = 20.0
    @Option(help: "Seconds of sending.") var duration = 10.0
    @Option(help: "Community to make the bench channel in.") var community = "national"
    @Option(
        name: .customLong("subscribe-url"),
        help: "Base URL of a node to hold subscribers on; repeat it for several nodes (subscribers take them in turn). Default: --url, where the sender posts.")
    var subscribeURLs: [String] = []

    func run() async throws {
        let token = try await target.login()
        let bases = subscribeURLs.isEmpty ? [target.url] : subscribeURLs
        let turn = Turns()
        let name = "bench-\(UInt32.random(in: 0...UInt32.max))"
        let channel = try await target.post("/api/v1/communities/\(community)/channels", ["name": name, "topic": "convene-bench"], token: token)
        guard let channelID = channel["id"] as? Int else { throw ValidationError("Could not create the bench channel.") }
        let tally = Tally()
        let rssBefore = target.serverRSS()
        await withTaskGroup(of: Void.self) { group in
            await openConnections(subscribers, batch: 200, into: &group, tally: tally) { [target] in
                let base = bases[turn.take() % bases.count]
                await holdConnection(target, on: base, token: token, channel: channelID, tally: tally) { text in
                    guard let range = text.range(of: "bench-at-") else { return }
                    let digits = text[range.upperBound...].prefix { $0.isNumber }
                    guard let sent = UInt64(digits) else { return }
                    let now = DispatchTime.now().uptimeNanoseconds
                    tally.record(micros: (now &- sent) / 1_000)
                }
            }
            print(
                "subscribers ready: \(tally.ready.load(ordering: .relaxed)) of \(subscribers) (failed \(tally.failed.load(ordering: .relaxed))), "
                    + "over \(bases.joined(separator: " and ")); sender posts to \(target.url)")
            let rssConnected = target.serverRSS()
            let sent = Atomic<Int>(0)
            // One sender posts over HTTP (the 201 comes after the commit): each body carries its send time.
            let interval = 1.0 / rate
            let start = Date()
            var next = start
            while Date().timeIntervalSince(start) < duration {
                let at = DispatchTime.now().uptimeNanoseconds
                _ = try? await target.post(
                    "/api/v1/channels/\(channelID)/messages", ["body": "bench-at-\(at)"], token: token)
                sent.add(1, ordering: .relaxed)
                next = next.addingTimeInterval(interval)
                let wait = next.timeIntervalSinceNow
                if wait > 0 { try? await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
            }
            let expected = sent.load(ordering: .relaxed) * tally.ready.load(ordering: .relaxed)
            let drainStart = Date()
            while tally.received.load(ordering: .relaxed) < expected && Date().timeIntervalSince(drainStart) < 30 {
                try? await Task.sleep(for: .milliseconds(50))
            }
            let elapsed = Date().timeIntervalSince(start)
            let histogram = tally.latencies.withLock { $0 }
            func ms(_ micros: UInt64) -> String { String(format: "%.1f ms", Double(micros) / 1000) }
            print("messages sent: \(sent.load(ordering: .relaxed)) at \(rate)/s; deliveries: \(tally.received.load(ordering: .relaxed)) of \(expected)")
            print(
                "latency p50 \(ms(histogram.valueAtPercentile(50))) · p90 \(ms(histogram.valueAtPercentile(90))) · "
                    + "p99 \(ms(histogram.valueAtPercentile(99))) · max \(ms(histogram.max))")
            print(String(format: "deliveries/s: %.0f", Double(tally.received.load(ordering: .relaxed)) / elapsed))
            if let rssBefore, let rssConnected, let rssAfter = target.serverRSS() {
                print("server RSS: \(rssBefore) KiB before, \(rssConnected) KiB connected, \(rssAfter) KiB after")
            }
            tally.stop()
        }
    }
}

struct Connections: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "N idle authenticated sockets; how many held, and server memory per socket.")
    @OptionGroup var target: Target
    @Option(help: "Sockets to open.") var count = 1000
    @Option(help: "Seconds to hold them.") var hold = 5.0

    func run() async throws {
        let token = try await target.login()
        let tally = Tally()
        let before = target.serverRSS()
        await withTaskGroup(of: Void.self) { group in
            await openConnections(count, batch: 500, into: &group, tally: tally) { [target] in
                await holdConnection(target, token: token, channel: nil, tally: tally)
            }
            try? await Task.sleep(for: .seconds(hold))
            let held = tally.ready.load(ordering: .relaxed)
            print("sockets held: \(held) of \(count) (failed \(tally.failed.load(ordering: .relaxed)))")
            if let before, let after = target.serverRSS(), held > 0 {
                print(String(format: "server RSS: %d KiB before, %d KiB with the sockets: %.1f KiB per socket", before, after, Double(after - before) / Double(held)))
            }
            tally.stop()
        }
    }
}
