import Logging
import Nanomsg
import Synchronization
import WireFormat

/// The collector's two connections to the hub: a PUSH socket for data frames and a REQ socket for control — the
/// collector asks for its ack (``sendRequest(_:)``) and the hub's reply comes back on that connection only.
///
/// Both connect (the hub binds), reconnect on their own and never block: ``trySend(_:)`` answers at once, and
/// ``waitUntilSendable(timeout:)`` suspends until a peer can take a frame. ``acks`` yields the acks of authenticated
/// replies addressed to this collector; anything else is counted (``diagnosis``) and logged, and a hub's
/// ``ControlRefusal`` says why it cannot answer (key mismatch, format version).
@_spi(Simulation) public final class HubLink: Sendable {
    /// Socket settings.
    @_spi(Simulation) public struct Options: Sendable, Equatable {
        /// Kernel send buffer per connection (`NN_SNDBUF`): how much can be in flight when the hub stops reading.
        package var sendBufferBytes: Int
        /// First reconnect delay and its cap (`NN_RECONNECT_IVL`, `NN_RECONNECT_IVL_MAX`; nanomsg doubles the delay
        /// per failed attempt and, in 1.1.5, never resets it).
        package var reconnectInterval: Duration
        /// The cap of the reconnect delay.
        package var reconnectIntervalMax: Duration
        /// `NN_TCP_NODELAY`: frames are sent whole; do not wait to coalesce them.
        package var tcpNoDelay: Bool
        /// Largest reply accepted (`NN_RCVMAXSIZE` on the REQ socket).
        package var replyMaxBytes: Int

        /// Defaults: 1 MiB send buffer, reconnect 100 ms → 5 s, TCP_NODELAY on, replies up to 64 KiB.
        @_spi(Simulation) public init(
            sendBufferBytes: Int = 1 << 20,
            reconnectInterval: Duration = .milliseconds(100),
            reconnectIntervalMax: Duration = .seconds(5),
            tcpNoDelay: Bool = true,
            replyMaxBytes: Int = 64 << 10
        ) {
            self.sendBufferBytes = sendBufferBytes
            self.reconnectInterval = reconnectInterval
            self.reconnectIntervalMax = reconnectIntervalMax
            self.tcpNoDelay = tcpNoDelay
            self.replyMaxBytes = replyMaxBytes
        }
    }

    /// Why a reply was not used.
    package enum ReplyRejection: Error, Equatable, Sendable {
        /// The hub refused the request (it says why).
        case refused(ControlRefusal)
        /// The reply does not open (wrong key, damaged, other version).
        case unopenable(WireError)
        /// Not a control frame for this collector.
        case notForUs
    }

    /// What the control connection has seen, for the collector's "no acks" diagnosis.
    package struct Diagnosis: Sendable, Equatable {
        package var requestsSent = 0
        package var repliesReceived = 0
        /// Replies that carried no ack (the hub has no frame of this epoch yet) are counted in ``repliesReceived``.
        package var acksReceived = 0
        package var rejected = 0
        /// The hub's latest refusal, if any.
        package var lastRefusal: ControlRefusal?
    }

    /// Data frames to the hub's PULL socket.
    package let push: NanoSocket
    /// Control requests to the hub's REP socket, and their replies.
    package let req: NanoSocket
    /// The collector whose acks are taken.
    package let collectorID: CollectorID
    let clusterKey: ClusterKey
    let logger: Logger
    private let state = Mutex(Diagnosis())

