import ContainerMetrics
import DockerEngine
import DockerLibratoTesting
import Synchronization
import Testing
import Timekeeping

@_spi(Simulation) @testable import Collector

/// The start sample: a run the collector saw start gets its zero counters sent before its first sample, so that
/// the hub counts what the container did before that sample whenever it comes.
@Suite struct StatsPollerTests {
    /// A source whose every container has written 32 MiB (the cgroup-v2 host's `io.stat` of a writer that ran
    /// `dd … conv=fsync` as it started).
    struct WroteAtStart: StatsSource {
        var description: String { "fixed" }
        func sample(_ container: StatsTarget) async throws -> StatsSample {
            StatsSample(
                time: 1_796_000_040_000,
                memory: .init(usage: 1 << 20, limit: 1 << 30, rss: 0, cache: 0, inactiveFile: 0, oomKills: 0),
                pids: 1,
                blockIO: .init(readBytes: 0, writeBytes: 33_554_432, readOps: 0, writeOps: 30))
        }
    }

    static let watchingSinceNs: Int64 = 1_796_000_000_000_000_000

    func identity(_ tag: Character, startedAt: Int64) -> ContainerIdentity {
        ContainerIdentity(id: String(repeating: tag, count: 64), name: "c-\(tag)", image: "i", startedAt: startedAt)
    }

    /// One round; the stats records it queued, by container name.
    func round(_ poller: StatsPoller, _ queue: RecordQueue) async -> [String: [StatsSample]] {
        _ = await poller.round()
        var out: [String: [StatsSample]] = [:]
        var iterator = queue.items.makeAsyncIterator()
        while poller.metrics.get(.recordQueueDepth) > 0, let item = await iterator.next() {
            queue.consumed(item)
            if case .record(.stats(let c, let s)) = item { out[c.name, default: []].append(s) }
        }
        return out
    }

    @Test func aRunSeenStartingGetsItsZeroCountersOnceBeforeItsFirstSample() async throws {
        let metrics = CollectorMetrics()
        let registry = ContainerRegistry(metrics: metrics)
        let queue = RecordQueue(capacity: 100, metrics: metrics)
        // Started 40 s before its first sample (later than the hub's 25 s), after the collector started.
        let late = identity("a", startedAt: Self.watchingSinceNs + 1_000_000_000)
        // Running before the collector started: its history is not the collector's to count.
        let before = identity("b", startedAt: Self.watchingSinceNs - 1_000_000_000)
        for c in [late, before] {
            registry.set(.init(identity: c, target: StatsTarget(id: c.id, pid: 42), running: true, follower: nil, status: ContainerStatus(time: 0, state: .running)))
        }
        let poller = StatsPoller(
            source: WroteAtStart(), interval: .seconds(30), registry: registry, queue: queue, metrics: metrics, logger: Live.logger,
            clocks: .system, watchingSinceNs: Self.watchingSinceNs)

        let first = await round(poller, queue)
        let samples = try #require(first["c-a"])
        #expect(samples.count == 2)
        #expect(samples[0] == StatsSample(time: samples[1].time - 1, blockIO: .init(readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0)))
        #expect(samples[1].blockIO?.writeBytes == 33_554_432)
        #expect(first["c-b"]?.count == 1)
        // Diffed against it, the first real sample carries everything the container wrote.
        #expect(StatsInterval.between(samples[0], samples[1]).blockIO?.writeBytes == 33_554_432)
        #expect(metrics.get(.samplesProduced) == 2)

        // Once per run: the next round sends the sample alone; a restart (a new run) gets a start sample again.
        #expect(await round(poller, queue)["c-a"]?.count == 1)
        var restarted = late
        restarted.startedAt += 60_000_000_000
        registry.set(.init(identity: restarted, target: StatsTarget(id: late.id, pid: 43), running: true, follower: nil, status: ContainerStatus(time: 0, state: .running)))
        #expect(await round(poller, queue)["c-a"]?.count == 2)
    }

    /// A poller built without a start (the default) never sends one.
    @Test func noStartSamplesUnlessTold() async throws {
        let metrics = CollectorMetrics()
        let registry = ContainerRegistry(metrics: metrics)
        let queue = RecordQueue(capacity: 100, metrics: metrics)
        let c = identity("c", startedAt: Self.watchingSinceNs)
        registry.set(.init(identity: c, target: StatsTarget(id: c.id), running: true, follower: nil, status: ContainerStatus(time: 0, state: .running)))
        let poller = StatsPoller(source: WroteAtStart(), interval: .seconds(1), registry: registry, queue: queue, metrics: metrics, logger: Live.logger, clocks: .system)
        #expect(await round(poller, queue)["c-c"]?.count == 1)
    }
}
