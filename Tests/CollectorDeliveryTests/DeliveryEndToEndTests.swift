import ContainerMetrics
import DockerLibratoTesting
import Logging
import Testing
import WireFormat

@_spi(Simulation) @testable import Collector

/// The deliverer against a small hub over real nanomsg TCP sockets.
@Suite("Delivery end to end over nanomsg", .serialized)
struct DeliveryEndToEndTests {
    static let key = try! ClusterKey(bytes: (0..<32).map { UInt8($0 + 1) })

    func configuration(_ hub: TestHub, stateDirectory: String? = nil, memory: Int = 1 << 20, disk: Int = 1 << 20) -> CollectorConfiguration {
        CollectorConfiguration(
            cluster: "test",
            hubAddress: hub.dataAddress,
            hubAckAddress: hub.ackAddress,
            clusterKey: Self.key,
            stateDirectory: stateDirectory,
            spoolMemoryBytes: memory,
            spoolDiskBytes: disk,
            heartbeatInterval: .seconds(3600)
        )
    }

    static let options = FrameDeliverer.Options(
        shutdownGrace: .milliseconds(20),
        ackPollInterval: .milliseconds(50),
        link: HubLink.Options(reconnectInterval: .milliseconds(20), reconnectIntervalMax: .milliseconds(200))
    )

    /// A batch whose one record says which submission it was.
    func batch(_ marker: Int) -> Batch {
        Batch(heartbeats: [Heartbeat(time: 1_700_000_000_000, values: ["marker": Double(marker)])])
    }

    /// Markers in the frames the hub accepted, with how often each arrived.
    func markers(_ hub: TestHub, epoch: UInt64) -> [Int: Int] {
        var counts: [Int: Int] = [:]
        for accepted in (hub.snapshot.accepted[epoch] ?? [:]).values {
            for h in accepted.batch.heartbeats { if let m = h.values["marker"] { counts[Int(m), default: 0] += 1 } }
        }
        return counts
    }

    func start(_ deliverer: FrameDeliverer) -> Task<Void, any Error> {
        Task { try await deliverer.run() }
    }

    func stop(_ run: Task<Void, any Error>) async throws {
        run.cancel()
        try await run.value
    }

    /// Waits until the hub is done through `last` (default: every frame built so far) and the spool is empty.
    func waitUntilAcknowledged(_ deliverer: FrameDeliverer, _ hub: TestHub, through last: UInt64? = nil) async throws {
        try await Eventually.wait(for: "hub done through \(last.map(String.init) ?? "the last frame") and the spool empty", timeout: .seconds(60)) {
            let state = await deliverer.spoolState
            let last = last ?? state.nextSequence - 1
            return hub.doneThrough(epoch: deliverer.epoch) >= last && state.spoolFrames == 0 && state.ackedThrough >= last
        }
    }

    /// Checks that `ranges` are disjoint and cover exactly `expected`.
    func expectExactCover(_ ranges: [AbandonedRange], _ expected: ClosedRange<UInt64>, sourceLocation: SourceLocation = #_sourceLocation) {
        var counts: [UInt64: Int] = [:]
        for r in ranges { for s in r.first...r.last { counts[s, default: 0] += 1 } }
        #expect(counts.keys.sorted() == Array(expected), sourceLocation: sourceLocation)
        #expect(counts.values.allSatisfy { $0 == 1 }, "a sequence reported twice", sourceLocation: sourceLocation)
    }

    @Test func everyFrameArrivesOnceAndIsAcknowledged() async throws {
        let hub = TestHub(key: Self.key)
        try hub.start()
        let metrics = CollectorMetrics()
        let deliverer = try FrameDeliverer(
            configuration: configuration(hub),
            engineID: "engine-1",
            host: "host-1",
            metrics: metrics,
            options: Self.options
        )
        let run = start(deliverer)
        for i in 0..<300 { try await deliverer.submit(batch(i)) }
        try await waitUntilAcknowledged(deliverer, hub, through: 300)
        try await stop(run)
        await hub.stop()

        let accepted = hub.snapshot.accepted[deliverer.epoch] ?? [:]
        #expect(accepted.keys.sorted() == Array(1...300))
        #expect(markers(hub, epoch: deliverer.epoch) == Dictionary(uniqueKeysWithValues: (0..<300).map { ($0, 1) }))
        let header = try #require(accepted[300]?.header)
        #expect(header.collectorID == deliverer.collectorID)
        #expect((header.engineID, header.cluster, header.host) == ("engine-1", "test", "host-1"))
        #expect(metrics.get(.framesBuilt) == 300)
        #expect(metrics.get(.framesAcked) == 300)
        #expect(metrics.get(.spoolFrames) == 0)
        #expect(metrics.get(.spoolDroppedFrames) == 0)
    }

