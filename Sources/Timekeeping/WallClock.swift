#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A point in wall-clock time: nanoseconds since the Unix epoch. The project's one unit for time that leaves the
/// process (frame headers, samples, log buckets, Librato's `measure_time`); conversions to the coarser units the
/// wire format and Librato use are here and nowhere else.
public struct WallTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    public init(milliseconds: Int64) {
        self.nanoseconds = milliseconds &* 1_000_000
    }

    public init(seconds: Double) {
        self.nanoseconds = Int64((seconds * 1e9).rounded())
    }

    /// Whole milliseconds since the epoch (floor).
    public var milliseconds: Int64 { Self.floorDiv(nanoseconds, 1_000_000) }

    /// Whole seconds since the epoch (floor).
    public var wholeSeconds: Int64 { Self.floorDiv(nanoseconds, 1_000_000_000) }

    /// Seconds since the epoch, with a fraction.
    public var seconds: Double { Double(nanoseconds) / 1e9 }

    public static func < (a: WallTime, b: WallTime) -> Bool { a.nanoseconds < b.nanoseconds }

    public static func + (t: WallTime, d: Duration) -> WallTime { WallTime(nanoseconds: t.nanoseconds &+ d.nanoseconds) }

    public static func - (t: WallTime, d: Duration) -> WallTime { WallTime(nanoseconds: t.nanoseconds &- d.nanoseconds) }

    /// The time from `self` to `other` (negative when `other` is earlier).
    public func duration(to other: WallTime) -> Duration { .nanoseconds(other.nanoseconds &- nanoseconds) }

    public var description: String { "\(seconds)" }

    @inline(__always)
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}

/// Reads the wall clock: the one door through which real time enters the project (CLOCK_REALTIME), so that tests
/// can pass a clock they drive themselves (`ManualClock.wallClock` in DockerLibratoTesting) and every rule that
/// depends on the time of day — period closing, sample alignment, Librato's time window — runs in microseconds.
///
/// Sleeping and timeouts use an injected `any Clock<Duration>` instead; a manual test clock moves both together.
public struct WallClock: Sendable {
    private let read: @Sendable () -> WallTime

    /// A clock that answers `read()`.
    public init(_ read: @escaping @Sendable () -> WallTime) {
        self.read = read
    }

    /// Now.
    @inline(__always)
    public func now() -> WallTime { read() }

    /// The operating system's real-time clock.
    public static let system = WallClock {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return WallTime(nanoseconds: Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec))
    }

    /// A clock that always answers `time` (for pure tests).
    public static func fixed(_ time: WallTime) -> WallClock { WallClock { time } }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating at ±292 years).
    public var nanoseconds: Int64 {
        let (s, atto) = components
        let (ns, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return s < 0 ? .min : .max }
        return ns &+ atto / 1_000_000_000
    }

    /// The duration in whole milliseconds.
    public var milliseconds: Int64 { nanoseconds / 1_000_000 }

    /// The duration in seconds, with a fraction.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
