import Logging
import Nanomsg
import Timekeeping
import WireFormat

/// Asks the hub one question on the collector's own control path, for `docker-librato validate collector`: a sealed
/// control request (a fresh collector id and epoch, sequence 0) to `HUB_ACK_ADDRESS` through a ``HubLink``, as the
/// running collector asks for its ack. The hub either answers with a sealed control frame — which proves that it
/// holds the same cluster key — or refuses with a ``ControlRefusal`` (keys differ, other format version). The data
/// connection to `HUB_ADDRESS` is made too, but no data frame is sent: nothing the hub keeps changes.
package enum HubProbe {
    /// What the hub said.
    package enum Outcome: Sendable, Equatable {
        /// A sealed reply for our request: the cluster key matches. `dataConnected`: a connection to
        /// `HUB_ADDRESS` was established within the time left.
        case answered(dataConnected: Bool)
        /// The hub refused the request, and why.
        case refused(ControlRefusal)
        /// A reply that is neither a refusal nor a control frame for us (what it is).
        case unreadable(String)
        /// No reply within the timeout. `connected`: a connection to the control address was made all the same
        /// (something listens there, but does not answer as a hub would).
        case noAnswer(connected: Bool)
        /// The sockets could not be set up (an address nanomsg does not accept).
        case socketFailed(String)
    }

    /// Asks the hub at `configuration.hubAckAddress` (and connects to `configuration.hubAddress`), at most `timeout`.
    package static func ask(
        _ configuration: CollectorConfiguration, engineID: String, host: String, timeout: Duration, logger: Logger
    ) async -> Outcome {
        let deadline = ContinuousClock.now + timeout
        let collectorID = CollectorID.random()
        let link: HubLink
        do {
            link = try HubLink(
                dataAddress: configuration.hubAddress, controlAddress: configuration.hubAckAddress, collectorID: collectorID,
                clusterKey: configuration.clusterKey,
                options: .init(reconnectInterval: .milliseconds(50), reconnectIntervalMax: .milliseconds(500)), logger: logger)
        } catch {
            return .socketFailed("\(error)")
        }
        let header = FrameHeader(
            kind: .request, collectorID: collectorID, epoch: UInt64.random(in: 1...UInt64.max), sequence: 0,
            sendTime: WallClock.system.now().milliseconds, engineID: engineID, cluster: configuration.cluster, host: host)
        let request = FrameSealer(key: configuration.clusterKey).seal(header, Batch())
        let outcome = await exchange(link, request, deadline: deadline)
        await link.close()
        return outcome
    }

    private static func exchange(_ link: HubLink, _ request: [UInt8], deadline: ContinuousClock.Instant) async -> Outcome {
        // nanomsg's REQ socket keeps the request until a connection is up and sends it then. The sleeps here are
        // `validate`'s one-shot probe on the real clock, bounded by its deadline: nanomsg signals neither "queued"
        // nor "connected", so the probe looks again every 20 ms (not a service loop; nothing to inject).
        while !link.sendRequest(request) {
            guard ContinuousClock.now < deadline else { return .noAnswer(connected: false) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        guard let reply = await receive(link, until: deadline) else {
            return .noAnswer(connected: link.req.statistic(.establishedConnections) > 0)
        }
        var opener = FrameOpener(key: link.clusterKey, maxCachedKeys: 1, maxCachedHeaderNames: 0)
        do throws(HubLink.ReplyRejection) {
            _ = try HubLink.acks(inReply: reply, for: link.collectorID, opener: &opener)
        } catch {
            switch error {
            case .refused(let refusal): return .refused(refusal)
            case .unopenable(let wire): return .unreadable("a reply that does not open with our key: \(wire)")
            case .notForUs: return .unreadable("a reply addressed to another collector")
            }
        }
        while !link.dataConnected, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return .answered(dataConnected: link.dataConnected)
    }

    /// The next message on the control connection, nil at the deadline.
    private static func receive(_ link: HubLink, until deadline: ContinuousClock.Instant) async -> [UInt8]? {
        await withTaskGroup(of: [UInt8]?.self) { group in
            group.addTask { try? await link.req.receive() }
            group.addTask {
                try? await Task.sleep(until: deadline)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
