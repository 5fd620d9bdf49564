import ContainerMetrics
import Testing
import WireFormat

@_spi(Benchmarks) @testable import Hub

@Suite("hub core: aggregation, dedupe, ownership, late data, delivery")
struct HubCoreTests {
    let config = HubConfiguration(periodMs: 60_000, graceMs: 4_000, startupGraceMs: 0, takeoverAfterMs: 25_000)

    @Test func statsBecomeGaugesAndCounterDeltasPerPeriod() {
        var hub = HubCore(configuration: config, now: 0)
        var a = FakeCollector()
        // Samples every 10 s from t=60 s to t=110 s: period [60, 120).
        for t in stride(from: Int64(60_000), through: 110_000, by: 10_000) {
            hub.ingest(a.frame { $0.stats(web, sample(at: t)) }, now: t)
        }
        let periods = hub.deliverAll(now: 124_000)
        #expect(periods.map(\.start) == [60_000])
        let w = container("web-1", in: periods)[0]
        // First sample has no baseline (container started long before): 5 intervals of CPU.
        #expect(w[.cpuPercent].count == 5)
        #expect(abs(w[.cpuPercent].mean - 50) < 0.001)
        #expect(w[.memoryUsed].count == 6)
        #expect(w[.memoryUsed].mean == Double(100 << 20))
        #expect(w[.netRxBytes] == Double(50 * 1000), "\(String(describing: w[.netRxBytes]?.bitPattern))")
        #expect(w[.blkioWriteBytes] == Double(50 * 20))
    }

    /// Found on the cgroup-v2 test host (and then on the v1 host): a `--cpus 0.5` container with 160 throttled
    /// periods was posted `docker.container.cpu.throttled.periods` 0 every period, and OOM kills likewise —
    /// `UInt64?.map(Double.init)` resolves to `Double(bitPattern:)`, so 250 became 1.2e-321.
    @Test func throttledPeriodsAndOOMKillsArePostedAsTheirDeltas() {
        var hub = HubCore(configuration: config, now: 0)
        var a = FakeCollector()
        for t in stride(from: Int64(60_000), through: 110_000, by: 10_000) {
            var s = sample(at: t)
            s.cpu?.periods = UInt64(t / 100)
            s.cpu?.throttledPeriods = UInt64(t / 200)
            s.cpu?.throttledNs = UInt64(t) * 1_000
            s.memory?.oomKills = UInt64(t / 10_000)
            hub.ingest(a.frame { $0.stats(web, s) }, now: t)
        }
        let w = container("web-1", in: hub.deliverAll(now: 124_000))[0]
        #expect(w[.cpuThrottledPeriods] == 250)  // (110 000 − 60 000) / 200
        #expect(w[.cpuThrottledSeconds] == 0.05)
        #expect(w[.memoryOOMKills] == 5)
    }

    /// A container that wrote 32 MiB as it started and was first sampled 40 s later (past the 25 s within which the
    /// hub itself takes a first sample's counters as new): without the collector's start sample nothing is
    /// counted; with it, all of it, and the start sample adds no gauge.
    @Test func aLateFirstSampleCountsFromTheCollectorsStartSample() {
        let writer = ContainerIdentity(id: String(repeating: "c", count: 64), name: "writer", image: "busybox", startedAt: 60_000_000_000)
        var first = sample(at: 100_000)
        first.blockIO = .init(readBytes: 0, writeBytes: 33_554_432, readOps: 0, writeOps: 30)
        let start = StatsSample(time: 99_999, blockIO: .init(readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0))

        var without = HubCore(configuration: config, now: 0)
        var a = FakeCollector()
        without.ingest(a.frame { $0.stats(writer, first) }, now: 100_000)
        #expect(container("writer", in: without.deliverAll(now: 130_000))[0][.blkioWriteBytes] == nil)

        var with = HubCore(configuration: config, now: 0)
        var b = FakeCollector()
        with.ingest(b.frame { $0.stats(writer, start); $0.stats(writer, first) }, now: 100_000)
        let w = container("writer", in: with.deliverAll(now: 130_000))[0]
        #expect(w[.blkioWriteBytes] == 33_554_432)
        #expect(w[.blkioWriteOps] == 30)
        #expect(w[.memoryUsed].count == 1)
    }

    @Test func aSecondCollectorOnTheSameEngineNeitherDoublesNorGaps() {
        var hub = HubCore(configuration: config, now: 0)
        var a = FakeCollector()
        var b = FakeCollector()
        // Both sample the same container; A owns it, B's samples are ignored while A reports.
        for t in stride(from: Int64(60_000), through: 90_000, by: 10_000) {
            hub.ingest(a.frame { $0.stats(web, sample(at: t)) }, now: t)
            hub.ingest(b.frame { $0.stats(web, sample(at: t + 3_000)) }, now: t + 3_000)
        }
        // A dies after t=90 s; B takes over once A has been silent for > 25 s (B's sample at 123 s).
        for t in stride(from: Int64(103_000), through: 173_000, by: 10_000) {
            hub.ingest(b.frame { $0.stats(web, sample(at: t)) }, now: t)
        }
        #expect(hub.counters[.takeovers] == 1)
        let periods = hub.deliverAll(now: 184_000)
        let w = container("web-1", in: periods)
        // Network bytes from t=60 s (first sample, no baseline) to t=173 s: exactly 113 s × 1000 B/s.
        let rx = w.compactMap { $0[.netRxBytes] }.reduce(0, +)
        #expect(rx == 113 * 1000)
    }

