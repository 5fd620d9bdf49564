import Logging
import Nanomsg
import Synchronization
import WireFormat

/// The collector's two connections to the hub: a PUSH socket for data frames and a SUB socket for acks.
///
/// Both connect (the hub binds), reconnect on their own and never block: ``trySend(_:)`` answers at once, and
/// ``waitUntilSendable(timeout:)`` suspends until a peer can take a frame. The SUB socket subscribes to this
/// collector's id and to ``CollectorID/broadcast``; ``acks`` yields the acks of authenticated control frames
/// addressed to either. Everything else on the ack socket is counted in ``rejectedMessages`` and logged.
package final class HubLink: Sendable {
    /// Socket settings.
    package struct Options: Sendable, Equatable {
        /// Kernel send buffer per connection (`NN_SNDBUF`): how much can be in flight when the hub stops reading.
        package var sendBufferBytes: Int
        /// First reconnect delay and its cap (`NN_RECONNECT_IVL`, `NN_RECONNECT_IVL_MAX`; nanomsg doubles the delay
        /// per failed attempt and, in 1.1.5, never resets it).
        package var reconnectInterval: Duration
        /// The cap of the reconnect delay.
        package var reconnectIntervalMax: Duration
        /// `NN_TCP_NODELAY`: frames are sent whole; do not wait to coalesce them.
        package var tcpNoDelay: Bool
        /// Largest ack message accepted (`NN_RCVMAXSIZE` on the SUB socket).
        package var ackMaxBytes: Int

        /// Defaults: 1 MiB send buffer, reconnect 100 ms → 5 s, TCP_NODELAY on, acks up to 1 MiB.
        package init(
            sendBufferBytes: Int = 1 << 20,
            reconnectInterval: Duration = .milliseconds(100),
            reconnectIntervalMax: Duration = .seconds(5),
            tcpNoDelay: Bool = true,
            ackMaxBytes: Int = 1 << 20
        ) {
            self.sendBufferBytes = sendBufferBytes
            self.reconnectInterval = reconnectInterval
            self.reconnectIntervalMax = reconnectIntervalMax
            self.tcpNoDelay = tcpNoDelay
            self.ackMaxBytes = ackMaxBytes
        }
    }

    /// Why a message on the ack socket was not used.
    package enum AckRejection: Error, Equatable, Sendable {
        /// Shorter than the 16-byte topic.
        case noTopic
        /// The topic is neither this collector's id nor broadcast.
        case otherTopic
        /// The frame does not open (wrong key, damaged, other version).
        case unopenable(WireError)
        /// Not a control frame, or addressed to another collector.
        case notForUs
    }

    /// Data frames to the hub's PULL socket.
    package let push: NanoSocket
    /// Acks from the hub's PUB socket.
    package let sub: NanoSocket
    /// The collector whose acks are taken.
    package let collectorID: CollectorID
    let clusterKey: ClusterKey
    let logger: Logger
    private let rejected = Atomic<Int>(0)

    /// Opens and connects both sockets. Connecting never fails for an absent hub: nanomsg retries in the background.
    package init(
        dataAddress: String,
        ackAddress: String,
        collectorID: CollectorID,
        clusterKey: ClusterKey,
        options: Options = Options(),
        logger: Logger
    ) throws(NanomsgError) {
        self.collectorID = collectorID
        self.clusterKey = clusterKey
        self.logger = logger
        push = try NanoSocket(.push)
        sub = try NanoSocket(.sub)
        do throws(NanomsgError) {
            let ivl = Int(options.reconnectInterval / .milliseconds(1))
            let ivlMax = Int(options.reconnectIntervalMax / .milliseconds(1))
            for socket in [push, sub] {
                try socket.setReconnectInterval(milliseconds: max(ivl, 1), max: max(ivlMax, ivl, 1))
                if dataAddress.hasPrefix("tcp://") || ackAddress.hasPrefix("tcp://") { try socket.setTCPNoDelay(options.tcpNoDelay) }
            }
            try push.setSendBuffer(options.sendBufferBytes)
            try sub.setReceiveMaxSize(options.ackMaxBytes)
            try sub.subscribe(collectorID.bytes)
            try sub.subscribe(CollectorID.broadcast.bytes)
            try push.connect(dataAddress)
            try sub.connect(ackAddress)
        } catch {
            push.close()
            sub.close()
            throw error
        }
    }

    /// Hands `frame` to the hub's connection without blocking; false when no peer can take it now.
    package func trySend(_ frame: [UInt8]) throws(NanomsgError) -> Bool {
        try push.trySend(frame)
    }

    /// Suspends until a send would not block, at most `timeout`; returns whether it became possible.
    package func waitUntilSendable(timeout: Duration) async throws -> Bool {
        try await push.waitUntilSendable(timeout: timeout)
    }

    /// Ack messages received and not used (other topics, wrong key, malformed).
    package var rejectedMessages: Int { rejected.load(ordering: .relaxed) }

    /// Closes both sockets and waits until nanomsg has released them.
    package func close() async {
        await push.closeAndWait()
        await sub.closeAndWait()
    }

    /// The acks in one message from the hub's PUB socket: the 16-byte topic, then a sealed control frame.
    package static func acks(in message: [UInt8], for collectorID: CollectorID, opener: inout FrameOpener) throws(AckRejection) -> [Ack] {
        guard message.count >= 16 else { throw .noTopic }
        let topic = Array(message[0..<16])
        guard topic == collectorID.bytes || topic == CollectorID.broadcast.bytes else { throw .otherTopic }
        let frame: OpenedFrame
        do throws(WireError) {
            frame = try opener.open(Array(message[16...]))
        } catch {
            throw .unopenable(error)
        }
        guard frame.header.kind == .control, frame.header.collectorID == collectorID || frame.header.collectorID == .broadcast else {
            throw .notForUs
        }
        return frame.batch.acks
    }

    /// Acks as they arrive, until the link closes (the sequence ends) or the task is cancelled.
    package var acks: Acks { Acks(link: self) }

    /// See ``acks``.
    package struct Acks: AsyncSequence, Sendable {
        package typealias Element = Ack
        let link: HubLink

        /// Receives, opens and unpacks ack messages.
        package struct AsyncIterator: AsyncIteratorProtocol {
            let link: HubLink
            var messages: NanoSocket.Messages.AsyncIterator
            var opener: FrameOpener
            var buffered: [Ack] = []

            /// The next ack; nil once the socket is closed.
            package mutating func next() async throws -> Ack? {
                while buffered.isEmpty {
                    guard let message = try await messages.next() else { return nil }
                    do throws(AckRejection) {
                        buffered = try HubLink.acks(in: message, for: link.collectorID, opener: &opener)
                    } catch {
                        link.noteRejected(error)
                    }
                }
                return buffered.removeFirst()
            }
        }

        /// An iterator with its own frame opener.
        package func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(link: link, messages: link.sub.messages.makeAsyncIterator(), opener: FrameOpener(key: link.clusterKey, maxCachedKeys: 4))
        }
    }

    private func noteRejected(_ rejection: AckRejection) {
        let count = rejected.add(1, ordering: .relaxed).newValue
        // The hub repeats its acks every second: log the first rejections and then one in a hundred.
        guard count <= 3 || count % 100 == 0 else { return }
        logger.warning(
            "ignoring a message on the ack socket",
            metadata: ["reason": "\(rejection)", "rejected_total": "\(count)", "collector_id": "\(collectorID)"]
        )
    }
}
