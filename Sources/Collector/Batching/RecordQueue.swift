import Synchronization

/// The bounded queue between the readers (log followers, stats poller, event follower) and the batch builder.
///
/// Pushing never suspends, so a reader can emit what one entry or one tick produced atomically with its own state
/// change (that is what keeps a stream's buckets in second order). The bound is applied before reading: a reader
/// awaits ``waitForSpace()`` before taking its next entry, so while the sink is slow the readers stop pulling from
/// dockerd (which buffers in the container's log file) instead of growing memory; the depth may exceed the capacity
/// only by what one entry or one tick produced. The depth is published as `record_queue_depth` (`queue_depth` is
/// the delivery side's unsent frames).
final class RecordQueue: Sendable {
    enum Item: Sendable {
        case record(CollectorRecord)
        /// Time passed: the builder checks the age of its batch.
        case tick
    }

    let capacity: Int
    let items: AsyncStream<Item>
    private let continuation: AsyncStream<Item>.Continuation
    private let metrics: CollectorMetrics
    private let state = Mutex(State())

    struct State {
        var depth = 0
        var tickPending = false
        var finished = false
        var nextWaiter: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var cancelled: Set<UInt64> = []
    }

    init(capacity: Int, metrics: CollectorMetrics) {
        self.capacity = max(1, capacity)
        self.metrics = metrics
        (items, continuation) = AsyncStream.makeStream(of: Item.self, bufferingPolicy: .unbounded)
    }

    /// Appends records without suspending.
    func push(_ records: some Sequence<CollectorRecord>) {
        var n = 0
        for record in records {
            continuation.yield(.record(record))
            n += 1
        }
        guard n > 0 else { return }
        let depth = state.withLock {
            $0.depth += n
            return $0.depth
        }
        metrics.set(.recordQueueDepth, depth)
    }

    func push(_ record: CollectorRecord) { push(CollectionOfOne(record)) }

    /// Tells the builder that time passed (at most one tick waits in the queue).
    func tick() {
        let yield = state.withLock { s in
            if s.tickPending || s.finished { return false }
            s.tickPending = true
            return true
        }
        if yield { continuation.yield(.tick) }
    }

    /// The consumer took `item` out.
    func consumed(_ item: Item) {
        var resume: [CheckedContinuation<Void, Never>] = []
        let depth: Int = state.withLock { s in
            switch item {
            case .tick: s.tickPending = false
            case .record: s.depth -= 1
            }
            if s.depth < capacity, !s.waiters.isEmpty {
                resume = Array(s.waiters.values)
                s.waiters.removeAll()
            }
            return s.depth
        }
        if case .record = item { metrics.set(.recordQueueDepth, depth) }
        for c in resume { c.resume() }
    }

    /// Returns once the queue is below its capacity (or finished, or the task is cancelled).
    func waitForSpace() async {
        let id: UInt64? = state.withLock { s in
            if s.depth < capacity || s.finished { return nil }
            s.nextWaiter += 1
            return s.nextWaiter
        }
        guard let id else { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s in
                    if s.depth < capacity || s.finished || s.cancelled.remove(id) != nil { return true }
                    s.waiters[id] = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                if let c = s.waiters.removeValue(forKey: id) { return c }
                s.cancelled.insert(id)
                return nil
            }
            waiter?.resume()
        }
    }

    /// Whether ``finish()`` was called (the pipeline is stopping).
    var isFinished: Bool { state.withLock { $0.finished } }

    /// No more items: the builder drains what is queued and ends; waiting readers are released.
    func finish() {
        let waiters = state.withLock { s in
            s.finished = true
            let w = Array(s.waiters.values)
            s.waiters.removeAll()
            return w
        }
        for c in waiters { c.resume() }
        continuation.finish()
    }
}
