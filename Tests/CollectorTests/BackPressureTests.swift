import ContainerMetrics
import DockerEngine
import DockerLibratoTesting
import Synchronization
import Testing
import WireFormat

@_spi(Simulation) @testable import Collector

@Suite struct RecordQueueTests {
    let identity = ContainerIdentity(id: String(repeating: "e", count: 64), name: "q", image: "i")

    func record(_ n: Int64) -> CollectorRecord { .event(identity, LifecycleEvent(timeNano: n, action: "start")) }

    /// Readers wait for space once the queue holds its capacity, and go on as soon as the builder takes an item.
    @Test func waitsForSpaceUntilConsumed() async throws {
        let metrics = CollectorMetrics()
        let queue = RecordQueue(capacity: 3, metrics: metrics)
        queue.push((1...3).map(record))
        #expect(metrics.get(.recordQueueDepth) == 3)
        let released = Mutex(false)
        let waiter = Task {
            await queue.waitForSpace()
            released.withLock { $0 = true }
        }
        var iterator = queue.items.makeAsyncIterator()
        // Nothing consumed: the waiter stays blocked (checked again after the consumption below).
        #expect(!released.withLock { $0 })
        let first = try #require(await iterator.next())
        queue.consumed(first)
        await waiter.value
        #expect(released.withLock { $0 })
        #expect(metrics.get(.recordQueueDepth) == 2)
    }

    @Test func cancellationAndFinishReleaseWaiters() async throws {
        let queue = RecordQueue(capacity: 1, metrics: CollectorMetrics())
        queue.push(record(1))
        let cancelled = Task { await queue.waitForSpace() }
        cancelled.cancel()
        await cancelled.value
        let finishing = Task { await queue.waitForSpace() }
        queue.finish()
        await finishing.value
        #expect(queue.isFinished)
        var items: [RecordQueue.Item] = []
        for await item in queue.items { items.append(item) }
        #expect(items.count == 1, "what was queued is still drained after finish")
    }

    @Test func atMostOneTickWaits() async {
        let queue = RecordQueue(capacity: 10, metrics: CollectorMetrics())
        queue.tick()
        queue.tick()
        queue.finish()
        var ticks = 0
        for await item in queue.items {
            if case .tick = item { ticks += 1 }
            queue.consumed(item)
        }
        #expect(ticks == 1)
    }
}

/// A sink that is slow, and fails its first submissions.
final class SlowFlakySink: RecordSink {
    let inner = CollectingSink()
    let failuresLeft = Mutex(2)
    let delay: Duration

    init(delay: Duration) { self.delay = delay }

    struct Refused: Error {}

    func submit(_ batch: Batch) async throws {
        try await Task.sleep(for: delay)
        if failuresLeft.withLock({ n in
            defer { n -= 1 }
            return n > 0
        }) {
            throw Refused()
        }
        try await inner.submit(batch)
    }
}

@Suite(.dockerDaemon) struct LiveBackPressureTests {
    /// A slow sink that refuses its first batches, a tiny queue and tiny frames: readers wait, nothing is lost or
    /// counted twice, and the queue stays bounded.
    @Test func slowFailingSinkLosesNothing() async throws {
        let tag = Live.uniqueTag("slow")
        let sink = SlowFlakySink(delay: .milliseconds(50))
        let metrics = CollectorMetrics()
        try await DockerTestHelper.withClient { client in
            var configuration = Live.configuration(namePrefix: "dl-test-\(tag)-")
            configuration.frameMaxBytes = 256
            let pipeline = try await RunningPipeline.start(
                try CollectorPipeline(
                    configuration: configuration,
                    client: client,
                    sink: sink,
                    metrics: metrics,
                    logger: Live.logger,
                    queueCapacity: 4
                )
            )
            let n = 400
            let container = try await TestContainer.run(
                tag,
                command: [
                    "sh", "-c",
                    "i=1; while [ $i -le \(n) ]; do echo o $i; echo e $i >&2; i=$((i+1)); if [ $((i % 50)) -eq 0 ]; then sleep 1; fi; done",
                ]
            )
            defer { container.remove() }
            let maxDepth = Mutex(0)
            do {
                try await Eventually.wait(for: "all lines through the slow sink", timeout: .seconds(90)) {
                    let depth = metrics.get(.recordQueueDepth)
                    maxDepth.withLock { $0 = max($0, depth) }
                    return sink.inner.lines(container.id, .stdout) >= UInt64(n) && sink.inner.lines(container.id, .stderr) >= UInt64(n)
                }
            } catch {
                let docker = try await DockerTestHelper.docker(["logs", container.id]).split(separator: "\n").count
                Issue.record(
                    """
                    \(error): counted \(sink.inner.lines(container.id, .stdout))/\(sink.inner.lines(container.id, .stderr)), \
                    queue \(metrics.get(.recordQueueDepth)), exited \(try await container.hasExited()), docker logs stdout lines \(docker), \
                    metrics \(metrics.snapshot().filter { $0.value != 0 })
                    """
                )
                throw error
            }
            try await pipeline.stop()
            #expect(sink.inner.lines(container.id, .stdout) == UInt64(n))
            #expect(sink.inner.lines(container.id, .stderr) == UInt64(n))
            Live.expectNoDuplicates(sink.inner.logs(container.id))
            #expect(sink.failuresLeft.withLock { $0 } < 0, "the sink refused batches, which were retried")
            // Bounded: the capacity plus what one entry or one round can add.
            #expect(maxDepth.withLock { $0 } <= 4 + 8)
            #expect(sink.inner.all.allSatisfy { $0.encode().count <= 256 })
        }
    }
}
