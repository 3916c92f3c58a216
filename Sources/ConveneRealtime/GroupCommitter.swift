import Synchronization

/// Group commit: writes that arrive while a batch is committing wait and are committed together in
/// the next batch — one transaction, one fsync, then every answer — so a busy channel costs one
/// sync per batch, not per message. Batches run one at a time, in arrival order, so the order of
/// commits (and of the sequence numbers they assign) is the order of submission.
public final class GroupCommitter<Input: Sendable, Output: Sendable>: Sendable {
    public typealias Commit = @Sendable ([Input]) async -> [Result<Output, any Error>]

    private struct Job {
        var input: Input
        var continuation: CheckedContinuation<Output, any Error>
    }

    private struct State {
        var pending: [Job] = []
        var draining = false
    }

    private let state = Mutex(State())
    private let maxBatch: Int
    private let commit: Commit

    /// - Parameters:
    ///   - maxBatch: the most inputs one batch commits.
    ///   - commit: commits a batch; returns one result per input, in order.
    public init(maxBatch: Int = 512, commit: @escaping Commit) {
        self.maxBatch = max(1, maxBatch)
        self.commit = commit
    }

    /// Queues `input` for the next batch and returns its result once that batch has committed.
    public func submit(_ input: Input) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { state in
                state.pending.append(Job(input: input, continuation: continuation))
                if state.draining { return false }
                state.draining = true
                return true
            }
            if start {
                // Not a child of the submitter: a cancelled sender must not abandon the others' batch.
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { state -> [Job] in
                let batch = Array(state.pending.prefix(maxBatch))
                state.pending.removeFirst(batch.count)
                if batch.isEmpty { state.draining = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            var results = await commit(batch.map(\.input))
            if results.count != batch.count {
                results = Array(repeating: .failure(GroupCommitError.resultCountMismatch), count: batch.count)
            }
            for (job, result) in zip(batch, results) {
                job.continuation.resume(with: result)
            }
        }
    }
}

public enum GroupCommitError: Error {
    /// The commit closure returned a different number of results than inputs.
    case resultCountMismatch
}