    @Test func aHubRestartLosesFramesInFlightAndTheyAreRetransmittedFromNextExpected() async throws {
        let hub = TestHub(key: Self.key)
        try hub.start()
        let metrics = CollectorMetrics()
        let deliverer = try FrameDeliverer(configuration: configuration(hub), engineID: "e", host: "h", metrics: metrics, options: Self.options)
        let run = start(deliverer)
        for i in 0..<50 { try await deliverer.submit(batch(i)) }
        try await waitUntilAcknowledged(deliverer, hub, through: 50)

        // The hub stops reading; 100 more frames go into its connection's buffers …
        await hub.stopReceiving()
        for i in 50..<150 { try await deliverer.submit(batch(i)) }
        try await Eventually.wait(for: "all frames handed to nanomsg") { metrics.get(.framesSent) >= 150 }
        #expect(hub.doneThrough(epoch: deliverer.epoch) == 50)
        // … and dies with them. It comes back with its ledger (a state file) on the same addresses.
        try await hub.restart()
        try await waitUntilAcknowledged(deliverer, hub, through: 150)
        try await stop(run)
        await hub.stop()

        let accepted = hub.snapshot.accepted[deliverer.epoch] ?? [:]
        #expect(accepted.keys.sorted() == Array(1...150), "every sequence exactly once (the hub keeps one copy)")
        #expect(markers(hub, epoch: deliverer.epoch) == Dictionary(uniqueKeysWithValues: (0..<150).map { ($0, 1) }))
        #expect(metrics.get(.framesRetransmitted) >= 100, "the frames lost with the hub were sent again")
    }

    @Test func anUnreachableHubFillsTheSpoolWhichDropsTheOldestAndReportsThem() async throws {
        let hub = TestHub(key: Self.key)
        let metrics = CollectorMetrics()
        let logs = LogCapture()
        let deliverer = try FrameDeliverer(
            configuration: configuration(hub, memory: 8_000),
            engineID: "e",
            host: "h",
            metrics: metrics,
            logger: logs.logger(level: .info),
            options: Self.options
        )
        let run = start(deliverer)
        // submit never waits for the hub, which is not there.
        for i in 0..<100 { try await deliverer.submit(batch(i)) }
        let state = await deliverer.spoolState
        let droppedCount = UInt64(metrics.get(.spoolDroppedFrames))
        #expect(droppedCount > 0)
        #expect(state.spoolFrames == 100 - Int(droppedCount))
        #expect(state.spooledSequences == Array((droppedCount + 1)...100))
        #expect(state.spoolBytes <= 8_000)
        // Each frame built carries the ranges dropped before it; what is not in a surviving frame is still pending.
        #expect(state.pending.allSatisfy { $0.reason == .dropped && $0.last <= droppedCount })
        #expect(metrics.get(.framesSent) == 0)
        let warnings = logs.entries.filter { $0.message.hasPrefix("spool full") }
        #expect(warnings.first?.metadata["first"] == "1")
        #expect(warnings.reduce(0) { $0 + (Int("\($1.metadata["frames"] ?? "0")") ?? 0) } == Int(droppedCount), "every drop logged")

        // The hub appears: the reports travel with the surviving frames (and a frame built for what is left), and the
        // hub ends with every sequence accounted for exactly once.
        try hub.start()
        try await waitUntilAcknowledged(deliverer, hub)
        try await stop(run)
        await hub.stop()
        // The frame built for the report may push out one more frame (the bound holds whoever is listening), even
        // one already on its way: the hub then has it and is told it was dropped, and keeps the data.
        let totalDropped = UInt64(metrics.get(.spoolDroppedFrames))
        #expect(totalDropped >= droppedCount)
        let last = await deliverer.spoolState.nextSequence - 1
        let snapshot = hub.snapshot
        let accepted = Set((snapshot.accepted[deliverer.epoch] ?? [:]).keys)
        #expect(accepted.isSuperset(of: (totalDropped + 1)...last))
        #expect(snapshot.abandoned.allSatisfy { $0.reason == .dropped && $0.epoch == deliverer.epoch })
        expectExactCover(snapshot.abandoned, 1...totalDropped)
        let received = markers(hub, epoch: deliverer.epoch)
        #expect(received.values.allSatisfy { $0 == 1 })
        #expect(Set(received.keys).isSuperset(of: Int(totalDropped)..<100), "every frame not dropped arrived")
    }

