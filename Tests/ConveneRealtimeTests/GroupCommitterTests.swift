import ConveneRealtime
import Synchronization
import Testing

@Suite("Group commit")
struct GroupCommitterTests {
    /// Records each batch; the first one holds until released, so later writes pile up behind it.
    final class SlowCommit: Sendable {
        let batches = Mutex<[[Int]]>([])
        let released = Mutex(false)

        func commit(_ inputs: [Int]) async -> [Result<Int, any Error>] {
            let isFirst = batches.withLock { batches in
                batches.append(inputs)
                return batches.count == 1
            }
            while isFirst && !released.withLock({ $0 }) {
                try? await Task.sleep(for: .milliseconds(5))
            }
            return inputs.map { .success($0 * 10) }
        }

        var started: Bool { batches.withLock { !$0.isEmpty } }
    }

    @Test("writes that arrive during a commit are committed together in the next batch, each answered with its own result")
    func batchesWhileCommitting() async throws {
        let slow = SlowCommit()
        let committer = GroupCommitter<Int, Int>(commit: { await slow.commit($0) })
        try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            group.addTask { (0, try await committer.submit(0)) }
            while !slow.started { try await Task.sleep(for: .milliseconds(5)) }
            for value in 1...50 {
                group.addTask { (value, try await committer.submit(value)) }
            }
            try await Task.sleep(for: .milliseconds(300))
            slow.released.withLock { $0 = true }
            var answers: [Int: Int] = [:]
            for try await (input, output) in group { answers[input] = output }
            #expect(answers.count == 51)
            #expect(answers.allSatisfy { $0.value == $0.key * 10 })
        }
        let batches = slow.batches.withLock { $0 }
        #expect(batches.first == [0])
        #expect(batches.count == 2, "the 50 writes queued during the first commit should form one batch: \(batches.map(\.count))")
        #expect(batches.dropFirst().flatMap { $0 }.sorted() == Array(1...50))
    }

    @Test("a batch is never larger than the limit, and order of submission is kept")
    func limitAndOrder() async throws {
        let seen = Mutex<[[Int]]>([])
        let committer = GroupCommitter<Int, Int>(maxBatch: 3) { inputs in
            seen.withLock { $0.append(inputs) }
            return inputs.map { .success($0) }
        }
        for value in 0..<10 {
            #expect(try await committer.submit(value) == value)
        }
        let batches = seen.withLock { $0 }
        #expect(batches.allSatisfy { $0.count <= 3 })
        #expect(batches.flatMap { $0 } == Array(0..<10))
    }

    @Test("a failed input fails alone")
    func failuresAreIndividual() async throws {
        struct Odd: Error {}
        let committer = GroupCommitter<Int, Int> { inputs in inputs.map { $0 % 2 == 0 ? .success($0) : .failure(Odd()) } }
        #expect(try await committer.submit(2) == 2)
        await #expect(throws: Odd.self) { try await committer.submit(3) }
    }
}
