import Synchronization
public import Timekeeping

/// A `Clock` that moves only when a test says so, and a ``WallClock`` that moves with it — period closing, ack
/// timeouts, retransmission and backoff run in microseconds, without sleeps. Modelled on Hummingbird's
/// `MockClock` (Tests/HummingbirdCoreTests/MockClock.swift), plus a way to await a sleeper, so that a test never
/// advances the clock before the code under test has started to wait.
public final class ManualClock: Clock, Sendable {
    /// A point on the manual timeline: time since the clock was made.
    public struct Instant: InstantProtocol, Sendable {
        public var offset: Duration

        public init(offset: Duration) {
            self.offset = offset
        }

        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    private struct Sleeper {
        let id: UInt64
        let deadline: Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var nextID: UInt64 = 0
        var sleepers: [Sleeper] = []
        var cancelled: Set<UInt64> = []
        /// Continuations of tests waiting for a number of sleepers.
        var sleeperWaiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())
    /// The wall time at ``Instant`` zero.
    public let epoch: WallTime

    /// A clock whose wall time starts at `epoch` (default: 2026-01-01T00:00:00Z, a whole minute).
    public init(epoch: WallTime = WallTime(milliseconds: 1_767_225_600_000)) {
        self.epoch = epoch
    }

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .zero }

    /// Wall time that moves with this clock.
    public var wallClock: WallClock {
        WallClock { [self] in epoch + now.offset }
    }

    /// Wall time and sleeps on this clock, as the code under test takes them.
    public var clocks: Clocks { Clocks(wall: wallClock, clock: self) }

    /// How many tasks are sleeping on this clock.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// The earliest deadline of a sleeper, if any.
    public var nextDeadline: Instant? { state.withLock { $0.sleepers.map(\.deadline).min() } }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let action = state.withLock { s -> (() -> Void)? in
                    if s.cancelled.remove(id) != nil { return { continuation.resume(throwing: CancellationError()) } }
                    if deadline <= s.now { return { continuation.resume() } }
                    s.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return Self.wakeWaiters(&s)
                }
                action?()
            }
        } onCancel: {
            let continuation = state.withLock { s -> CheckedContinuation<Void, any Error>? in
                if let i = s.sleepers.firstIndex(where: { $0.id == id }) { return s.sleepers.remove(at: i).continuation }
                s.cancelled.insert(id)
                return nil
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward by `duration`, waking every sleeper whose deadline has come (earliest first).
    public func advance(by duration: Duration) {
        let due = state.withLock { s -> [Sleeper] in
            s.now = s.now.advanced(by: duration)
            let now = s.now
            let due = s.sleepers.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
            s.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Moves time to the earliest sleeper's deadline (if it is in the future) and wakes it; returns how far time
    /// moved (nil when nobody sleeps).
    @discardableResult
    public func advanceToNextDeadline() -> Duration? {
        guard let next = nextDeadline else { return nil }
        let step = max(.zero, now.duration(to: next))
        advance(by: step)
        return step
    }

    /// Returns once at least `count` tasks sleep on this clock (the code under test has reached its wait).
    public func waitForSleepers(_ count: Int = 1) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s -> Bool in
                if s.sleepers.count >= count { return true }
                s.sleeperWaiters.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    private static func wakeWaiters(_ s: inout State) -> (() -> Void)? {
        let n = s.sleepers.count
        let ready = s.sleeperWaiters.filter { $0.count <= n }
        guard !ready.isEmpty else { return nil }
        s.sleeperWaiters.removeAll { $0.count <= n }
        return { for w in ready { w.continuation.resume() } }
    }
}
