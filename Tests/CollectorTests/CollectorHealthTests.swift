import Testing

@_spi(Simulation) @testable import Collector

@Suite("collector health: data is flowing, or why not")
struct CollectorHealthTests {
    @Test func unhealthyOnlyWhenFramesHaveWaitedLongerThanTheThresholdWithTheCause() {
        let h = CollectorHealth(maxAckAge: .seconds(300))
        #expect(h.status.healthy, "starting")
        h.update(ackAgeSeconds: 900, waitingFrames: 0, reason: "nothing is connected")
        #expect(h.status.healthy, "nothing waits: idle is healthy")
        h.update(ackAgeSeconds: 299, waitingFrames: 12, reason: "nothing is connected")
        #expect(h.status.healthy)
        h.update(ackAgeSeconds: 301, waitingFrames: 12, reason: "nothing is connected: no hub answers at HUB_ADDRESS")
        #expect(!h.status.healthy)
        #expect(h.status.reason == "no acknowledgement from the hub for 301 s with 12 frames waiting: nothing is connected: no hub answers at HUB_ADDRESS")
    }
}
