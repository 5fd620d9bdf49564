import ContainerMetrics
import DockerLibratoTesting
import Logging
import Testing
import Timekeeping
import WireFormat

@_spi(Simulation) @testable import Collector

/// The deliverer's timing rules on a manual clock over real nanomsg sockets: the ack poll and retransmission wait
/// for the injected clock, not for real time.
@Suite("delivery timing on a manual clock", .serialized)
struct ManualClockDeliveryTests {
    static let key = try! ClusterKey(bytes: (0..<32).map { UInt8($0 + 7) })

    /// A deliverer to `hub` with a 1 s tick and a 1 s base ack poll, on `clock`.
    func deliverer(to hub: TestHub, on clock: ManualClock) throws -> FrameDeliverer {
        try FrameDeliverer(
            configuration: CollectorConfiguration(
                hubAddress: hub.dataAddress, hubAckAddress: hub.ackAddress, clusterKey: Self.key, heartbeatInterval: .seconds(3600)),
            engineID: "e", host: "h", logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
            options: FrameDeliverer.Options(tickInterval: .seconds(1), ackPollInterval: .seconds(1)), clocks: clock.clocks)
    }

    @Test func aLostFrameIsRetransmittedOnlyWhenTheHubsRetransmitDelayHasPassedOnTheInjectedClock() async throws {
        let clock = ManualClock()
        let hub = TestHub(key: Self.key, retransmitAfterMs: 3_000)
        try hub.start()
        let deliverer = try deliverer(to: hub, on: clock)
        let run = Task { try await deliverer.run() }

        // Frame 1 is lost in flight; frame 2 arrives, so the hub's ack says "next expected: 1".
        hub.loseNextFrames(1)
        try await deliverer.submit(Batch(heartbeats: [Heartbeat(time: 1, values: ["n": 1])]))
        try await Eventually.wait(for: "frame 1 lost") { hub.snapshot.lost == 1 }
        try await deliverer.submit(Batch(heartbeats: [Heartbeat(time: 2, values: ["n": 2])]))
        try await Eventually.wait(for: "frame 2 received") { hub.snapshot.accepted[deliverer.epoch]?[2] != nil }

        // Polls at 1 s and 2 s: acks arrive, but frame 1 was sent less than 3 s ago — it is not sent again.
        for second in 1...2 {
            let acks = await deliverer.spoolState.counters.acksReceived
            clock.advance(by: .seconds(1))
            try await Eventually.wait(for: "the ack of the poll at \(second) s") { await deliverer.spoolState.counters.acksReceived > acks }
            #expect(await deliverer.spoolState.counters.retransmitted == 0, "at \(second) s")
            #expect(await deliverer.spoolState.hubNextExpected == 1)
        }
        // At 3 s the delay has passed: the next ack sends everything from "next expected" again (frame 2 is a duplicate
        // the hub drops), and everything is acknowledged.
        clock.advance(by: .seconds(1))
        try await Eventually.wait(for: "frame 1 retransmitted and received") { hub.snapshot.accepted[deliverer.epoch]?[1] != nil }
        #expect(await deliverer.spoolState.counters.retransmitted == 2)
        clock.advance(by: .seconds(1))
        try await Eventually.wait(for: "everything acknowledged") { await deliverer.spoolState.ackedThrough == 2 }
        run.cancel()
        try await run.value
        await hub.stop()
    }

    /// Once the hub has every frame, the collector asks less often (``AckPollPacing``): over 24 s at a 1 s base
    /// interval and a 4 s maximum, a handful of polls instead of 24.
    @Test func aCollectorWhoseFramesTheHubHasBacksOffItsAckPollOnTheInjectedClock() async throws {
        let clock = ManualClock()
        let hub = TestHub(key: Self.key)
        try hub.start()
        let deliverer = try deliverer(to: hub, on: clock)
        let run = Task { try await deliverer.run() }
        try await deliverer.submit(Batch(heartbeats: [Heartbeat(time: 1, values: ["n": 1])]))
        try await Eventually.wait(for: "frame 1 received") { hub.snapshot.accepted[deliverer.epoch]?[1] != nil }
        let link = try #require(await deliverer.link)
        /// Every request answered, and every ack the link got taken by the deliverer (which paces the next poll).
        func answered() async -> Bool {
            let d = link.diagnosis
            let taken = await deliverer.spoolState.counters.acksReceived
            return d.requestsSent == d.repliesReceived && taken == d.acksReceived
        }
        let before = link.diagnosis.requestsSent
        for second in 1...24 {
            await clock.waitForSleepers(2)
            try await Eventually.wait(for: "the polls up to \(second) s answered") { await answered() }
            clock.advance(by: .seconds(1))
        }
        await clock.waitForSleepers(2)
        let polls = link.diagnosis.requestsSent - before
        #expect(polls <= 8, "\(polls) polls in 24 s: one a second would be 24")
        #expect(polls >= 5, "\(polls) polls in 24 s: the collector still asks")
        #expect(await deliverer.spoolState.ackedThrough == 1)
        run.cancel()
        try await run.value
        await hub.stop()
    }

    @Test func noAckForTheWarningTimeIsLoggedWithItsCauseOnTheInjectedClock() async throws {
        let clock = ManualClock()
        let logs = LogCapture()
        // Nothing listens at either address.
        let deliverer = try FrameDeliverer(
            configuration: CollectorConfiguration(
                hubAddress: FreePort.tcpAddress(), hubAckAddress: FreePort.tcpAddress(), clusterKey: Self.key, heartbeatInterval: .seconds(3600)),
            engineID: "e", host: "h", logger: logs.logger(),
            options: FrameDeliverer.Options(tickInterval: .seconds(1), ackPollInterval: .seconds(1), noAckWarningAfter: .seconds(30)),
            clocks: clock.clocks)
        let run = Task { try await deliverer.run() }
        try await deliverer.submit(Batch(heartbeats: [Heartbeat(time: 1, values: ["n": 1])]))
        await clock.waitForSleepers(2)
        clock.advance(by: .seconds(29))
        await clock.waitForSleepers(2)
        #expect(!logs.entries.contains { $0.message.contains("no acknowledgement") }, "not before 30 s")
        clock.advance(by: .seconds(1))
        try await Eventually.wait(for: "the warning") { logs.entries.contains { $0.message.contains("no acknowledgement") } }
        let warning = try #require(logs.entries.first { $0.message.contains("no acknowledgement") })
        #expect(warning.metadata["reason"].map { "\($0)" }?.contains("nothing is connected") == true)
        run.cancel()
        try await run.value
    }
}
