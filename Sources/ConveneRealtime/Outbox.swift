import Synchronization

/// A connection's bounded queue of outgoing frames. Fan-out pushes without waiting (guarantee 4:
/// one slow client never slows the others); a connection whose queue passes its bound is closed
/// as `overflowed` and resumes later from its last seq. The connection's single writer takes
/// everything queued at once, so a backlog goes out in one batch of writes.
public final class Outbox: Sendable {
    public enum Closure: Sendable, Equatable {
        /// The connection ended normally.
        case finished
        /// The client did not read fast enough and its queue passed the bound.
        case overflowed
        /// The node is shutting down: what is queued goes out, then the connection closes going away.
        case goingAway
    }

    private struct State {
        var frames: [String] = []
        var waiter: CheckedContinuation<[String]?, Never>?
        var spaceWaiters: [CheckedContinuation<Void, Never>] = []
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        var closure: Closure?
    }

    private let state = Mutex(State())
    public let limit: Int

    /// - Parameters:
    ///   - limit: the most frames queued before the connection counts as too slow.
    public init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Queues a frame without waiting. Returns false when the outbox is closed or has just overflowed.
    @discardableResult
    public func push(_ frame: String) -> Bool {
        var resume: (CheckedContinuation<[String]?, Never>, [String])?
        var overflowWaiters: [CheckedContinuation<Void, Never>] = []
        let accepted = state.withLock { state -> Bool in
            guard state.closure == nil else { return false }
            if state.frames.count >= limit {
                state.closure = .overflowed
                state.frames.removeAll()
                overflowWaiters = state.spaceWaiters + state.closeWaiters
                state.spaceWaiters = []
                state.closeWaiters = []
                if let waiter = state.waiter {
                    state.waiter = nil
                    resume = (waiter, [])
                }
                return false
            }
            state.frames.append(frame)
            if let waiter = state.waiter {
                state.waiter = nil
                resume = (waiter, state.frames)
                state.frames = []
            }
            return true
        }
        if let (waiter, frames) = resume { waiter.resume(returning: frames.isEmpty ? nil : frames) }
        overflowWaiters.forEach { $0.resume() }
        return accepted
    }

    /// Queues a frame, first waiting while the outbox is full: for replays, which one connection
    /// reads at its own pace. Returns false when the outbox closed.
    public func pushWaitingForSpace(_ frame: String) async -> Bool {
        while true {
            let full = state.withLock { state -> Bool? in
                guard state.closure == nil else { return nil }
                return state.frames.count >= limit / 2
            }
            guard let full else { return false }
            if !full { return push(frame) }
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    guard state.closure == nil, state.frames.count >= limit / 2 else { return true }
                    state.spaceWaiters.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// Everything queued, waiting for at least one frame; nil once the outbox is closed.
    public func next() async -> [String]? {
        await withCheckedContinuation { continuation in
            var spaceWaiters: [CheckedContinuation<Void, Never>] = []
            let immediate = state.withLock { state -> [String]?? in
                if !state.frames.isEmpty {
                    let frames = state.frames
                    state.frames = []
                    spaceWaiters = state.spaceWaiters
                    state.spaceWaiters = []
                    return .some(frames)
                }
                if state.closure != nil { return .some(nil) }
                state.waiter = continuation
                return .none
            }
            spaceWaiters.forEach { $0.resume() }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// Closes the outbox; the writer's `next()` returns nil.
    public func close(_ closure: Closure = .finished) {
        let (waiter, spaceWaiters) = state.withLock { state -> (CheckedContinuation<[String]?, Never>?, [CheckedContinuation<Void, Never>]) in
            if state.closure == nil { state.closure = closure }
            let waiter = state.waiter
            state.waiter = nil
            let spaceWaiters = state.spaceWaiters + state.closeWaiters
            state.spaceWaiters = []
            state.closeWaiters = []
            return (waiter, spaceWaiters)
        }
        waiter?.resume(returning: nil)
        spaceWaiters.forEach { $0.resume() }
    }

    /// Returns once the outbox is closed, for whatever reason.
    public func closed() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                guard state.closure == nil else { return true }
                state.closeWaiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Why the outbox closed, or nil while open.
    public var closure: Closure? { state.withLock { $0.closure } }
}
