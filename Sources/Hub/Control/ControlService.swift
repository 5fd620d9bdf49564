import Logging
import Nanomsg
import ServiceLifecycle
import Timekeeping
import WireFormat

/// The hub's control path: a REP socket on `HUB_ACK_LISTEN`. Each collector asks for its ack every 1–4 s
/// on its own REQ connection and the reply goes back on that pipe only — so the hub sends each collector one small
/// reply per request, whatever the number of collectors (PUB/SUB sent every ack to every collector: nanomsg filters
/// subscriptions at the subscriber). All connections are still made by the collectors.
///
/// A request that does not open (wrong key, other format version, garbage) gets an unsealed ``ControlRefusal`` so
/// the collector can say what is wrong; everything is counted on the ``AckBoard``.
///
/// On graceful shutdown — after ingest and the flusher, so the final acks are on the board — it keeps answering until
/// every collector epoch that asked in the last 10 s has asked again (so each hears its last ack before the socket
/// closes), at most ``finalAckWindow`` (the collectors' longest poll interval, 4 s, plus a margin; on the injected
/// clock). A hub nobody polls closes at once.
struct ControlService: Service {
    let rep: NanoSocket
    let board: AckBoard
    let key: ClusterKey
    let clocks: Clocks
    let cluster: String
    let hostName: String
    let logger: Logger
    /// How long the service still answers after a graceful shutdown began.
    let finalAckWindow: Duration

    init(
        listen: String, board: AckBoard, key: ClusterKey, clocks: Clocks, cluster: String, hostName: String, logger: Logger,
        finalAckWindow: Duration
    ) throws {
        rep = try NanoSocket(.rep)
        try rep.setReceiveMaxSize(64 << 10)
        try rep.bind(listen)
        self.board = board
        self.key = key
        self.clocks = clocks
        self.cluster = cluster
        self.hostName = hostName
        self.logger = logger
        self.finalAckWindow = finalAckWindow
    }

    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await serve() }
            group.addTask {
                try? await gracefulShutdown()
                await finalAcks()
                rep.close()
            }
        }
        await rep.closeAndWait()
    }

    /// The final-ack window: waits until each collector that polls has polled once more and heard the acks the last
    /// flush earned, at most ``finalAckWindow``.
    func finalAcks() async {
        let start = clocks.wall.now().milliseconds
        let polling = board.asked(since: start - 10_000)
        let deadline = clocks.monotonicNow() + finalAckWindow
        while !polling.isSubset(of: board.asked(since: start)), clocks.monotonicNow() < deadline {
            do { try await clocks.sleep(for: .milliseconds(100)) } catch { return }
        }
        // The last request is recorded on the board just before its reply is sent: let that reply leave.
        if !polling.isEmpty { try? await clocks.sleep(for: .milliseconds(100)) }
    }

    /// Answers requests, one at a time (a REP socket replies to the request it received last), until the socket closes.
    func serve() async {
        var opener = FrameOpener(key: key)
        let sealer = FrameSealer(key: key)
        var replySequence: UInt64 = 0
        var lastRefusalLogMs: Int64?
        do {
            for try await request in rep.messages {
                let now = clocks.wall.now().milliseconds
                let reply: [UInt8]
                do throws(WireError) {
                    let frame = try opener.open(request)
                    let h = frame.header
                    guard h.kind == .request else { throw WireError.unknownFrameType(h.kind.rawValue) }
                    let ack = board.answer(LedgerKey(collector: h.collectorID, epoch: h.epoch), nowMs: now)
                    replySequence &+= 1
                    // In the request's format: a collector not yet upgraded reads its answer (see FrameHeader.readableVersions).
                    let header = FrameHeader(
                        kind: .control, collectorID: h.collectorID, epoch: h.epoch, sequence: replySequence, sendTime: now, engineID: "hub",
                        cluster: cluster, host: hostName, version: h.version)
                    reply = sealer.seal(
                        header, Batch(acks: ack.map { [$0] } ?? []), subkey: opener.subkey(collector: h.collectorID, epoch: h.epoch, version: h.version))
                } catch {
                    let refusal = ControlRefusal(error)
                    board.refused(refusal.reason)
                    if lastRefusalLogMs.map({ now - $0 >= 10_000 }) ?? true {
                        var metadata: Logger.Metadata = ["reason": "\(refusal.reason)", "error": "\(error)"]
                        if let claimed = try? FrameOpener.peekHeader(request) {
                            metadata["claimed_collector"] = "\(claimed.collectorID)"
                            metadata["claimed_host"] = "\(claimed.host)"
                        }
                        logger.warning("refused a control request (logged at most every 10 s)", metadata: metadata)
                        lastRefusalLogMs = now
                    }
                    reply = refusal.encode()
                }
                // A requester that went away takes its reply with it; nothing to do.
                _ = try? rep.trySend(reply)
            }
        } catch is CancellationError {
        } catch {
            if !rep.isClosed { logger.error("control socket failed", metadata: ["error": "\(error)"]) }
        }
    }
}
