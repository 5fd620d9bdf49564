/// Wall-clock time for delivery: measurement ages, `reset` times and `Retry-After` dates are all epoch seconds, so
/// the client needs the wall clock rather than a monotonic one. Injected so tests control it.
public protocol LibratoClock: Sendable {
    /// Now, in epoch seconds.
    func now() -> Double
    /// Suspends until `deadline` (epoch seconds) or throws `CancellationError` when the task is cancelled.
    func sleep(until deadline: Double) async throws
}

/// The system's real-time clock, sleeping with `Task.sleep`.
public struct SystemLibratoClock: LibratoClock {
    /// The system clock.
    public init() {}

    public func now() -> Double { SystemIO.wallClockNow() }

    public func sleep(until deadline: Double) async throws {
        let delay = deadline - now()
        if delay > 0 {
            try await Task.sleep(for: .nanoseconds(Int64(min(delay, 86_400) * 1e9)))
        } else {
            try Task.checkCancellation()
        }
    }
}
