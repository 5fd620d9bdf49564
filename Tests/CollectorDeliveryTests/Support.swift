@_spi(Simulation) import Collector
import Foundation
import WireFormat
import Timekeeping

/// A fixed starting instant; tests add durations to it instead of sleeping.
let t0 = MonotonicInstant.zero

func at(_ seconds: Double) -> MonotonicInstant {
    t0.advanced(by: .milliseconds(Int64((seconds * 1000).rounded())))
}

/// Drives a ``SpoolStateMachine`` the way ``FrameDeliverer`` does, with fake frame bytes.
struct Driver {
    var machine: SpoolStateMachine
    /// State file writes (reservations) the machine asked for.
    var reservations: [UInt64] = []
    /// Every action returned, in order.
    var actions: [SpoolStateMachine.Action] = []
    /// The abandoned ranges each built frame carried, by sequence.
    var carried: [UInt64: [AbandonedRange]] = [:]

    init(memory: Int, disk: Int? = nil, block: UInt64 = 1024, budget: Int = 16 << 20, ratio: Int = 1, epoch: UInt64 = 7) {
        let configuration = SpoolStateMachine.Configuration(
            memoryBytes: memory,
            diskBytes: disk,
            sequenceBlock: block,
            retransmitBytesPerAck: budget,
            retransmissionsPerNewFrame: ratio,
            heartbeatInterval: .seconds(10)
        )
        machine = SpoolStateMachine(configuration: configuration, state: CollectorState(collectorID: CollectorID(high: 1, low: 2), epoch: epoch))
    }

    init(machine: SpoolStateMachine) {
        self.machine = machine
    }

    var epoch: UInt64 { machine.epoch }

    /// Builds one frame of `size` bytes (its bytes all equal its sequence's low byte); returns its sequence.
    @discardableResult
    mutating func build(size: Int = 100, onDisk: Bool = true, now: MonotonicInstant = t0) -> UInt64 {
        let plan = machine.planFrame()
        if let reservation = plan.reservation {
            reservations.append(reservation)
            machine.reservationPersisted(reservation)
        }
        carried[plan.sequence] = plan.abandoned
        let bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: plan.sequence), count: size)
        actions += machine.frameSealed(sequence: plan.sequence, bytes: bytes, carrying: plan.abandoned, onDisk: onDisk, now: now)
        return plan.sequence
    }

    /// Sends everything the machine offers (at most `limit`); returns the transmissions in order.
    @discardableResult
    mutating func sendAll(now: MonotonicInstant = t0, limit: Int = .max) -> [SpoolStateMachine.Transmission] {
        var sent: [SpoolStateMachine.Transmission] = []
        while sent.count < limit, let t = machine.nextTransmission() {
            machine.transmitted(t, now: now)
            sent.append(t)
        }
        return sent
    }

    @discardableResult
    mutating func ack(
        through: UInt64,
        next: UInt64,
        epoch: UInt64? = nil,
        backpressure: Bool = false,
        retransmitAfterMs: UInt64 = 2_000,
        now: MonotonicInstant
    ) -> [SpoolStateMachine.Action] {
        let ack = Ack(
            epoch: epoch ?? machine.epoch,
            ackedThrough: through,
            nextExpected: next,
            flags: backpressure ? .backpressure : [],
            retransmitAfterMs: retransmitAfterMs
        )
        let result = machine.ackReceived(ack, now: now)
        actions += result
        return result
    }

    /// Drops recorded by `.dropped` actions so far.
    var droppedActions: [AbandonedRange] {
        actions.compactMap { if case .dropped(let r) = $0 { r } else { nil } }
    }
}

func dropped(_ epoch: UInt64, _ range: ClosedRange<UInt64>) -> AbandonedRange {
    AbandonedRange(epoch: epoch, first: range.lowerBound, last: range.upperBound, reason: .dropped)
}

func acknowledged(_ epoch: UInt64, _ range: ClosedRange<UInt64>) -> AbandonedRange {
    AbandonedRange(epoch: epoch, first: range.lowerBound, last: range.upperBound, reason: .acknowledged)
}

/// A fresh directory under the system's temporary directory, removed by ``remove()``.
struct TemporaryDirectory {
    let path: String

    init(_ tag: String = "deliver") throws {
        path = NSTemporaryDirectory() + "dl-\(tag)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    func files(_ sub: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/" + sub)) ?? []).sorted()
    }
}