    @Test func aKilledCollectorResumesWithoutReusingASequence() async throws {
        let dir = try TemporaryDirectory("kill")
        defer { dir.remove() }
        let hub = TestHub(key: Self.key)
        try hub.start()
        let first = try FrameDeliverer(
            configuration: configuration(hub, stateDirectory: dir.path),
            engineID: "e",
            host: "h",
            options: Self.options
        )
        let run1 = start(first)
        for i in 0..<10 { try await first.submit(batch(i)) }
        try await waitUntilAcknowledged(first, hub, through: 10)
        await hub.stopReceiving()
        for i in 10..<20 { try await first.submit(batch(i)) }
        // kill -9: nothing more is written; the sockets die with the process.
        await first.simulateCrash()
        try await stop(run1)

        let second = try FrameDeliverer(
            configuration: configuration(hub, stateDirectory: dir.path),
            engineID: "e",
            host: "h",
            options: Self.options
        )
        #expect(second.collectorID == first.collectorID)
        #expect(second.epoch == first.epoch)
        let restored = await second.spoolState
        #expect(Array(restored.spooledSequences.suffix(10)) == Array(11...20), "unacknowledged frames come back from disk")
        #expect(restored.nextSequence == 1025, "the rest of the reserved block is skipped, never reused")
        #expect(restored.pending == [AbandonedRange(epoch: first.epoch, first: 21, last: 1024, reason: .acknowledged)])

        try await hub.restart()
        let run2 = start(second)
        for i in 20..<25 { try await second.submit(batch(i)) }
        let last = await second.spoolState.nextSequence - 1
        try await waitUntilAcknowledged(second, hub, through: last)
        try await stop(run2)
        await hub.stop()

        let snapshot = hub.snapshot
        let accepted = snapshot.accepted[first.epoch] ?? [:]
        #expect(accepted.keys.sorted() == Array(1...20) + Array(1025...last))
        #expect(snapshot.abandoned == [AbandonedRange(epoch: first.epoch, first: 21, last: 1024, reason: .acknowledged)])
        #expect(markers(hub, epoch: first.epoch) == Dictionary(uniqueKeysWithValues: (0..<25).map { ($0, 1) }))
    }

    @Test func aGracefulShutdownKeepsTheSpoolForTheNextStart() async throws {
        let dir = try TemporaryDirectory("shutdown")
        defer { dir.remove() }
        let hub = TestHub(key: Self.key)
        let first = try FrameDeliverer(
            configuration: configuration(hub, stateDirectory: dir.path),
            engineID: "e",
            host: "h",
            options: Self.options
        )
        let run1 = start(first)
        for i in 0..<30 { try await first.submit(batch(i)) }
        try await stop(run1)
        await #expect(throws: FrameDeliverer.SubmitError.stopped) { try await first.submit(batch(99)) }

        try hub.start()
        let second = try FrameDeliverer(
            configuration: configuration(hub, stateDirectory: dir.path),
            engineID: "e",
            host: "h",
            options: Self.options
        )
        #expect(await second.spoolState.spooledSequences == Array(1...30))
        let run2 = start(second)
        try await waitUntilAcknowledged(second, hub)
        try await stop(run2)
        await hub.stop()
        #expect(markers(hub, epoch: second.epoch) == Dictionary(uniqueKeysWithValues: (0..<30).map { ($0, 1) }))
        #expect(dir.files("spool").count <= 1, "settled segments are removed (the one being written stays)")
    }

    @Test func heartbeatsCarryTheCollectorsMetrics() async throws {
        let hub = TestHub(key: Self.key)
        try hub.start()
        var config = configuration(hub)
        config.heartbeatInterval = .milliseconds(100)
        let deliverer = try FrameDeliverer(configuration: config, engineID: "e", host: "h", options: Self.options)
        let run = start(deliverer)
        let heartbeat = try await Eventually.value(of: "a heartbeat at the hub") {
            (hub.snapshot.accepted[deliverer.epoch] ?? [:]).values.lazy.compactMap(\.batch.heartbeats.first).first
        }
        try await stop(run)
        await hub.stop()
        #expect(heartbeat.values["frames_built"] != nil)
        #expect(heartbeat.values["spool_frames"] != nil)
        #expect(heartbeat.values["spool_bytes"] != nil)
    }
}