    /// Opens and connects both sockets. Connecting never fails for an absent hub: nanomsg retries in the background.
    package init(
        dataAddress: String,
        controlAddress: String,
        collectorID: CollectorID,
        clusterKey: ClusterKey,
        options: Options = Options(),
        logger: Logger
    ) throws(NanomsgError) {
        self.collectorID = collectorID
        self.clusterKey = clusterKey
        self.logger = logger
        push = try NanoSocket(.push)
        req = try NanoSocket(.req)
        do throws(NanomsgError) {
            let ivl = Int(options.reconnectInterval / .milliseconds(1))
            let ivlMax = Int(options.reconnectIntervalMax / .milliseconds(1))
            for socket in [push, req] {
                try socket.setReconnectInterval(milliseconds: max(ivl, 1), max: max(ivlMax, ivl, 1))
                if dataAddress.hasPrefix("tcp://") || controlAddress.hasPrefix("tcp://") { try socket.setTCPNoDelay(options.tcpNoDelay) }
            }
            try push.setSendBuffer(options.sendBufferBytes)
            try req.setReceiveMaxSize(options.replyMaxBytes)
            // Each poll sends a fresh request (which cancels an unanswered one); nanomsg's own resend is not needed.
            try req.setRequestResendInterval(milliseconds: 60_000)
            try push.connect(dataAddress)
            try req.connect(controlAddress)
        } catch {
            push.close()
            req.close()
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

    /// Hands a sealed control request to nanomsg; false only when nanomsg refuses it. With the control connection
    /// down nanomsg keeps the request and sends it once connected (true), so "sent" is not "reached the hub": the
    /// answer says that. A request still unanswered is cancelled by the next (a REQ socket has one in flight).
    @discardableResult
    package func sendRequest(_ request: [UInt8]) -> Bool {
        let sent = (try? req.trySend(request)) ?? false
        if sent { state.withLock { $0.requestsSent += 1 } }
        return sent
    }

    /// What the control connection has seen so far.
    package var diagnosis: Diagnosis { state.withLock { $0 } }

    /// Whether a data connection to the hub is up (nanomsg's own count).
    package var dataConnected: Bool { push.statistic(.currentConnections) > 0 }

    /// Closes both sockets and waits until nanomsg has released them.
    package func close() async {
        await push.closeAndWait()
        await req.closeAndWait()
    }

    /// The acks in one reply from the hub: a sealed control frame addressed to `collectorID`, or a refusal.
    package static func acks(inReply message: [UInt8], for collectorID: CollectorID, opener: inout FrameOpener) throws(ReplyRejection) -> [Ack] {
        if let refusal = ControlRefusal.decode(message) { throw .refused(refusal) }
        let frame: OpenedFrame
        do throws(WireError) {
            frame = try opener.open(message)
        } catch {
            throw .unopenable(error)
        }
        guard frame.header.kind == .control, frame.header.collectorID == collectorID else { throw .notForUs }
        return frame.batch.acks
    }

    /// Acks as they arrive, until the link closes (the sequence ends) or the task is cancelled.
    package var acks: Acks { Acks(link: self) }

    /// See ``acks``.
    package struct Acks: AsyncSequence, Sendable {
        package typealias Element = Ack
        let link: HubLink

        /// Receives, opens and unpacks replies.
        package struct AsyncIterator: AsyncIteratorProtocol {
            let link: HubLink
            var messages: NanoSocket.Messages.AsyncIterator
            var opener: FrameOpener
            var buffered: [Ack] = []

            /// The next ack; nil once the socket is closed.
            package mutating func next() async throws -> Ack? {
                while buffered.isEmpty {
                    guard let message = try await messages.next() else { return nil }
                    do throws(ReplyRejection) {
                        buffered = try HubLink.acks(inReply: message, for: link.collectorID, opener: &opener)
                        link.noteReply(acks: buffered.count)
                    } catch {
                        link.noteRejected(error)
                    }
                }
                return buffered.removeFirst()
            }
        }

        /// An iterator with its own frame opener (replies come from one hub: one slot of header names is enough, and
        /// the default 4,096 would be a quarter of a MiB of the collector's memory).
        package func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(
                link: link, messages: link.req.messages.makeAsyncIterator(),
                opener: FrameOpener(key: link.clusterKey, maxCachedKeys: 4, maxCachedHeaderNames: 1))
        }
    }

    private func noteReply(acks: Int) {
        state.withLock {
            $0.repliesReceived += 1
            $0.acksReceived += acks
        }
    }

    private func noteRejected(_ rejection: ReplyRejection) {
        let count = state.withLock { s -> Int in
            s.rejected += 1
            if case .refused(let refusal) = rejection { s.lastRefusal = refusal }
            return s.rejected
        }
        // Requests go out every 1–4 s: log the first rejections and then one in a hundred.
        guard count <= 3 || count % 100 == 0 else { return }
        let message: Logger.Message =
            if case .refused(let refusal) = rejection { "the hub refuses this collector's requests: \(refusal)" } else { "ignoring a reply on the control connection" }
        logger.warning(message, metadata: ["reason": "\(rejection)", "rejected_total": "\(count)", "collector_id": "\(collectorID)"])
    }
}
