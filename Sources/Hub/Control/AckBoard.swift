import Synchronization
import WireFormat

/// The acknowledgement of every collector epoch, as the control service answers them: written by the runtime
/// whenever a ledger moves (after each frame, after a period is delivered or closed), read by the control service
/// without waiting for the runtime's actor — a busy hub still answers its collectors at once.
///
/// Also counts the control requests (answered, refused by reason) and remembers when each collector epoch last asked,
/// so the status page can show a collector that reaches the control port but sends no data.
package final class AckBoard: Sendable {
    package struct Counters: Sendable, Equatable {
        package var requests = 0
        package var refusedUnauthenticated = 0
        package var refusedVersion = 0
        package var refusedMalformed = 0
    }

    private struct State {
        var acks: [LedgerKey: Ack] = [:]
        var backpressure = false
        /// Acks are withheld while the state file cannot be written (acks must never run ahead of it).
        var held = false
        var lastRequestMs: [LedgerKey: Int64] = [:]
        var counters = Counters()
    }

    private let state = Mutex(State())

    package init() {}

    /// Replaces every ack (the ledgers moved together).
    package func replaceAll(_ acks: [(LedgerKey, Ack)], backpressure: Bool) {
        state.withLock { s in
            s.acks = Dictionary(acks, uniquingKeysWith: { $1 })
            s.backpressure = backpressure
        }
    }

    /// One ledger moved.
    package func set(_ key: LedgerKey, _ ack: Ack?, backpressure: Bool) {
        state.withLock { s in
            s.acks[key] = ack
            s.backpressure = backpressure
        }
    }

    package func hold(_ held: Bool) {
        state.withLock { $0.held = held }
    }

    /// The ack to send `key` now (with the back-pressure flag), nil when the hub has none (no frame of it yet, or
    /// acks are held); records the request.
    package func answer(_ key: LedgerKey, nowMs: Int64) -> Ack? {
        state.withLock { s in
            s.counters.requests += 1
            s.lastRequestMs[key] = nowMs
            guard !s.held, var ack = s.acks[key] else { return nil }
            if s.backpressure { ack.flags.insert(.backpressure) }
            return ack
        }
    }

    package func refused(_ reason: ControlRefusal.Reason) {
        state.withLock { s in
            switch reason {
            case .unauthenticated: s.counters.refusedUnauthenticated += 1
            case .unsupportedVersion: s.counters.refusedVersion += 1
            case .malformed: s.counters.refusedMalformed += 1
            }
        }
    }

    package var counters: Counters { state.withLock { $0.counters } }

    /// When each collector epoch last asked for its ack.
    package var lastRequests: [LedgerKey: Int64] { state.withLock { $0.lastRequestMs } }

    /// The collector epochs that asked at or after `ms`.
    package func asked(since ms: Int64) -> Set<LedgerKey> {
        state.withLock { s in Set(s.lastRequestMs.lazy.filter { $0.value >= ms }.map(\.key)) }
    }

    /// Forgets collector epochs not heard from since `horizonMs`.
    package func retire(before horizonMs: Int64) {
        state.withLock { s in s.lastRequestMs = s.lastRequestMs.filter { $0.value >= horizonMs } }
    }
}
