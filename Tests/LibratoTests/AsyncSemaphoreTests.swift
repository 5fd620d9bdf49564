import Synchronization
import Testing

@testable import Librato

@Suite("AsyncSemaphore")
struct AsyncSemaphoreTests {
    @Test("never more than the permits in use at once")
    func bound() async throws {
        let sem = AsyncSemaphore(permits: 3)
        final class Counters: Sendable { let m = Mutex((current: 0, peak: 0)) }
        let box = Counters()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    try await sem.acquire()
                    box.m.withLock { $0.current += 1; $0.peak = max($0.peak, $0.current) }
                    await Task.yield()
                    box.m.withLock { $0.current -= 1 }
                    sem.release()
                }
            }
            try await group.waitForAll()
        }
        #expect(box.m.withLock { $0.peak } <= 3)
        #expect(box.m.withLock { $0.current } == 0)
    }

    @Test("a cancelled waiter throws and does not take a permit")
    func cancellation() async throws {
        let sem = AsyncSemaphore(permits: 1)
        try await sem.acquire()
        let waiter = Task { try await sem.acquire() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        sem.release()
        try await sem.acquire()  // the permit is still available
        sem.release()
    }
}
