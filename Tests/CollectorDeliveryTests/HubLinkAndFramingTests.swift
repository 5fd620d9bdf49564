import ContainerMetrics
import DockerLibratoTesting
import Logging
import Nanomsg
import Testing
import WireFormat

@_spi(Simulation) @testable import Collector
import Timekeeping

@Suite("Control replies and frame building")
struct HubLinkAndFramingTests {
    static let key = try! ClusterKey(bytes: (0..<32).map { UInt8(200 - $0) })
    let me = CollectorID(high: 0xAB, low: 0xCD)

    func reply(addressed: CollectorID, kind: FrameHeader.Kind = .control, key: ClusterKey = key, acks: [Ack]) -> [UInt8] {
        let header = FrameHeader(kind: kind, collectorID: addressed, epoch: 5, sequence: 0, sendTime: 0, engineID: "", cluster: "", host: "")
        return FrameSealer(key: key).seal(header, Batch(acks: acks))
    }

    @Test func acksAreTakenOnlyFromAuthenticControlFramesForUs() throws {
        var opener = FrameOpener(key: Self.key)
        let ack = Ack(epoch: 5, ackedThrough: 10, nextExpected: 11, flags: .backpressure, retransmitAfterMs: 1_500)
        #expect(try HubLink.acks(inReply: reply(addressed: me, acks: [ack]), for: me, opener: &opener) == [ack])
        #expect(try HubLink.acks(inReply: reply(addressed: me, acks: []), for: me, opener: &opener) == [], "no frame of ours yet")
        let other = CollectorID(high: 1, low: 1)
        #expect(throws: HubLink.ReplyRejection.notForUs) {
            try HubLink.acks(inReply: reply(addressed: other, acks: [ack]), for: me, opener: &opener)
        }
        #expect(throws: HubLink.ReplyRejection.notForUs) {
            try HubLink.acks(inReply: reply(addressed: me, kind: .request, acks: [ack]), for: me, opener: &opener)
        }
        #expect(throws: HubLink.ReplyRejection.unopenable(.authenticationFailed)) {
            let wrongKey = try ClusterKey(bytes: [UInt8](repeating: 9, count: 32))
            return try HubLink.acks(inReply: reply(addressed: me, key: wrongKey, acks: [ack]), for: me, opener: &opener)
        }
        let refusal = ControlRefusal(reason: .unauthenticated, message: "bad seal")
        #expect(throws: HubLink.ReplyRejection.refused(refusal)) { try HubLink.acks(inReply: refusal.encode(), for: me, opener: &opener) }
        #expect(throws: HubLink.ReplyRejection.self) { try HubLink.acks(inReply: [1, 2, 3], for: me, opener: &opener) }
    }

    @Test func refusalsRoundTripAndTellTheOperatorWhatToFix() throws {
        for reason in [ControlRefusal.Reason.unauthenticated, .unsupportedVersion, .malformed] {
            let r = ControlRefusal(reason: reason, hubVersion: 7, message: String(repeating: "é", count: 200))
            let decoded = try #require(ControlRefusal.decode(r.encode()))
            #expect(decoded.reason == reason && decoded.hubVersion == 7)
            #expect(decoded.message.utf8.count <= 255 && r.message.hasPrefix(decoded.message), "cut at a character boundary")
        }
        #expect(ControlRefusal(reason: .unauthenticated, message: "").description.contains("CLUSTER_KEY_FILE"))
        #expect(ControlRefusal(reason: .unsupportedVersion, hubVersion: 1, message: "").description.contains("same docker-librato version"))
        #expect(ControlRefusal.decode(reply(addressed: me, acks: [])) == nil, "a sealed reply is not a refusal")
    }

    @Test func theLinkAsksAndTakesOnlyItsOwnRepliesOverNanomsg() async throws {
        let rep = try NanoSocket(.rep)
        let controlAddress = FreePort.tcpAddress()
        try rep.bind(controlAddress)
        let logs = LogCapture()
        let link = try HubLink(dataAddress: FreePort.tcpAddress(), controlAddress: controlAddress, collectorID: me, clusterKey: Self.key, logger: logs.logger())
        let ack = Ack(epoch: 5, ackedThrough: 3, nextExpected: 4)
        let forged = try reply(addressed: me, key: ClusterKey(bytes: [UInt8](repeating: 9, count: 32)), acks: [ack])
        // The hub side: answers the first request with a forged reply, the second with a refusal, then with the ack.
        let hub = Task {
            var answers = [forged, ControlRefusal(reason: .unauthenticated, message: "bad seal").encode()]
            var opener = FrameOpener(key: Self.key)
            while !Task.isCancelled {
                guard let request = try? await rep.receive() else { return }
                let frame = try opener.open(request)
                #expect(frame.header.kind == .request && frame.header.collectorID == me)
                _ = try rep.trySend(answers.isEmpty ? reply(addressed: me, acks: [ack]) : answers.removeFirst())
            }
        }
        let received = Task { () async throws -> Ack? in
            for try await a in link.acks { return a }
            return nil
        }
        let request = FrameSealer(key: Self.key).seal(
            FrameHeader(kind: .request, collectorID: me, epoch: 5, sequence: 0, sendTime: 0, engineID: "", cluster: "", host: ""), Batch())
        // A REQ socket has one request in flight (a new one cancels it): ask once per answer.
        for answered in 0..<3 {
            try await Eventually.wait(for: "request \(answered) sent") { link.sendRequest(request) }
            try await Eventually.wait(for: "answer \(answered)") {
                let d = link.diagnosis
                return d.rejected + d.repliesReceived > answered
            }
        }
        let got = try await received.value
        #expect(got == ack)
        let d = link.diagnosis
        #expect(d.rejected >= 2 && d.lastRefusal?.reason == .unauthenticated)
        #expect(logs.entries.contains { $0.message.contains("refuses this collector's requests") })
        await link.close()
        await rep.closeAndWait()
        hub.cancel()
        _ = await hub.result
    }

    @Test(arguments: [
        (HubLink.Diagnosis(), false, "nothing is connected"),
        (HubLink.Diagnosis(requestsSent: 5), true, "nothing answers on HUB_ACK_ADDRESS"),
        (HubLink.Diagnosis(requestsSent: 5, repliesReceived: 5), true, "has no frame of this collector"),
        (HubLink.Diagnosis(requestsSent: 5, repliesReceived: 5, acksReceived: 5), true, "not completing"),
        (HubLink.Diagnosis(requestsSent: 5, rejected: 5, lastRefusal: ControlRefusal(reason: .unauthenticated, message: "x")), true, "CLUSTER_KEY_FILE"),
    ])
    func noAckReasonsNameTheLikelyCause(diagnosis: HubLink.Diagnosis, dataConnected: Bool, expected: String) {
        #expect(FrameDeliverer.noAckReason(diagnosis, dataConnected: dataConnected, unsentFrames: 3).contains(expected))
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