    @Test func logBucketsAreCountedOnceAcrossCollectorsAndRetransmissions() {
        var hub = HubCore(configuration: config, now: 0)
        var a = FakeCollector()
        var b = FakeCollector()
        for s in Int64(60)..<70 {
            hub.ingest(a.frame { $0.log(web, .stdout, second: s, lines: 3) }, now: s * 1000)
            hub.ingest(b.frame { $0.log(web, .stdout, second: s, lines: 3) }, now: s * 1000 + 1)
        }
        // A retransmission of an already applied frame is a duplicate by sequence.
        hub.ingest(a.frame(sequence: 3) { $0.log(web, .stdout, second: 62, lines: 3) }, now: 70_000)
        #expect(hub.counters[.bucketsDuplicate] == 10)
        #expect(hub.counters[.framesDuplicate] == 1)
        let periods = hub.deliverAll(now: 124_000)
        #expect(container("web-1", in: periods).compactMap { $0[.stdoutLines] }.reduce(0, +) == 30)
    }

    @Test func aCopyDroppedAsDuplicateIsNotAcknowledgedBeforeTheTakenCopyIsDelivered() {
        var hub = HubCore(configuration: config, now: 0)
        var a = FakeCollector()
        var b = FakeCollector()
        hub.ingest(b.frame { $0.log(web, .stdout, second: 61, lines: 3) }, now: 61_000)  // taken
        hub.ingest(a.frame { $0.log(web, .stdout, second: 61, lines: 3) }, now: 61_001)  // duplicate
        let ackA = { hub.acks().first { $0.0.collector == a.id }!.1.ackedThrough }
        // If B died now with its frame unacknowledged, A's copy must still be retransmittable.
        #expect(ackA() == 0)
        _ = hub.deliverAll(now: 124_000)
        #expect(ackA() == 1)
    }

    @Test func lateDataKeepsCountersExactAndDropsGauges() {
        var hub = HubCore(configuration: config, now: 0)
        var a = FakeCollector()
        hub.ingest(a.frame { $0.stats(web, sample(at: 60_000)) }, now: 60_000)
        _ = hub.deliverAll(now: 124_000)  // period 60 s closed and delivered
        // A partitioned collector delivers period-60 data late: its log lines must still be counted once.
        var late = FakeCollector()
        late.engine = "ENGINE-B"
        hub.ingest(late.frame { $0.log(db, .stderr, second: 70, lines: 5); $0.stats(db, sample(at: 70_000)) }, now: 125_000)
        #expect(hub.counters[.lateBuckets] == 1)
        #expect(hub.counters[.lateGaugeSamples] == 1)
        let next = hub.deliverAll(now: 184_000)
        #expect(next.map(\.start) == [120_000])
        let d = container("db", in: next)[0]
        #expect(d[.stderrLines] == 5)
        #expect(d[.cpuPercent].isEmpty)
    }

