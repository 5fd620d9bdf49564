import DockerLibratoTesting
import Nanomsg
import Synchronization
import WireFormat

/// A minimal hub for delivery tests: PULL for frames, REP for control requests. It opens frames with the cluster
/// key, keeps each (epoch, sequence) once (later copies are counted as duplicates), applies abandoned ranges, and
/// answers each request with the requester's cumulative ack: `ackedThrough` = the highest sequence below which
/// everything was received or abandoned, `nextExpected` = one more (no ack before its first frame).
///
/// Its ledger survives ``restart()`` (like a hub with a state file) while whatever was in flight is lost.
final class TestHub: Sendable {
    struct Accepted: Sendable {
        var header: FrameHeader
        var batch: Batch
    }

    struct Ledger: Sendable {
        var collectorID: CollectorID
        /// Sequences received or abandoned.
        var covered = Set<UInt64>()
        var doneThrough: UInt64 = 0

        mutating func cover(_ sequence: UInt64) {
            covered.insert(sequence)
            while covered.contains(doneThrough + 1) { doneThrough += 1 }
        }
    }

    struct State: Sendable {
        var accepted: [UInt64: [UInt64: Accepted]] = [:]
        var ledgers: [UInt64: Ledger] = [:]
        var duplicates = 0
        /// Abandoned ranges as they arrived in accepted frames.
        var abandoned: [AbandonedRange] = []
        var rejected = 0
        var acksPublished = 0
        var requests = 0
        /// Data frames still to lose in flight (``loseNextFrames(_:)``).
        var toLose = 0
        var lost = 0
    }

    private struct Running: Sendable {
        var pull: NanoSocket
        var rep: NanoSocket
        var receiver: Task<Void, Never>?
        var responder: Task<Void, Never>
    }

    let dataAddress: String
    let ackAddress: String
    let key: ClusterKey
    let retransmitAfterMs: UInt64
    private let state = Mutex(State())
    private let running = Mutex<Running?>(nil)

    init(key: ClusterKey, retransmitAfterMs: UInt64 = 300) {
        dataAddress = FreePort.tcpAddress()
        ackAddress = FreePort.tcpAddress()
        self.key = key
        self.retransmitAfterMs = retransmitAfterMs
    }

    var snapshot: State { state.withLock { $0 } }

    func doneThrough(epoch: UInt64) -> UInt64 { state.withLock { $0.ledgers[epoch]?.doneThrough ?? 0 } }

    /// Binds both sockets and starts receiving and acking.
    func start() throws {
        let pull = try NanoSocket(.pull)
        try pull.setReceiveMaxSize(1 << 20)
        try pull.bind(dataAddress)
        let rep = try NanoSocket(.rep)
        try rep.bind(ackAddress)
        let responder = Task { [self] in
            var opener = FrameOpener(key: key)
            while !Task.isCancelled {
                guard let request = try? await rep.receive() else { return }
                _ = try? rep.trySend(reply(to: request, opener: &opener))
            }
        }
        running.withLock { $0 = Running(pull: pull, rep: rep, receiver: receiveTask(pull), responder: responder) }
    }

    private func receiveTask(_ pull: NanoSocket) -> Task<Void, Never> {
        Task { [self] in
            var opener = FrameOpener(key: key)
            while !Task.isCancelled {
                guard let message = try? await pull.receive() else { return }
                handle(message, opener: &opener)
            }
        }
    }

    /// Stops reading frames (they pile up in nanomsg's and the kernel's buffers); acks continue.
    func stopReceiving() async {
        let receiver = running.withLock { r -> Task<Void, Never>? in
            let t = r?.receiver
            r?.receiver = nil
            return t
        }
        receiver?.cancel()
        await receiver?.value
    }

    /// Closes both sockets, losing everything in flight.
    func stop() async {
        guard
            let r = running.withLock({ r -> Running? in
                let old = r
                r = nil
                return old
            })
        else { return }
        r.receiver?.cancel()
        r.responder.cancel()
        await r.receiver?.value
        await r.pull.closeAndWait()
        await r.rep.closeAndWait()
        await r.responder.value
    }

    /// Stops and starts again on the same addresses; the ledger survives.
    func restart() async throws {
        await stop()
        try start()
    }

    /// The next `n` data frames are lost in flight (received and forgotten, as a dying connection would lose them).
    func loseNextFrames(_ n: Int) {
        state.withLock { $0.toLose += n }
    }

    private func handle(_ message: [UInt8], opener: inout FrameOpener) {
        guard let frame = try? opener.open(message), frame.header.kind == .data else {
            state.withLock { $0.rejected += 1 }
            return
        }
        let lose = state.withLock { s -> Bool in
            guard s.toLose > 0 else { return false }
            s.toLose -= 1
            s.lost += 1
            return true
        }
        if lose { return }
        let header = frame.header
        state.withLock { s in
            var ledger = s.ledgers[header.epoch] ?? Ledger(collectorID: header.collectorID)
            if s.accepted[header.epoch]?[header.sequence] != nil || ledger.covered.contains(header.sequence) {
                s.duplicates += 1
                return
            }
            s.accepted[header.epoch, default: [:]][header.sequence] = Accepted(header: header, batch: frame.batch)
            ledger.cover(header.sequence)
            for range in frame.batch.abandoned where range.epoch == header.epoch {
                s.abandoned.append(range)
                for sequence in range.first...range.last where !ledger.covered.contains(sequence) { ledger.cover(sequence) }
            }
            s.ledgers[header.epoch] = ledger
        }
    }

    /// The reply to a control request: the requester's ack (sealed), or a refusal when it does not open.
    private func reply(to request: [UInt8], opener: inout FrameOpener) -> [UInt8] {
        guard let frame = try? opener.open(request), frame.header.kind == .request else {
            return ControlRefusal(reason: .unauthenticated, message: "test hub").encode()
        }
        let h = frame.header
        let ledger = state.withLock { s in
            s.requests += 1
            return s.ledgers[h.epoch]
        }
        let acks = ledger.map {
            [Ack(epoch: h.epoch, ackedThrough: $0.doneThrough, nextExpected: $0.doneThrough + 1, retransmitAfterMs: retransmitAfterMs)]
        } ?? []
        if !acks.isEmpty { state.withLock { $0.acksPublished += 1 } }
        let header = FrameHeader(kind: .control, collectorID: h.collectorID, epoch: h.epoch, sequence: 0, sendTime: 0, engineID: "", cluster: "", host: "")
        return FrameSealer(key: key).seal(header, Batch(acks: acks))
    }
}
