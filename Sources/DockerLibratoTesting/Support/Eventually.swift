/// Awaiting conditions instead of sleeping: poll `condition` until it holds or `timeout` passes.
///
/// Tests use this where no event can be awaited directly (another process's output, a container's state). The
/// timeout only bounds a failure; a passing test returns as soon as the condition holds.
///
/// The timeout counts the time this test process could run. `swift test` starts every test at once on a pool of one
/// thread per core; CPU-heavy tests (fuzzing, large aggregations in a debug build) have held both threads of a
/// 2-core CI machine for over 30 s, and a test waiting for another task's work then timed out before that task had
/// run at all. A poll's sleep that overran by more than `starvationSlack` shows such a stall, and the deadline moves
/// by the overrun — never further than `4 × timeout` in all.
public enum Eventually {
    public struct TimedOut: Error, CustomStringConvertible {
        public let what: String
        public let timeout: Duration
        public var description: String { "timed out after \(timeout) waiting for \(what)" }
    }

    /// A sleep that overran by more than this was a stall of the process, not of the condition.
    static let starvationSlack: Duration = .milliseconds(250)

    /// Returns when `condition` is true; throws ``TimedOut`` after `timeout`.
    public static func wait(
        for what: String, timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(20),
        _ condition: () async throws -> Bool
    ) async throws {
        _ = try await value(of: what, timeout: timeout, every: interval) { try await condition() ? true : nil }
    }

    /// Returns the first non-nil value of `probe`; throws ``TimedOut`` after `timeout`.
    public static func value<T>(
        of what: String, timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(20),
        _ probe: () async throws -> T?
    ) async throws -> T {
        let start = ContinuousClock.now
        var deadline = start.advanced(by: timeout)
        let hardDeadline = start.advanced(by: timeout * 4)
        while true {
            if let v = try await probe() { return v }
            let now = ContinuousClock.now
            if now >= deadline || now >= hardDeadline { throw TimedOut(what: what, timeout: timeout) }
            try await Task.sleep(for: interval)
            let overrun = now.duration(to: .now) - interval
            if overrun > starvationSlack { deadline = min(deadline.advanced(by: overrun), hardDeadline) }
        }
    }
}