    @Test func aLateSampleAddsItsDeltasButNoneOfItsGauges() throws {
        var hub = HubCore(configuration: config, now: 0)
        var a = FakeCollector()
        var b = FakeCollector()
        hub.ingest(a.frame { $0.stats(web, sample(at: 60_000)) }, now: 60_000)
        _ = hub.deliverAll(now: 124_000)  // period 60 s closed and delivered
        // Another collector's sample of period 60 s arrives after it closed (at +30 s: past the takeover time).
        hub.ingest(b.frame { $0.stats(web, sample(at: 90_000)) }, now: 125_000)
        #expect(hub.counters[.lateGaugeSamples] == 1)
        let w = try #require(container("web-1", in: hub.deliverAll(now: 184_000)).first)
        // Deltas against the 60 s sample land in the oldest open period (120 s), so totals stay exact …
        #expect(w[.blkioReadBytes] == 300)
        #expect(w[.netRxBytes] == 30_000)
        #expect(w[.cpuThrottledPeriods] == 0)
        // … while its gauges, CPU % included (it has a baseline), belong to the closed period and are dropped.
        #expect(w.samples == 0)
        for gauge in ContainerGauge.allCases { #expect(w[gauge].isEmpty, "\(gauge)") }
    }

    @Test func acksFollowDeliveryNotReceipt() {
        var hub = HubCore(configuration: config, now: 0)
        var a = FakeCollector()
        hub.ingest(a.frame { $0.log(web, .stdout, second: 61, lines: 1) }, now: 61_000)
        hub.ingest(a.frame { $0.heartbeats = [Heartbeat(time: 61_500, values: ["spool_frames": 2])] }, now: 61_500)
        let key = LedgerKey(collector: a.id, epoch: a.epoch)
        #expect(hub.acks().first { $0.0 == key }?.1.ackedThrough == 0)
        #expect(hub.acks().first { $0.0 == key }?.1.nextExpected == 3)
        hub.closeDuePeriods(now: 124_000)
        #expect(hub.acks().first { $0.0 == key }?.1.ackedThrough == 0)  // closed, not yet delivered
        hub.delivered(periodStart: 60_000)
        #expect(hub.acks().first { $0.0 == key }?.1.ackedThrough == 2)
        #expect(hub.collectors[key]?.heartbeat["spool_frames"] == 2)
    }

    @Test func aRestartedHubRebuildsUndeliveredPeriodsWithoutDoubleCounting() throws {
        var hub = HubCore(configuration: config, now: 0)
        var a = FakeCollector()
        var sent: [OpenedFrame] = []
        for s in Int64(60)..<180 {
            let f = a.frame { b in
                b.log(web, .stdout, second: s, lines: 2)
                if s % 10 == 0 { b.stats(web, sample(at: s * 1000)) }
            }
            sent.append(f)
            hub.ingest(f, now: s * 1000)
            if s == 124 { _ = hub.deliverAll(now: 124_000) }  // period 60 delivered
        }
        let state = hub.stateFile()
        let acked = hub.acks()[0].1.ackedThrough
        #expect(acked == 60)  // frames of seconds 60...119 (seq 1...60) are done; period 120 is not delivered yet
        // The hub dies; a new one starts from the state file and the collector retransmits everything unacked.
        var restarted = HubCore(configuration: config, now: 200_000, restoring: try roundTrip(state))
        a.acked = acked
        for f in sent { restarted.ingest(f, now: 200_000) }
        #expect(restarted.counters[.framesDuplicate] == 60)
        // A frame built after the restart: the replay is over, periods may close.
        a.sendTime = 200_000
        restarted.ingest(a.frame { _ in }, now: 200_000)
        let periods = restarted.deliverAll(now: 200_000)
        let lines = container("web-1", in: periods).compactMap { $0[.stdoutLines] }.reduce(0, +)
        // Seconds 120...179 were never delivered: 60 seconds × 2 lines, once.
        #expect(lines == 120)
        // Stats deltas continue from the delivered baseline (sample at 120 s was in period 120, not delivered).
        let rx = container("web-1", in: periods).compactMap { $0[.netRxBytes] }.reduce(0, +)
        #expect(rx == Double((170 - 110) * 1000))
    }

    @Test func backpressureRefusesFramesWhilePeriodsPileUp() {
        var hub = HubCore(configuration: HubConfiguration(periodMs: 1_000, graceMs: 0, startupGraceMs: 0, maxPendingPeriods: 2), now: 0)
        var a = FakeCollector()
        for s in Int64(1)...2 { hub.ingest(a.frame { $0.log(web, .stdout, second: s, lines: 1) }, now: s * 1000) }
        // Two periods held (open ones count): the bound is reached, the next frame is refused and not applied.
        #expect(hub.ingest(a.frame { $0.log(web, .stdout, second: 3, lines: 1) }, now: 3_000) == .refused)
        hub.closeDuePeriods(now: 4_000)
        #expect(hub.pending.count == 2)
        #expect(hub.isBackpressured)
        #expect(hub.isBackpressured, "the control service adds the back-pressure flag to every ack")
        #expect(hub.acks()[0].1.nextExpected == 3)  // the refused frame will be retransmitted
        hub.delivered(periodStart: 1_000)
        #expect(!hub.isBackpressured)
    }

    @Test func seriesBeyondTheBoundAreCountedNotStored() {
        var hub = HubCore(configuration: HubConfiguration(startupGraceMs: 0, maxContainers: 1), now: 0)
        var a = FakeCollector()
        hub.ingest(a.frame { $0.log(web, .stdout, second: 1, lines: 1); $0.log(db, .stdout, second: 1, lines: 1) }, now: 1_000)
        #expect(hub.liveContainers == 1)
        #expect(hub.counters[.seriesOverflow] == 1)
    }

    @Test func aContainerRestartNeverProducesNegativeDeltas() {
        var hub = HubCore(configuration: config, now: 0)
        var a = FakeCollector()
        hub.ingest(a.frame { $0.stats(web, sample(at: 60_000, rxPerSec: 1000)) }, now: 60_000)
        var restarted = web
        restarted.startedAt = 65_000_000_000
        // After the restart the counters start again from zero: 5 s of traffic at 1000 B/s.
        var s = sample(at: 70_000)
        s.networks = [.init(interface: "eth0", rxBytes: 5_000)]
        hub.ingest(a.frame { $0.stats(restarted, s) }, now: 70_000)
        let w = container("web-1", in: hub.deliverAll(now: 124_000))[0]
        #expect(w[.netRxBytes] == 5_000)
    }

    func roundTrip(_ state: HubStateFile) throws -> HubStateFile {
        let store = HubStateStore(directory: nil)
        return try store.decode(store.encode(state))
    }
}
