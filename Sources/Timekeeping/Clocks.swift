/// Monotonic time as the I/O-free state machines take it (spool retransmission, frame age, log bucket idleness):
/// the time elapsed on an injected clock since an origin. A plain value, so tests write `.zero + .seconds(3)`.
public struct MonotonicInstant: InstantProtocol, Sendable {
    /// Time since the origin of the clock that made it.
    public var offset: Duration

    public init(offset: Duration) {
        self.offset = offset
    }

    /// The origin.
    public static let zero = MonotonicInstant(offset: .zero)

    public func advanced(by duration: Duration) -> MonotonicInstant { MonotonicInstant(offset: offset + duration) }
    public func duration(to other: MonotonicInstant) -> Duration { other.offset - offset }
    public static func < (a: MonotonicInstant, b: MonotonicInstant) -> Bool { a.offset < b.offset }
    public static func + (t: MonotonicInstant, d: Duration) -> MonotonicInstant { t.advanced(by: d) }
    public static func - (t: MonotonicInstant, d: Duration) -> MonotonicInstant { t.advanced(by: .zero - d) }
    public static func - (a: MonotonicInstant, b: MonotonicInstant) -> Duration { a.offset - b.offset }
}

/// The time sources a part of the program is given — the only doors through which time enters:
/// - ``wall``: the time of day, for timestamps that leave the process and for period boundaries;
/// - ``clock``: every sleep and timeout (`ContinuousClock` in production, a manual clock in tests);
/// - ``monotonicNow()``: ``clock`` read as a ``MonotonicInstant`` for the state machines.
///
/// A test clock that moves wall time together with its sleeps (DockerLibratoTesting's `ManualClock.clocks`) makes
/// period closing, ack timeouts, retransmission and backoff run in microseconds.
public struct Clocks: Sendable {
    /// The time of day.
    public let wall: WallClock
    /// What to sleep on.
    public let clock: any Clock<Duration>
    private let monotonic: @Sendable () -> MonotonicInstant

    /// Clocks from a wall clock and a clock to sleep on; monotonic instants count from now on `clock`.
    public init<C: Clock>(wall: WallClock, clock: C) where C.Duration == Duration {
        self.wall = wall
        self.clock = clock
        let origin = clock.now
        monotonic = { MonotonicInstant(offset: origin.duration(to: clock.now)) }
    }

    /// The real clocks: `CLOCK_REALTIME` and `ContinuousClock`.
    public static let system = Clocks(wall: .system, clock: ContinuousClock())

    /// ``clock``'s now, as a ``MonotonicInstant``.
    @inline(__always)
    public func monotonicNow() -> MonotonicInstant { monotonic() }

    /// Sleeps on ``clock`` for `duration` (returns at once for zero or less); throws `CancellationError` when the
    /// task is cancelled.
    public func sleep(for duration: Duration) async throws {
        if duration <= .zero {
            try Task.checkCancellation()
            return
        }
        try await clock.sleep(for: duration)
    }

    /// Sleeps on ``clock`` until the wall clock reads `deadline` (as far as the two agree).
    public func sleep(untilWall deadline: WallTime) async throws {
        try await sleep(for: wall.now().duration(to: deadline))
    }
}
