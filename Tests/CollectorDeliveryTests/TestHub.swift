import DockerLibratoTesting
import Nanomsg
import Synchronization
import WireFormat

/// A minimal hub for delivery tests: PULL for frames, PUB for acks. It opens frames with the cluster key, keeps each
/// (epoch, sequence) once (later copies are counted as duplicates), applies abandoned ranges, and publishes
/// cumulative acks for every epoch it has seen: `ackedThrough` = the highest sequence below which everything was
/// received or abandoned, `nextExpected` = one more.
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
    }

    private struct Running: Sendable {
        var pull: NanoSocket
        var pub: NanoSocket
        var receiver: Task<Void, Never>?
        var acker: Task<Void, Never>
    }

    let dataAddress: String
    let ackAddress: String
    let key: ClusterKey
    let retransmitAfterMs: UInt64
    let ackInterval: Duration
    private let state = Mutex(State())
    private let running = Mutex<Running?>(nil)

    init(key: ClusterKey, retransmitAfterMs: UInt64 = 300, ackInterval: Duration = .milliseconds(50)) {
        dataAddress = FreePort.tcpAddress()
        ackAddress = FreePort.tcpAddress()
        self.key = key
        self.retransmitAfterMs = retransmitAfterMs
        self.ackInterval = ackInterval
    }

    var snapshot: State { state.withLock { $0 } }

    func doneThrough(epoch: UInt64) -> UInt64 { state.withLock { $0.ledgers[epoch]?.doneThrough ?? 0 } }

    /// Binds both sockets and starts receiving and acking.
    func start() throws {
        let pull = try NanoSocket(.pull)
        try pull.setReceiveMaxSize(1 << 20)
        try pull.bind(dataAddress)
        let pub = try NanoSocket(.pub)
        try pub.bind(ackAddress)
        let acker = Task { [self] in
            while !Task.isCancelled {
                publishAcks(on: pub)
                try? await Task.sleep(for: ackInterval)
            }
        }
        running.withLock { $0 = Running(pull: pull, pub: pub, receiver: receiveTask(pull), acker: acker) }
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
        r.acker.cancel()
        await r.receiver?.value
        await r.acker.value
        await r.pull.closeAndWait()
        await r.pub.closeAndWait()
    }

    /// Stops and starts again on the same addresses; the ledger survives.
    func restart() async throws {
        await stop()
        try start()
    }

    private func handle(_ message: [UInt8], opener: inout FrameOpener) {
        guard let frame = try? opener.open(message), frame.header.kind == .data else {
            state.withLock { $0.rejected += 1 }
            return
        }
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

    private func publishAcks(on pub: NanoSocket) {
        let ledgers = state.withLock { $0.ledgers }
        let sealer = FrameSealer(key: key)
        for (epoch, ledger) in ledgers {
            let ack = Ack(epoch: epoch, ackedThrough: ledger.doneThrough, nextExpected: ledger.doneThrough + 1, retransmitAfterMs: retransmitAfterMs)
            let header = FrameHeader(
                kind: .control,
                collectorID: ledger.collectorID,
                epoch: epoch,
                sequence: 0,
                sendTime: 0,
                engineID: "",
                cluster: "",
                host: ""
            )
            let message = ledger.collectorID.bytes + sealer.seal(header, Batch(acks: [ack]))
            if (try? pub.trySend(message)) == true { state.withLock { $0.acksPublished += 1 } }
        }
    }
}
