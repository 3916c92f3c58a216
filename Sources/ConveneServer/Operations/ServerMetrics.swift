import Foundation
import Prometheus
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The node's own counters, served at `/metrics` in Prometheus' text format. Each node has its
/// own registry (not the process-wide metrics system), so tests and nodes never share counts.
final class ServerMetrics: Sendable {
    /// Why a stream connection ended.
    enum Close: String, CaseIterable, Sendable {
        /// The client or the server closed it in the ordinary way.
        case normal
        /// It fell its outbox's bound behind (1013).
        case slowConsumer = "slow_consumer"
        /// It sent a message over `limits.frame_bytes` (1009).
        case tooLarge = "too_large"
        /// A protocol or I/O error ended it.
        case error
    }

    /// Why a note for the other nodes was not sent.
    enum BusDrop: String, CaseIterable, Sendable {
        /// The node's outgoing queue was full.
        case queueFull = "queue_full"
        /// It was longer than a PostgreSQL notification may be.
        case tooLarge = "too_large"
    }

    private let registry: PrometheusCollectorRegistry
    private let streamsOpenGauge: Gauge
    private let streamsOpened: Counter
    private let streamCloses: [Close: Counter]
    private let streamsRefused: Counter
    private let messagesCommitted: Counter
    private let responses: [Int: Counter]
    private let busNotesDropped: [BusDrop: Counter]
    private let busRecovered: Counter
    private let openStreams = Atomic(0)
    /// Stream connections this node accepts at once; more are refused at the upgrade.
    let streamLimit: Int

    init(streamLimit: Int) {
        self.streamLimit = streamLimit
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        streamsOpenGauge = registry.makeGauge(name: "convene_stream_connections", help: "Stream connections open now.")
        streamsOpened = registry.makeCounter(name: "convene_stream_connections_opened_total", help: "Stream connections accepted.")
        streamCloses = Dictionary(
            uniqueKeysWithValues: Close.allCases.map { reason in
                (reason, registry.makeCounter(name: "convene_stream_closes_total", labels: [("reason", reason.rawValue)], help: "Stream connections ended, by reason."))
            })
        streamsRefused = registry.makeCounter(
            name: "convene_stream_refused_total", labels: [("reason", "capacity")], help: "Stream upgrades refused because the node was at its connection limit.")
        messagesCommitted = registry.makeCounter(name: "convene_messages_committed_total", help: "Chat messages stored (retries of a stored message not counted).")
        responses = Dictionary(
            uniqueKeysWithValues: (1...5).map { kind in
                (kind, registry.makeCounter(name: "convene_http_responses_total", labels: [("status", "\(kind)xx")], help: "HTTP responses, by status class."))
            })
        busNotesDropped = Dictionary(
            uniqueKeysWithValues: BusDrop.allCases.map { reason in
                (reason, registry.makeCounter(name: "convene_bus_notes_dropped_total", labels: [("reason", reason.rawValue)], help: "Notes for the other nodes not sent, by reason."))
            })
        busRecovered = registry.makeCounter(
            name: "convene_bus_events_recovered_total", help: "Channel events a bus sweep published before any note announced them to this node: a missed note, or (under load) one still on its way.")
        streamsOpenGauge.set(Int64(0))
    }

    func busNoteDropped(_ reason: BusDrop) {
        busNotesDropped[reason]?.increment()
    }

    func busEventRecovered() {
        busRecovered.increment()
    }

    /// Whether one more stream may open; counts a refusal when not.
    func admitStream() -> Bool {
        guard openStreams.load(ordering: .relaxed) < streamLimit else {
            streamsRefused.increment()
            return false
        }
        return true
    }

    func streamOpened() {
        let open = openStreams.add(1, ordering: .relaxed).newValue
        streamsOpened.increment()
        streamsOpenGauge.set(Int64(open))
    }

    func streamClosed(_ reason: Close) {
        let open = openStreams.subtract(1, ordering: .relaxed).newValue
        streamCloses[reason]?.increment()
        streamsOpenGauge.set(Int64(open))
    }

    func messageCommitted() {
        messagesCommitted.increment()
    }

    func responded(status: Int) {
        responses[status / 100]?.increment()
    }

    /// The text exposition of every metric.
    func exposition() -> String {
        registry.emitToString()
    }

    /// The limit when none is configured: the process' open-file limit less a reserve for the
    /// store, logs and HTTP requests, so the node refuses streams before it runs out of files.
    static func defaultStreamLimit() -> Int {
        var limit = rlimit()
        #if os(Linux)
        let read = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        #else
        let read = getrlimit(RLIMIT_NOFILE, &limit)
        #endif
        guard read == 0, limit.rlim_cur < 100_000_000 else { return 1_000_000 }
        return max(64, Int(limit.rlim_cur) - 256)
    }
}
