import ContainerMetrics
import DockerLibratoTesting
import Logging
import Nanomsg
import Testing
import WireFormat

@testable import Collector
import Timekeeping

@Suite("Ack messages and frame building")
struct HubLinkAndFramingTests {
    static let key = try! ClusterKey(bytes: (0..<32).map { UInt8(200 - $0) })
    let me = CollectorID(high: 0xAB, low: 0xCD)

    func controlMessage(
        topic: CollectorID,
        addressed: CollectorID,
        kind: FrameHeader.Kind = .control,
        key: ClusterKey = key,
        acks: [Ack]
    )
        -> [UInt8]
    {
        let header = FrameHeader(kind: kind, collectorID: addressed, epoch: 5, sequence: 0, sendTime: 0, engineID: "", cluster: "", host: "")
        return topic.bytes + FrameSealer(key: key).seal(header, Batch(acks: acks))
    }

    @Test func acksAreTakenOnlyFromAuthenticControlFramesForUs() throws {
        var opener = FrameOpener(key: Self.key)
        let ack = Ack(epoch: 5, ackedThrough: 10, nextExpected: 11, flags: .backpressure, retransmitAfterMs: 1_500)
        #expect(try HubLink.acks(in: controlMessage(topic: me, addressed: me, acks: [ack]), for: me, opener: &opener) == [ack])
        #expect(
            try HubLink.acks(in: controlMessage(topic: .broadcast, addressed: .broadcast, acks: [ack]), for: me, opener: &opener) == [ack]
        )
        let other = CollectorID(high: 1, low: 1)
        #expect(throws: HubLink.AckRejection.otherTopic) {
            try HubLink.acks(in: controlMessage(topic: other, addressed: other, acks: [ack]), for: me, opener: &opener)
        }
        #expect(throws: HubLink.AckRejection.notForUs) {
            try HubLink.acks(in: controlMessage(topic: me, addressed: other, acks: [ack]), for: me, opener: &opener)
        }
        #expect(throws: HubLink.AckRejection.notForUs) {
            try HubLink.acks(in: controlMessage(topic: me, addressed: me, kind: .data, acks: [ack]), for: me, opener: &opener)
        }
        #expect(throws: HubLink.AckRejection.unopenable(.authenticationFailed)) {
            let wrongKey = try ClusterKey(bytes: [UInt8](repeating: 9, count: 32))
            return try HubLink.acks(in: controlMessage(topic: me, addressed: me, key: wrongKey, acks: [ack]), for: me, opener: &opener)
        }
        #expect(throws: HubLink.AckRejection.noTopic) { try HubLink.acks(in: [1, 2, 3], for: me, opener: &opener) }
    }

    @Test func theLinkReceivesAcksForItsIdAndBroadcastOverNanomsg() async throws {
        let pub = try NanoSocket(.pub)
        let ackAddress = FreePort.tcpAddress()
        try pub.bind(ackAddress)
        let logs = LogCapture()
        let link = try HubLink(
            dataAddress: FreePort.tcpAddress(),
            ackAddress: ackAddress,
            collectorID: me,
            clusterKey: Self.key,
            logger: logs.logger()
        )
        let ack = Ack(epoch: 5, ackedThrough: 3, nextExpected: 4)
        let other = CollectorID(high: 1, low: 1)
        let received = Task {
            var got: [Ack] = []
            for try await a in link.acks {
                got.append(a)
                if got.count == 2 { break }
            }
            return got
        }
        // PUB drops messages until the subscriber is connected: repeat, as the hub does every second.
        let forged = try controlMessage(topic: me, addressed: me, key: ClusterKey(bytes: [UInt8](repeating: 9, count: 32)), acks: [ack])
        let sender = Task {
            while !Task.isCancelled {
                _ = try? pub.trySend(controlMessage(topic: other, addressed: other, acks: [Ack(epoch: 5, ackedThrough: 99, nextExpected: 100)]))
                _ = try? pub.trySend(forged)
                _ = try? pub.trySend(controlMessage(topic: me, addressed: me, acks: [ack]))
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        let got = try await received.value
        sender.cancel()
        await sender.value
        #expect(got == [ack, ack], "another collector's topic is filtered by the subscription, the forged one rejected")
        #expect(link.rejectedMessages >= 1)
        #expect(logs.entries.contains { $0.message.contains("ack socket") })
        await link.close()
        await pub.closeAndWait()
    }

    @Test func oversizeBatchesAreSplitAndSingleOversizeRecordsRefused() async throws {
        let metrics = CollectorMetrics()
        let configuration = CollectorConfiguration(clusterKey: Self.key, spoolMemoryBytes: 1 << 20)
        let deliverer = try FrameDeliverer(
            configuration: configuration,
            engineID: "e",
            host: "h",
            metrics: metrics,
            options: FrameDeliverer.Options(maxFrameBytes: 2_048)
        )
        let beats = (0..<100).map { Heartbeat(time: Int64($0), values: ["value_\($0)_with_a_long_name": Double($0)]) }
        try await deliverer.submit(Batch(heartbeats: beats))
        var state = await deliverer.spoolState
        var opener = FrameOpener(key: Self.key)
        var times: [Int64] = []
        var sizes: [Int] = []
        while let t = state.nextTransmission() {
            let bytes = try #require(t.bytes)
            sizes.append(bytes.count)
            times += try opener.open(bytes).batch.heartbeats.map(\.time)
            state.transmitted(t, now: .zero)
        }
        #expect(sizes.count > 1)
        #expect(sizes.allSatisfy { $0 <= 2_048 })
        #expect(times == (0..<100).map(Int64.init), "every record once, in order")
        #expect(metrics.get(.framesSplit) == sizes.count - 1)

        let huge = Heartbeat(time: 0, values: Dictionary(uniqueKeysWithValues: (0..<200).map { ("name_\($0)", Double($0)) }))
        try await deliverer.submit(Batch(heartbeats: [huge]))
        #expect(metrics.get(.recordsOversize) == 1)
        #expect(await deliverer.spoolState.spoolFrames == sizes.count, "nothing spooled for it")
    }
}
