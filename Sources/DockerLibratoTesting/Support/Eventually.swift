/// Awaiting conditions instead of sleeping: poll `condition` until it holds or `timeout` passes.
///
/// Tests use this where no event can be awaited directly (another process's output, a container's state). The
/// timeout only bounds a failure; a passing test returns as soon as the condition holds.
public enum Eventually {
    public struct TimedOut: Error, CustomStringConvertible {
        public let what: String
        public let timeout: Duration
        public var description: String { "timed out after \(timeout) waiting for \(what)" }
    }

    /// Returns when `condition` is true; throws ``TimedOut`` after `timeout`.
    public static func wait(
        for what: String, timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(20),
        _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            if try await condition() { return }
            if ContinuousClock.now >= deadline { throw TimedOut(what: what, timeout: timeout) }
            try await Task.sleep(for: interval)
        }
    }

    /// Returns the first non-nil value of `probe`; throws ``TimedOut`` after `timeout`.
    public static func value<T>(
        of what: String, timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(20),
        _ probe: () async throws -> T?
    ) async throws -> T {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            if let v = try await probe() { return v }
            if ContinuousClock.now >= deadline { throw TimedOut(what: what, timeout: timeout) }
            try await Task.sleep(for: interval)
        }
    }
}
